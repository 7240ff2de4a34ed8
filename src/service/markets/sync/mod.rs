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
//!
//! This file starts and completes runs and pulls pages; `apply.rs` applies a page, `records.rs`
//! maps a record to listing input, `push.rs` pushes opted-in listings, `operators.rs` serves
//! what operators see and change.

mod apply;
mod operators;
mod push;
mod records;

use crate::connectors::{Market, MarketConnector};
use crate::db::sync::{self as repo, RunCounts, RunRow};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::service::jobs::{Job, JobService};
use crate::service::listings::achievements::AchievementService;
use crate::service::listings::needs::NeedService;
use crate::service::listings::organizations::OrganizationService;
use crate::service::{Actor, Context, policy};
use apply::RunCache;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

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
