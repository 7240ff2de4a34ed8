//! Statistics of the broker workflow for operators and brokers: requests, introductions,
//! signed contracts and amounts by month, priority track, industry, region and organisation;
//! the funnel from request to signature; each broker's median time to first response; and the
//! same tables as CSV.
//!
//! Every figure covers the pairings *created* in the period (a cohort). By month, requests count
//! in their creation month, introductions in the month they happened and contracts in their
//! signing month. An organisation counts every pairing it is a side of.

use crate::db::pairings::{self as repo, BrokerCase, Dimension, GroupCounts};
use crate::db::{organizations, users};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::service::{Actor, Context, policy};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// One row of a grouped table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatGroup {
    /// The group's code (month `2026-11`, track code, GB/T code or organisation id).
    pub key: String,
    /// What people read.
    pub label: String,
    /// Pairings requested.
    pub requests: u64,
    /// Pairings introduced.
    pub introductions: u64,
    /// Contracts signed.
    pub signed: u64,
    /// Sum of contract amounts in yuan.
    pub amount_yuan: i64,
}

/// How far pairings got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Funnel {
    /// Requested.
    pub requested: u64,
    /// Taken by a broker.
    pub accepted: u64,
    /// Introduced.
    pub introduced: u64,
    /// Reached negotiation.
    pub negotiating: u64,
    /// Signed.
    pub signed: u64,
    /// Declined.
    pub declined: u64,
    /// Withdrawn.
    pub withdrawn: u64,
    /// Expired.
    pub expired: u64,
}

/// One broker's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerStat {
    /// User id.
    pub broker_id: i32,
    /// Display name.
    pub name: String,
    /// Pairings carried.
    pub pairings: u64,
    /// Of those, signed.
    pub signed: u64,
    /// Median hours from request to the broker taking it (requests they took from the queue).
    pub median_hours_to_first_response: Option<f64>,
}

/// Every table for one period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PairingStatistics {
    /// Start (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// End (exclusive).
    pub to: Option<DateTime<Utc>>,
    /// Totals.
    pub total: StatGroup,
    /// By month.
    pub by_month: Vec<StatGroup>,
    /// By priority track.
    pub by_track: Vec<StatGroup>,
    /// By GB/T 4754 division.
    pub by_industry: Vec<StatGroup>,
    /// By the firm's city (GB/T 2260, 4-digit prefix + `00`).
    pub by_region: Vec<StatGroup>,
    /// By organisation (either side).
    pub by_organization: Vec<StatGroup>,
    /// The funnel.
    pub funnel: Funnel,
    /// Per broker.
    pub brokers: Vec<BrokerStat>,
}

/// Statistics use cases.
#[derive(Debug, Clone)]
pub struct PairingStatsService {
    ctx: Arc<Context>,
}

impl PairingStatsService {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    /// The tables for pairings created in `[from, to)`; brokers and operators only. Every
    /// table is one aggregate query in the database.
    pub async fn compute(
        &self,
        actor: &Actor,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ServiceResult<PairingStatistics> {
        policy::require_broker_or_operator(actor)?;
        if from >= to {
            return Err(ServiceError::coded(
                ErrorCode::InvalidArgument,
                "统计区间的开始时间必须早于结束时间",
            ));
        }
        let db = &self.ctx.db.conn;
        let grouped = |by| repo::grouped(db, from, to, by);
        let tracks: HashMap<String, String> = crate::db::tracks::all(db)
            .await?
            .into_iter()
            .map(|t| (t.code, t.name))
            .collect();
        let by_track = groups(grouped(Dimension::Track).await?, NO_TRACK, |code| {
            tracks.get(code).cloned()
        });
        let total = by_track.iter().fold(
            StatGroup {
                key: "TOTAL".into(),
                label: "合计".into(),
                ..Default::default()
            },
            |mut t, g| {
                t.requests += g.requests;
                t.introductions += g.introductions;
                t.signed += g.signed;
                t.amount_yuan += g.amount_yuan;
                t
            },
        );
        let by_industry = groups(grouped(Dimension::Division).await?, "-", |code| {
            crate::codes::industries()
                .get(code)
                .map(|e| format!("{} {}", e.code, e.name))
        });
        let mut by_region = groups(grouped(Dimension::City).await?, "-", |_| None);
        for g in &mut by_region {
            g.key.push_str("00");
            if let Some(e) = crate::codes::regions().get(&g.key) {
                g.label = e.name.clone();
            } else {
                g.label = g.key.clone();
            }
        }
        let by_organization = self.by_organization(from, to).await?;
        let by_month = merge_months(
            grouped(Dimension::CreatedMonth).await?,
            grouped(Dimension::IntroducedMonth).await?,
            grouped(Dimension::SignedMonth).await?,
        );
        let f = repo::funnel(db, from, to).await?;
        let funnel = Funnel {
            requested: f.requested as u64,
            accepted: f.accepted as u64,
            introduced: f.introduced as u64,
            negotiating: f.negotiating as u64,
            signed: f.signed as u64,
            declined: f.declined as u64,
            withdrawn: f.withdrawn as u64,
            expired: f.expired as u64,
        };
        let mut brokers = broker_figures(repo::broker_cases(db, from, to).await?);
        for b in &mut brokers {
            if let Some(u) = users::find(db, b.broker_id).await? {
                b.name = u.display_name;
            }
        }
        Ok(PairingStatistics {
            from: Some(from),
            to: Some(to),
            total,
            by_month,
            by_track,
            by_industry,
            by_region,
            by_organization,
            funnel,
            brokers,
        })
    }

    /// Each organisation counts the pairings it is a side of, as firm or as result owner.
    async fn by_organization(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ServiceResult<Vec<StatGroup>> {
        let db = &self.ctx.db.conn;
        let mut merged: BTreeMap<i32, StatGroup> = BTreeMap::new();
        for by in [Dimension::Enterprise, Dimension::University] {
            for g in repo::grouped(db, from, to, by).await? {
                let Some(id) = g.group_key.as_deref().and_then(|k| k.parse().ok()) else {
                    continue;
                };
                let e = merged.entry(id).or_default();
                e.requests += g.requests as u64;
                e.introductions += g.introductions as u64;
                e.signed += g.signed as u64;
                e.amount_yuan += g.amount_yuan;
            }
        }
        let ids: Vec<i32> = merged.keys().copied().collect();
        let names: HashMap<i32, String> = organizations::find_many(db, &ids)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        Ok(merged
            .into_iter()
            .map(|(id, mut g)| {
                g.key = id.to_string();
                g.label = names.get(&id).cloned().unwrap_or_else(|| g.key.clone());
                g
            })
            .collect())
    }
}

const NO_TRACK: &str = "NONE";

/// Database groups as statistics rows; `missing` names the group of rows without a value.
fn groups(
    rows: Vec<GroupCounts>,
    missing: &str,
    label: impl Fn(&str) -> Option<String>,
) -> Vec<StatGroup> {
    rows.into_iter()
        .map(|r| {
            let key = r.group_key.unwrap_or_else(|| missing.to_owned());
            StatGroup {
                label: label(&key).unwrap_or_else(|| key.clone()),
                key,
                requests: r.requests as u64,
                introductions: r.introductions as u64,
                signed: r.signed as u64,
                amount_yuan: r.amount_yuan,
            }
        })
        .collect()
}

/// One row per month: requests in their creation month, introductions in theirs, contracts
/// (and amounts) in their signing month.
fn merge_months(
    created: Vec<GroupCounts>,
    introduced: Vec<GroupCounts>,
    signed: Vec<GroupCounts>,
) -> Vec<StatGroup> {
    let mut months: BTreeMap<String, StatGroup> = BTreeMap::new();
    for r in created {
        let key = r.group_key.unwrap_or_default();
        month(&mut months, key).requests += r.requests as u64;
    }
    for r in introduced {
        let key = r.group_key.unwrap_or_default();
        month(&mut months, key).introductions += r.requests as u64;
    }
    for r in signed {
        let key = r.group_key.unwrap_or_default();
        let g = month(&mut months, key);
        g.signed += r.requests as u64;
        g.amount_yuan += r.amount_yuan;
    }
    months.into_values().collect()
}

fn month(months: &mut BTreeMap<String, StatGroup>, key: String) -> &mut StatGroup {
    months.entry(key.clone()).or_insert_with(|| StatGroup {
        label: key.clone(),
        key,
        ..Default::default()
    })
}

/// Per broker: pairings carried, signed, and the median hours to first response.
fn broker_figures(cases: Vec<BrokerCase>) -> Vec<BrokerStat> {
    let mut by: BTreeMap<i32, (u64, u64, Vec<f64>)> = BTreeMap::new();
    for c in cases {
        let e = by.entry(c.broker_id).or_default();
        e.0 += 1;
        e.1 += u64::from(c.signed > 0);
        e.2.extend(c.hours);
    }
    by.into_iter()
        .map(|(broker_id, (pairings, signed, mut hours))| BrokerStat {
            broker_id,
            name: broker_id.to_string(),
            pairings,
            signed,
            median_hours_to_first_response: median(&mut hours),
        })
        .collect()
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

/// Which table a CSV export holds.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatTable {
    /// By month.
    Month,
    /// By priority track.
    Track,
    /// By industry division.
    Industry,
    /// By region.
    Region,
    /// By organisation.
    Organization,
    /// The funnel.
    Funnel,
    /// Per broker.
    Broker,
}

/// One table as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese
/// headers correctly).
pub fn to_csv(s: &PairingStatistics, table: StatTable) -> String {
    let mut out = String::from("\u{feff}");
    let groups = |out: &mut String, first: &str, rows: &[StatGroup]| {
        out.push_str(&format!(
            "{first},名称,对接请求,成功引荐,签约数,合同金额（元）\n"
        ));
        for g in rows.iter().chain(std::iter::once(&s.total)) {
            out.push_str(&format!(
                "{},{},{},{},{},{}\n",
                csv_field(&g.key),
                csv_field(&g.label),
                g.requests,
                g.introductions,
                g.signed,
                g.amount_yuan
            ));
        }
    };
    match table {
        StatTable::Month => groups(&mut out, "月份", &s.by_month),
        StatTable::Track => groups(&mut out, "重点产业链", &s.by_track),
        StatTable::Industry => groups(&mut out, "行业大类", &s.by_industry),
        StatTable::Region => groups(&mut out, "地区", &s.by_region),
        StatTable::Organization => groups(&mut out, "机构编号", &s.by_organization),
        StatTable::Funnel => {
            let f = &s.funnel;
            out.push_str("阶段,数量\n");
            for (stage, n) in [
                ("提出对接", f.requested),
                ("经纪人受理", f.accepted),
                ("成功引荐", f.introduced),
                ("进入洽谈", f.negotiating),
                ("签订合同", f.signed),
                ("已拒绝", f.declined),
                ("已撤回", f.withdrawn),
                ("已超时", f.expired),
            ] {
                out.push_str(&format!("{stage},{n}\n"));
            }
        }
        StatTable::Broker => {
            out.push_str("经纪人编号,姓名,负责对接,签约数,首次响应中位时长（小时）\n");
            for b in &s.brokers {
                out.push_str(&format!(
                    "{},{},{},{},{}\n",
                    b.broker_id,
                    csv_field(&b.name),
                    b.pairings,
                    b.signed,
                    b.median_hours_to_first_response
                        .map_or_else(String::new, |h| format!("{h:.1}"))
                ));
            }
        }
    }
    out
}

/// Quotes a field when it holds a comma, quote or line break; neutralises spreadsheet formulas.
fn csv_field(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@']) {
        format!("'{v}")
    } else {
        v.to_owned()
    };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(key: &str, requests: i64, amount_yuan: i64) -> GroupCounts {
        GroupCounts {
            group_key: Some(key.into()),
            requests,
            introductions: 0,
            signed: 0,
            amount_yuan,
        }
    }

    #[test]
    fn months_count_each_event_in_its_own_month() {
        let months = merge_months(
            vec![counts("2026-10", 2, 0), counts("2026-11", 1, 0)],
            vec![counts("2026-11", 2, 0)],
            vec![counts("2026-11", 2, 750_000), counts("2026-12", 1, 10)],
        );
        let rows: Vec<_> = months
            .iter()
            .map(|g| {
                (
                    g.key.as_str(),
                    g.requests,
                    g.introductions,
                    g.signed,
                    g.amount_yuan,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("2026-10", 2, 0, 0, 0),
                ("2026-11", 1, 2, 2, 750_000),
                ("2026-12", 0, 0, 1, 10)
            ]
        );
    }

    #[test]
    fn brokers_get_the_median_of_their_response_times() {
        let case = |broker_id, hours, signed| BrokerCase {
            broker_id,
            hours,
            signed,
        };
        let b = broker_figures(vec![
            case(1, Some(2.0), 1),
            case(1, Some(8.0), 0),
            case(2, Some(3.0), 0),
            case(2, None, 0),
            case(2, Some(1.0), 1),
            case(2, Some(9.0), 0),
        ]);
        assert_eq!(b[0].median_hours_to_first_response, Some(5.0));
        assert_eq!((b[0].pairings, b[0].signed), (2, 1));
        assert_eq!(b[1].median_hours_to_first_response, Some(3.0));
        assert_eq!(b[1].pairings, 4);
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("青岛,海洋"), "\"青岛,海洋\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        let month = StatGroup {
            key: "2026-11".into(),
            label: "2026-11".into(),
            requests: 1,
            introductions: 1,
            signed: 1,
            amount_yuan: 10,
        };
        let s = PairingStatistics {
            total: StatGroup {
                key: "TOTAL".into(),
                label: "合计".into(),
                ..month.clone()
            },
            by_month: vec![month],
            ..Default::default()
        };
        let csv = to_csv(&s, StatTable::Month);
        assert!(csv.starts_with("\u{feff}月份,名称"));
        assert!(csv.contains("2026-11,2026-11,1,1,1,10\n"));
        assert!(csv.ends_with("TOTAL,合计,1,1,1,10\n"));
    }
}
