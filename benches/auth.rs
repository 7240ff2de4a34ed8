//! Login latency with the production argon2id parameters, and the cost an access token adds to
//! a simple query (authenticated versus anonymous, interleaved in one run).
//!
//! Run: `cargo bench --bench auth` (release build, real HTTP on loopback, SQLite in a temp dir).

#[path = "support/demo_app.rs"]
mod demo_app;

use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn report(name: &str, mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "{name:<28} n={:<5} mean={:>8.3} ms  p50={:>8.3} ms  p99={:>8.3} ms",
        samples.len(),
        mean.as_secs_f64() * 1e3,
        percentile(&samples, 0.5).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3
    );
    mean
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    query: &str,
    vars: Value,
) -> Value {
    let mut req = client
        .post(url)
        .json(&json!({ "query": query, "variables": vars }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("send").json().await.expect("json")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let demo = demo_app::start().await?;
    let (url, settings) = (&demo.url, &demo.settings);
    let client = reqwest::Client::new();
    println!(
        "argon2id m={} KiB t={} p={} (demo data loaded)",
        settings.auth.argon2_memory_kib,
        settings.auth.argon2_iterations,
        settings.auth.argon2_parallelism
    );

    let login = "mutation($i: LoginInput!) { login(input: $i) { accessToken } }";
    let vars =
        json!({ "i": { "login": "ouc.member@example.edu.cn", "password": "Qianxian-demo-2026" } });
    let mut logins = Vec::new();
    let mut token = String::new();
    for _ in 0..60 {
        let t = Instant::now();
        let body = post(&client, url, None, login, vars.clone()).await;
        logins.push(t.elapsed());
        token = body["data"]["login"]["accessToken"]
            .as_str()
            .expect("logged in")
            .to_owned();
    }
    report("login (HTTP, argon2id)", logins);

    let query = "{ achievements(first: 10) { totalCount nodes { title owner { name } } } }";
    for _ in 0..200 {
        post(&client, url, None, query, json!({})).await;
        post(&client, url, Some(&token), query, json!({})).await;
    }
    let (mut anon, mut authed) = (Vec::new(), Vec::new());
    for _ in 0..2000 {
        let t = Instant::now();
        post(&client, url, None, query, json!({})).await;
        anon.push(t.elapsed());
        let t = Instant::now();
        let body = post(&client, url, Some(&token), query, json!({})).await;
        authed.push(t.elapsed());
        assert!(body.get("errors").is_none(), "{body}");
    }
    let a = report("query anonymous", anon);
    let b = report("query with access token", authed);
    println!(
        "authenticated / anonymous mean ratio: {:.3}",
        b.as_secs_f64() / a.as_secs_f64()
    );
    Ok(())
}
