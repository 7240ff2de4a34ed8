//! Cluster-wide background jobs: the expiry sweep, stored matches (and their alerts), market
//! pushes and scheduled syncs must run on one replica at a time, however many `serve`
//! processes share the database. Each job has a lease in the database (`job_leases`); a
//! replica runs a job's pass only while it holds the lease, renews it as it goes, and gives
//! it back when it stops. A replica that dies keeps its leases only until they expire, so
//! another takes its work over within one lease period.
//!
//! Leases keep a job from running twice at once; what a job sends is also idempotent by key
//! (notifications, pushes), so the short overlap a paused holder could cause harms nothing.

use crate::connectors::Market;
use crate::db::leases;
use crate::error::ServiceResult;
use crate::service::Context;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A job that runs once across the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    /// Listing expiry and pairing deadlines.
    Sweep,
    /// Stored matches, new-match and saved-search alerts.
    StoredMatches,
    /// Publishing opted-in listings to the markets.
    MarketPush,
    /// The scheduled pull from one market: which replica keeps the schedule.
    Sync(Market),
    /// A pull from one market in progress (scheduled, by an operator, or `qianxian sync`):
    /// held for the run, renewed page by page, so two runs never pull one market at once.
    SyncRun(Market),
}

impl Job {
    /// The lease's name.
    pub fn name(self) -> String {
        match self {
            Self::Sweep => "sweep".to_owned(),
            Self::StoredMatches => "stored-matches".to_owned(),
            Self::MarketPush => "market-push".to_owned(),
            Self::Sync(m) => format!("sync-{}", m.as_str()),
            Self::SyncRun(m) => format!("sync-run-{}", m.as_str()),
        }
    }
}

/// This replica's leases.
#[derive(Debug, Clone)]
pub struct JobService {
    ctx: Arc<Context>,
    /// Names this replica in `job_leases`.
    holder: String,
    /// Until when this replica knows it holds each lease.
    held: Arc<Mutex<HashMap<Job, DateTime<Utc>>>>,
}

impl JobService {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        let host = std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "host".to_owned());
        let holder = format!(
            "{host}/{}/{}",
            std::process::id(),
            crate::service::accounts::tokens::session_id()
        );
        Self {
            ctx,
            holder,
            held: Arc::default(),
        }
    }

    /// How this replica is named in the lease table.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    fn lease(&self) -> Duration {
        Duration::seconds(self.ctx.settings.job_lease_secs.max(1))
    }

    /// Whether this replica may run a pass of `job` now: it holds the lease (renewed in the
    /// database once half of it has run out) or has just taken it.
    pub async fn hold(&self, job: Job) -> ServiceResult<bool> {
        let now = self.ctx.clock.now();
        let lease = self.lease();
        let known = self.held_until(job);
        if known.is_some_and(|until| now + lease / 2 < until) {
            return Ok(true);
        }
        let until = now + lease;
        let taken =
            leases::try_take(&self.ctx.db.conn, &job.name(), &self.holder, now, until).await?;
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if taken {
            if known.is_none() {
                tracing::debug!(job = %job.name(), holder = %self.holder, "job lease taken");
            }
            held.insert(job, until);
        } else if held.remove(&job).is_some() {
            tracing::warn!(job = %job.name(), holder = %self.holder, "job lease lost to another replica");
        }
        Ok(taken)
    }

    /// Claims the current period of a job that runs every `every` (a scheduled sync): true
    /// for exactly one replica per period, however their timers are spread.
    pub async fn claim_period(&self, job: Job, every: std::time::Duration) -> ServiceResult<bool> {
        let now = self.ctx.clock.now();
        // A little short of the period, so this replica's own next tick finds it free.
        let period = Duration::from_std(every).unwrap_or(Duration::days(1));
        let until = now + period - period / 20;
        Ok(leases::try_claim(&self.ctx.db.conn, &job.name(), &self.holder, now, until).await?)
    }

    fn held_until(&self, job: Job) -> Option<DateTime<Utc>> {
        self.held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&job)
            .copied()
    }

    /// Gives back one lease, if this replica holds it.
    pub async fn release(&self, job: Job) {
        let held = self
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&job);
        if held.is_some()
            && let Err(err) = leases::release(&self.ctx.db.conn, &job.name(), &self.holder).await
        {
            tracing::warn!(job = %job.name(), error = %err, "giving back a job lease failed");
        }
    }

    /// Gives back every lease this replica holds (on shutdown), so others need not wait for
    /// them to expire.
    pub async fn release_all(&self) {
        let jobs: Vec<Job> = self
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .map(|(job, _)| job)
            .collect();
        for job in jobs {
            if let Err(err) = leases::release(&self.ctx.db.conn, &job.name(), &self.holder).await {
                tracing::warn!(job = %job.name(), error = %err, "giving back a job lease failed");
            }
        }
    }

    /// Who holds `job`'s lease and until when (operators, tests).
    pub async fn holder_of(&self, job: Job) -> ServiceResult<Option<(String, DateTime<Utc>)>> {
        Ok(leases::holder_of(&self.ctx.db.conn, &job.name()).await?)
    }
}
