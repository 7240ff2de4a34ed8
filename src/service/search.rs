//! Search: keeping the index in step with the database through the listing outbox, and
//! answering searches with the caller's visibility applied inside the index query.

use crate::db::outbox::{self, ListingKind};
use crate::db::{achievements, needs};
use crate::domain::{Achievement, AchievementStatus, Need, NeedVisibility};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::search::index::{
    DocKind, Hit, IndexOp, ListingDoc, SearchError, SearchIndex, SearchRequest, Visibility,
};
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
}

fn achievement_doc(a: &Achievement) -> ListingDoc {
    let body = [
        a.summary.as_str(),
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
    }
}

fn need_doc(n: &Need) -> ListingDoc {
    ListingDoc {
        kind: DocKind::Need,
        id: n.id,
        owner_id: n.owner_id,
        title: n.title.clone(),
        body: [n.problem.as_str(), &n.requirements].join("\n"),
        keywords: n.keywords.clone(),
        visibility: n.visibility.as_str(),
        live: n.status.is_live(),
        expires_at: n.expires_at.map(|t| t.timestamp()),
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
        }
    }

    /// Brings the index up to date: a full rebuild when its configuration changed, then every
    /// outbox change after the committed cursor, in batches. Returns the changes applied.
    pub async fn catch_up(&self) -> anyhow::Result<u64> {
        let _writing = self.writing.lock().await;
        if self.index.needs_rebuild() {
            return self.rebuild_locked(&|_| {}).await;
        }
        let db = &self.ctx.db.conn;
        let mut applied = 0;
        loop {
            let cursor = self.index.committed_state().outbox_cursor;
            let rows = outbox::after(db, cursor, BATCH).await?;
            let Some(last) = rows.last().map(|r| r.id) else {
                break;
            };
            let mut seen = HashSet::new();
            let mut ops = Vec::new();
            for row in &rows {
                let kind = if row.listing_kind == ListingKind::Need.as_str() {
                    DocKind::Need
                } else {
                    DocKind::Achievement
                };
                if seen.insert((kind, row.listing_id)) {
                    ops.push(self.op_for(kind, row.listing_id).await?);
                }
            }
            applied += rows.len() as u64;
            let index = self.index.clone();
            tokio::task::spawn_blocking(move || index.apply(&ops, last, false)).await??;
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

    async fn op_for(&self, kind: DocKind, id: i32) -> anyhow::Result<IndexOp> {
        let db = &self.ctx.db.conn;
        Ok(match kind {
            DocKind::Achievement => match achievements::find(db, id).await? {
                Some(a) => IndexOp::Upsert(achievement_doc(&a)),
                None => IndexOp::Delete(kind, id),
            },
            DocKind::Need => match needs::find(db, id).await? {
                Some(n) => IndexOp::Upsert(need_doc(&n)),
                None => IndexOp::Delete(kind, id),
            },
        })
    }

    /// Rebuilds the whole index from the database in one commit; `progress(done)` is called
    /// after each batch read.
    pub async fn rebuild(&self, progress: impl Fn(u64) + Send + Sync) -> anyhow::Result<u64> {
        let _writing = self.writing.lock().await;
        self.rebuild_locked(&progress).await
    }

    async fn rebuild_locked(&self, progress: &(dyn Fn(u64) + Send + Sync)) -> anyhow::Result<u64> {
        let db = &self.ctx.db.conn;
        // Changes after this cursor are applied again by the next catch-up: harmless.
        let cursor = outbox::max_id(db).await?;
        let mut ops = Vec::new();
        let mut after = 0;
        loop {
            let batch = achievements::batch_after(db, after, BATCH).await?;
            let Some(last) = batch.last().map(|a| a.id) else {
                break;
            };
            ops.extend(batch.iter().map(|a| IndexOp::Upsert(achievement_doc(a))));
            after = last;
            progress(ops.len() as u64);
        }
        after = 0;
        loop {
            let batch = needs::batch_after(db, after, BATCH).await?;
            let Some(last) = batch.last().map(|n| n.id) else {
                break;
            };
            ops.extend(batch.iter().map(|n| IndexOp::Upsert(need_doc(n))));
            after = last;
            progress(ops.len() as u64);
        }
        let count = ops.len() as u64;
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || index.apply(&ops, cursor, true)).await??;
        tracing::info!(docs = count, "search index rebuilt");
        Ok(count)
    }

    /// Searches listings the caller may see; `kind` narrows to one table.
    pub async fn search(
        &self,
        actor: &Actor,
        text: &str,
        kind: Option<ListingKind>,
        window: Window,
    ) -> ServiceResult<Page<SearchResult>> {
        let s = &self.ctx.settings;
        let first = window.first.unwrap_or(s.default_page_size as i32);
        let (offset, limit) = Window {
            first: Some(first),
            ..window
        }
        .resolve(u64::MAX / 2, s.default_page_size, s.max_page_size)?;
        let req = SearchRequest {
            text: text.to_owned(),
            kind: kind.map(|k| match k {
                ListingKind::Achievement => DocKind::Achievement,
                ListingKind::Need => DocKind::Need,
            }),
            visibility: Visibility {
                need_visibilities: policy::listable_need_visibilities(actor),
                own_org: actor.organization_id(),
            },
            now: self.ctx.clock.now().timestamp(),
            offset: offset as usize,
            limit: limit as usize,
        };
        let index = self.index.clone();
        let (total, hits) = tokio::task::spawn_blocking(move || index.search(&req))
            .await
            .map_err(|e| ServiceError::Internal(e.into()))?
            .map_err(|e| match e {
                SearchError::BadQuery(why) => ServiceError::coded(
                    ErrorCode::InvalidQuery,
                    format!("无法解析搜索语句，请检查引号和括号是否成对：{why}"),
                ),
                SearchError::Index(cause) => ServiceError::Internal(cause),
            })?;
        let mut results = Vec::with_capacity(hits.len());
        for Hit {
            kind,
            id,
            score,
            highlights,
        } in hits
        {
            // Read through the services so the caller's redaction rules apply to every field.
            let found = match kind {
                DocKind::Achievement => self
                    .achievements
                    .get(actor, id)
                    .await?
                    .map(Found::Achievement),
                DocKind::Need => self.needs.get(actor, id).await?.map(Found::Need),
            };
            if let Some(found) = found {
                results.push(SearchResult {
                    found,
                    score,
                    highlights,
                });
            }
        }
        Ok(Window::page(results, offset, total as u64))
    }
}

impl SearchService {
    /// Documents in the index (for tools and tests).
    pub fn indexed_documents(&self) -> u64 {
        self.index.num_docs()
    }

    /// Whether the index must be rebuilt before it can be trusted.
    pub fn needs_rebuild(&self) -> bool {
        self.index.needs_rebuild()
    }
}
