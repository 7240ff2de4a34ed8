//! The analyzer as tantivy tokenizers: words and bigrams.

use super::*;

/// A shared analyzer as a tantivy tokenizer, in word or bigram mode.
#[derive(Clone)]
pub struct TantivyAnalyzer {
    analyzer: Arc<Analyzer>,
    mode: StreamMode,
}

#[derive(Clone, Copy, PartialEq)]
enum StreamMode {
    Words,
    Bigrams,
}

impl TantivyAnalyzer {
    /// Word tokens (jieba, codes, synonyms).
    pub fn words(analyzer: Arc<Analyzer>) -> Self {
        Self {
            analyzer,
            mode: StreamMode::Words,
        }
    }

    /// CJK bigrams.
    pub fn bigrams(analyzer: Arc<Analyzer>) -> Self {
        Self {
            analyzer,
            mode: StreamMode::Bigrams,
        }
    }
}

/// Word tokens of one text, handed to tantivy one at a time in one reused token, in the order
/// of their offsets: jieba's search mode gives a word's parts after the word, and tantivy's
/// snippets assume offsets that never go back (they subtract them).
pub struct TermStream {
    packed: PackedWords,
    /// Indexes into `packed.words`, by `(from, to)`.
    order: Vec<u32>,
    next: usize,
    current: tantivy::tokenizer::Token,
}

impl TermStream {
    fn new(packed: PackedWords) -> Self {
        let words = &packed.words;
        let mut order: Vec<u32> = (0..words.len() as u32).collect();
        if words
            .windows(2)
            .any(|w| (w[1].1, w[1].2) < (w[0].1, w[0].2))
        {
            order.sort_by_key(|&i| {
                let w = &words[i as usize];
                (w.1, w.2)
            });
        }
        Self {
            packed,
            order,
            next: 0,
            current: tantivy::tokenizer::Token::default(),
        }
    }
}

impl tantivy::tokenizer::Tokenizer for TantivyAnalyzer {
    type TokenStream<'a> = AnalyzerStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> AnalyzerStream {
        match self.mode {
            StreamMode::Bigrams => AnalyzerStream::Bigrams(BigramStream::for_document(text)),
            StreamMode::Words => {
                AnalyzerStream::Words(TermStream::new(self.analyzer.document_words(text)))
            }
        }
    }
}

/// The token stream of either mode.
pub enum AnalyzerStream {
    /// Word tokens.
    Words(TermStream),
    /// Bigram tokens.
    Bigrams(BigramStream),
}

impl tantivy::tokenizer::TokenStream for AnalyzerStream {
    fn advance(&mut self) -> bool {
        match self {
            Self::Words(s) => s.advance(),
            Self::Bigrams(s) => s.advance(),
        }
    }

    fn token(&self) -> &tantivy::tokenizer::Token {
        match self {
            Self::Words(s) => s.token(),
            Self::Bigrams(s) => s.token(),
        }
    }

    fn token_mut(&mut self) -> &mut tantivy::tokenizer::Token {
        match self {
            Self::Words(s) => s.token_mut(),
            Self::Bigrams(s) => s.token_mut(),
        }
    }
}

impl tantivy::tokenizer::TokenStream for TermStream {
    fn advance(&mut self) -> bool {
        let words = &self.packed.words;
        let Some(&i) = self.order.get(self.next) else {
            return false;
        };
        let i = i as usize;
        let (end, from, to, position) = words[i];
        let start = i.checked_sub(1).map_or(0, |p| words[p].0);
        self.next += 1;
        let t = &mut self.current;
        t.text.clear();
        t.text.push_str(&self.packed.text[start..end]);
        (t.offset_from, t.offset_to, t.position, t.position_length) = (from, to, position, 1);
        true
    }

    fn token(&self) -> &tantivy::tokenizer::Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut tantivy::tokenizer::Token {
        &mut self.current
    }
}
