//! Pushing opted-in listings to the markets: the push worker follows the outbox from its
//! cursor, plans one push per changed listing and retries failed ones.

use super::SyncService;
use crate::connectors::{Market, OutgoingListing};
use crate::db::outbox::ListingKind;
use crate::db::sync::{self as repo};
use crate::domain::{AchievementStatus, Listing, ListingSource, NeedVisibility};
use crate::error::ServiceResult;
use crate::ids::NodeType;
use crate::service::{Actor, Page, Window, policy};
use std::collections::HashSet;

impl SyncService {
    /// A page of the push rows (of one market and state, or all), most recently changed
    /// first; operators.
    pub async fn pushes(
        &self,
        actor: &Actor,
        market: Option<Market>,
        state: Option<&str>,
        window: Window,
    ) -> ServiceResult<Page<repo::PushRow>> {
        policy::require_operator(actor)?;
        let db = &self.ctx.db.conn;
        let market = market.map(Market::as_str);
        let total = repo::count_pushes(db, market, state).await?;
        self.ctx
            .paged(window, total, |offset, limit| {
                repo::page_pushes(db, market, state, offset, limit)
            })
            .await
    }

    /// Follows the listing outbox: every local listing of an opted-in organisation that changed
    /// is queued to be shown (live, and for needs public) or taken down at each market; then
    /// sends what is due. Failed pushes are retried later with a growing delay. Returns the
    /// pushes attempted. One pass runs at a time.
    pub async fn push_pending(&self) -> ServiceResult<u64> {
        self.push_pending_while(|| async { true }).await
    }

    /// [`Self::push_pending`], asking `still_ours` (the job's lease) before each step and
    /// stopping when it says no.
    pub async fn push_pending_while<F, Fut>(&self, mut still_ours: F) -> ServiceResult<u64>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        if self.connectors.is_empty() {
            return Ok(0);
        }
        let _one_pass = self.pushing.lock().await;
        let db = &self.ctx.db.conn;
        crate::db::outbox::sequence(&self.ctx.db).await?;
        loop {
            let cursor = crate::db::matches::job_cursor(db, PUSH_JOB).await?;
            let rows = crate::db::outbox::after(db, cursor, 500).await?;
            let Some(last) = rows.last().and_then(|r| r.seq) else {
                break;
            };
            let mut seen = HashSet::new();
            for row in &rows {
                let kind = ListingKind::of_row(row);
                if seen.insert((kind, row.listing_id)) {
                    self.plan_push(kind, row.listing_id).await?;
                }
            }
            if !crate::db::matches::advance_job_cursor(db, PUSH_JOB, cursor, last).await?
                || !still_ours().await
            {
                return Ok(0);
            }
        }
        let now = self.ctx.clock.now();
        let due = repo::due_pushes(db, now, 200).await?;
        let attempted = due.len() as u64;
        for row in due {
            if !still_ours().await {
                break;
            }
            let Some(market) = Market::parse(&row.market) else {
                continue;
            };
            let Some(connector) = self.connectors.get(&market) else {
                continue;
            };
            let kind = ListingKind::from_stored(&row.listing_kind);
            // The key the market first saw, for good; a new push is keyed by the global id,
            // never the row id (rows are numbered with hidden listings among them).
            let local_key = row.local_key.clone().unwrap_or_else(|| {
                let id = self
                    .ctx
                    .ids
                    .encode(NodeType::of_listing(kind), row.listing_id);
                format!("qianxian:{id}")
            });
            let outcome = if row.wanted == "WITHDRAWN" {
                match row.remote_id.as_deref() {
                    Some(remote) => connector.withdraw(kind, remote).await.map(|()| None),
                    None => Ok(None),
                }
            } else {
                match self.outgoing(kind, row.listing_id, &local_key).await? {
                    Some(listing) => connector
                        .push(&listing, row.remote_id.as_deref())
                        .await
                        .map(Some),
                    None => {
                        // No longer listed (a change this pass has not planned yet): plan it
                        // now, so the wish turns to a withdrawal, which the next pass sends,
                        // and this attempt records nothing over it.
                        self.plan_push(kind, row.listing_id).await?;
                        Ok(None)
                    }
                }
            };
            let now = self.ctx.clock.now();
            let recorded = match outcome {
                Ok(remote) => {
                    tracing::info!(market = market.as_str(), listing = row.listing_id, wanted = %row.wanted, "pushed to market");
                    Ok(remote)
                }
                Err(err) => {
                    let minutes = 1i64 << row.attempts.clamp(0, 9);
                    let retry_at = now + chrono::Duration::minutes(minutes.min(360));
                    tracing::warn!(market = market.as_str(), listing = row.listing_id, error = %err, %retry_at, "push failed; will retry");
                    Err((err.to_string(), retry_at))
                }
            };
            repo::record_push(db, &row, &local_key, recorded, now).await?;
        }
        Ok(attempted)
    }

    /// Decides what each market should show of one listing.
    pub(super) async fn plan_push(&self, kind: ListingKind, id: i32) -> ServiceResult<()> {
        let db = &self.ctx.db.conn;
        let now = self.ctx.clock.now();
        let (owner, source, listed) = match kind {
            ListingKind::Achievement => {
                match crate::db::listings::find::<crate::domain::Achievement, _>(db, id).await? {
                    Some(a) => (a.owner_id, a.source, listed_achievement(&a, now)),
                    None => return Ok(()),
                }
            }
            ListingKind::Need => {
                match crate::db::listings::find::<crate::domain::Need, _>(db, id).await? {
                    Some(n) => (n.owner_id, n.source, listed_need(&n, now)),
                    None => return Ok(()),
                }
            }
        };
        // Only what was entered here is published; market records are never echoed back.
        if source != ListingSource::Local {
            return Ok(());
        }
        let optins = repo::optins(db, owner).await?;
        for market in self.connectors.keys() {
            let opted = optins.iter().any(|m| m == market.as_str());
            let existing = repo::find_push(db, kind, id, market.as_str()).await?;
            if opted && listed {
                repo::want(db, kind, id, market.as_str(), "LISTED", now).await?;
            } else if existing.is_some_and(|p| p.wanted == "LISTED") {
                repo::want(db, kind, id, market.as_str(), "WITHDRAWN", now).await?;
            }
        }
        Ok(())
    }

    /// A local listing as we publish it, read as it is now; none if it is no longer one we
    /// list. A need made confidential or anonymous (or a listing withdrawn) after this pass
    /// planned its push is not sent: its text and its firm's name never leave.
    async fn outgoing(
        &self,
        kind: ListingKind,
        id: i32,
        local_key: &str,
    ) -> ServiceResult<Option<OutgoingListing>> {
        let db = &self.ctx.db.conn;
        let now = self.ctx.clock.now();
        let (owner, title, text, industries, discipline, trl, keywords) = match kind {
            ListingKind::Achievement => {
                match crate::db::listings::find::<crate::domain::Achievement, _>(db, id).await? {
                    Some(a) if listed_achievement(&a, now) => (
                        a.owner_id,
                        a.title,
                        a.summary,
                        a.industry_codes,
                        Some(a.discipline_code),
                        Some(i32::from(a.trl)),
                        a.keywords,
                    ),
                    _ => return Ok(None),
                }
            }
            ListingKind::Need => {
                match crate::db::listings::find::<crate::domain::Need, _>(db, id).await? {
                    Some(n) if listed_need(&n, now) => (
                        n.owner_id,
                        n.title,
                        n.problem,
                        n.industry_codes,
                        n.discipline_code,
                        n.min_trl.map(i32::from),
                        n.keywords,
                    ),
                    _ => return Ok(None),
                }
            }
        };
        let Some(org) = crate::db::organizations::find(db, owner).await? else {
            return Ok(None);
        };
        Ok(Some(OutgoingListing {
            local_key: local_key.to_owned(),
            kind,
            title,
            text,
            owner_name: org.name,
            owner_credit_code: org.credit_code,
            region: org.region_code,
            industries,
            discipline,
            trl,
            keywords,
        }))
    }
}

/// Whether partner markets list a result of ours: while it is published.
fn listed_achievement(a: &crate::domain::Achievement, now: chrono::DateTime<chrono::Utc>) -> bool {
    a.effective_status(now) == AchievementStatus::Published
}

/// Whether partner markets list a need of ours: while it is live and public (never a
/// confidential or anonymous one).
fn listed_need(n: &crate::domain::Need, now: chrono::DateTime<chrono::Utc>) -> bool {
    n.effective_status(now).is_live() && n.visibility == NeedVisibility::Public
}

/// The push worker's cursor name in `job_cursors`.
const PUSH_JOB: &str = "market_push";
