//! Likely GB/T 13745 disciplines of a text, for a need that names none: a multinomial naive
//! Bayes model over words, learnt from published results (their text and their mandatory
//! discipline), at the first level (`430` 材料科学).
//!
//! The service starts with the model in `index/disciplines.tsv`, built from the Apache-2.0 CSL
//! records (`cargo run --example train_disciplines`), and retrains in the background from its
//! own published results, keeping the starter counts as a prior (see
//! [`crate::search::index::SearchIndex::retrain_disciplines`]).

use std::collections::HashMap;
use std::fmt::Write as _;

/// Inferred disciplines below this confidence are not used.
pub const MIN_CONFIDENCE: f32 = 0.15;
/// At most this many inferred disciplines per need.
const MAX_INFERRED: usize = 3;
/// A text's key-term shares (summing to at most 1) count as this many words of evidence:
/// naive Bayes multiplies word likelihoods as if independent, and a long text would otherwise
/// be certain of anything.
const EVIDENCE_WORDS: f32 = 6.0;
/// Additive smoothing of word counts.
const ALPHA: f64 = 0.1;

/// A discipline inferred from text, with the model's confidence in 0..=1.
#[derive(Debug, Clone, PartialEq)]
pub struct Inferred {
    /// First-level GB/T 13745 code.
    pub discipline: String,
    /// Posterior probability.
    pub confidence: f32,
}

/// Word counts per first-level discipline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DisciplineModel {
    classes: Vec<String>,
    /// Texts learnt per class.
    docs: Vec<u32>,
    /// Word occurrences per class (each distinct word of a text once).
    words: Vec<u64>,
    /// Per word: `(class, texts holding it)`.
    counts: HashMap<String, Vec<(u16, u32)>>,
}

impl DisciplineModel {
    /// Learns one text (its distinct words) under `discipline` (any level: the first three
    /// digits are kept).
    pub fn learn<'a>(&mut self, discipline: &str, words: impl IntoIterator<Item = &'a str>) {
        let Some(code) = discipline.get(..3) else {
            return;
        };
        let class = match self.classes.iter().position(|c| c == code) {
            Some(i) => i,
            None => {
                self.classes.push(code.to_owned());
                self.docs.push(0);
                self.words.push(0);
                self.classes.len() - 1
            }
        };
        self.docs[class] += 1;
        let mut seen: Vec<&str> = words.into_iter().collect();
        seen.sort_unstable();
        seen.dedup();
        for word in seen {
            self.words[class] += 1;
            let entry = self.counts.entry(word.to_owned()).or_default();
            match entry.iter_mut().find(|(c, _)| usize::from(*c) == class) {
                Some((_, n)) => *n += 1,
                None => entry.push((class as u16, 1)),
            }
        }
    }

    /// Adds another model's counts to this one (the starter model as a prior).
    pub fn absorb(&mut self, other: &DisciplineModel) {
        for (i, code) in other.classes.iter().enumerate() {
            let class = match self.classes.iter().position(|c| c == code) {
                Some(c) => c,
                None => {
                    self.classes.push(code.clone());
                    self.docs.push(0);
                    self.words.push(0);
                    self.classes.len() - 1
                }
            };
            self.docs[class] += other.docs[i];
            self.words[class] += other.words[i];
        }
        for (word, counts) in &other.counts {
            for (c, n) in counts {
                let code = &other.classes[usize::from(*c)];
                let class = self
                    .classes
                    .iter()
                    .position(|k| k == code)
                    .unwrap_or_default();
                let entry = self.counts.entry(word.clone()).or_default();
                match entry.iter_mut().find(|(k, _)| usize::from(*k) == class) {
                    Some((_, m)) => *m += n,
                    None => entry.push((class as u16, *n)),
                }
            }
        }
    }

    /// Forgets words fewer than `min_texts` texts hold (a shipped model stays small; a word
    /// seen once says little).
    pub fn prune(&mut self, min_texts: u32) {
        self.counts
            .retain(|_, counts| counts.iter().map(|(_, n)| n).sum::<u32>() >= min_texts);
    }

    /// Texts learnt.
    pub fn texts(&self) -> u64 {
        self.docs.iter().map(|d| u64::from(*d)).sum()
    }

    /// The likely disciplines of a text given as weighted words (a listing's key terms),
    /// most likely first, each at least [`MIN_CONFIDENCE`].
    pub fn infer<'a>(&self, words: impl IntoIterator<Item = (&'a str, f32)>) -> Vec<Inferred> {
        let total_docs = self.texts() as f64;
        if self.classes.len() < 2 || total_docs == 0.0 {
            return Vec::new();
        }
        let vocabulary = self.counts.len().max(1) as f64;
        let known: Vec<(&Vec<(u16, u32)>, f32)> = words
            .into_iter()
            .filter_map(|(w, weight)| Some((self.counts.get(w)?, weight)))
            .collect();
        let weight_sum: f32 = known.iter().map(|(_, w)| w).sum();
        if known.is_empty() || weight_sum <= 0.0 {
            return Vec::new();
        }
        // Weights are shares of the text's key-term weight: words the model never saw, and a
        // text that says little, leave the posterior nearer the prior.
        let scale = f64::from(EVIDENCE_WORDS);
        let mut log_posterior: Vec<f64> = (0..self.classes.len())
            .map(|c| (f64::from(self.docs[c]) / total_docs).ln())
            .collect();
        for (class, lp) in log_posterior.iter_mut().enumerate() {
            let denominator = (self.words[class] as f64 + ALPHA * vocabulary).ln();
            for (counts, weight) in &known {
                let n = counts
                    .iter()
                    .find(|(c, _)| usize::from(*c) == class)
                    .map_or(0, |(_, n)| *n);
                *lp += scale * f64::from(*weight) * ((f64::from(n) + ALPHA).ln() - denominator);
            }
        }
        let best = log_posterior.iter().copied().fold(f64::MIN, f64::max);
        let sum: f64 = log_posterior.iter().map(|lp| (lp - best).exp()).sum();
        let mut out: Vec<Inferred> = log_posterior
            .iter()
            .enumerate()
            .map(|(c, lp)| Inferred {
                discipline: self.classes[c].clone(),
                confidence: ((lp - best).exp() / sum) as f32,
            })
            .filter(|i| i.confidence >= MIN_CONFIDENCE)
            .collect();
        out.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then_with(|| a.discipline.cmp(&b.discipline))
        });
        out.truncate(MAX_INFERRED);
        out
    }

    /// The model as text: `#` comments, one `class<TAB>code<TAB>texts<TAB>words` line per
    /// discipline, then one `word<TAB>code:count …` line per word, sorted, so the file diffs
    /// well.
    pub fn to_tsv(&self, header: &str) -> String {
        let mut out = String::new();
        for line in header.lines() {
            let _ = writeln!(out, "# {line}");
        }
        let mut order: Vec<usize> = (0..self.classes.len()).collect();
        order.sort_by_key(|&c| &self.classes[c]);
        for c in order {
            let _ = writeln!(
                out,
                "class\t{}\t{}\t{}",
                self.classes[c], self.docs[c], self.words[c]
            );
        }
        let mut words: Vec<(&String, &Vec<(u16, u32)>)> = self.counts.iter().collect();
        words.sort_by_key(|(w, _)| *w);
        for (word, counts) in words {
            let mut counts: Vec<(&str, u32)> = counts
                .iter()
                .map(|(c, n)| (self.classes[usize::from(*c)].as_str(), *n))
                .collect();
            counts.sort_unstable();
            let cells: Vec<String> = counts.iter().map(|(c, n)| format!("{c}:{n}")).collect();
            let _ = writeln!(out, "{word}\t{}", cells.join(" "));
        }
        out
    }

    /// Reads [`DisciplineModel::to_tsv`]'s format.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut model = Self::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || anyhow::anyhow!("line {}: cannot read {line:?}", n + 1);
            let cells: Vec<&str> = line.split('\t').collect();
            if cells[0] == "class" {
                let [_, code, docs, words] = cells[..] else {
                    return Err(bad());
                };
                anyhow::ensure!(
                    crate::codes::disciplines().contains(code),
                    "line {}: {code} is no GB/T 13745 discipline",
                    n + 1
                );
                model.classes.push(code.to_owned());
                model.docs.push(docs.parse().map_err(|_| bad())?);
                model.words.push(words.parse().map_err(|_| bad())?);
                continue;
            }
            let [word, counts] = cells[..] else {
                return Err(bad());
            };
            let mut entry = Vec::new();
            for cell in counts.split(' ') {
                let (code, count) = cell.split_once(':').ok_or_else(bad)?;
                let class = model
                    .classes
                    .iter()
                    .position(|c| c == code)
                    .ok_or_else(bad)?;
                entry.push((class as u16, count.parse().map_err(|_| bad())?));
            }
            model.counts.insert(word.to_owned(), entry);
        }
        Ok(model)
    }
}

/// Most published results one retraining reads (evenly spaced when there are more): past this
/// the counts change little, and a retraining stays well under a minute at 1M listings.
pub const MAX_TRAINING_TEXTS: usize = 100_000;

impl crate::search::index::SearchIndex {
    /// Listings of `kind` anyone may find: live results, or live public and anonymous needs.
    /// A draft, a confidential need or a deleted document never counts, so none of them moves
    /// when the discipline model is relearnt (whose inferences anyone's matches show).
    pub fn count_of(&self, kind: crate::search::index::DocKind) -> u64 {
        let searcher = self.reader.searcher();
        let anyone = crate::search::statistics::Readers::anyone();
        let Ok(counter) = self
            .word_counts
            .counter(&searcher, self.counted_fields(), &anyone)
        else {
            return 0;
        };
        let listings = counter.listings();
        u64::from(match kind {
            crate::search::index::DocKind::Achievement => listings.results,
            crate::search::index::DocKind::Need => listings.needs,
        })
    }

    /// The discipline model in use.
    pub fn discipline_model(&self) -> std::sync::Arc<DisciplineModel> {
        self.disciplines
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Relearns the discipline model from the listed results in the index (their public text
    /// and discipline) on top of the starter model, and swaps it in. Returns the number of
    /// results read. Blocking: run it off the async threads.
    pub fn retrain_disciplines(&self, now: i64) -> anyhow::Result<usize> {
        use crate::search::index::{DISCIPLINE, DocKind, Visibility};
        use tantivy::collector::DocSetCollector;
        use tantivy::query::BooleanQuery;
        use tantivy::schema::Value;
        let searcher = self.reader.searcher();
        let query = BooleanQuery::new(self.listed_filters(
            Some(DocKind::Achievement),
            &Visibility::default(),
            now,
        ));
        let mut found: Vec<tantivy::DocAddress> = searcher
            .search(&query, &DocSetCollector)?
            .into_iter()
            .collect();
        found.sort_unstable();
        let step = found.len().div_ceil(MAX_TRAINING_TEXTS).max(1);
        let mut model = (*self.starter_disciplines).clone();
        let mut read = 0;
        for addr in found.into_iter().step_by(step) {
            let segment = searcher.segment_reader(addr.segment_ord);
            let Some(code) = segment.fast_fields().u64(DISCIPLINE)?.first(addr.doc_id) else {
                continue;
            };
            let doc: tantivy::TantivyDocument = searcher.doc(addr)?;
            let body = doc
                .get_first(self.fields.body)
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            let words = self.analyzer.query_words(body, true);
            model.learn(
                &code.to_string(),
                words.iter().map(|t| t.text.as_str()).filter(|w| {
                    w.chars().count() >= 2 && !w.chars().all(|c| c.is_ascii_digit() || c == '.')
                }),
            );
            read += 1;
        }
        *self.disciplines.write().unwrap_or_else(|e| e.into_inner()) = std::sync::Arc::new(model);
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> DisciplineModel {
        let mut m = DisciplineModel::default();
        for _ in 0..5 {
            m.learn("17060", ["海水", "潮汐", "海洋", "测量"]);
            m.learn("430", ["涂层", "腐蚀", "合金", "测量"]);
        }
        m.learn("430", ["海水", "腐蚀", "涂层"]);
        m
    }

    #[test]
    fn a_text_gets_the_discipline_whose_words_it_uses() {
        let m = model();
        let inferred = m.infer([("潮汐", 1.0), ("海水", 0.5)]);
        assert_eq!(inferred[0].discipline, "170");
        assert!(inferred[0].confidence > 0.6, "{inferred:?}");
        let inferred = m.infer([("涂层", 1.0), ("腐蚀", 1.0)]);
        assert_eq!(inferred[0].discipline, "430");
        // Words the model never saw say nothing.
        assert!(m.infer([("骨灰盒", 1.0)]).is_empty());
    }

    #[test]
    fn the_model_file_round_trips_and_absorbs() {
        let m = model();
        let text = m.to_tsv("test model");
        let back = DisciplineModel::parse(&text).unwrap();
        assert_eq!(back.to_tsv("test model"), text);
        let mut sum = DisciplineModel::default();
        sum.learn("430", ["涂层"]);
        sum.absorb(&back);
        assert_eq!(sum.texts(), m.texts() + 1);
        assert!(DisciplineModel::parse("class\t999\t1\t1\n").is_err());
    }
}
