//! Two-way matching in the index. A listing's key terms (see [`terms`]) become a weighted
//! query over the other kind's listings, under the same visibility filters as search. Two
//! sources of candidates are merged into one pool: the best text candidates, and the best of
//! those in a related field (the need's industries through the crosswalk, its own or its
//! inferred disciplines, see [`disciplines`]). The pool is re-ranked as one with scores that
//! mean the same for every source: the share of the source's key-term weight a candidate
//! holds, the absolute evidence behind it, and the industry/discipline, TRL, region and mode
//! fit, each with the reason it ranked where it did.
//!
//! Only indexed (public) text takes part, so no reason can carry confidential detail.

pub mod disciplines;
pub mod terms;

use crate::codes;
use crate::search::index::{
    DISCIPLINE, DIVISIONS, DocKind, ID, ListingDoc, MODES, REGION, SearchIndex, TRL, Visibility,
    id_of_order_key, listing_order,
};
use crate::search::reasons::{MatchReasons, Profile, SharedTerm};
use disciplines::Inferred;
use std::collections::{HashMap, HashSet};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Facet, IndexRecordOption};
use tantivy::{DocAddress, DocSet, Term};
use terms::KeyTerms;

/// What shapes the candidate pool and the text score. The defaults are the shipped values;
/// `cargo bench --bench need_matching` explores others.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchTuning {
    /// Best text candidates taken into the pool.
    pub text_pool: usize,
    /// Best text candidates in a related field taken into the pool as well.
    pub field_pool: usize,
    /// Share of the text score that is absolute evidence (the rest is coverage).
    pub evidence_blend: f32,
    /// Key-term weight at which absolute evidence reaches 63% (1 − 1/e).
    pub evidence_scale: f32,
}

impl Default for MatchTuning {
    fn default() -> Self {
        Self {
            text_pool: 200,
            field_pool: 100,
            evidence_blend: 0.1,
            evidence_scale: 12.0,
        }
    }
}

/// A match whose score is below this rests on too little: one or two common words, or a
/// field in common and nothing else. It is not presented as strong, new-match alerts leave it
/// out, and `minScore` defaults to it where lists should hold only real candidates. Measured
/// by `cargo bench --bench need_matching` on its tuning part (docs/matching.md).
pub const EVIDENCE_FLOOR: f32 = 0.45;

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
    /// Score in 0..=1, comparable across sources.
    pub score: f32,
    /// Why.
    pub reasons: MatchReasons,
}

/// A candidate in the pool: where it is and its score for the text query.
type Candidate = (DocAddress, f32);

impl SearchIndex {
    /// Ranked candidates of the other kind with their reasons.
    pub fn matches(&self, req: &MatchRequest) -> anyhow::Result<Vec<MatchHit>> {
        let searcher = self.reader.searcher();
        let target = req.source.kind.counterpart();
        let key = self.key_terms(&searcher, &req.source)?;
        if key.queried().next().is_none() || req.limit == 0 {
            return Ok(Vec::new());
        }
        let inferred = self.inferred_disciplines(&req.source, &key);
        let tuning = self.match_tuning;
        let text = self.text_query(&key);
        let filters = || self.listed_filters(Some(target), &req.visibility, req.now);
        let excluded = req.exclude.len();

        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text.box_clone())];
        clauses.extend(filters());
        let mut pool: Vec<Candidate> = best_by_score(
            &searcher,
            &BooleanQuery::new(clauses),
            tuning.text_pool + excluded,
        )?
        .into_iter()
        .map(|(score, addr)| (addr, score))
        .collect();
        let fields = self.related_fields(&req.source, &inferred);
        if !fields.is_empty() && tuning.field_pool > 0 {
            let related = || -> Box<dyn Query> {
                Box::new(BooleanQuery::new(
                    fields
                        .iter()
                        .map(|q| (Occur::Should, q.box_clone()))
                        .collect(),
                ))
            };
            let wanted = tuning.field_pool + excluded;
            let mut seen: HashSet<DocAddress> = pool.iter().map(|(a, _)| *a).collect();
            // Listings in a related field that share the most words first (an intersection:
            // cheap however large the field) ...
            // The field is a filter here, not a score: BM25 on facet terms would weigh them by
            // counts that include hidden listings.
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
                (Occur::Must, text),
                (Occur::Must, Box::new(ConstScoreQuery::new(related(), 0.0))),
            ];
            clauses.extend(filters());
            let mut field_hits = best_by_score(&searcher, &BooleanQuery::new(clauses), wanted)?;
            // ... and, when too few share a word, any others in the field: a need in industry
            // language may share no word with the research that serves it.
            if field_hits.len() < wanted {
                let mut clauses: Vec<(Occur, Box<dyn Query>)> =
                    vec![(Occur::Must, Box::new(ConstScoreQuery::new(related(), 0.0)))];
                clauses.extend(filters());
                let more = best_by_score(&searcher, &BooleanQuery::new(clauses), wanted)?;
                let have: HashSet<DocAddress> = field_hits.iter().map(|(_, a)| *a).collect();
                let room = wanted - field_hits.len();
                field_hits.extend(
                    more.into_iter()
                        .filter(|(_, a)| !have.contains(a))
                        .take(room),
                );
            }
            pool.extend(
                field_hits
                    .into_iter()
                    .filter(|(_, addr)| seen.insert(*addr))
                    .map(|(score, addr)| (addr, score)),
            );
        }
        let mut hits = self.rank(&searcher, req, &key, &inferred, pool)?;
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        hits.truncate(req.limit);
        Ok(hits)
    }

    /// The key terms as one query over the body and keywords, a listing scored by the shares
    /// of the key terms it holds (the coverage its text score starts from). Not BM25: its
    /// statistics count every document, confidential needs and drafts included, so they would
    /// let a hidden listing decide which candidates make the pool.
    fn text_query(&self, key: &KeyTerms) -> Box<dyn Query> {
        let f = self.fields;
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for t in key.queried() {
            let in_either: Vec<(Occur, Box<dyn Query>)> = [f.body, f.keywords]
                .into_iter()
                .map(|field| -> (Occur, Box<dyn Query>) {
                    let term = Term::from_field_text(field, &t.word);
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                    )
                })
                .collect();
            should.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(
                    Box::new(BooleanQuery::new(in_either)),
                    t.share,
                )),
            ));
        }
        Box::new(BooleanQuery::new(should))
    }

    /// A need without a discipline of its own gets the model's guesses from its key terms.
    fn inferred_disciplines(&self, source: &ListingDoc, key: &KeyTerms) -> Vec<Inferred> {
        if source.kind != DocKind::Need || source.profile.discipline.is_some() {
            return Vec::new();
        }
        let model = self.discipline_model();
        model.infer(key.terms.iter().map(|t| (t.word.as_str(), t.share)))
    }

    /// Facet queries for the listings of the other kind in a field related to `source`: for a
    /// need, results in its discipline, its inferred ones, and those the crosswalk relates to
    /// its industries; for a result, needs in its discipline, its industries, and the
    /// industries the crosswalk relates to its discipline.
    fn related_fields(&self, source: &ListingDoc, inferred: &[Inferred]) -> Vec<Box<dyn Query>> {
        let p = &source.profile;
        let mut paths: Vec<String> = Vec::new();
        let mut discipline = |code: &str| {
            if let Some(path) = codes::disciplines().facet_path("discipline", code) {
                paths.push(path);
            }
        };
        if let Some(d) = &p.discipline {
            discipline(d);
        }
        match source.kind {
            DocKind::Need => {
                for i in inferred {
                    discipline(&i.discipline);
                }
                for industry in &p.industries {
                    for d in self.crosswalk.disciplines(industry) {
                        discipline(d);
                    }
                }
            }
            DocKind::Achievement => {
                let mut divisions: Vec<String> = p
                    .industries
                    .iter()
                    .filter_map(|c| crate::search::crosswalk::division_of(c).map(str::to_owned))
                    .collect();
                if let Some(d) = &p.discipline {
                    divisions.extend(
                        self.crosswalk
                            .divisions_for(d)
                            .into_iter()
                            .map(str::to_owned),
                    );
                }
                for division in divisions {
                    if let Some(path) = codes::industries().facet_path("industry", &division) {
                        paths.push(path);
                    }
                }
            }
        }
        paths.sort_unstable();
        paths.dedup();
        paths
            .into_iter()
            .filter_map(|path| Facet::from_text(&path).ok())
            .map(|facet| -> Box<dyn Query> {
                Box::new(TermQuery::new(
                    Term::from_facet(self.fields.facets, &facet),
                    IndexRecordOption::Basic,
                ))
            })
            .collect()
    }

    /// Scores every candidate of the pool.
    fn rank(
        &self,
        searcher: &tantivy::Searcher,
        req: &MatchRequest,
        key: &KeyTerms,
        inferred: &[Inferred],
        pool: Vec<Candidate>,
    ) -> anyhow::Result<Vec<MatchHit>> {
        let target = req.source.kind.counterpart();
        let tuning = self.match_tuning;
        // Group candidates by segment, in doc order, so postings are read forward once.
        let mut by_segment: HashMap<u32, Vec<(u32, f32)>> = HashMap::new();
        for (addr, score) in &pool {
            by_segment
                .entry(addr.segment_ord)
                .or_default()
                .push((addr.doc_id, *score));
        }
        let source_profile = &req.source.profile;
        let mut hits = Vec::with_capacity(pool.len());
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
            let shared = self.shared_terms(segment, key, &docs)?;
            for ((doc, _), shared) in docs.iter().zip(shared) {
                let Some(id) = ids.first(*doc).and_then(id_of_order_key) else {
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
                let text = text_score(&shared, key, &tuning);
                let (need, achievement) = match target {
                    DocKind::Achievement => (source_profile, &profile),
                    DocKind::Need => (&profile, source_profile),
                };
                let reasons = MatchReasons::compare(
                    need,
                    achievement,
                    &self.crosswalk,
                    inferred,
                    text,
                    shared,
                );
                hits.push(MatchHit {
                    kind: target,
                    id,
                    score: reasons.score(),
                    reasons,
                });
            }
        }
        Ok(hits)
    }

    /// For each candidate (in doc order), the key terms it contains in its body or keywords,
    /// heaviest first.
    fn shared_terms(
        &self,
        segment: &tantivy::SegmentReader,
        key: &KeyTerms,
        docs: &[(u32, f32)],
    ) -> anyhow::Result<Vec<Vec<SharedTerm>>> {
        let mut out: Vec<Vec<SharedTerm>> = vec![Vec::new(); docs.len()];
        let body = segment.inverted_index(self.fields.body)?;
        let keywords = segment.inverted_index(self.fields.keywords)?;
        for term in key.queried() {
            let mut found = vec![false; docs.len()];
            for (field, inverted) in [(self.fields.body, &body), (self.fields.keywords, &keywords)]
            {
                let key = Term::from_field_text(field, &term.word);
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
                        term: term.word.clone(),
                        weight: term.share,
                    });
                }
            }
        }
        Ok(out)
    }
}

/// The best `limit` hits of `query` by score, ties going to the lower listing id: an order no
/// hidden listing can move (document addresses move as segments are written and merged).
fn best_by_score(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    limit: usize,
) -> tantivy::Result<Vec<(f32, DocAddress)>> {
    let collector = TopDocs::with_limit(limit).tweak_score(|segment: &tantivy::SegmentReader| {
        let order = listing_order(segment);
        move |doc: tantivy::DocId, score: tantivy::Score| (score, std::cmp::Reverse(order(doc)))
    });
    Ok(searcher
        .search(query, &collector)?
        .into_iter()
        .map(|((score, _), addr)| (score, addr))
        .collect())
}

/// Text similarity in 0..=1, the same for every source: the share of the source's key-term
/// weight the candidate holds (coverage), blended with the absolute weight behind it, which
/// saturates (a long posting that shares many rare words is stronger evidence than a short
/// one that shares its only word, and a single common word is weak evidence for both).
fn text_score(shared: &[SharedTerm], key: &KeyTerms, tuning: &MatchTuning) -> f32 {
    let coverage: f32 = shared.iter().map(|t| t.weight).sum::<f32>().min(1.0);
    let evidence = coverage * key.mass;
    let absolute = 1.0 - (-evidence / tuning.evidence_scale).exp();
    (1.0 - tuning.evidence_blend) * coverage + tuning.evidence_blend * absolute
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
            precise_queries: true,
            ..IndexConfig::plain()
        };
        let index = SearchIndex::open(dir.path(), &config).unwrap();
        // More words than are looked up, all tied: once a word each, all as long.
        let text: Vec<String> = (0..3 * terms::KEY_TERMS)
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
        assert_eq!(first.terms.len(), terms::KEY_TERMS);
        for _ in 0..8 {
            assert_eq!(index.key_terms(&searcher, &source).unwrap(), first);
        }
    }
}
