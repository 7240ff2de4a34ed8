//! The serving process at scale, measured from outside over real HTTP:
//!
//! 1. a SQLite database with the demo seeds plus `QX_LISTINGS` synthetic published listings
//!    (default 100,000; see `support/synthetic.rs`), written through the repositories;
//! 2. the release binary (`qianxian serve`) started on it as a child process: it builds its
//!    search index from the database on start (timed until `/metrics` shows every document);
//! 3. end-to-end GraphQL `search` latency over HTTP, single client, 2,000 queries;
//! 4. freshness: listings created and published through the API at `QX_WRITES_PER_SEC`
//!    (default 100) for `QX_WRITE_SECS` (default 20) while one client polls newest-first
//!    search; the delay from publish to first seen, p50/p99;
//! 5. the child's resident memory (current and peak) after each phase.
//!
//! Run: `QX_LISTINGS=1000000 cargo bench --bench service`.

#[path = "support/synthetic.rs"]
mod synthetic;

use chrono::{Duration as Days, Utc};
use qianxian::config::Settings;
use qianxian::db::Database;
use qianxian::domain::{
    Achievement, AchievementStatus, ListingSource, MaturityStage, Need, NeedStatus, NeedVisibility,
    PriceRange,
};
use qianxian::search::index::DocKind;
use sea_orm::{EntityTrait, TransactionTrait};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use synthetic::Corpus;

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

fn rss_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let get = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (get("VmRSS:"), get("VmHWM:"))
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    qianxian::connectors::http::install_crypto();
    let n = env_u64("QX_LISTINGS", 100_000);
    let writes_per_sec = env_u64("QX_WRITES_PER_SEC", 100);
    let write_secs = env_u64("QX_WRITE_SECS", 20);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir()?;
    let corpus = Corpus::load()?;
    println!(
        "service: {n} synthetic listings; data in {}",
        dir.path().display()
    );

    // 1. The database.
    let started = Instant::now();
    load(dir.path(), root, &corpus, n).await?;
    println!(
        "loaded demo seeds + {n} listings into SQLite in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // 2. The service.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_qianxian"))
            .arg("serve")
            .current_dir(dir.path())
            .env("QIANXIAN__DATA_DIR", dir.path())
            .env("QIANXIAN__SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env("QIANXIAN__SEARCH__CONFIG_DIR", root.join("index"))
            .env("QIANXIAN__SEARCH__POLL_MS", "100")
            .env("QIANXIAN__SEED__DEMO_DATA", "false")
            .env("QIANXIAN__RATE_LIMIT__PER_ADDRESS_PER_MINUTE", "10000000")
            .env("QIANXIAN__RATE_LIMIT__PER_TOKEN_PER_MINUTE", "10000000")
            .env("QIANXIAN__LOG__LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?,
    );
    let pid = server.0.id();
    let client = reqwest::Client::new();
    let expected = n + 119;
    loop {
        if let Ok(r) = client.get(format!("{base}/metrics")).send().await
            && let Ok(text) = r.text().await
            && text
                .lines()
                .find_map(|l| l.strip_prefix("qianxian_search_documents "))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .is_some_and(|d| d >= expected)
        {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(1800),
            "index not built within 30 minutes"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (rss, peak) = rss_mib(pid);
    println!(
        "start + index build from the database: {:.1} s ({expected} documents); RSS {rss:.0} MiB, peak {peak:.0} MiB",
        started.elapsed().as_secs_f64()
    );

    // 3. Search over HTTP, one client.
    let gql = {
        let (client, url) = (client.clone(), format!("{base}/graphql"));
        move |query: &'static str, vars: Value, token: Option<String>| {
            let (client, url) = (client.clone(), url.clone());
            async move {
                let mut req = client
                    .post(url)
                    .json(&json!({ "query": query, "variables": vars }));
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                let body: Value = req.send().await?.json().await?;
                anyhow::ensure!(body.get("errors").is_none(), "{body}");
                anyhow::Ok(body["data"].clone())
            }
        }
    };
    const SEARCH: &str = "query($q: String!) { search(query: $q, first: 10) { totalCount facets { dimension code count } edges { score highlights { field snippet } node { ... on Achievement { id title owner { name } } ... on Need { id title } } } } }";
    let queries = synthetic::queries(&corpus, 2_000);
    for q in queries.iter().take(200) {
        gql(SEARCH, json!({ "q": q }), None).await?;
    }
    let mut times = Vec::with_capacity(queries.len());
    for q in &queries {
        let t = Instant::now();
        gql(SEARCH, json!({ "q": q }), None).await?;
        times.push(t.elapsed());
    }
    let (rss, peak) = rss_mib(pid);
    println!(
        "graphql search over HTTP (single client, {} queries): p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms; RSS {rss:.0} MiB, peak {peak:.0} MiB",
        times.len(),
        pct(&times, 0.5),
        pct(&times, 0.95),
        pct(&times, 0.99)
    );

    // 4. Freshness under writes.
    let login = gql(
        "mutation { login(input: { login: \"ouc.admin@example.edu.cn\", password: \"Qianxian-demo-2026\" }) { accessToken userErrors { message } } }",
        json!({}),
        None,
    )
    .await?;
    let token = login["login"]["accessToken"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("login failed: {login}"))?
        .to_owned();
    let me = gql(
        "{ me { organization { id } } }",
        json!({}),
        Some(token.clone()),
    )
    .await?;
    let org = me["me"]["organization"]["id"].clone();
    // When each listing's publish call returned, and when the poller first saw it: a listing
    // can show up before its publish response arrives (then it waited 0 ms).
    let published: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let seen: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let total = writes_per_sec * write_secs;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poller = {
        let (seen, stop) = (seen.clone(), stop.clone());
        let gql = gql.clone();
        tokio::spawn(async move {
            // The newest 300 in three pages: three seconds of writes, so a slow poll misses
            // none.
            const NEWEST: &str = "query($after: String) { search(query: \"压测海洋浮标\", kind: ACHIEVEMENT, order: NEWEST, first: 100, after: $after) { edges { node { ... on Achievement { title } } } pageInfo { endCursor } } }";
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let mut after = Value::Null;
                for _page in 0..3 {
                    let Ok(data) = gql(NEWEST, json!({ "after": after }), None).await else {
                        break;
                    };
                    let now = Instant::now();
                    let mut seen = seen.lock().unwrap();
                    for e in data["search"]["edges"].as_array().into_iter().flatten() {
                        let title = e["node"]["title"].as_str().unwrap_or_default();
                        seen.entry(title.to_owned()).or_insert(now);
                    }
                    after = data["search"]["pageInfo"]["endCursor"].clone();
                    if after.is_null() {
                        break;
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / writes_per_sec as f64));
    let mut writers = Vec::new();
    let write_started = Instant::now();
    for k in 0..total {
        tick.tick().await;
        let (gql, token, org, published) =
            (gql.clone(), token.clone(), org.clone(), published.clone());
        writers.push(tokio::spawn(async move {
            let title = format!("压测海洋浮标{k:06}号");
            let created = gql(
                "mutation($input: CreateAchievementInput!) { createAchievement(input: $input) { achievement { id } userErrors { message } } }",
                json!({ "input": { "ownerId": org, "achievement": {
                    "title": title, "summary": "海洋浮标在线监测系统，压测写入。",
                    "discipline": "41630", "industries": ["C4014"], "trl": 6, "maturity": "PROTOTYPE",
                    "transferModes": ["LICENSE_NON_EXCLUSIVE"], "teamLead": "压测", "keywords": ["海洋浮标"]
                } } }),
                Some(token.clone()),
            )
            .await?;
            let id = created["createAchievement"]["achievement"]["id"].clone();
            anyhow::ensure!(id.is_string(), "{created}");
            gql(
                "mutation($id: ID!) { publishAchievement(input: { id: $id }) { achievement { status } } }",
                json!({ "id": id }),
                Some(token),
            )
            .await?;
            published.lock().unwrap().insert(title, Instant::now());
            anyhow::Ok(())
        }));
    }
    let mut failed = 0;
    for w in writers {
        match w.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                if failed == 0 {
                    eprintln!("first failed write: {e}");
                }
                failed += 1;
            }
            Err(e) => {
                eprintln!("writer task failed: {e}");
                failed += 1;
            }
        }
    }
    let write_elapsed = write_started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(10);
    let all_seen = || {
        let seen = seen.lock().unwrap();
        published
            .lock()
            .unwrap()
            .keys()
            .all(|t| seen.contains_key(t))
    };
    while !all_seen() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    poller.await?;
    let delays: Vec<Duration> = {
        let seen = seen.lock().unwrap();
        published
            .lock()
            .unwrap()
            .iter()
            .filter_map(|(title, at)| Some(seen.get(title)?.saturating_duration_since(*at)))
            .collect()
    };
    let (rss, peak) = rss_mib(pid);
    println!(
        "freshness: {} listings created+published in {:.1} s ({:.0}/s, {failed} failed); found {} of them: p50 {:.0} ms  p99 {:.0} ms  max {:.0} ms; RSS {rss:.0} MiB, peak {peak:.0} MiB",
        published.lock().unwrap().len(),
        write_elapsed.as_secs_f64(),
        total as f64 / write_elapsed.as_secs_f64(),
        delays.len(),
        pct(&delays, 0.5),
        pct(&delays, 0.99),
        pct(&delays, 1.0)
    );
    drop(server);
    Ok(())
}

/// Seeds the demo data, then writes `n` synthetic published listings owned by the seeded
/// organisations, 5,000 per transaction, through the repositories.
async fn load(data_dir: &Path, root: &Path, corpus: &Corpus, n: u64) -> anyhow::Result<()> {
    let mut settings = Settings {
        data_dir: data_dir.to_path_buf(),
        ..Default::default()
    };
    settings.search.config_dir = root.join("index");
    let db = Database::connect(&settings.database_url(), 4).await?;
    db.migrate().await?;
    {
        let services = qianxian::service::Services::new(
            db.clone(),
            Arc::new(qianxian::clock::SystemClock),
            settings.service_settings()?,
            Arc::new(qianxian::search::index::SearchIndex::open(
                &data_dir.join("seed-index"),
                &qianxian::search::config::IndexConfig::load(&root.join("index"))?,
            )?),
        );
        qianxian::seed::load_dir(&services, &root.join("seeds")).await?;
    }
    std::fs::remove_dir_all(data_dir.join("seed-index")).ok();
    let owners: Vec<i32> = qianxian::db::entities::organization::Entity::find()
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    let now = Utc::now();
    let progress = qianxian::progress::Progress::new("loading", n);
    let mut at = 0;
    while at < n {
        let end = (at + 5_000).min(n);
        let txn = db.conn.begin().await?;
        for i in at..end {
            let d = corpus.listing(i);
            let owner_id = owners[i as usize % owners.len()];
            let p = &d.profile;
            match d.kind {
                DocKind::Achievement => {
                    let a = Achievement {
                        id: 0,
                        owner_id,
                        title: d.title.clone(),
                        summary: d.body.clone(),
                        confidential_detail: None,
                        keywords: d.keywords.clone(),
                        application_fields: String::new(),
                        advantages: String::new(),
                        requirements: String::new(),
                        discipline_code: p.discipline.clone().unwrap_or_default(),
                        industry_codes: p.industries.clone(),
                        trl: p.trl.unwrap_or(5),
                        maturity: MaturityStage::Prototype,
                        ip_records: vec![],
                        transfer_modes: p.modes.clone(),
                        price: PriceRange::from_stored(None, None),
                        team_lead: "课题组".into(),
                        inventors: vec![],
                        registration_number: None,
                        priority_tracks: vec![],
                        status: AchievementStatus::Published,
                        published_at: Some(now),
                        expires_at: Some(now + Days::days(365)),
                        source: ListingSource::Local,
                        external_id: None,
                        created_at: now,
                        updated_at: now,
                        moderation_note: None,
                    };
                    qianxian::db::achievements::save(&txn, &a).await?;
                }
                DocKind::Need => {
                    let need = Need {
                        id: 0,
                        owner_id,
                        title: d.title.clone(),
                        problem: d.body.clone(),
                        requirements: String::new(),
                        confidential_detail: None,
                        keywords: d.keywords.clone(),
                        industry_codes: p.industries.clone(),
                        discipline_code: p.discipline.clone(),
                        min_trl: p.trl,
                        cooperation_modes: p.modes.clone(),
                        budget: PriceRange::from_stored(None, None),
                        deadline: None,
                        visibility: NeedVisibility::parse(d.visibility)
                            .unwrap_or(NeedVisibility::Public),
                        priority_tracks: vec![],
                        status: NeedStatus::Open,
                        published_at: Some(now),
                        expires_at: Some(now + Days::days(365)),
                        source: ListingSource::Local,
                        external_id: None,
                        created_at: now,
                        updated_at: now,
                        moderation_note: None,
                    };
                    qianxian::db::needs::save(&txn, &need).await?;
                }
            }
        }
        txn.commit().await?;
        at = end;
        progress.update(at);
    }
    progress.finish(n);
    db.conn.close().await?;
    Ok(())
}
