//! Builds the starter discipline model `index/disciplines.tsv` from the Apache-2.0 CSL records
//! (title, abstract and keywords of 2,000 Chinese core-journal papers, each with its 学科),
//! with the project's own analysis, so the service can infer a need's likely disciplines
//! before it holds published results of its own.
//!
//! Run: `cargo run --example train_disciplines -- ../shared/data/csl-benchmark/csl_joined_2k.jsonl index/disciplines.tsv`

#[path = "../benches/support/csl_topics.rs"]
mod csl_topics;

use anyhow::Context;
use qianxian::search::analysis::Analyzer;
use qianxian::search::config::IndexConfig;
use qianxian::search::matching::disciplines::DisciplineModel;
use std::collections::BTreeMap;

#[derive(serde::Deserialize)]
struct Record {
    title: String,
    #[serde(rename = "abstract")]
    text: String,
    keywords: Vec<String>,
    discipline: String,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [source, output] = &args[..] else {
        anyhow::bail!("usage: train_disciplines <csl_joined_2k.jsonl> <output.tsv>");
    };
    let codes: BTreeMap<&str, &str> = csl_topics::TOPICS
        .iter()
        .map(|(label, code, _)| (*label, *code))
        .collect();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("index");
    let analyzer = Analyzer::from_config(&IndexConfig::load(&dir)?);
    let mut model = DisciplineModel::default();
    let text = std::fs::read_to_string(source).with_context(|| format!("reading {source}"))?;
    let mut records = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let r: Record = serde_json::from_str(line)?;
        let code = codes
            .get(r.discipline.as_str())
            .with_context(|| format!("no GB/T 13745 code for {}", r.discipline))?;
        let body = format!("{}\n{}\n{}", r.title, r.text, r.keywords.join(" "));
        let words = analyzer.query_words(&body, true);
        model.learn(
            code,
            words.iter().map(|t| t.text.as_str()).filter(|w| {
                w.chars().count() >= 2 && !w.chars().all(|c| c.is_ascii_digit() || c == '.')
            }),
        );
        records += 1;
    }
    model.prune(2);
    let header = format!(
        "Starter discipline model: word counts per GB/T 13745 first-level discipline.\n\
         Learnt from {records} CSL records (github.com/ydli-ai/CSL, benchmark/, commit 0f1ac06,\n\
         Apache-2.0; see NOTICE) by `cargo run --example train_disciplines`;\n\
         words fewer than two records hold are left out.\n\
         Format: class<TAB>code<TAB>texts<TAB>words, then word<TAB>code:texts ..."
    );
    std::fs::write(output, model.to_tsv(&header)).with_context(|| format!("writing {output}"))?;
    println!("{records} records → {output} ({} texts)", model.texts());
    Ok(())
}
