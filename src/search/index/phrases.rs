//! The query parser (ASCII `"phrases"`, `-exclusions`, Chinese quotes as text) and the
//! filter that checks a phrase's words are adjacent in the stored body.

use super::*;

/// A user's query split into its parts. Only ASCII double quotes (`"…"`) make a phrase.
/// Chinese quotes and title marks (“…”, ‘…’, 「…」, 『…』, full-width ＂…＂, 《…》) are plain
/// text: titles pasted from documents carry them around ordinary words, and as phrases they
/// found nothing (issue #20); the analyzer drops them as punctuation.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ParsedQuery {
    /// Words searched the usual way, space-separated.
    pub(crate) free: String,
    /// Phrases whose words must occur adjacent and in order.
    pub(crate) phrases: Vec<String>,
    /// Words no hit may hold (`-word`).
    pub(crate) excluded: Vec<String>,
}

impl ParsedQuery {
    /// Splits `text`. An empty query or an odd number of ASCII quotes is an error.
    pub(crate) fn parse(text: &str) -> Result<Self, SearchError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(SearchError::BadQuery("empty query".into()));
        }
        if text.matches('"').count() % 2 == 1 {
            return Err(SearchError::BadQuery("unbalanced quotes".into()));
        }
        let mut parsed = Self::default();
        for (i, part) in text.split('"').enumerate() {
            if i % 2 == 1 {
                parsed.phrases.push(part.to_owned());
                continue;
            }
            for word in part.split_whitespace() {
                match word.strip_prefix('-').filter(|w| !w.is_empty()) {
                    Some(w) => parsed.excluded.push(w.to_owned()),
                    None => {
                        parsed.free.push_str(word);
                        parsed.free.push(' ');
                    }
                }
            }
        }
        Ok(parsed)
    }

    /// The same query with its phrases' words as plain words.
    pub(super) fn relaxed(&self) -> Self {
        let mut free = self.free.clone();
        for phrase in &self.phrases {
            free.push_str(phrase);
            free.push(' ');
        }
        Self {
            free,
            phrases: Vec::new(),
            excluded: self.excluded.clone(),
        }
    }
}

/// Separates the tokens of a [`phrase_key`].
pub(super) const KEY_SEPARATOR: char = '\u{1}';

/// The tokens of `text` as one string for adjacency checks: normalised as the analyzer does
/// (NFKC, lower case), each Han character and each run of other letters and digits a token,
/// everything else (spaces, punctuation) only a boundary; each token is followed by a
/// separator and the key starts with one, so a key contained in another is a run of whole
/// adjacent tokens. `"锂 电池"` and `"锂电池"` have the same key, like `solid-state` and
/// `solid state`.
pub(super) fn phrase_key(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut key = String::with_capacity(text.len() * 2 + 1);
    key.push(KEY_SEPARATOR);
    let mut in_word = false;
    for c in text.nfkc().flat_map(char::to_lowercase) {
        if crate::search::analysis::is_han(c) {
            if in_word {
                key.push(KEY_SEPARATOR);
                in_word = false;
            }
            key.push(c);
            key.push(KEY_SEPARATOR);
        } else if c.is_alphanumeric() {
            key.push(c);
            in_word = true;
        } else if in_word {
            key.push(KEY_SEPARATOR);
            in_word = false;
        }
    }
    if in_word {
        key.push(KEY_SEPARATOR);
    }
    key
}

/// Keeps the listings `inner` matches whose stored body (title folded in) holds every phrase
/// key: phrase adjacency without positions in the index, which would cost every listing's
/// indexing and disk for the few queries with phrases. Only listings that pass the rest of
/// the query are read, and its scores are `inner`'s.
#[derive(Debug)]
pub(super) struct PhraseFilter {
    pub(super) inner: Box<dyn Query>,
    pub(super) body: Field,
    pub(super) keys: Arc<Vec<String>>,
}

impl Clone for PhraseFilter {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.box_clone(),
            body: self.body,
            keys: self.keys.clone(),
        }
    }
}

impl Query for PhraseFilter {
    fn weight(
        &self,
        enable_scoring: tantivy::query::EnableScoring<'_>,
    ) -> tantivy::Result<Box<dyn tantivy::query::Weight>> {
        Ok(Box::new(PhraseFilterWeight {
            inner: self.inner.weight(enable_scoring)?,
            body: self.body,
            keys: self.keys.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

struct PhraseFilterWeight {
    inner: Box<dyn tantivy::query::Weight>,
    body: Field,
    keys: Arc<Vec<String>>,
}

impl PhraseFilterWeight {
    fn check(&self, reader: &tantivy::SegmentReader) -> tantivy::Result<PhraseCheck> {
        Ok(PhraseCheck {
            store: reader.get_store_reader(4)?,
            body: self.body,
            keys: self.keys.clone(),
        })
    }
}

impl tantivy::query::Weight for PhraseFilterWeight {
    fn scorer(
        &self,
        reader: &tantivy::SegmentReader,
        boost: tantivy::Score,
    ) -> tantivy::Result<Box<dyn tantivy::query::Scorer>> {
        let mut scorer = PhraseFilterScorer {
            inner: self.inner.scorer(reader, boost)?,
            check: self.check(reader)?,
        };
        // A new scorer stands on its first document.
        let first = scorer.inner.doc();
        if first != tantivy::TERMINATED && !scorer.check.holds(first) {
            tantivy::DocSet::advance(&mut scorer);
        }
        Ok(Box::new(scorer))
    }

    fn scorer_danger(
        &self,
        reader: &tantivy::SegmentReader,
        target: tantivy::DocId,
        boost: tantivy::Score,
    ) -> tantivy::Result<(tantivy::SeekDangerResult, Box<dyn tantivy::query::Scorer>)> {
        let (found, inner) = self.inner.scorer_danger(reader, target, boost)?;
        let mut scorer = PhraseFilterScorer {
            inner,
            check: self.check(reader)?,
        };
        let found = scorer.confirm(found, target);
        Ok((found, Box::new(scorer)))
    }

    fn explain(
        &self,
        reader: &tantivy::SegmentReader,
        doc: tantivy::DocId,
    ) -> tantivy::Result<tantivy::query::Explanation> {
        if !self.check(reader)?.holds(doc) {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not hold the phrase"
            )));
        }
        self.inner.explain(reader, doc)
    }
}

/// Reads a segment's stored bodies to check phrase keys.
struct PhraseCheck {
    store: tantivy::store::StoreReader,
    body: Field,
    keys: Arc<Vec<String>>,
}

impl PhraseCheck {
    /// Whether `doc`'s body holds every key. A body that cannot be read holds none.
    fn holds(&self, doc: tantivy::DocId) -> bool {
        let Ok(stored) = self.store.get::<TantivyDocument>(doc) else {
            return false;
        };
        let body = phrase_key(
            stored
                .get_first(self.body)
                .and_then(|v| v.as_str())
                .unwrap_or_default(),
        );
        self.keys.iter().all(|k| body.contains(k.as_str()))
    }
}

struct PhraseFilterScorer {
    inner: Box<dyn tantivy::query::Scorer>,
    check: PhraseCheck,
}

impl PhraseFilterScorer {
    /// Turns the inner docset's answer to `seek_danger(target)` into this one's: `target` is
    /// found only if it also holds the phrases. Otherwise the next match is after `target`,
    /// and the docset may be left on a failing document, as `seek_danger` allows.
    fn confirm(
        &mut self,
        found: tantivy::SeekDangerResult,
        target: tantivy::DocId,
    ) -> tantivy::SeekDangerResult {
        match found {
            tantivy::SeekDangerResult::Found if !self.check.holds(target) => {
                tantivy::SeekDangerResult::SeekLowerBound(target + 1)
            }
            other => other,
        }
    }
}

impl tantivy::DocSet for PhraseFilterScorer {
    fn advance(&mut self) -> tantivy::DocId {
        loop {
            let doc = self.inner.advance();
            if doc == tantivy::TERMINATED || self.check.holds(doc) {
                return doc;
            }
        }
    }

    fn seek(&mut self, target: tantivy::DocId) -> tantivy::DocId {
        let doc = self.inner.seek(target);
        if doc == tantivy::TERMINATED || self.check.holds(doc) {
            return doc;
        }
        self.advance()
    }

    fn seek_danger(&mut self, target: tantivy::DocId) -> tantivy::SeekDangerResult {
        let found = self.inner.seek_danger(target);
        self.confirm(found, target)
    }

    fn doc(&self) -> tantivy::DocId {
        self.inner.doc()
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }

    fn cost(&self) -> u64 {
        self.inner.cost()
    }
}

impl tantivy::query::Scorer for PhraseFilterScorer {
    fn score(&mut self) -> tantivy::Score {
        self.inner.score()
    }
}
