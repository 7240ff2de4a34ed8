//! Engine-level speed and memory at scale, on synthetic listings composed from real CSL
//! sentences (see `support/synthetic.rs`):
//!
//! - bulk indexing rate (listings/s) into a fresh on-disk index, streamed in batches of 100k
//!   and committed once, as `qianxian reindex` does;
//! - search latency (full engine search: visibility, facets, snippets, top 10) over 2,000
//!   queries, p50/p95/p99;
//! - matching latency (key terms → candidates → re-ranking with reasons) over 2,000 sources;
//! - the same queries against SQLite FTS5 over jieba-segmented text of the same corpus, in the
//!   same run, and the ratio;
//! - resident memory (peak and after the writer is released).
//!
//! Run: `QX_LISTINGS=1000000 cargo bench --bench scale` (default 100,000; `QX_FTS5=0` skips
//! FTS5).

#[path = "support/synthetic.rs"]
mod synthetic;

use jieba_rs::Jieba;
use qianxian::search::config::IndexConfig;
use qianxian::search::index::{SearchIndex, SearchOrder, SearchRequest, Visibility};
use qianxian::search::matching::MatchRequest;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use synthetic::Corpus;

const COMMIT_EVERY: u64 = 100_000;
const QUERIES: usize = 2_000;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// CPU seconds (user + system) this process has used.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields after the command name: utime is the 12th, stime the 13th (0-based 11, 12).
    (ticks(11) + ticks(12)) / 100.0
}

fn rss_breakdown() -> String {
    format!(
        "anonymous {:.0} MiB, mapped index files {:.0} MiB",
        rss_kib("RssAnon:") as f64 / 1024.0,
        rss_kib("RssFile:") as f64 / 1024.0
    )
}

fn rss_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

struct Latency(Vec<Duration>);

impl Latency {
    fn pct(&self, p: f64) -> f64 {
        let mut v = self.0.clone();
        v.sort_unstable();
        let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
        v[i].as_secs_f64() * 1000.0
    }
    fn line(&self, name: &str) -> String {
        format!(
            "{name:<34} p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
            self.pct(0.50),
            self.pct(0.95),
            self.pct(0.99),
            self.pct(1.0)
        )
    }
}

fn progress(done: u64, total: u64, started: Instant) {
    eprint!(
        "\r  {done:>9}/{total} listings  {:>6.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn main() -> anyhow::Result<()> {
    let n = env_u64("QX_LISTINGS", 100_000);
    let with_fts5 = env_u64("QX_FTS5", 1) == 1;
    let corpus = Corpus::load()?;
    let mut config =
        IndexConfig::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("index"))?;
    // To explore: QX_QUERY_BIGRAMS=8 (0: all).
    if let Ok(v) = std::env::var("QX_QUERY_BIGRAMS") {
        config.max_query_bigrams = v.parse()?;
    }
    if let Ok(v) = std::env::var("QX_TERM_SHARE") {
        config.max_term_share = v.parse()?;
    }
    if let Ok(v) = std::env::var("QX_REQUIRED_SHARE") {
        config.max_required_share = v.parse()?;
    }
    // QX_STOPWORDS=0 indexes the stopword characters and their bigrams too.
    if env_u64("QX_STOPWORDS", 1) == 0 {
        config.stopwords.clear();
    }
    // QX_BIGRAMS=all puts dictionary-word bigrams in the bigram field too.
    if let Ok(v) = std::env::var("QX_BIGRAMS") {
        config.bigrams = toml::Value::String(v).try_into()?;
    }
    println!(
        "queries use their {} rarest bigrams, leave out terms in more than {:.0}% of the listings and match on terms in at most {:.1}%",
        config.max_query_bigrams,
        config.max_term_share * 100.0,
        config.max_required_share * 100.0
    );
    // QX_INDEX_DIR keeps the index between runs: an index already holding `n` listings is
    // reused and the indexing phase skipped (for exploring query settings at 1M).
    let tmp = tempfile::tempdir()?;
    let dir_path = std::env::var("QX_INDEX_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| tmp.path().to_path_buf());
    println!(
        "scale: {n} synthetic listings from {} CSL papers; index in {}",
        corpus.papers.len(),
        dir_path.display()
    );

    let analyzer = qianxian::search::analysis::Analyzer::from_config(&config);
    let sample: Vec<_> = (0..1000).map(|i| corpus.listing(i)).collect();
    let per = |f: &dyn Fn(&str) -> usize| {
        sample.iter().map(|d| f(&d.body)).sum::<usize>() as f64 / sample.len() as f64
    };
    println!(
        "per listing: {:.0} characters of text, {:.0} word tokens, {:.0} bigram tokens",
        per(&|t| t.chars().count()),
        per(&|t| analyzer.words(t).len()),
        per(&|t| analyzer.document_bigrams(t).len())
    );

    let t = Instant::now();
    for d in &sample {
        std::hint::black_box(analyzer.words(&d.body));
    }
    let words_rate = sample.len() as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    for d in &sample {
        std::hint::black_box(analyzer.bigrams(&d.body));
    }
    let bigrams_rate = sample.len() as f64 / t.elapsed().as_secs_f64();
    println!(
        "analysis on one thread: words {words_rate:.0} listings/s, bigrams {bigrams_rate:.0} listings/s"
    );

    // Bulk indexing: generation is timed apart from indexing.
    let mut index = SearchIndex::open(&dir_path, &config)?;
    // QX_WRITER_MIB explores the writer's memory budget.
    if let Ok(mib) = std::env::var("QX_WRITER_MIB") {
        index.set_writer_memory(mib.parse::<usize>()? << 20);
    }
    let reuse = index.num_docs() == n;
    let (mut indexing, mut generating) = (Duration::ZERO, Duration::ZERO);
    let started = Instant::now();
    let cpu_before = cpu_secs();
    let mut at = if reuse { n } else { 0 };
    while at < n {
        let end = (at + COMMIT_EVERY).min(n);
        let t = Instant::now();
        let docs: Vec<_> = (at..end).map(|i| corpus.listing(i)).collect();
        generating += t.elapsed();
        let t = Instant::now();
        // As a rebuild does: stream batches to the writer, commit once at the end.
        index.stage_rebuild(&docs, at == 0)?;
        indexing += t.elapsed();
        at = end;
        progress(at, n, started);
    }
    let t = Instant::now();
    let mut merges = Duration::ZERO;
    if !reuse {
        index.commit(n as i64)?;
        let committed = t.elapsed();
        index.finish_writes()?;
        merges = t.elapsed() - committed;
    }
    indexing += t.elapsed();
    eprintln!();
    let peak_after_indexing = rss_kib("VmHWM:");
    let rate = n as f64 / indexing.as_secs_f64();
    if reuse {
        println!("indexing: reused the index in {}", dir_path.display());
    } else {
        println!(
            "indexing: {n} listings in {:.1} s = {rate:.0} listings/s (searchable after {:.1} s, then {:.1} s of merges; generation {:.1} s apart; {:.1} CPU s in all); {} docs",
            indexing.as_secs_f64(),
            (indexing - merges).as_secs_f64(),
            merges.as_secs_f64(),
            generating.as_secs_f64(),
            cpu_secs() - cpu_before,
            index.num_docs()
        );
    }
    println!(
        "index: segments of {:?} listings, {:.0} MiB on disk",
        index.segment_sizes(),
        dir_size(&dir_path) as f64 / 1048576.0
    );
    if env_u64("QX_ONLY_INDEX", 0) == 1 {
        return Ok(());
    }

    let queries = synthetic::queries(&corpus, QUERIES);
    let public = Visibility {
        need_visibilities: vec!["PUBLIC", "ANONYMOUS"],
        own_org: None,
    };
    let with_facets = env_u64("QX_FACETS", 1) == 1;
    let request = |q: &str| SearchRequest {
        text: q.to_owned(),
        kind: None,
        visibility: public.clone(),
        now: 0,
        facet_filters: vec![],
        trl_min: None,
        trl_max: None,
        order: SearchOrder::Relevance,
        facets: with_facets,
        offset: 0,
        limit: 10,
    };
    // QX_QUERY="..." times one query five times and shows its words, then stops.
    if let Ok(q) = std::env::var("QX_QUERY") {
        // QX_SOUND_ALIKE=1 makes it try words that sound alike whatever it finds.
        if env_u64("QX_SOUND_ALIKE", 0) == 1 {
            index.set_sound_alike_below(usize::MAX);
        }
        for _ in 0..5 {
            let t = Instant::now();
            let f = index.search(&request(&q))?;
            println!(
                "{q}: {:.2} ms, {} matches",
                t.elapsed().as_secs_f64() * 1000.0,
                f.total
            );
        }
        for w in analyzer.query_words(&q, true) {
            println!("  word {}", w.text);
        }
        return Ok(());
    }
    // Warm the page cache and the term dictionaries once, as a serving process would be.
    for q in queries.iter().take(200) {
        index.search(&request(q))?;
    }
    let mut search = Vec::with_capacity(QUERIES);
    let mut found = 0usize;
    let mut share = 0.0;
    let mut slowest = Vec::new();
    for q in &queries {
        let t = Instant::now();
        let f = index.search(&request(q))?;
        search.push(t.elapsed());
        slowest.push((t.elapsed(), f.total, q));
        found += usize::from(f.total > 0);
        share += f.total as f64 / n as f64;
    }
    // QX_SLOWEST=k lists the k slowest queries with how many listings each matched.
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    for (t, total, q) in slowest.iter().take(env_u64("QX_SLOWEST", 0) as usize) {
        println!(
            "  {:>6.2} ms  {total:>7} matches  {q}",
            t.as_secs_f64() * 1000.0
        );
    }
    println!(
        "queries match {:.1}% of the listings on average",
        100.0 * share / QUERIES as f64
    );
    let search = Latency(search);
    println!(
        "{}  ({found}/{QUERIES} queries with hits)",
        search.line("search (engine, top 10 + facets)")
    );

    let mut matching = Vec::with_capacity(QUERIES);
    let mut rng = synthetic::Rng::new(7);
    let mut matched = 0usize;
    for _ in 0..QUERIES {
        let source = corpus.listing(rng.next() % n);
        let req = MatchRequest {
            source,
            visibility: public.clone(),
            now: 0,
            limit: 10,
            exclude: HashSet::new(),
        };
        let t = Instant::now();
        let hits = index.matches(&req)?;
        matching.push(t.elapsed());
        matched += usize::from(!hits.is_empty());
    }
    let matching = Latency(matching);
    println!(
        "{}  ({matched}/{QUERIES} sources with matches)",
        matching.line("matching (top 10 with reasons)")
    );
    println!(
        "memory: peak RSS {:.0} MiB while indexing; RSS {:.0} MiB serving after queries ({})",
        peak_after_indexing as f64 / 1024.0,
        rss_kib("VmRSS:") as f64 / 1024.0,
        rss_breakdown()
    );

    if with_fts5 {
        fts5(&corpus, n, &queries, &search)?;
    }
    Ok(())
}

/// The same corpus and queries in SQLite FTS5 over jieba-segmented text (default jieba
/// dictionary, words joined by spaces), ranked by FTS5's bm25, top 10.
fn fts5(corpus: &Corpus, n: u64, queries: &[String], ours: &Latency) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("fts.db").display());
    let jieba = Jieba::new();
    let segment = |text: &str| -> String {
        jieba
            .cut(text, true)
            .into_iter()
            .map(|t| t.word.to_lowercase())
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .collect::<Vec<_>>()
            .join(" ")
    };
    rt.block_on(async {
        let db = Database::connect(&url).await?;
        db.execute_unprepared("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;")
            .await?;
        db.execute_unprepared("CREATE VIRTUAL TABLE docs USING fts5(body)")
            .await?;
        let started = Instant::now();
        let mut at = 0;
        while at < n {
            let end = (at + 500).min(n);
            let mut sql = String::from("INSERT INTO docs(rowid, body) VALUES ");
            let mut values: Vec<sea_orm::Value> = Vec::new();
            for i in at..end {
                let d = corpus.listing(i);
                if i > at {
                    sql.push(',');
                }
                sql.push_str("(?, ?)");
                values.push((i as i64).into());
                values.push(segment(&format!("{} {}", d.body, d.keywords.join(" "))).into());
            }
            db.execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                sql,
                values,
            ))
            .await?;
            at = end;
            if at % 50_000 == 0 || at == n {
                progress(at, n, started);
            }
        }
        eprintln!();
        let built = started.elapsed();
        println!(
            "fts5: built {n} rows in {:.1} s = {:.0} rows/s (segmentation included)",
            built.as_secs_f64(),
            n as f64 / built.as_secs_f64()
        );
        let fts_query = |q: &str| -> String {
            let words: HashSet<String> = segment(q)
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(|w| format!("\"{}\"", w.replace('"', "")))
                .collect();
            words.into_iter().collect::<Vec<_>>().join(" OR ")
        };
        for q in queries.iter().take(200) {
            run_fts(&db, &fts_query(q)).await?;
        }
        // FTS5 is slow at a million rows: QX_FTS5_QUERIES bounds the run (same queries, first N).
        let limit = env_u64("QX_FTS5_QUERIES", queries.len() as u64) as usize;
        let mut times = Vec::with_capacity(limit);
        for q in queries.iter().take(limit) {
            let fq = fts_query(q);
            let t = Instant::now();
            run_fts(&db, &fq).await?;
            times.push(t.elapsed());
        }
        let fts = Latency(times);
        println!(
            "{}  ({} queries)",
            fts.line("fts5 (bm25 top 10, no facets)"),
            fts.0.len()
        );
        println!(
            "ratio fts5 / ours: p50 {:.2}x  p99 {:.2}x",
            fts.pct(0.5) / ours.pct(0.5),
            fts.pct(0.99) / ours.pct(0.99)
        );
        anyhow::Ok(())
    })
}

async fn run_fts(db: &sea_orm::DatabaseConnection, query: &str) -> anyhow::Result<usize> {
    if query.is_empty() {
        return Ok(0);
    }
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT 10",
            [query.into()],
        ))
        .await?;
    Ok(rows.len())
}
