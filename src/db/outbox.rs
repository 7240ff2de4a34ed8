//! The listing outbox: changes written inside the caller's transaction, then put in commit
//! order by the sequencer, and read by consumers (each replica's search index, the
//! stored-matches job, market pushes) by that order.
//!
//! Why a sequence apart from the id: on PostgreSQL an id is taken at insert and becomes
//! visible at commit, so a change with a lower id can appear after a higher one was read. A
//! consumer that moved its cursor past the higher id would never see it. The sequencer gives
//! places only to committed changes, one sequencer at a time (an advisory lock on PostgreSQL,
//! the single writer on SQLite), each above every place given before; so once a consumer has
//! read up to place `n`, no change can ever appear at or below `n`.

use crate::db::entities::listing_outbox;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};

/// Which table a listing lives in; also the `listing_kind` column value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListingKind {
    /// `achievements`.
    Achievement,
    /// `needs`.
    Need,
}

impl ListingKind {
    /// The table an outbox row's listing lives in.
    pub fn of_row(row: &listing_outbox::Model) -> Self {
        Self::from_stored(&row.listing_kind)
    }

    /// The kind a `listing_kind` column names (anything but `need` is a result).
    pub fn from_stored(name: &str) -> Self {
        if name == Self::Need.as_str() {
            Self::Need
        } else {
            Self::Achievement
        }
    }

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Achievement => "achievement",
            Self::Need => "need",
        }
    }
}

/// What happened to the listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingChange {
    /// Created or changed: consumers re-read it.
    Upsert,
}

/// Records one change; call inside the transaction that made it.
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    kind: ListingKind,
    listing_id: i32,
    change: ListingChange,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let change = match change {
        ListingChange::Upsert => "upsert",
    };
    listing_outbox::Entity::insert(listing_outbox::ActiveModel {
        listing_kind: Set(kind.as_str().to_owned()),
        listing_id: Set(listing_id),
        change: Set(change.to_owned()),
        created_at: Set(now),
        seq: Set(None),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Writes one upsert change per listing, in one statement.
pub async fn enqueue_many<C: ConnectionTrait>(
    db: &C,
    kind: ListingKind,
    listing_ids: &[i32],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if listing_ids.is_empty() {
        return Ok(());
    }
    listing_outbox::Entity::insert_many(listing_ids.iter().map(|id| listing_outbox::ActiveModel {
        listing_kind: Set(kind.as_str().to_owned()),
        listing_id: Set(*id),
        change: Set("upsert".to_owned()),
        created_at: Set(now),
        seq: Set(None),
        ..Default::default()
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Changes given places per sequencer statement; a larger backlog takes several passes.
const SEQUENCE_BATCH: i64 = 10_000;

/// The advisory lock that makes sequencers on several replicas take turns (PostgreSQL).
const SEQUENCER_LOCK: i64 = 0x5158_5345_5155; // "QXSEQU"

/// Gives every committed change without a place the next places in commit order, and returns
/// how many it placed. Safe to call from any number of processes at once.
pub async fn sequence(db: &crate::db::Database) -> Result<u64, DbErr> {
    use sea_orm::{DatabaseBackend, Statement};
    let conn = &db.conn;
    let backend = conn.get_database_backend();
    let mut placed = 0;
    loop {
        // A cheap look first (the partial index), so an idle poll takes no write lock.
        let pending = conn
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT id FROM listing_outbox WHERE seq IS NULL LIMIT 1",
            ))
            .await?;
        if pending.is_none() {
            return Ok(placed);
        }
        let txn = db.begin_write().await?;
        if backend == DatabaseBackend::Postgres {
            // Each statement below must see what committed before it (a server whose default
            // isolation is REPEATABLE READ would freeze the snapshot before the lock).
            txn.execute_unprepared("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                .await?;
            // Held to the end of the transaction: the next sequencer's statements see this
            // one's places, because they start after it committed.
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                "SELECT pg_advisory_xact_lock($1)",
                [SEQUENCER_LOCK.into()],
            ))
            .await?;
        }
        let top: Option<i64> = match txn
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT MAX(seq) AS top FROM listing_outbox",
            ))
            .await?
        {
            Some(row) => row.try_get("", "top")?,
            None => None,
        };
        let range = txn
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                "SELECT MIN(id) AS low, MAX(id) AS high FROM (SELECT id FROM listing_outbox \
                 WHERE seq IS NULL ORDER BY id LIMIT $1) AS batch",
                [SEQUENCE_BATCH.into()],
            ))
            .await?;
        let (low, high) = match range {
            Some(row) => (
                row.try_get::<Option<i64>>("", "low")?,
                row.try_get::<Option<i64>>("", "high")?,
            ),
            None => (None, None),
        };
        let (Some(low), Some(high)) = (low, high) else {
            txn.commit().await?;
            return Ok(placed);
        };
        // Every change in [low, high] gets `id + shift`, which is above `top` (ids are at least
        // `low`) and unique (ids are). A change in the range that committed since the look
        // above is placed too, still above `top`; one below `low` waits for the next pass.
        let shift = top.unwrap_or(0) - low + 1;
        let done = txn
            .execute_raw(Statement::from_sql_and_values(
                backend,
                "UPDATE listing_outbox SET seq = id + $1 WHERE seq IS NULL AND id BETWEEN $2 AND $3",
                [shift.into(), low.into(), high.into()],
            ))
            .await?;
        txn.commit().await?;
        placed += done.rows_affected();
    }
}

/// Sequenced changes after place `cursor`, in order, at most `limit`.
pub async fn after<C: ConnectionTrait>(
    db: &C,
    cursor: i64,
    limit: u64,
) -> Result<Vec<listing_outbox::Model>, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    listing_outbox::Entity::find()
        .filter(listing_outbox::Column::Seq.gt(cursor))
        .order_by_asc(listing_outbox::Column::Seq)
        .limit(limit)
        .all(db)
        .await
}

/// The highest place given so far, 0 when none.
pub async fn last_place<C: ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    Ok(listing_outbox::Entity::find()
        .filter(listing_outbox::Column::Seq.is_not_null())
        .order_by_desc(listing_outbox::Column::Seq)
        .one(db)
        .await?
        .and_then(|m| m.seq)
        .unwrap_or(0))
}

/// Committed changes a consumer at place `cursor` has still to apply: those placed after it
/// and those not placed yet.
pub async fn pending_after<C: ConnectionTrait>(db: &C, cursor: i64) -> Result<u64, DbErr> {
    use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter};
    listing_outbox::Entity::find()
        .filter(
            Condition::any()
                .add(listing_outbox::Column::Seq.is_null())
                .add(listing_outbox::Column::Seq.gt(cursor)),
        )
        .count(db)
        .await
}

/// This database's identity (made once by a migration), which a search index records beside
/// its position.
pub async fn database_identity<C: ConnectionTrait>(db: &C) -> Result<String, DbErr> {
    use sea_orm::Statement;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT token FROM database_identity WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("database_identity".to_owned()))?;
    row.try_get("", "token")
}
