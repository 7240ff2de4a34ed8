//! Three replicas on one PostgreSQL database, measured from outside over real HTTP:
//!
//! 1. three release binaries (`qianxian serve`) started together on a new, empty database
//!    (migrations and demo data applied once, under locks), each with its own index;
//! 2. freshness across replicas: listings created and published at `QX_WRITES_PER_SEC`
//!    (default 100) for `QX_WRITE_SECS` (default 20), each write sent to the next replica in
//!    turn, while one poller per replica reads newest-first search; the delay from publish to
//!    seen on *every* replica, p50/p99/max;
//! 3. the CPU each replica spent per request it served in that phase (its indexing of the
//!    others' writes included): three replicas on two cores cannot show throughput scaling,
//!    but this shows what a request costs;
//! 4. load shedding on one replica: `QX_LOAD_SECS` (default 10) of closed-loop reads (search
//!    and lists) from 8, 64 and 256 clients; throughput, p50/p99 of admitted requests, and the
//!    share refused with 503 (a refused client waits 50 ms, as a client honouring
//!    `Retry-After` would at least).
//!
//! Run: `cargo bench --bench replicas` (PostgreSQL at `QX_PG`, default
//! `postgres://postgres@127.0.0.1:5432`; the database it creates is dropped at the end).

use serde_json::{Value, json};
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn pct(v: &[Duration], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut v = v.to_vec();
    v.sort_unstable();
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i].as_secs_f64() * 1000.0
}

/// CPU seconds (user + system) a process has used.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

struct Replica {
    child: Child,
    base: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Clone)]
struct Gql {
    client: reqwest::Client,
}

impl Gql {
    async fn call(
        &self,
        base: &str,
        query: &str,
        vars: Value,
        token: Option<&str>,
    ) -> anyhow::Result<Value> {
        let mut req = self
            .client
            .post(format!("{base}/graphql"))
            .json(&json!({ "query": query, "variables": vars }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let body: Value = req.send().await?.json().await?;
        anyhow::ensure!(body.get("errors").is_none(), "{body}");
        Ok(body["data"].clone())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    qianxian::connectors::http::install_crypto();
    let pg = std::env::var("QX_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let writes_per_sec = env_u64("QX_WRITES_PER_SEC", 100);
    let write_secs = env_u64("QX_WRITE_SECS", 20);
    let load_secs = env_u64("QX_LOAD_SECS", 10);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let db_name = format!("qx_bench_replicas_{}", std::process::id());
    let admin = sea_orm::Database::connect(format!("{pg}/postgres")).await?;
    use sea_orm::ConnectionTrait;
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{db_name}\""))
        .await?;
    let result = run(&pg, &db_name, root, writes_per_sec, write_secs, load_secs).await;
    admin
        .execute_unprepared(&format!(
            "DROP DATABASE IF EXISTS \"{db_name}\" WITH (FORCE)"
        ))
        .await?;
    result
}

async fn run(
    pg: &str,
    db_name: &str,
    root: &std::path::Path,
    writes_per_sec: u64,
    write_secs: u64,
    load_secs: u64,
) -> anyhow::Result<()> {
    let dirs: Vec<tempfile::TempDir> = (0..3)
        .map(|_| tempfile::tempdir())
        .collect::<Result<_, _>>()?;
    let started = Instant::now();
    let replicas: Vec<Replica> = dirs
        .iter()
        .map(|dir| {
            let port = std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port();
            let child = Command::new(env!("CARGO_BIN_EXE_qianxian"))
                .arg("serve")
                .current_dir(root)
                .env("QIANXIAN__DATABASE__URL", format!("{pg}/{db_name}"))
                .env("QIANXIAN__DATA_DIR", dir.path())
                .env("QIANXIAN__SERVER__LISTEN", format!("127.0.0.1:{port}"))
                .env("QIANXIAN__SEARCH__POLL_MS", "100")
                .env("QIANXIAN__RATE_LIMIT__PER_ADDRESS_PER_MINUTE", "100000000")
                .env("QIANXIAN__RATE_LIMIT__PER_TOKEN_PER_MINUTE", "100000000")
                .env("QIANXIAN__LOG__FILTER", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()?;
            anyhow::Ok(Replica {
                child,
                base: format!("http://127.0.0.1:{port}"),
            })
        })
        .collect::<Result<_, _>>()?;
    let gql = Gql {
        client: reqwest::Client::new(),
    };
    for r in &replicas {
        loop {
            let ready = gql.client.get(format!("{}/readyz", r.base)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(120),
                "replicas not ready"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    println!(
        "three replicas started together on an empty PostgreSQL database, ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let bases: Vec<String> = replicas.iter().map(|r| r.base.clone()).collect();
    let login = gql
        .call(
            &bases[0],
            "mutation { login(input: { login: \"ouc.admin@example.edu.cn\", password: \"Qianxian-demo-2026\" }) { accessToken } }",
            json!({}),
            None,
        )
        .await?;
    let token = login["login"]["accessToken"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("login failed: {login}"))?
        .to_owned();
    let me = gql
        .call(
            &bases[0],
            "{ me { organization { id } } }",
            json!({}),
            Some(&token),
        )
        .await?;
    let org = me["me"]["organization"]["id"].clone();

    // 2. Freshness across replicas, and 3. CPU per request.
    let served: Arc<Vec<AtomicU64>> = Arc::new((0..3).map(|_| AtomicU64::new(0)).collect());
    let cpu_before: Vec<f64> = replicas.iter().map(|r| cpu_secs(r.child.id())).collect();
    let published: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let seen: Arc<Vec<Mutex<HashMap<String, Instant>>>> =
        Arc::new((0..3).map(|_| Mutex::default()).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let pollers: Vec<_> = (0..3)
        .map(|i| {
            let (gql, base, seen, stop, served) = (
                gql.clone(),
                bases[i].clone(),
                seen.clone(),
                stop.clone(),
                served.clone(),
            );
            tokio::spawn(async move {
                const NEWEST: &str = "query($after: String) { search(query: \"副本浮标\", kind: ACHIEVEMENT, order: NEWEST, first: 100, after: $after) { edges { node { ... on Achievement { title } } } pageInfo { endCursor } } }";
                while !stop.load(Ordering::Relaxed) {
                    // Newest first, page after page until a page holds a listing seen before:
                    // a replica that indexes a burst at once shows all of it.
                    let mut after = Value::Null;
                    for _page in 0..50 {
                        let Ok(data) = gql.call(&base, NEWEST, json!({ "after": after }), None).await
                        else {
                            break;
                        };
                        served[i].fetch_add(1, Ordering::Relaxed);
                        let now = Instant::now();
                        let mut seen = seen[i].lock().unwrap();
                        let mut known = false;
                        for e in data["search"]["edges"].as_array().into_iter().flatten() {
                            let title = e["node"]["title"].as_str().unwrap_or_default();
                            known |= seen.contains_key(title);
                            seen.entry(title.to_owned()).or_insert(now);
                        }
                        after = data["search"]["pageInfo"]["endCursor"].clone();
                        if known || after.is_null() {
                            break;
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        })
        .collect();
    let lags: Arc<Vec<AtomicU64>> = Arc::new((0..3).map(|_| AtomicU64::new(0)).collect());
    let monitor = {
        let (client, bases, stop, lags) = (
            gql.client.clone(),
            bases.clone(),
            stop.clone(),
            lags.clone(),
        );
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                for (i, base) in bases.iter().enumerate() {
                    let Ok(r) = client.get(format!("{base}/metrics")).send().await else {
                        continue;
                    };
                    let text = r.text().await.unwrap_or_default();
                    if let Some(lag) = text
                        .lines()
                        .find_map(|l| l.strip_prefix("qianxian_index_lag "))
                        .and_then(|v| v.trim().parse::<u64>().ok())
                    {
                        lags[i].fetch_max(lag, Ordering::Relaxed);
                    }
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };
    let total = writes_per_sec * write_secs;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / writes_per_sec as f64));
    let mut writers = Vec::new();
    let write_started = Instant::now();
    for k in 0..total {
        tick.tick().await;
        let i = (k % 3) as usize;
        let (gql, base, token, org, published, served) = (
            gql.clone(),
            bases[i].clone(),
            token.clone(),
            org.clone(),
            published.clone(),
            served.clone(),
        );
        writers.push(tokio::spawn(async move {
            let title = format!("副本浮标{k:06}号");
            let created = gql
                .call(
                    &base,
                    "mutation($input: CreateAchievementInput!) { createAchievement(input: $input) { achievement { id } userErrors { message } } }",
                    json!({ "input": { "ownerId": org, "achievement": {
                        "title": title, "summary": "海洋浮标在线监测系统，副本压测写入。",
                        "discipline": "41630", "industries": ["C4014"], "trl": 6, "maturity": "PROTOTYPE",
                        "transferModes": ["LICENSE_NON_EXCLUSIVE"], "teamLead": "压测", "keywords": ["海洋浮标"]
                    } } }),
                    Some(&token),
                )
                .await?;
            let id = created["createAchievement"]["achievement"]["id"].clone();
            anyhow::ensure!(id.is_string(), "{created}");
            gql.call(
                &base,
                "mutation($id: ID!) { publishAchievement(input: { id: $id }) { achievement { status } } }",
                json!({ "id": id }),
                Some(&token),
            )
            .await?;
            served[i].fetch_add(2, Ordering::Relaxed);
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
    let deadline = Instant::now() + Duration::from_secs(30);
    let everywhere = |title: &String| seen.iter().all(|s| s.lock().unwrap().contains_key(title));
    while !published.lock().unwrap().keys().all(everywhere) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for p in pollers {
        p.await?;
    }
    monitor.await?;
    let cpu: Vec<f64> = replicas
        .iter()
        .zip(&cpu_before)
        .map(|(r, before)| cpu_secs(r.child.id()) - before)
        .collect();
    let (delays, missing) = {
        let published = published.lock().unwrap();
        let seen: Vec<_> = seen.iter().map(|s| s.lock().unwrap()).collect();
        let mut delays = Vec::new();
        let mut missing = 0;
        for (title, at) in published.iter() {
            let last = seen
                .iter()
                .map(|s| s.get(title))
                .collect::<Option<Vec<_>>>();
            match last.and_then(|v| v.into_iter().max().copied()) {
                Some(t) => delays.push(t.saturating_duration_since(*at)),
                None => missing += 1,
            }
        }
        (delays, missing)
    };
    println!(
        "freshness: {} listings created+published in {:.1} s ({:.0}/s, {failed} failed), each write to the next replica; seen on all three replicas: {} (missing {missing}): p50 {:.0} ms  p99 {:.0} ms  max {:.0} ms",
        published.lock().unwrap().len(),
        write_elapsed.as_secs_f64(),
        total as f64 / write_elapsed.as_secs_f64(),
        delays.len(),
        pct(&delays, 0.5),
        pct(&delays, 0.99),
        pct(&delays, 1.0)
    );
    for (i, cpu) in cpu.iter().enumerate() {
        let n = served[i].load(Ordering::Relaxed).max(1);
        println!(
            "replica {}: {n} requests served, {cpu:.1} CPU s in all ({:.2} ms CPU per request, indexing the others' writes included); largest index lag seen {} changes",
            i + 1,
            cpu * 1000.0 / n as f64,
            lags[i].load(Ordering::Relaxed)
        );
    }

    // 4. Load shedding on one replica.
    let mut replicas = replicas;
    let target = replicas.remove(0);
    drop(replicas);
    const SEARCH: &str = "query($q: String!) { search(query: $q, first: 10) { totalCount edges { node { ... on Achievement { id title owner { name } } ... on Need { id title } } } } }";
    const LIST: &str =
        "{ achievements(first: 20) { totalCount nodes { id title owner { name } } } }";
    let words = [
        "海洋",
        "电池",
        "浮标",
        "传感器",
        "海水淡化",
        "智能制造",
        "生物医药",
        "复合材料",
    ];
    for clients in [8usize, 64, 256] {
        let until = Instant::now() + Duration::from_secs(load_secs);
        let admitted: Arc<Mutex<Vec<Duration>>> = Arc::default();
        let shed = Arc::new(AtomicU64::new(0));
        let errors = Arc::new(AtomicU64::new(0));
        let tasks: Vec<_> = (0..clients)
            .map(|c| {
                let (client, base, admitted, shed, errors) = (
                    gql.client.clone(),
                    target.base.clone(),
                    admitted.clone(),
                    shed.clone(),
                    errors.clone(),
                );
                tokio::spawn(async move {
                    let mut k = c;
                    while Instant::now() < until {
                        k += 1;
                        let body = if k % 10 == 0 {
                            json!({ "query": LIST })
                        } else {
                            json!({ "query": SEARCH, "variables": { "q": words[k % words.len()] } })
                        };
                        let t = Instant::now();
                        match client
                            .post(format!("{base}/graphql"))
                            .json(&body)
                            .send()
                            .await
                        {
                            Ok(r) if r.status() == 503 => {
                                shed.fetch_add(1, Ordering::Relaxed);
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                            Ok(r) if r.status().is_success() => {
                                let _ = r.bytes().await;
                                admitted.lock().unwrap().push(t.elapsed());
                            }
                            _ => {
                                errors.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await?;
        }
        let admitted = admitted.lock().unwrap();
        let shed = shed.load(Ordering::Relaxed);
        let all = admitted.len() as u64 + shed;
        println!(
            "load, {clients:>3} clients for {load_secs} s: {:.0} answered/s, admitted p50 {:.1} ms  p99 {:.1} ms, shed {:.1}% ({shed} of {all}), other errors {}",
            admitted.len() as f64 / load_secs as f64,
            pct(&admitted, 0.5),
            pct(&admitted, 0.99),
            100.0 * shed as f64 / all.max(1) as f64,
            errors.load(Ordering::Relaxed)
        );
    }
    drop(target);
    Ok(())
}
