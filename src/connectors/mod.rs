//! Market connectors: pulling listings from, and pushing ours to, the provincial technology
//! market (山东科技大市场) and the national marine technology market (海洋科技大市场).
//!
//! Each market is one module that owns every detail of its wire contract (documented in
//! `docs/connectors/<market>.md`): endpoints, authentication, paging, cursor, field names and
//! their vocabularies. The rest of the service sees only [`MarketConnector`] and
//! [`RemoteListing`], so adapting to a real API touches one file. [`http`] holds the
//! resilience every call goes through; [`fake`] serves both contracts for tests and demos.

pub mod fake;
pub mod http;
pub mod marine;
pub mod provincial;

use crate::db::outbox::ListingKind;
use crate::domain::ListingSource;
use chrono::{DateTime, Utc};

/// A market we sync with.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Market {
    /// 山东科技大市场.
    Provincial,
    /// 全国海洋科技大市场.
    Marine,
}

impl Market {
    /// Every market.
    pub const ALL: [Market; 2] = [Market::Provincial, Market::Marine];

    /// Stored and command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provincial => "provincial",
            Self::Marine => "marine",
        }
    }

    /// Parses a stored or command-line name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "provincial" => Some(Self::Provincial),
            "marine" => Some(Self::Marine),
            _ => None,
        }
    }

    /// The source recorded on listings that came from this market.
    pub fn source(self) -> ListingSource {
        match self {
            Self::Provincial => ListingSource::Provincial,
            Self::Marine => ListingSource::Marine,
        }
    }

    /// Chinese name.
    pub fn label_zh(self) -> &'static str {
        self.source().label_zh()
    }
}

/// Connection settings of one market (`[connectors.<market>]`).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MarketSettings {
    /// Sync with this market.
    pub enabled: bool,
    /// Base URL of its API.
    pub base_url: String,
    /// Provincial: the API token.
    pub token: String,
    /// Marine: the app key.
    pub app_key: String,
    /// Marine: the app secret.
    pub app_secret: String,
    /// Minutes between scheduled syncs; 0 runs only on demand.
    pub every_minutes: u64,
    /// Records per page asked for (0: the connector's default).
    pub page_size: u32,
    /// Timeouts, retries, rate limit and circuit breaker.
    pub resilience: http::Resilience,
}

/// Every market's settings (`[connectors]`).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectorsSettings {
    /// 山东科技大市场.
    pub provincial: MarketSettings,
    /// 海洋科技大市场.
    pub marine: MarketSettings,
}

impl ConnectorsSettings {
    /// The settings of one market.
    pub fn of(&self, market: Market) -> &MarketSettings {
        match market {
            Market::Provincial => &self.provincial,
            Market::Marine => &self.marine,
        }
    }

    /// Connectors of the enabled markets; a market whose client cannot be built is logged
    /// and left out.
    pub fn build(&self) -> std::collections::HashMap<Market, std::sync::Arc<dyn MarketConnector>> {
        let mut out: std::collections::HashMap<Market, std::sync::Arc<dyn MarketConnector>> =
            std::collections::HashMap::new();
        for market in Market::ALL {
            let s = self.of(market);
            if !s.enabled {
                continue;
            }
            let built: anyhow::Result<std::sync::Arc<dyn MarketConnector>> = match market {
                Market::Provincial => {
                    provincial::Provincial::new(&s.base_url, &s.token, s.resilience.clone())
                        .map(|c| std::sync::Arc::new(c.with_page_size(s.page_size)) as _)
                }
                Market::Marine => marine::Marine::new(
                    &s.base_url,
                    &s.app_key,
                    &s.app_secret,
                    s.resilience.clone(),
                )
                .map(|c| std::sync::Arc::new(c.with_page_size(s.page_size)) as _),
            };
            match built {
                Ok(c) => {
                    out.insert(market, c);
                }
                Err(err) => {
                    tracing::error!(market = market.as_str(), error = %err, "market connector not built")
                }
            }
        }
        out
    }
}

/// The organisation behind a remote listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteOwner {
    /// Name.
    pub name: String,
    /// 统一社会信用代码, when the market gives one.
    pub credit_code: Option<String>,
    /// GB/T 2260 region, as the market gives it.
    pub region: Option<String>,
}

/// One listing as a market describes it, already mapped to our codes where a mapping exists.
/// Values that could not be mapped are kept in `unmapped`, never guessed.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteListing {
    /// Id at the market.
    pub external_id: String,
    /// 科技成果 or 技术需求.
    pub kind: ListingKind,
    /// Withdrawn, off the shelf or deleted at the market.
    pub removed: bool,
    /// Last change at the market.
    pub updated_at: DateTime<Utc>,
    /// Title.
    pub title: String,
    /// Summary (results) or problem (needs).
    pub text: String,
    /// The owner.
    pub owner: RemoteOwner,
    /// GB/T 4754 codes.
    pub industries: Vec<String>,
    /// GB/T 13745 code.
    pub discipline: Option<String>,
    /// TRL 1–9.
    pub trl: Option<i32>,
    /// Keywords.
    pub keywords: Vec<String>,
    /// Patent numbers as given.
    pub patents: Vec<String>,
    /// Transfer or cooperation modes.
    pub modes: Vec<crate::domain::TransferMode>,
    /// Indicative price or budget in yuan; none means 面议.
    pub price_yuan: Option<i64>,
    /// `(field, value)` the market sent that has no mapping to our codes.
    pub unmapped: Vec<(String, String)>,
    /// The record as received (JSON), kept with the source link and in quarantine.
    pub raw: String,
}

/// A record the connector could not read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRecord {
    /// Its id, when readable.
    pub external_id: Option<String>,
    /// The record as received.
    pub raw: String,
    /// What was wrong, in Chinese.
    pub error: String,
}

/// One page of changes.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// Records read.
    pub records: Vec<RemoteListing>,
    /// Records that could not be read.
    pub bad: Vec<BadRecord>,
    /// Where to continue; stored once the page is applied.
    pub next_cursor: String,
    /// More pages follow in this run.
    pub more: bool,
}

/// A local listing to publish at a market.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingListing {
    /// Our stable key (idempotency key / outer id).
    pub local_key: String,
    /// 科技成果 or 技术需求.
    pub kind: ListingKind,
    /// Title.
    pub title: String,
    /// Summary or problem.
    pub text: String,
    /// Owner name.
    pub owner_name: String,
    /// Owner credit code.
    pub owner_credit_code: String,
    /// Owner region.
    pub region: String,
    /// GB/T 4754 codes.
    pub industries: Vec<String>,
    /// GB/T 13745 code.
    pub discipline: Option<String>,
    /// TRL.
    pub trl: Option<i32>,
    /// Keywords.
    pub keywords: Vec<String>,
}

/// Why a market call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    /// Credentials refused; retrying will not help.
    #[error("市场拒绝了接入凭证：{0}")]
    Unauthorized(String),
    /// The market refused the request as malformed.
    #[error("市场拒绝了请求：{0}")]
    Rejected(String),
    /// The market is down, timing out or rate-limiting past our patience.
    #[error("市场暂时不可用：{0}")]
    Unavailable(String),
    /// Too many recent failures: calls are not attempted until the breaker closes.
    #[error("熔断中：{0} 最近连续失败，暂停调用")]
    CircuitOpen(String),
    /// A whole page could not be read.
    #[error("市场返回的数据无法解析：{0}")]
    Malformed(String),
}

/// One market's contract.
#[async_trait::async_trait]
pub trait MarketConnector: Send + Sync + std::fmt::Debug {
    /// Which market.
    fn market(&self) -> Market;

    /// The page of changes after `cursor` (none: from the beginning). A run calls this until
    /// `more` is false, storing `next_cursor` after applying each page.
    async fn pull(&self, cursor: Option<&str>) -> Result<Page, ConnectorError>;

    /// Publishes or updates a listing; returns its id at the market. Calling it again with the
    /// same `local_key` updates the same remote listing.
    async fn push(
        &self,
        listing: &OutgoingListing,
        remote_id: Option<&str>,
    ) -> Result<String, ConnectorError>;

    /// Takes a pushed listing off the market.
    async fn withdraw(&self, kind: ListingKind, remote_id: &str) -> Result<(), ConnectorError>;
}

/// Reads a stored record again (as kept with its source link), for an operator's split.
pub fn reread(market: Market, kind: ListingKind, raw: &str) -> Result<RemoteListing, BadRecord> {
    let value: serde_json::Value = serde_json::from_str(raw).map_err(|e| BadRecord {
        external_id: None,
        raw: raw.to_owned(),
        error: format!("保存的记录无法读取：{e}"),
    })?;
    match market {
        Market::Provincial => provincial::read_record(&value),
        Market::Marine => marine::read_record(kind, &value),
    }
}

/// Maps a maturity word used by Chinese markets to a TRL.
pub(crate) fn trl_of_stage(word: &str) -> Option<i32> {
    let w = word.trim();
    if let Some(n) = w
        .strip_prefix("TRL")
        .or_else(|| w.strip_prefix("trl"))
        .and_then(|n| n.trim().parse::<i32>().ok())
        .filter(|n| (1..=9).contains(n))
    {
        return Some(n);
    }
    match w {
        "研发阶段" | "研发中" | "实验室阶段" => Some(3),
        "小试" | "小试阶段" | "已有样品" => Some(5),
        "中试" | "中试阶段" => Some(6),
        "试生产" | "工程化" => Some(7),
        "量产" | "产业化" | "可量产" => Some(8),
        _ => None,
    }
}

/// Maps a mode word used by Chinese markets.
pub(crate) fn mode_of(word: &str) -> Option<crate::domain::TransferMode> {
    use crate::domain::TransferMode::*;
    Some(match word.trim() {
        "转让" | "技术转让" => Assignment,
        "许可" | "普通许可" | "技术许可" => LicenseNonExclusive,
        "独占许可" => LicenseExclusive,
        "排他许可" => LicenseSole,
        "作价入股" | "作价投资" => Equity,
        "合作开发" | "合作" => JointDevelopment,
        "技术服务" | "技术咨询" => TechnicalService,
        "委托开发" => CommissionedDevelopment,
        _ => return None,
    })
}

/// Checks a GB/T 4754 code against the national table (accepts a name after a space).
pub(crate) fn industry_code(raw: &str) -> Option<String> {
    let code = raw.split_whitespace().next()?.to_ascii_uppercase();
    crate::domain::IndustryCode::parse(&code, "industry")
        .ok()
        .map(|c| c.as_str().to_owned())
}

/// Checks a GB/T 13745 code against the national table.
pub(crate) fn discipline_code(raw: &str) -> Option<String> {
    crate::domain::DisciplineCode::parse(raw.trim(), "discipline")
        .ok()
        .map(|c| c.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn market_words_map_or_say_they_do_not() {
        assert_eq!(trl_of_stage("中试"), Some(6));
        assert_eq!(trl_of_stage("TRL7"), Some(7));
        assert_eq!(trl_of_stage("TRL 12"), None);
        assert_eq!(trl_of_stage("概念阶段"), None);
        assert_eq!(
            mode_of("作价入股"),
            Some(crate::domain::TransferMode::Equity)
        );
        assert_eq!(mode_of("赠与"), None);
        assert_eq!(
            industry_code("C38 电气机械和器材制造业").as_deref(),
            Some("C38")
        );
        assert_eq!(industry_code("Z99"), None);
        assert_eq!(discipline_code("43070").as_deref(), Some("43070"));
        assert_eq!(discipline_code("99999"), None);
    }
}
