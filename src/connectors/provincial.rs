//! 山东科技大市场: JSON over HTTPS, `X-Api-Token` header, opaque cursor over a change feed with
//! tombstones (`status: offline | deleted`). The whole contract is in
//! `docs/connectors/provincial.md`; nothing outside this file knows it.

use super::http::{MarketClient, Resilience, Retry};
use super::{
    BadRecord, ConnectorError, Market, MarketConnector, OutgoingListing, Page, RemoteListing,
    RemoteOwner, discipline_code, industry_code, mode_of, trl_of_stage,
};
use crate::db::outbox::ListingKind;
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Records per page we ask for unless configured.
const PAGE_SIZE: u32 = 200;

/// The provincial market's connector.
#[derive(Debug)]
pub struct Provincial {
    base_url: String,
    token: String,
    page_size: u32,
    client: MarketClient,
}

impl Provincial {
    /// A connector for the market at `base_url` with an API token.
    pub fn new(base_url: &str, token: &str, resilience: Resilience) -> anyhow::Result<Self> {
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            page_size: PAGE_SIZE,
            client: MarketClient::new("山东科技大市场", resilience)?,
        })
    }

    /// Asks for `n` records per page (0 keeps the default; the market allows 1–500).
    pub fn with_page_size(mut self, n: u32) -> Self {
        if n > 0 {
            self.page_size = n.min(500);
        }
        self
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

#[derive(Deserialize)]
struct Feed {
    items: Vec<Value>,
    next_cursor: String,
    has_more: bool,
}

/// A record in the market's own shape (also what the fake market serves).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Record {
    /// Market id.
    #[serde(default)]
    pub id: String,
    /// `achievement` or `demand`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `published`, `offline` or `deleted`.
    pub status: String,
    /// Last change.
    pub updated_at: DateTime<FixedOffset>,
    /// Title.
    pub title: String,
    /// Summary or problem.
    #[serde(default)]
    pub summary: String,
    /// Owner.
    pub owner: Owner,
    /// GB/T 4754 code, perhaps followed by its name.
    #[serde(default)]
    pub industry_code: Option<String>,
    /// GB/T 13745 code.
    #[serde(default)]
    pub discipline_code: Option<String>,
    /// GB/T 2260 code.
    #[serde(default)]
    pub region_code: Option<String>,
    /// 研发阶段 / 小试 / 中试 / 量产 / TRLn.
    #[serde(default)]
    pub maturity: Option<String>,
    /// Keywords.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Patent numbers.
    #[serde(default)]
    pub patents: Vec<String>,
    /// Mode words.
    #[serde(default)]
    pub transfer_modes: Vec<String>,
    /// Price or budget in 万元.
    #[serde(default)]
    pub price_wan: Option<f64>,
}

/// The owner in the market's shape.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Owner {
    /// Name.
    pub name: String,
    /// 统一社会信用代码.
    #[serde(default)]
    pub credit_code: Option<String>,
    /// GB/T 2260 code.
    #[serde(default)]
    pub region_code: Option<String>,
}

/// Reads one feed item; a record that does not fit the contract is bad, not fatal.
pub fn read_record(item: &Value) -> Result<RemoteListing, BadRecord> {
    let raw = item.to_string();
    let bad = |error: String| BadRecord {
        external_id: item["id"].as_str().map(str::to_owned),
        raw: raw.clone(),
        error,
    };
    let r: Record = serde_json::from_value(item.clone())
        .map_err(|e| bad(format!("字段不符合接口约定：{e}")))?;
    if r.id.trim().is_empty() {
        return Err(bad("缺少 id".into()));
    }
    let kind = match r.kind.as_str() {
        "achievement" => ListingKind::Achievement,
        "demand" => ListingKind::Need,
        other => return Err(bad(format!("未知的类型 {other}"))),
    };
    let mut unmapped = Vec::new();
    let mut industries = Vec::new();
    if let Some(raw) = r.industry_code.as_deref().filter(|s| !s.trim().is_empty()) {
        match industry_code(raw) {
            Some(code) => industries.push(code),
            None => unmapped.push(("industry_code".to_owned(), raw.to_owned())),
        }
    }
    let discipline = match r
        .discipline_code
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        Some(raw) => {
            let code = discipline_code(raw);
            if code.is_none() {
                unmapped.push(("discipline_code".to_owned(), raw.to_owned()));
            }
            code
        }
        None => None,
    };
    let trl = match r.maturity.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(word) => {
            let trl = trl_of_stage(word);
            if trl.is_none() {
                unmapped.push(("maturity".to_owned(), word.to_owned()));
            }
            trl
        }
        None => None,
    };
    let mut modes = Vec::new();
    for word in &r.transfer_modes {
        match mode_of(word) {
            Some(m) if !modes.contains(&m) => modes.push(m),
            Some(_) => {}
            None => unmapped.push(("transfer_modes".to_owned(), word.clone())),
        }
    }
    Ok(RemoteListing {
        external_id: r.id.trim().to_owned(),
        kind,
        removed: r.status != "published",
        updated_at: r.updated_at.with_timezone(&Utc),
        title: r.title,
        text: r.summary,
        owner: RemoteOwner {
            name: r.owner.name,
            credit_code: r.owner.credit_code,
            region: r.owner.region_code.or(r.region_code),
        },
        industries,
        discipline,
        trl,
        keywords: r.keywords,
        patents: r.patents,
        modes,
        price_yuan: r
            .price_wan
            .filter(|w| w.is_finite() && *w >= 0.0)
            .map(|w| (w * 10_000.0).round() as i64),
        unmapped,
        raw,
    })
}

fn outgoing_record(l: &OutgoingListing) -> Value {
    serde_json::json!({
        "type": match l.kind { ListingKind::Achievement => "achievement", ListingKind::Need => "demand" },
        "status": "published",
        "updated_at": Utc::now().fixed_offset(),
        "title": l.title,
        "summary": l.text,
        "owner": { "name": l.owner_name, "credit_code": l.owner_credit_code, "region_code": l.region },
        "industry_code": l.industries.first(),
        "discipline_code": l.discipline,
        "region_code": l.region,
        "maturity": l.trl.map(|t| format!("TRL{t}")),
        "keywords": l.keywords,
    })
}

async fn error_of(resp: reqwest::Response) -> ConnectorError {
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    let message = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| {
            v["message"]
                .as_str()
                .or(v["error"].as_str())
                .map(str::to_owned)
        })
        .unwrap_or(body);
    match status {
        401 | 403 => ConnectorError::Unauthorized(message),
        _ => ConnectorError::Rejected(format!("HTTP {status}：{message}")),
    }
}

#[async_trait::async_trait]
impl MarketConnector for Provincial {
    fn market(&self) -> Market {
        Market::Provincial
    }

    async fn pull(&self, cursor: Option<&str>) -> Result<Page, ConnectorError> {
        let url = self.url("/api/v1/changes");
        let limit = self.page_size.to_string();
        let resp = self
            .client
            .send(
                || {
                    let mut q = vec![("limit", limit.as_str())];
                    if let Some(c) = cursor {
                        q.push(("cursor", c));
                    }
                    self.client
                        .http()
                        .get(&url)
                        .header("X-Api-Token", &self.token)
                        .query(&q)
                },
                Retry::Idempotent,
            )
            .await?;
        if !resp.status().is_success() {
            return Err(error_of(resp).await);
        }
        let body = resp
            .bytes()
            .await
            .map_err(|e| ConnectorError::Unavailable(e.to_string()))?;
        let feed: Feed = serde_json::from_slice(&body)
            .map_err(|e| ConnectorError::Malformed(format!("变更列表：{e}")))?;
        let mut page = Page {
            next_cursor: feed.next_cursor,
            more: feed.has_more,
            ..Default::default()
        };
        for item in &feed.items {
            match read_record(item) {
                Ok(r) => page.records.push(r),
                Err(b) => page.bad.push(b),
            }
        }
        Ok(page)
    }

    async fn push(
        &self,
        listing: &OutgoingListing,
        remote_id: Option<&str>,
    ) -> Result<String, ConnectorError> {
        let body = outgoing_record(listing);
        let resp = match remote_id {
            Some(id) => {
                let url = self.url(&format!("/api/v1/listings/{id}"));
                self.client
                    .send(
                        || {
                            self.client
                                .http()
                                .put(&url)
                                .header("X-Api-Token", &self.token)
                                .json(&body)
                        },
                        Retry::Idempotent,
                    )
                    .await?
            }
            None => {
                let url = self.url("/api/v1/listings");
                self.client
                    .send(
                        || {
                            self.client
                                .http()
                                .post(&url)
                                .header("X-Api-Token", &self.token)
                                .header("Idempotency-Key", &listing.local_key)
                                .json(&body)
                        },
                        // The idempotency key makes a repeated publish harmless.
                        Retry::Idempotent,
                    )
                    .await?
            }
        };
        if !resp.status().is_success() {
            return Err(error_of(resp).await);
        }
        match remote_id {
            Some(id) => Ok(id.to_owned()),
            None => {
                let v: Value = resp
                    .json()
                    .await
                    .map_err(|e| ConnectorError::Malformed(e.to_string()))?;
                v["id"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| ConnectorError::Malformed("发布结果缺少 id".into()))
            }
        }
    }

    async fn withdraw(&self, _kind: ListingKind, remote_id: &str) -> Result<(), ConnectorError> {
        let url = self.url(&format!("/api/v1/listings/{remote_id}"));
        let resp = self
            .client
            .send(
                || {
                    self.client
                        .http()
                        .delete(&url)
                        .header("X-Api-Token", &self.token)
                },
                Retry::Idempotent,
            )
            .await?;
        if resp.status().is_success() || resp.status().as_u16() == 404 {
            Ok(())
        } else {
            Err(error_of(resp).await)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_record_maps_to_our_codes_and_reports_what_it_cannot_map() {
        let item = json!({
            "id": "SD-ACH-000001", "type": "achievement", "status": "published",
            "updated_at": "2026-11-20T08:00:00+08:00",
            "title": "海藻酸盐敷料制备技术", "summary": "以褐藻酸钠为原料制备医用敷料。",
            "owner": { "name": "青岛某大学", "credit_code": "12370212442710368C", "region_code": "370212" },
            "industry_code": "C27 医药制造业", "discipline_code": "35010", "maturity": "概念验证",
            "keywords": ["海藻酸盐"], "patents": ["ZL202310123456.6"],
            "transfer_modes": ["许可", "赠与"], "price_wan": 35.5
        });
        let r = read_record(&item).unwrap();
        assert_eq!(r.kind, ListingKind::Achievement);
        assert!(!r.removed);
        assert_eq!(r.industries, ["C27"]);
        assert_eq!(r.price_yuan, Some(355_000));
        assert_eq!(r.trl, None);
        assert_eq!(
            r.unmapped,
            [
                ("maturity".to_owned(), "概念验证".to_owned()),
                ("transfer_modes".to_owned(), "赠与".to_owned())
            ]
        );
        assert_eq!(r.updated_at.to_rfc3339(), "2026-11-20T00:00:00+00:00");
        let mut offline = item.clone();
        offline["status"] = json!("offline");
        assert!(
            read_record(&offline).unwrap().removed,
            "offline is the deletion signal"
        );
    }

    #[test]
    fn a_record_missing_its_fields_is_bad_not_fatal() {
        let bad = read_record(&json!({ "id": "SD-ACH-9", "type": "achievement" })).unwrap_err();
        assert_eq!(bad.external_id.as_deref(), Some("SD-ACH-9"));
        assert!(bad.error.contains("字段不符合接口约定"), "{}", bad.error);
        let bad = read_record(&json!({
            "id": "SD-X-1", "type": "patent", "status": "published",
            "updated_at": "2026-11-20T08:00:00+08:00", "title": "x",
            "owner": { "name": "x" }
        }))
        .unwrap_err();
        assert_eq!(bad.error, "未知的类型 patent");
    }
}
