//! Chinese text analysis for the index: NFKC normalisation (full-width `５Ｇ` is `5g`),
//! lower-casing, punctuation removal, jieba segmentation with the domain dictionary, whole
//! tokens for codes and model numbers (`bg136`, `gb/t22900`, `202310123456.6`), synonym groups,
//! a CJK-bigram variant for recall of words the dictionary lacks, and stopwords: function
//! characters (的, 和, 在) that jieba leaves on their own are no token, and no bigram touches
//! them.
//!
//! Offsets always refer to the original text and fall on character boundaries, so highlighting
//! never slices inside a character.

use crate::search::config::Bigrams;
use jieba_rs::{Jieba, TokenizeMode};
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Arc;
use unicode_normalization::UnicodeNormalization;

/// One analysed token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Normalised text.
    pub text: String,
    /// Byte offset of its first character in the original text.
    pub from: usize,
    /// Byte offset just past its last character in the original text.
    pub to: usize,
    /// Position in token units.
    pub position: usize,
}

/// The dictionary and synonyms shared by every tokenizer instance.
pub struct Analyzer {
    jieba: Jieba,
    synonyms: FxHashMap<String, String>,
    mode: TokenizeMode,
    bigrams: Bigrams,
    /// Characters that are no token when jieba leaves them on their own, nor part of a bigram.
    stopwords: FxHashSet<char>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("synonyms", &self.synonyms.len())
            .finish()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Han,
    Alnum,
    Connector,
    Space,
    Other,
}

fn class_of(c: char) -> Class {
    match c {
        'a'..='z' | '0'..='9' => Class::Alnum,
        '.' | '/' | '-' | '_' | '+' => Class::Connector,
        // Before the Unicode tables: no ideograph is white space, and most text is ideographs.
        c if is_han(c) => Class::Han,
        c if c.is_whitespace() => Class::Space,
        c if c.is_alphanumeric() => Class::Alnum,
        _ => Class::Other,
    }
}

/// Whether `c` is a CJK ideograph.
pub fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2EBEF)
}

/// A normalised character with the original byte span it came from.
#[derive(Clone, Copy)]
struct NormChar {
    c: char,
    from: usize,
    to: usize,
}

fn normalise(text: &str) -> Vec<NormChar> {
    let mut out = Vec::with_capacity(text.len());
    for (from, ch) in text.char_indices() {
        let to = from + ch.len_utf8();
        // Fast paths: ASCII and unified ideographs are their own NFKC form.
        if ch.is_ascii() {
            out.push(NormChar {
                c: ch.to_ascii_lowercase(),
                from,
                to,
            });
            continue;
        }
        if matches!(ch as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF) || is_nfkc_punctuation(ch) {
            out.push(NormChar { c: ch, from, to });
            continue;
        }
        if let Some(ascii) = full_width_ascii(ch) {
            out.push(NormChar {
                c: ascii.to_ascii_lowercase(),
                from,
                to,
            });
            continue;
        }
        for n in std::iter::once(ch).nfkc() {
            for c in n.to_lowercase() {
                out.push(NormChar { c, from, to });
            }
        }
    }
    out
}

/// The Chinese punctuation of most listings (、。《》【】“”‘’—), which NFKC leaves as it is:
/// a fast path, checked against NFKC in the tests.
fn is_nfkc_punctuation(c: char) -> bool {
    matches!(
        c as u32,
        // 、。 〈〉《》「」『』【】 〔〕〖〗〘〙〚〛 — ‘ ’ “ ”
        0x3001..=0x3002 | 0x3008..=0x3011 | 0x3014..=0x301B | 0x2014 | 0x2018..=0x2019
            | 0x201C..=0x201D
    )
}

/// The ASCII character a full-width form (`Ｇ`, `５`, `，`, `（`) stands for, which is what
/// NFKC makes of it: a fast path, checked against NFKC in the tests.
fn full_width_ascii(c: char) -> Option<char> {
    matches!(c as u32, 0xFF01..=0xFF5E).then(|| char::from((c as u32 - 0xFEE0) as u8))
}

impl Analyzer {
    /// An analyzer with jieba's dictionary plus `dictionary` (`word [freq] [tag]` lines) and
    /// `synonyms` (comma-separated groups, canonical term first). `#` starts a comment line.
    pub fn new(dictionary: &str, synonyms: &str) -> Self {
        Self::with_mode(
            dictionary,
            synonyms,
            crate::search::config::Segmentation::Search,
        )
    }

    /// Like [`Analyzer::new`] with a choice of segmentation.
    pub fn with_mode(
        dictionary: &str,
        synonyms: &str,
        segmentation: crate::search::config::Segmentation,
    ) -> Self {
        let mut jieba = Jieba::new();
        let mut add = |word: &str, freq: Option<usize>| {
            let word: String = normalise(word).iter().map(|n| n.c).collect();
            if word.chars().any(is_han) {
                jieba.add_word(&word, freq, None);
            }
        };
        for line in dictionary
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let mut parts = line.split_whitespace();
            let word = parts.next().unwrap_or_default();
            add(word, parts.next().and_then(|f| f.parse().ok()));
        }
        let mut map = FxHashMap::default();
        for line in synonyms
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let terms: Vec<String> = line
                .split([',', '，'])
                .map(|t| normalise(t.trim()).iter().map(|n| n.c).collect::<String>())
                .filter(|t| !t.is_empty())
                .collect();
            let Some(canonical) = terms.first().cloned() else {
                continue;
            };
            for term in &terms {
                add(term, Some(20_000));
                map.insert(term.clone(), canonical.clone());
            }
        }
        let mode = match segmentation {
            crate::search::config::Segmentation::Search => TokenizeMode::Search,
            crate::search::config::Segmentation::Precise => TokenizeMode::Default,
        };
        Self {
            jieba,
            synonyms: map,
            mode,
            bigrams: Bigrams::All,
            stopwords: FxHashSet::default(),
        }
    }

    /// The analyzer `config` describes: its dictionary, synonyms, segmentation and bigrams.
    pub fn from_config(config: &crate::search::config::IndexConfig) -> Self {
        let mut analyzer =
            Self::with_mode(&config.dictionary, &config.synonyms, config.segmentation);
        analyzer.bigrams = config.bigrams;
        analyzer.stopwords = stopword_chars(&config.stopwords);
        analyzer
    }

    /// Whether a document's bigram field may leave out a bigram that its words hold as a
    /// two-character word at the same place: a query then looks a bigram up in both fields.
    pub fn bigrams_may_be_words(&self) -> bool {
        self.bigrams == Bigrams::NonWords
    }

    /// The word tokens of `text`: jieba words (in the configured mode), code tokens and
    /// synonym forms.
    pub fn words(&self, text: &str) -> Vec<Term> {
        self.words_in(text, self.mode)
    }

    /// Like [`Analyzer::words`] with precise segmentation (whole words only), for queries.
    pub fn query_words(&self, text: &str, precise: bool) -> Vec<Term> {
        self.words_in(
            text,
            if precise {
                TokenizeMode::Default
            } else {
                self.mode
            },
        )
    }

    fn words_in(&self, text: &str, mode: TokenizeMode) -> Vec<Term> {
        let chars = normalise(text);
        let mut out = Vec::new();
        self.words_of(&chars, &runs(&chars), mode, None, &mut out);
        out
    }

    /// A document's word tokens, as the index's word tokenizer produces them. When bigrams
    /// that are words are left out, what this learnt of `text` is kept for the bigram
    /// tokenizer that tantivy runs next on the same text (see [`Analyzer::document_bigrams`]).
    fn document_words<W: WordSink + Default>(&self, text: &str) -> W {
        let chars = normalise(text);
        let runs = runs(&chars);
        let mut words = W::default();
        if self.bigrams == Bigrams::All && self.stopwords.is_empty() {
            self.words_of(&chars, &runs, self.mode, None, &mut words);
            return words;
        }
        let mut skips = BigramSkips::new(chars.len(), self.bigrams == Bigrams::NonWords);
        self.words_of(&chars, &runs, self.mode, Some(&mut skips), &mut words);
        LAST_ANALYSED.with_borrow_mut(|last| {
            *last = Some(Analysed {
                text: text.to_owned(),
                chars,
                runs,
                left_out: skips.starting_at,
            })
        });
        words
    }

    /// Puts the words of `chars` in `out`, and marks in `skips` the bigrams they rule out:
    /// those touching a stopword, and (if asked) those that are two-character words at the
    /// same place.
    fn words_of(
        &self,
        chars: &[NormChar],
        runs: &[Run],
        mode: TokenizeMode,
        mut skips: Option<&mut BigramSkips>,
        out: &mut impl WordSink,
    ) {
        let mut position = 0;
        let mut push = |out: &mut dyn WordSink, text: &str, from: usize, to: usize| {
            out.push(text, from, to, position);
            if let Some(canonical) = self.synonyms.get(text).filter(|c| **c != text) {
                out.push(canonical, from, to, position);
            }
            position += 1;
        };
        // One buffer for every Han run's text.
        let mut han = String::new();
        for run in runs {
            let slice = &chars[run.start..run.end];
            match run.class {
                Class::Han => {
                    han.clear();
                    han.extend(slice.iter().map(|n| n.c));
                    // jieba reports character offsets into `han`, one char per NormChar.
                    for t in self.jieba.tokenize(&han, mode, true) {
                        let (a, b) = (t.start, t.end.min(slice.len()));
                        if a >= b {
                            continue;
                        }
                        let stop = b == a + 1 && self.stopwords.contains(&slice[a].c);
                        if let Some(skips) = skips.as_deref_mut() {
                            let at = run.start + a;
                            if stop {
                                // The bigram it starts (or it alone) and the one ending at it.
                                skips.starting_at[at] = true;
                                if a > 0 {
                                    skips.starting_at[at - 1] = true;
                                }
                            } else if b == a + 2 && skips.two_character_words {
                                skips.starting_at[at] = true;
                            }
                        }
                        if !stop {
                            push(out, t.word, slice[a].from, slice[b - 1].to);
                        }
                    }
                }
                Class::Alnum => {
                    let whole: String = slice.iter().map(|n| n.c).collect();
                    push(out, &whole, slice[0].from, slice[slice.len() - 1].to);
                    // Patent numbers are found with or without their `ZL` / `CN` prefix.
                    let unprefixed = whole
                        .strip_prefix("zl")
                        .or_else(|| whole.strip_prefix("cn"));
                    if let Some(rest) =
                        unprefixed.filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
                    {
                        push(out, rest, slice[2].from, slice[slice.len() - 1].to);
                    }
                    // A code with connectors (`gb/t`, `li-ion`) is also found by its parts,
                    // and by its compact form (`202310123456.6` → `2023101234566`).
                    if slice.iter().any(|n| class_of(n.c) == Class::Connector) {
                        let compact: String = whole
                            .chars()
                            .filter(|c| class_of(*c) != Class::Connector)
                            .collect();
                        if compact != whole {
                            push(out, &compact, slice[0].from, slice[slice.len() - 1].to);
                        }
                        let mut start = 0;
                        for (i, n) in slice
                            .iter()
                            .enumerate()
                            .chain(std::iter::once((slice.len(), &slice[slice.len() - 1])))
                        {
                            if i == slice.len() || class_of(n.c) == Class::Connector {
                                if i > start {
                                    let part: String =
                                        slice[start..i].iter().map(|n| n.c).collect();
                                    push(out, &part, slice[start].from, slice[i - 1].to);
                                }
                                start = i + 1;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        join_codes(chars, runs, &mut |text, from, to| push(out, text, from, to));
    }

    /// The bigrams a query looks up: overlapping CJK bigrams (single Han characters alone)
    /// and whole alphanumeric runs, except those touching a stopword.
    pub fn bigrams(&self, text: &str) -> Vec<Term> {
        let chars = normalise(text);
        let runs = runs(&chars);
        let mut skips = BigramSkips::new(chars.len(), false);
        if !self.stopwords.is_empty() {
            self.words_of(&chars, &runs, self.mode, Some(&mut skips), &mut ());
        }
        collect_bigrams(BigramStream::of(chars, runs, skips.starting_at))
    }

    /// The bigrams a document's bigram field holds: those touching a stopword are left out,
    /// and with [`Bigrams::NonWords`] so are those its words hold as two-character words at
    /// the same place (`电池` in `锂电池`).
    pub fn document_bigrams(&self, text: &str) -> Vec<Term> {
        self.document_words::<()>(text);
        collect_bigrams(BigramStream::for_document(text))
    }
}

/// Where [`Analyzer::words_of`] puts the word tokens it finds.
trait WordSink {
    fn push(&mut self, text: &str, from: usize, to: usize, position: usize);
}

impl WordSink for Vec<Term> {
    fn push(&mut self, text: &str, from: usize, to: usize, position: usize) {
        self.push(Term {
            text: text.to_owned(),
            from,
            to,
            position,
        });
    }
}

/// Words not wanted, only the bigrams they rule out.
impl WordSink for () {
    fn push(&mut self, _: &str, _: usize, _: usize, _: usize) {}
}

/// A document's word tokens in one buffer: indexing allocates nothing per token.
#[derive(Default)]
pub struct PackedWords {
    text: String,
    /// Each word's end in `text` (it starts where the one before ended), offsets, position.
    words: Vec<(usize, usize, usize, usize)>,
}

impl WordSink for PackedWords {
    fn push(&mut self, text: &str, from: usize, to: usize, position: usize) {
        self.text.push_str(text);
        self.words.push((self.text.len(), from, to, position));
    }
}

/// Reads the stopword file: one character a line (normalised as text is); `#` starts a comment.
fn stopword_chars(text: &str) -> FxHashSet<char> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .flat_map(|l| normalise(l).into_iter().map(|n| n.c).collect::<Vec<_>>())
        .filter(|c| is_han(*c))
        .collect()
}

/// Which bigrams of a text are left out, by the character each starts at.
struct BigramSkips {
    starting_at: Vec<bool>,
    /// Also leave out bigrams that are two-character words at the same place.
    two_character_words: bool,
}

impl BigramSkips {
    fn new(chars: usize, two_character_words: bool) -> Self {
        Self {
            starting_at: vec![false; chars],
            two_character_words,
        }
    }
}

fn collect_bigrams(mut stream: BigramStream) -> Vec<Term> {
    let mut out = Vec::new();
    while tantivy::tokenizer::TokenStream::advance(&mut stream) {
        let t = &stream.token;
        out.push(Term {
            text: t.text.clone(),
            from: t.offset_from,
            to: t.offset_to,
            position: t.position,
        });
    }
    out
}

/// What the word tokenizer learnt of the last document text it analysed on this thread.
/// tantivy indexes a document's fields in order on one thread, so the bigram tokenizer, run
/// next on the same text, finds it here instead of normalising again, and learns which
/// bigrams to leave out.
struct Analysed {
    text: String,
    chars: Vec<NormChar>,
    runs: Vec<Run>,
    left_out: Vec<bool>,
}

thread_local! {
    static LAST_ANALYSED: std::cell::RefCell<Option<Analysed>> =
        const { std::cell::RefCell::new(None) };
}

/// Bigram tokens produced one at a time into one reused buffer: the bigram field carries
/// more tokens than any other, so it allocates nothing per token.
pub struct BigramStream {
    chars: Vec<NormChar>,
    runs: Vec<Run>,
    run: usize,
    at: usize,
    /// Characters whose bigram (or, alone in a run, whose single-character token) is left
    /// out: see [`BigramSkips`].
    left_out: Vec<bool>,
    token: tantivy::tokenizer::Token,
}

impl BigramStream {
    fn new(text: &str) -> Self {
        let chars = normalise(text);
        let runs = runs(&chars);
        Self::of(chars, runs, Vec::new())
    }

    /// The bigrams of a document text: those its words rule out are left out when the word
    /// tokenizer just analysed this text on this thread (otherwise every bigram, which is
    /// never wrong: a query looks a bigram up among the words too, and never looks up one
    /// touching a stopword).
    fn for_document(text: &str) -> Self {
        match LAST_ANALYSED.with_borrow_mut(Option::take) {
            Some(last) if last.text == text => Self::of(last.chars, last.runs, last.left_out),
            _ => Self::new(text),
        }
    }

    fn of(chars: Vec<NormChar>, runs: Vec<Run>, left_out: Vec<bool>) -> Self {
        Self {
            chars,
            runs,
            run: 0,
            at: 0,
            left_out,
            token: tantivy::tokenizer::Token {
                position: usize::MAX,
                ..Default::default()
            },
        }
    }

    fn left_out(&self, at: usize) -> bool {
        self.left_out.get(at).copied().unwrap_or(false)
    }

    fn emit(&mut self, from: usize, to: usize, skip_connectors: bool) {
        let t = &mut self.token;
        t.text.clear();
        for n in &self.chars[from..to] {
            if !(skip_connectors && class_of(n.c) == Class::Connector) {
                t.text.push(n.c);
            }
        }
        t.offset_from = self.chars[from].from;
        t.offset_to = self.chars[to - 1].to;
        t.position = t.position.wrapping_add(1);
    }
}

impl tantivy::tokenizer::TokenStream for BigramStream {
    fn advance(&mut self) -> bool {
        while let Some(run) = self.runs.get(self.run) {
            let (start, end, class) = (run.start, run.end, run.class);
            match class {
                Class::Han if end - start == 1 && self.at == 0 => {
                    self.at = 1;
                    if self.left_out(start) {
                        self.token.position = self.token.position.wrapping_add(1);
                        continue;
                    }
                    self.emit(start, end, false);
                    return true;
                }
                Class::Han if start + self.at + 1 < end => {
                    let i = start + self.at;
                    self.at += 1;
                    if self.left_out(i) {
                        // Keeps positions as if it had been emitted.
                        self.token.position = self.token.position.wrapping_add(1);
                        continue;
                    }
                    self.emit(i, i + 2, false);
                    return true;
                }
                Class::Alnum if self.at == 0 => {
                    self.at = 1;
                    self.emit(start, end, true);
                    return true;
                }
                _ => {
                    self.run += 1;
                    self.at = 0;
                }
            }
        }
        false
    }

    fn token(&self) -> &tantivy::tokenizer::Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut tantivy::tokenizer::Token {
        &mut self.token
    }
}

struct Run {
    class: Class,
    start: usize,
    end: usize,
}

/// Splits normalised characters into Han runs and alphanumeric runs (connectors kept inside an
/// alphanumeric run when both neighbours are alphanumeric); everything else separates.
fn runs(chars: &[NormChar]) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let class = class_of(chars[i].c);
        match class {
            Class::Han => {
                let start = i;
                while i < chars.len() && class_of(chars[i].c) == Class::Han {
                    i += 1;
                }
                out.push(Run {
                    class,
                    start,
                    end: i,
                });
            }
            Class::Alnum => {
                let start = i;
                while i < chars.len() {
                    match class_of(chars[i].c) {
                        Class::Alnum => i += 1,
                        Class::Connector
                            if i + 1 < chars.len()
                                && class_of(chars[i + 1].c) == Class::Alnum
                                && i > start =>
                        {
                            i += 1
                        }
                        _ => break,
                    }
                }
                out.push(Run {
                    class,
                    start,
                    end: i,
                });
            }
            _ => i += 1,
        }
    }
    out
}

/// Emits `gb/t22900` for `GB/T 22900`: a letter-ending code followed by a space and digits.
fn join_codes(chars: &[NormChar], runs: &[Run], emit: &mut dyn FnMut(&str, usize, usize)) {
    for pair in runs.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.class != Class::Alnum || b.class != Class::Alnum {
            continue;
        }
        let gap_is_space =
            (a.end..b.start).all(|i| class_of(chars[i].c) == Class::Space) && b.start - a.end <= 1;
        let a_ends_letter = chars[a.end - 1].c.is_ascii_alphabetic();
        let b_is_digits = chars[b.start..b.end].iter().all(|n| n.c.is_ascii_digit());
        if gap_is_space && a_ends_letter && b_is_digits {
            let text: String = chars[a.start..a.end]
                .iter()
                .chain(&chars[b.start..b.end])
                .map(|n| n.c)
                .filter(|c| class_of(*c) != Class::Connector)
                .collect();
            emit(&text, chars[a.start].from, chars[b.end - 1].to);
        }
    }
}

mod tokenizers;
pub use tokenizers::{AnalyzerStream, TantivyAnalyzer, TermStream};

#[cfg(test)]
mod tests;
