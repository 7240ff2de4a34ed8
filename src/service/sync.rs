//! Pulling listings from the markets: one run reads a market's change pages from the stored
//! cursor and applies each record through the listing services (same validation as the API),
//! then stores the cursor, so a crash or restart resumes after the last applied page and a
//! re-applied page changes nothing.
//!
//! Per record: a new one creates the listing (and its owner organisation, unverified, when the
//! credit code is unknown) and publishes it, unless it is recognised as a listing we already
//! hold (same owner and the same normalised title, a shared patent number, or near-identical
//! titles), in which case it is linked to that listing as another source; a changed one updates
//! the listing it created; a removed one withdraws it. Stale and duplicate records (an update
//! time not newer than the one applied) change nothing. A record that cannot be read or fails
//! validation is quarantined with its error and the run goes on. A market that fails mid-run
//! fails the run; nothing local is deleted or blanked.

use crate::connectors::{Market, MarketConnector, OutgoingListing, RemoteListing};
use crate::db::outbox::ListingKind;
use crate::db::sync::{self as repo, NewLink, RunCounts, RunRow};
use crate::domain::{
    AchievementStatus, Listing, ListingSource, MaturityStage, NeedStatus, NeedVisibility,
    OrganizationKind,
};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::service::achievements::AchievementService;
use crate::service::dedup::Siblings;
use crate::service::inputs::{AchievementInput, IpInput, NeedInput, OrganizationInput, PriceInput};
use crate::service::jobs::{Job, JobService};
use crate::service::needs::NeedService;
use crate::service::organizations::OrganizationService;
use crate::service::{Actor, Context, Page, Window, policy};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// The push worker's cursor name in `job_cursors`.
const PUSH_JOB: &str = "market_push";

/// What a run was started by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The configured schedule.
    Schedule,
    /// `qianxian sync`.
    Command,
    /// An operator, through GraphQL.
    Operator,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Self::Schedule => "SCHEDULE",
            Self::Command => "COMMAND",
            Self::Operator => "OPERATOR",
        }
    }
}

/// A started run holding its market's lock.
struct RunHandle {
    run: RunRow,
    market: Market,
    connector: Arc<dyn MarketConnector>,
    _guard: RunningGuard,
}

/// Releases a market's lock when the run ends, however it ends.
struct RunningGuard {
    market: Market,
    running: Arc<Mutex<HashSet<Market>>>,
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.market);
    }
}

/// What happened to one record.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Created,
    Updated,
    Unchanged,
    Withdrawn,
    Merged,
    Quarantined(String),
}

/// Market sync use cases.
#[derive(Clone)]
pub struct SyncService {
    ctx: Arc<Context>,
    achievements: AchievementService,
    needs: NeedService,
    organizations: OrganizationService,
    connectors: HashMap<Market, Arc<dyn MarketConnector>>,
    running: Arc<Mutex<HashSet<Market>>>,
    /// Leases: a run holds its market's across every replica and `qianxian sync`.
    jobs: JobService,
    /// Held for a whole [`SyncService::push_pending`]: two passes at once would each plan from
    /// the same outbox cursor and could send one listing twice or undo a recorded failure.
    pushing: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for SyncService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncService")
            .field("markets", &self.connectors.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl SyncService {
    pub(crate) fn new(
        ctx: Arc<Context>,
        achievements: AchievementService,
        needs: NeedService,
        organizations: OrganizationService,
        jobs: JobService,
    ) -> Self {
        let connectors = ctx.settings.connectors.build();
        Self {
            ctx,
            achievements,
            needs,
            organizations,
            connectors,
            jobs,
            running: Arc::new(Mutex::new(HashSet::new())),
            pushing: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Markets with a configured connector.
    pub fn markets(&self) -> Vec<Market> {
        Market::ALL
            .into_iter()
            .filter(|m| self.connectors.contains_key(m))
            .collect()
    }

    /// Runs one sync of `market` to its end; operators (or the system). The run is recorded
    /// whatever happens; a market failure ends it `FAILED` with the error and keeps everything
    /// local. `progress` sees the counts after each page.
    pub async fn run(
        &self,
        actor: &Actor,
        market: Market,
        trigger: Trigger,
        progress: impl Fn(&RunCounts),
    ) -> ServiceResult<RunRow> {
        let handle = self.begin(actor, market, trigger).await?;
        self.complete(handle, progress).await
    }

    /// Starts a run and carries it on in the background; returns the run as started.
    pub async fn start(&self, actor: &Actor, market: Market) -> ServiceResult<RunRow> {
        let handle = self.begin(actor, market, Trigger::Operator).await?;
        let started = handle.run.clone();
        let me = self.clone();
        tokio::spawn(async move {
            if let Err(err) = me.complete(handle, |_| {}).await {
                tracing::error!(error = ?err, "sync run failed inside the service");
            }
        });
        Ok(started)
    }

    /// Checks the caller and the configuration, takes the market's lock and records the run.
    async fn begin(
        &self,
        actor: &Actor,
        market: Market,
        trigger: Trigger,
    ) -> ServiceResult<RunHandle> {
        policy::require_operator(actor)?;
        let connector = self.connectors.get(&market).cloned().ok_or_else(|| {
            ServiceError::coded(
                ErrorCode::InvalidArgument,
                format!(
                    "未配置{}的接入参数（connectors.{}）",
                    market.label_zh(),
                    market.as_str()
                ),
            )
        })?;
        if !self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(market)
        {
            return Err(ServiceError::coded(
                ErrorCode::Conflict,
                format!("{}正在同步，请等本次同步结束", market.label_zh()),
            ));
        }
        let guard = RunningGuard {
            market,
            running: self.running.clone(),
        };
        // Across replicas and processes: one run per market. Holding the lease also means a
        // run still marked running was abandoned (its holder died), so it is failed below.
        if !self.jobs.hold(Job::SyncRun(market)).await? {
            return Err(ServiceError::coded(
                ErrorCode::Conflict,
                format!("{}正在同步，请等本次同步结束", market.label_zh()),
            ));
        }
        let db = &self.ctx.db.conn;
        let now = self.ctx.clock.now();
        repo::fail_abandoned_runs(db, market.as_str(), now).await?;
        let run = repo::start_run(db, market.as_str(), trigger.as_str(), now).await?;
        tracing::info!(
            market = market.as_str(),
            run = run.id,
            trigger = trigger.as_str(),
            "sync started"
        );
        Ok(RunHandle {
            run,
            market,
            connector,
            _guard: guard,
        })
    }

    async fn complete(
        &self,
        handle: RunHandle,
        progress: impl Fn(&RunCounts),
    ) -> ServiceResult<RunRow> {
        let market = handle.market;
        let result = self.pull(handle, progress).await;
        self.jobs.release(Job::SyncRun(market)).await;
        result
    }

    async fn pull(
        &self,
        handle: RunHandle,
        progress: impl Fn(&RunCounts),
    ) -> ServiceResult<RunRow> {
        let RunHandle {
            run,
            market,
            connector,
            _guard,
        } = handle;
        let db = &self.ctx.db.conn;
        let mut counts = RunCounts::default();
        let cursor = repo::cursor(db, market.as_str()).await?;
        let mut cache = RunCache {
            tracks: Arc::new(crate::db::tracks::all(db).await?),
            ..Default::default()
        };
        // The next page is fetched while this one is written; the cursor stored with each
        // page is still the one that page ends at, so a crash resumes exactly there.
        let mut pages = prefetch(connector, cursor, 2);
        let failure = loop {
            let page = match pages.recv().await {
                Some(Ok(page)) => page,
                Some(Err(err)) => break Some(err),
                None => break None,
            };
            counts.fetched += (page.records.len() + page.bad.len()) as i64;
            if !self.jobs.hold(Job::SyncRun(market)).await? {
                // Paused past the lease: another run may have started; stop writing.
                break Some("同步中断：本次同步的租约已被另一进程接管".to_owned());
            }
            self.apply_page(market, run.id, &page, &mut counts, &mut cache)
                .await?;
            progress(&counts);
        };
        let (status, error) = match &failure {
            None => ("SUCCEEDED", None),
            Some(e) => ("FAILED", Some(e.clone())),
        };
        repo::record_run(
            db,
            run.id,
            counts,
            Some((status, error, self.ctx.clock.now())),
        )
        .await?;
        match &failure {
            None => tracing::info!(
                market = market.as_str(),
                run = run.id,
                ?counts,
                "sync finished"
            ),
            Some(e) => {
                tracing::warn!(market = market.as_str(), run = run.id, error = %e, ?counts, "sync failed; local data kept")
            }
        }
        Ok(repo::run(db, run.id).await?.unwrap_or(run))
    }

    /// A page of the runs (of one market, or all), newest first; operators.
    pub async fn runs(
        &self,
        actor: &Actor,
        market: Option<Market>,
        window: Window,
    ) -> ServiceResult<Page<RunRow>> {
        policy::require_operator(actor)?;
        let db = &self.ctx.db.conn;
        let market = market.map(Market::as_str);
        let total = repo::count_runs(db, market).await?;
        self.ctx
            .paged(window, total, |offset, limit| {
                repo::page_runs(db, market, offset, limit)
            })
            .await
    }

    /// The records one run quarantined; operators.
    pub async fn quarantined(
        &self,
        actor: &Actor,
        run_id: i32,
    ) -> ServiceResult<Vec<repo::QuarantinedRow>> {
        policy::require_operator(actor)?;
        Ok(repo::quarantined(&self.ctx.db.conn, run_id).await?)
    }

    /// Where a listing came from: every market record linked to it.
    pub async fn sources(
        &self,
        kind: ListingKind,
        listing_ids: &[i32],
    ) -> ServiceResult<Vec<repo::SourceLink>> {
        Ok(repo::links_of(&self.ctx.db.conn, kind, listing_ids).await?)
    }

    /// Opts an organisation in or out of publishing its listings to a market; its admins (or
    /// operators). Opting in queues every live listing of the organisation.
    pub async fn set_publishing(
        &self,
        actor: &Actor,
        organization_id: i32,
        market: Market,
        enabled: bool,
    ) -> ServiceResult<Vec<Market>> {
        policy::require_org_admin(actor, organization_id)?;
        let txn = self.ctx.db.begin_write().await?;
        crate::db::organizations::find(&txn, organization_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("机构"))?;
        repo::set_optin(
            &txn,
            organization_id,
            market.as_str(),
            enabled,
            self.ctx.clock.now(),
        )
        .await?;
        let markets = repo::optins(&txn, organization_id).await?;
        txn.commit().await?;
        if enabled {
            for (kind, id) in repo::listings_of_owner(&self.ctx.db.conn, organization_id).await? {
                self.plan_push(kind, id).await?;
            }
        }
        Ok(markets.iter().filter_map(|m| Market::parse(m)).collect())
    }

    /// Undoes a wrong merge: the market record linked to an existing listing becomes a listing
    /// of its own, created from the record as last received; operators. Later syncs update it.
    pub async fn split(
        &self,
        actor: &Actor,
        market: Market,
        external_id: &str,
    ) -> ServiceResult<(ListingKind, i32)> {
        policy::require_operator(actor)?;
        let db = &self.ctx.db.conn;
        let link = repo::find_link(db, market.source().as_str(), external_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("来源记录"))?;
        if link.link != "matched" {
            return Err(ServiceError::coded(
                ErrorCode::InvalidStateTransition,
                "这条来源记录创建了该信息本身，不是合并进来的，无需拆分",
            ));
        }
        let kind = ListingKind::from_stored(&link.listing_kind);
        let r = crate::connectors::reread(market, kind, &link.payload)
            .map_err(|b| ServiceError::coded(ErrorCode::InvalidArgument, b.error))?;
        let owner = self.owner(market, &r).await?;
        let tracks = crate::db::tracks::all(db).await?;
        let txn = self.ctx.db.begin_write().await?;
        let id = match kind {
            ListingKind::Achievement => {
                let input = achievement_input(&r)
                    .map_err(|why| ServiceError::coded(ErrorCode::InvalidArgument, why))?;
                self.achievements
                    .import_in(&txn, owner, &input, market.source(), external_id, &tracks)
                    .await?
                    .id
            }
            ListingKind::Need => {
                self.needs
                    .import_in(
                        &txn,
                        owner,
                        &need_input(&r),
                        market.source(),
                        external_id,
                        &tracks,
                    )
                    .await?
                    .id
            }
        };
        repo::relink(&txn, link.id, id, "created", self.ctx.clock.now()).await?;
        self.ctx
            .audit_ok(
                &txn,
                actor,
                "splitListingSource",
                crate::service::audit::Target::of(
                    if kind == ListingKind::Need {
                        "Need"
                    } else {
                        "Achievement"
                    },
                    id,
                ),
            )
            .await?;
        txn.commit().await?;
        tracing::info!(
            market = market.as_str(),
            external_id,
            from = link.listing_id,
            to = id,
            "merged record split off"
        );
        Ok((kind, id))
    }

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
            let outcome = if row.wanted == "WITHDRAWN" {
                match row.remote_id.as_deref() {
                    Some(remote) => connector.withdraw(kind, remote).await.map(|()| None),
                    None => Ok(None),
                }
            } else {
                match self.outgoing(kind, row.listing_id).await? {
                    Some(listing) => connector
                        .push(&listing, row.remote_id.as_deref())
                        .await
                        .map(Some),
                    None => Ok(None),
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
            repo::record_push(db, &row, recorded, now).await?;
        }
        Ok(attempted)
    }

    /// Decides what each market should show of one listing.
    async fn plan_push(&self, kind: ListingKind, id: i32) -> ServiceResult<()> {
        let db = &self.ctx.db.conn;
        let now = self.ctx.clock.now();
        let (owner, source, listed) = match kind {
            ListingKind::Achievement => match crate::db::achievements::find(db, id).await? {
                Some(a) => (
                    a.owner_id,
                    a.source,
                    a.effective_status(now) == AchievementStatus::Published,
                ),
                None => return Ok(()),
            },
            ListingKind::Need => match crate::db::needs::find(db, id).await? {
                Some(n) => (
                    n.owner_id,
                    n.source,
                    n.effective_status(now).is_live() && n.visibility == NeedVisibility::Public,
                ),
                None => return Ok(()),
            },
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

    /// A local listing as we publish it.
    async fn outgoing(&self, kind: ListingKind, id: i32) -> ServiceResult<Option<OutgoingListing>> {
        let db = &self.ctx.db.conn;
        let (owner, title, text, industries, discipline, trl, keywords) = match kind {
            ListingKind::Achievement => match crate::db::achievements::find(db, id).await? {
                Some(a) => (
                    a.owner_id,
                    a.title,
                    a.summary,
                    a.industry_codes,
                    Some(a.discipline_code),
                    Some(i32::from(a.trl)),
                    a.keywords,
                ),
                None => return Ok(None),
            },
            ListingKind::Need => match crate::db::needs::find(db, id).await? {
                Some(n) => (
                    n.owner_id,
                    n.title,
                    n.problem,
                    n.industry_codes,
                    n.discipline_code,
                    n.min_trl.map(i32::from),
                    n.keywords,
                ),
                None => return Ok(None),
            },
        };
        let Some(org) = crate::db::organizations::find(db, owner).await? else {
            return Ok(None);
        };
        Ok(Some(OutgoingListing {
            local_key: format!("qianxian:{}:{id}", kind.as_str()),
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

    /// Applies one page. Records we hold already (updates, removals) go one by one through
    /// the listing services; new records are created or linked in one transaction together
    /// with the page's quarantine rows, the run's counts and the cursor, so a crash leaves
    /// either the whole page applied or none of it.
    async fn apply_page(
        &self,
        market: Market,
        run_id: i32,
        page: &crate::connectors::Page,
        counts: &mut RunCounts,
        cache: &mut RunCache,
    ) -> ServiceResult<()> {
        let db = &self.ctx.db.conn;
        let source = market.source();
        let ids: Vec<&str> = page
            .records
            .iter()
            .map(|r| r.external_id.as_str())
            .collect();
        let known = repo::known_external_ids(db, source.as_str(), &ids).await?;
        let mut quarantine: Vec<(Option<String>, String, String)> = page
            .bad
            .iter()
            .map(|b| (b.external_id.clone(), b.raw.clone(), b.error.clone()))
            .collect();
        counts.quarantined += quarantine.len() as i64;
        // The newest version of each new record in this page (pages may repeat records).
        let mut fresh: Vec<&RemoteListing> = Vec::new();
        for r in &page.records {
            if !r.unmapped.is_empty() {
                counts.unmapped += 1;
            }
            if known.contains(r.external_id.as_str()) {
                let outcome = self.apply(market, r).await?;
                tally(counts, &mut quarantine, r, outcome);
            } else if r.removed {
                counts.unchanged += 1;
            } else if let Some(i) = fresh.iter().position(|f| f.external_id == r.external_id) {
                counts.unchanged += 1;
                if r.updated_at > fresh[i].updated_at {
                    fresh[i] = r;
                }
            } else {
                fresh.push(r);
            }
        }
        // Owners first: a new organisation is its own write.
        let mut ready: Vec<(&RemoteListing, i32)> = Vec::with_capacity(fresh.len());
        for r in fresh {
            match self.owner_cached(market, r, cache).await {
                Ok(owner) => ready.push((r, owner)),
                Err(ServiceError::Invalid(fields)) => {
                    tally(counts, &mut quarantine, r, quarantined(&fields))
                }
                Err(ServiceError::Coded { message, .. }) => {
                    tally(counts, &mut quarantine, r, Outcome::Quarantined(message))
                }
                Err(e) => return Err(e),
            }
        }
        let txn = self.ctx.db.begin_write().await?;
        for (r, owner) in ready {
            let outcome = self.create_or_link(&txn, market, r, owner, cache).await?;
            tally(counts, &mut quarantine, r, outcome);
        }
        let now = self.ctx.clock.now();
        for (external_id, raw, error) in &quarantine {
            repo::quarantine(
                &txn,
                run_id,
                market.as_str(),
                external_id.as_deref(),
                raw,
                error,
                now,
            )
            .await?;
        }
        repo::set_cursor(&txn, market.as_str(), &page.next_cursor, now).await?;
        repo::record_run(&txn, run_id, *counts, None).await?;
        self.ctx
            .audit_ok(
                &txn,
                &Actor::System,
                "syncPage",
                crate::service::audit::Target::of("SyncRun", run_id),
            )
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Creates a new record's listing, or links it to the listing it duplicates.
    async fn create_or_link(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        market: Market,
        r: &RemoteListing,
        owner: i32,
        cache: &mut RunCache,
    ) -> ServiceResult<Outcome> {
        let source = market.source();
        let tracks = cache.tracks.clone();
        let siblings = cache.siblings(&self.ctx.db.conn, r.kind, owner).await?;
        if let Some(existing) = siblings.find(&r.title, &r.patents) {
            repo::save_link(
                txn,
                link_of(r, market, existing, "matched"),
                self.ctx.clock.now(),
            )
            .await?;
            tracing::info!(market = market.as_str(), external_id = %r.external_id, listing = existing, "record recognised as an existing listing");
            return Ok(Outcome::Merged);
        }
        let created = match r.kind {
            ListingKind::Achievement => {
                let input = match achievement_input(r) {
                    Ok(input) => input,
                    Err(why) => return Ok(Outcome::Quarantined(why)),
                };
                self.achievements
                    .import_in(txn, owner, &input, source, &r.external_id, &tracks)
                    .await
                    .map(|a| a.id)
            }
            ListingKind::Need => self
                .needs
                .import_in(txn, owner, &need_input(r), source, &r.external_id, &tracks)
                .await
                .map(|n| n.id),
        };
        let id = match created {
            Ok(id) => id,
            Err(ServiceError::Invalid(fields)) => return Ok(quarantined(&fields)),
            Err(e) => return Err(e),
        };
        repo::save_link(txn, link_of(r, market, id, "created"), self.ctx.clock.now()).await?;
        siblings.push(id, &r.title, &r.patents);
        Ok(Outcome::Created)
    }

    async fn owner_cached(
        &self,
        market: Market,
        r: &RemoteListing,
        cache: &mut RunCache,
    ) -> ServiceResult<i32> {
        let code = r
            .owner
            .credit_code
            .as_deref()
            .map(str::trim)
            .unwrap_or_default();
        if let Some(id) = cache.owners.get(code) {
            return Ok(*id);
        }
        let id = self.owner(market, r).await?;
        cache.owners.insert(code.to_owned(), id);
        Ok(id)
    }

    async fn apply(&self, market: Market, r: &RemoteListing) -> ServiceResult<Outcome> {
        let db = &self.ctx.db.conn;
        let source = market.source();
        let mut link = repo::find_link(db, source.as_str(), &r.external_id).await?;
        if link.is_none() {
            // Created in an earlier attempt whose link write was lost: the listing holds the id.
            if let Some(id) = self.find_created(r.kind, source, &r.external_id).await? {
                self.save_link(r, market, id, "created").await?;
                link = repo::find_link(db, source.as_str(), &r.external_id).await?;
            }
        }
        let unchanged = link
            .as_ref()
            .is_some_and(|l| r.updated_at <= l.remote_updated_at && r.removed == l.removed);
        if unchanged {
            return Ok(Outcome::Unchanged);
        }
        if r.removed {
            let Some(link) = link else {
                return Ok(Outcome::Unchanged);
            };
            if link.link == "created" {
                self.withdraw(r.kind, link.listing_id).await?;
            }
            self.save_link(r, market, link.listing_id, &link.link)
                .await?;
            return Ok(Outcome::Withdrawn);
        }
        if let Some(link) = link {
            if link.link == "created" {
                let outcome = self.replace(r, link.listing_id, link.removed).await?;
                if let Outcome::Quarantined(_) = outcome {
                    return Ok(outcome);
                }
            }
            self.save_link(r, market, link.listing_id, &link.link)
                .await?;
            return Ok(Outcome::Updated);
        }
        // Unknown records are created page-wise in `apply_page`.
        Ok(Outcome::Unchanged)
    }

    async fn find_created(
        &self,
        kind: ListingKind,
        source: ListingSource,
        external_id: &str,
    ) -> ServiceResult<Option<i32>> {
        Ok(match kind {
            ListingKind::Achievement => self
                .achievements
                .find_external(&Actor::System, source, external_id)
                .await?
                .map(|a| a.id),
            ListingKind::Need => self
                .needs
                .find_external(&Actor::System, source, external_id)
                .await?
                .map(|n| n.need.id),
        })
    }

    async fn save_link(
        &self,
        r: &RemoteListing,
        market: Market,
        listing_id: i32,
        link: &str,
    ) -> ServiceResult<()> {
        repo::save_link(
            &self.ctx.db.conn,
            NewLink {
                kind: r.kind,
                listing_id,
                source: market.source().as_str(),
                external_id: &r.external_id,
                remote_updated_at: r.updated_at,
                removed: r.removed,
                link,
                payload: &r.raw,
                unmapped: serde_json::to_string(&r.unmapped).unwrap_or_else(|_| "[]".into()),
            },
            self.ctx.clock.now(),
        )
        .await?;
        Ok(())
    }

    /// Withdraws a listing the market took down, if it is live.
    async fn withdraw(&self, kind: ListingKind, id: i32) -> ServiceResult<()> {
        let r = match kind {
            ListingKind::Achievement => self
                .achievements
                .withdraw(&Actor::System, id)
                .await
                .map(|_| ()),
            ListingKind::Need => self.needs.withdraw(&Actor::System, id).await.map(|_| ()),
        };
        match r {
            Ok(()) => Ok(()),
            // Already withdrawn, closed or transferred here: nothing to undo.
            Err(ServiceError::Coded {
                code: ErrorCode::InvalidStateTransition,
                ..
            }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Updates a listing this market created; republishes it when the market had taken it
    /// down and lists it again (unless an operator moderated it here).
    async fn replace(
        &self,
        r: &RemoteListing,
        id: i32,
        was_removed: bool,
    ) -> ServiceResult<Outcome> {
        let result = match r.kind {
            ListingKind::Achievement => {
                let input = match achievement_input(r) {
                    Ok(input) => input,
                    Err(why) => return Ok(Outcome::Quarantined(why)),
                };
                match self.achievements.replace_imported(id, &input).await {
                    Ok(a) => {
                        if was_removed
                            && a.moderation_note.is_none()
                            && matches!(
                                a.status,
                                AchievementStatus::Withdrawn | AchievementStatus::Expired
                            )
                        {
                            self.achievements.publish_imported(id).await?;
                        }
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
            ListingKind::Need => match self.needs.replace_imported(id, &need_input(r)).await {
                Ok(n) => {
                    if was_removed
                        && n.need.moderation_note.is_none()
                        && matches!(n.need.status, NeedStatus::Withdrawn | NeedStatus::Expired)
                    {
                        self.needs.publish_imported(id).await?;
                    }
                    Ok(())
                }
                Err(e) => Err(e),
            },
        };
        match result {
            Ok(()) => Ok(Outcome::Updated),
            Err(ServiceError::Invalid(fields)) => Ok(quarantined(&fields)),
            // Transferred or signed here: the local state wins; the link still records the update.
            Err(ServiceError::Coded {
                code: ErrorCode::InvalidStateTransition,
                ..
            }) => Ok(Outcome::Updated),
            Err(e) => Err(e),
        }
    }

    /// The local organisation of a record's owner, created unverified when its credit code is
    /// new to us.
    async fn owner(&self, market: Market, r: &RemoteListing) -> ServiceResult<i32> {
        let code = r
            .owner
            .credit_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                ServiceError::coded(
                    ErrorCode::InvalidCreditCode,
                    "缺少所属机构的统一社会信用代码，无法确认机构",
                )
            })?;
        if let Some(org) = self
            .organizations
            .find_by_credit_code(&Actor::System, code)
            .await?
        {
            return Ok(org.id);
        }
        let name = r.owner.name.trim();
        let kind = if name.contains("大学") || name.contains("学院") {
            OrganizationKind::University
        } else if name.contains("研究所") || name.contains("研究院") || name.contains("科学院")
        {
            OrganizationKind::ResearchInstitute
        } else {
            OrganizationKind::Enterprise
        };
        let input = OrganizationInput {
            kind,
            name: name.to_owned(),
            credit_code: code.to_owned(),
            region: r.owner.region.clone().unwrap_or_default(),
            description: format!("由{}同步的机构信息，尚未在本平台认证。", market.label_zh()),
            contact_name: None,
            contact_phone: None,
            contact_email: None,
        };
        match self.organizations.create(&Actor::System, &input).await {
            Ok(org) => Ok(org.id),
            // Created meanwhile (another market's run, or someone registering it): use it.
            Err(ServiceError::Coded {
                code: ErrorCode::Conflict,
                ..
            }) => self
                .organizations
                .find_by_credit_code(&Actor::System, code)
                .await?
                .map(|org| org.id)
                .ok_or_else(|| {
                    ServiceError::coded(ErrorCode::Conflict, "机构正被同时登记，请稍后重试")
                }),
            Err(err) => Err(err),
        }
    }
}

/// Pulls pages from `cursor` on a task of its own, at most `ahead` pages before the consumer;
/// the channel closes after the last page, or after an error (the failed pull's message).
fn prefetch(
    connector: Arc<dyn MarketConnector>,
    mut cursor: Option<String>,
    ahead: usize,
) -> tokio::sync::mpsc::Receiver<Result<crate::connectors::Page, String>> {
    let (tx, rx) = tokio::sync::mpsc::channel(ahead.max(1));
    tokio::spawn(async move {
        loop {
            let page = connector.pull(cursor.as_deref()).await;
            let (more, next) = match &page {
                Ok(p) => (p.more, Some(p.next_cursor.clone())),
                Err(_) => (false, None),
            };
            if tx.send(page.map_err(|e| e.to_string())).await.is_err() || !more {
                return;
            }
            cursor = next;
        }
    });
    rx
}

/// What one run remembers: owners by credit code, and each owner's listings for duplicate
/// detection (loaded once per owner, then kept up to date as the run creates listings).
#[derive(Default)]
struct RunCache {
    tracks: Arc<Vec<crate::domain::PriorityTrack>>,
    owners: HashMap<String, i32>,
    siblings: HashMap<(ListingKind, i32), Siblings>,
}

impl RunCache {
    async fn siblings(
        &mut self,
        db: &sea_orm::DatabaseConnection,
        kind: ListingKind,
        owner: i32,
    ) -> ServiceResult<&mut Siblings> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.siblings.entry((kind, owner))
        {
            slot.insert(Siblings::of_owner(db, kind, owner).await?);
        }
        Ok(self
            .siblings
            .get_mut(&(kind, owner))
            .expect("just inserted"))
    }
}

fn link_of<'a>(
    r: &'a RemoteListing,
    market: Market,
    listing_id: i32,
    link: &'a str,
) -> NewLink<'a> {
    NewLink {
        kind: r.kind,
        listing_id,
        source: market.source().as_str(),
        external_id: &r.external_id,
        remote_updated_at: r.updated_at,
        removed: r.removed,
        link,
        payload: &r.raw,
        unmapped: serde_json::to_string(&r.unmapped).unwrap_or_else(|_| "[]".into()),
    }
}

/// Adds one record's outcome to the counts; a quarantined record joins the page's list.
fn tally(
    counts: &mut RunCounts,
    quarantine: &mut Vec<(Option<String>, String, String)>,
    r: &RemoteListing,
    outcome: Outcome,
) {
    match outcome {
        Outcome::Created => counts.created += 1,
        Outcome::Updated => counts.updated += 1,
        Outcome::Unchanged => counts.unchanged += 1,
        Outcome::Withdrawn => counts.withdrawn += 1,
        Outcome::Merged => counts.merged += 1,
        Outcome::Quarantined(error) => {
            counts.quarantined += 1;
            quarantine.push((Some(r.external_id.clone()), r.raw.clone(), error));
        }
    }
}

fn quarantined(fields: &[crate::error::FieldError]) -> Outcome {
    Outcome::Quarantined(
        fields
            .iter()
            .map(|f| format!("{}：{}", f.field.join("."), f.message))
            .collect::<Vec<_>>()
            .join("；"),
    )
}

fn price(r: &RemoteListing) -> Option<PriceInput> {
    r.price_yuan.map(|p| PriceInput {
        min: Some(p),
        max: Some(p),
    })
}

/// Patent numbers that are valid Chinese patent numbers; others are dropped (they are in the
/// stored record and reported as unmapped by the connector's caller).
fn patents(r: &RemoteListing) -> Vec<IpInput> {
    r.patents
        .iter()
        .filter_map(|raw| IpInput::patent(raw, "ip").ok())
        .collect()
}

fn achievement_input(r: &RemoteListing) -> Result<AchievementInput, String> {
    let trl = r
        .trl
        .ok_or_else(|| "缺少可识别的技术成熟度（TRL），无法导入成果".to_owned())?;
    Ok(AchievementInput {
        title: r.title.clone(),
        summary: r.text.clone(),
        confidential_detail: None,
        keywords: r.keywords.iter().take(10).cloned().collect(),
        application_fields: String::new(),
        advantages: String::new(),
        requirements: String::new(),
        discipline: r.discipline.clone().unwrap_or_default(),
        industries: r.industries.clone(),
        trl,
        maturity: MaturityStage::typical_at(trl),
        transfer_modes: r
            .modes
            .iter()
            .copied()
            .filter(|m| m.offered_by_achievements())
            .collect(),
        price: price(r),
        team_lead: String::new(),
        inventors: Vec::new(),
        registration_number: None,
        tracks: Vec::new(),
        ip: patents(r),
    })
}

fn need_input(r: &RemoteListing) -> NeedInput {
    NeedInput {
        title: r.title.clone(),
        problem: r.text.clone(),
        requirements: String::new(),
        confidential_detail: None,
        keywords: r.keywords.iter().take(10).cloned().collect(),
        industries: r.industries.clone(),
        discipline: r.discipline.clone(),
        min_trl: r.trl,
        cooperation_modes: r.modes.clone(),
        budget: price(r),
        deadline: None,
        visibility: NeedVisibility::Public,
        tracks: Vec::new(),
    }
}
