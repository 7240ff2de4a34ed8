//! Pulling a market: the release binary serves a fake market (`qianxian fake-market`) with
//! `QX_REMOTE` listings (default 100,000) as a separate process on loopback; this process runs
//! one full sync into a fresh SQLite database (or `QX_DATABASE_URL`) through the services, then
//! indexes everything, and reports the time, the rate and its resident memory (current and
//! peak) along the way.
//!
//! Run: `cargo build --release && QX_REMOTE=100000 cargo bench --bench sync`
//! (`QX_MARKET=marine` for the marine contract).

use qianxian::config::Settings;
use qianxian::connectors::http::Resilience;
use qianxian::connectors::{ConnectorsSettings, Market, MarketSettings, fake::Credentials};
use qianxian::db::Database;
use qianxian::service::Actor;
use qianxian::service::sync::Trigger;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    qianxian::connectors::http::install_crypto();
    let n = env_u64("QX_REMOTE", 100_000);
    let market = Market::parse(&std::env::var("QX_MARKET").unwrap_or_else(|_| "provincial".into()))
        .expect("provincial or marine");
    let port = 19_000 + (std::process::id() % 1000) as u16;
    let binary = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/qianxian");
    anyhow::ensure!(
        binary.exists(),
        "build the release binary first: cargo build --release"
    );
    let started = Instant::now();
    let mut fake = Command::new(&binary)
        .args([
            "fake-market",
            market.as_str(),
            "--port",
            &port.to_string(),
            "--listings",
            &n.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let url = format!("http://127.0.0.1:{port}");
    let probe = reqwest::Client::new();
    while probe.get(format!("{url}/_stats")).send().await.is_err() {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(60),
            "fake market did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "fake {} market with {n} listings up in {:.1} s",
        market.as_str(),
        started.elapsed().as_secs_f64()
    );

    let dir = tempfile::tempdir()?;
    let mut settings = Settings {
        data_dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    if let Ok(url) = std::env::var("QX_DATABASE_URL") {
        settings.database.url = url;
    }
    let creds = Credentials::default();
    let market_settings = MarketSettings {
        enabled: true,
        base_url: url.clone(),
        token: creds.token,
        app_key: creds.app_key,
        app_secret: creds.app_secret,
        every_minutes: 0,
        page_size: 500,
        resilience: Resilience {
            per_second: 1_000,
            ..Default::default()
        },
    };
    settings.connectors = ConnectorsSettings {
        provincial: market_settings.clone(),
        marine: market_settings,
    };
    let db = Database::connect(&settings.database_url(), settings.database.max_connections).await?;
    db.migrate().await?;
    let services = qianxian::service::Services::new(
        db,
        Arc::new(qianxian::clock::SystemClock),
        settings.service_settings()?,
        settings.open_search_index()?,
    );
    let (rss0, _) = rss_mib();
    let t = Instant::now();
    let last = std::sync::Mutex::new(Instant::now());
    let run = services
        .sync
        .run(&Actor::System, market, Trigger::Command, |c| {
            let mut last = last.lock().unwrap();
            if last.elapsed() >= Duration::from_secs(5) {
                *last = Instant::now();
                let (rss, peak) = rss_mib();
                println!(
                    "  {:>7} fetched  {:>6.0}/s  RSS {rss:.0} MiB (peak {peak:.0})",
                    c.fetched,
                    c.fetched as f64 / t.elapsed().as_secs_f64()
                );
            }
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let pulled = t.elapsed();
    println!(
        "sync {}: fetched {} created {} quarantined {} in {:.1} s ({:.0} listings/s)",
        run.status,
        run.fetched,
        run.created,
        run.quarantined,
        pulled.as_secs_f64(),
        run.fetched as f64 / pulled.as_secs_f64()
    );
    let t2 = Instant::now();
    let indexed = services.search.catch_up().await?;
    let index_time = t2.elapsed();
    let (rss, peak) = rss_mib();
    println!(
        "indexing {indexed} outbox rows: {:.1} s; total pull + index {:.1} s",
        index_time.as_secs_f64(),
        (pulled + index_time).as_secs_f64()
    );
    println!("RSS of this process: before {rss0:.0} MiB, after {rss:.0} MiB, peak {peak:.0} MiB");
    let _ = fake.kill();
    Ok(())
}
