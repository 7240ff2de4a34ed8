//! Each person's inbox, saved searches and what each saved search already reported.

use crate::db::entities::{notification, saved_search, saved_search_hit, user};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

pub use crate::db::entities::notification::Model as NotificationRow;
pub use crate::db::entities::saved_search::Model as SavedSearchRow;

/// A notification to store.
#[derive(Debug, Clone)]
pub struct NewNotification {
    /// Stored kind name.
    pub kind: &'static str,
    /// Short title.
    pub title: String,
    /// Text.
    pub body: String,
    /// The pairing it is about.
    pub pairing_id: Option<i32>,
    /// The listing it is about: (`achievement` | `need`, id).
    pub listing: Option<(&'static str, i32)>,
    /// The event it tells of: a person already told of it is not told again.
    pub event_key: Option<String>,
}

/// Stores one notification per user, leaving out users already told of the same event;
/// returns the stored rows.
pub async fn insert_for<C: ConnectionTrait>(
    db: &C,
    users: &[i32],
    n: &NewNotification,
    now: DateTime<Utc>,
) -> Result<Vec<NotificationRow>, DbErr> {
    lock_inboxes(db, users).await?;
    let mut out = Vec::with_capacity(users.len());
    for &user_id in users {
        let row = notification::ActiveModel {
            id: NotSet,
            user_id: Set(user_id),
            kind: Set(n.kind.to_owned()),
            title: Set(n.title.clone()),
            body: Set(n.body.clone()),
            pairing_id: Set(n.pairing_id),
            listing_kind: Set(n.listing.map(|(k, _)| k.to_owned())),
            listing_id: Set(n.listing.map(|(_, id)| id)),
            created_at: Set(now),
            read_at: Set(None),
            event_key: Set(n.event_key.clone()),
        };
        let inserted = notification::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([notification::Column::UserId, notification::Column::EventKey])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_with_returning(db)
            .await;
        match inserted {
            Ok(row) => out.push(row),
            // Told already (a unique key met): nothing to send.
            Err(DbErr::RecordNotInserted | DbErr::RecordNotFound(_)) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(out)
}

/// Locks the recipients' user rows until the caller's transaction ends (PostgreSQL; SQLite
/// has one writer), in id order so two transactions never wait on each other crosswise.
/// Transactions notifying one person thus take turns, and their notification ids follow
/// commit order: a subscriber resuming after the last id it saw misses nothing.
async fn lock_inboxes<C: ConnectionTrait>(db: &C, users: &[i32]) -> Result<(), DbErr> {
    if users.is_empty() || db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return Ok(());
    }
    user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Id.is_in(users.iter().copied()))
        .order_by_asc(user::Column::Id)
        .lock_exclusive()
        .into_tuple::<i32>()
        .all(db)
        .await?;
    Ok(())
}

/// The PostgreSQL channel on which a transaction that stored notifications announces their
/// ids (delivered by PostgreSQL at commit, to every replica listening).
pub const CHANNEL: &str = "qianxian_notifications";

/// Announces stored notifications to every replica when the caller's transaction commits
/// (PostgreSQL `NOTIFY`, which is transactional); nothing on SQLite, where one process serves.
pub async fn announce<C: ConnectionTrait>(db: &C, ids: &[i32]) -> Result<(), DbErr> {
    use sea_orm::{DatabaseBackend, Statement};
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    // A payload holds at most 8,000 bytes.
    for chunk in ids.chunks(500) {
        let payload = chunk
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        db.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), payload.into()],
        ))
        .await?;
    }
    Ok(())
}

/// Notifications by id, in id order.
pub async fn find_many<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> Result<Vec<NotificationRow>, DbErr> {
    notification::Entity::find()
        .filter(notification::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(notification::Column::Id)
        .all(db)
        .await
}

/// A user's notifications with id above `after`, oldest first, at most `limit`.
pub async fn after<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    after: i32,
    limit: u64,
) -> Result<Vec<NotificationRow>, DbErr> {
    notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::Id.gt(after))
        .order_by_asc(notification::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// How many notifications a user has (unread ones only when asked).
pub async fn count<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    unread_only: bool,
) -> Result<u64, DbErr> {
    let mut s = notification::Entity::find().filter(notification::Column::UserId.eq(user_id));
    if unread_only {
        s = s.filter(notification::Column::ReadAt.is_null());
    }
    s.count(db).await
}

/// A page of a user's notifications, newest first.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    unread_only: bool,
    offset: u64,
    limit: u64,
) -> Result<Vec<NotificationRow>, DbErr> {
    let mut s = notification::Entity::find().filter(notification::Column::UserId.eq(user_id));
    if unread_only {
        s = s.filter(notification::Column::ReadAt.is_null());
    }
    s.order_by_desc(notification::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await
}

/// Marks a user's notifications read: the given ids, or all when `ids` is `None`.
pub async fn mark_read<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    ids: Option<&[i32]>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut u = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(now))
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null());
    if let Some(ids) = ids {
        u = u.filter(notification::Column::Id.is_in(ids.iter().copied()));
    }
    Ok(u.exec(db).await?.rows_affected)
}

/// Members of these organisations.
pub async fn members_of<C: ConnectionTrait>(db: &C, orgs: &[i32]) -> Result<Vec<i32>, DbErr> {
    if orgs.is_empty() {
        return Ok(Vec::new());
    }
    user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::OrganizationId.is_in(orgs.iter().copied()))
        .into_tuple()
        .all(db)
        .await
}

/// The admins of an organisation.
pub async fn admins_of<C: ConnectionTrait>(db: &C, org: i32) -> Result<Vec<i32>, DbErr> {
    user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::OrganizationId.eq(org))
        .filter(user::Column::OrgRole.eq("ADMIN"))
        .into_tuple()
        .all(db)
        .await
}

/// Technology brokers (they share the queue of new requests).
pub async fn brokers<C: ConnectionTrait>(db: &C) -> Result<Vec<i32>, DbErr> {
    user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::IsBroker.eq(true))
        .into_tuple()
        .all(db)
        .await
}

/// Saves a search.
pub async fn insert_saved_search<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    name: &str,
    query: &str,
    kind: Option<&str>,
    now: DateTime<Utc>,
) -> Result<SavedSearchRow, DbErr> {
    saved_search::ActiveModel {
        id: NotSet,
        user_id: Set(user_id),
        name: Set(name.to_owned()),
        query: Set(query.to_owned()),
        kind: Set(kind.map(str::to_owned)),
        created_at: Set(now),
    }
    .insert(db)
    .await
}

/// A user's saved searches, oldest first.
pub async fn saved_searches_of<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
) -> Result<Vec<SavedSearchRow>, DbErr> {
    saved_search::Entity::find()
        .filter(saved_search::Column::UserId.eq(user_id))
        .order_by_asc(saved_search::Column::Id)
        .all(db)
        .await
}

/// Every saved search.
pub async fn all_saved_searches<C: ConnectionTrait>(db: &C) -> Result<Vec<SavedSearchRow>, DbErr> {
    saved_search::Entity::find()
        .order_by_asc(saved_search::Column::Id)
        .all(db)
        .await
}

/// Deletes a user's saved search; false when it was not theirs or did not exist.
pub async fn delete_saved_search<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    id: i32,
) -> Result<bool, DbErr> {
    let deleted = saved_search::Entity::delete_many()
        .filter(saved_search::Column::Id.eq(id))
        .filter(saved_search::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected;
    saved_search_hit::Entity::delete_many()
        .filter(saved_search_hit::Column::SavedSearchId.eq(id))
        .exec(db)
        .await?;
    Ok(deleted > 0)
}

/// Records that a saved search reported a listing; false when it already had.
pub async fn record_hit<C: ConnectionTrait>(
    db: &C,
    saved_search_id: i32,
    listing_kind: &str,
    listing_id: i32,
) -> Result<bool, DbErr> {
    let inserted = saved_search_hit::Entity::insert(saved_search_hit::ActiveModel {
        saved_search_id: Set(saved_search_id),
        listing_kind: Set(listing_kind.to_owned()),
        listing_id: Set(listing_id),
    })
    .on_conflict(
        OnConflict::columns([
            saved_search_hit::Column::SavedSearchId,
            saved_search_hit::Column::ListingKind,
            saved_search_hit::Column::ListingId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(inserted > 0)
}
