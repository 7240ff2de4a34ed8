//! Stores the expiry of listings whose time ran out, so that the status column, the outbox and
//! its consumers agree with what reads already report. Idempotent: running it twice is harmless.

use crate::db::listings::{self as repo, ListingTable};
use crate::db::outbox::{self, ListingChange};
use crate::domain::{Achievement, ListingStatus, Need};
use crate::service::Context;
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseTransaction, DbErr};
use std::sync::Arc;

/// Rows handled per transaction.
const BATCH: u64 = 500;

/// Listing-expiry use case.
#[derive(Debug, Clone)]
pub struct ExpiryService {
    ctx: Arc<Context>,
}

impl ExpiryService {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    /// Marks every overdue listing expired; returns how many changed.
    pub async fn expire_due(&self) -> anyhow::Result<u64> {
        let mut changed = 0;
        loop {
            let now = self.ctx.clock.now();
            let txn = self.ctx.db.begin_write().await?;
            let due_results = repo::overdue::<Achievement, _>(&txn, now, BATCH).await?;
            let due_needs = repo::overdue::<Need, _>(&txn, now, BATCH).await?;
            let batch = (due_results.len() + due_needs.len()) as u64;
            expire(&txn, due_results, now).await?;
            expire(&txn, due_needs, now).await?;
            txn.commit().await?;
            changed += batch;
            if batch == 0 {
                break;
            }
        }
        if changed > 0 {
            tracing::info!(count = changed, "listings expired");
        }
        Ok(changed)
    }
}

/// Stores EXPIRED on each of `due` and appends its outbox entry.
async fn expire<R: ListingTable>(
    txn: &DatabaseTransaction,
    due: Vec<R>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for mut listing in due {
        let mut life = listing.lifecycle();
        life.status = R::Status::EXPIRED;
        life.updated_at = now;
        listing.set_lifecycle(life);
        repo::save_row(txn, &listing).await?;
        outbox::enqueue(txn, R::KIND, listing.id(), ListingChange::Upsert, now).await?;
    }
    Ok(())
}
