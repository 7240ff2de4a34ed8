//! Word statistics over what a reader may read. A confidential or unpublished need is in the
//! index (its owner finds it), but its words must not move anything anybody else sees: not a
//! match's weights, not a search's BM25 scores, not which of a query's words decide, not which
//! near spelling or sound-alike word is tried, not a snippet. So every statistic search and
//! matching weigh words by is counted here, over the listings the reader may find, rather than
//! taken from tantivy's document frequencies, which count every document.
//!
//! The counts come from postings the index already has. Each segment's documents are sorted
//! once into classes (not counted: a draft or a deleted document; a live result; a live need
//! of each visibility) from the kind, live and visibility postings; a word's postings are
//! tallied by class, and a reader's count is the sum of the classes it may read, plus its own
//! organisation's needs among the rest. Segments never change, so a segment's classes and
//! tallies are kept until a merge replaces it, and a word common to many postings (有限公司,
//! 企业) is tallied once per segment, not per query. A deleted document (a listing replaced or
//! removed since the segment was written) never counts: a segment's tallies are kept per
//! segment and number of deletes, so a listing made confidential stops counting when the
//! change is indexed, not when a merge happens to drop it.
//!
//! (A needs-only word field gave matching the needs' counts at no query cost, but its postings
//! made bulk indexing 15% slower: `docs/performance.md`.)

use crate::domain::NeedVisibility;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tantivy::index::SegmentId;
use tantivy::postings::SegmentPostings;
use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocSet, Searcher, SegmentReader, TERMINATED, Term};

/// Segments whose classes are kept; beyond this the cache starts afresh.
const CACHED_SEGMENTS: usize = 256;
/// Word tallies kept per segment; beyond this the segment's tallies start afresh.
const CACHED_WORDS: usize = 50_000;
/// Only a word with at least this many postings in a segment has its tally kept there: a
/// rarer word is counted again faster than a cache entry pays for its memory.
const CACHED_FROM_POSTINGS: u32 = 64;

/// A document's class: not counted (a draft, or deleted), a live result, or a live need of the
/// visibility at `class - FIRST_NEED` in [`NeedVisibility::ALL`].
const NOT_COUNTED: u8 = 0;
const RESULT: u8 = 1;
const FIRST_NEED: u8 = 2;
const CLASSES: usize = FIRST_NEED as usize + NeedVisibility::ALL.len();

/// A count for each class.
type Tally<T> = [T; CLASSES];

/// The statistics of one index, shared by every search and match.
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
    /// A need's visibility, as [`NeedVisibility::as_str`].
    pub(crate) visibility: Field,
    /// The owning organisation's id.
    pub(crate) owner: Field,
    /// The fields of words: queries are scored on these alone.
    pub(crate) body: Field,
    pub(crate) keywords: Field,
    pub(crate) bigrams: Field,
}

impl CountedFields {
    fn holds_words(&self, field: Field) -> bool {
        [self.body, self.keywords, self.bigrams].contains(&field)
    }
}

/// Whom counts are for: the classes of listing a reader may find, and its own organisation,
/// whose live needs it finds whatever their visibility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Readers {
    classes: [bool; CLASSES],
    own_org: Option<u64>,
}

impl Readers {
    /// Anyone: live results and live public or anonymous needs. Matching weighs words by
    /// these, whoever asks.
    pub(crate) fn anyone() -> Self {
        let readable = [NeedVisibility::Public, NeedVisibility::Anonymous].map(|v| v.as_str());
        Self::finding(&readable, None)
    }

    /// Whoever finds live results, live needs of `need_visibilities` (every one when empty)
    /// and every live need of `own_org`: what a search with those filters can find.
    pub(crate) fn finding(need_visibilities: &[&str], own_org: Option<i32>) -> Self {
        let mut classes = [false; CLASSES];
        classes[usize::from(RESULT)] = true;
        for (i, v) in NeedVisibility::ALL.iter().enumerate() {
            classes[usize::from(FIRST_NEED) + i] =
                need_visibilities.is_empty() || need_visibilities.contains(&v.as_str());
        }
        let every_need = classes[usize::from(FIRST_NEED)..].iter().all(|c| *c);
        Self {
            classes,
            own_org: own_org.filter(|_| !every_need).map(|org| org as u64),
        }
    }

    /// The results and needs of `tally` these readers count.
    fn count(&self, tally: &Tally<u32>) -> KindCounts {
        let mut n = KindCounts::default();
        for (class, (&counted, &count)) in self.classes.iter().zip(tally).enumerate() {
            match class as u8 {
                NOT_COUNTED => {}
                _ if !counted => {}
                RESULT => n.results += count,
                _ => n.needs += count,
            }
        }
        n
    }
}

/// Results and needs: a count of each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct KindCounts {
    pub(crate) results: u32,
    pub(crate) needs: u32,
}

impl KindCounts {
    fn total(self) -> u64 {
        u64::from(self.results) + u64::from(self.needs)
    }
}

impl std::ops::AddAssign for KindCounts {
    fn add_assign(&mut self, other: Self) {
        self.results += other.results;
        self.needs += other.needs;
    }
}

/// What a word's postings are read from: the body or the keywords, each listing once
/// (matching), or one field (search).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Counted {
    BodyOrKeywords,
    Field(Field),
}

/// One segment's document classes, and what has been tallied so far.
struct SegmentSets {
    classes: Vec<u8>,
    sizes: Tally<u32>,
    words: Mutex<WordTallies>,
    /// Each field's tokens by class (BM25's average length), once asked for.
    tokens: Mutex<HashMap<Field, Tally<u64>>>,
}

#[derive(Default)]
struct WordTallies {
    by: HashMap<Counted, HashMap<String, Tally<u32>>>,
    len: usize,
}

/// Counts over one searcher's segments for one set of readers.
pub(crate) struct WordCounter<'a> {
    searcher: &'a Searcher,
    segments: Vec<Arc<SegmentSets>>,
    /// Each segment's live needs of the readers' organisation that no class counts, in order.
    own: Vec<Vec<u32>>,
    fields: CountedFields,
    readers: Readers,
    cached_from: u32,
    /// The counted results and needs, summed once.
    listings: KindCounts,
}

impl WordCounts {
    /// A counter over `searcher`'s segments for `readers`; a segment not seen before has its
    /// classes read once.
    pub(crate) fn counter<'a>(
        &self,
        searcher: &'a Searcher,
        fields: CountedFields,
        readers: &Readers,
    ) -> tantivy::Result<WordCounter<'a>> {
        let mut segments = Vec::with_capacity(searcher.segment_readers().len());
        let mut own = Vec::with_capacity(segments.capacity());
        for reader in searcher.segment_readers() {
            let id = (reader.segment_id(), reader.num_deleted_docs());
            let known = self.lock().get(&id).cloned();
            let sets = match known {
                Some(known) => known,
                None => {
                    let read = Arc::new(SegmentSets::read(reader, &fields)?);
                    let mut cache = self.lock();
                    // A segment's older classes (fewer deletes) are no use any more.
                    cache.retain(|(segment, _), _| *segment != id.0);
                    if cache.len() >= CACHED_SEGMENTS {
                        cache.clear();
                    }
                    cache.insert(id, read.clone());
                    read
                }
            };
            own.push(match readers.own_org {
                Some(org) => sets.uncounted_of(reader, &fields, readers, org)?,
                None => Vec::new(),
            });
            segments.push(sets);
        }
        let mut listings = KindCounts::default();
        for (sets, own) in segments.iter().zip(&own) {
            listings += readers.count(&sets.sizes);
            listings.needs += own.len() as u32;
        }
        Ok(WordCounter {
            searcher,
            segments,
            own,
            fields,
            readers: readers.clone(),
            cached_from: self.cached_from,
            listings,
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<(SegmentId, u32), Arc<SegmentSets>>> {
        self.segments.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<'a> WordCounter<'a> {
    /// The searcher counted over.
    pub(crate) fn searcher(&self) -> &'a Searcher {
        self.searcher
    }
}

impl WordCounter<'_> {
    /// The counted results and needs.
    pub(crate) fn listings(&self) -> KindCounts {
        self.listings
    }

    /// The counted results and needs whose body or keywords hold `word`, each once.
    pub(crate) fn holding(&self, word: &str) -> tantivy::Result<KindCounts> {
        self.tally(Counted::BodyOrKeywords, word)
    }

    /// The counted listings whose `field` holds `word`.
    pub(crate) fn doc_freq(&self, field: Field, word: &str) -> tantivy::Result<u64> {
        Ok(self.tally(Counted::Field(field), word)?.total())
    }

    /// The counted listings.
    pub(crate) fn num_docs(&self) -> u64 {
        self.listings().total()
    }

    /// The tokens of `field` in the counted listings.
    pub(crate) fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        let mut total = 0;
        for ((reader, segment), own) in self.segment_readers().zip(&self.own) {
            let tokens = segment.tokens(reader, field)?;
            for (class, n) in tokens.iter().enumerate() {
                if class != usize::from(NOT_COUNTED) && self.readers.classes[class] {
                    total += n;
                }
            }
            if !own.is_empty() {
                let norms = reader.get_fieldnorms_reader(field)?;
                total += own
                    .iter()
                    .map(|&d| u64::from(norms.fieldnorm(d)))
                    .sum::<u64>();
            }
        }
        Ok(total)
    }

    fn segment_readers(&self) -> impl Iterator<Item = (&SegmentReader, &Arc<SegmentSets>)> {
        self.searcher.segment_readers().iter().zip(&self.segments)
    }

    fn tally(&self, counted: Counted, word: &str) -> tantivy::Result<KindCounts> {
        let mut total = KindCounts::default();
        for ((reader, segment), own) in self.segment_readers().zip(&self.own) {
            let known = segment
                .lock()
                .by
                .get(&counted)
                .and_then(|w| w.get(word))
                .copied();
            let tally = match known {
                Some(tally) => tally,
                None => {
                    let (tally, postings) = segment.count(reader, &self.fields, counted, word)?;
                    if postings >= self.cached_from {
                        segment.keep(counted, word, tally);
                    }
                    tally
                }
            };
            total += self.readers.count(&tally);
            if !own.is_empty() {
                total.needs += own_holding(reader, &self.fields, counted, word, own)?;
            }
        }
        Ok(total)
    }
}

/// BM25 over what the readers may find. Only words are scored: a filter is constant-score or
/// an exclusion, so its term's statistics (asked for all the same) are the index's, its count
/// held within the counted listings.
impl Bm25StatisticsProvider for WordCounter<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        if self.fields.holds_words(field) {
            WordCounter::total_num_tokens(self, field)
        } else {
            Bm25StatisticsProvider::total_num_tokens(self.searcher, field)
        }
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.num_docs().max(1))
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        match term.value().as_str() {
            Some(word) if self.fields.holds_words(term.field()) => {
                WordCounter::doc_freq(self, term.field(), word)
            }
            _ => Ok(self.searcher.doc_freq(term)?.min(self.num_docs().max(1))),
        }
    }
}

fn postings(
    reader: &SegmentReader,
    field: Field,
    word: &str,
) -> tantivy::Result<Option<SegmentPostings>> {
    Ok(reader.inverted_index(field)?.read_postings(
        &Term::from_field_text(field, word),
        IndexRecordOption::Basic,
    )?)
}

/// Calls `each` with every document of `postings`.
fn walk(postings: Option<SegmentPostings>, mut each: impl FnMut(u32)) {
    if let Some(mut postings) = postings {
        let mut doc = postings.doc();
        while doc != TERMINATED {
            each(doc);
            doc = postings.advance();
        }
    }
}

/// Whether a cursor not yet past `doc` has it (`seek` may not go back).
fn has(postings: &mut Option<SegmentPostings>, doc: u32) -> bool {
    postings
        .as_mut()
        .is_some_and(|p| p.doc() <= doc && p.seek(doc) == doc)
}

/// How many of `docs` (in order) hold `word`.
fn own_holding(
    reader: &SegmentReader,
    f: &CountedFields,
    counted: Counted,
    word: &str,
    docs: &[u32],
) -> tantivy::Result<u32> {
    let (mut first, mut second) = match counted {
        Counted::Field(field) => (postings(reader, field, word)?, None),
        Counted::BodyOrKeywords => (
            postings(reader, f.body, word)?,
            postings(reader, f.keywords, word)?,
        ),
    };
    Ok(docs
        .iter()
        .filter(|&&doc| {
            // Both cursors move on for every document, so neither is ever past the next one.
            let a = has(&mut first, doc);
            let b = has(&mut second, doc);
            a || b
        })
        .count() as u32)
}

impl SegmentSets {
    fn read(reader: &SegmentReader, f: &CountedFields) -> tantivy::Result<Self> {
        let max = reader.max_doc() as usize;
        let mut classes = vec![NOT_COUNTED; max];
        let alive = |doc: u32| reader.alive_bitset().is_none_or(|a| a.is_alive(doc));
        let mut live = vec![false; max];
        walk(postings(reader, f.live, f.live_value)?, |d| {
            live[d as usize] = alive(d);
        });
        walk(postings(reader, f.kind, f.achievement_kind)?, |d| {
            if live[d as usize] {
                classes[d as usize] = RESULT;
            }
        });
        let mut needs = vec![false; max];
        walk(postings(reader, f.kind, f.need_kind)?, |d| {
            needs[d as usize] = live[d as usize];
        });
        for (i, visibility) in NeedVisibility::ALL.iter().enumerate() {
            walk(postings(reader, f.visibility, visibility.as_str())?, |d| {
                if needs[d as usize] {
                    classes[d as usize] = FIRST_NEED + i as u8;
                }
            });
        }
        let mut sizes = [0; CLASSES];
        for &class in &classes {
            sizes[usize::from(class)] += 1;
        }
        Ok(Self {
            classes,
            sizes,
            words: Mutex::default(),
            tokens: Mutex::default(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, WordTallies> {
        self.words.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn keep(&self, counted: Counted, word: &str, tally: Tally<u32>) {
        let mut words = self.lock();
        if words.len >= CACHED_WORDS {
            *words = WordTallies::default();
        }
        if words
            .by
            .entry(counted)
            .or_default()
            .insert(word.to_owned(), tally)
            .is_none()
        {
            words.len += 1;
        }
    }

    /// The live needs of `org` in this segment that `readers` count in no class, in order.
    fn uncounted_of(
        &self,
        reader: &SegmentReader,
        f: &CountedFields,
        readers: &Readers,
        org: u64,
    ) -> tantivy::Result<Vec<u32>> {
        let mut docs = Vec::new();
        let term = Term::from_field_u64(f.owner, org);
        let owned = reader
            .inverted_index(f.owner)?
            .read_postings(&term, IndexRecordOption::Basic)?;
        walk(owned, |d| {
            let class = self.classes[d as usize];
            if class >= FIRST_NEED && !readers.classes[usize::from(class)] {
                docs.push(d);
            }
        });
        Ok(docs)
    }

    /// Each class's tokens of `field`, read once.
    fn tokens(&self, reader: &SegmentReader, field: Field) -> tantivy::Result<Tally<u64>> {
        if let Some(known) = self.lock_tokens().get(&field) {
            return Ok(*known);
        }
        let norms = reader.get_fieldnorms_reader(field)?;
        let mut tally = [0; CLASSES];
        for (doc, &class) in self.classes.iter().enumerate() {
            tally[usize::from(class)] += u64::from(norms.fieldnorm(doc as u32));
        }
        self.lock_tokens().insert(field, tally);
        Ok(tally)
    }

    fn lock_tokens(&self) -> MutexGuard<'_, HashMap<Field, Tally<u64>>> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The segment's documents holding `word`, by class, and how many postings that read.
    fn count(
        &self,
        reader: &SegmentReader,
        f: &CountedFields,
        counted: Counted,
        word: &str,
    ) -> tantivy::Result<(Tally<u32>, u32)> {
        let mut tally = [0; CLASSES];
        let mut read = 0;
        let mut add = |doc: u32| tally[usize::from(self.classes[doc as usize])] += 1;
        match counted {
            Counted::Field(field) => walk(postings(reader, field, word)?, |doc| {
                read += 1;
                add(doc);
            }),
            Counted::BodyOrKeywords => {
                walk(postings(reader, f.body, word)?, |doc| {
                    read += 1;
                    add(doc);
                });
                // A word in a listing's keywords but not in its body counts too.
                let mut in_body = postings(reader, f.body, word)?;
                walk(postings(reader, f.keywords, word)?, |doc| {
                    read += 1;
                    if !has(&mut in_body, doc) {
                        add(doc);
                    }
                });
            }
        }
        Ok((tally, read))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{INDEXED, STRING, Schema, TEXT};
    use tantivy::{Index, IndexWriter, TantivyDocument, doc};

    struct Fixture {
        index: Index,
        writer: IndexWriter,
        f: CountedFields,
        key: Field,
    }

    impl Fixture {
        fn new() -> tantivy::Result<Self> {
            let mut schema = Schema::builder();
            let key = schema.add_text_field("key", STRING);
            let f = CountedFields {
                kind: schema.add_text_field("kind", STRING),
                achievement_kind: "achievement",
                need_kind: "need",
                live: schema.add_text_field("live", STRING),
                live_value: "1",
                visibility: schema.add_text_field("visibility", STRING),
                owner: schema.add_u64_field("owner", INDEXED),
                body: schema.add_text_field("body", TEXT),
                keywords: schema.add_text_field("keywords", TEXT),
                bigrams: schema.add_text_field("bigrams", TEXT),
            };
            let index = Index::create_in_ram(schema.build());
            let writer = index.writer_with_num_threads(1, 15_000_000)?;
            Ok(Self {
                index,
                writer,
                f,
                key,
            })
        }

        /// Adds a listing of organisation 1 as `kind`, `live`, `visibility`.
        fn add(&mut self, listing: (&str, &str, &str, &str, &str)) -> tantivy::Result<()> {
            self.add_owned(listing, 1, None)
        }

        fn add_owned(
            &mut self,
            (kind, live, visibility, body, keywords): (&str, &str, &str, &str, &str),
            owner: u64,
            key: Option<&str>,
        ) -> tantivy::Result<()> {
            let f = self.f;
            let mut doc: TantivyDocument = doc!(f.kind => kind, f.live => live, f.visibility => visibility, f.owner => owner, f.body => body, f.keywords => keywords);
            if let Some(key) = key {
                doc.add_text(self.key, key);
            }
            self.writer.add_document(doc)?;
            Ok(())
        }

        fn searcher(&self) -> tantivy::Result<Searcher> {
            let reader = self.index.reader()?;
            reader.reload()?;
            Ok(reader.searcher())
        }
    }

    fn n(results: u32, needs: u32) -> KindCounts {
        KindCounts { results, needs }
    }

    #[test]
    fn counts_each_readable_listing_once_across_fields_and_segments() -> tantivy::Result<()> {
        let mut x = Fixture::new()?;
        x.add(("need", "1", "PUBLIC", "alpha beta", "alpha"))?;
        x.add(("achievement", "1", "PUBLIC", "alpha", ""))?;
        x.add(("need", "1", "ANONYMOUS", "gamma", "alpha"))?;
        // Neither a confidential need nor a draft counts, whatever it holds.
        x.add(("need", "1", "CONFIDENTIAL", "alpha secret", "secret"))?;
        x.add(("need", "0", "PUBLIC", "alpha draft", ""))?;
        x.add(("achievement", "0", "PUBLIC", "alpha draft", ""))?;
        x.writer.commit()?;
        x.add_owned(("need", "1", "PUBLIC", "alpha", ""), 1, Some("need:7"))?;
        x.add(("achievement", "1", "PUBLIC", "", "beta"))?;
        x.writer.commit()?;
        let searcher = x.searcher()?;
        assert_eq!(searcher.segment_readers().len(), 2);
        // Every count kept, and none: the same answers.
        for cached_from in [0, u32::MAX] {
            let counts = WordCounts {
                cached_from,
                ..Default::default()
            };
            for _ in 0..2 {
                let counter = counts.counter(&searcher, x.f, &Readers::anyone())?;
                assert_eq!(counter.listings(), n(2, 3));
                assert_eq!(counter.holding("alpha")?, n(1, 3));
                assert_eq!(counter.holding("beta")?, n(1, 1));
                assert_eq!(counter.holding("gamma")?, n(0, 1));
                assert_eq!(counter.holding("secret")?, n(0, 0));
                assert_eq!(counter.holding("draft")?, n(0, 0));
                assert_eq!(counter.holding("delta")?, n(0, 0));
                assert_eq!(counter.doc_freq(x.f.body, "alpha")?, 3);
                assert_eq!(counter.doc_freq(x.f.keywords, "alpha")?, 2);
            }
            let kept: usize = counts.lock().values().map(|s| s.lock().len).sum();
            assert_eq!(kept > 0, cached_from == 0, "{kept} counts kept");
        }
        // A deleted document stops counting at once, whatever was kept before.
        let counts = WordCounts {
            cached_from: 0,
            ..Default::default()
        };
        let anyone = Readers::anyone();
        assert_eq!(
            counts.counter(&searcher, x.f, &anyone)?.holding("alpha")?,
            n(1, 3)
        );
        x.writer.delete_term(Term::from_field_text(x.key, "need:7"));
        x.writer.commit()?;
        let searcher = x.searcher()?;
        let counter = counts.counter(&searcher, x.f, &anyone)?;
        assert_eq!(counter.listings(), n(2, 2));
        assert_eq!(counter.holding("alpha")?, n(1, 2));
        assert_eq!(counter.doc_freq(x.f.body, "alpha")?, 2);
        Ok(())
    }

    #[test]
    fn a_reader_counts_what_it_may_find_and_its_own_needs() -> tantivy::Result<()> {
        let mut x = Fixture::new()?;
        x.add_owned(("need", "1", "PUBLIC", "alpha", ""), 1, None)?;
        x.add_owned(("need", "1", "CONFIDENTIAL", "alpha secret", ""), 1, None)?;
        x.add_owned(
            ("need", "1", "CONFIDENTIAL", "alpha secret secret", ""),
            2,
            None,
        )?;
        x.add_owned(("need", "0", "CONFIDENTIAL", "alpha draft", ""), 2, None)?;
        x.add_owned(("achievement", "1", "PUBLIC", "beta", "secret"), 3, None)?;
        x.writer.commit()?;
        let searcher = x.searcher()?;
        let counts = WordCounts::default();
        let public = ["PUBLIC", "ANONYMOUS"];
        let count = |readers: Readers| -> tantivy::Result<(u64, u64, u64, u64)> {
            let c = counts.counter(&searcher, x.f, &readers)?;
            Ok((
                c.num_docs(),
                c.doc_freq(x.f.body, "alpha")?,
                c.doc_freq(x.f.body, "secret")?,
                c.total_num_tokens(x.f.body)?,
            ))
        };
        // Anyone: one need and one result, of one and one token.
        assert_eq!(count(Readers::finding(&public, None))?, (2, 1, 0, 2));
        assert_eq!(count(Readers::anyone())?, (2, 1, 0, 2));
        // Organisation 2 also finds its live confidential need (not its draft).
        assert_eq!(count(Readers::finding(&public, Some(2)))?, (3, 2, 1, 5));
        // A broker finds every live need: its organisation adds nothing more.
        assert_eq!(count(Readers::finding(&[], None))?, (4, 3, 2, 7));
        assert_eq!(count(Readers::finding(&[], Some(2)))?, (4, 3, 2, 7));
        // The body or the keywords: a result's keywords count for its own reader too.
        let owner = counts.counter(&searcher, x.f, &Readers::finding(&public, Some(1)))?;
        assert_eq!(owner.holding("secret")?, n(1, 1));
        assert_eq!(owner.listings(), n(1, 2));
        Ok(())
    }
}
