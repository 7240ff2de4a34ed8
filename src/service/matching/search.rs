//! Search: keeping the index in step with the database through the listing outbox, and
//! answering searches with the caller's visibility applied inside the index query.

use crate::codes;
use crate::db::listings::{self, ListingTable};
use crate::db::organizations;
use crate::db::outbox::{self, ListingKind};
use crate::domain::Listing;
use crate::domain::{Achievement, AchievementStatus, Need, NeedVisibility, TransferMode};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::search::index::{
    DocKind, Hit, IndexOp, ListingDoc, SearchError, SearchIndex, SearchOrder, SearchRequest,
    Visibility,
};
use crate::search::reasons::Profile;
use crate::service::achievements::AchievementService;
use crate::service::needs::NeedService;
use crate::service::needs::NeedView;
use crate::service::{Actor, Context, Page, Window, policy};
use std::collections::HashSet;
use std::sync::Arc;

/// Outbox rows applied per commit: one commit per batch, never per change.
const BATCH: u64 = 1000;

/// A search result with the listing as the caller may see it.
#[derive(Debug, Clone)]
pub enum Found {
    /// A research result.
    Achievement(Achievement),
    /// A need.
    Need(NeedView),
}

impl Found {
    /// The owning organisation (for rules; not for display: an anonymous need hides it).
    pub fn owner_id(&self) -> i32 {
        match self {
            Self::Achievement(a) => a.owner_id,
            Self::Need(n) => n.need.owner_id,
        }
    }
}

/// One ranked result.
#[derive(Debug, Clone)]
pub struct SearchResult {
    /// The listing.
    pub found: Found,
    /// Relevance.
    pub score: f32,
    /// Highlighted snippets of public text.
    pub highlights: Vec<(&'static str, String)>,
}

/// Search use cases.
#[derive(Debug, Clone)]
pub struct SearchService {
    ctx: Arc<Context>,
    index: Arc<SearchIndex>,
    achievements: AchievementService,
    needs: NeedService,
    /// One catch-up or rebuild at a time, so an older batch never lands after a newer one.
    writing: Arc<tokio::sync::Mutex<()>>,
    /// When a catch-up last found nothing more to apply (never, until the first one ends).
    caught_up_at: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
    /// When the discipline model was last relearnt, and from how many indexed results.
    disciplines_learnt: Arc<std::sync::Mutex<Option<(std::time::Instant, u64)>>>,
}

/// The discipline model is relearnt at most this often ...
const RELEARN_EVERY: std::time::Duration = std::time::Duration::from_secs(600);
/// ... and only when the indexed results changed by more than this share since (or by any
/// number while they are few).
const RELEARN_CHANGE: f64 = 0.02;

/// Facet paths of a listing: industry lineage, discipline lineage, the owner's region
/// lineage, TRL, tracks and modes.
fn facet_paths(
    industries: &[String],
    discipline: Option<&str>,
    region: Option<&str>,
    trl: Option<u8>,
    tracks: &[String],
    modes: &[crate::domain::TransferMode],
) -> Vec<String> {
    let mut out = Vec::new();
    let lineage_path =
        |root: &str, table: &codes::CodeTable, code: &str| table.facet_path(root, code);
    out.extend(
        industries
            .iter()
            .filter_map(|c| lineage_path("industry", codes::industries(), c)),
    );
    out.extend(discipline.and_then(|d| lineage_path("discipline", codes::disciplines(), d)));
    out.extend(region.and_then(|r| lineage_path("region", codes::regions(), r)));
    out.extend(trl.map(|t| format!("/trl/{t}")));
    out.extend(tracks.iter().map(|t| format!("/track/{t}")));
    out.extend(modes.iter().map(|m| format!("/mode/{}", m.as_str())));
    out
}

/// The facet path a filter value stands for: a code's lineage under its dimension.
pub(crate) fn filter_path(root: &str, code: &str) -> Option<String> {
    let table = match root {
        "industry" => codes::industries(),
        "discipline" => codes::disciplines(),
        "region" => codes::regions(),
        _ => return Some(format!("/{root}/{code}")),
    };
    table.facet_path(root, code)
}

/// Most characters a search query may have: a search box, not a document (a need's whole
/// text is matched by `matchesForNeed`, not searched).
pub const MAX_QUERY_CHARS: usize = 256;

/// Most characters in one unbroken run of letters or digits: longer runs are no word anyone
/// searches for, and each costs analysis, fuzzy automata and sound-alike expansion.
pub const MAX_QUERY_WORD_CHARS: usize = 64;

/// Refuses a query whose analysis would cost more than any real query: too long, or holding
/// a "word" no dictionary has. Checked before any analysis runs.
pub fn check_query(text: &str) -> ServiceResult<()> {
    let refuse = |message: String| Err(ServiceError::coded(ErrorCode::InvalidQuery, message));
    if text.chars().count() > MAX_QUERY_CHARS {
        return refuse(format!("搜索语句过长：最多 {MAX_QUERY_CHARS} 个字符"));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\t' && c != '\n')
    {
        return refuse("搜索语句含有控制字符".to_owned());
    }
    let mut run = 0;
    for c in text.chars() {
        // Chinese is cut into words by the dictionary; Latin letters and digits are not.
        if c.is_ascii_alphanumeric() || (c.is_alphanumeric() && !is_cjk(c)) {
            run += 1;
            if run > MAX_QUERY_WORD_CHARS {
                return refuse(format!(
                    "搜索语句中有过长的词：一个词最多 {MAX_QUERY_WORD_CHARS} 个字母或数字"
                ));
            }
        } else {
            run = 0;
        }
    }
    Ok(())
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// The index's name for a listing table.
pub(crate) fn doc_kind(kind: ListingKind) -> DocKind {
    match kind {
        ListingKind::Achievement => DocKind::Achievement,
        ListingKind::Need => DocKind::Need,
    }
}

/// A listing kind as the index reads it.
trait IndexedListing: ListingTable + Listing {
    /// The document of this listing, its owner sitting in `region`.
    fn doc(&self, region: Option<&str>) -> ListingDoc;
}

impl IndexedListing for Achievement {
    fn doc(&self, region: Option<&str>) -> ListingDoc {
        achievement_doc(self, region)
    }
}

impl IndexedListing for Need {
    fn doc(&self, region: Option<&str>) -> ListingDoc {
        need_doc(self, region)
    }
}

fn achievement_doc(a: &Achievement, region: Option<&str>) -> ListingDoc {
    // The title is part of the body: measured better than a separately boosted title field.
    let body = [
        a.title.as_str(),
        &a.summary,
        &a.advantages,
        &a.application_fields,
        &a.requirements,
    ]
    .join("\n");
    ListingDoc {
        kind: DocKind::Achievement,
        id: a.id,
        owner_id: a.owner_id,
        title: a.title.clone(),
        body,
        keywords: a.keywords.clone(),
        visibility: NeedVisibility::Public.as_str(),
        live: a.status == AchievementStatus::Published,
        expires_at: a.expires_at.map(|t| t.timestamp()),
        facets: facet_paths(
            &a.industry_codes,
            Some(&a.discipline_code),
            region,
            Some(a.trl),
            &a.priority_tracks,
            &a.transfer_modes,
        ),
        trl: Some(a.trl),
        updated_at: a.updated_at.timestamp_millis(),
        profile: Profile {
            industries: a.industry_codes.clone(),
            discipline: Some(a.discipline_code.clone()),
            region: region.map(str::to_owned),
            trl: Some(a.trl),
            modes: a.transfer_modes.clone(),
        },
    }
}

fn need_doc(n: &Need, region: Option<&str>) -> ListingDoc {
    // An anonymous need does not say where its owner is: no region to find, filter or count
    // it by (everyone who may see a confidential need may also see its owner).
    let facet_region = region.filter(|_| n.visibility != NeedVisibility::Anonymous);
    ListingDoc {
        kind: DocKind::Need,
        id: n.id,
        owner_id: n.owner_id,
        title: n.title.clone(),
        body: [n.title.as_str(), &n.problem, &n.requirements].join("\n"),
        keywords: n.keywords.clone(),
        visibility: n.visibility.as_str(),
        live: n.status.is_live(),
        expires_at: n.expires_at.map(|t| t.timestamp()),
        facets: facet_paths(
            &n.industry_codes,
            n.discipline_code.as_deref(),
            facet_region,
            n.min_trl,
            &n.priority_tracks,
            &n.cooperation_modes,
        ),
        trl: n.min_trl,
        updated_at: n.updated_at.timestamp_millis(),
        profile: Profile {
            industries: n.industry_codes.clone(),
            discipline: n.discipline_code.clone(),
            // An anonymous need does not say where its owner is.
            region: (n.visibility == NeedVisibility::Public)
                .then(|| region.map(str::to_owned))
                .flatten(),
            trl: n.min_trl,
            modes: n.cooperation_modes.clone(),
        },
    }
}

impl SearchService {
    pub(crate) fn new(
        ctx: Arc<Context>,
        index: Arc<SearchIndex>,
        achievements: AchievementService,
        needs: NeedService,
    ) -> Self {
        Self {
            ctx,
            index,
            achievements,
            needs,
            writing: Arc::new(tokio::sync::Mutex::new(())),
            caught_up_at: Arc::default(),
            disciplines_learnt: Arc::default(),
        }
    }

    /// Whether a catch-up found the index complete within the last `period`: an index that
    /// is behind only because a large commit just landed is working through it.
    pub fn caught_up_within(&self, period: std::time::Duration) -> bool {
        self.caught_up_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|at| at.elapsed() < period)
    }

    fn mark_caught_up(&self) {
        *self.caught_up_at.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(std::time::Instant::now());
    }

    /// Tells the index which database it follows, so that a position recorded against
    /// another database, or this one recreated, makes it rebuild. Read on every pass: the
    /// database can be recreated under a running process.
    async fn bind_database(&self) -> anyhow::Result<()> {
        let identity = outbox::database_identity(&self.ctx.db.conn).await?;
        self.index.bind_database(&identity);
        Ok(())
    }

    /// Whether the index's position lies beyond anything the database has placed: the
    /// database lost commits the index had applied (a failover to a standby that was behind,
    /// a restore to an earlier point). New changes would get places the index believes it
    /// has passed, so it must rebuild rather than wait for them.
    async fn ahead_of_database(&self) -> anyhow::Result<bool> {
        let cursor = self.index.committed_state().outbox_cursor;
        Ok(cursor > 0 && outbox::last_place(&self.ctx.db.conn).await? < cursor)
    }

    /// Brings the index up to date: a full rebuild when its configuration changed, then every
    /// outbox change after the committed cursor, in batches. Returns the changes applied.
    pub async fn catch_up(&self) -> anyhow::Result<u64> {
        let _writing = self.writing.lock().await;
        self.bind_database().await?;
        if self.index.needs_rebuild() || self.ahead_of_database().await? {
            let count = self.rebuild_locked(&|_| {}).await?;
            // A rebuild filled the writer's buffers and started merges: wait for them and let
            // the writer go, so a serving process does not keep a bulk load's memory.
            let index = self.index.clone();
            tokio::task::spawn_blocking(move || index.finish_writes()).await??;
            self.mark_caught_up();
            return Ok(count);
        }
        let db = &self.ctx.db.conn;
        outbox::sequence(&self.ctx.db).await?;
        let mut applied = 0;
        loop {
            let cursor = self.index.committed_state().outbox_cursor;
            let rows = outbox::after(db, cursor, BATCH).await?;
            let Some(last) = rows.last().and_then(|r| r.seq) else {
                self.mark_caught_up();
                break;
            };
            let mut seen = HashSet::new();
            let mut ops = Vec::new();
            for row in &rows {
                let kind = doc_kind(ListingKind::of_row(row));
                if seen.insert((kind, row.listing_id)) {
                    ops.push(self.op_for(kind, row.listing_id).await?);
                }
            }
            applied += rows.len() as u64;
            let index = self.index.clone();
            tokio::task::spawn_blocking(move || index.apply(&ops, last)).await??;
        }
        if applied > 0 {
            tracing::debug!(
                changes = applied,
                docs = self.index.num_docs(),
                "search index caught up"
            );
        }
        Ok(applied)
    }

    /// Relearns the model that infers a need's disciplines from the published results in the
    /// index, on the first pass and then when they changed enough (see [`RELEARN_EVERY`]).
    /// Returns the results read, if it relearnt.
    pub async fn relearn_disciplines(&self) -> anyhow::Result<Option<usize>> {
        let results = self.index.count_of(DocKind::Achievement);
        let due = match *self
            .disciplines_learnt
            .lock()
            .unwrap_or_else(|e| e.into_inner())
        {
            None => true,
            Some((at, learnt)) => {
                let changed = results.abs_diff(learnt) as f64;
                at.elapsed() >= RELEARN_EVERY
                    && changed > 0.0
                    && (learnt < 1_000 || changed / learnt as f64 > RELEARN_CHANGE)
            }
        };
        if !due {
            return Ok(None);
        }
        let index = self.index.clone();
        let now = self.ctx.clock.now().timestamp();
        let started = std::time::Instant::now();
        let read = tokio::task::spawn_blocking(move || index.retrain_disciplines(now)).await??;
        *self
            .disciplines_learnt
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some((std::time::Instant::now(), results));
        tracing::debug!(
            results = read,
            ms = started.elapsed().as_millis() as u64,
            "discipline model relearnt"
        );
        Ok(Some(read))
    }

    /// Reads the pending outbox changes and hands them to the index writer without
    /// committing: what a writer killed mid-batch leaves. For crash-recovery tests.
    pub async fn stage_pending_without_commit(&self) -> anyhow::Result<usize> {
        let _writing = self.writing.lock().await;
        self.bind_database().await?;
        outbox::sequence(&self.ctx.db).await?;
        let cursor = self.index.committed_state().outbox_cursor;
        let rows = outbox::after(&self.ctx.db.conn, cursor, BATCH).await?;
        let mut ops = Vec::with_capacity(rows.len());
        for row in &rows {
            let kind = doc_kind(ListingKind::of_row(row));
            ops.push(self.op_for(kind, row.listing_id).await?);
        }
        self.index.stage_batch(&ops)?;
        Ok(ops.len())
    }

    async fn op_for(&self, kind: DocKind, id: i32) -> anyhow::Result<IndexOp> {
        Ok(match self.listing_doc(kind, id).await? {
            Some(doc) => IndexOp::Upsert(doc),
            None => IndexOp::Delete(kind, id),
        })
    }

    /// What the index holds (or would hold) of a listing, read from the database.
    pub(crate) async fn listing_doc(
        &self,
        kind: DocKind,
        id: i32,
    ) -> anyhow::Result<Option<ListingDoc>> {
        match kind {
            DocKind::Achievement => self.doc_of::<Achievement>(id).await,
            DocKind::Need => self.doc_of::<Need>(id).await,
        }
    }

    /// One listing of a kind as the index holds it, or `None` when it is gone.
    async fn doc_of<R: IndexedListing>(&self, id: i32) -> anyhow::Result<Option<ListingDoc>> {
        let Some(listing) = listings::find::<R, _>(&self.ctx.db.conn, id).await? else {
            return Ok(None);
        };
        let owner = listing.owner_id();
        let region = self.regions(&[owner]).await?.remove(&owner);
        Ok(Some(listing.doc(region.as_deref())))
    }

    /// The next batch of a kind's listings after id `after` as the index holds them, moving
    /// `after` on; `None` past the last.
    async fn docs_after<R: IndexedListing>(
        &self,
        after: &mut i32,
    ) -> anyhow::Result<Option<Vec<ListingDoc>>> {
        let batch = listings::batch_after::<R, _>(&self.ctx.db.conn, *after, BATCH).await?;
        let Some(last) = batch.last().map(Listing::id) else {
            return Ok(None);
        };
        *after = last;
        let owners: Vec<i32> = batch.iter().map(Listing::owner_id).collect();
        let regions = self.regions(&owners).await?;
        Ok(Some(
            batch
                .iter()
                .map(|r| r.doc(regions.get(&r.owner_id()).map(String::as_str)))
                .collect(),
        ))
    }

    /// A listing as `actor` may see it, or `None`.
    pub(crate) async fn visible(
        &self,
        actor: &Actor,
        kind: DocKind,
        id: i32,
    ) -> ServiceResult<Option<Found>> {
        Ok(match kind {
            DocKind::Achievement => self
                .achievements
                .get(actor, id)
                .await?
                .map(Found::Achievement),
            DocKind::Need => self.needs.get(actor, id).await?.map(Found::Need),
        })
    }

    /// Owners' region codes, in one statement.
    async fn regions(
        &self,
        owner_ids: &[i32],
    ) -> anyhow::Result<std::collections::HashMap<i32, String>> {
        let mut ids = owner_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let orgs = organizations::find_many(&self.ctx.db.conn, &ids).await?;
        Ok(orgs.into_iter().map(|o| (o.id, o.region_code)).collect())
    }

    /// Rebuilds the whole index from the database in one commit; `progress(done)` is called
    /// after each batch read.
    pub async fn rebuild(&self, progress: impl Fn(u64) + Send + Sync) -> anyhow::Result<u64> {
        let _writing = self.writing.lock().await;
        self.bind_database().await?;
        self.rebuild_locked(&progress).await
    }

    async fn rebuild_locked(&self, progress: &(dyn Fn(u64) + Send + Sync)) -> anyhow::Result<u64> {
        let db = &self.ctx.db.conn;
        // Every change placed by now is in the tables read below; changes placed later are
        // applied again by the next catch-up: harmless.
        let cursor = outbox::last_place(db).await?;
        let mut count = 0;
        let mut first = true;
        // Stream in batches and commit once: memory stays flat and readers keep the old index
        // until the new one is complete.
        for kind in [DocKind::Achievement, DocKind::Need] {
            let mut after = 0;
            loop {
                let docs = match kind {
                    DocKind::Achievement => self.docs_after::<Achievement>(&mut after).await?,
                    DocKind::Need => self.docs_after::<Need>(&mut after).await?,
                };
                let Some(docs) = docs else {
                    break;
                };
                count += docs.len() as u64;
                let index = self.index.clone();
                let is_first = std::mem::take(&mut first);
                tokio::task::spawn_blocking(move || index.stage_rebuild(&docs, is_first)).await??;
                progress(count);
            }
        }
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || {
            if first {
                // Nothing was read: the rebuilt index is empty.
                index.stage_rebuild(&[], true)?;
            }
            index.commit(cursor)
        })
        .await??;
        tracing::info!(docs = count, "search index rebuilt");
        Ok(count)
    }

    /// Listings in the database (what a rebuild reads), for progress bars.
    pub async fn listing_count(&self) -> anyhow::Result<u64> {
        use sea_orm::{EntityTrait, PaginatorTrait};
        let db = &self.ctx.db.conn;
        Ok(crate::db::entities::achievement::Entity::find()
            .count(db)
            .await?
            + crate::db::entities::need::Entity::find().count(db).await?)
    }

    /// Searches listings the caller may see, with filters; facet counts cover every match.
    pub async fn search(
        &self,
        actor: &Actor,
        text: &str,
        filter: &SearchFilter,
        window: Window,
    ) -> ServiceResult<SearchPage> {
        check_query(text)?;
        let s = &self.ctx.settings;
        let first = window.first.unwrap_or(s.default_page_size as i32);
        let (offset, limit) = Window {
            first: Some(first),
            ..window
        }
        .resolve(MAX_SEARCH_DEPTH, s.default_page_size, s.max_page_size)?;
        let (facet_filters, trl_min, trl_max) = filter.validate().map_err(ServiceError::Invalid)?;
        let req = SearchRequest {
            text: text.to_owned(),
            kind: filter.kind.map(doc_kind),
            visibility: Visibility {
                need_visibilities: policy::listable_need_visibilities(actor),
                own_org: actor.organization_id(),
            },
            now: self.ctx.clock.now().timestamp(),
            facet_filters,
            trl_min,
            trl_max,
            order: filter.order,
            facets: filter.facets,
            offset: offset as usize,
            limit: limit as usize,
        };
        let index = self.index.clone();
        let found = tokio::task::spawn_blocking(move || index.search(&req))
            .await
            .map_err(|e| ServiceError::Internal(e.into()))?
            .map_err(|e| match e {
                SearchError::BadQuery(why) => ServiceError::coded(
                    ErrorCode::InvalidQuery,
                    format!("无法解析搜索语句（引号需成对，且至少包含一个可检索的词）：{why}"),
                ),
                SearchError::Index(cause) => ServiceError::Internal(cause),
            })?;
        let mut results = Vec::with_capacity(found.hits.len());
        for Hit {
            kind,
            id,
            score,
            highlights,
        } in found.hits
        {
            // Read through the services so the caller's redaction rules apply to every field.
            if let Some(found) = self.visible(actor, kind, id).await? {
                results.push(SearchResult {
                    found,
                    score,
                    highlights,
                });
            }
        }
        Ok(SearchPage {
            page: Window::page(results, offset, found.total as u64)
                .served_to(offset + limit, MAX_SEARCH_DEPTH),
            phrases_relaxed: found.phrases_relaxed,
            facets: found
                .facets
                .into_iter()
                .filter_map(|(path, count)| FacetCount::from_path(&path, count))
                .collect(),
        })
    }
}

/// How deep search pages go: a cursor past the first 10 000 hits gets an empty page (and the
/// page that reaches it says no page follows), so no cursor makes the index collect more
/// hits than that. A forged cursor once asked tantivy to make room for trillions and aborted
/// the process. `totalCount` still counts every match.
pub const MAX_SEARCH_DEPTH: u64 = 10_000;

/// Filters for search; every given filter must match.
#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    /// One table only.
    pub kind: Option<ListingKind>,
    /// GB/T 4754 code (any level).
    pub industry: Option<String>,
    /// GB/T 13745 code.
    pub discipline: Option<String>,
    /// GB/T 2260 code of the owner's region, or its 2/4-digit prefix.
    pub region: Option<String>,
    /// TRL at least (for needs: wanted minimum).
    pub trl_min: Option<i32>,
    /// TRL at most.
    pub trl_max: Option<i32>,
    /// Any of these priority tracks.
    pub tracks: Vec<String>,
    /// Any of these transfer / cooperation modes.
    pub modes: Vec<TransferMode>,
    /// Relevance or newest first.
    pub order: SearchOrder,
    /// Count facets over all matches (only when the caller asks: it reads every match).
    pub facets: bool,
}

type ValidFilter = (Vec<Vec<String>>, Option<u8>, Option<u8>);

impl SearchFilter {
    fn validate(&self) -> Result<ValidFilter, Vec<crate::error::FieldError>> {
        use crate::domain::{DisciplineCode, IndustryCode, RegionCode, Trl};
        let mut e = crate::service::inputs::Errors::default();
        let mut paths: Vec<Vec<String>> = Vec::new();
        if let Some(code) = self
            .industry
            .as_deref()
            .and_then(|c| e.take(IndustryCode::parse(c, "filter.industry")))
        {
            paths.extend(filter_path("industry", code.as_str()).map(|p| vec![p]));
        }
        if let Some(code) = self
            .discipline
            .as_deref()
            .and_then(|c| e.take(DisciplineCode::parse(c, "filter.discipline")))
        {
            paths.extend(filter_path("discipline", code.as_str()).map(|p| vec![p]));
        }
        if let Some(region) = self.region.as_deref() {
            let padded = format!("{:0<6}", region.trim());
            if let Some(code) = e.take(RegionCode::parse(&padded, "filter.region")) {
                paths.extend(filter_path("region", code.as_str()).map(|p| vec![p]));
            }
        }
        if !self.tracks.is_empty() {
            paths.push(
                self.tracks
                    .iter()
                    .map(|t| format!("/track/{}", t.trim()))
                    .collect(),
            );
        }
        if !self.modes.is_empty() {
            paths.push(
                self.modes
                    .iter()
                    .map(|m| format!("/mode/{}", m.as_str()))
                    .collect(),
            );
        }
        let trl_min = self
            .trl_min
            .and_then(|t| e.take(Trl::new(t, "filter.trlMin")))
            .map(Trl::level);
        let trl_max = self
            .trl_max
            .and_then(|t| e.take(Trl::new(t, "filter.trlMax")))
            .map(Trl::level);
        if e.0.is_empty() {
            Ok((paths, trl_min, trl_max))
        } else {
            Err(e.0)
        }
    }
}

/// A page of results and the facet counts over all matches.
#[derive(Debug, Clone)]
pub struct SearchPage {
    /// The results.
    pub page: Page<SearchResult>,
    /// Counts by dimension.
    pub facets: Vec<FacetCount>,
    /// The query's `"phrases"` matched nothing, so these are the hits of their words.
    pub phrases_relaxed: bool,
}

/// How many matches carry one facet value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetCount {
    /// `industrySection` (门类), `industryDivision` (大类), `discipline`, `province`, `city`,
    /// `trl`, `track` or `mode`.
    pub dimension: &'static str,
    /// The code.
    pub code: String,
    /// Its Chinese name, where a table has one.
    pub name: String,
    /// Matches.
    pub count: u64,
}

impl FacetCount {
    fn from_path(path: &str, count: u64) -> Option<Self> {
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let (dimension, code, table) = match parts.as_slice() {
            ["industry", section] => ("industrySection", *section, Some(codes::industries())),
            ["industry", _, division] => ("industryDivision", *division, Some(codes::industries())),
            ["discipline", d] => ("discipline", *d, Some(codes::disciplines())),
            ["region", p] => ("province", *p, Some(codes::regions())),
            ["region", _, c] => ("city", *c, Some(codes::regions())),
            ["trl", t] => ("trl", *t, None),
            ["track", t] => ("track", *t, None),
            ["mode", m] => ("mode", *m, None),
            _ => return None,
        };
        let name = match (table, dimension) {
            (Some(t), _) => t.get(code).map(|e| e.name.clone()).unwrap_or_default(),
            (None, "mode") => TransferMode::parse(code)
                .map(|m| m.label_zh().to_owned())
                .unwrap_or_default(),
            (None, "trl") => code
                .parse()
                .ok()
                .and_then(|l: i32| crate::domain::Trl::new(l, "trl").ok())
                .map(|t| t.name().to_owned())
                .unwrap_or_default(),
            _ => String::new(),
        };
        Some(Self {
            dimension,
            code: code.to_owned(),
            name,
            count,
        })
    }
}

impl SearchService {
    /// Documents in the index (for tools and tests).
    pub fn indexed_documents(&self) -> u64 {
        self.index.num_docs()
    }

    /// Listing changes committed to the database that this index has not applied yet
    /// (placed after its position, or not yet placed); everything, when the index follows
    /// another database or configuration and must be rebuilt.
    pub async fn index_lag(&self) -> anyhow::Result<u64> {
        self.bind_database().await?;
        if self.index.needs_rebuild() || self.ahead_of_database().await? {
            return Ok(u64::MAX);
        }
        let cursor = self.index.committed_state().outbox_cursor;
        Ok(outbox::pending_after(&self.ctx.db.conn, cursor).await?)
    }

    /// The last outbox place the index applied.
    pub fn outbox_cursor(&self) -> i64 {
        self.index.committed_state().outbox_cursor
    }

    /// Whether the index must be rebuilt before it can be trusted.
    pub fn needs_rebuild(&self) -> bool {
        self.index.needs_rebuild()
    }
}
