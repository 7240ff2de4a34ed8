//! What a listing is about, as weighted words: the key terms a match is looked up and scored
//! by.
//!
//! A need is read the way a broker reads a posting. A platform prefix (`【寻求合作】`) is no
//! part of its title. The title counts more than the detail, and the detail is often mostly
//! the company's profile (founding year, capital, 专精特新, ISO9001, 位于青岛市…): words that
//! are common among *needs* but rare in research text are down-weighted, by the index's own
//! statistics over what anyone may read (`search::statistics`: they follow the needs as they
//! arrive) and a reviewed list in `index/profile_words.txt`. Every word of the text is a
//! candidate; the heaviest are kept, by weight alone.

use crate::search::index::{DocKind, ListingDoc, SearchIndex};
use std::collections::{HashMap, HashSet};
use tantivy::{Searcher, Term};

/// Key terms kept for a listing (the query and the evidence it is scored on).
pub const KEY_TERMS: usize = 20;
/// A title word counts this much more than one occurrence in the detail.
pub const TITLE_WEIGHT: f32 = 2.0;
/// A listing's own keywords count this much.
pub const KEYWORD_WEIGHT: f32 = 1.5;
/// Key-term shares are of at least this many words of the highest IDF.
const MIN_MASS_WORDS: f32 = 3.0;
/// A word in a company-profile sentence counts this much of one in the requirement.
pub const PROFILE_SENTENCE_WEIGHT: f32 = 0.1;
/// Needs a word's share among needs is smoothed with, towards its share among results: a
/// young market's few needs say little, so words start neutral.
const NEED_PRIOR: f32 = 20.0;
/// The most a word on the reviewed profile list keeps of its weight.
const LISTED_PROFILE_FACTOR: f32 = 0.1;
/// A word in at most this share of the needs is specific to the few that use it, whatever
/// its rate among results: the content of a need nothing serves (骨灰盒) rather than the
/// furniture of every posting (有限公司, 降本).
const NEED_RARE: f32 = 0.01;
/// A word no listing of the other kind holds counts against a match in proportion to
/// `listings / (listings + UNSEEN_PRIOR)`: among a few hundred listings a missing word says
/// little, among a hundred thousand it says that nothing there is about it.
const UNSEEN_PRIOR: f32 = 1000.0;
/// Words in more than this share of the other kind's listings (通过, 主要, 研究) are no
/// evidence of a match: they are left out of the key terms ...
const MAX_TERM_SHARE: f32 = 0.05;
/// ... once they are in more than this many listings (a young market of 72 results still
/// drops 通过 and 企业, and keeps a technical word three results share).
const MIN_COMMON_LISTINGS: f32 = 10.0;

/// A listing's key terms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyTerms {
    /// Heaviest first: each word with its share of the listing's weight (the shares of all
    /// key terms sum to 1, words no listing of the other kind holds included, or to less when
    /// the listing says little: see [`MIN_MASS_WORDS`]).
    pub terms: Vec<KeyTerm>,
    /// The summed raw weight (TF × IDF × content factor) of the key terms: how much a listing
    /// says, comparable across listings.
    pub mass: f32,
}

/// One key term.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyTerm {
    /// The word.
    pub word: String,
    /// Its share of the listing's key-term weight.
    pub share: f32,
    /// Its raw weight.
    pub weight: f32,
    /// Listings of the other kind that hold it (0: it can only count against a match).
    pub df: u64,
}

impl KeyTerms {
    /// The terms worth a query (some listing of the other kind holds them).
    pub fn queried(&self) -> impl Iterator<Item = &KeyTerm> {
        self.terms.iter().filter(|t| t.df > 0)
    }
}

/// The reviewed list of company-profile words (`index/profile_words.txt`): one word a line,
/// `#` starts a comment.
#[derive(Debug, Clone, Default)]
pub struct ProfileWords(HashSet<String>);

impl ProfileWords {
    /// Parses the list.
    pub fn parse(text: &str) -> Self {
        Self(
            text.lines()
                .map(|l| l.split('#').next().unwrap_or_default().trim())
                .filter(|l| !l.is_empty())
                .map(str::to_lowercase)
                .collect(),
        )
    }

    fn contains(&self, word: &str) -> bool {
        self.0.contains(word)
    }

    /// Words listed.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Words that mark a bracket as a platform's label (`【寻求合作】`, `[技术需求]`, `【急】`): such a
/// bracket is dropped even when it is the whole title.
const PLATFORM_LABEL_WORDS: &[&str] = &[
    "需求", "合作", "对接", "求购", "征集", "发布", "招标", "急", "推荐", "转让",
];

/// A title without its platform prefixes: leading `【…】`, `[…]`, `〔…〕` or `（…）` of at most
/// twelve characters (`【寻求合作】`, `[技术需求]`), with the spaces after them.
pub fn strip_prefixes(title: &str) -> &str {
    let mut rest = title.trim_start();
    loop {
        let Some(open) = rest.chars().next() else {
            return rest;
        };
        let close = match open {
            '【' => '】',
            '[' => ']',
            '〔' => '〕',
            '［' => '］',
            '(' => ')',
            '（' => '）',
            _ => return rest,
        };
        let inner = &rest[open.len_utf8()..];
        let Some(end) = inner.find(close) else {
            return rest;
        };
        let label = &inner[..end];
        let after = inner[end + close.len_utf8()..].trim();
        let platform = PLATFORM_LABEL_WORDS.iter().any(|w| label.contains(w));
        if label.chars().count() > 12 || (after.is_empty() && !platform) {
            return rest;
        }
        rest = inner[end + close.len_utf8()..].trim_start();
    }
}

/// How a listing's text divides into title, detail and keywords.
struct Parts<'a> {
    title: &'a str,
    /// What the detail asks for.
    requirement: String,
    /// What the detail says about the company.
    profile: String,
    keywords: String,
}

/// Labels after which a posting states its requirement (`需求描述：`).
const REQUIREMENT_LABELS: &[&str] = &[
    "需求描述",
    "需求内容",
    "需求说明",
    "具体需求",
    "技术需求描述",
    "技术难题",
    "需解决的问题",
];
/// Labels of a company-profile section (`企业简介：`).
const PROFILE_LABELS: &[&str] = &["企业简介", "公司简介", "单位简介", "企业概况", "公司概况"];

fn parts<'a>(doc: &'a ListingDoc, listed: &ProfileWords) -> Parts<'a> {
    // The body begins with the title (see the listing documents in `service::search`).
    let detail = doc
        .body
        .strip_prefix(doc.title.as_str())
        .filter(|_| !doc.title.is_empty())
        .unwrap_or(&doc.body);
    let (requirement, profile) = if doc.kind == DocKind::Need {
        split_profile(detail, listed)
    } else {
        (detail.to_owned(), String::new())
    };
    Parts {
        title: strip_prefixes(&doc.title),
        requirement,
        profile,
        keywords: doc.keywords.join(" "),
    }
}

/// Splits a need's detail into its requirement and the company's profile. Text after a
/// requirement label (`需求描述：`) is the requirement and text before it the profile; without
/// one, a sentence that holds a word of the reviewed profile list is profile.
pub fn split_profile(detail: &str, listed: &ProfileWords) -> (String, String) {
    let labelled = REQUIREMENT_LABELS.iter().find_map(|label| {
        let at = detail.find(label)?;
        let rest = detail[at + label.len()..].trim_start_matches([' ', '：', ':', '\n']);
        Some((detail[..at].to_owned(), rest.to_owned()))
    });
    if let Some((before, after)) = labelled {
        return (once_each(&after), once_each(&before));
    }
    let (mut requirement, mut profile) = (String::new(), String::new());
    let mut seen = HashSet::new();
    for sentence in detail.split_inclusive(SENTENCE_ENDS) {
        // A sentence pasted again says nothing new.
        if !seen.insert(sentence.trim()) {
            continue;
        }
        let lowered = sentence.to_lowercase();
        let is_profile = PROFILE_LABELS.iter().any(|l| sentence.contains(l))
            || listed.0.iter().any(|w| lowered.contains(w.as_str()));
        if is_profile {
            profile.push_str(sentence);
        } else {
            requirement.push_str(sentence);
        }
    }
    (requirement, profile)
}

const SENTENCE_ENDS: [char; 8] = ['。', '！', '？', '；', '\n', '!', '?', ';'];

/// The text with each sentence once: a sentence pasted again says nothing new.
fn once_each(text: &str) -> String {
    let mut seen = HashSet::new();
    text.split_inclusive(SENTENCE_ENDS)
        .filter(|s| seen.insert(s.trim()))
        .collect()
}

/// Document counts the weights are computed from.
struct Counts {
    needs: f32,
    results: f32,
}

impl SearchIndex {
    /// The key terms of `doc` as matching reads it, looked up against listings of the other
    /// kind.
    pub fn key_terms(&self, searcher: &Searcher, doc: &ListingDoc) -> anyhow::Result<KeyTerms> {
        let f = self.fields;
        let parts = parts(doc, &self.profile_words);
        let mut occurrences: HashMap<String, f32> = HashMap::new();
        for (text, weight) in [
            (parts.title, TITLE_WEIGHT),
            (parts.requirement.as_str(), 1.0),
            (parts.profile.as_str(), PROFILE_SENTENCE_WEIGHT),
            (parts.keywords.as_str(), KEYWORD_WEIGHT),
        ] {
            for t in self.analyzer.query_words(text, true) {
                let chars = t.text.chars().count();
                if chars < 2 || t.text.chars().all(|c| c.is_ascii_digit() || c == '.') {
                    continue;
                }
                *occurrences.entry(t.text).or_default() += weight;
            }
        }
        let counter = self.word_counts.counter(
            searcher,
            self.counted_fields(),
            &crate::search::statistics::Readers::anyone(),
        )?;
        let listings = counter.listings();
        let counts = Counts {
            needs: listings.needs as f32,
            results: listings.results as f32,
        };
        // A need already counted counts once among the needs that use its own words.
        let source_counted = doc.kind == DocKind::Need
            && doc.live
            && matches!(doc.visibility, "PUBLIC" | "ANONYMOUS")
            && searcher
                .doc_freq(&Term::from_field_text(f.key, &doc.kind.key(doc.id)))
                .unwrap_or(0)
                > 0;
        let target = doc.kind.counterpart();
        let mut terms = Vec::with_capacity(occurrences.len());
        for (word, n) in occurrences {
            // Only readable listings count (see `search::statistics`); a word no listing holds at all
            // is not looked for.
            let indexed = searcher.doc_freq(&Term::from_field_text(f.body, &word))? > 0
                || searcher.doc_freq(&Term::from_field_text(f.keywords, &word))? > 0;
            let holding = if indexed {
                counter.holding(&word)?
            } else {
                Default::default()
            };
            let (needs, results) = (holding.needs as f32, holding.results as f32);
            let (df, total) = match target {
                DocKind::Achievement => (results, counts.results),
                DocKind::Need => (needs, counts.needs),
            };
            if df > (MAX_TERM_SHARE * total).max(MIN_COMMON_LISTINGS) {
                continue;
            }
            let idf = (1.0 + (total - df + 0.5) / (df + 0.5)).ln();
            let content = if doc.kind == DocKind::Need {
                let own = if source_counted { 1.0 } else { 0.0 };
                let mut c = content_factor(
                    (needs - own).max(0.0),
                    counts.needs - own,
                    results,
                    counts.results,
                );
                if self.profile_words.contains(&word) {
                    c = c.min(LISTED_PROFILE_FACTOR);
                }
                c
            } else {
                1.0
            };
            let unseen = if df == 0.0 {
                total / (total + UNSEEN_PRIOR)
            } else {
                1.0
            };
            // Sublinear in repeats; a word seen only in the profile keeps its fraction.
            let tf = if n >= 1.0 { 1.0 + n.ln() } else { n };
            let weight = tf * idf * content * unseen;
            if weight > 0.0 {
                terms.push(KeyTerm {
                    word,
                    share: 0.0,
                    weight,
                    df: df as u64,
                });
            }
        }
        terms.sort_by(|a, b| {
            b.weight
                .total_cmp(&a.weight)
                .then_with(|| a.word.cmp(&b.word))
        });
        terms.truncate(KEY_TERMS);
        let mass: f32 = terms.iter().map(|t| t.weight).sum();
        // Shares are of at least a few rare words' worth: a need that says nothing a result
        // could hold (its own words unknown, the rest company profile) has little to share.
        let total = match target {
            DocKind::Achievement => counts.results,
            DocKind::Need => counts.needs,
        };
        let least = MIN_MASS_WORDS * (1.0 + (total + 0.5) / 0.5).ln();
        let denominator = mass.max(least);
        if denominator > 0.0 {
            for t in &mut terms {
                t.share = t.weight / denominator;
            }
        }
        Ok(KeyTerms { terms, mass })
    }
}

/// How much of a need's word is content rather than company profile, in 0..=1: twice the
/// word's rate among results over the sum of its rates among results and needs (1 when it
/// is as common in research as in needs or more, near 0 when many needs use it and research
/// does not). The needs' rate is smoothed towards the results' rate by [`NEED_PRIOR`] needs,
/// and only its part above [`NEED_RARE`] counts.
fn content_factor(need_df: f32, needs: f32, result_df: f32, results: f32) -> f32 {
    let in_results = (result_df + 0.5) / (results + 1.0);
    let in_needs = (need_df + NEED_PRIOR * in_results) / (needs.max(0.0) + NEED_PRIOR);
    let common = (in_needs - NEED_RARE).max(0.0);
    (2.0 * in_results / (2.0 * in_results + common)).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_prefixes_are_no_part_of_a_title() {
        assert_eq!(
            strip_prefixes("【寻求合作】“海水淡化膜”抗污染"),
            "“海水淡化膜”抗污染"
        );
        assert_eq!(
            strip_prefixes("【项目落地对接】 [技术需求] 连接器降本"),
            "连接器降本"
        );
        assert_eq!(strip_prefixes("连接器（国产替代）"), "连接器（国产替代）");
        // A title that is only a bracket keeps it, unless it is a platform's label; an
        // unclosed one stays too.
        assert_eq!(strip_prefixes("【海洋牧场】"), "【海洋牧场】");
        assert_eq!(strip_prefixes("【寻求合作】"), "");
        assert_eq!(strip_prefixes("【寻求合作 连接器"), "【寻求合作 连接器");
    }

    #[test]
    fn words_only_needs_use_count_for_little() {
        // 有限公司: in every need, almost no result.
        assert!(content_factor(400.0, 400.0, 2.0, 2000.0) < 0.01);
        // 锂电池: three of 400 needs, twelve of 2,000 results.
        assert!(content_factor(3.0, 400.0, 12.0, 2000.0) > 0.7);
        // 降本: thirty of 400 needs, one result.
        assert!(content_factor(30.0, 400.0, 1.0, 2000.0) < 0.05);
        // 骨灰盒: four of 400 needs and no result: what a need nothing serves is about.
        assert!(content_factor(4.0, 400.0, 0.0, 2000.0) > 0.9);
        // A young market: one need of five says little either way.
        let young = content_factor(1.0, 5.0, 12.0, 2000.0);
        assert!(young > 0.1 && young < 1.0, "{young}");
    }

    #[test]
    fn a_detail_divides_into_requirement_and_profile() {
        let listed = ProfileWords::parse("注册资本\n高新技术企业");
        let (need, profile) = split_profile(
            "企业简介：某公司成立于2003年，注册资本5000万元。需求描述：希望寻求抗污染涂层技术。",
            &listed,
        );
        assert_eq!(need, "希望寻求抗污染涂层技术。");
        assert!(profile.contains("注册资本"));
        // Without labels, sentence by sentence.
        let (need, profile) = split_profile(
            "公司是国家级高新技术企业。现有反渗透膜污染快；希望寻求涂层技术。",
            &listed,
        );
        assert_eq!(need, "现有反渗透膜污染快；希望寻求涂层技术。");
        assert_eq!(profile, "公司是国家级高新技术企业。");
        // Repeats count once.
        let (_, profile) = split_profile(&"公司是国家级高新技术企业。".repeat(40), &listed);
        assert_eq!(profile, "公司是国家级高新技术企业。");
    }

    #[test]
    fn the_reviewed_list_reads_words_and_skips_comments() {
        let list = ProfileWords::parse("# 公司简介\n有限公司\n注册资本  # 注册\n\n");
        assert_eq!(list.len(), 2);
        assert!(list.contains("有限公司") && list.contains("注册资本"));
    }
}
