//! What opaque global ids cost: the codec alone (a ten-round Feistel network, one SHA-256
//! block a round), and a page of listings over HTTP with and without its ids (interleaved in
//! one run, so the ratio holds on a noisy host).
//!
//! Run: `cargo bench --bench ids` (release build, real HTTP on loopback, SQLite in a temp dir,
//! the demo data).

#[path = "support/demo_app.rs"]
mod demo_app;

use qianxian::graphql::ids::{IdCodec, NodeType};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn post(client: &reqwest::Client, url: &str, query: &str) -> Value {
    let body = json!({ "query": query });
    let answer: Value = client
        .post(url)
        .json(&body)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert!(answer.get("errors").is_none(), "{answer}");
    answer
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let codec = IdCodec::new(b"a benchmark secret of some length");
    let n = 1_000_000;
    let started = Instant::now();
    let mut texts = Vec::with_capacity(n);
    for id in 1..=n as i32 {
        texts.push(codec.encode(NodeType::Need, id));
    }
    let encode = started.elapsed();
    let started = Instant::now();
    for (i, text) in texts.iter().enumerate() {
        assert_eq!(codec.decode(text, NodeType::Need)?, i as i32 + 1);
    }
    let decode = started.elapsed();
    println!(
        "codec: encode {:.0} ns/id, decode {:.0} ns/id ({n} ids)",
        encode.as_nanos() as f64 / n as f64,
        decode.as_nanos() as f64 / n as f64
    );

    let demo = demo_app::start().await?;
    let url = &demo.url;
    let client = reqwest::Client::new();
    let with_ids = "{ achievements(first: 100) { nodes { id title owner { id name } } } }";
    let without = "{ achievements(first: 100) { nodes { title owner { name } } } }";
    let page = post(&client, url, with_ids).await;
    let listed = page["data"]["achievements"]["nodes"]
        .as_array()
        .map_or(0, Vec::len);
    for _ in 0..100 {
        post(&client, url, with_ids).await;
        post(&client, url, without).await;
    }
    let (mut ided, mut plain) = (Vec::new(), Vec::new());
    for _ in 0..1000 {
        let t = Instant::now();
        post(&client, url, with_ids).await;
        ided.push(t.elapsed());
        let t = Instant::now();
        post(&client, url, without).await;
        plain.push(t.elapsed());
    }
    let (ided, plain) = (median(ided), median(plain));
    println!(
        "page of {listed} results over HTTP: with {} ids p50 {:.3} ms, without {:.3} ms, ratio {:.3}",
        listed * 2,
        ided.as_secs_f64() * 1e3,
        plain.as_secs_f64() * 1e3,
        ided.as_secs_f64() / plain.as_secs_f64()
    );
    Ok(())
}
