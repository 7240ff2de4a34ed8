//! Failed-login counts per key (`account:…`, `address:…`), shared by every replica.

use crate::db::entities::login_throttle::{ActiveModel, Column, Entity};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
    Set,
};

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

/// The latest time until which any of `keys` is locked.
pub async fn locked_until<C: ConnectionTrait>(
    db: &C,
    keys: &[String],
) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(Entity::find()
        .filter(Column::Key.is_in(keys.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|r| r.locked_until)
        .max())
}

/// Counts one failure of `key` inside the caller's write transaction; past `policy.free`
/// failures the key is locked for 1, 2, 4 … seconds, at most `policy.max_wait`.
pub async fn record_failure<C: ConnectionTrait>(
    db: &C,
    key: &str,
    now: DateTime<Utc>,
    policy: Policy,
) -> Result<(), DbErr> {
    Entity::insert(ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(0),
        last_failure_at: Set(now),
        locked_until: Set(None),
    })
    .on_conflict(OnConflict::column(Column::Key).do_nothing().to_owned())
    .exec_without_returning(db)
    .await?;
    // Locked: concurrent failures of one key count one after the other.
    let Some(row) = Entity::find_by_id(key.to_owned())
        .lock_exclusive()
        .one(db)
        .await?
    else {
        return Ok(());
    };
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
        key: Set(key.to_owned()),
        failures: Set(failures),
        last_failure_at: Set(now),
        locked_until: Set(locked_until),
    }
    .update(db)
    .await?;
    Ok(())
}

/// Forgets a key's failures (a successful login).
pub async fn reset<C: ConnectionTrait>(db: &C, key: &str) -> Result<(), DbErr> {
    Entity::delete_by_id(key.to_owned()).exec(db).await?;
    Ok(())
}
