//! Two-way matching in the index: a listing's key terms (precise words weighted by TF-IDF)
//! become a weighted query over the other kind's listings, under the same visibility filters
//! as search; the best candidates are then re-ranked with industry/discipline, TRL, region and
//! mode fit, and each keeps the reasons it ranked where it did.
//!
//! Only indexed (public) text takes part, so no reason can carry confidential detail.

use crate::search::index::{
    DISCIPLINE, DIVISIONS, DocKind, ID, ListingDoc, MODES, REGION, SearchIndex, TRL, Visibility,
};
use crate::search::reasons::{MatchReasons, Profile, SharedTerm};
use std::collections::{HashMap, HashSet};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocSet, Searcher, Term};

/// Key terms taken from a listing.
const KEY_TERMS: usize = 16;
/// Words looked up for document frequency before the best [`KEY_TERMS`] are kept.
const TERM_CANDIDATES: usize = 48;
/// Extra weight of a listing's own keywords.
const KEYWORD_BOOST: f32 = 1.5;

/// Find listings of the other kind for `source`.
#[derive(Debug, Clone)]
pub struct MatchRequest {
    /// The listing matched from (its public text and profile).
    pub source: ListingDoc,
    /// What the viewer may see among the candidates.
    pub visibility: Visibility,
    /// Unix seconds now, for expiry.
    pub now: i64,
    /// At most this many.
    pub limit: usize,
    /// Candidate ids never to return (dismissed).
    pub exclude: HashSet<i32>,
}

/// One ranked candidate.
#[derive(Debug, Clone)]
pub struct MatchHit {
    /// Which kind the candidate is.
    pub kind: DocKind,
    /// Its id.
    pub id: i32,
    /// Score in 0..=1.
    pub score: f32,
    /// Why.
    pub reasons: MatchReasons,
}

impl SearchIndex {
    /// Ranked candidates of the other kind with their reasons.
    pub fn matches(&self, req: &MatchRequest) -> anyhow::Result<Vec<MatchHit>> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let target = req.source.kind.counterpart();
        let terms = self.key_terms(&searcher, &req.source)?;
        if terms.is_empty() || req.limit == 0 {
            return Ok(Vec::new());
        }
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(terms.len() * 2);
        for (term, weight) in &terms {
            for (field, boost) in [(f.body, 1.0), (f.keywords, KEYWORD_BOOST)] {
                let q = TermQuery::new(
                    Term::from_field_text(field, term),
                    IndexRecordOption::WithFreqs,
                );
                should.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(q), weight * boost)),
                ));
            }
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, Box::new(BooleanQuery::new(should)))];
        clauses.extend(self.listed_filters(Some(target), &req.visibility, req.now));
        let pool = (req.limit * 3).max(30) + req.exclude.len();
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(pool).order_by_score(),
        )?;
        let Some(best) = top.first().map(|(s, _)| *s).filter(|s| *s > 0.0) else {
            return Ok(Vec::new());
        };
        // Group candidates by segment, in doc order, so postings are read forward once.
        let mut by_segment: HashMap<u32, Vec<(u32, f32)>> = HashMap::new();
        for (score, addr) in &top {
            by_segment
                .entry(addr.segment_ord)
                .or_default()
                .push((addr.doc_id, *score));
        }
        let source_profile = &req.source.profile;
        let mut hits = Vec::with_capacity(top.len());
        for (segment_ord, mut docs) in by_segment {
            docs.sort_unstable_by_key(|(doc, _)| *doc);
            let segment = searcher.segment_reader(segment_ord);
            let fast = segment.fast_fields();
            let ids = fast.u64(ID)?;
            let divisions = fast.u64(DIVISIONS)?;
            let disciplines = fast.u64(DISCIPLINE)?;
            let regions = fast.u64(REGION)?;
            let trls = fast.u64(TRL)?;
            let modes = fast.u64(MODES)?;
            let shared = self.shared_terms(segment, &terms, &docs)?;
            for ((doc, bm25), shared) in docs.iter().zip(shared) {
                let Some(id) = ids.first(*doc).and_then(|i| i32::try_from(i).ok()) else {
                    continue;
                };
                if req.exclude.contains(&id) {
                    continue;
                }
                let profile = Profile::from_index(
                    divisions.values_for_doc(*doc),
                    disciplines.first(*doc),
                    regions.first(*doc),
                    trls.first(*doc),
                    modes.first(*doc).unwrap_or_default(),
                );
                let coverage: f32 = shared.iter().map(|t| t.weight).sum();
                let text = 0.5 * coverage.min(1.0) + 0.5 * (bm25 / best);
                let (need, achievement) = match target {
                    DocKind::Achievement => (source_profile, &profile),
                    DocKind::Need => (&profile, source_profile),
                };
                let reasons =
                    MatchReasons::compare(need, achievement, &self.crosswalk, text, shared);
                hits.push(MatchHit {
                    kind: target,
                    id,
                    score: reasons.score(),
                    reasons,
                });
            }
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        hits.truncate(req.limit);
        Ok(hits)
    }

    /// The listing's key terms with weights summing to 1: whole words (precise segmentation)
    /// of two characters or more, weighted by `(1 + ln tf) · idf`, keywords boosted.
    fn key_terms(
        &self,
        searcher: &Searcher,
        doc: &ListingDoc,
    ) -> anyhow::Result<Vec<(String, f32)>> {
        let mut tf: HashMap<String, (u32, bool)> = HashMap::new();
        let keywords = doc.keywords.join(" ");
        for (text, is_keyword) in [(doc.body.as_str(), false), (keywords.as_str(), true)] {
            for t in self.analyzer.query_words(text, true) {
                if t.text.chars().count() < 2 || t.text.chars().all(|c| c.is_ascii_digit()) {
                    continue;
                }
                let entry = tf.entry(t.text).or_default();
                entry.0 += 1;
                entry.1 |= is_keyword;
            }
        }
        // Longer and repeated words first, so the document-frequency lookups go to likely
        // key terms; ties in word order, so a long text keeps the same candidates whatever
        // order the map hands them out in (it differed from one process to the next).
        let mut words: Vec<(String, u32, bool)> =
            tf.into_iter().map(|(w, (n, k))| (w, n, k)).collect();
        words.sort_by(|(w, n, k), (v, m, j)| {
            (j, m, v.chars().count())
                .cmp(&(k, n, w.chars().count()))
                .then_with(|| w.cmp(v))
        });
        words.truncate(TERM_CANDIDATES);
        let total = searcher.num_docs() as f32;
        let mut weighted = Vec::with_capacity(words.len());
        for (word, n, is_keyword) in words {
            let df = searcher.doc_freq(&Term::from_field_text(self.fields.body, &word))? as f32;
            if df == 0.0 {
                continue;
            }
            let idf = (1.0 + (total - df + 0.5) / (df + 0.5)).ln();
            let boost = if is_keyword { KEYWORD_BOOST } else { 1.0 };
            weighted.push((word, (1.0 + (n as f32).ln()) * idf * boost));
        }
        weighted.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        weighted.truncate(KEY_TERMS);
        let sum: f32 = weighted.iter().map(|(_, w)| w).sum();
        if sum > 0.0 {
            for (_, w) in &mut weighted {
                *w /= sum;
            }
        }
        Ok(weighted)
    }

    /// For each candidate (in doc order), the key terms it contains in its body or keywords,
    /// heaviest first.
    fn shared_terms(
        &self,
        segment: &tantivy::SegmentReader,
        terms: &[(String, f32)],
        docs: &[(u32, f32)],
    ) -> anyhow::Result<Vec<Vec<SharedTerm>>> {
        let mut out: Vec<Vec<SharedTerm>> = vec![Vec::new(); docs.len()];
        let body = segment.inverted_index(self.fields.body)?;
        let keywords = segment.inverted_index(self.fields.keywords)?;
        for (term, weight) in terms {
            let mut found = vec![false; docs.len()];
            for (field, inverted) in [(self.fields.body, &body), (self.fields.keywords, &keywords)]
            {
                let key = Term::from_field_text(field, term);
                let Some(mut postings) = inverted.read_postings(&key, IndexRecordOption::Basic)?
                else {
                    continue;
                };
                // `seek` only moves forward, and may land past the next candidate.
                let mut current = postings.doc();
                for (i, (doc, _)) in docs.iter().enumerate() {
                    if current < *doc {
                        current = postings.seek(*doc);
                    }
                    found[i] |= current == *doc;
                }
            }
            for (i, hit) in found.into_iter().enumerate() {
                if hit {
                    out[i].push(SharedTerm {
                        term: term.clone(),
                        weight: *weight,
                    });
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::config::IndexConfig;
    use crate::search::index::IndexOp;

    #[test]
    fn a_long_text_has_the_same_key_terms_every_time() {
        let dir = tempfile::tempdir().unwrap();
        let config = IndexConfig {
            version: 1,
            dictionary: String::new(),
            synonyms: String::new(),
            stopwords: String::new(),
            segmentation: crate::search::config::Segmentation::Search,
            bigrams: crate::search::config::Bigrams::NonWords,
            weights: crate::search::config::Weights::default(),
            precise_queries: true,
            max_query_bigrams: 0,
            max_term_share: 0.0,
            max_required_share: 0.0,
            min_required_listings: 0,
            crosswalk: Default::default(),
        };
        let index = SearchIndex::open(dir.path(), &config).unwrap();
        // More words than are looked up, all tied: once a word each, all as long.
        let text: Vec<String> = (0..3 * TERM_CANDIDATES)
            .map(|i| format!("term{i:03}"))
            .collect();
        let doc = |kind: DocKind, id: i32, body: String| ListingDoc {
            kind,
            id,
            owner_id: 1,
            title: String::new(),
            body,
            keywords: vec![],
            visibility: "PUBLIC",
            live: true,
            expires_at: None,
            facets: vec![],
            trl: None,
            updated_at: 0,
            profile: Default::default(),
        };
        index
            .apply(
                &[
                    IndexOp::Upsert(doc(DocKind::Achievement, 1, text.join(" "))),
                    IndexOp::Upsert(doc(DocKind::Achievement, 2, "other".into())),
                ],
                1,
            )
            .unwrap();
        let source = doc(DocKind::Need, 3, text.join(" "));
        let searcher = index.reader.searcher();
        let first = index.key_terms(&searcher, &source).unwrap();
        assert_eq!(first.len(), KEY_TERMS);
        for _ in 0..8 {
            assert_eq!(index.key_terms(&searcher, &source).unwrap(), first);
        }
    }
}
