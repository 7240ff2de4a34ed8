//! Market sync state: listing source links, cursors, runs and quarantine.

use crate::db::entities::{listing_source, sync_quarantine, sync_run, sync_state};
use crate::db::outbox::ListingKind;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set,
};

pub use crate::db::entities::listing_source::Model as SourceLink;
pub use crate::db::entities::sync_quarantine::Model as QuarantinedRow;
pub use crate::db::entities::sync_run::Model as RunRow;

/// The link of one market record, if it was seen before.
pub async fn find_link<C: ConnectionTrait>(
    db: &C,
    source: &str,
    external_id: &str,
) -> Result<Option<SourceLink>, DbErr> {
    listing_source::Entity::find()
        .filter(listing_source::Column::Source.eq(source))
        .filter(listing_source::Column::ExternalId.eq(external_id))
        .one(db)
        .await
}

/// Every source link of these listings, oldest first.
pub async fn links_of<C: ConnectionTrait>(
    db: &C,
    kind: ListingKind,
    listing_ids: &[i32],
) -> Result<Vec<SourceLink>, DbErr> {
    listing_source::Entity::find()
        .filter(listing_source::Column::ListingKind.eq(kind.as_str()))
        .filter(listing_source::Column::ListingId.is_in(listing_ids.iter().copied()))
        .order_by_asc(listing_source::Column::Id)
        .all(db)
        .await
}

/// The links of one source whose external ids start with `prefix`.
pub async fn links_with_prefix<C: ConnectionTrait>(
    db: &C,
    source: &str,
    prefix: &str,
) -> Result<Vec<SourceLink>, DbErr> {
    listing_source::Entity::find()
        .filter(listing_source::Column::Source.eq(source))
        .filter(listing_source::Column::ExternalId.starts_with(prefix))
        .all(db)
        .await
}

/// A link to write.
pub struct NewLink<'a> {
    pub kind: ListingKind,
    pub listing_id: i32,
    pub source: &'a str,
    pub external_id: &'a str,
    pub remote_updated_at: DateTime<Utc>,
    pub removed: bool,
    pub link: &'a str,
    pub payload: &'a str,
    pub unmapped: String,
}

/// Records or refreshes the link of one market record.
pub async fn save_link<C: ConnectionTrait>(
    db: &C,
    l: NewLink<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    save_links(db, vec![l], now).await
}

/// Records or refreshes the links of many records in one statement.
pub async fn save_links<C: ConnectionTrait>(
    db: &C,
    links: Vec<NewLink<'_>>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if links.is_empty() {
        return Ok(());
    }
    listing_source::Entity::insert_many(links.into_iter().map(|l| listing_source::ActiveModel {
        id: NotSet,
        listing_kind: Set(l.kind.as_str().to_owned()),
        listing_id: Set(l.listing_id),
        source: Set(l.source.to_owned()),
        external_id: Set(l.external_id.to_owned()),
        remote_updated_at: Set(l.remote_updated_at),
        removed: Set(l.removed),
        link: Set(l.link.to_owned()),
        payload: Set(l.payload.to_owned()),
        unmapped: Set(l.unmapped),
        created_at: Set(now),
        updated_at: Set(now),
    }))
    .on_conflict(
        OnConflict::columns([
            listing_source::Column::Source,
            listing_source::Column::ExternalId,
        ])
        .update_columns([
            listing_source::Column::RemoteUpdatedAt,
            listing_source::Column::Removed,
            listing_source::Column::Payload,
            listing_source::Column::Unmapped,
            listing_source::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The stored cursor of a market.
pub async fn cursor<C: ConnectionTrait>(db: &C, market: &str) -> Result<Option<String>, DbErr> {
    Ok(sync_state::Entity::find_by_id(market.to_owned())
        .one(db)
        .await?
        .and_then(|s| s.cursor))
}

/// Stores a market's cursor.
pub async fn set_cursor<C: ConnectionTrait>(
    db: &C,
    market: &str,
    cursor: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    sync_state::Entity::insert(sync_state::ActiveModel {
        market: Set(market.to_owned()),
        cursor: Set(Some(cursor.to_owned())),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(sync_state::Column::Market)
            .update_columns([sync_state::Column::Cursor, sync_state::Column::UpdatedAt])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunCounts {
    pub fetched: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub withdrawn: i64,
    pub merged: i64,
    pub quarantined: i64,
    pub unmapped: i64,
}

/// Records the start of a run.
pub async fn start_run<C: ConnectionTrait>(
    db: &C,
    market: &str,
    trigger: &str,
    now: DateTime<Utc>,
) -> Result<RunRow, DbErr> {
    sync_run::ActiveModel {
        id: NotSet,
        market: Set(market.to_owned()),
        trigger: Set(trigger.to_owned()),
        status: Set("RUNNING".to_owned()),
        started_at: Set(now),
        finished_at: Set(None),
        fetched: Set(0),
        created: Set(0),
        updated: Set(0),
        unchanged: Set(0),
        withdrawn: Set(0),
        merged: Set(0),
        quarantined: Set(0),
        unmapped: Set(0),
        error: Set(None),
    }
    .insert(db)
    .await
}

/// Stores a run's counts, and its end when `finished` is given (`SUCCEEDED` or `FAILED`).
pub async fn record_run<C: ConnectionTrait>(
    db: &C,
    id: i32,
    c: RunCounts,
    finished: Option<(&str, Option<String>, DateTime<Utc>)>,
) -> Result<(), DbErr> {
    let mut row = sync_run::ActiveModel {
        id: Set(id),
        fetched: Set(c.fetched),
        created: Set(c.created),
        updated: Set(c.updated),
        unchanged: Set(c.unchanged),
        withdrawn: Set(c.withdrawn),
        merged: Set(c.merged),
        quarantined: Set(c.quarantined),
        unmapped: Set(c.unmapped),
        ..Default::default()
    };
    if let Some((status, error, at)) = finished {
        row.status = Set(status.to_owned());
        row.error = Set(error);
        row.finished_at = Set(Some(at));
    }
    row.update(db).await?;
    Ok(())
}

/// Runs that never finished (the process stopped): marked failed.
pub async fn fail_abandoned_runs<C: ConnectionTrait>(
    db: &C,
    market: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    use sea_orm::sea_query::Expr;
    Ok(sync_run::Entity::update_many()
        .col_expr(sync_run::Column::Status, Expr::value("FAILED"))
        .col_expr(
            sync_run::Column::Error,
            Expr::value("进程在同步过程中停止；下次同步从上次保存的位置继续"),
        )
        .col_expr(sync_run::Column::FinishedAt, Expr::value(now))
        .filter(sync_run::Column::Market.eq(market))
        .filter(sync_run::Column::Status.eq("RUNNING"))
        .exec(db)
        .await?
        .rows_affected)
}

/// Quarantines one record of a run.
pub async fn quarantine<C: ConnectionTrait>(
    db: &C,
    run_id: i32,
    market: &str,
    external_id: Option<&str>,
    raw: &str,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    sync_quarantine::ActiveModel {
        id: NotSet,
        run_id: Set(run_id),
        market: Set(market.to_owned()),
        external_id: Set(external_id.map(str::to_owned)),
        raw: Set(raw.to_owned()),
        error: Set(error.to_owned()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

fn runs_of(market: Option<&str>) -> Select<sync_run::Entity> {
    let q = sync_run::Entity::find();
    match market {
        Some(m) => q.filter(sync_run::Column::Market.eq(m)),
        None => q,
    }
}

/// How many runs there are (of one market, or all).
pub async fn count_runs<C: ConnectionTrait>(db: &C, market: Option<&str>) -> Result<u64, DbErr> {
    runs_of(market).count(db).await
}

/// A page of the runs (of one market, or all), newest first.
pub async fn page_runs<C: ConnectionTrait>(
    db: &C,
    market: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<Vec<RunRow>, DbErr> {
    runs_of(market)
        .order_by_desc(sync_run::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await
}

/// One run.
pub async fn run<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<RunRow>, DbErr> {
    sync_run::Entity::find_by_id(id).one(db).await
}

/// The records a run quarantined.
pub async fn quarantined<C: ConnectionTrait>(
    db: &C,
    run_id: i32,
) -> Result<Vec<QuarantinedRow>, DbErr> {
    sync_quarantine::Entity::find()
        .filter(sync_quarantine::Column::RunId.eq(run_id))
        .order_by_asc(sync_quarantine::Column::Id)
        .all(db)
        .await
}

/// `(id, title, ip_records JSON)` of every listing of one owner, for duplicate detection.
pub async fn titles_of_owner<C: ConnectionTrait>(
    db: &C,
    kind: ListingKind,
    owner_id: i32,
) -> Result<Vec<(i32, String, String)>, DbErr> {
    use crate::db::entities::{achievement, need};
    match kind {
        ListingKind::Achievement => {
            achievement::Entity::find()
                .select_only()
                .columns([
                    achievement::Column::Id,
                    achievement::Column::Title,
                    achievement::Column::IpRecords,
                ])
                .filter(achievement::Column::OwnerId.eq(owner_id))
                .into_tuple()
                .all(db)
                .await
        }
        ListingKind::Need => {
            let rows: Vec<(i32, String)> = need::Entity::find()
                .select_only()
                .columns([need::Column::Id, need::Column::Title])
                .filter(need::Column::OwnerId.eq(owner_id))
                .into_tuple()
                .all(db)
                .await?;
            Ok(rows
                .into_iter()
                .map(|(id, title)| (id, title, "[]".to_owned()))
                .collect())
        }
    }
}

pub use crate::db::entities::market_push::Model as PushRow;

/// Opts an organisation in or out of publishing to a market.
pub async fn set_optin<C: ConnectionTrait>(
    db: &C,
    organization_id: i32,
    market: &str,
    enabled: bool,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use crate::db::entities::market_optin;
    if enabled {
        market_optin::Entity::insert(market_optin::ActiveModel {
            organization_id: Set(organization_id),
            market: Set(market.to_owned()),
            created_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                market_optin::Column::OrganizationId,
                market_optin::Column::Market,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    } else {
        market_optin::Entity::delete_many()
            .filter(market_optin::Column::OrganizationId.eq(organization_id))
            .filter(market_optin::Column::Market.eq(market))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// The markets an organisation publishes to.
pub async fn optins<C: ConnectionTrait>(
    db: &C,
    organization_id: i32,
) -> Result<Vec<String>, DbErr> {
    use crate::db::entities::market_optin;
    market_optin::Entity::find()
        .select_only()
        .column(market_optin::Column::Market)
        .filter(market_optin::Column::OrganizationId.eq(organization_id))
        .into_tuple()
        .all(db)
        .await
}

/// The push row of one listing at one market.
pub async fn find_push<C: ConnectionTrait>(
    db: &C,
    kind: ListingKind,
    listing_id: i32,
    market: &str,
) -> Result<Option<PushRow>, DbErr> {
    use crate::db::entities::market_push;
    market_push::Entity::find()
        .filter(market_push::Column::ListingKind.eq(kind.as_str()))
        .filter(market_push::Column::ListingId.eq(listing_id))
        .filter(market_push::Column::Market.eq(market))
        .one(db)
        .await
}

/// Asks for a listing to be shown (`LISTED`) or taken down (`WITHDRAWN`) at a market; the
/// push worker picks it up at once.
pub async fn want<C: ConnectionTrait>(
    db: &C,
    kind: ListingKind,
    listing_id: i32,
    market: &str,
    wanted: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use crate::db::entities::market_push;
    market_push::Entity::insert(market_push::ActiveModel {
        id: NotSet,
        listing_kind: Set(kind.as_str().to_owned()),
        listing_id: Set(listing_id),
        market: Set(market.to_owned()),
        remote_id: Set(None),
        wanted: Set(wanted.to_owned()),
        state: Set("PENDING".to_owned()),
        attempts: Set(0),
        last_error: Set(None),
        next_attempt_at: Set(now),
        updated_at: Set(now),
        local_key: Set(None),
    })
    .on_conflict(
        OnConflict::columns([
            market_push::Column::ListingKind,
            market_push::Column::ListingId,
            market_push::Column::Market,
        ])
        .update_columns([
            market_push::Column::Wanted,
            market_push::Column::State,
            market_push::Column::Attempts,
            market_push::Column::NextAttemptAt,
            market_push::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Pushes that are due: pending, or failed and past their retry time.
pub async fn due_pushes<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<PushRow>, DbErr> {
    use crate::db::entities::market_push;
    market_push::Entity::find()
        .filter(market_push::Column::State.is_in(["PENDING", "FAILED"]))
        .filter(market_push::Column::NextAttemptAt.lte(now))
        .order_by_asc(market_push::Column::NextAttemptAt)
        .limit(limit)
        .all(db)
        .await
}

/// Records the outcome of one push attempt made under `local_key`.
pub async fn record_push<C: ConnectionTrait>(
    db: &C,
    row: &PushRow,
    local_key: &str,
    outcome: Result<Option<String>, (String, DateTime<Utc>)>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use crate::db::entities::market_push::{Column, Entity};
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, QueryFilter};
    if let Ok(Some(remote_id)) = &outcome {
        // The market's id for the listing, and the key it knows the listing by, are facts
        // whatever else changed meanwhile.
        Entity::update_many()
            .col_expr(Column::RemoteId, Expr::value(remote_id.clone()))
            .col_expr(Column::LocalKey, Expr::value(local_key))
            .filter(Column::Id.eq(row.id))
            .exec(db)
            .await?;
    }
    let update = match outcome {
        Ok(_) => Entity::update_many()
            .col_expr(Column::State, Expr::value("DONE"))
            .col_expr(Column::Attempts, Expr::value(0))
            .col_expr(Column::LastError, Expr::value(Option::<String>::None)),
        Err((error, retry_at)) => Entity::update_many()
            .col_expr(Column::State, Expr::value("FAILED"))
            .col_expr(Column::Attempts, Expr::value(row.attempts + 1))
            .col_expr(Column::LastError, Expr::value(Some(error)))
            .col_expr(Column::NextAttemptAt, Expr::value(retry_at)),
    };
    // Only if nobody asked for something else since this attempt read the row: a newer
    // wish (say, withdraw after this push) stays pending.
    update
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(row.id))
        .filter(Column::Wanted.eq(row.wanted.as_str()))
        .filter(Column::UpdatedAt.eq(row.updated_at))
        .exec(db)
        .await?;
    Ok(())
}

fn pushes_of(
    market: Option<&str>,
    state: Option<&str>,
) -> Select<crate::db::entities::market_push::Entity> {
    use crate::db::entities::market_push;
    let mut q = market_push::Entity::find();
    if let Some(m) = market {
        q = q.filter(market_push::Column::Market.eq(m));
    }
    if let Some(s) = state {
        q = q.filter(market_push::Column::State.eq(s));
    }
    q
}

/// How many push rows there are (of one market and state, or all).
pub async fn count_pushes<C: ConnectionTrait>(
    db: &C,
    market: Option<&str>,
    state: Option<&str>,
) -> Result<u64, DbErr> {
    pushes_of(market, state).count(db).await
}

/// A page of the push rows (of one market and state, or all), most recently changed first.
pub async fn page_pushes<C: ConnectionTrait>(
    db: &C,
    market: Option<&str>,
    state: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<Vec<PushRow>, DbErr> {
    use crate::db::entities::market_push;
    pushes_of(market, state)
        .order_by_desc(market_push::Column::UpdatedAt)
        .order_by_desc(market_push::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await
}

/// Every listing of one organisation.
pub async fn listings_of_owner<C: ConnectionTrait>(
    db: &C,
    owner_id: i32,
) -> Result<Vec<(ListingKind, i32)>, DbErr> {
    use crate::db::entities::{achievement, need};
    let achievements: Vec<i32> = achievement::Entity::find()
        .select_only()
        .column(achievement::Column::Id)
        .filter(achievement::Column::OwnerId.eq(owner_id))
        .into_tuple()
        .all(db)
        .await?;
    let needs: Vec<i32> = need::Entity::find()
        .select_only()
        .column(need::Column::Id)
        .filter(need::Column::OwnerId.eq(owner_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(achievements
        .into_iter()
        .map(|id| (ListingKind::Achievement, id))
        .chain(needs.into_iter().map(|id| (ListingKind::Need, id)))
        .collect())
}

/// Of `ids`, the market records we hold already: linked, or (after a lost link write) the
/// external id of a listing.
pub async fn known_external_ids<C: ConnectionTrait>(
    db: &C,
    source: &str,
    ids: &[&str],
) -> Result<std::collections::HashSet<String>, DbErr> {
    use crate::db::entities::{achievement, need};
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let owned: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    let mut known: std::collections::HashSet<String> = listing_source::Entity::find()
        .select_only()
        .column(listing_source::Column::ExternalId)
        .filter(listing_source::Column::Source.eq(source))
        .filter(listing_source::Column::ExternalId.is_in(owned.clone()))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let achievements: Vec<Option<String>> = achievement::Entity::find()
        .select_only()
        .column(achievement::Column::ExternalId)
        .filter(achievement::Column::Source.eq(source))
        .filter(achievement::Column::ExternalId.is_in(owned.clone()))
        .into_tuple()
        .all(db)
        .await?;
    let needs: Vec<Option<String>> = need::Entity::find()
        .select_only()
        .column(need::Column::ExternalId)
        .filter(need::Column::Source.eq(source))
        .filter(need::Column::ExternalId.is_in(owned))
        .into_tuple()
        .all(db)
        .await?;
    known.extend(achievements.into_iter().chain(needs).flatten());
    Ok(known)
}

/// Points a source link at another listing.
pub async fn relink<C: ConnectionTrait>(
    db: &C,
    link_id: i32,
    listing_id: i32,
    link: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    listing_source::ActiveModel {
        id: Set(link_id),
        listing_id: Set(listing_id),
        link: Set(link.to_owned()),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}
