//! Failed-login counts per key (`account:…`, `address:…`), shared by every replica.

use crate::db::entities::login_throttle::{ActiveModel, Column, Entity};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, QuerySelect, Set};

/// How failures turn into waiting.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Failures allowed before the first wait.
    pub free: i32,
    /// Longest wait.
    pub max_wait: Duration,
    /// Failures older than this are forgotten.
    pub window: Duration,
}

/// Claims one login attempt for `keys` inside the caller's write transaction: if any key is
/// locked, returns until when (and counts nothing); otherwise counts the attempt as a failure
/// *now*, before the password is checked, so that attempts running at once (aliases, a
/// WebSocket's concurrent operations, other replicas) cannot all pass the check. A success
/// takes its count back with [`succeeded`].
pub async fn claim_attempt<C: ConnectionTrait>(
    db: &C,
    keys: &[(String, Policy)],
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let mut rows = Vec::with_capacity(keys.len());
    // In key order, so two claims never wait on each other crosswise.
    let mut sorted: Vec<&(String, Policy)> = keys.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (key, policy) in sorted {
        Entity::insert(ActiveModel {
            key: Set(key.clone()),
            failures: Set(0),
            last_failure_at: Set(now),
            locked_until: Set(None),
        })
        .on_conflict(OnConflict::column(Column::Key).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
        let row = Entity::find_by_id(key.clone())
            .lock_exclusive()
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(key.clone()))?;
        if let Some(until) = row.locked_until.filter(|until| *until > now) {
            return Ok(Some(until));
        }
        rows.push((row, *policy));
    }
    for (row, policy) in rows {
        let failures = if row.last_failure_at + policy.window < now {
            1
        } else {
            row.failures + 1
        };
        let over = failures - policy.free;
        let locked_until = (over > 0).then(|| {
            let secs = 1i64 << (over - 1).clamp(0, 20);
            now + Duration::seconds(secs).min(policy.max_wait)
        });
        ActiveModel {
            key: Set(row.key),
            failures: Set(failures),
            last_failure_at: Set(now),
            locked_until: Set(locked_until),
        }
        .update(db)
        .await?;
    }
    Ok(None)
}

/// A claimed attempt succeeded: the account's failures are forgotten, and the address's
/// count gives back the one the claim took (lifting a lock that claim set).
pub async fn succeeded<C: ConnectionTrait>(
    db: &C,
    account: &str,
    address: Option<(&str, Policy)>,
) -> Result<(), DbErr> {
    Entity::delete_by_id(account.to_owned()).exec(db).await?;
    if let Some((key, policy)) = address
        && let Some(row) = Entity::find_by_id(key.to_owned())
            .lock_exclusive()
            .one(db)
            .await?
    {
        let failures = (row.failures - 1).max(0);
        ActiveModel {
            key: Set(row.key),
            failures: Set(failures),
            last_failure_at: Set(row.last_failure_at),
            locked_until: Set(row.locked_until.filter(|_| failures > policy.free)),
        }
        .update(db)
        .await?;
    }
    Ok(())
}
