//! Writes listing changes to the outbox inside the caller's transaction.

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
        ..Default::default()
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Outbox rows after `cursor`, oldest first, at most `limit`.
pub async fn after<C: ConnectionTrait>(
    db: &C,
    cursor: i64,
    limit: u64,
) -> Result<Vec<listing_outbox::Model>, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    listing_outbox::Entity::find()
        .filter(listing_outbox::Column::Id.gt(cursor))
        .order_by_asc(listing_outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The newest outbox id, 0 when empty.
pub async fn max_id<C: ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    use sea_orm::{EntityTrait, QueryOrder};
    Ok(listing_outbox::Entity::find()
        .order_by_desc(listing_outbox::Column::Id)
        .one(db)
        .await?
        .map_or(0, |m| m.id))
}
