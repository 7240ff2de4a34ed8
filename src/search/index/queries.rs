//! Queries: the user's words (rare terms decide, phrases, exclusions, typos and sound-alike
//! words), the filters every query carries (listed, visible), saved-search matching and the
//! search itself with facets and snippets.

use super::*;
use crate::search::statistics::{Readers, WordCounter};

impl SearchIndex {
    /// Turns the user's words into a query. Words are OR-ed and ranked by BM25 over title
    /// (boosted), keywords, body and the bigram fields; an ASCII `"phrase"` must occur with its
    /// words adjacent and in order (see [`ParsedQuery`]), `-word` must not. `sound_alikes` adds
    /// the words that sound like its stretches around loose characters (see
    /// `sound_alike_groups`), as does a query whose only deciding terms are single characters.
    fn user_query(
        &self,
        parsed: &ParsedQuery,
        sound_alikes: bool,
        stats: &WordCounter<'_>,
    ) -> Result<Box<dyn Query>, SearchError> {
        let f = &self.fields;
        let (free, required, excluded) = (&parsed.free, &parsed.phrases, &parsed.excluded);
        // One scored group per query word (keywords, body, and a fuzzy variant of long Latin
        // words), and one scored clause per bigram, each with its document frequency.
        let weighted = |text: &str| -> Vec<Scored> {
            let w = &self.weights;
            let term = |field: Field, text: &str, boost: f32| -> Box<dyn Query> {
                let q = TermQuery::new(
                    Term::from_field_text(field, text),
                    IndexRecordOption::WithFreqs,
                );
                Box::new(tantivy::query::BoostQuery::new(Box::new(q), boost))
            };
            let common = (stats.num_docs() as f64 * f64::from(self.max_term_share)) as u64;
            let df = |field: Field, text: &str| stats.doc_freq(field, text).unwrap_or(0);
            let mut seen = std::collections::HashSet::new();
            let mut words: Vec<(u64, crate::search::analysis::Term)> = self
                .analyzer
                .query_words(text, self.precise_queries)
                .into_iter()
                .filter(|t| seen.insert(t.text.clone()))
                .map(|t| (df(f.body, &t.text), t))
                .collect();
            // A query in which only single characters are rare enough to decide reads like
            // one with typos (盖钛旷电池): it tries words that sound alike at once.
            let deciding = self.deciding_cutoff(stats);
            let decides = |t: &crate::search::analysis::Term, n: u64| {
                n > 0 && n <= deciding && t.text.chars().count() > 1
            };
            let garbled = !words.iter().any(|(n, t)| decides(t, *n));
            let sound_alikes = if sound_alikes || garbled {
                self.sound_alike_groups(stats, &words, common)
            } else {
                Vec::new()
            };
            // Words in a large share of the listings (的, 研究, 方法) barely move BM25 but
            // match and cost the most: leave them out unless nothing else is left.
            let latin_typo = |t: &str| t.len() >= 5 && t.bytes().all(|b| b.is_ascii_lowercase());
            let useful = |n: u64| n > 0 && n <= common;
            if self.max_term_share > 0.0 && words.iter().any(|(n, _)| useful(*n)) {
                words.retain(|(n, t)| useful(*n) || (*n == 0 && latin_typo(&t.text)));
            }
            let mut clauses: Vec<Scored> = Vec::new();
            // Homophone typos (`盖钛旷` for `钙钛矿`): the indexed words that sound like the
            // stretch around a character that joined no word, scored below an exact match.
            for (reach, group) in sound_alikes {
                clauses.push(Scored {
                    df: reach,
                    word: true,
                    query: Box::new(BooleanQuery::new(
                        group
                            .iter()
                            .map(|w| (Occur::Should, term(f.body, w, 0.5 * self.weights.body)))
                            .collect(),
                    )),
                });
            }
            for (n, t) in words {
                let mut group: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                // Typos in Latin words (`perovskit`, `terahetz`) still find their word: a word
                // of 5+ letters found nowhere is searched as its spellings one edit away,
                // scored below an exact match.
                // How many listings the group can match, at most.
                let mut reach = n;
                if n == 0 && latin_typo(&t.text) {
                    for near in near_spellings(stats, f.body, &t.text) {
                        reach += df(f.body, &near);
                        group.push((Occur::Should, term(f.body, &near, 0.5 * w.body)));
                    }
                }
                for (field, boost) in [(f.keywords, w.keywords), (f.body, w.body)] {
                    if boost > 0.0 {
                        group.push((Occur::Should, term(field, &t.text, boost)));
                    }
                }
                if w.keywords > 0.0 {
                    reach += df(f.keywords, &t.text);
                }
                if !group.is_empty() {
                    clauses.push(Scored {
                        df: reach,
                        word: true,
                        query: Box::new(BooleanQuery::new(group)),
                    });
                }
            }
            // Documents may hold a bigram among their words instead (`电池` in `锂电池`): it
            // is looked up there too, unless the query has that word already.
            let mut bigrams: Vec<(u64, String, bool)> = Vec::new();
            if w.body_bigram > 0.0 {
                for t in self.analyzer.bigrams(text) {
                    if !seen.insert(format!("bigram:{}", t.text)) {
                        continue;
                    }
                    let among_words =
                        self.analyzer.bigrams_may_be_words() && !seen.contains(&t.text);
                    let mut reach = df(f.body_bigram, &t.text);
                    if among_words {
                        reach += df(f.body, &t.text);
                    }
                    bigrams.push((reach, t.text, among_words));
                }
            }
            if self.max_term_share > 0.0 && bigrams.iter().any(|(n, _, _)| useful(*n)) {
                bigrams.retain(|(n, _, _)| useful(*n));
            }
            // The rarest bigrams carry the signal; common ones (研究, 方法) add little to the
            // score and cost the most to read.
            bigrams.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
            if self.max_query_bigrams > 0 {
                bigrams.truncate(self.max_query_bigrams);
            }
            clauses.extend(bigrams.into_iter().filter(|(df, _, _)| *df > 0).map(
                |(df, b, among_words)| Scored {
                    df,
                    word: false,
                    query: if among_words {
                        Box::new(BooleanQuery::new(vec![
                            (Occur::Should, term(f.body_bigram, &b, w.body_bigram)),
                            (Occur::Should, term(f.body, &b, w.body_bigram)),
                        ]))
                    } else {
                        term(f.body_bigram, &b, w.body_bigram)
                    },
                },
            ));
            clauses
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let scored = weighted(free);
        if !scored.is_empty() {
            clauses.push((Occur::Should, self.rare_terms_decide(scored, stats)));
        }
        let mut keys = Vec::new();
        for phrase in required {
            let words = self.analyzer.words(phrase);
            if words.is_empty() {
                continue;
            }
            keys.push(phrase_key(phrase));
            clauses.push((Occur::Must, self.phrase_candidates(phrase, &words)));
        }
        if clauses.is_empty() {
            return Err(SearchError::BadQuery("no searchable words".into()));
        }
        for word in excluded {
            for t in self.analyzer.words(word) {
                clauses.push((
                    Occur::MustNot,
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.body, &t.text),
                        IndexRecordOption::Basic,
                    )),
                ));
            }
        }
        let query: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));
        if keys.is_empty() {
            return Ok(query);
        }
        // The index keeps no positions, so adjacency is checked on the stored text of the
        // listings that pass everything else.
        Ok(Box::new(PhraseFilter {
            inner: query,
            body: f.body,
            keys: Arc::new(keys),
        }))
    }

    /// Listings that may hold `phrase` (whose words are `words`), for [`PhraseFilter`] to
    /// check: every two-character Han bigram of the phrase, in the bigram field or among the
    /// words (where bigrams that are words are left out of the bigram field), and every run of
    /// other letters and digits as a word (`solid-state` is also indexed as `solid`, `state`),
    /// as the index holds each of them wherever the phrase occurs. A phrase of one Han
    /// character needs its words instead (best effort: inside a longer word it may be no word
    /// of its own). The phrase's words add to the score and are highlighted.
    fn phrase_candidates(
        &self,
        phrase: &str,
        words: &[crate::search::analysis::Term],
    ) -> Box<dyn Query> {
        let f = &self.fields;
        let term = |field: Field, text: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, text),
                IndexRecordOption::WithFreqs,
            ))
        };
        let mut seen = std::collections::HashSet::new();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for b in self.analyzer.bigrams(phrase) {
            if b.text.chars().count() != 2
                || !b.text.chars().all(crate::search::analysis::is_han)
                || !seen.insert(b.text.clone())
            {
                continue;
            }
            let query = if self.analyzer.bigrams_may_be_words() {
                Box::new(BooleanQuery::new(vec![
                    (Occur::Should, term(f.body_bigram, &b.text)),
                    (Occur::Should, term(f.body, &b.text)),
                ])) as Box<dyn Query>
            } else {
                term(f.body_bigram, &b.text)
            };
            clauses.push((Occur::Must, query));
        }
        for token in phrase_key(phrase).split(KEY_SEPARATOR) {
            let latin = token
                .chars()
                .next()
                .is_some_and(|c| !crate::search::analysis::is_han(c));
            if latin && seen.insert(token.to_owned()) {
                clauses.push((Occur::Must, term(f.body, token)));
            }
        }
        let occur = if clauses.is_empty() {
            Occur::Must
        } else {
            Occur::Should
        };
        let mut seen = std::collections::HashSet::new();
        for w in words {
            if seen.insert(w.text.as_str()) {
                clauses.push((occur, term(f.body, &w.text)));
            }
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// For each stretch of 2 to 5 query characters, made of whole adjacent words, around a
    /// character that joined no word (and is not a common one like 的), the indexed words that
    /// sound the same at every place, most frequent first, with how many listings they reach.
    fn sound_alike_groups(
        &self,
        stats: &WordCounter<'_>,
        words: &[(u64, crate::search::analysis::Term)],
        common: u64,
    ) -> Vec<(u64, Vec<String>)> {
        const MAX_STRETCHES: usize = 4;
        const MAX_WORDS: usize = 4;
        let han = |t: &str| t.chars().all(crate::search::analysis::is_han);
        let mut by_place: Vec<&crate::search::analysis::Term> = words
            .iter()
            .map(|(_, t)| t)
            .filter(|t| han(&t.text))
            .collect();
        by_place.sort_by_key(|t| (t.from, t.to));
        by_place.dedup_by_key(|t| t.from);
        let loose: Vec<usize> = (0..by_place.len())
            .filter(|&i| {
                let t = by_place[i];
                let df = words
                    .iter()
                    .find(|(_, w)| w.text == t.text)
                    .map_or(0, |w| w.0);
                t.text.chars().count() == 1 && df <= common
            })
            .collect();
        let mut stretches: Vec<String> = Vec::new();
        for &i in &loose {
            for start in i.saturating_sub(2)..=i {
                let mut text = String::new();
                for end in start..by_place.len() {
                    if end > start && by_place[end].from != by_place[end - 1].to {
                        break;
                    }
                    text.push_str(&by_place[end].text);
                    let chars = text.chars().count();
                    if chars > 5 {
                        break;
                    }
                    if end >= i && chars >= 2 && !stretches.contains(&text) {
                        stretches.push(text.clone());
                    }
                }
            }
        }
        let body = self.fields.body;
        let df = |w: &str| stats.doc_freq(body, w).unwrap_or(0);
        let mut groups = Vec::new();
        for stretch in stretches {
            if groups.len() == MAX_STRETCHES {
                break;
            }
            let mut found: Vec<(u64, String)> = sound_alike_words(stats.searcher(), body, &stretch)
                .into_iter()
                .filter(|w| *w != stretch)
                .map(|w| (df(&w), w))
                .filter(|(n, _)| *n > 0)
                .collect();
            found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            found.truncate(MAX_WORDS);
            if !found.is_empty() {
                let reach = found.iter().map(|(n, _)| n).sum();
                groups.push((reach, found.into_iter().map(|(_, w)| w).collect()));
            }
        }
        groups
    }

    /// Terms in at most this many of the listings the reader may find decide which match.
    fn deciding_cutoff(&self, stats: &WordCounter<'_>) -> u64 {
        ((stats.num_docs() as f64 * f64::from(self.max_required_share)) as u64)
            .max(self.min_required_listings)
    }

    /// Combines a query's scored clauses so that the rarer terms decide which listings match
    /// and the commoner ones only add to their score.
    fn rare_terms_decide(&self, scored: Vec<Scored>, stats: &WordCounter<'_>) -> Box<dyn Query> {
        // Counting and faceting then walk a few thousand listings, not a third of the index,
        // and the top hits are as good (`cargo bench --bench retrieval`). When every term is
        // common, a listing must hold every word; words with no hits never decide.
        let cutoff = self.deciding_cutoff(stats);
        let narrowing = self.max_required_share > 0.0;
        let rare = |c: &Scored| c.df > 0 && c.df <= cutoff;
        let any_rare = scored.iter().any(rare);
        let found_word = |c: &Scored| c.word && c.df > 0;
        let all_words = narrowing && !any_rare && scored.iter().any(found_word);
        let (required, optional): (Vec<Scored>, Vec<Scored>) = if all_words {
            scored.into_iter().partition(found_word)
        } else if narrowing && any_rare {
            scored.into_iter().partition(rare)
        } else {
            (scored, Vec::new())
        };
        let combine = |occur: Occur, clauses: Vec<Scored>| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(
                clauses.into_iter().map(|c| (occur, c.query)).collect(),
            ))
        };
        let required_occur = if all_words {
            Occur::Must
        } else {
            Occur::Should
        };
        let mut parts = vec![(Occur::Must, combine(required_occur, required))];
        if !optional.is_empty() {
            parts.push((Occur::Should, combine(Occur::Should, optional)));
        }
        Box::new(BooleanQuery::new(parts))
    }

    /// Clauses every query carries: listed (live, not expired), of `kind` if given, and
    /// visible to the viewer. All but the kind are exclusions of the few listings that fail
    /// them, so a query never walks the long lists of those that pass.
    pub(in crate::search) fn listed_filters(
        &self,
        kind: Option<DocKind>,
        visibility: &Visibility,
        now: i64,
    ) -> Vec<(Occur, Box<dyn Query>)> {
        let f = &self.fields;
        let term = |field: Field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, value),
                IndexRecordOption::Basic,
            ))
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::MustNot, term(f.live, "0")),
            // Only live listings carry an expiry: those past it await the expiry sweep.
            (
                Occur::MustNot,
                Box::new(tantivy::query::RangeQuery::new(
                    std::ops::Bound::Unbounded,
                    std::ops::Bound::Included(Term::from_field_i64(f.expires, now)),
                )),
            ),
        ];
        if let Some(kind) = kind {
            clauses.push((Occur::Must, no_score(term(f.kind, kind.as_str()))));
        }
        if !visibility.need_visibilities.is_empty() {
            // Results are all public; needs of a visibility the viewer may not find are
            // hidden unless they are the viewer's own.
            let mut hidden: Vec<(Occur, Box<dyn Query>)> = crate::domain::NeedVisibility::ALL
                .iter()
                .map(|v| v.as_str())
                .filter(|v| !visibility.need_visibilities.contains(v))
                .map(|v| (Occur::Should, term(f.visibility, v)))
                .collect();
            if !hidden.is_empty() {
                if let Some(org) = visibility.own_org {
                    hidden.push((
                        Occur::MustNot,
                        Box::new(TermQuery::new(
                            Term::from_field_u64(f.owner, org as u64),
                            IndexRecordOption::Basic,
                        )),
                    ));
                }
                clauses.push((Occur::MustNot, Box::new(BooleanQuery::new(hidden))));
            }
        }
        clauses
    }

    /// Of the listings `keys`, those `text` finds for a viewer with `visibility` (saved
    /// searches checking newly indexed listings).
    pub fn matching_among(
        &self,
        text: &str,
        kind: Option<DocKind>,
        visibility: &Visibility,
        now: i64,
        keys: &[(DocKind, i32)],
    ) -> Result<Vec<(DocKind, i32)>, SearchError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let f = &self.fields;
        let searcher = self.reader.searcher();
        let stats = self.statistics(&searcher, visibility)?;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Must,
            self.user_query(&ParsedQuery::parse(text)?, false, &stats)?,
        )];
        clauses.extend(self.listed_filters(kind, visibility, now));
        let among: Vec<(Occur, Box<dyn Query>)> = keys
            .iter()
            .map(|(k, id)| {
                (
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.key, &k.key(*id)),
                        IndexRecordOption::Basic,
                    )) as Box<dyn Query>,
                )
            })
            .collect();
        clauses.push((Occur::Must, no_score(Box::new(BooleanQuery::new(among)))));
        let top = searcher
            .search_with_statistics_provider(
                &BooleanQuery::new(clauses),
                &TopDocs::with_limit(keys.len()).order_by_score(),
                &stats,
            )
            .map_err(|e| SearchError::Index(e.into()))?;
        let mut found = Vec::with_capacity(top.len());
        for (_, addr) in top {
            let doc: tantivy::TantivyDocument = searcher
                .doc(addr)
                .map_err(|e| SearchError::Index(e.into()))?;
            if let Some(key) = doc.get_first(f.key).and_then(|v| v.as_str())
                && let Some(parsed) = parse_key(key)
            {
                found.push(parsed);
            }
        }
        Ok(found)
    }

    /// Runs a search with visibility applied inside the query. A search with fewer hits than
    /// a page runs again with the words that sound like its loose characters (homophone
    /// typos), which costs a walk of the term dictionaries, so only then; every page of one
    /// search makes the same choice. A search whose `"phrases"` find nothing runs again with
    /// their words as plain words ([`Found::phrases_relaxed`]): a phrase pasted from a document
    /// rarely occurs word for word in a listing, and an empty page helps nobody. (Saved-search
    /// alerts, [`Self::matching_among`], keep phrases strict.)
    pub fn search(&self, req: &SearchRequest) -> Result<Found, SearchError> {
        let parsed = ParsedQuery::parse(&req.text)?;
        let searcher = self.reader.searcher();
        let stats = self.statistics(&searcher, &req.visibility)?;
        let found = self.search_parsed(req, &parsed, &stats)?;
        if found.total > 0 || parsed.phrases.is_empty() {
            return Ok(found);
        }
        let mut relaxed = self.search_parsed(req, &parsed.relaxed(), &stats)?;
        relaxed.phrases_relaxed = true;
        Ok(relaxed)
    }

    /// The statistics a search by a reader with `visibility` weighs words by: those of the
    /// listings it may find (`search::statistics`), so that no listing hidden from it moves
    /// a score, a deciding word, a sound-alike or a snippet.
    fn statistics<'a>(
        &self,
        searcher: &'a tantivy::Searcher,
        visibility: &Visibility,
    ) -> Result<WordCounter<'a>, SearchError> {
        let readers = Readers::finding(&visibility.need_visibilities, visibility.own_org);
        self.word_counts
            .counter(searcher, self.counted_fields(), &readers)
            .map_err(|e| SearchError::Index(e.into()))
    }

    fn search_parsed(
        &self,
        req: &SearchRequest,
        parsed: &ParsedQuery,
        stats: &WordCounter<'_>,
    ) -> Result<Found, SearchError> {
        let found = self.search_with(req, self.user_query(parsed, false, stats)?, stats)?;
        if found.total >= self.sound_alike_below {
            return Ok(found);
        }
        let wider = self.search_with(req, self.user_query(parsed, true, stats)?, stats)?;
        Ok(if wider.total > found.total {
            wider
        } else {
            found
        })
    }

    fn search_with(
        &self,
        req: &SearchRequest,
        user: Box<dyn Query>,
        stats: &WordCounter<'_>,
    ) -> Result<Found, SearchError> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, user.box_clone())];
        clauses.extend(self.listed_filters(req.kind, &req.visibility, req.now));
        for any_of in &req.facet_filters {
            let options: Vec<(Occur, Box<dyn Query>)> = any_of
                .iter()
                .filter_map(|p| tantivy::schema::Facet::from_text(p).ok())
                .map(|facet| {
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(
                            Term::from_facet(f.facets, &facet),
                            IndexRecordOption::Basic,
                        )) as Box<dyn Query>,
                    )
                })
                .collect();
            clauses.push((Occur::Must, no_score(Box::new(BooleanQuery::new(options)))));
        }
        if req.trl_min.is_some() || req.trl_max.is_some() {
            let lo = req.trl_min.map_or(std::ops::Bound::Unbounded, |t| {
                std::ops::Bound::Included(Term::from_field_u64(f.trl, u64::from(t)))
            });
            let hi = req.trl_max.map_or(std::ops::Bound::Unbounded, |t| {
                std::ops::Bound::Included(Term::from_field_u64(f.trl, u64::from(t)))
            });
            clauses.push((
                Occur::Must,
                Box::new(tantivy::query::RangeQuery::new(lo, hi)),
            ));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = stats.searcher();
        let limit = req.limit.max(1);
        let facet_counter = || {
            crate::search::facets::FacetCounter::new(
                "facets",
                FACET_ROOTS,
                DEEP_FACET_ROOTS,
                self.facet_maps.clone(),
            )
        };
        // Ties go to the first listing in kind and id order, never to the order of the
        // documents in the index: segments are ordered by size, and their sizes count
        // listings hidden from the reader.
        let page = || TopDocs::with_limit(limit).and_offset(req.offset);
        let by_score = || {
            page().tweak_score(|segment: &tantivy::SegmentReader| {
                let order = listing_order(segment);
                move |doc: tantivy::DocId, score: tantivy::Score| {
                    (score, std::cmp::Reverse(order(doc)))
                }
            })
        };
        let newest = || {
            page().tweak_score(|segment: &tantivy::SegmentReader| {
                let order = listing_order(segment);
                let updated = segment
                    .fast_fields()
                    .i64("updated")
                    .ok()
                    .map(|column| column.first_or_default_col(0));
                move |doc: tantivy::DocId, _: tantivy::Score| {
                    let at = updated.as_ref().map_or(0, |u| u.get_val(doc));
                    (at, std::cmp::Reverse(order(doc)))
                }
            })
        };
        let scored = |top: Vec<((f32, std::cmp::Reverse<u64>), tantivy::DocAddress)>| {
            top.into_iter()
                .map(|((score, _), addr)| (score, addr))
                .collect()
        };
        let drop_score = |top: Vec<((i64, std::cmp::Reverse<u64>), tantivy::DocAddress)>| {
            // Newest order carries no relevance score.
            top.into_iter().map(|(_, addr)| (0.0_f32, addr)).collect()
        };
        let index_error = |e: tantivy::TantivyError| SearchError::Index(e.into());
        let (total, top, facets): (usize, Vec<(f32, tantivy::DocAddress)>, _) =
            match (req.order, req.facets) {
                (SearchOrder::Relevance, true) => {
                    let collector = (Count, by_score(), facet_counter());
                    let (total, top, facets) = searcher
                        .search_with_statistics_provider(&query, &collector, stats)
                        .map_err(index_error)?;
                    (total, scored(top), facets)
                }
                (SearchOrder::Relevance, false) => {
                    let (total, top) = searcher
                        .search_with_statistics_provider(&query, &(Count, by_score()), stats)
                        .map_err(index_error)?;
                    (total, scored(top), Vec::new())
                }
                (SearchOrder::Newest, true) => {
                    let collector = (Count, newest(), facet_counter());
                    let (total, top, facets) = searcher
                        .search_with_statistics_provider(&query, &collector, stats)
                        .map_err(index_error)?;
                    (total, drop_score(top), facets)
                }
                (SearchOrder::Newest, false) => {
                    let (total, top) = searcher
                        .search_with_statistics_provider(&query, &(Count, newest()), stats)
                        .map_err(index_error)?;
                    (total, drop_score(top), Vec::new())
                }
            };
        let top: Vec<(f32, tantivy::DocAddress)> = if req.limit == 0 { Vec::new() } else { top };
        // The title is part of the body, so the body's terms highlight both.
        let snippets = snippet_generator(searcher, stats, &*user, f.body)
            .map_err(|e| SearchError::Index(e.into()))?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher
                .doc(addr)
                .map_err(|e| SearchError::Index(e.into()))?;
            let key = doc
                .get_first(f.key)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            let Some((kind, id)) = parse_key(&key) else {
                continue;
            };
            let mut highlights = Vec::new();
            let text = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            for (name, field) in [("title", f.title), ("body", f.body)] {
                let snippet = snippets.snippet(&text(field));
                if !snippet.highlighted().is_empty() {
                    highlights.push((
                        name,
                        render_snippet(snippet.fragment(), snippet.highlighted()),
                    ));
                }
            }
            hits.push(Hit {
                kind,
                id,
                score,
                highlights,
            });
        }
        Ok(Found {
            total,
            hits,
            facets,
            phrases_relaxed: false,
        })
    }
}

/// A query with no score of its own: a filter, which must not weigh listings by how many
/// (including hidden ones) share its term.
fn no_score(filter: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(tantivy::query::ConstScoreQuery::new(filter, 0.0))
}

/// Highlights of `query`'s words in `field`, the rarer weighing more in the choice of
/// fragment: tantivy's own generator, but with the reader's statistics, as the index-wide
/// ones would let hidden listings pick the fragment.
fn snippet_generator(
    searcher: &tantivy::Searcher,
    stats: &WordCounter<'_>,
    query: &dyn Query,
    field: Field,
) -> tantivy::Result<SnippetGenerator> {
    let mut words = std::collections::BTreeSet::new();
    query.query_terms(&mut |term, _| {
        if term.field() == field
            && let Some(word) = term.value().as_str()
        {
            words.insert(word.to_owned());
        }
    });
    let mut weights = std::collections::BTreeMap::new();
    for word in words {
        let df = stats.doc_freq(field, &word)?;
        if df > 0 {
            weights.insert(word, 1.0 / (1.0 + df as f32));
        }
    }
    let tokenizer = searcher.index().tokenizer_for_field(field)?;
    Ok(SnippetGenerator::new(weights, tokenizer, field, 160))
}

/// Up to eight words of `field` one edit (a transposition counts as one) away from `word`,
/// beginning with the same letter: typos are rarely in the first letter, and keeping it lets
/// the search walk one letter's part of each term dictionary instead of all of it (at 1M
/// listings a few hundred microseconds instead of 8 ms a word).
fn near_spellings(stats: &WordCounter<'_>, field: Field, word: &str) -> Vec<String> {
    let searcher = stats.searcher();
    let Some(first) = word.bytes().next().filter(u8::is_ascii_lowercase) else {
        return Vec::new();
    };
    let Ok(dfa) = tantivy::query::FuzzyTermQuery::new(Term::from_field_text(field, word), 1, true)
        .automaton()
    else {
        return Vec::new();
    };
    let mut found = std::collections::BTreeSet::new();
    for segment in searcher.segment_readers() {
        let Ok(inverted) = segment.inverted_index(field) else {
            continue;
        };
        let Ok(mut stream) = inverted
            .terms()
            .search(&dfa)
            .ge([first])
            .lt([first + 1])
            .into_stream()
        else {
            continue;
        };
        while stream.advance() {
            if let Ok(text) = std::str::from_utf8(stream.key()) {
                found.insert(text.to_owned());
            }
        }
    }
    // A word only hidden listings hold is no spelling to try.
    found
        .into_iter()
        .filter(|w| stats.doc_freq(field, w).is_ok_and(|n| n > 0))
        .take(8)
        .collect()
}

/// The words of `field` that sound like `stretch` at every character (see `homophones.rs`).
fn sound_alike_words(searcher: &tantivy::Searcher, field: Field, stretch: &str) -> Vec<String> {
    let mut found = std::collections::BTreeSet::new();
    for segment in searcher.segment_readers() {
        let Ok(inverted) = segment.inverted_index(field) else {
            continue;
        };
        let automaton = crate::search::homophones::SoundsLike::new(stretch);
        let Ok(mut stream) = inverted.terms().search(automaton).into_stream() else {
            continue;
        };
        while stream.advance() {
            if let Ok(text) = std::str::from_utf8(stream.key()) {
                found.insert(text.to_owned());
            }
        }
    }
    found.into_iter().collect()
}

fn parse_key(key: &str) -> Option<(DocKind, i32)> {
    let (kind, id) = key.split_once(':')?;
    let kind = match kind {
        "achievement" => DocKind::Achievement,
        "need" => DocKind::Need,
        _ => return None,
    };
    Some((kind, id.parse().ok()?))
}
