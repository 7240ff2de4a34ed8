//! The versioned search configuration in `index/`: version, dictionary and synonyms. Its
//! fingerprint is stored with the index; a different fingerprint means rebuild.

use anyhow::Context;
use sha2::{Digest, Sha256};
use std::path::Path;

/// Bumped when the document schema in code changes.
const SCHEMA_VERSION: u32 = 11;

/// The loaded configuration.
#[derive(Debug, Clone)]
pub struct IndexConfig {
    /// Operator-set version from `config.toml`.
    pub version: u32,
    /// Dictionary text (`word [freq] [tag]` lines).
    pub dictionary: String,
    /// Synonym groups.
    pub synonyms: String,
    /// Stopword characters, one a line (empty: none).
    pub stopwords: String,
    /// `search` (jieba search mode: words and their sub-words) or `precise`.
    pub segmentation: Segmentation,
    /// Which bigrams the bigram field holds.
    pub bigrams: Bigrams,
    /// Query-time field weights (no rebuild needed to change them).
    pub weights: Weights,
    /// Segment queries into whole words only, even when documents carry sub-words too.
    pub precise_queries: bool,
    /// A query uses at most this many of its bigrams, the rarest (0: all; query time).
    pub max_query_bigrams: usize,
    /// A query leaves out terms found in more than this share of the listings (0: none).
    pub max_term_share: f32,
    /// Terms in at most this share of the listings decide which listings match; commoner
    /// terms only add to the score of those (0: every term decides; query time).
    pub max_required_share: f32,
    /// ... but terms in at most this many listings always decide, so a small market keeps
    /// plain any-word matching.
    pub min_required_listings: u64,
    /// Industry ↔ discipline crosswalk for matching (ranking only: no rebuild).
    pub crosswalk: crate::search::crosswalk::Crosswalk,
    /// Reviewed company-profile words that a need's key terms down-weight (ranking only).
    pub profile_words: crate::search::matching::terms::ProfileWords,
    /// The starter model that infers disciplines from text (ranking only).
    pub disciplines: crate::search::matching::disciplines::DisciplineModel,
}

/// How jieba segments text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Segmentation {
    /// Words plus their dictionary sub-words (`中国科学院` → `中国`, `科学`, `科学院`, …).
    Search,
    /// Words only.
    #[default]
    Precise,
}

/// Which CJK bigrams documents carry in their bigram field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Bigrams {
    /// Every bigram.
    #[default]
    All,
    /// Bigrams that are not dictionary words: those (电池, 研究) are word tokens already, and
    /// a query looks them up in the word field.
    NonWords,
}

/// BM25 weight of each field in a query.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct Weights {
    /// Keywords.
    pub keywords: f32,
    /// Body words.
    pub body: f32,
    /// Body bigrams.
    pub body_bigram: f32,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            keywords: 2.0,
            body: 1.0,
            body_bigram: 0.15,
        }
    }
}

#[derive(serde::Deserialize)]
struct ConfigFile {
    version: u32,
    dictionary: String,
    synonyms: String,
    stopwords: Option<String>,
    #[serde(default)]
    segmentation: Segmentation,
    #[serde(default)]
    bigrams: Bigrams,
    #[serde(default)]
    weights: Weights,
    #[serde(default)]
    precise_queries: bool,
    crosswalk: Option<String>,
    profile_words: Option<String>,
    disciplines: Option<String>,
    #[serde(default)]
    max_query_bigrams: usize,
    #[serde(default)]
    max_term_share: f32,
    #[serde(default)]
    max_required_share: f32,
    #[serde(default)]
    min_required_listings: u64,
}

impl IndexConfig {
    /// Loads `config.toml` and the files it names from `dir`.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join("config.toml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let file: ConfigFile =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name))
                .with_context(|| format!("reading {}", dir.join(name).display()))
        };
        Ok(Self {
            version: file.version,
            dictionary: read(&file.dictionary)?,
            synonyms: read(&file.synonyms)?,
            stopwords: match &file.stopwords {
                Some(name) => check_stopwords(&read(name)?)
                    .with_context(|| format!("checking {}", dir.join(name).display()))?,
                None => String::new(),
            },
            segmentation: file.segmentation,
            bigrams: file.bigrams,
            weights: file.weights,
            precise_queries: file.precise_queries,
            max_query_bigrams: file.max_query_bigrams,
            max_term_share: file.max_term_share,
            max_required_share: file.max_required_share,
            min_required_listings: file.min_required_listings,
            crosswalk: match &file.crosswalk {
                Some(name) => crate::search::crosswalk::Crosswalk::parse(&read(name)?)
                    .with_context(|| format!("checking {}", dir.join(name).display()))?,
                None => Default::default(),
            },
            profile_words: match &file.profile_words {
                Some(name) => crate::search::matching::terms::ProfileWords::parse(&read(name)?),
                None => Default::default(),
            },
            disciplines: match &file.disciplines {
                Some(name) => {
                    crate::search::matching::disciplines::DisciplineModel::parse(&read(name)?)
                        .with_context(|| format!("checking {}", dir.join(name).display()))?
                }
                None => Default::default(),
            },
        })
    }

    /// Identifies everything that shapes the index; any change means rebuild.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(format!(
            "schema={SCHEMA_VERSION};version={};segmentation={:?};bigrams={:?};",
            self.version, self.segmentation, self.bigrams
        ));
        h.update(self.dictionary.as_bytes());
        h.update([0]);
        h.update(self.synonyms.as_bytes());
        h.update([0]);
        h.update(self.stopwords.as_bytes());
        hex::encode(&h.finalize()[..16])
    }
}

/// A stopword file holds one Chinese character a line (`#` starts a comment): stopwords
/// work on the characters jieba leaves on their own.
fn check_stopwords(text: &str) -> anyhow::Result<String> {
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut chars = line.chars();
        let one_han =
            chars.next().is_some_and(crate::search::analysis::is_han) && chars.next().is_none();
        anyhow::ensure!(
            one_han,
            "line {}: `{line}` is not one Chinese character (one stopword character a line)",
            i + 1
        );
    }
    Ok(text.to_owned())
}

#[cfg(test)]
impl IndexConfig {
    /// For unit tests: version 1, no dictionary, synonyms or stopwords, search segmentation,
    /// non-word bigrams, and every query-time refinement off.
    pub(crate) fn plain() -> Self {
        Self {
            version: 1,
            dictionary: String::new(),
            synonyms: String::new(),
            stopwords: String::new(),
            segmentation: Segmentation::Search,
            bigrams: Bigrams::NonWords,
            weights: Weights::default(),
            precise_queries: false,
            max_query_bigrams: 0,
            max_term_share: 0.0,
            max_required_share: 0.0,
            min_required_listings: 0,
            crosswalk: Default::default(),
            profile_words: Default::default(),
            disciplines: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_changes_with_what_shapes_the_index_only() {
        let base = IndexConfig {
            dictionary: "钙钛矿".into(),
            synonyms: "thz, 太赫兹".into(),
            stopwords: "的".into(),
            bigrams: Bigrams::All,
            ..IndexConfig::plain()
        };
        let fp = base.fingerprint();
        let changed = |f: &dyn Fn(&mut IndexConfig)| {
            let mut c = base.clone();
            f(&mut c);
            c.fingerprint()
        };
        assert_eq!(fp, base.clone().fingerprint());
        assert_ne!(fp, changed(&|c| c.version = 2));
        assert_ne!(fp, changed(&|c| c.dictionary.push_str("\n固态电池")));
        assert_ne!(fp, changed(&|c| c.synonyms.clear()));
        assert_ne!(fp, changed(&|c| c.stopwords.push_str("\n和")));
        assert_ne!(fp, changed(&|c| c.segmentation = Segmentation::Precise));
        assert_ne!(fp, changed(&|c| c.bigrams = Bigrams::NonWords));
        assert_eq!(
            fp,
            changed(&|c| c.weights.body = 9.0),
            "weights apply at query time"
        );
        assert_eq!(
            fp,
            changed(&|c| c.precise_queries = true),
            "so does query segmentation"
        );
    }

    #[test]
    fn the_shipped_configuration_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("index");
        let cfg = IndexConfig::load(&dir).expect("index/ loads");
        assert!(cfg.dictionary.contains("钙钛矿"));
        assert!(cfg.synonyms.contains("太赫兹"));
        assert!(!cfg.crosswalk.is_empty());
        assert!(cfg.stopwords.lines().any(|l| l == "的"));
    }

    #[test]
    fn a_stopword_line_must_be_one_chinese_character() {
        assert!(check_stopwords("# 虚词\n的\n\n 和 \n").is_ok());
        for bad in ["的\n以及", "的\nthe"] {
            let err = check_stopwords(bad).unwrap_err().to_string();
            assert!(err.starts_with("line 2:"), "{err}");
        }
    }
}
