//! Two-way matching: ranked results for a need and ranked needs for a result, each with the
//! reasons it ranks there; matches stored in the background when listings change; dismissal.
//!
//! Candidates pass the same visibility filter as search, inside the index query, and are read
//! back through the listing services, so a viewer sees only what it may see and a reason can
//! only name words from public text.

use crate::db::matches::{self, NewMatch};
use crate::db::notifications;
use crate::db::outbox::{self, ListingKind};
use crate::domain::NeedVisibility;
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::search::index::{DocKind, ListingDoc, SearchIndex, Visibility};
use crate::search::matching::{MatchHit, MatchRequest};
use crate::search::reasons::MatchReasons;
use crate::service::alerts::{
    Indexed, announce_new_matches, announce_saved_search_hits, find_saved_search_hits,
};
use crate::service::audit::Target;
use crate::service::search::{Found, SearchService, doc_kind};
use crate::service::{Actor, Context, Page, Window, policy};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Matches kept per listing by the background job.
pub const STORED_PER_LISTING: usize = 20;
/// Most matches a listing has: the length of its ranking, and the largest page of it.
pub const MAX_MATCHES: usize = 50;
/// Matches on a page when the caller does not say.
pub const DEFAULT_MATCHES: u64 = 10;
/// The background job's cursor name.
const JOB: &str = "matches";
/// Outbox rows the background job handles per run.
const JOB_BATCH: u64 = 200;

/// One match as the caller may see it.
#[derive(Debug, Clone)]
pub struct MatchView {
    /// The listing matched to (a result for a need, a need for a result).
    pub counterpart: Found,
    /// The need's id.
    pub need_id: i32,
    /// The result's id.
    pub achievement_id: i32,
    /// Score in 0..=1.
    pub score: f32,
    /// Why.
    pub reasons: MatchReasons,
}

/// Matching use cases.
#[derive(Debug, Clone)]
pub struct MatchService {
    ctx: Arc<Context>,
    index: Arc<SearchIndex>,
    search: SearchService,
}

fn listing_kind(kind: DocKind) -> ListingKind {
    match kind {
        DocKind::Achievement => ListingKind::Achievement,
        DocKind::Need => ListingKind::Need,
    }
}

impl MatchService {
    pub(crate) fn new(ctx: Arc<Context>, index: Arc<SearchIndex>, search: SearchService) -> Self {
        Self { ctx, index, search }
    }

    /// A page of the ranked matches of a listing the caller may see, best first, without the
    /// ones its owner dismissed. The ranking holds at most [`MAX_MATCHES`] and is the same for
    /// every page (so cursors stay valid); a page is at most [`MAX_MATCHES`] long, by default
    /// [`DEFAULT_MATCHES`]. Matches scoring below `min_score` are left out of the ranking. A
    /// listing the caller may not see is `NOT_FOUND`.
    pub async fn matches_for(
        &self,
        actor: &Actor,
        kind: ListingKind,
        id: i32,
        window: Window,
        min_score: Option<f32>,
    ) -> ServiceResult<Page<MatchView>> {
        // Refuse bad sizes before any work.
        window.resolve(0, DEFAULT_MATCHES, MAX_MATCHES as u64)?;
        if let Some(min) = min_score
            && !(0.0..=1.0).contains(&min)
        {
            return Err(ServiceError::coded(
                ErrorCode::InvalidArgument,
                "最低分数 minScore 应在 0 到 1 之间",
            ));
        }
        let what = match kind {
            ListingKind::Achievement => "科技成果",
            ListingKind::Need => "技术需求",
        };
        if self
            .search
            .visible(actor, doc_kind(kind), id)
            .await?
            .is_none()
        {
            return Err(ServiceError::not_found(what));
        }
        let Some(source) = self.search.listing_doc(doc_kind(kind), id).await? else {
            return Err(ServiceError::not_found(what));
        };
        let exclude = matches::dismissed_for(&self.ctx.db.conn, kind, id).await?;
        let req = MatchRequest {
            source,
            visibility: Visibility {
                need_visibilities: policy::listable_need_visibilities(actor),
                own_org: actor.organization_id(),
            },
            now: self.ctx.clock.now().timestamp(),
            limit: MAX_MATCHES,
            exclude,
        };
        let mut hits = self.run(req).await.map_err(ServiceError::Internal)?;
        if let Some(min) = min_score {
            hits.retain(|h| h.score >= min);
        }
        let mut page = window.slice(hits, DEFAULT_MATCHES, MAX_MATCHES as u64)?;
        let mut out = Vec::with_capacity(page.items.len());
        for hit in std::mem::take(&mut page.items) {
            // Read back through the listing services so the caller's redaction applies.
            let Some(counterpart) = self.search.visible(actor, hit.kind, hit.id).await? else {
                continue;
            };
            let (need_id, achievement_id) = match kind {
                ListingKind::Need => (id, hit.id),
                ListingKind::Achievement => (hit.id, id),
            };
            out.push(MatchView {
                counterpart,
                need_id,
                achievement_id,
                score: hit.score,
                reasons: hit.reasons,
            });
        }
        Ok(page.with_items(out))
    }

    async fn run(&self, req: MatchRequest) -> anyhow::Result<Vec<MatchHit>> {
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || index.matches(&req)).await?
    }

    /// Dismisses a match for the side(s) of it the caller's organisation owns; it stays
    /// dismissed when matches are recomputed.
    pub async fn dismiss(
        &self,
        actor: &Actor,
        need_id: i32,
        achievement_id: i32,
    ) -> ServiceResult<()> {
        let action = "dismissMatch";
        self.ctx
            .audited(actor, action, Target::of("Need", need_id), async {
                policy::require_signed_in(actor)?;
                let need = self
                    .search
                    .visible(actor, DocKind::Need, need_id)
                    .await?
                    .ok_or_else(|| ServiceError::not_found("技术需求"))?;
                let achievement = self
                    .search
                    .visible(actor, DocKind::Achievement, achievement_id)
                    .await?
                    .ok_or_else(|| ServiceError::not_found("科技成果"))?;
                let sides: Vec<ListingKind> = [
                    (ListingKind::Need, need.owner_id()),
                    (ListingKind::Achievement, achievement.owner_id()),
                ]
                .into_iter()
                .filter(|(_, owner)| policy::may_dismiss_match(actor, *owner))
                .map(|(side, _)| side)
                .collect();
                if sides.is_empty() {
                    return Err(ServiceError::coded(
                        ErrorCode::Forbidden,
                        "只有需求或成果所属机构的成员可以忽略这条匹配",
                    ));
                }
                let now = self.ctx.clock.now();
                let txn = self.ctx.db.begin_write().await?;
                for side in sides {
                    // A dismissal is one judgement, however often it is clicked.
                    if matches::dismiss(&txn, side, need_id, achievement_id, now).await? {
                        matches::record_judgement(
                            &txn,
                            need_id,
                            achievement_id,
                            matches::Judgement::dismissed_for(side),
                            None,
                            actor.user_id(),
                            now,
                        )
                        .await?;
                    }
                }
                self.ctx
                    .audit_ok(&txn, actor, action, Target::of("Need", need_id))
                    .await?;
                txn.commit().await?;
                tracing::info!(need_id, achievement_id, "match dismissed");
                Ok(())
            })
            .await
    }

    /// Judgements recorded on one match (dismissals, signed or declined pairings), oldest
    /// first: the data a later ranking can learn from (docs/matching.md, "Feedback").
    pub async fn judgements(
        &self,
        need_id: i32,
        achievement_id: i32,
    ) -> ServiceResult<Vec<crate::db::entities::match_judgement::Model>> {
        Ok(matches::judgements_for(&self.ctx.db.conn, need_id, achievement_id).await?)
    }

    /// Stored matches of a listing (computed by the background job), best first.
    pub async fn stored_for(
        &self,
        kind: ListingKind,
        id: i32,
        limit: u64,
    ) -> ServiceResult<Vec<crate::db::entities::listing_match::Model>> {
        Ok(matches::stored_for(&self.ctx.db.conn, kind, id, limit).await?)
    }

    /// Recomputes and stores the matches of listings changed since the job's cursor, up to
    /// what the index already holds. Returns the listings handled.
    pub async fn refresh_stored(&self) -> anyhow::Result<u64> {
        self.refresh_stored_while(|| async { true }).await
    }

    /// The matches the job stores for a live listing: its best [`STORED_PER_LISTING`] of
    /// every visibility and, for a result, its best public and anonymous needs too, so that
    /// confidential needs never crowd a public one out of the list and its alerts.
    async fn stored_matches_of(&self, doc: ListingDoc) -> anyhow::Result<Vec<MatchHit>> {
        let request = |visibility| MatchRequest {
            source: doc.clone(),
            visibility,
            now: self.ctx.clock.now().timestamp(),
            limit: STORED_PER_LISTING,
            exclude: HashSet::new(),
        };
        let mut hits = self.run(request(Visibility::default())).await?;
        if doc.kind == DocKind::Achievement {
            let public = Visibility {
                need_visibilities: vec![
                    NeedVisibility::Public.as_str(),
                    NeedVisibility::Anonymous.as_str(),
                ],
                own_org: None,
            };
            let have: HashSet<i32> = hits.iter().map(|h| h.id).collect();
            let more = self.run(request(public)).await?;
            hits.extend(more.into_iter().filter(|h| !have.contains(&h.id)));
        }
        Ok(hits)
    }

    /// [`Self::refresh_stored`], asking `still_ours` before each batch (the job's lease) and
    /// stopping when it says no. A batch whose cursor another run moved meanwhile is rolled
    /// back, so two runs never both announce one change.
    pub async fn refresh_stored_while<F, Fut>(&self, mut still_ours: F) -> anyhow::Result<u64>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let db = &self.ctx.db.conn;
        let mut handled = 0;
        loop {
            if !still_ours().await {
                break;
            }
            let cursor = matches::job_cursor(db, JOB).await?;
            let indexed = self.index.committed_state().outbox_cursor;
            if cursor >= indexed {
                break;
            }
            let rows = outbox::after(db, cursor, JOB_BATCH).await?;
            let rows: Vec<_> = rows
                .into_iter()
                .filter(|r| r.seq.is_some_and(|seq| seq <= indexed))
                .collect();
            let Some(last) = rows.last().and_then(|r| r.seq) else {
                break;
            };
            let mut seen = HashSet::new();
            // `None`: the listing left the market.
            let mut computed: HashMap<(ListingKind, i32), Option<Vec<NewMatch>>> = HashMap::new();
            let mut indexed = Vec::new();
            for row in &rows {
                let kind = ListingKind::of_row(row);
                if !seen.insert((kind, row.listing_id)) {
                    continue;
                }
                let found = match self
                    .search
                    .listing_doc(doc_kind(kind), row.listing_id)
                    .await?
                {
                    Some(doc) if doc.live => {
                        indexed.push(Indexed {
                            kind: doc.kind,
                            id: doc.id,
                            owner_id: doc.owner_id,
                            title: doc.title.clone(),
                        });
                        self.stored_matches_of(doc).await?
                    }
                    _ => {
                        computed.insert((kind, row.listing_id), None);
                        continue;
                    }
                };
                let stored = found
                    .into_iter()
                    .map(|hit| {
                        let (need_id, achievement_id) = match listing_kind(hit.kind) {
                            ListingKind::Achievement => (row.listing_id, hit.id),
                            ListingKind::Need => (hit.id, row.listing_id),
                        };
                        Ok(NewMatch {
                            need_id,
                            achievement_id,
                            score: f64::from(hit.score),
                            reasons: serde_json::to_string(&hit.reasons)?,
                        })
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?;
                computed.insert((kind, row.listing_id), Some(stored));
            }
            let now = self.ctx.clock.now();
            let threshold = self.ctx.settings.pairing.match_notify_threshold;
            let searches = notifications::all_saved_searches(db).await?;
            let hits = find_saved_search_hits(db, &self.index, &searches, &indexed, now).await?;
            let txn = self.ctx.db.begin_write().await?;
            let mut sent = Vec::new();
            for ((kind, id), stored) in &computed {
                let before = matches::pairs_of(&txn, *kind, *id).await?;
                matches::replace_for(&txn, *kind, *id, stored.as_deref(), now).await?;
                if let Some(stored) = stored {
                    sent.extend(announce_new_matches(&txn, stored, &before, threshold, now).await?);
                }
            }
            sent.extend(announce_saved_search_hits(&txn, &hits, now).await?);
            if !matches::advance_job_cursor(&txn, JOB, cursor, last).await? {
                tracing::warn!(
                    "stored matches: another run moved the cursor; this batch is dropped"
                );
                txn.rollback().await?;
                break;
            }
            txn.commit().await?;
            self.ctx.hub.publish(sent);
            handled += computed.len() as u64;
        }
        if handled > 0 {
            tracing::debug!(listings = handled, "stored matches refreshed");
        }
        Ok(handled)
    }
}
