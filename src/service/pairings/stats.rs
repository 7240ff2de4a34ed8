//! Statistics of the broker workflow for operators and brokers: requests, introductions,
//! signed contracts and amounts by month, priority track, industry, region and organisation;
//! the funnel from request to signature; each broker's median time to first response; and the
//! same tables as CSV.
//!
//! Every figure covers the pairings *created* in the period (a cohort). By month, requests count
//! in their creation month, introductions in the month they happened and contracts in their
//! signing month. An organisation counts every pairing it is a side of.

use crate::db::pairings::{self as repo, StatRow};
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
    /// By the firm's district (GB/T 2260 county level: 青岛 has ten 区/市).
    pub by_district: Vec<StatGroup>,
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

    /// [`Self::compute`] for a period as people write it (see [`super::stats_period`]); who
    /// may ask is checked before the period is read.
    pub async fn compute_period(
        &self,
        actor: &Actor,
        period: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> ServiceResult<PairingStatistics> {
        policy::require_broker_or_operator(actor)?;
        let (from, to) = super::stats_period::resolve(period, from, to)?;
        self.compute(actor, from, to).await
    }

    /// The tables for pairings created in `[from, to)`; brokers and operators only. One pass
    /// over the table; the grouping happens here.
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
        let rows = repo::stat_rows(db, from, to).await?;
        let mut stats = aggregate(&rows);
        stats.from = Some(from);
        stats.to = Some(to);
        let tracks: HashMap<String, String> = crate::db::tracks::all(db)
            .await?
            .into_iter()
            .map(|t| (t.code, t.name))
            .collect();
        for g in &mut stats.by_track {
            if let Some(name) = tracks.get(&g.key) {
                g.label = name.clone();
            } else if g.key == NO_TRACK {
                g.label = "未归入重点产业链".to_owned();
            }
        }
        for g in &mut stats.by_industry {
            if let Some(e) = crate::codes::industries().get(&g.key) {
                g.label = format!("{} {}", e.code, e.name);
            }
        }
        for g in stats.by_region.iter_mut().chain(&mut stats.by_district) {
            if let Some(e) = crate::codes::regions().get(&g.key) {
                g.label = e.name.clone();
            }
        }
        let ids: Vec<i32> = stats
            .by_organization
            .iter()
            .filter_map(|g| g.key.parse().ok())
            .collect();
        let names: HashMap<String, String> = organizations::find_many(db, &ids)
            .await?
            .into_iter()
            .map(|o| (o.id.to_string(), o.name))
            .collect();
        for g in &mut stats.by_organization {
            if let Some(name) = names.get(&g.key) {
                g.label = name.clone();
            }
        }
        for b in &mut stats.brokers {
            if let Some(u) = users::find(db, b.broker_id).await? {
                b.name = u.display_name;
            }
        }
        // Busiest first, then by name: never in row order, which would tell who registered
        // first.
        stats.by_organization.sort_by(|a, b| {
            (b.requests, b.signed)
                .cmp(&(a.requests, a.signed))
                .then_with(|| a.label.cmp(&b.label))
        });
        stats.brokers.sort_by(|a, b| {
            (b.pairings, b.signed)
                .cmp(&(a.pairings, a.signed))
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(stats)
    }
}

const NO_TRACK: &str = "NONE";
const SIGNED: &str = "SIGNED";

/// Groups the projection into every table; pure, so the arithmetic is unit-tested. By month,
/// requests count in their creation month, introductions in theirs and contracts in their
/// signing month; an organisation counts every pairing it is a side of.
pub fn aggregate(rows: &[StatRow]) -> PairingStatistics {
    let mut s = PairingStatistics::default();
    let mut by_month: BTreeMap<String, StatGroup> = BTreeMap::new();
    let mut by_track: BTreeMap<String, StatGroup> = BTreeMap::new();
    let mut by_industry: BTreeMap<String, StatGroup> = BTreeMap::new();
    let mut by_region: BTreeMap<String, StatGroup> = BTreeMap::new();
    let mut by_district: BTreeMap<String, StatGroup> = BTreeMap::new();
    let mut by_org: BTreeMap<i32, StatGroup> = BTreeMap::new();
    let mut brokers: BTreeMap<i32, (u64, u64, Vec<f64>)> = BTreeMap::new();
    for r in rows {
        let introduced = r.introduced_month.is_some();
        let signed = r.status == SIGNED;
        let amount = if signed {
            r.amount_yuan.unwrap_or(0)
        } else {
            0
        };
        let add = |g: &mut StatGroup| {
            g.requests += 1;
            g.introductions += u64::from(introduced);
            g.signed += u64::from(signed);
            g.amount_yuan += amount;
        };
        add(&mut s.total);
        add(entry(&mut by_track, r.track.as_deref().unwrap_or(NO_TRACK)));
        add(entry(
            &mut by_industry,
            r.division.as_deref().unwrap_or("-"),
        ));
        add(entry(
            &mut by_region,
            &format!("{}00", r.city.as_deref().unwrap_or("--")),
        ));
        add(entry(
            &mut by_district,
            r.district.as_deref().unwrap_or("-"),
        ));
        add(by_org.entry(r.enterprise_org_id).or_default());
        add(by_org.entry(r.university_org_id).or_default());
        entry(&mut by_month, &r.created_month).requests += 1;
        if let Some(m) = &r.introduced_month {
            entry(&mut by_month, m).introductions += 1;
        }
        if let (true, Some(m)) = (signed, &r.signed_month) {
            let g = entry(&mut by_month, m);
            g.signed += 1;
            g.amount_yuan += amount;
        }
        let f = &mut s.funnel;
        f.requested += 1;
        f.accepted += u64::from(r.accepted > 0);
        f.introduced += u64::from(introduced);
        f.negotiating += u64::from(r.negotiating > 0);
        f.signed += u64::from(signed);
        f.declined += u64::from(r.status == "DECLINED");
        f.withdrawn += u64::from(r.status == "WITHDRAWN");
        f.expired += u64::from(r.status == "EXPIRED");
        if let Some(b) = r.broker_id {
            let e = brokers.entry(b).or_default();
            e.0 += 1;
            e.1 += u64::from(signed);
            e.2.extend(r.hours_to_accept);
        }
    }
    s.total.key = "TOTAL".into();
    s.total.label = "合计".into();
    s.by_month = by_month.into_values().collect();
    s.by_track = by_track.into_values().collect();
    s.by_industry = by_industry.into_values().collect();
    s.by_region = by_region.into_values().collect();
    s.by_district = by_district.into_values().collect();
    s.by_organization = by_org
        .into_iter()
        .map(|(id, mut g)| {
            g.key = id.to_string();
            g.label = "（未知机构）".to_owned();
            g
        })
        .collect();
    s.brokers = brokers
        .into_iter()
        .map(|(broker_id, (pairings, signed, mut hours))| BrokerStat {
            broker_id,
            name: "（未知用户）".to_owned(),
            pairings,
            signed,
            median_hours_to_first_response: median(&mut hours),
        })
        .collect();
    s
}

/// The group `key`, created with the key as its label.
fn entry<'a>(groups: &'a mut BTreeMap<String, StatGroup>, key: &str) -> &'a mut StatGroup {
    if !groups.contains_key(key) {
        groups.insert(
            key.to_owned(),
            StatGroup {
                key: key.to_owned(),
                label: key.to_owned(),
                ..Default::default()
            },
        );
    }
    groups.get_mut(key).expect("just inserted")
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
    /// By city.
    Region,
    /// By district (区/市).
    District,
    /// By organisation.
    Organization,
    /// The funnel.
    Funnel,
    /// Per broker.
    Broker,
}

/// One table as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese
/// headers correctly).
/// `user_key` writes a broker's id as callers know it (the API's global id).
pub fn to_csv(s: &PairingStatistics, table: StatTable, user_key: &dyn Fn(i32) -> String) -> String {
    let mut out = String::from("\u{feff}");
    let groups = |out: &mut String, first: &str, rows: &[StatGroup]| {
        out.push_str(&format!(
            "{first},名称,对接请求,成功引荐,签约数,合同金额（元）\n"
        ));
        for g in rows {
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
        // The total row reads 合计 in the first column, where a spreadsheet's reader looks.
        let t = &s.total;
        out.push_str(&format!(
            "合计,,{},{},{},{}\n",
            t.requests, t.introductions, t.signed, t.amount_yuan
        ));
    };
    match table {
        StatTable::Month => groups(&mut out, "月份", &s.by_month),
        StatTable::Track => groups(&mut out, "重点产业链", &s.by_track),
        StatTable::Industry => groups(&mut out, "行业大类", &s.by_industry),
        StatTable::Region => groups(&mut out, "企业所在城市", &s.by_region),
        StatTable::District => groups(&mut out, "企业所在区（市）", &s.by_district),
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
                    user_key(b.broker_id),
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

/// A text a spreadsheet will show as text: one starting like a formula gets a leading `'`.
pub fn spreadsheet_safe(v: &str) -> String {
    if v.starts_with(['=', '+', '-', '@']) {
        format!("'{v}")
    } else {
        v.to_owned()
    }
}

/// Quotes a field when it holds a comma, quote or line break; neutralises spreadsheet formulas.
fn csv_field(v: &str) -> String {
    let v = spreadsheet_safe(v);
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: &str, created: &str, signed: Option<(&str, i64)>, hours: f64) -> StatRow {
        StatRow {
            status: status.into(),
            track: Some("marine-bio".into()),
            division: Some("C38".into()),
            city: Some("3702".into()),
            district: Some("370212".into()),
            enterprise_org_id: 1,
            university_org_id: 2,
            broker_id: Some(9),
            created_month: created.into(),
            introduced_month: signed.map(|(m, _)| m.to_owned()),
            signed_month: signed.map(|(m, _)| m.to_owned()),
            amount_yuan: signed.map(|(_, a)| a),
            accepted: 1,
            negotiating: i32::from(signed.is_some()),
            hours_to_accept: Some(hours),
        }
    }

    #[test]
    fn months_count_each_event_when_it_happened() {
        let s = aggregate(&[
            row("SIGNED", "2026-10", Some(("2026-11", 500_000)), 2.0),
            row("DECLINED", "2026-10", None, 8.0),
            row("SIGNED", "2026-11", Some(("2026-11", 250_000)), 4.0),
        ]);
        assert_eq!(
            (s.total.requests, s.total.signed, s.total.amount_yuan),
            (3, 2, 750_000)
        );
        let months: Vec<_> = s
            .by_month
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
            months,
            [("2026-10", 2, 0, 0, 0), ("2026-11", 1, 2, 2, 750_000)]
        );
        assert_eq!(s.by_region[0].key, "370200");
        assert_eq!(s.by_district[0].key, "370212");
        assert_eq!(s.by_organization.len(), 2, "both sides count");
        assert_eq!(s.by_organization[0].requests, 3);
        assert_eq!((s.funnel.negotiating, s.funnel.declined), (2, 1));
        assert_eq!(s.brokers[0].median_hours_to_first_response, Some(4.0));
        assert_eq!(median(&mut [1.0, 9.0, 3.0, 5.0]), Some(4.0));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("青岛,海洋"), "\"青岛,海洋\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        let s = aggregate(&[row("SIGNED", "2026-11", Some(("2026-11", 10)), 1.0)]);
        let csv = to_csv(&s, StatTable::Month, &|id| id.to_string());
        assert!(csv.starts_with("\u{feff}月份,名称"));
        assert!(csv.contains("2026-11,2026-11,1,1,1,10\n"));
        assert!(csv.ends_with("合计,,1,1,1,10\n"), "{csv}");
    }
}
