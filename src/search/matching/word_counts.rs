//! How many listings of each kind hold a word, counting only what anyone may read: live
//! results, and live needs that are public or anonymous. A confidential or unpublished need is
//! in the index (its owner finds it), but its words must not move a weight anybody else sees,
//! so the statistics matching weighs words by are counted here rather than taken from
//! tantivy's document frequencies, which count every document.
//!
//! The counts come from postings the index already has: each segment's visible results and
//! needs are bit sets, read once from the kind, live and visibility postings; the body's and
//! the keywords' postings of a word are counted through them. Segments never change, so a
//! segment's sets and counts are kept until a merge replaces it, and a word common to many
//! postings (有限公司, 企业) is counted once per segment, not per match. A deleted document
//! (a listing replaced or removed since the segment was written) never counts: a segment's
//! sets and counts are kept per segment and number of deletes, so a listing made confidential
//! stops counting when the change is indexed, not when a merge happens to drop it.
//!
//! (A needs-only word field gave the needs' counts at no query cost, but its postings made bulk
//! indexing 15% slower: `docs/performance.md`.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tantivy::index::SegmentId;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{BitSet, DocSet, Searcher, SegmentReader, TERMINATED, Term};

/// Segments whose sets are kept; beyond this the cache starts afresh.
const CACHED_SEGMENTS: usize = 256;
/// Word counts kept per segment; beyond this the segment's counts start afresh.
const CACHED_WORDS: usize = 50_000;
/// Only a word with at least this many postings in a segment has its count kept there: a
/// rarer word is counted again faster than a cache entry pays for its memory.
const CACHED_FROM_POSTINGS: u32 = 64;

/// The word counts of one index, shared by every match.
pub(crate) struct WordCounts {
    segments: Mutex<HashMap<(SegmentId, u32), Arc<SegmentSets>>>,
    /// [`CACHED_FROM_POSTINGS`], or less in a test.
    cached_from: u32,
}

impl Default for WordCounts {
    fn default() -> Self {
        Self {
            segments: Mutex::default(),
            cached_from: CACHED_FROM_POSTINGS,
        }
    }
}

/// How the index marks what may be counted.
#[derive(Clone, Copy)]
pub(crate) struct CountedFields {
    /// `kind` holds `achievement_kind` or `need_kind`.
    pub(crate) kind: Field,
    pub(crate) achievement_kind: &'static str,
    pub(crate) need_kind: &'static str,
    /// `live` holds `live_value` for a published listing.
    pub(crate) live: Field,
    pub(crate) live_value: &'static str,
    /// A need is counted when `visibility` holds one of these.
    pub(crate) visibility: Field,
    pub(crate) readable: &'static [&'static str],
    pub(crate) body: Field,
    pub(crate) keywords: Field,
}

/// Results and needs: a count of each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct KindCounts {
    pub(crate) results: u32,
    pub(crate) needs: u32,
}

impl std::ops::AddAssign for KindCounts {
    fn add_assign(&mut self, other: Self) {
        self.results += other.results;
        self.needs += other.needs;
    }
}

/// One segment's countable results and needs, and the words counted so far.
struct SegmentSets {
    results: BitSet,
    needs: BitSet,
    words: Mutex<HashMap<String, KindCounts>>,
}

/// Counts over one searcher's segments.
pub(crate) struct WordCounter<'a> {
    searcher: &'a Searcher,
    segments: Vec<Arc<SegmentSets>>,
    fields: CountedFields,
    cached_from: u32,
}

impl WordCounts {
    /// A counter over `searcher`'s segments; a segment not seen before has its sets read once.
    pub(crate) fn counter<'a>(
        &self,
        searcher: &'a Searcher,
        fields: CountedFields,
    ) -> tantivy::Result<WordCounter<'a>> {
        let mut segments = Vec::with_capacity(searcher.segment_readers().len());
        for reader in searcher.segment_readers() {
            let id = (reader.segment_id(), reader.num_deleted_docs());
            if let Some(known) = self.lock().get(&id) {
                segments.push(known.clone());
                continue;
            }
            let read = Arc::new(SegmentSets::read(reader, &fields)?);
            let mut cache = self.lock();
            // A segment's older sets (fewer deletes) are no use any more.
            cache.retain(|(segment, _), _| *segment != id.0);
            if cache.len() >= CACHED_SEGMENTS {
                cache.clear();
            }
            cache.insert(id, read.clone());
            segments.push(read);
        }
        Ok(WordCounter {
            searcher,
            segments,
            fields,
            cached_from: self.cached_from,
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<(SegmentId, u32), Arc<SegmentSets>>> {
        self.segments.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl WordCounter<'_> {
    /// The countable results and needs.
    pub(crate) fn listings(&self) -> KindCounts {
        let mut total = KindCounts::default();
        for s in &self.segments {
            total += KindCounts {
                results: s.results.len() as u32,
                needs: s.needs.len() as u32,
            };
        }
        total
    }

    /// The countable results and needs whose body or keywords hold `word`, each once.
    pub(crate) fn holding(&self, word: &str) -> tantivy::Result<KindCounts> {
        let mut total = KindCounts::default();
        for (reader, segment) in self.searcher.segment_readers().iter().zip(&self.segments) {
            let known = segment.lock().get(word).copied();
            total += match known {
                Some(n) => n,
                None => {
                    let (n, postings) = segment.count(reader, &self.fields, word)?;
                    if postings >= self.cached_from {
                        let mut words = segment.lock();
                        if words.len() >= CACHED_WORDS {
                            words.clear();
                        }
                        words.insert(word.to_owned(), n);
                    }
                    n
                }
            };
        }
        Ok(total)
    }
}

impl SegmentSets {
    fn read(reader: &SegmentReader, f: &CountedFields) -> tantivy::Result<Self> {
        let max = reader.max_doc().max(1);
        let add = |set: &mut BitSet, field: Field, value: &str, keep: &dyn Fn(u32) -> bool| {
            let term = Term::from_field_text(field, value);
            if let Some(mut postings) = reader
                .inverted_index(field)?
                .read_postings(&term, IndexRecordOption::Basic)?
            {
                let mut doc = postings.doc();
                while doc != TERMINATED {
                    if keep(doc) {
                        set.insert(doc);
                    }
                    doc = postings.advance();
                }
            }
            tantivy::Result::Ok(())
        };
        let [mut live, mut results, mut live_needs, mut needs] =
            std::array::from_fn(|_| BitSet::with_max_value(max));
        let alive = |doc: u32| reader.alive_bitset().is_none_or(|a| a.is_alive(doc));
        add(&mut live, f.live, f.live_value, &alive)?;
        add(&mut results, f.kind, f.achievement_kind, &|d| {
            live.contains(d)
        })?;
        add(&mut live_needs, f.kind, f.need_kind, &|d| live.contains(d))?;
        for visibility in f.readable {
            add(&mut needs, f.visibility, visibility, &|d| {
                live_needs.contains(d)
            })?;
        }
        Ok(Self {
            results,
            needs,
            words: Mutex::default(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, KindCounts>> {
        self.words.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The segment's countable listings whose body or keywords hold `word`, and how many
    /// postings that read.
    fn count(
        &self,
        reader: &SegmentReader,
        f: &CountedFields,
        word: &str,
    ) -> tantivy::Result<(KindCounts, u32)> {
        let mut n = KindCounts::default();
        let mut read = 0;
        let mut tally = |doc: u32| {
            n.results += u32::from(self.results.contains(doc));
            n.needs += u32::from(self.needs.contains(doc));
        };
        let body = reader.inverted_index(f.body)?;
        let body_term = Term::from_field_text(f.body, word);
        if let Some(mut postings) = body.read_postings(&body_term, IndexRecordOption::Basic)? {
            let mut doc = postings.doc();
            while doc != TERMINATED {
                tally(doc);
                read += 1;
                doc = postings.advance();
            }
        }
        // A word in a listing's keywords but not in its body counts too.
        let keywords = reader.inverted_index(f.keywords)?;
        let keyword_term = Term::from_field_text(f.keywords, word);
        if let Some(mut tagged) = keywords.read_postings(&keyword_term, IndexRecordOption::Basic)? {
            let mut in_body = body.read_postings(&body_term, IndexRecordOption::Basic)?;
            let mut doc = tagged.doc();
            while doc != TERMINATED {
                // `seek` may not go back: a body cursor already past `doc` has not got it.
                let also_in_body = in_body
                    .as_mut()
                    .is_some_and(|p| p.doc() <= doc && p.seek(doc) == doc);
                if !also_in_body {
                    tally(doc);
                }
                read += 1;
                doc = tagged.advance();
            }
        }
        Ok((n, read))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{STRING, Schema, TEXT};
    use tantivy::{Index, IndexWriter, doc};

    #[test]
    fn counts_each_readable_listing_once_across_fields_and_segments() -> tantivy::Result<()> {
        let mut schema = Schema::builder();
        let key = schema.add_text_field("key", STRING);
        let f = CountedFields {
            kind: schema.add_text_field("kind", STRING),
            achievement_kind: "achievement",
            need_kind: "need",
            live: schema.add_text_field("live", STRING),
            live_value: "1",
            visibility: schema.add_text_field("visibility", STRING),
            readable: &["PUBLIC", "ANONYMOUS"],
            body: schema.add_text_field("body", TEXT),
            keywords: schema.add_text_field("keywords", TEXT),
        };
        let index = Index::create_in_ram(schema.build());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000)?;
        let listing = |kind: &str, live: &str, visibility: &str, body: &str, keywords: &str| doc!(f.kind => kind, f.live => live, f.visibility => visibility, f.body => body, f.keywords => keywords);
        writer.add_document(listing("need", "1", "PUBLIC", "alpha beta", "alpha"))?;
        writer.add_document(listing("achievement", "1", "PUBLIC", "alpha", ""))?;
        writer.add_document(listing("need", "1", "ANONYMOUS", "gamma", "alpha"))?;
        // Neither a confidential need nor a draft counts, whatever it holds.
        writer.add_document(listing(
            "need",
            "1",
            "CONFIDENTIAL",
            "alpha secret",
            "secret",
        ))?;
        writer.add_document(listing("need", "0", "PUBLIC", "alpha draft", ""))?;
        writer.add_document(listing("achievement", "0", "PUBLIC", "alpha draft", ""))?;
        writer.commit()?;
        let mut last = listing("need", "1", "PUBLIC", "alpha", "");
        last.add_text(key, "need:7");
        writer.add_document(last)?;
        writer.add_document(listing("achievement", "1", "PUBLIC", "", "beta"))?;
        writer.commit()?;
        let searcher = index.reader()?.searcher();
        assert_eq!(searcher.segment_readers().len(), 2);
        let n = |results, needs| KindCounts { results, needs };
        // Every count kept, and none: the same answers.
        for cached_from in [0, u32::MAX] {
            let counts = WordCounts {
                cached_from,
                ..Default::default()
            };
            for _ in 0..2 {
                let counter = counts.counter(&searcher, f)?;
                assert_eq!(counter.listings(), n(2, 3));
                assert_eq!(counter.holding("alpha")?, n(1, 3));
                assert_eq!(counter.holding("beta")?, n(1, 1));
                assert_eq!(counter.holding("gamma")?, n(0, 1));
                assert_eq!(counter.holding("secret")?, n(0, 0));
                assert_eq!(counter.holding("draft")?, n(0, 0));
                assert_eq!(counter.holding("delta")?, n(0, 0));
            }
            let kept: usize = counts.lock().values().map(|s| s.lock().len()).sum();
            assert_eq!(kept > 0, cached_from == 0, "{kept} counts kept");
        }
        // A deleted document stops counting at once, whatever was kept before.
        let counts = WordCounts {
            cached_from: 0,
            ..Default::default()
        };
        assert_eq!(counts.counter(&searcher, f)?.holding("alpha")?, n(1, 3));
        writer.delete_term(Term::from_field_text(key, "need:7"));
        writer.commit()?;
        let reader = index.reader()?;
        reader.reload()?;
        let searcher = reader.searcher();
        let counter = counts.counter(&searcher, f)?;
        assert_eq!(counter.listings(), n(2, 2));
        assert_eq!(counter.holding("alpha")?, n(1, 2));
        Ok(())
    }
}
