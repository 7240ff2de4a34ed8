//! The broker workflow's two figures, measured from outside over real HTTP and WebSocket:
//!
//! 1. **Transition → subscription event.** The demo firm (青岛蓝海微波) subscribes to
//!    `notificationAdded` over graphql-transport-ws. The demo broker and the university
//!    (中国海洋大学) then carry `QX_PAIRINGS` pairings (default 250) from request to signature:
//!    take, agree, negotiate, sign: four transitions each, every one notifying the firm. A
//!    reader task stamps each event when its frame arrives; the figure is the time from sending
//!    the transition's mutation to the firm receiving the event (so it includes the mutation
//!    itself), p50/p99 over all transitions.
//! 2. **Statistics on `QX_STAT_PAIRINGS` pairings** (default 100,000), written straight into the
//!    table with realistic spread (12 months, 40 organisations, 8 brokers, every outcome), then
//!    `pairingStatistics` computed 20 times through the service and 10 times over GraphQL.
//!
//! SQLite in a temp folder by default; `QX_DATABASE_URL=postgres://…/db` runs both on a fresh
//! PostgreSQL database. Run: `cargo bench --bench workflow`.

use chrono::{Duration as Span, TimeZone, Utc};
use futures::{SinkExt, StreamExt};
use qianxian::app::Application;
use qianxian::clock::SystemClock;
use qianxian::config::Settings;
use qianxian::db::entities::pairing;
use sea_orm::{ActiveValue::NotSet, EntityTrait, Set};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn pct(v: &[Duration], p: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_unstable();
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i].as_secs_f64() * 1000.0
}

fn summary(name: &str, v: &[Duration]) {
    println!(
        "{name:<44} n={:<6} p50={:>8.2} ms  p95={:>8.2} ms  p99={:>8.2} ms  max={:>8.2} ms",
        v.len(),
        pct(v, 0.50),
        pct(v, 0.95),
        pct(v, 0.99),
        pct(v, 1.0)
    );
}

struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    async fn gql(&self, token: &str, query: &str, variables: Value) -> Value {
        let body: Value = self
            .http
            .post(&self.url)
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        assert!(body.get("errors").is_none(), "{body}");
        body["data"].clone()
    }

    async fn login(&self, login: &str) -> String {
        let body: Value = self
            .http
            .post(&self.url)
            .json(&json!({
                "query": "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
                "variables": { "i": { "login": login, "password": "Qianxian-demo-2026" } }
            }))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        body["data"]["login"]["accessToken"]
            .as_str()
            .expect("demo login")
            .to_owned()
    }

    /// Runs a pairing mutation and returns the pairing id.
    async fn pairing(&self, token: &str, mutation: &str, input_type: &str, input: Value) -> String {
        let q = format!(
            "mutation($i: {input_type}!) {{ {mutation}(input: $i) {{ pairing {{ id }} userErrors {{ code message }} }} }}"
        );
        let data = self.gql(token, &q, json!({ "i": input })).await;
        assert_eq!(data[mutation]["userErrors"], json!([]), "{data}");
        data[mutation]["pairing"]["id"].as_str().unwrap().to_owned()
    }
}

async fn fresh_database(settings: &mut Settings) -> anyhow::Result<String> {
    Ok(match std::env::var("QX_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let name = format!("qx_bench_workflow_{}", std::process::id());
            let admin = sea_orm::Database::connect(&url).await?;
            use sea_orm::ConnectionTrait;
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await?;
            let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
            settings.database.url = format!("{base}/{name}");
            "PostgreSQL".to_owned()
        }
        _ => "SQLite".to_owned(),
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let pairings = env_u64("QX_PAIRINGS", 250) as usize;
    let stat_pairings = env_u64("QX_STAT_PAIRINGS", 100_000) as usize;
    let dir = tempfile::tempdir()?;
    let mut settings = Settings {
        data_dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    let backend = fresh_database(&mut settings).await?;
    settings.server.listen = "127.0.0.1:0".into();
    settings.seed.dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    settings.rate_limit.per_address_per_minute = 10_000_000;
    settings.rate_limit.per_token_per_minute = 10_000_000;
    let app = Application::build(&settings, Arc::new(SystemClock)).await?;
    let services = app.services().clone();
    let port = app.port();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let c = Client {
        http: reqwest::Client::new(),
        url: format!("http://127.0.0.1:{port}/graphql"),
    };
    println!("database: {backend}; demo data loaded");
    let firm = c.login("lanhai.admin@example.com").await;
    let university = c.login("ouc.admin@example.edu.cn").await;
    let broker = c.login("broker@example.com").await;
    let operator = c.login("operator@example.com").await;
    let ouc = c
        .gql(
            &firm,
            "{ achievements(first: 100) { nodes { id owner { name } } } }",
            json!({}),
        )
        .await;
    let achievement = ouc["achievements"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["owner"]["name"] == "中国海洋大学")
        .expect("a demo result of 中国海洋大学")["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // 1. Transition → event over a real WebSocket.
    let mut req = format!("ws://127.0.0.1:{port}/graphql/ws").into_client_request()?;
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    let send = |v: Value| Message::Text(v.to_string().into());
    ws.send(send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {firm}") } })))
        .await?;
    let ack = ws.next().await.expect("ack")?;
    assert!(ack.to_text()?.contains("connection_ack"), "{ack}");
    let newest = c
        .gql(
            &firm,
            "{ notifications(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await["notifications"]["nodes"][0]["id"]
        .clone();
    ws.send(send(json!({
        "id": "1", "type": "subscribe",
        "payload": { "query": "subscription($after: ID) { notificationAdded(afterId: $after) { id title } }", "variables": { "after": newest } }
    })))
    .await?;
    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel::<(Instant, Value)>();
    tokio::spawn(async move {
        while let Some(Ok(msg)) = ws.next().await {
            let at = Instant::now();
            if let Message::Text(t) = msg {
                let v: Value = serde_json::from_str(&t).unwrap_or_default();
                if v["type"] == "next" {
                    let _ = events_tx.send((at, v));
                }
            }
        }
    });
    let mut latencies = Vec::with_capacity(pairings * 4);
    let mut skipped = 0;
    let started = Instant::now();
    for i in 0..pairings {
        let id = c
            .pairing(
                &firm,
                "requestPairing",
                "OpenPairingInput",
                json!({ "achievementId": achievement, "message": format!("第 {i} 次对接申请") }),
            )
            .await;
        let moves: [(&str, &str, &str, Value); 4] = [
            (
                &broker,
                "takePairing",
                "PairingIdInput",
                json!({ "id": id }),
            ),
            (
                &university,
                "agreeToPairing",
                "PairingIdInput",
                json!({ "id": id }),
            ),
            (
                &university,
                "startNegotiation",
                "PairingIdInput",
                json!({ "id": id }),
            ),
            (
                &broker,
                "signPairing",
                "SignPairingInput",
                json!({ "id": id, "contract": { "kind": "LICENSE", "amountYuan": 100000 + i, "signedOn": Utc::now().date_naive() } }),
            ),
        ];
        for (token, mutation, input_type, input) in moves {
            let sent = Instant::now();
            c.pairing(token, mutation, input_type, input).await;
            // Other notifications (new-match alerts from indexing the demo data) are skipped.
            let prefix = format!("对接 {}：", id_number(&id));
            let at = loop {
                let (at, event) = tokio::time::timeout(Duration::from_secs(10), events.recv())
                    .await
                    .expect("the firm hears of every transition within 10 s")
                    .expect("stream open");
                let title = event["payload"]["data"]["notificationAdded"]["title"]
                    .as_str()
                    .unwrap_or_default();
                if title.starts_with(&prefix) {
                    break at;
                }
                skipped += 1;
            };
            latencies.push(at.saturating_duration_since(sent));
        }
    }
    println!(
        "{} pairings carried to signature, {} transitions in {:.1} s ({skipped} other notifications skipped)",
        pairings,
        latencies.len(),
        started.elapsed().as_secs_f64()
    );
    summary("transition sent → firm's subscription event", &latencies);

    // 2. Statistics over many pairings.
    let db = &services.context().db.conn;
    let t = Instant::now();
    let start = Utc.with_ymd_and_hms(2025, 12, 1, 0, 0, 0).unwrap();
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let tracks = [
        "marine-bio",
        "new-energy",
        "smart-manufacturing",
        "blue-seed",
        "",
    ];
    let industries = ["C384", "C3841", "C27", "I65", "M73", "A04", "C35"];
    let regions = ["370211", "370212", "370102", "370602", "370203", "320102"];
    let outcomes = [
        "SIGNED",
        "DECLINED",
        "WITHDRAWN",
        "EXPIRED",
        "NEGOTIATING",
        "INTRODUCED",
        "ACCEPTED",
        "REQUESTED",
    ];
    for chunk in 0..stat_pairings.div_ceil(500) {
        let rows: Vec<pairing::ActiveModel> = (0..500.min(stat_pairings - chunk * 500))
            .map(|_| {
                let created = start + Span::minutes((next() % (365 * 24 * 60)) as i64);
                let status = outcomes[(next() % outcomes.len() as u64) as usize];
                let reached = |s: &str| {
                    let order = [
                        "REQUESTED",
                        "ACCEPTED",
                        "INTRODUCED",
                        "NEGOTIATING",
                        "SIGNED",
                    ];
                    let rank = |x: &str| order.iter().position(|o| *o == x);
                    match (rank(status), rank(s)) {
                        (Some(a), Some(b)) => a >= b,
                        _ => s == "ACCEPTED" || (s == "INTRODUCED" && status == "DECLINED"),
                    }
                };
                let accepted =
                    reached("ACCEPTED").then(|| created + Span::hours((next() % 96) as i64));
                let introduced = reached("INTRODUCED").then(|| created + Span::days(5));
                let negotiating = reached("NEGOTIATING").then(|| created + Span::days(9));
                let signed = (status == "SIGNED").then(|| created + Span::days(30));
                pairing::ActiveModel {
                    id: NotSet,
                    need_id: Set(None),
                    achievement_id: Set((next() % 5000) as i32 + 1),
                    enterprise_org_id: Set((next() % 20) as i32 + 1),
                    university_org_id: Set((next() % 20) as i32 + 21),
                    origin: Set("FIRM_REQUEST".into()),
                    requested_by: Set(None),
                    message: Set("申请对接".into()),
                    status: Set(status.into()),
                    broker_id: Set(accepted.map(|_| (next() % 8) as i32 + 1)),
                    enterprise_agreed: Set(true),
                    university_agreed: Set(introduced.is_some()),
                    track_code: Set(
                        Some(tracks[(next() % 5) as usize].to_owned()).filter(|t| !t.is_empty())
                    ),
                    industry_code: Set(Some(industries[(next() % 7) as usize].to_owned())),
                    region_code: Set(regions[(next() % 6) as usize].to_owned()),
                    open_key: Set(None),
                    created_at: Set(created),
                    updated_at: Set(created),
                    accepted_at: Set(accepted),
                    introduced_at: Set(introduced),
                    negotiating_at: Set(negotiating),
                    signed_at: Set(signed),
                    closed_at: Set(signed),
                    due_at: Set(None),
                    awaiting: Set(None),
                    decline_reason: Set(None),
                    contract_kind: Set(signed.map(|_| "LICENSE".to_owned())),
                    contract_amount_yuan: Set(signed.map(|_| (next() % 5_000_000) as i64 + 10_000)),
                    contract_signed_on: Set(signed.map(|s| s.date_naive())),
                    contract_registration_no: Set(None),
                }
            })
            .collect();
        pairing::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    println!(
        "{stat_pairings} pairings written in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let actor = services.accounts.authenticate(&operator).await?;
    let (from, to) = (start, start + Span::days(400));
    let mut service_times = Vec::new();
    let mut total = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let s = services.pairing_stats.compute(&actor, from, to).await?;
        service_times.push(t.elapsed());
        total = s.total.requests;
    }
    assert!(total as usize >= stat_pairings, "every pairing counted");
    summary(
        &format!("statistics, service ({total} pairings)"),
        &service_times,
    );
    let query = "query($from: String!, $to: String!) { pairingStatistics(from: $from, to: $to) { total { requests signed amountYuan } byMonth { key requests signed amountYuan } byTrack { key requests } byIndustry { key requests } byRegion { key requests } byOrganization { label requests } funnel { requested signed } brokers { pairings medianHoursToFirstResponse } } }";
    let mut http_times = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let data = c
            .gql(&operator, query, json!({ "from": from, "to": to }))
            .await;
        http_times.push(t.elapsed());
        assert!(
            data["pairingStatistics"]["total"]["requests"]
                .as_i64()
                .unwrap()
                >= stat_pairings as i64
        );
    }
    summary("statistics, GraphQL over HTTP (every table)", &http_times);
    let t = Instant::now();
    let csv = c
        .gql(
            &operator,
            "query($from: String!, $to: String!) { pairingStatistics(from: $from, to: $to) { csv(table: ORGANIZATION) } }",
            json!({ "from": from, "to": to }),
        )
        .await;
    println!(
        "CSV export by organisation: {} lines in {:.1} ms",
        csv["pairingStatistics"]["csv"]
            .as_str()
            .unwrap()
            .lines()
            .count(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}

fn id_number(global: &str) -> i32 {
    qianxian::graphql::ids::IdCodec::new(qianxian::config::DEVELOPMENT_SECRET.as_bytes())
        .decode_any(global)
        .expect("global id")
        .1
}
