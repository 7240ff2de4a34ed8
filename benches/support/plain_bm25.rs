//! The baseline of the quality benchmarks: plain BM25 over jieba tokens (default dictionary,
//! precise mode, lower-cased), with none of our analysis, in an index of its own.

use crate::synthetic::Paper;
use jieba_rs::Jieba;
use std::collections::HashSet;
use std::sync::Arc;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::{Index, TantivyDocument, Term, doc};

/// Plain jieba segmentation (default dictionary, precise mode, lower-cased), nothing else.
#[derive(Clone)]
struct PlainJieba(Arc<Jieba>);

struct Tokens {
    items: std::vec::IntoIter<Token>,
    current: Token,
}

impl TokenStream for Tokens {
    fn advance(&mut self) -> bool {
        match self.items.next() {
            Some(t) => {
                self.current = t;
                true
            }
            None => false,
        }
    }
    fn token(&self) -> &Token {
        &self.current
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

impl PlainJieba {
    fn words(&self, text: &str) -> Vec<String> {
        self.0
            .cut(text, true)
            .into_iter()
            .map(|t| t.word.to_lowercase())
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .collect()
    }
}

impl Tokenizer for PlainJieba {
    type TokenStream<'a> = Tokens;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        let mut offset = 0;
        let mut items = Vec::new();
        for (position, t) in self.0.cut(text, true).into_iter().enumerate() {
            let w = t.word;
            let from = offset;
            offset += w.len();
            if w.chars().any(char::is_alphanumeric) {
                items.push(Token {
                    offset_from: from,
                    offset_to: offset,
                    position,
                    text: w.to_lowercase(),
                    position_length: 1,
                });
            }
        }
        Tokens {
            items: items.into_iter(),
            current: Token::default(),
        }
    }
}

pub struct Baseline {
    index: Index,
    field: tantivy::schema::Field,
    id: tantivy::schema::Field,
    jieba: PlainJieba,
}

impl Baseline {
    /// Indexes each paper's title and abstract; hits are indexes into `papers`.
    pub fn build(papers: &[Paper]) -> anyhow::Result<Self> {
        let mut b = Schema::builder();
        let opts = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("plain")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let field = b.add_text_field("text", opts);
        let id = b.add_u64_field("id", STORED);
        let index = Index::create_in_ram(b.build());
        let jieba = PlainJieba(Arc::new(Jieba::new()));
        index.tokenizers().register("plain", jieba.clone());
        let mut w = index.writer(64 * 1024 * 1024)?;
        for (i, p) in papers.iter().enumerate() {
            w.add_document(doc!(field => format!("{}\n{}", p.title, p.text), id => i as u64))?;
        }
        w.commit()?;
        Ok(Self {
            index,
            field,
            id,
            jieba,
        })
    }

    /// The top `k` papers for the words of `q`, OR-ed.
    pub fn search(&self, q: &str, k: usize) -> anyhow::Result<Vec<usize>> {
        let clauses: Vec<(Occur, Box<dyn Query>)> = self
            .jieba
            .words(q)
            .into_iter()
            .collect::<HashSet<_>>()
            .into_iter()
            .map(|w| {
                (
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(self.field, &w),
                        IndexRecordOption::WithFreqs,
                    )) as Box<dyn Query>,
                )
            })
            .collect();
        let searcher = self.index.reader()?.searcher();
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(k).order_by_score(),
        )?;
        top.into_iter()
            .map(|(_, addr)| {
                let d: TantivyDocument = searcher.doc(addr)?;
                Ok(d.get_first(self.id)
                    .and_then(|v| v.as_u64())
                    .unwrap_or(u64::MAX) as usize)
            })
            .collect()
    }
}
