//! Reading and writing listings of either kind: one repository, generic over the record.
//!
//! Both tables name their shared columns alike (`id`, `owner_id`, `status`, `expires_at`,
//! `source`, `external_id`), so every statement here is written once, and so is the mapping of
//! those columns ([`listing_table`]); a kind names only its own columns and its modes (in
//! `achievements.rs` and `needs.rs`). Tags are written with
//! the row in the caller's transaction.

use crate::db::listing_query::{self, ListingQuery};
use crate::db::outbox::ListingKind;
use crate::db::tags::{self, Facet};
use crate::domain::{Listing, ListingSource, ListingStatus, TransferMode};
use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    IntoActiveModel, ModelTrait, Order, QueryFilter, QueryOrder, QuerySelect,
};

/// A listing record stored in its own table.
pub trait ListingTable: Listing {
    /// The table.
    type Entity: EntityTrait<Model = Self::Row, ActiveModel = Self::ActiveRow> + Default;
    /// One row as read.
    type Row: ModelTrait<Entity = Self::Entity>
        + FromQueryResult
        + IntoActiveModel<Self::ActiveRow>
        + Send
        + Sync;
    /// One row as written.
    type ActiveRow: ActiveModelTrait<Entity = Self::Entity> + ActiveModelBehavior + Send;
    /// The kind, as the outbox, tags and grants name it.
    const KIND: ListingKind;

    /// Row → record.
    fn from_row(row: Self::Row) -> Self;

    /// Record → row (id 0 inserts).
    fn to_row(&self) -> Self::ActiveRow;

    /// Offered transfer modes (a result) or wanted cooperation modes (a need).
    fn modes(&self) -> &[TransferMode];
}

/// Declares how a record kind maps to its table. The columns both tables share (identity,
/// owner, title, confidential detail, keywords, industries, tracks, lifecycle and origin) are
/// mapped here, once; a kind names its own columns that are stored as they are (`same`) or as
/// JSON (`json`), and maps the rest both ways (`read($row) { … }`, `write($record) { … }`).
macro_rules! listing_table {
    (
        $record:ident in $entity:ident as $kind:ident, $table:literal, modes: $modes:ident,
        same: [$($same:ident),* $(,)?],
        json: [$($json:ident),* $(,)?],
        read($row:ident) { $($field:ident: $value:expr),* $(,)? }
        write($rec:ident) { $($column:ident: $written:expr),* $(,)? }
    ) => {
        impl $crate::db::listings::ListingTable for $record {
            type Entity = $crate::db::entities::$entity::Entity;
            type Row = $crate::db::entities::$entity::Model;
            type ActiveRow = $crate::db::entities::$entity::ActiveModel;
            const KIND: $crate::db::outbox::ListingKind = $crate::db::outbox::ListingKind::$kind;

            fn from_row($row: Self::Row) -> Self {
                use $crate::db::from_json;
                let lifecycle = $crate::domain::Lifecycle {
                    id: $row.id,
                    owner_id: $row.owner_id,
                    status: $crate::db::listings::stored_status(&$row.status),
                    published_at: $row.published_at,
                    expires_at: $row.expires_at,
                    source: $crate::domain::ListingSource::parse(&$row.source)
                        .unwrap_or($crate::domain::ListingSource::Local),
                    external_id: $row.external_id,
                    created_at: $row.created_at,
                    updated_at: $row.updated_at,
                    moderation_note: $row.moderation_note,
                };
                let mut record = $crate::domain::listing::draft_listing!($record {
                    title: $row.title,
                    confidential_detail: $row.confidential_detail,
                    keywords: from_json(&$row.keywords, concat!($table, ".keywords")),
                    industry_codes: from_json(&$row.industry_codes, concat!($table, ".industry_codes")),
                    priority_tracks: from_json(&$row.priority_tracks, concat!($table, ".priority_tracks")),
                    $($same: $row.$same,)*
                    $($json: from_json(&$row.$json, concat!($table, ".", stringify!($json))),)*
                    $($field: $value),*
                });
                $crate::domain::Listing::set_lifecycle(&mut record, lifecycle);
                record
            }

            fn to_row(&self) -> Self::ActiveRow {
                use sea_orm::Set;
                use $crate::db::to_json;
                let $rec = self;
                $crate::db::entities::$entity::ActiveModel {
                    id: if $rec.id == 0 { sea_orm::NotSet } else { Set($rec.id) },
                    owner_id: Set($rec.owner_id),
                    title: Set($rec.title.clone()),
                    confidential_detail: Set($rec.confidential_detail.clone()),
                    keywords: Set(to_json(&$rec.keywords)),
                    industry_codes: Set(to_json(&$rec.industry_codes)),
                    priority_tracks: Set(to_json(&$rec.priority_tracks)),
                    status: Set($rec.status.as_str().to_owned()),
                    published_at: Set($rec.published_at),
                    expires_at: Set($rec.expires_at),
                    source: Set($rec.source.as_str().to_owned()),
                    external_id: Set($rec.external_id.clone()),
                    created_at: Set($rec.created_at),
                    updated_at: Set($rec.updated_at),
                    moderation_note: Set($rec.moderation_note.clone()),
                    $($same: Set($rec.$same.clone()),)*
                    $($json: Set(to_json(&$rec.$json)),)*
                    $($column: $written),*
                }
            }

            fn modes(&self) -> &[$crate::domain::TransferMode] {
                &self.$modes
            }
        }
    };
}
pub(crate) use listing_table;

/// A stored status, DRAFT when the value is unknown.
pub(crate) fn stored_status<S: ListingStatus>(stored: &str) -> S {
    S::parse(stored).unwrap_or(S::DRAFT)
}

fn col(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

/// The facet rows (industries, modes, tracks) that filters read.
fn facet_tags<R: ListingTable>(record: &R) -> Vec<(Facet, String)> {
    let industries = record
        .industry_codes()
        .iter()
        .map(|c| (Facet::Industry, c.clone()));
    let modes = record
        .modes()
        .iter()
        .map(|m| (Facet::Mode, m.as_str().to_owned()));
    let tracks = record
        .priority_tracks()
        .iter()
        .map(|t| (Facet::Track, t.clone()));
    industries.chain(modes).chain(tracks).collect()
}

fn records<R: ListingTable>(rows: Vec<R::Row>) -> Vec<R> {
    rows.into_iter().map(R::from_row).collect()
}

/// Inserts (id 0) or updates a record and its tags; returns the stored record.
pub async fn save<R: ListingTable, C: ConnectionTrait>(db: &C, record: &R) -> Result<R, DbErr> {
    let tags = facet_tags(record);
    if record.id() == 0 {
        let saved = R::from_row(record.to_row().insert(db).await?);
        tags::insert(db, R::KIND, saved.id(), &tags).await?;
        Ok(saved)
    } else {
        let saved = R::from_row(record.to_row().update(db).await?);
        tags::replace(db, R::KIND, saved.id(), &tags).await?;
        Ok(saved)
    }
}

/// Inserts new records (ids 0) and their tags in two statements; returns the stored records,
/// not necessarily in the given order.
pub async fn insert_many<R: ListingTable, C: ConnectionTrait>(
    db: &C,
    records: &[R],
) -> Result<Vec<R>, DbErr> {
    if records.is_empty() {
        return Ok(Vec::new());
    }
    let rows = R::Entity::insert_many(records.iter().map(R::to_row))
        .exec_with_returning(db)
        .await?;
    let saved: Vec<R> = self::records(rows);
    let tags: Vec<(i32, Vec<(Facet, String)>)> =
        saved.iter().map(|r| (r.id(), facet_tags(r))).collect();
    tags::insert_many(db, R::KIND, &tags).await?;
    Ok(saved)
}

/// Updates only the row (status, dates), keeping tags.
pub async fn save_row<R: ListingTable, C: ConnectionTrait>(db: &C, record: &R) -> Result<R, DbErr> {
    record.to_row().update(db).await.map(R::from_row)
}

/// One record by id.
pub async fn find<R: ListingTable, C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<R>, DbErr> {
    Ok(R::Entity::find()
        .filter(col("id").eq(id))
        .one(db)
        .await?
        .map(R::from_row))
}

/// The same, locked against other writers until the caller's transaction ends (`FOR UPDATE` on
/// PostgreSQL; SQLite's write transaction already excludes them). Every read-modify-write
/// reads through this, so two concurrent changes apply one after the other and neither is lost.
pub async fn find_for_update<R: ListingTable, C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<R>, DbErr> {
    Ok(R::Entity::find()
        .filter(col("id").eq(id))
        .lock_exclusive()
        .one(db)
        .await?
        .map(R::from_row))
}

/// The record with this external id at `source`.
pub async fn find_external<R: ListingTable, C: ConnectionTrait>(
    db: &C,
    source: ListingSource,
    external_id: &str,
) -> Result<Option<R>, DbErr> {
    Ok(R::Entity::find()
        .filter(col("source").eq(source.as_str()))
        .filter(col("external_id").eq(external_id))
        .one(db)
        .await?
        .map(R::from_row))
}

/// Counts records matching `q`.
pub async fn count<R: ListingTable, C: ConnectionTrait>(
    db: &C,
    q: &ListingQuery,
) -> Result<u64, DbErr> {
    listing_query::count::<R::Entity, _>(db, R::KIND, q).await
}

/// One page of records matching `q`.
pub async fn page<R: ListingTable, C: ConnectionTrait>(
    db: &C,
    q: &ListingQuery,
    offset: u64,
    limit: u64,
) -> Result<Vec<R>, DbErr> {
    let rows = listing_query::page::<R::Entity, _>(db, R::KIND, q, offset, limit).await?;
    Ok(records(rows))
}

/// The newest `per_owner` records of each owner matching `q`, in one statement.
pub async fn newest_per_owner<R: ListingTable, C: ConnectionTrait>(
    db: &C,
    q: &ListingQuery,
    per_owner: u64,
) -> Result<Vec<R>, DbErr> {
    let rows = listing_query::newest_per_owner::<R::Entity, _>(db, R::KIND, q, per_owner).await?;
    Ok(records(rows))
}

/// Live records past their expiry at `now`, oldest first, at most `limit`, locked for the
/// caller's transaction (a listing renewed meanwhile is re-checked and left out).
pub async fn overdue<R: ListingTable, C: ConnectionTrait>(
    db: &C,
    now: chrono::DateTime<chrono::Utc>,
    limit: u64,
) -> Result<Vec<R>, DbErr> {
    let live = R::Status::LIVE_STATUSES.iter().map(|s| s.as_str());
    let rows = R::Entity::find()
        .filter(col("status").is_in(live))
        .filter(col("expires_at").lte(now))
        .order_by(col("expires_at"), Order::Asc)
        .limit(limit)
        .lock_exclusive()
        .all(db)
        .await?;
    Ok(records(rows))
}

/// Records with id above `after_id`, by id, at most `limit` (for rebuilding the index).
pub async fn batch_after<R: ListingTable, C: ConnectionTrait>(
    db: &C,
    after_id: i32,
    limit: u64,
) -> Result<Vec<R>, DbErr> {
    let rows = R::Entity::find()
        .filter(col("id").gt(after_id))
        .order_by(col("id"), Order::Asc)
        .limit(limit)
        .all(db)
        .await?;
    Ok(records(rows))
}
