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

mod phrases;
mod queries;
mod snippets;
#[cfg(test)]
mod tests;
mod writer;

pub(crate) use phrases::ParsedQuery;
use phrases::{KEY_SEPARATOR, PhraseFilter, phrase_key};
pub use snippets::render_snippet;

const WORDS: &str = "qx_words";
/// Fast fields that matching reads for each candidate.
pub(super) const DIVISIONS: &str = "divisions";
pub(super) const DISCIPLINE: &str = "discipline";
pub(super) const REGION: &str = "region";
pub(super) const MODES: &str = "modes";
pub(super) const TRL: &str = "trl";
/// The listing's kind and id as one number ([`order_key`]): matching reads the id from it, and
/// ties between hits go to the lower.
pub(super) const ID: &str = "id";
const BIGRAMS: &str = "qx_bigrams";
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

/// A listing's place in the order ties are broken by: results before needs, then by id.
pub(super) fn order_key(kind: DocKind, id: i32) -> u64 {
    (u64::from(id.unsigned_abs()) << 1) | u64::from(kind == DocKind::Need)
}

/// The id in an [`order_key`].
pub(super) fn id_of_order_key(key: u64) -> Option<i32> {
    i32::try_from(key >> 1).ok()
}

/// Each document's [`order_key`] in `segment` (0 where a document has none).
pub(super) fn listing_order(
    segment: &tantivy::SegmentReader,
) -> impl Fn(tantivy::DocId) -> u64 + Send + Sync + use<> {
    let keys = segment
        .fast_fields()
        .u64(ID)
        .ok()
        .map(|column| column.first_or_default_col(0));
    move |doc| keys.as_ref().map_or(0, |keys| keys.get_val(doc))
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

impl SearchIndex {
    /// Where the word statistics find what they may count.
    pub(super) fn counted_fields(&self) -> crate::search::statistics::CountedFields {
        let f = &self.fields;
        crate::search::statistics::CountedFields {
            kind: f.kind,
            achievement_kind: DocKind::Achievement.as_str(),
            need_kind: DocKind::Need.as_str(),
            live: f.live,
            live_value: "1",
            visibility: f.visibility,
            owner: f.owner,
            body: f.body,
            keywords: f.keywords,
            bigrams: f.body_bigram,
        }
    }
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
    /// How many listings a reader may find hold a word, counted per segment and kept.
    pub(super) word_counts: crate::search::statistics::WordCounts,
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
            word_counts: Default::default(),
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
}
