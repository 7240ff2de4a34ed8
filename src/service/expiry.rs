//! Stores the expiry of listings whose time ran out, so that the status column, the outbox and
//! its consumers agree with what reads already report. Idempotent: running it twice is harmless.

use crate::db::outbox::{self, ListingChange, ListingKind};
use crate::db::{achievements, needs};
use crate::domain::{AchievementStatus, NeedStatus};
use crate::service::Context;
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
            let due_a = achievements::overdue(&txn, now, BATCH).await?;
            let due_n = needs::overdue(&txn, now, BATCH).await?;
            let batch = (due_a.len() + due_n.len()) as u64;
            for mut a in due_a {
                a.status = AchievementStatus::Expired;
                a.updated_at = now;
                achievements::save_row(&txn, &a).await?;
                outbox::enqueue(
                    &txn,
                    ListingKind::Achievement,
                    a.id,
                    ListingChange::Upsert,
                    now,
                )
                .await?;
            }
            for mut n in due_n {
                n.status = NeedStatus::Expired;
                n.updated_at = now;
                needs::save_row(&txn, &n).await?;
                outbox::enqueue(&txn, ListingKind::Need, n.id, ListingChange::Upsert, now).await?;
            }
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
