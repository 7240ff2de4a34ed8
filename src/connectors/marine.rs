//! 全国海洋科技大市场: an "open platform" JSON API with an app key and an HMAC-SHA256-signed
//! query, page numbers over an inclusive `updatedSince` window, Beijing-time timestamps,
//! errors inside HTTP 200 envelopes, and deletions on their own feed. The whole contract is in
//! `docs/connectors/marine.md`; nothing outside this file knows it.

use super::http::{MarketClient, Resilience, Retry};
use super::{
    BadRecord, ConnectorError, Market, MarketConnector, OutgoingListing, Page, RemoteListing,
    RemoteOwner, discipline_code, mode_of,
};
use crate::db::outbox::ListingKind;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

/// Records per page we ask for unless configured.
const PAGE_SIZE: usize = 100;
/// The market's time format (Beijing time, no offset).
const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";
/// Where a first sync starts.
const EPOCH: &str = "2000-01-01 00:00:00";

/// The market's own marine categories (海洋产业分类) and the GB/T 4754-2017 division each
/// belongs to. A category not in this table is reported as unmapped, never guessed.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("海洋生物医药", "C27"),
    ("海洋装备", "C37"),
    ("海洋新材料", "C30"),
    ("海水淡化与综合利用", "D46"),
    ("海洋能源", "D44"),
    ("海洋信息", "I65"),
    ("现代海洋渔业", "A04"),
    ("海洋环境保护", "N77"),
];

/// The marine market's connector.
#[derive(Debug)]
pub struct Marine {
    base_url: String,
    app_key: String,
    app_secret: String,
    page_size: usize,
    client: MarketClient,
}

/// Which feed a sync pass is reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Phase {
    Achievement,
    Demand,
    Deleted,
}

/// Where a sync stands: the window start of each feed (the largest update time of the last
/// completed pass, read again inclusively), and the position inside the current pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Cursor {
    phase: Phase,
    page: usize,
    achievement: String,
    demand: String,
    deleted: String,
    /// Largest update time seen in the current feed so far.
    seen: String,
}

impl Default for Cursor {
    fn default() -> Self {
        Self {
            phase: Phase::Achievement,
            page: 1,
            achievement: EPOCH.into(),
            demand: EPOCH.into(),
            deleted: EPOCH.into(),
            seen: EPOCH.into(),
        }
    }
}

impl Cursor {
    fn since(&self) -> &str {
        match self.phase {
            Phase::Achievement => &self.achievement,
            Phase::Demand => &self.demand,
            Phase::Deleted => &self.deleted,
        }
    }

    /// Ends the current feed: its window moves to the largest time seen; returns false after
    /// the last feed (the pass is complete).
    fn finish_feed(&mut self) -> bool {
        let seen = std::mem::replace(&mut self.seen, EPOCH.into());
        let (slot, next) = match self.phase {
            Phase::Achievement => (&mut self.achievement, Some(Phase::Demand)),
            Phase::Demand => (&mut self.demand, Some(Phase::Deleted)),
            Phase::Deleted => (&mut self.deleted, None),
        };
        if seen > *slot {
            *slot = seen;
        }
        self.page = 1;
        match next {
            Some(p) => {
                self.phase = p;
                true
            }
            None => {
                self.phase = Phase::Achievement;
                false
            }
        }
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay as they are); the
/// signature covers exactly the string that is sent.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The canonical query (sorted by name, values encoded) and its signature.
pub fn signed_query(params: &[(&str, String)], secret: &str) -> String {
    let mut sorted: Vec<(&str, String)> = params.to_vec();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let canonical = sorted
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    format!("{canonical}&sign={}", sign(&canonical, secret))
}

/// HMAC-SHA256 of the canonical query, lower-case hex.
pub fn sign(canonical: &str, secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(canonical.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Beijing time as the market writes it → UTC.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(s.trim(), TIME_FORMAT).ok()?;
    chrono::FixedOffset::east_opt(8 * 3600)?
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// UTC → Beijing time as the market writes it.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("+8"))
        .format(TIME_FORMAT)
        .to_string()
}

fn text(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| v[*k].as_str())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// Reads one record of the `achievement` or `demand` feed.
pub fn read_record(kind: ListingKind, item: &Value) -> Result<RemoteListing, BadRecord> {
    let raw = item.to_string();
    let id = text(item, &["cgId", "xqId"]);
    let bad = |error: &str| BadRecord {
        external_id: id.clone(),
        raw: raw.clone(),
        error: error.to_owned(),
    };
    let id = id.clone().ok_or_else(|| bad("缺少 cgId/xqId"))?;
    let title = text(item, &["cgName", "xqName"]).ok_or_else(|| bad("缺少名称"))?;
    let updated_at = text(item, &["gxsj"])
        .and_then(|t| parse_time(&t))
        .ok_or_else(|| bad("gxsj 不是 yyyy-MM-dd HH:mm:ss 格式的时间"))?;
    let removed = match item["zt"].as_str().map(str::trim) {
        Some("1") => false,
        Some("0") => true,
        _ => return Err(bad("zt 只能是 \"1\"（上架）或 \"0\"（下架）")),
    };
    let mut unmapped = Vec::new();
    let mut industries = Vec::new();
    if let Some(category) = text(item, &["hyFl"]) {
        match CATEGORIES.iter().find(|(name, _)| *name == category) {
            Some((_, code)) => industries.push((*code).to_owned()),
            None => unmapped.push(("hyFl".to_owned(), category)),
        }
    }
    let discipline = match text(item, &["xkCode"]) {
        Some(raw) => {
            let code = discipline_code(&raw);
            if code.is_none() {
                unmapped.push(("xkCode".to_owned(), raw));
            }
            code
        }
        None => None,
    };
    let trl = match text(item, &["jsCsd"]) {
        Some(raw) => {
            let trl = raw.parse::<i32>().ok().filter(|t| (1..=9).contains(t));
            if trl.is_none() {
                unmapped.push(("jsCsd".to_owned(), raw));
            }
            trl
        }
        None => None,
    };
    let split = |s: Option<String>, seps: &[char]| -> Vec<String> {
        s.map(|s| {
            s.split(seps)
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
    };
    let mut modes = Vec::new();
    for word in split(text(item, &["zrFs"]), &[',', '，', ';', '；']) {
        match mode_of(&word) {
            Some(m) if !modes.contains(&m) => modes.push(m),
            Some(_) => {}
            None => unmapped.push(("zrFs".to_owned(), word)),
        }
    }
    Ok(RemoteListing {
        external_id: id,
        kind,
        removed,
        updated_at,
        title,
        text: text(item, &["cgAbstract", "xqDesc"]).unwrap_or_default(),
        owner: RemoteOwner {
            name: text(item, &["unitName"]).unwrap_or_default(),
            credit_code: text(item, &["unitCreditCode"]),
            region: text(item, &["areaCode"]),
        },
        industries,
        discipline,
        trl,
        keywords: split(text(item, &["gjc"]), &[',', '，']),
        patents: split(text(item, &["zlh"]), &[';', '；']),
        modes,
        price_yuan: None,
        unmapped,
        raw,
    })
}

impl Marine {
    /// A connector for the market at `base_url` with an app key and secret.
    pub fn new(
        base_url: &str,
        app_key: &str,
        app_secret: &str,
        resilience: Resilience,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            app_key: app_key.to_owned(),
            app_secret: app_secret.to_owned(),
            page_size: PAGE_SIZE,
            client: MarketClient::new("海洋科技大市场", resilience)?,
        })
    }

    /// Asks for `n` records per page (0 keeps the default; the market allows 1–200).
    pub fn with_page_size(mut self, n: u32) -> Self {
        if n > 0 {
            self.page_size = (n as usize).min(200);
        }
        self
    }

    /// Calls `path` with a signed query and returns the envelope's `data`.
    async fn call(
        &self,
        path: &str,
        params: Vec<(&str, String)>,
        body: Option<&Value>,
        retry: Retry,
    ) -> Result<Value, ConnectorError> {
        let build = || {
            let mut params = params.clone();
            params.push(("appKey", self.app_key.clone()));
            params.push(("timestamp", Utc::now().timestamp().to_string()));
            let url = format!(
                "{}{path}?{}",
                self.base_url,
                signed_query(&params, &self.app_secret)
            );
            match body {
                Some(b) => self.client.http().post(url).json(b),
                None => self.client.http().get(url),
            }
        };
        let resp = self.client.send(build, retry).await?;
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .await
            .map_err(|e| ConnectorError::Unavailable(e.to_string()))?;
        let envelope: Value = serde_json::from_str(&text)
            .map_err(|e| ConnectorError::Malformed(format!("HTTP {status}，响应不是 JSON：{e}")))?;
        let message = envelope["msg"].as_str().unwrap_or_default().to_owned();
        match envelope["code"].as_i64() {
            Some(0) => Ok(envelope["data"].clone()),
            Some(4001) => Err(ConnectorError::Unauthorized(message)),
            Some(4290) | Some(5000) => Err(ConnectorError::Unavailable(message)),
            Some(code) => Err(ConnectorError::Rejected(format!("{code} {message}"))),
            None => Err(ConnectorError::Malformed("响应缺少 code".into())),
        }
    }

    /// Like [`Marine::call`], but a `4290`/`5000` envelope (HTTP 200) is retried as well.
    async fn call_with_retries(
        &self,
        path: &str,
        params: Vec<(&str, String)>,
    ) -> Result<Value, ConnectorError> {
        let mut last = None;
        for _ in 0..3 {
            match self
                .call(path, params.clone(), None, Retry::Idempotent)
                .await
            {
                Err(ConnectorError::Unavailable(m)) => last = Some(m),
                other => return other,
            }
        }
        Err(ConnectorError::Unavailable(last.unwrap_or_default()))
    }
}

#[async_trait::async_trait]
impl MarketConnector for Marine {
    fn market(&self) -> Market {
        Market::Marine
    }

    async fn pull(&self, cursor: Option<&str>) -> Result<Page, ConnectorError> {
        let mut c: Cursor = match cursor {
            Some(s) => serde_json::from_str(s)
                .map_err(|e| ConnectorError::Malformed(format!("同步游标无法读取：{e}")))?,
            None => Cursor::default(),
        };
        let mut page = Page::default();
        let since = c.since().to_owned();
        let fetched = match c.phase {
            Phase::Deleted => {
                let data = self
                    .call_with_retries("/open/deleted", vec![("since", since)])
                    .await?;
                let list = data
                    .as_array()
                    .ok_or_else(|| ConnectorError::Malformed("删除列表不是数组".into()))?;
                for item in list {
                    let id = item["id"].as_str().unwrap_or_default().trim().to_owned();
                    let at = item["scsj"].as_str().and_then(parse_time);
                    let kind = if id.starts_with("HY-XQ-") {
                        Some(ListingKind::Need)
                    } else if id.starts_with("HY-CG-") {
                        Some(ListingKind::Achievement)
                    } else {
                        None
                    };
                    match (kind, at) {
                        (Some(kind), Some(at)) => {
                            let seen = format_time(at);
                            if seen > c.seen {
                                c.seen = seen;
                            }
                            page.records.push(RemoteListing {
                                external_id: id,
                                kind,
                                removed: true,
                                updated_at: at,
                                title: String::new(),
                                text: String::new(),
                                owner: RemoteOwner {
                                    name: String::new(),
                                    credit_code: None,
                                    region: None,
                                },
                                industries: Vec::new(),
                                discipline: None,
                                trl: None,
                                keywords: Vec::new(),
                                patents: Vec::new(),
                                modes: Vec::new(),
                                price_yuan: None,
                                unmapped: Vec::new(),
                                raw: item.to_string(),
                            });
                        }
                        _ => page.bad.push(BadRecord {
                            external_id: Some(id).filter(|s| !s.is_empty()),
                            raw: item.to_string(),
                            error: "删除记录缺少可识别的 id 或 scsj".into(),
                        }),
                    }
                }
                // The deleted feed is not paged.
                0
            }
            phase => {
                let (path, kind) = match phase {
                    Phase::Achievement => ("/open/achievement/list", ListingKind::Achievement),
                    _ => ("/open/demand/list", ListingKind::Need),
                };
                let data = self
                    .call_with_retries(
                        path,
                        vec![
                            ("updatedSince", since),
                            ("page", c.page.to_string()),
                            ("pageSize", self.page_size.to_string()),
                        ],
                    )
                    .await?;
                let list = data["list"]
                    .as_array()
                    .ok_or_else(|| ConnectorError::Malformed("data.list 不是数组".into()))?;
                for item in list {
                    match read_record(kind, item) {
                        Ok(r) => {
                            let seen = format_time(r.updated_at);
                            if seen > c.seen {
                                c.seen = seen;
                            }
                            page.records.push(r);
                        }
                        Err(b) => page.bad.push(b),
                    }
                }
                list.len()
            }
        };
        if fetched == self.page_size {
            c.page += 1;
            page.more = true;
        } else {
            page.more = c.finish_feed();
        }
        page.next_cursor = serde_json::to_string(&c).expect("cursor serialises");
        Ok(page)
    }

    async fn push(
        &self,
        listing: &OutgoingListing,
        _remote_id: Option<&str>,
    ) -> Result<String, ConnectorError> {
        let (path, name, abstract_key) = match listing.kind {
            ListingKind::Achievement => ("/open/achievement/save", "cgName", "cgAbstract"),
            ListingKind::Need => ("/open/demand/save", "xqName", "xqDesc"),
        };
        let category = listing.industries.iter().find_map(|code| {
            CATEGORIES
                .iter()
                .find(|(_, division)| code.starts_with(division))
                .map(|(name, _)| *name)
        });
        let body = serde_json::json!({
            "outerId": listing.local_key,
            name: listing.title,
            abstract_key: listing.text,
            "unitName": listing.owner_name,
            "unitCreditCode": listing.owner_credit_code,
            "areaCode": listing.region,
            "hyFl": category,
            "xkCode": listing.discipline,
            "jsCsd": listing.trl.map(|t| t.to_string()),
            "gjc": listing.keywords.join(","),
        });
        // Saving again with the same outerId updates the same record, so retrying is safe.
        let data = self
            .call(path, Vec::new(), Some(&body), Retry::Idempotent)
            .await?;
        data["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| ConnectorError::Malformed("保存结果缺少 id".into()))
    }

    async fn withdraw(&self, kind: ListingKind, remote_id: &str) -> Result<(), ConnectorError> {
        let path = match kind {
            ListingKind::Achievement => "/open/achievement/offShelf",
            ListingKind::Need => "/open/demand/offShelf",
        };
        self.call(
            path,
            vec![("id", remote_id.to_owned())],
            Some(&serde_json::json!({})),
            Retry::Idempotent,
        )
        .await
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_signature_covers_the_sorted_encoded_query() {
        let q = signed_query(
            &[
                ("updatedSince", "2026-11-01 00:00:00".into()),
                ("appKey", "qx".into()),
                ("page", "1".into()),
            ],
            "secret",
        );
        let (canonical, sig) = q.rsplit_once("&sign=").unwrap();
        assert_eq!(
            canonical,
            "appKey=qx&page=1&updatedSince=2026-11-01%2000%3A00%3A00"
        );
        assert_eq!(sig, sign(canonical, "secret"));
        assert_eq!(sig.len(), 64);
        assert_ne!(sig, sign(canonical, "other"));
    }

    #[test]
    fn beijing_time_round_trips_through_utc() {
        let t = parse_time("2026-11-20 08:00:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-20T00:00:00+00:00");
        assert_eq!(format_time(t), "2026-11-20 08:00:00");
        assert!(parse_time("2026/11/20").is_none());
    }

    #[test]
    fn categories_map_to_divisions_and_unknown_ones_are_reported() {
        for (_, code) in CATEGORIES {
            assert!(crate::codes::industries().get(code).is_some(), "{code}");
        }
        let r = read_record(
            ListingKind::Achievement,
            &json!({ "cgId": "HY-CG-1", "cgName": "海参育苗技术", "cgAbstract": "…", "unitName": "某所",
                     "hyFl": "海洋牧场", "jsCsd": "十", "gjc": "海参，育苗", "zlh": "ZL1;ZL2",
                     "zt": "1", "gxsj": "2026-11-20 08:00:00" }),
        )
        .unwrap();
        assert!(r.industries.is_empty());
        assert_eq!(r.keywords, ["海参", "育苗"]);
        assert_eq!(r.patents, ["ZL1", "ZL2"]);
        assert_eq!(
            r.unmapped,
            [
                ("hyFl".to_owned(), "海洋牧场".to_owned()),
                ("jsCsd".to_owned(), "十".to_owned())
            ]
        );
        let bad = read_record(
            ListingKind::Need,
            &json!({ "xqId": "HY-XQ-2", "xqName": "x", "zt": "2", "gxsj": "2026-11-20 08:00:00" }),
        )
        .unwrap_err();
        assert!(bad.error.contains("zt"));
    }

    #[test]
    fn a_pass_walks_the_feeds_and_moves_each_window_to_what_it_saw() {
        let mut c = Cursor {
            seen: "2026-11-20 08:00:00".into(),
            ..Default::default()
        };
        assert!(c.finish_feed());
        assert_eq!(
            (c.phase, c.achievement.as_str()),
            (Phase::Demand, "2026-11-20 08:00:00")
        );
        assert!(c.finish_feed(), "nothing seen keeps the window");
        assert_eq!(c.demand, EPOCH);
        assert!(
            !c.finish_feed(),
            "after the deleted feed the pass is complete"
        );
        assert_eq!(c.phase, Phase::Achievement);
    }
}
