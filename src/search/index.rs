//! The tantivy index of listings: schema, writing documents, and searching with visibility
//! filters inside the index query. Only public text is indexed; confidential detail never is,
//! so it can appear in no hit, snippet or count.

use crate::search::analysis::{Analyzer, TantivyAnalyzer};
use crate::search::config::IndexConfig;
pub use crate::search::reasons::Profile;
use anyhow::Context;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

const WORDS: &str = "qx_words";
/// Fast fields that matching reads for each candidate.
pub(super) const DIVISIONS: &str = "divisions";
pub(super) const DISCIPLINE: &str = "discipline";
pub(super) const REGION: &str = "region";
pub(super) const MODES: &str = "modes";
pub(super) const TRL: &str = "trl";
pub(super) const ID: &str = "id";
const BIGRAMS: &str = "qx_bigrams";
/// The needs-only word field's tokenizer: the body's words, replayed (see [`Fields`]).
const NEED_WORDS: &str = "qx_need_words";
/// Memory the single writer may buffer before it flushes a segment (split between its
/// threads, taken as documents arrive, handed back after). `cargo bench --bench scale`
/// (`QX_WRITER_MIB`): at 300k listings 512 MiB gave 8,379 listings/s and 1 GiB 9,768/s, but
/// at 1M 1 GiB gave 8,407/s against 8,737/s with 512 MiB, for a peak of 2.7 GiB instead of
/// 2.2 GiB (peaks from before rebuilds dropped their delete terms: a 1M rebuild now peaks at
/// 994 MiB); at 100k, 32 MiB gave 2,979/s because small segments spend the time merging.
/// Re-measured at 1M on a slower host, alternated: 256 MiB gave 8,034 and 8,536/s (21-28 s of
/// merges into one segment, and slower before them too) against 11,195 and 12,440/s.
const WRITER_MEMORY: usize = 512 * 1024 * 1024;

/// A scored clause of a user's query: one word (in every field it is searched in) or one
/// bigram, with the document frequency of its term.
struct Scored {
    df: u64,
    word: bool,
    query: Box<dyn Query>,
}

/// Which table a document comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    /// A research result.
    Achievement,
    /// A technology need.
    Need,
}

impl DocKind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Achievement => "achievement",
            Self::Need => "need",
        }
    }

    /// The other side of a match.
    pub fn counterpart(self) -> Self {
        match self {
            Self::Achievement => Self::Need,
            Self::Need => Self::Achievement,
        }
    }

    pub(super) fn key(self, id: i32) -> String {
        format!("{}:{id}", self.as_str())
    }
}

/// What the index holds of one listing: public text and filterable facets only.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingDoc {
    /// Table.
    pub kind: DocKind,
    /// Row id.
    pub id: i32,
    /// Owning organisation.
    pub owner_id: i32,
    /// Title.
    pub title: String,
    /// Public text: summary or problem, requirements, advantages, fields of application.
    pub body: String,
    /// Keywords.
    pub keywords: Vec<String>,
    /// `PUBLIC`, `ANONYMOUS` or `CONFIDENTIAL` (results are `PUBLIC`).
    pub visibility: &'static str,
    /// Listed by default (published or open, not expired) when indexed.
    pub live: bool,
    /// Expiry as Unix seconds, so a search can drop listings that expired since indexing.
    pub expires_at: Option<i64>,
    /// Facet paths such as `/industry/C/C38/C384`, `/region/370000/370200/370212`, `/trl/6`.
    pub facets: Vec<String>,
    /// TRL (for needs: the wanted minimum).
    pub trl: Option<u8>,
    /// Last change as Unix milliseconds, for newest-first order (seconds tie too often).
    pub updated_at: i64,
    /// What matching compares besides text: industries, discipline, region, TRL and modes.
    pub profile: Profile,
}

/// One change to apply.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // nearly every op is an upsert: boxing would only add an allocation each
pub enum IndexOp {
    /// Add or replace.
    Upsert(ListingDoc),
    /// Remove.
    Delete(DocKind, i32),
}

#[derive(Clone, Copy)]
pub(super) struct Fields {
    pub(super) key: Field,
    pub(super) kind: Field,
    id: Field,
    owner: Field,
    title: Field,
    pub(super) body: Field,
    body_bigram: Field,
    /// The body's and keywords' words again, for needs only and without frequencies: the
    /// document frequency of a word among needs, against its frequency in all listings, tells
    /// company-profile words (有限公司, 注册资本, 专精特新) from the words of a problem (see `matching::terms`).
    pub(super) need_words: Field,
    pub(super) keywords: Field,
    visibility: Field,
    live: Field,
    expires: Field,
    pub(super) facets: Field,
    trl: Field,
    updated: Field,
    divisions: Field,
    discipline: Field,
    region: Field,
    modes: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let words = |stored: bool| {
        let o = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(WORDS)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        if stored { o.set_stored() } else { o }
    };
    // Bigram frequencies are kept: each distinct bigram once per document without frequencies
    // (88 tokens a listing instead of 143) indexed 1M no faster (13,792/s against 13,962 and
    // 14,086/s in the same sitting) and lowered P@10 to 0.2270 from 0.2276.
    let bigrams = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(BIGRAMS)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        key: b.add_text_field("key", STRING | STORED),
        kind: b.add_text_field("kind", STRING),
        id: b.add_u64_field("id", NumericOptions::default().set_stored().set_fast()),
        owner: b.add_u64_field("owner", NumericOptions::default().set_indexed().set_fast()),
        // The title is folded into the body (measured better than a field of its own), so it
        // is only stored.
        title: b.add_text_field("title", STORED),
        body: b.add_text_field("body", words(true)),
        body_bigram: b.add_text_field("body_bigram", bigrams),
        // After the bigrams (tantivy indexes fields in schema order), so it replays the
        // body's words instead of segmenting the text again.
        need_words: b.add_text_field(
            "need_words",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(NEED_WORDS)
                    .set_index_option(IndexRecordOption::Basic),
            ),
        ),
        keywords: b.add_text_field("keywords", words(false)),
        visibility: b.add_text_field("visibility", STRING),
        live: b.add_text_field("live", STRING),
        expires: b.add_i64_field("expires", NumericOptions::default().set_indexed()),
        facets: b.add_facet_field("facets", tantivy::schema::FacetOptions::default()),
        trl: b.add_u64_field("trl", NumericOptions::default().set_indexed().set_fast()),
        updated: b.add_i64_field("updated", NumericOptions::default().set_fast()),
        divisions: b.add_u64_field(DIVISIONS, NumericOptions::default().set_fast()),
        discipline: b.add_u64_field(DISCIPLINE, NumericOptions::default().set_fast()),
        region: b.add_u64_field(REGION, NumericOptions::default().set_fast()),
        modes: b.add_u64_field(MODES, NumericOptions::default().set_fast()),
    };
    (b.build(), fields)
}

/// A hit: which listing, how relevant, and highlighted snippets of its public text.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Table.
    pub kind: DocKind,
    /// Row id.
    pub id: i32,
    /// BM25 score.
    pub score: f32,
    /// `(field, snippet with <em>…</em>)` for title and body where they match.
    pub highlights: Vec<(&'static str, String)>,
}

/// A search with fewer hits than a page also tries words that sound alike.
const SOUND_ALIKE_BELOW: usize = 10;

/// Facet roots counted for every search.
const FACET_ROOTS: &[&str] = &[
    "/industry",
    "/discipline",
    "/region",
    "/trl",
    "/track",
    "/mode",
];
/// Roots whose grandchildren are counted too: 大类 under each 门类, cities under each province.
const DEEP_FACET_ROOTS: &[&str] = &["/industry", "/region"];

/// A search's result: total, one page of hits, and facet counts over all matches.
#[derive(Debug, Clone)]
pub struct Found {
    /// Matching documents.
    pub total: usize,
    /// The requested page.
    pub hits: Vec<Hit>,
    /// `(facet path, count)` for the children of each counted root, e.g. `("/industry/C", 12)`.
    pub facets: Vec<(String, u64)>,
    /// The query's `"phrases"` found nothing, so these are the hits of their words searched
    /// like the rest of the query (a page can say so).
    pub phrases_relaxed: bool,
}

/// Order of search hits.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchOrder {
    /// Best match first (BM25).
    #[default]
    Relevance,
    /// Most recently changed first.
    Newest,
}

/// Who may see what, applied inside the index query.
#[derive(Debug, Clone, Default)]
pub struct Visibility {
    /// Need visibilities the viewer may find (empty: all).
    pub need_visibilities: Vec<&'static str>,
    /// The viewer's organisation, whose listings it may always find.
    pub own_org: Option<i32>,
}

/// A search.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    /// The user's words.
    pub text: String,
    /// Only this kind, or both.
    pub kind: Option<DocKind>,
    /// What the viewer may see.
    pub visibility: Visibility,
    /// Unix seconds now, for expiry.
    pub now: i64,
    /// Every one of these facet paths must match (each a `/dimension/...` prefix); within one
    /// inner list any path may match.
    pub facet_filters: Vec<Vec<String>>,
    /// TRL at least.
    pub trl_min: Option<u8>,
    /// TRL at most.
    pub trl_max: Option<u8>,
    /// Relevance or newest first.
    pub order: SearchOrder,
    /// Count facets over all matches (costs a pass over every match).
    pub facets: bool,
    /// Skip this many hits.
    pub offset: usize,
    /// Return at most this many.
    pub limit: usize,
}

/// Why a search failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query text cannot be parsed.
    #[error("cannot parse query: {0}")]
    BadQuery(String),
    /// The index failed.
    #[error(transparent)]
    Index(#[from] anyhow::Error),
}

/// The index, its reader and its single writer.
pub struct SearchIndex {
    index: Index,
    pub(super) reader: IndexReader,
    /// Taken on first write, so read-only tools can open the index beside a running service.
    writer: Mutex<Option<IndexWriter>>,
    pub(super) fields: Fields,
    fingerprint: String,
    pub(super) analyzer: Arc<Analyzer>,
    weights: crate::search::config::Weights,
    precise_queries: bool,
    max_query_bigrams: usize,
    max_term_share: f32,
    max_required_share: f32,
    min_required_listings: u64,
    writer_memory: usize,
    /// Searches with fewer hits than this also try words that sound alike.
    sound_alike_below: usize,
    pub(super) crosswalk: Arc<crate::search::crosswalk::Crosswalk>,
    /// Candidate pools and text scoring of matches.
    pub(super) match_tuning: crate::search::matching::MatchTuning,
    /// The reviewed company-profile words.
    pub(super) profile_words: Arc<crate::search::matching::terms::ProfileWords>,
    /// The starter discipline model from `index/` (the prior every retraining keeps).
    pub(super) starter_disciplines: Arc<crate::search::matching::disciplines::DisciplineModel>,
    /// The discipline model in use: the starter plus the published results, swapped whole.
    pub(super) disciplines:
        std::sync::RwLock<Arc<crate::search::matching::disciplines::DisciplineModel>>,
    facet_maps: crate::search::facets::FacetMapCache,
    /// The identity of the database the outbox places come from (empty until bound).
    database: Mutex<String>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

/// What the last commit recorded.
#[derive(serde::Serialize, serde::Deserialize, Debug, Default, Clone, PartialEq)]
pub struct CommitState {
    /// Configuration fingerprint the index was built with.
    pub fingerprint: String,
    /// Place (in the outbox's commit order) of the last change applied.
    pub outbox_cursor: i64,
    /// Identity of the database whose outbox the place belongs to: a place means nothing in
    /// another database, or in the same one recreated.
    #[serde(default)]
    pub database: String,
}

impl SearchIndex {
    /// Opens the index in `dir` (creating it when missing) with `config`'s analysis.
    pub fn open(dir: &Path, config: &IndexConfig) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating index folder {}", dir.display()))?;
        let (schema, fields) = schema();
        let mmap = tantivy::directory::MmapDirectory::open(dir)
            .with_context(|| format!("opening {}", dir.display()))?;
        let mut index = Index::open_or_create(mmap, schema).context("opening search index")?;
        // A search walks its segments in parallel, one thread per core: at 1M listings in
        // six segments this halves a single query's latency on two cores.
        index
            .set_default_multithread_executor()
            .context("starting the search threads")?;
        let analyzer = Arc::new(Analyzer::from_config(config));
        index
            .tokenizers()
            .register(WORDS, TantivyAnalyzer::words(analyzer.clone()));
        index
            .tokenizers()
            .register(BIGRAMS, TantivyAnalyzer::bigrams(analyzer.clone()));
        index.tokenizers().register(
            NEED_WORDS,
            TantivyAnalyzer::replayed_words(analyzer.clone()),
        );
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .context("opening the index reader")?;
        Ok(Self {
            index,
            reader,
            writer: Mutex::new(None),
            fields,
            fingerprint: config.fingerprint(),
            analyzer,
            weights: config.weights,
            precise_queries: config.precise_queries,
            max_query_bigrams: config.max_query_bigrams,
            max_term_share: config.max_term_share,
            max_required_share: config.max_required_share,
            min_required_listings: config.min_required_listings,
            writer_memory: WRITER_MEMORY,
            sound_alike_below: SOUND_ALIKE_BELOW,
            crosswalk: Arc::new(config.crosswalk.clone()),
            match_tuning: Default::default(),
            profile_words: Arc::new(config.profile_words.clone()),
            starter_disciplines: Arc::new(config.disciplines.clone()),
            disciplines: std::sync::RwLock::new(Arc::new(config.disciplines.clone())),
            facet_maps: Default::default(),
            database: Mutex::new(String::new()),
        })
    }

    /// Sets the memory the writer may buffer before it writes a segment (benchmarks explore
    /// it); takes effect when the writer is next taken.
    pub fn set_writer_memory(&mut self, bytes: usize) {
        self.writer_memory = bytes;
    }

    /// Sets the candidate pools and text scoring of matches (benchmarks explore them).
    pub fn set_match_tuning(&mut self, tuning: crate::search::matching::MatchTuning) {
        self.match_tuning = tuning;
    }

    /// Sets how few hits make a search try words that sound alike (benchmarks time the
    /// homophone pass with `usize::MAX`).
    pub fn set_sound_alike_below(&mut self, hits: usize) {
        self.sound_alike_below = hits;
    }

    /// The state recorded by the last commit; default when never committed.
    pub fn committed_state(&self) -> CommitState {
        self.index
            .load_metas()
            .ok()
            .and_then(|m| m.payload)
            .and_then(|p| serde_json::from_str(&p).ok())
            .unwrap_or_default()
    }

    /// Binds the index to the database it follows: commits record its identity, and an index
    /// built from another database must be rebuilt.
    pub fn bind_database(&self, identity: &str) {
        *self.database.lock().unwrap_or_else(|e| e.into_inner()) = identity.to_owned();
    }

    fn database(&self) -> String {
        self.database
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether the index was built with another configuration or from another database (or
    /// never) and must be rebuilt.
    pub fn needs_rebuild(&self) -> bool {
        let state = self.committed_state();
        state.fingerprint != self.fingerprint || state.database != self.database()
    }

    fn doc(&self, d: &ListingDoc) -> TantivyDocument {
        let f = &self.fields;
        // Sized for the texts it holds (the body twice: words and bigrams), so it never grows.
        let texts: usize = d.keywords.iter().chain(&d.facets).map(String::len).sum();
        let mut doc =
            TantivyDocument::with_capacity(d.title.len() + 2 * d.body.len() + texts + 128);
        doc.add_text(f.key, d.kind.key(d.id));
        doc.add_text(f.kind, d.kind.as_str());
        doc.add_u64(f.id, d.id as u64);
        doc.add_u64(f.owner, d.owner_id as u64);
        doc.add_text(f.title, &d.title);
        doc.add_text(f.body, &d.body);
        doc.add_text(f.body_bigram, &d.body);
        if d.kind == DocKind::Need {
            doc.add_text(f.need_words, &d.body);
            for k in &d.keywords {
                doc.add_text(f.need_words, k);
            }
        }
        doc.add_text(f.visibility, d.visibility);
        doc.add_text(f.live, if d.live { "1" } else { "0" });
        // Only a live listing's expiry matters, and a search excludes the few whose expiry
        // has passed since indexing (see `listed_filters`).
        if let Some(expires) = d.expires_at.filter(|_| d.live) {
            doc.add_i64(f.expires, expires);
        }
        for k in &d.keywords {
            doc.add_text(f.keywords, k);
        }
        for path in &d.facets {
            if let Ok(facet) = tantivy::schema::Facet::from_text(path) {
                doc.add_facet(f.facets, facet);
            }
        }
        if let Some(trl) = d.trl {
            doc.add_u64(f.trl, u64::from(trl));
        }
        doc.add_i64(f.updated, d.updated_at);
        let p = &d.profile;
        for division in p.division_numbers() {
            doc.add_u64(f.divisions, division);
        }
        if let Some(code) = p.discipline.as_deref().and_then(|c| c.parse().ok()) {
            doc.add_u64(f.discipline, code);
        }
        if let Some(code) = p.region.as_deref().and_then(|c| c.parse().ok()) {
            doc.add_u64(f.region, code);
        }
        doc.add_u64(f.modes, p.mode_bits());
        doc
    }

    /// Runs `f` with the single writer, taking it on first use.
    fn with_writer<T>(
        &self,
        f: impl FnOnce(&mut IndexWriter) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            *guard =
                Some(self.index.writer(self.writer_memory).context(
                    "taking the index writer (is another qianxian indexing this folder?)",
                )?);
        }
        let Some(writer) = guard.as_mut() else {
            unreachable!("writer set above")
        };
        f(writer)
    }

    fn stage(&self, writer: &mut IndexWriter, ops: &[IndexOp]) -> anyhow::Result<()> {
        for op in ops {
            match op {
                IndexOp::Upsert(d) => {
                    writer.delete_term(Term::from_field_text(self.fields.key, &d.kind.key(d.id)));
                    writer.add_document(self.doc(d))?;
                }
                IndexOp::Delete(kind, id) => {
                    writer.delete_term(Term::from_field_text(self.fields.key, &kind.key(*id)));
                }
            }
        }
        Ok(())
    }

    /// Applies a batch of changes and commits once, recording `outbox_cursor`. Readers see the
    /// whole batch or none of it.
    pub fn apply(&self, ops: &[IndexOp], outbox_cursor: i64) -> anyhow::Result<()> {
        self.stage_batch(ops)?;
        self.commit(outbox_cursor)
    }

    /// Hands a batch of changes to the writer without committing: each upsert replaces the
    /// listing's earlier document. Until [`Self::commit`], readers see none of it, and if the
    /// process dies first, none of it survives. (A rebuild empties the index and adds through
    /// [`Self::stage_rebuild`].)
    pub fn stage_batch(&self, ops: &[IndexOp]) -> anyhow::Result<()> {
        self.with_writer(|writer| self.stage(writer, ops))
    }

    /// Hands part of a rebuild to the writer without committing: `docs` are added as new
    /// listings, each at most once per rebuild, to an index that the rebuild's `first` call
    /// empties. Nothing is replaced, so unlike [`Self::stage_batch`] no listing carries a
    /// delete term for every new segment to look up. Until [`Self::commit`], readers see the
    /// old index, and if the process dies first, none of it survives.
    pub fn stage_rebuild(&self, docs: &[ListingDoc], first: bool) -> anyhow::Result<()> {
        self.with_writer(|writer| {
            if first {
                writer.delete_all_documents()?;
            }
            for d in docs {
                writer.add_document(self.doc(d))?;
            }
            Ok(())
        })
    }

    /// Commits what was staged, recording `outbox_cursor` and the configuration fingerprint,
    /// and reloads the readers.
    pub fn commit(&self, outbox_cursor: i64) -> anyhow::Result<()> {
        self.with_writer(|writer| {
            let state = CommitState {
                fingerprint: self.fingerprint.clone(),
                outbox_cursor,
                database: self.database(),
            };
            let mut commit = writer.prepare_commit()?;
            commit.set_payload(&serde_json::to_string(&state)?);
            commit.commit()?;
            Ok(())
        })?;
        self.reader.reload()?;
        Ok(())
    }

    /// Takes the writer now, so a tool fails fast when a running service holds it.
    pub fn lock_writer(&self) -> anyhow::Result<()> {
        self.with_writer(|_| Ok(()))
    }

    /// Releases the writer after its merges finish (a bulk load is done, or a rebuilt index
    /// is about to be swapped in). The next write takes a new writer.
    pub fn finish_writes(&self) -> anyhow::Result<()> {
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(writer) = writer {
            writer
                .wait_merging_threads()
                .context("waiting for index merges")?;
        }
        self.reader.reload()?;
        Ok(())
    }

    /// Documents visible to readers.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Documents in each segment readers search (each segment costs a little per query).
    pub fn segment_sizes(&self) -> Vec<u32> {
        self.reader
            .searcher()
            .segment_readers()
            .iter()
            .map(|s| s.num_docs())
            .collect()
    }

    /// Turns the user's words into a query. Words are OR-ed and ranked by BM25 over title
    /// (boosted), keywords, body and the bigram fields; an ASCII `"phrase"` must occur with its
    /// words adjacent and in order (see [`ParsedQuery`]), `-word` must not. `sound_alikes` adds
    /// the words that sound like its stretches around loose characters (see
    /// `sound_alike_groups`), as does a query whose only deciding terms are single characters.
    fn user_query(
        &self,
        parsed: &ParsedQuery,
        sound_alikes: bool,
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
            let searcher = self.reader.searcher();
            let common = (searcher.num_docs() as f64 * f64::from(self.max_term_share)) as u64;
            let df = |field: Field, text: &str| {
                searcher
                    .doc_freq(&Term::from_field_text(field, text))
                    .unwrap_or(0)
            };
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
            let deciding = self.deciding_cutoff();
            let decides = |t: &crate::search::analysis::Term, n: u64| {
                n > 0 && n <= deciding && t.text.chars().count() > 1
            };
            let garbled = !words.iter().any(|(n, t)| decides(t, *n));
            let sound_alikes = if sound_alikes || garbled {
                self.sound_alike_groups(&searcher, &words, common)
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
                    for near in near_spellings(&searcher, f.body, &t.text) {
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
            clauses.push((Occur::Should, self.rare_terms_decide(scored)));
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
        searcher: &tantivy::Searcher,
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
        let df = |w: &str| {
            searcher
                .doc_freq(&Term::from_field_text(body, w))
                .unwrap_or(0)
        };
        let mut groups = Vec::new();
        for stretch in stretches {
            if groups.len() == MAX_STRETCHES {
                break;
            }
            let mut found: Vec<(u64, String)> = sound_alike_words(searcher, body, &stretch)
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

    /// Terms in at most this many listings decide which listings match.
    fn deciding_cutoff(&self) -> u64 {
        ((self.reader.searcher().num_docs() as f64 * f64::from(self.max_required_share)) as u64)
            .max(self.min_required_listings)
    }

    /// Combines a query's scored clauses so that the rarer terms decide which listings match
    /// and the commoner ones only add to their score.
    fn rare_terms_decide(&self, scored: Vec<Scored>) -> Box<dyn Query> {
        // Counting and faceting then walk a few thousand listings, not a third of the index,
        // and the top hits are as good (`cargo bench --bench retrieval`). When every term is
        // common, a listing must hold every word; words with no hits never decide.
        let cutoff = self.deciding_cutoff();
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
    pub(super) fn listed_filters(
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
            clauses.push((Occur::Must, term(f.kind, kind.as_str())));
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
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Must,
            self.user_query(&ParsedQuery::parse(text)?, false)?,
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
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(among))));
        let searcher = self.reader.searcher();
        let top = searcher
            .search(
                &BooleanQuery::new(clauses),
                &TopDocs::with_limit(keys.len()).order_by_score(),
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
        let found = self.search_parsed(req, &parsed)?;
        if found.total > 0 || parsed.phrases.is_empty() {
            return Ok(found);
        }
        let mut relaxed = self.search_parsed(req, &parsed.relaxed())?;
        relaxed.phrases_relaxed = true;
        Ok(relaxed)
    }

    fn search_parsed(
        &self,
        req: &SearchRequest,
        parsed: &ParsedQuery,
    ) -> Result<Found, SearchError> {
        let found = self.search_with(req, self.user_query(parsed, false)?)?;
        if found.total >= self.sound_alike_below {
            return Ok(found);
        }
        let wider = self.search_with(req, self.user_query(parsed, true)?)?;
        Ok(if wider.total > found.total {
            wider
        } else {
            found
        })
    }

    fn search_with(&self, req: &SearchRequest, user: Box<dyn Query>) -> Result<Found, SearchError> {
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
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(options))));
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
        let searcher = self.reader.searcher();
        let limit = req.limit.max(1);
        let facet_counter = || {
            crate::search::facets::FacetCounter::new(
                "facets",
                FACET_ROOTS,
                DEEP_FACET_ROOTS,
                self.facet_maps.clone(),
            )
        };
        let page = || TopDocs::with_limit(limit).and_offset(req.offset);
        let by_score = || page().order_by_score();
        let newest = || page().order_by_fast_field::<i64>("updated", tantivy::Order::Desc);
        let drop_score = |top: Vec<(Option<i64>, tantivy::DocAddress)>| {
            // Newest order carries no relevance score.
            top.into_iter().map(|(_, addr)| (0.0_f32, addr)).collect()
        };
        let index_error = |e: tantivy::TantivyError| SearchError::Index(e.into());
        let mut facets = Vec::new();
        let (total, top): (usize, Vec<(f32, tantivy::DocAddress)>) = if req.facets {
            let (total, top, counts) = match req.order {
                SearchOrder::Relevance => searcher
                    .search(&query, &(Count, by_score(), facet_counter()))
                    .map_err(index_error)?,
                SearchOrder::Newest => {
                    let (total, top, counts) = searcher
                        .search(&query, &(Count, newest(), facet_counter()))
                        .map_err(index_error)?;
                    (total, drop_score(top), counts)
                }
            };
            facets = counts;
            (total, top)
        } else {
            match req.order {
                SearchOrder::Relevance => searcher
                    .search(&query, &(Count, by_score()))
                    .map_err(index_error)?,
                SearchOrder::Newest => {
                    let (total, top) = searcher
                        .search(&query, &(Count, newest()))
                        .map_err(index_error)?;
                    (total, drop_score(top))
                }
            }
        };
        let top: Vec<(f32, tantivy::DocAddress)> = if req.limit == 0 { Vec::new() } else { top };
        // The title is part of the body, so the body's terms highlight both.
        let mut snippets = SnippetGenerator::create(&searcher, &*user, f.body)
            .map_err(|e| SearchError::Index(e.into()))?;
        snippets.set_max_num_chars(160);
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
    fn relaxed(&self) -> Self {
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
const KEY_SEPARATOR: char = '\u{1}';

/// The tokens of `text` as one string for adjacency checks: normalised as the analyzer does
/// (NFKC, lower case), each Han character and each run of other letters and digits a token,
/// everything else (spaces, punctuation) only a boundary; each token is followed by a
/// separator and the key starts with one, so a key contained in another is a run of whole
/// adjacent tokens. `"锂 电池"` and `"锂电池"` have the same key, like `solid-state` and
/// `solid state`.
fn phrase_key(text: &str) -> String {
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
struct PhraseFilter {
    inner: Box<dyn Query>,
    body: Field,
    keys: Arc<Vec<String>>,
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

/// HTML for a fragment with `<em>` around the highlighted ranges. Search-mode segmentation
/// yields overlapping words (`钙钛矿`, `钙钛矿电池`), so ranges are merged first, and any range
/// that is out of bounds or off a character boundary is dropped rather than sliced.
pub fn render_snippet(fragment: &str, ranges: &[std::ops::Range<usize>]) -> String {
    let mut sorted: Vec<std::ops::Range<usize>> = ranges
        .iter()
        .filter(|r| {
            r.start < r.end
                && r.end <= fragment.len()
                && fragment.is_char_boundary(r.start)
                && fragment.is_char_boundary(r.end)
        })
        .cloned()
        .collect();
    sorted.sort_by_key(|r| r.start);
    let mut merged: Vec<std::ops::Range<usize>> = Vec::new();
    for r in sorted {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    let escape = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut out = String::with_capacity(fragment.len() + merged.len() * 9);
    let mut at = 0;
    for r in merged {
        out.push_str(&escape(&fragment[at..r.start]));
        out.push_str("<em>");
        out.push_str(&escape(&fragment[r.start..r.end]));
        out.push_str("</em>");
        at = r.end;
    }
    out.push_str(&escape(&fragment[at..]));
    out
}

/// Up to eight words of `field` one edit (a transposition counts as one) away from `word`,
/// beginning with the same letter: typos are rarely in the first letter, and keeping it lets
/// the search walk one letter's part of each term dictionary instead of all of it (at 1M
/// listings a few hundred microseconds instead of 8 ms a word).
fn near_spellings(searcher: &tantivy::Searcher, field: Field, word: &str) -> Vec<String> {
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
    found.into_iter().take(8).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn config(version: u32) -> IndexConfig {
        IndexConfig {
            version,
            dictionary: "钙钛矿电池 20000 n".into(),
            synonyms: "钙钛矿电池, psc".into(),
            stopwords: "的\n和\n与".into(),
            segmentation: crate::search::config::Segmentation::Search,
            bigrams: crate::search::config::Bigrams::NonWords,
            weights: crate::search::config::Weights::default(),
            precise_queries: false,
            max_query_bigrams: 0,
            max_term_share: 0.0,
            max_required_share: 0.0,
            min_required_listings: 0,
            crosswalk: Default::default(),
            profile_words: Default::default(),
            disciplines: Default::default(),
        }
    }

    fn doc(id: i32, title: &str, visibility: &'static str) -> ListingDoc {
        ListingDoc {
            kind: if visibility == "PUBLIC" && id < 100 {
                DocKind::Achievement
            } else {
                DocKind::Need
            },
            id,
            owner_id: id,
            title: title.into(),
            body: format!("{title}的详细说明"),
            keywords: vec![],
            visibility,
            live: true,
            expires_at: None,
            facets: vec![
                format!("/industry/C/C38/C384"),
                format!("/trl/{}", id % 9 + 1),
            ],
            trl: Some((id % 9 + 1) as u8),
            updated_at: i64::from(id),
            profile: Profile::default(),
        }
    }

    fn request(text: &str, visibility: Visibility) -> SearchRequest {
        SearchRequest {
            text: text.into(),
            kind: None,
            visibility,
            now: 0,
            facet_filters: vec![],
            trl_min: None,
            trl_max: None,
            order: SearchOrder::Relevance,
            facets: true,
            offset: 0,
            limit: 10,
        }
    }

    #[test]
    fn newest_order_sorts_by_last_change() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open(dir.path(), &config(1)).unwrap();
        let docs: Vec<IndexOp> = [
            (1, "钙钛矿电池 旧"),
            (3, "钙钛矿电池 新"),
            (2, "钙钛矿电池 中"),
        ]
        .into_iter()
        .map(|(id, t)| IndexOp::Upsert(doc(id, t, "PUBLIC")))
        .collect();
        index.apply(&docs, 1).unwrap();
        let req = SearchRequest {
            order: SearchOrder::Newest,
            ..request("钙钛矿电池", Visibility::default())
        };
        let ids: Vec<i32> = index
            .search(&req)
            .unwrap()
            .hits
            .iter()
            .map(|h| h.id)
            .collect();
        assert_eq!(ids, [3, 2, 1]);
    }

    #[test]
    fn words_in_a_large_share_of_listings_are_left_out_unless_nothing_else_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(1);
        cfg.max_term_share = 0.10;
        let index = SearchIndex::open(dir.path(), &cfg).unwrap();
        let mut ops: Vec<IndexOp> = (1..=30)
            .map(|i| IndexOp::Upsert(doc(i, &format!("海洋技术方案{i}"), "PUBLIC")))
            .collect();
        ops.push(IndexOp::Upsert(doc(31, "钙钛矿技术", "PUBLIC")));
        index.apply(&ops, 1).unwrap();
        let total = |q: &str| {
            index
                .search(&request(q, Visibility::default()))
                .unwrap()
                .total
        };
        assert_eq!(
            total("钙钛矿 技术"),
            1,
            "技术 is in every listing: left out"
        );
        assert_eq!(total("技术"), 31, "kept when it is all there is");
        assert_eq!(
            total("钙钛矿 perovskitte"),
            1,
            "an unknown word does not empty the query"
        );
    }

    #[test]
    fn latin_typos_find_their_word() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open(dir.path(), &config(1)).unwrap();
        let mut d = doc(1, "Perovskite 叠层组件", "PUBLIC");
        d.body = "Perovskite tandem module 叠层组件".into();
        index.apply(&[IndexOp::Upsert(d)], 1).unwrap();
        assert_eq!(
            index
                .search(&request("perovskit", Visibility::default()))
                .unwrap()
                .total,
            1
        );
        assert_eq!(
            index
                .search(&request("tandum", Visibility::default()))
                .unwrap()
                .total,
            1
        );
        assert_eq!(
            index
                .search(&request("xyzzy", Visibility::default()))
                .unwrap()
                .total,
            0
        );
    }

    #[test]
    fn chinese_typos_still_find_their_listing_through_bigrams() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open(dir.path(), &config(1)).unwrap();
        let mut a = doc(1, "钙钛矿太阳能电池封装技术", "PUBLIC");
        a.body = "钙钛矿太阳能电池封装技术，湿热老化 1000 小时效率保持 95%".into();
        let mut b = doc(2, "海水淡化反渗透膜", "PUBLIC");
        b.body = "海水淡化反渗透膜组件，脱盐率 99.7%".into();
        let mut c = doc(3, "锂电池电解液添加剂", "PUBLIC");
        c.body = "锂电池电解液添加剂，提升低温性能".into();
        let ops: Vec<IndexOp> = [a, b, c].into_iter().map(IndexOp::Upsert).collect();
        index.apply(&ops, 3).unwrap();
        // A wrong character (旷 for 矿, 谈 for 淡) leaves the other bigrams of the word to match.
        for (typo, want) in [("钙钛旷电池封装", 1), ("海水谈化", 2)] {
            let found = index.search(&request(typo, Visibility::default())).unwrap();
            assert_eq!(found.hits.first().map(|h| h.id), Some(want), "{typo}");
        }
    }

    #[test]
    fn homophone_typos_in_several_characters_still_find_their_word() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(1);
        cfg.dictionary.push_str("\n钙钛矿 20000 n");
        let index = SearchIndex::open(dir.path(), &cfg).unwrap();
        let mut a = doc(1, "钙钛矿薄膜", "PUBLIC");
        a.body = "钙钛矿薄膜的低温制备".into();
        let mut b = doc(2, "锂电池回收", "PUBLIC");
        b.body = "废旧锂电池回收与梯次利用".into();
        let ops: Vec<IndexOp> = [a, b].into_iter().map(IndexOp::Upsert).collect();
        index.apply(&ops, 2).unwrap();
        // Two of three characters wrong (盖 for 钙, 旷 for 矿): no bigram survives.
        let found = index
            .search(&request("盖钛旷", Visibility::default()))
            .unwrap();
        assert_eq!(found.hits.iter().map(|h| h.id).collect::<Vec<_>>(), [1]);
        let snippets: Vec<&String> = found.hits[0].highlights.iter().map(|(_, s)| s).collect();
        assert!(
            snippets.iter().any(|s| s.contains("<em>钙钛矿</em>")),
            "{snippets:?}"
        );
        // Sounding alike is not enough where the words are right.
        let found = index
            .search(&request("锂电池", Visibility::default()))
            .unwrap();
        assert_eq!(found.hits.iter().map(|h| h.id).collect::<Vec<_>>(), [2]);
    }

    #[test]
    fn a_query_bigram_finds_listings_that_hold_it_only_as_a_word() {
        // With `bigrams = "non-words"`, 电池 in 废旧电池 is a word token and not a bigram.
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open(dir.path(), &config(1)).unwrap();
        let mut a = doc(1, "废旧电池回收", "PUBLIC");
        a.body = "废旧电池回收与梯次利用".into();
        index.apply(&[IndexOp::Upsert(a)], 1).unwrap();
        let bigram = |text: &str| {
            let searcher = index.reader.searcher();
            let term = Term::from_field_text(index.fields.body_bigram, text);
            searcher.doc_freq(&term).unwrap()
        };
        assert_eq!(
            bigram("电池"),
            0,
            "a word at that place, left out of the bigrams"
        );
        assert_eq!(bigram("旧电"), 1, "bigrams across words stay");
        // 锂电池 is one query word; its bigram 电池 finds the listing among the words.
        let found = index
            .search(&request("锂电池", Visibility::default()))
            .unwrap();
        assert_eq!(found.hits.first().map(|h| h.id), Some(1));
    }

    #[test]
    fn snippets_merge_overlapping_words_and_never_slice_inside_a_character() {
        let text = "高效钙钛矿电池<封装>";
        // 钙钛矿 = bytes 6..15, 钙钛矿电池 = 6..21, a range ending mid-character, one out of bounds.
        let html = render_snippet(text, &[6..15, 6..21, 7..9, 40..50]);
        assert_eq!(html, "高效<em>钙钛矿电池</em>&lt;封装&gt;");
    }

    #[test]
    fn a_configuration_change_asks_for_a_rebuild_and_commits_record_the_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open(dir.path(), &config(1)).unwrap();
        assert!(index.needs_rebuild(), "a new index has never been built");
        index
            .apply(&[IndexOp::Upsert(doc(1, "钙钛矿电池封装", "PUBLIC"))], 42)
            .unwrap();
        assert!(!index.needs_rebuild());
        assert_eq!(index.committed_state().outbox_cursor, 42);
        drop(index);
        let same = SearchIndex::open(dir.path(), &config(1)).unwrap();
        assert!(!same.needs_rebuild());
        assert_eq!(same.num_docs(), 1);
        drop(same);
        let bumped = SearchIndex::open(dir.path(), &config(2)).unwrap();
        assert!(bumped.needs_rebuild(), "version change");
    }

    #[test]
    fn visibility_is_applied_inside_the_query_and_synonyms_match() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open(dir.path(), &config(1)).unwrap();
        index
            .apply(
                &[
                    IndexOp::Upsert(doc(1, "钙钛矿电池封装工艺", "PUBLIC")),
                    IndexOp::Upsert(doc(101, "钙钛矿电池量产需求", "CONFIDENTIAL")),
                    IndexOp::Upsert(doc(102, "钙钛矿电池检测需求", "ANONYMOUS")),
                ],
                3,
            )
            .unwrap();
        let public = Visibility {
            need_visibilities: vec!["PUBLIC", "ANONYMOUS"],
            own_org: None,
        };
        let found = index.search(&request("PSC", public.clone())).unwrap();
        let (total, hits) = (found.total, found.hits);
        assert_eq!(
            total, 2,
            "the confidential need is neither returned nor counted"
        );
        let industry_c = found
            .facets
            .iter()
            .find(|(p, _)| p == "/industry/C")
            .map(|(_, c)| *c);
        assert_eq!(industry_c, Some(2), "facets count visible matches only");
        assert!(hits.iter().all(|h| h.id != 101));
        assert!(hits[0].highlights.iter().any(|(_, s)| s.contains("<em>")));
        let owner = Visibility {
            own_org: Some(101),
            ..public
        };
        assert_eq!(
            index.search(&request("钙钛矿电池", owner)).unwrap().total,
            3,
            "its owner finds it"
        );
        assert_eq!(
            index
                .search(&request("钙钛矿电池", Visibility::default()))
                .unwrap()
                .total,
            3,
            "brokers find everything"
        );
        index
            .apply(&[IndexOp::Delete(DocKind::Need, 102)], 4)
            .unwrap();
        assert_eq!(
            index
                .search(&request("钙钛矿电池", Visibility::default()))
                .unwrap()
                .total,
            2
        );
        assert!(matches!(
            index.search(&request("\"钙钛矿", Visibility::default())),
            Err(SearchError::BadQuery(_))
        ));
        assert!(matches!(
            index.search(&request("，。", Visibility::default())),
            Err(SearchError::BadQuery(_))
        ));
        // Stopwords alone (的, 和) leave nothing to search for.
        assert!(matches!(
            index.search(&request("的 和", Visibility::default())),
            Err(SearchError::BadQuery(_))
        ));
        assert_eq!(
            index
                .search(&request("钙钛矿电池 -量产", Visibility::default()))
                .unwrap()
                .total,
            1,
            "exclusion"
        );
    }

    #[test]
    fn facets_count_each_listing_once_per_bucket_at_both_levels_across_segments() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open(dir.path(), &config(1)).unwrap();
        let mut two_divisions = doc(1, "海洋装备 电机", "PUBLIC");
        two_divisions.facets = vec![
            "/industry/C/C37/C373/C3731".into(),
            "/industry/C/C38/C384/C3841".into(),
            "/region/370000/370200/370212".into(),
            "/trl/7".into(),
        ];
        let mut software = doc(2, "海洋装备 软件", "PUBLIC");
        software.facets = vec![
            "/industry/I/I65/I651/I6513".into(),
            "/region/370000/370100/370102".into(),
            "/trl/7".into(),
        ];
        let mut battery = doc(3, "海洋装备 电池", "PUBLIC");
        battery.facets = vec![
            "/industry/C/C38/C384/C3841".into(),
            "/region/370000/370200/370211".into(),
            "/trl/4".into(),
        ];
        // Two commits: two segments, whose counts are merged.
        index.apply(&[IndexOp::Upsert(two_divisions)], 1).unwrap();
        index
            .apply(&[IndexOp::Upsert(software), IndexOp::Upsert(battery)], 2)
            .unwrap();
        assert!(index.segment_sizes().len() >= 2);
        let expected: Vec<(String, u64)> = [
            ("/industry/C", 2),
            ("/industry/C/C37", 1),
            ("/industry/C/C38", 2),
            ("/industry/I", 1),
            ("/industry/I/I65", 1),
            ("/region/370000", 3),
            ("/region/370000/370100", 1),
            ("/region/370000/370200", 2),
            ("/trl/4", 1),
            ("/trl/7", 2),
        ]
        .into_iter()
        .map(|(p, c)| (p.to_owned(), c))
        .collect();
        for _ in 0..2 {
            // The second search reads the segments' maps from the cache.
            let found = index
                .search(&request("海洋装备", Visibility::default()))
                .unwrap();
            assert_eq!(found.total, 3);
            assert_eq!(found.facets, expected);
        }
    }

    #[test]
    fn rare_words_decide_what_matches_and_common_ones_only_add_to_the_score() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(1);
        cfg.max_required_share = 0.10;
        cfg.weights.body_bigram = 0.0;
        let index = SearchIndex::open(dir.path(), &cfg).unwrap();
        // 海洋 is in all 20 listings, 浮标 in half of them, 钙钛矿 in one.
        let mut ops: Vec<IndexOp> = (1..=20)
            .map(|i| {
                let title = if i % 2 == 0 {
                    format!("海洋浮标{i}")
                } else {
                    format!("海洋牧场{i}")
                };
                IndexOp::Upsert(doc(i, &title, "PUBLIC"))
            })
            .collect();
        ops.push(IndexOp::Upsert(doc(21, "钙钛矿海洋浮标", "PUBLIC")));
        index.apply(&ops, 1).unwrap();
        let search = |q: &str| index.search(&request(q, Visibility::default())).unwrap();
        let found = search("钙钛矿 海洋 浮标");
        assert_eq!(found.total, 1, "only the rare word decides");
        assert_eq!(found.hits[0].id, 21);
        assert_eq!(
            search("海洋 浮标").total,
            11,
            "when every word is common, a listing needs them all"
        );
        assert_eq!(search("海洋").total, 21);
    }

    #[test]
    fn unlisted_and_expired_listings_are_never_found() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open(dir.path(), &config(1)).unwrap();
        let mut expiring = doc(1, "深海浮标 一", "PUBLIC");
        expiring.expires_at = Some(1_000);
        let mut draft = doc(2, "深海浮标 二", "PUBLIC");
        draft.live = false;
        draft.expires_at = Some(1_000);
        let lasting = doc(3, "深海浮标 三", "PUBLIC");
        let ops: Vec<IndexOp> = [expiring, draft, lasting]
            .into_iter()
            .map(IndexOp::Upsert)
            .collect();
        index.apply(&ops, 1).unwrap();
        let ids_at = |now: i64| {
            let mut ids: Vec<i32> = index
                .search(&SearchRequest {
                    now,
                    ..request("深海浮标", Visibility::default())
                })
                .unwrap()
                .hits
                .iter()
                .map(|h| h.id)
                .collect();
            ids.sort();
            ids
        };
        assert_eq!(ids_at(999), [1, 3]);
        assert_eq!(ids_at(1_000), [3], "expired at its expiry second");
    }

    fn titled(id: i32, title: &str) -> IndexOp {
        let mut d = doc(id, title, "PUBLIC");
        d.body = title.to_owned();
        IndexOp::Upsert(d)
    }

    #[test]
    fn only_ascii_quotes_make_phrases() {
        let parsed = ParsedQuery::parse("“海水淡化膜”抗污染").unwrap();
        assert!(parsed.phrases.is_empty());
        assert_eq!(parsed.free.trim(), "“海水淡化膜”抗污染");
        let parsed = ParsedQuery::parse("\"海水淡化 膜\" 抗污染 -涂层").unwrap();
        assert_eq!(parsed.phrases, ["海水淡化 膜"]);
        assert_eq!(parsed.free.trim(), "抗污染");
        assert_eq!(parsed.excluded, ["涂层"]);
        // An unmatched Chinese quote is text; an unmatched ASCII quote is still an error.
        assert!(ParsedQuery::parse("“海水淡化膜抗污染").is_ok());
        assert!(ParsedQuery::parse("”").is_ok());
        assert!(matches!(
            ParsedQuery::parse("\"海水淡化膜"),
            Err(SearchError::BadQuery(_))
        ));
        assert_eq!(phrase_key("锂 电池"), phrase_key("锂电池"));
        assert_eq!(phrase_key("Solid-State"), phrase_key("solid state"));
        assert!(!phrase_key("solid state").contains(&phrase_key("soli")));
    }

    #[test]
    fn chinese_quotes_and_title_marks_are_plain_text() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open(dir.path(), &config(1)).unwrap();
        index
            .apply(
                &[
                    // The quoted words, not adjacent.
                    titled(1, "海水淡化用反渗透膜的抗污染改性"),
                    // Not all of the quoted words: as a required phrase this was never found.
                    titled(2, "反渗透膜抗污染涂层"),
                    titled(3, "锂电池回收与梯次利用"),
                ],
                1,
            )
            .unwrap();
        for query in [
            "“海水淡化膜”抗污染",
            "‘海水淡化膜’抗污染",
            "「海水淡化膜」抗污染",
            "『海水淡化膜』抗污染",
            "＂海水淡化膜＂抗污染",
            "《海水淡化膜》抗污染",
            "“海水淡化膜抗污染",
        ] {
            let found = index
                .search(&request(query, Visibility::default()))
                .unwrap();
            let mut ids: Vec<i32> = found.hits.iter().map(|h| h.id).collect();
            ids.sort();
            assert_eq!(ids, [1, 2], "{query}");
            assert!(!found.phrases_relaxed, "{query}: no phrase to relax");
        }
    }

    #[test]
    fn ascii_phrases_need_adjacent_words_and_fall_back_to_words_when_nothing_has_them() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open(dir.path(), &config(1)).unwrap();
        // Two commits, two segments: each reads its own stored bodies.
        index
            .apply(
                &[
                    titled(1, "海水淡化膜组件国产化"),
                    titled(2, "海水淡化用反渗透膜"),
                ],
                1,
            )
            .unwrap();
        index
            .apply(
                &[
                    titled(3, "Solid state electrolyte 固态电解质"),
                    titled(4, "state of the art solid electrolyte"),
                    titled(5, "锂电池回收"),
                ],
                2,
            )
            .unwrap();
        assert!(index.segment_sizes().len() >= 2);
        let search = |q: &str| {
            let found = index.search(&request(q, Visibility::default())).unwrap();
            let mut ids: Vec<i32> = found.hits.iter().map(|h| h.id).collect();
            ids.sort();
            (found.total, ids, found.phrases_relaxed)
        };
        assert_eq!(
            search("\"海水淡化膜\""),
            (1, vec![1], false),
            "adjacent only"
        );
        assert_eq!(
            search("\"海水淡化 膜\""),
            (1, vec![1], false),
            "spaces are no gap"
        );
        assert_eq!(search("\"solid state\""), (1, vec![3], false));
        assert_eq!(search("\"SOLID-STATE\" 电解质"), (1, vec![3], false));
        // The phrase is nowhere: its words are searched instead, and the result says so.
        let (_, ids, relaxed) = search("\"反渗透膜海水淡化\"");
        assert!(relaxed);
        assert!(ids.contains(&2), "{ids:?}");
        // Exclusions still hold after the fallback.
        let (_, ids, relaxed) = search("\"海水淡化膜\" -国产化");
        assert!(relaxed);
        assert_eq!(ids, [2]);
        // Saved-search alerts keep phrases strict.
        let keys = [(DocKind::Achievement, 1), (DocKind::Achievement, 2)];
        let among = |q: &str| {
            index
                .matching_among(q, None, &Visibility::default(), 0, &keys)
                .unwrap()
        };
        assert_eq!(among("\"海水淡化膜\""), [(DocKind::Achievement, 1)]);
        assert!(among("\"反渗透膜海水淡化\"").is_empty());
    }
}
