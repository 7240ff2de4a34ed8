#![allow(dead_code)] // each benchmark uses part of the generator
//! A deterministic generator of synthetic listings composed from real CSL sentences (read from
//! `../shared/data`, never copied here): listing `i` is always the same listing, so a benchmark
//! can stream 1M listings without holding them and regenerate any of them as a query source.

use qianxian::domain::TransferMode;
use qianxian::search::index::{DocKind, ListingDoc, Profile};
use std::collections::HashMap;

#[derive(serde::Deserialize)]
pub struct Paper {
    pub title: String,
    #[serde(rename = "abstract")]
    pub text: String,
    pub keywords: Vec<String>,
    pub discipline: String,
}

/// `(GB/T 13745, GB/T 4754)` pairs a CSL discipline is mapped to (by hash), all real codes.
const FIELDS: &[(&str, &str)] = &[
    ("43070", "C3841"),
    ("47040", "C3811"),
    ("52020", "I6513"),
    ("24020", "A0411"),
    ("35010", "C2710"),
    ("17060", "M7320"),
    ("51050", "C3921"),
    ("58050", "C3731"),
    ("61030", "N7721"),
    ("55020", "C1311"),
    ("46010", "C3411"),
    ("53041", "C2614"),
    ("18061", "C1495"),
    ("41630", "C3734"),
];
/// Owners' districts: mostly Qingdao, some Shandong, a few elsewhere.
const REGIONS: &[&str] = &[
    "370202", "370203", "370211", "370212", "370212", "370213", "370214", "370102", "370302",
    "370602", "370702", "110108", "310104",
];
const TITLE_TAILS: &[&str] = &[
    "",
    "的产业化应用",
    "关键技术",
    "中试与工程化",
    "成套装备",
    "技术服务",
    "联合攻关",
    "示范应用",
];

/// The loaded corpus.
pub struct Corpus {
    pub papers: Vec<Paper>,
    by_discipline: HashMap<String, Vec<usize>>,
    sentences: Vec<Vec<String>>,
}

/// splitmix64: a tiny deterministic generator.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn hash(s: &str) -> usize {
    s.bytes().fold(1469598103934665603u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(1099511628211)
    }) as usize
}

impl Corpus {
    /// Loads `csl-benchmark/csl_joined_2k.jsonl` from `QIANXIAN_SHARED_DATA` or `../shared/data`.
    pub fn load() -> anyhow::Result<Self> {
        let root = std::env::var("QIANXIAN_SHARED_DATA")
            .unwrap_or_else(|_| format!("{}/../shared/data", env!("CARGO_MANIFEST_DIR")));
        let path = format!("{root}/csl-benchmark/csl_joined_2k.jsonl");
        let text =
            std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("reading {path}: {e}"))?;
        let papers: Vec<Paper> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()?;
        let mut by_discipline: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in papers.iter().enumerate() {
            by_discipline
                .entry(p.discipline.clone())
                .or_default()
                .push(i);
        }
        let sentences = papers
            .iter()
            .map(|p| {
                p.text
                    .split(['。', '；', ';'])
                    .map(str::trim)
                    .filter(|s| s.chars().count() >= 8)
                    .map(|s| format!("{s}。"))
                    .collect()
            })
            .collect();
        for (d, i) in FIELDS {
            assert!(qianxian::codes::disciplines().contains(d), "{d}");
            assert!(qianxian::codes::industries().contains(i), "{i}");
        }
        for r in REGIONS {
            assert!(qianxian::codes::regions().contains(r), "{r}");
        }
        Ok(Self {
            papers,
            by_discipline,
            sentences,
        })
    }

    /// Listing `i`: 60% results, 40% needs (10% of them anonymous, 10% confidential). Its
    /// title is its paper's title with a varying tail; its text mixes two sentences of that
    /// paper with one of another paper of the same discipline (about 480 characters in all,
    /// the length of a listing's summary, advantages and fields of application).
    pub fn listing(&self, i: u64) -> ListingDoc {
        let mut rng = Rng::new(i);
        let p = rng.below(self.papers.len());
        let paper = &self.papers[p];
        let peers = &self.by_discipline[&paper.discipline];
        let mut body = String::new();
        let own = &self.sentences[p];
        for _ in 0..2 {
            if !own.is_empty() {
                body.push_str(&own[rng.below(own.len())]);
            }
        }
        for _ in 0..1 {
            let other = &self.sentences[peers[rng.below(peers.len())]];
            if !other.is_empty() {
                body.push_str(&other[rng.below(other.len())]);
            }
        }
        let title = format!(
            "{}{}",
            paper.title,
            TITLE_TAILS[rng.below(TITLE_TAILS.len())]
        );
        let kind = if i % 5 < 3 {
            DocKind::Achievement
        } else {
            DocKind::Need
        };
        let visibility = match (kind, rng.below(10)) {
            (DocKind::Achievement, _) => "PUBLIC",
            (_, 0) => "ANONYMOUS",
            (_, 1) => "CONFIDENTIAL",
            _ => "PUBLIC",
        };
        let (discipline, industry) = FIELDS[hash(&paper.discipline) % FIELDS.len()];
        let region = REGIONS[rng.below(REGIONS.len())];
        let trl = 1 + rng.below(9) as u8;
        let modes: Vec<TransferMode> = TransferMode::ALL
            .iter()
            .copied()
            .filter(|m| (kind == DocKind::Need || m.offered_by_achievements()) && rng.below(3) == 0)
            .collect();
        let industries = vec![industry.to_owned()];
        let facets = facets(&industries, discipline, region, trl, &modes);
        ListingDoc {
            kind,
            id: i as i32,
            owner_id: (i % 5000) as i32 + 1,
            body: format!("{title}\n{body}"),
            title,
            keywords: paper.keywords.clone(),
            visibility,
            live: true,
            expires_at: None,
            facets,
            trl: Some(trl),
            updated_at: i as i64,
            profile: Profile {
                industries,
                discipline: Some(discipline.to_owned()),
                region: Some(region.to_owned()),
                trl: Some(trl),
                modes,
            },
        }
    }
}

fn lineage(table: &qianxian::codes::CodeTable, root: &str, code: &str) -> String {
    table.facet_path(root, code).unwrap_or_default()
}

fn facets(
    industries: &[String],
    discipline: &str,
    region: &str,
    trl: u8,
    modes: &[TransferMode],
) -> Vec<String> {
    let mut out: Vec<String> = industries
        .iter()
        .map(|c| lineage(qianxian::codes::industries(), "industry", c))
        .collect();
    out.push(lineage(
        qianxian::codes::disciplines(),
        "discipline",
        discipline,
    ));
    out.push(lineage(qianxian::codes::regions(), "region", region));
    out.push(format!("/trl/{trl}"));
    out.extend(modes.iter().map(|m| format!("/mode/{}", m.as_str())));
    out
}

/// Search queries of the kinds users type: a paper's keywords, a title as a problem
/// statement, one keyword, and a keyword with a model-number-like token.
pub fn queries(corpus: &Corpus, n: usize) -> Vec<String> {
    let mut rng = Rng::new(0x5eed);
    (0..n)
        .map(|i| {
            let p = &corpus.papers[rng.below(corpus.papers.len())];
            match i % 4 {
                0 => p.keywords.join(" "),
                1 => p.title.clone(),
                2 => p
                    .keywords
                    .first()
                    .cloned()
                    .unwrap_or_else(|| p.title.clone()),
                _ => format!(
                    "{} {}",
                    p.keywords.last().cloned().unwrap_or_default(),
                    p.keywords.first().cloned().unwrap_or_default()
                ),
            }
        })
        .collect()
}
