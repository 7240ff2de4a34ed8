//! Fake markets: each serves its contract (`docs/connectors/*.md`) from generated listings, with
//! fault injection, for tests and for watching a sync by hand (`qianxian fake-market`).
//!
//! Besides the market's own endpoints, both fakes answer a small control API:
//! `POST /_faults` (replace the [`Faults`]), `POST /_records` (add or change records, in the
//! market's own shape), `POST /_remove` (`{"id", "how": "offline" | "deleted"}`),
//! `GET /_stats` and `GET /_records/{id}`.

use super::Market;
use super::marine::{self, CATEGORIES};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// Faults the fake injects. Counters (`*_next`) apply to the next requests to the market's own
/// endpoints, so tests are exact; `fail_rate` is random, for demos.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Faults {
    /// Answer the next N requests with 503.
    pub fail_next: u32,
    /// Stall the next N requests for `stall_ms` before answering.
    pub timeout_next: u32,
    /// How long a stall lasts.
    pub stall_ms: u64,
    /// Answer the next N requests with 429 and `Retry-After: retry_after_secs`.
    pub rate_limit_next: u32,
    /// Seconds in `Retry-After`.
    pub retry_after_secs: u64,
    /// Answer the next N requests with 200 and a body that is not JSON.
    pub garbage_next: u32,
    /// Every n-th record of a page is malformed (0: none).
    pub malformed_every: u32,
    /// Each page repeats the last record of the page before it.
    pub duplicate_pages: bool,
    /// Records inside a page come in reverse order.
    pub shuffle: bool,
    /// Share of requests answered 503 at random (0..1).
    pub fail_rate: f64,
    /// The market is down: every request answers 503 until the faults are replaced.
    pub down: bool,
    /// After this many more requests succeed, the market goes down (0: never).
    pub down_after: u32,
}

/// What the fake has been asked.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Stats {
    /// Requests to the market's endpoints.
    pub requests: u64,
    /// Requests answered with an injected fault.
    pub faults: u64,
    /// Listings created or updated through the push endpoints.
    pub pushes: u64,
    /// Listings taken down through the push endpoints.
    pub withdrawals: u64,
}

/// Credentials the fake accepts.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The provincial API token.
    pub token: String,
    /// The marine app key.
    pub app_key: String,
    /// The marine app secret.
    pub app_secret: String,
}

impl Default for Credentials {
    fn default() -> Self {
        Self {
            token: "fake-provincial-token".into(),
            app_key: "qianxian".into(),
            app_secret: "fake-marine-secret".into(),
        }
    }
}

#[derive(Debug, Default)]
struct Store {
    /// id → (change sequence, record).
    records: BTreeMap<String, (u64, Value)>,
    next_seq: u64,
    /// Marine hard deletions: (id, Beijing time).
    deleted: Vec<(String, String)>,
    /// Idempotency key / outer id → remote id.
    pushed: HashMap<String, String>,
}

struct FakeState {
    market: Market,
    credentials: Credentials,
    store: Mutex<Store>,
    faults: Mutex<Faults>,
    stats: Mutex<Stats>,
    random: Mutex<u64>,
}

type Shared = Arc<FakeState>;

/// A fake market's router, holding `listings` generated records.
pub fn router(
    market: Market,
    listings: usize,
    seed: u64,
    credentials: Credentials,
    faults: Faults,
) -> Router {
    let mut store = Store::default();
    for record in generate(market, listings, seed) {
        store.next_seq += 1;
        let id = record_id(market, &record);
        store.records.insert(id, (store.next_seq, record));
    }
    let state: Shared = Arc::new(FakeState {
        market,
        credentials,
        store: Mutex::new(store),
        faults: Mutex::new(faults),
        stats: Mutex::new(Stats::default()),
        random: Mutex::new(seed | 1),
    });
    let control = Router::new()
        .route("/_faults", post(set_faults))
        .route("/_records", post(put_records))
        .route("/_records/{id}", get(get_record))
        .route("/_remove", post(remove_record))
        .route("/_stats", get(stats));
    let market_routes = match market {
        Market::Provincial => Router::new()
            .route("/api/v1/changes", get(provincial_changes))
            .route("/api/v1/listings", post(provincial_create))
            .route(
                "/api/v1/listings/{id}",
                axum::routing::put(provincial_update).delete(provincial_delete),
            ),
        Market::Marine => Router::new()
            .route("/open/{kind}/list", get(marine_list))
            .route("/open/deleted", get(marine_deleted))
            .route("/open/{kind}/save", post(marine_save))
            .route("/open/{kind}/offShelf", post(marine_off_shelf)),
    };
    let market_routes =
        market_routes.route_layer(axum::middleware::from_fn_with_state(state.clone(), gate));
    control.merge(market_routes).with_state(state)
}

fn record_id(market: Market, record: &Value) -> String {
    let keys: &[&str] = match market {
        Market::Provincial => &["id"],
        Market::Marine => &["cgId", "xqId"],
    };
    keys.iter()
        .find_map(|k| record[*k].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Applies the injected faults to one market request; `Some` is the faulty answer.
async fn fault(state: &FakeState) -> Option<Response> {
    let (stall, answer) = {
        let mut f = lock(&state.faults);
        lock(&state.stats).requests += 1;
        let roll = {
            let mut r = lock(&state.random);
            *r ^= *r << 13;
            *r ^= *r >> 7;
            *r ^= *r << 17;
            (*r % 10_000) as f64 / 10_000.0
        };
        let down_now = if f.down {
            true
        } else {
            if f.down_after > 0 {
                f.down_after -= 1;
                // This request still succeeds; the ones after it fail.
                f.down = f.down_after == 0;
            }
            false
        };
        if down_now {
            (
                None,
                Some((StatusCode::SERVICE_UNAVAILABLE, None, "market down")),
            )
        } else if f.timeout_next > 0 {
            f.timeout_next -= 1;
            (Some(f.stall_ms), None)
        } else if f.fail_next > 0 || roll < f.fail_rate {
            f.fail_next = f.fail_next.saturating_sub(1);
            (
                None,
                Some((
                    StatusCode::SERVICE_UNAVAILABLE,
                    None,
                    "market under maintenance",
                )),
            )
        } else if f.rate_limit_next > 0 {
            f.rate_limit_next -= 1;
            (
                None,
                Some((
                    StatusCode::TOO_MANY_REQUESTS,
                    Some(f.retry_after_secs),
                    "slow down",
                )),
            )
        } else if f.garbage_next > 0 {
            f.garbage_next -= 1;
            (None, Some((StatusCode::OK, None, "<html>网关错误</html>")))
        } else {
            (None, None)
        }
    };
    if let Some(ms) = stall {
        lock(&state.stats).faults += 1;
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        return None;
    }
    let (status, retry_after, body) = answer?;
    lock(&state.stats).faults += 1;
    let mut resp = (status, body.to_owned()).into_response();
    if let Some(secs) = retry_after
        && let Ok(v) = secs.to_string().parse()
    {
        resp.headers_mut()
            .insert(axum::http::header::RETRY_AFTER, v);
    }
    Some(resp)
}

/// The records of one page after the page-shape faults.
fn shape_page(
    state: &FakeState,
    mut items: Vec<Value>,
    previous_last: Option<Value>,
) -> Vec<Value> {
    let f = lock(&state.faults).clone();
    if f.malformed_every > 0 {
        for (i, item) in items.iter_mut().enumerate() {
            if (i as u32 + 1).is_multiple_of(f.malformed_every) {
                match state.market {
                    Market::Provincial => item["updated_at"] = json!("昨天"),
                    Market::Marine => item["zt"] = json!("?"),
                }
            }
        }
    }
    if f.duplicate_pages
        && let Some(prev) = previous_last
    {
        items.insert(0, prev);
    }
    if f.shuffle {
        items.reverse();
    }
    items
}

#[derive(Deserialize)]
struct ChangesQuery {
    cursor: Option<String>,
    limit: Option<usize>,
}

async fn provincial_changes(
    State(state): State<Shared>,
    Query(q): Query<ChangesQuery>,
) -> Response {
    let after = match q.cursor.as_deref() {
        None => 0,
        Some(c) => match c.strip_prefix("c_").and_then(|n| n.parse::<u64>().ok()) {
            Some(n) => n,
            None => {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({ "error": "bad_cursor", "message": "cursor 无效" })),
                )
                    .into_response();
            }
        },
    };
    let limit = q.limit.unwrap_or(200).clamp(1, 500);
    let (items, next, more, previous_last) = {
        let store = lock(&state.store);
        let mut changes: Vec<&(u64, Value)> = store
            .records
            .values()
            .filter(|(seq, _)| *seq > after)
            .collect();
        changes.sort_by_key(|(seq, _)| *seq);
        let more = changes.len() > limit;
        let page: Vec<&(u64, Value)> = changes.into_iter().take(limit).collect();
        let next = page.last().map_or(after, |(seq, _)| *seq);
        let previous_last = store
            .records
            .values()
            .filter(|(seq, _)| *seq == after)
            .map(|(_, v)| v.clone())
            .next();
        (
            page.into_iter().map(|(_, v)| v.clone()).collect::<Vec<_>>(),
            next,
            more,
            previous_last,
        )
    };
    let items = shape_page(&state, items, previous_last);
    Json(json!({ "items": items, "next_cursor": format!("c_{next:012}"), "has_more": more }))
        .into_response()
}

/// Every market request passes here first: the injected faults, then the market's own
/// authentication (the provincial API token, the marine signature).
async fn gate(
    State(state): State<Shared>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let Some(resp) = fault(&state).await {
        return resp;
    }
    let refusal = match state.market {
        Market::Provincial => provincial_refusal(&state, request.headers()),
        Market::Marine => {
            let params = Query::<HashMap<String, String>>::try_from_uri(request.uri())
                .map(|q| q.0)
                .unwrap_or_default();
            marine_refusal(&state, &params)
        }
    };
    match refusal {
        Some(resp) => resp,
        None => next.run(request).await,
    }
}

/// Checks the provincial API token; `None` when valid.
fn provincial_refusal(state: &FakeState, headers: &HeaderMap) -> Option<Response> {
    let token = headers.get("X-Api-Token").and_then(|v| v.to_str().ok());
    (token != Some(state.credentials.token.as_str())).then(|| {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid_token", "message": "API token 无效" })),
        )
            .into_response()
    })
}

async fn provincial_create(
    State(state): State<Shared>,
    headers: HeaderMap,
    Json(mut record): Json<Value>,
) -> Response {
    let key = headers
        .get("Idempotency-Key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut store = lock(&state.store);
    if let Some(id) = store.pushed.get(&key).filter(|_| !key.is_empty()) {
        return (StatusCode::CREATED, Json(json!({ "id": id }))).into_response();
    }
    let prefix = if record["type"] == "demand" {
        "SD-DEM"
    } else {
        "SD-ACH"
    };
    let id = format!("{prefix}-Q{:06}", store.pushed.len() + 1);
    record["id"] = json!(id);
    store.next_seq += 1;
    let seq = store.next_seq;
    store.records.insert(id.clone(), (seq, record));
    store.pushed.insert(key, id.clone());
    lock(&state.stats).pushes += 1;
    (StatusCode::CREATED, Json(json!({ "id": id }))).into_response()
}

async fn provincial_update(
    State(state): State<Shared>,
    Path(id): Path<String>,
    Json(mut record): Json<Value>,
) -> Response {
    let mut store = lock(&state.store);
    if !store.records.contains_key(&id) {
        return (StatusCode::NOT_FOUND, Json(json!({ "error": "not_found" }))).into_response();
    }
    record["id"] = json!(id);
    store.next_seq += 1;
    let seq = store.next_seq;
    store.records.insert(id, (seq, record));
    lock(&state.stats).pushes += 1;
    Json(json!({})).into_response()
}

async fn provincial_delete(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    let mut store = lock(&state.store);
    store.next_seq += 1;
    let seq = store.next_seq;
    match store.records.get_mut(&id) {
        Some(entry) => {
            entry.0 = seq;
            entry.1["status"] = json!("offline");
            lock(&state.stats).withdrawals += 1;
            Json(json!({})).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Checks the marine signature; `None` when valid.
fn marine_refusal(state: &FakeState, params: &HashMap<String, String>) -> Option<Response> {
    let envelope = |code: i64, msg: &str| {
        Json(json!({ "code": code, "msg": msg, "data": null })).into_response()
    };
    if params.get("appKey") != Some(&state.credentials.app_key) {
        return Some(envelope(4001, "appKey 无效"));
    }
    let fresh = params
        .get("timestamp")
        .and_then(|t| t.parse::<i64>().ok())
        .is_some_and(|t| (Utc::now().timestamp() - t).abs() <= 300);
    if !fresh {
        return Some(envelope(4001, "时间戳过期"));
    }
    let mut pairs: Vec<(&str, String)> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "sign")
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let canonical = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", marine::encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    if params.get("sign").map(String::as_str)
        != Some(marine::sign(&canonical, &state.credentials.app_secret).as_str())
    {
        return Some(envelope(4001, "签名错误"));
    }
    None
}

fn marine_kind(kind: &str) -> Option<(&'static str, &'static str)> {
    match kind {
        "achievement" => Some(("cgId", "HY-CG-")),
        "demand" => Some(("xqId", "HY-XQ-")),
        _ => None,
    }
}

async fn marine_list(
    State(state): State<Shared>,
    Path(kind): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some((id_key, _)) = marine_kind(&kind) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let since = params.get("updatedSince").cloned().unwrap_or_default();
    let page: usize = params
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let size: usize = params
        .get("pageSize")
        .and_then(|p| p.parse().ok())
        .unwrap_or(100)
        .clamp(1, 200);
    let (total, list, previous_last) = {
        let store = lock(&state.store);
        let mut matching: Vec<&Value> = store
            .records
            .values()
            .map(|(_, v)| v)
            .filter(|v| v.get(id_key).is_some())
            .filter(|v| v["gxsj"].as_str().unwrap_or_default() >= since.as_str())
            .collect();
        matching.sort_by(|a, b| {
            a["gxsj"]
                .as_str()
                .cmp(&b["gxsj"].as_str())
                .then(a[id_key].as_str().cmp(&b[id_key].as_str()))
        });
        let start = (page - 1) * size;
        let previous_last = start
            .checked_sub(1)
            .and_then(|i| matching.get(i))
            .map(|v| (*v).clone());
        let list: Vec<Value> = matching
            .iter()
            .skip(start)
            .take(size)
            .map(|v| (*v).clone())
            .collect();
        (matching.len(), list, previous_last)
    };
    let list = shape_page(&state, list, previous_last);
    Json(json!({ "code": 0, "msg": "ok", "data": { "total": total, "page": page, "pageSize": size, "list": list } })).into_response()
}

async fn marine_deleted(
    State(state): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let since = params.get("since").cloned().unwrap_or_default();
    let store = lock(&state.store);
    let list: Vec<Value> = store
        .deleted
        .iter()
        .filter(|(_, at)| at.as_str() >= since.as_str())
        .map(|(id, at)| json!({ "id": id, "scsj": at }))
        .collect();
    Json(json!({ "code": 0, "msg": "ok", "data": list })).into_response()
}

async fn marine_save(
    State(state): State<Shared>,
    Path(kind): Path<String>,
    Json(mut record): Json<Value>,
) -> Response {
    let Some((id_key, prefix)) = marine_kind(&kind) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let outer = record["outerId"].as_str().unwrap_or_default().to_owned();
    if outer.is_empty() {
        return Json(json!({ "code": 4003, "msg": "缺少 outerId" })).into_response();
    }
    let mut store = lock(&state.store);
    let id = match store.pushed.get(&outer) {
        Some(id) => id.clone(),
        None => {
            let id = format!("{prefix}Q{:06}", store.pushed.len() + 1);
            store.pushed.insert(outer, id.clone());
            id
        }
    };
    record[id_key] = json!(id);
    record["zt"] = json!("1");
    record["gxsj"] = json!(marine::format_time(Utc::now()));
    store.next_seq += 1;
    let seq = store.next_seq;
    store.records.insert(id.clone(), (seq, record));
    lock(&state.stats).pushes += 1;
    Json(json!({ "code": 0, "msg": "ok", "data": { "id": id } })).into_response()
}

async fn marine_off_shelf(
    State(state): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let id = params.get("id").cloned().unwrap_or_default();
    let mut store = lock(&state.store);
    match store.records.get_mut(&id) {
        Some(entry) => {
            entry.1["zt"] = json!("0");
            entry.1["gxsj"] = json!(marine::format_time(Utc::now()));
            lock(&state.stats).withdrawals += 1;
            Json(json!({ "code": 0, "msg": "ok", "data": null })).into_response()
        }
        None => Json(json!({ "code": 4003, "msg": "记录不存在" })).into_response(),
    }
}

async fn set_faults(State(state): State<Shared>, Json(faults): Json<Faults>) -> StatusCode {
    *lock(&state.faults) = faults;
    StatusCode::NO_CONTENT
}

async fn put_records(State(state): State<Shared>, Json(records): Json<Vec<Value>>) -> Json<Value> {
    let mut store = lock(&state.store);
    let mut ids = Vec::new();
    for mut record in records {
        if state.market == Market::Marine && record.get("gxsj").is_none() {
            record["gxsj"] = json!(marine::format_time(Utc::now()));
        }
        store.next_seq += 1;
        let seq = store.next_seq;
        let id = record_id(state.market, &record);
        store.records.insert(id.clone(), (seq, record));
        ids.push(id);
    }
    Json(json!({ "ids": ids }))
}

#[derive(Deserialize)]
struct Removal {
    id: String,
    how: String,
}

async fn remove_record(State(state): State<Shared>, Json(r): Json<Removal>) -> StatusCode {
    let mut store = lock(&state.store);
    store.next_seq += 1;
    let seq = store.next_seq;
    let now = marine::format_time(Utc::now());
    if r.how == "deleted" && state.market == Market::Marine {
        if store.records.remove(&r.id).is_none() {
            return StatusCode::NOT_FOUND;
        }
        store.deleted.push((r.id, now));
        return StatusCode::NO_CONTENT;
    }
    match store.records.get_mut(&r.id) {
        Some(entry) => {
            entry.0 = seq;
            match state.market {
                Market::Provincial => {
                    entry.1["status"] = json!(if r.how == "deleted" {
                        "deleted"
                    } else {
                        "offline"
                    })
                }
                Market::Marine => {
                    entry.1["zt"] = json!("0");
                    entry.1["gxsj"] = json!(now);
                }
            }
            StatusCode::NO_CONTENT
        }
        None => StatusCode::NOT_FOUND,
    }
}

async fn stats(State(state): State<Shared>) -> Json<Stats> {
    Json(lock(&state.stats).clone())
}

async fn get_record(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    match lock(&state.store).records.get(&id) {
        Some((_, v)) => Json(v.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

const TOPICS: &[(&str, &str, &str, &str)] = &[
    ("海藻多糖", "海洋生物医药", "C27", "35010"),
    ("海参苗种繁育", "现代海洋渔业", "A04", "240"),
    ("深远海养殖网箱", "海洋装备", "C37", "240"),
    ("海水淡化反渗透膜", "海水淡化与综合利用", "D46", "430"),
    ("波浪能发电装置", "海洋能源", "D44", "480"),
    ("水下声学通信", "海洋信息", "I65", "520"),
    ("船舶防腐涂层", "海洋新材料", "C30", "43070"),
    ("近海赤潮监测", "海洋环境保护", "N77", "610"),
    ("固态锂电池电解质", "海洋新材料", "C38", "43070"),
    ("海洋遥感数据处理", "海洋信息", "I65", "170"),
];
const VERBS: &[&str] = &[
    "制备技术",
    "关键装备",
    "智能系统",
    "产业化工艺",
    "检测方法",
    "集成应用",
];
const REGIONS: &[&str] = &[
    "370202", "370203", "370211", "370212", "370213", "370214", "370215", "370281", "370102",
    "370602",
];
const UNITS: &[&str] = &[
    "海洋科技",
    "蓝色生物",
    "深蓝装备",
    "海纳材料",
    "潮汐能源",
    "海岸信息",
];
const STAGES: &[&str] = &["研发阶段", "小试", "中试", "量产"];

/// `n` records in the market's own shape, deterministic for a seed.
pub fn generate(market: Market, n: usize, seed: u64) -> Vec<Value> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let orgs = (n / 40).max(8);
    let base = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("valid date");
    (0..n)
        .map(|i| {
            let (topic, category, industry, discipline) = TOPICS[(next() % TOPICS.len() as u64) as usize];
            let verb = VERBS[(next() % VERBS.len() as u64) as usize];
            let org = (next() % orgs as u64) as usize;
            let region = REGIONS[org % REGIONS.len()];
            let unit = format!("青岛{}{}有限公司", UNITS[org % UNITS.len()], org);
            let credit = crate::domain::CreditCode::with_check_character(&format!("913702{:011}", 10_000_000 + org))
                .unwrap_or_default();
            let demand = i % 4 == 3;
            let title = format!("{topic}{verb}（{i}）");
            let summary = format!(
                "围绕{topic}开展{verb}研究，突破关键工艺与装备瓶颈，已在青岛完成示范应用，可显著降低成本、提升效率。编号 {i}。"
            );
            let updated = base + Duration::minutes(i as i64);
            let stage = STAGES[(next() % STAGES.len() as u64) as usize];
            match market {
                Market::Provincial => json!({
                    "id": format!("{}-{i:06}", if demand { "SD-DEM" } else { "SD-ACH" }),
                    "type": if demand { "demand" } else { "achievement" },
                    "status": "published",
                    "updated_at": updated.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("+8")).to_rfc3339(),
                    "title": title,
                    "summary": summary,
                    "owner": { "name": unit, "credit_code": credit, "region_code": region },
                    "industry_code": industry,
                    "discipline_code": discipline,
                    "region_code": region,
                    "maturity": stage,
                    "keywords": [topic, verb],
                    "patents": [],
                    "transfer_modes": ["许可", "合作开发"],
                    "price_wan": (next() % 300) as f64 + 10.0
                }),
                Market::Marine => {
                    let (id_key, name_key, text_key, prefix) = if demand {
                        ("xqId", "xqName", "xqDesc", "HY-XQ-")
                    } else {
                        ("cgId", "cgName", "cgAbstract", "HY-CG-")
                    };
                    let _ = CATEGORIES;
                    json!({
                        id_key: format!("{prefix}{i:06}"),
                        name_key: title,
                        text_key: summary,
                        "unitName": unit,
                        "unitCreditCode": credit,
                        "areaCode": region,
                        "hyFl": category,
                        "xkCode": discipline,
                        "jsCsd": ((next() % 7) + 3).to_string(),
                        "gjc": format!("{topic},{verb}"),
                        "zlh": "",
                        "zrFs": "许可,合作开发",
                        "zt": "1",
                        "gxsj": marine::format_time(updated)
                    })
                }
            }
        })
        .collect()
}
