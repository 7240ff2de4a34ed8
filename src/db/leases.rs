//! Job leases: one statement takes or renews a lease, so two replicas asking at once cannot
//! both win (the row's primary key and the upsert's condition decide).

use crate::db::entities::job_lease;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter, Set};

/// Takes the lease on `name` for `holder` until `until`, or renews it, unless another holder
/// has it and it has not expired at `now`. True when `holder` holds it now.
pub async fn try_take<C: ConnectionTrait>(
    db: &C,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mine = Expr::col((job_lease::Entity, job_lease::Column::Holder)).eq(holder);
    take_if(db, name, holder, until, mine.or(expired(now))).await
}

/// Claims `name` for one period ending at `until`, only if the last claim has run out at
/// `now` (whoever made it): a period is claimed once across the cluster, even by replicas
/// whose timers tick at different moments.
pub async fn try_claim<C: ConnectionTrait>(
    db: &C,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, DbErr> {
    take_if(db, name, holder, until, expired(now)).await
}

fn expired(now: DateTime<Utc>) -> sea_orm::sea_query::SimpleExpr {
    Expr::col((job_lease::Entity, job_lease::Column::ExpiresAt)).lte(now)
}

/// One statement: the row is created, or taken over only where `condition` holds of it.
async fn take_if<C: ConnectionTrait>(
    db: &C,
    name: &str,
    holder: &str,
    until: DateTime<Utc>,
    condition: sea_orm::sea_query::SimpleExpr,
) -> Result<bool, DbErr> {
    let taken = job_lease::Entity::insert(job_lease::ActiveModel {
        name: Set(name.to_owned()),
        holder: Set(holder.to_owned()),
        expires_at: Set(until),
    })
    .on_conflict(
        OnConflict::column(job_lease::Column::Name)
            .update_columns([job_lease::Column::Holder, job_lease::Column::ExpiresAt])
            .action_and_where(condition)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(taken == 1)
}

/// Gives a lease back (a replica shutting down), so another takes it at once.
pub async fn release<C: ConnectionTrait>(db: &C, name: &str, holder: &str) -> Result<(), DbErr> {
    job_lease::Entity::delete_many()
        .filter(job_lease::Column::Name.eq(name))
        .filter(job_lease::Column::Holder.eq(holder))
        .exec(db)
        .await?;
    Ok(())
}

/// Who holds the lease on `name`, and until when.
pub async fn holder_of<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<(String, DateTime<Utc>)>, DbErr> {
    Ok(job_lease::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?
        .map(|l| (l.holder, l.expires_at)))
}
