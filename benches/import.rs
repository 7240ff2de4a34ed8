//! Importing a large spreadsheet: writes an XLSX of `QX_ROWS` results (default 50,000; shared
//! strings, as Excel saves them) composed from real CSL sentences, seeds a fresh data folder
//! with the release binary, then runs `qianxian import` on the file as an operator would and
//! samples the importing process's resident memory every 100 ms.
//!
//! Run: `cargo build --release && cargo bench --bench import`
//! (`QX_DATABASE_URL=postgres://…` for PostgreSQL, `QX_PER_ROW=1` for row-by-row mode,
//! `QX_FILE=/tmp/rows.xlsx` to keep the workbook between runs).

#[path = "support/synthetic.rs"]
mod synthetic;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// 中国海洋大学 in `seeds/organizations.toml`.
const OWNER: &str = "12370212442710368C";

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn rss_kib(pid: u32, key: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

const HEADERS: [&str; 12] = [
    "成果编号",
    "成果名称",
    "成果简介",
    "关键词",
    "学科代码",
    "行业代码",
    "技术成熟度",
    "转化方式",
    "意向价格（万元）",
    "负责人",
    "发明人",
    "重点产业赛道",
];

fn write_workbook(path: &std::path::Path, rows: u64) -> anyhow::Result<()> {
    let corpus = synthetic::Corpus::load()?;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in HEADERS.iter().enumerate() {
        sheet.write_string(0, c as u16, *h)?;
    }
    let modes = [
        "转让",
        "普通许可；合作开发",
        "技术服务",
        "独占许可",
        "作价投资；转让",
    ];
    let tracks = ["", "海洋药物与生物制品", "", "人工智能", ""];
    for i in 0..rows {
        let doc = corpus.listing(i);
        let r = (i + 1) as u32;
        let title: String = doc.title.chars().take(80).collect();
        let keywords: Vec<&String> = doc
            .keywords
            .iter()
            .filter(|k| k.chars().count() <= 20)
            .take(5)
            .collect();
        let trl = doc.profile.trl.unwrap_or(5);
        let k = i as usize;
        sheet.write_string(r, 0, format!("BENCH-{i:06}"))?;
        sheet.write_string(r, 1, format!("{title}（{i}）"))?;
        sheet.write_string(r, 2, doc.body.chars().take(4_900).collect::<String>())?;
        sheet.write_string(
            r,
            3,
            keywords
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("；"),
        )?;
        sheet.write_string(r, 4, doc.profile.discipline.clone().unwrap_or_default())?;
        sheet.write_string(r, 5, doc.profile.industries.join("；"))?;
        sheet.write_number(r, 6, f64::from(trl))?;
        sheet.write_string(r, 7, modes[k % modes.len()])?;
        sheet.write_string(
            r,
            8,
            if k.is_multiple_of(3) {
                "面议".to_owned()
            } else {
                format!("{}", 10 + k % 490)
            },
        )?;
        sheet.write_string(r, 9, "王海")?;
        sheet.write_string(r, 10, "王海、李青")?;
        sheet.write_string(r, 11, tracks[k % tracks.len()])?;
    }
    book.save(path)?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let rows = env_u64("QX_ROWS", 50_000);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let binary = root.join("target/release/qianxian");
    anyhow::ensure!(
        binary.exists(),
        "build the release binary first: cargo build --release"
    );
    let dir = tempfile::tempdir()?;
    // `QX_FILE` keeps the workbook between runs (written when missing).
    let file = std::env::var("QX_FILE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.path().join("成果清单.xlsx"));
    let t = Instant::now();
    if !file.exists() {
        write_workbook(&file, rows)?;
    }
    println!(
        "wrote {rows} rows to {} ({:.1} MiB) in {:.1} s",
        file.display(),
        std::fs::metadata(&file)?.len() as f64 / 1048576.0,
        t.elapsed().as_secs_f64()
    );
    let qianxian = |args: &[&str]| {
        let mut cmd = Command::new(&binary);
        cmd.args(args)
            .env("QIANXIAN__DATA_DIR", dir.path())
            .env("QIANXIAN__SEARCH__CONFIG_DIR", root.join("index"))
            .env("QIANXIAN__SEED__DIR", root.join("seeds"))
            .env("QIANXIAN__LOG__FILTER", "warn");
        match std::env::var("QX_DATABASE_URL") {
            Ok(url) => cmd.env("QIANXIAN__DATABASE__URL", url),
            Err(_) => cmd.env_remove("QIANXIAN__DATABASE__URL"),
        };
        cmd
    };
    let seeded = qianxian(&["seed"]).output()?;
    anyhow::ensure!(seeded.status.success(), "seed failed: {seeded:?}");

    let mut args = vec!["import", file.to_str().expect("utf-8 path"), "--org", OWNER];
    if env_u64("QX_PER_ROW", 0) == 1 {
        args.push("--per-row");
    }
    let started = Instant::now();
    let mut child = qianxian(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let pid = child.id();
    let mut peak = 0u64;
    let mut samples: Vec<(f64, u64)> = Vec::new();
    let mut last_print = Instant::now();
    while child.try_wait()?.is_none() {
        if let Some(rss) = rss_kib(pid, "VmRSS:") {
            peak = peak.max(rss);
            samples.push((started.elapsed().as_secs_f64(), rss));
            if last_print.elapsed() >= Duration::from_secs(5) {
                last_print = Instant::now();
                println!(
                    "  {:>5.1} s  RSS {:.0} MiB",
                    started.elapsed().as_secs_f64(),
                    rss as f64 / 1024.0
                );
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let wall = started.elapsed();
    let status = child.wait()?;
    let out: Vec<String> = BufReader::new(child.stdout.take().expect("stdout"))
        .lines()
        .map_while(Result::ok)
        .collect();
    for line in out.iter().rev().take(4).rev() {
        println!("  | {line}");
    }
    anyhow::ensure!(status.success(), "import failed");
    // Flat memory: RSS in the second half of the run against the first.
    let mid = wall.as_secs_f64() / 2.0;
    let avg = |lo: f64, hi: f64| {
        let v: Vec<u64> = samples
            .iter()
            .filter(|(t, _)| *t >= lo && *t < hi)
            .map(|s| s.1)
            .collect();
        v.iter().sum::<u64>() as f64 / v.len().max(1) as f64 / 1024.0
    };
    println!(
        "import of {rows} XLSX rows (incl. start-up, migrations check and indexing): {:.1} s wall, {:.0} rows/s",
        wall.as_secs_f64(),
        rows as f64 / wall.as_secs_f64()
    );
    println!(
        "RSS of the import process: mean {:.0} MiB in the first half, {:.0} MiB in the second; peak {:.0} MiB",
        avg(0.0, mid),
        avg(mid, f64::MAX),
        peak as f64 / 1024.0
    );
    Ok(())
}
