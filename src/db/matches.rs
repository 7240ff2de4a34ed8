//! Stored matches and background-job cursors.

use crate::db::entities::{job_cursor, listing_match};
use crate::db::outbox::ListingKind;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::HashSet;

/// One computed match to store.
#[derive(Debug, Clone)]
pub struct NewMatch {
    /// The need.
    pub need_id: i32,
    /// The result.
    pub achievement_id: i32,
    /// Score in 0..=1.
    pub score: f64,
    /// Reasons as JSON.
    pub reasons: String,
}

fn side_column(kind: ListingKind) -> listing_match::Column {
    match kind {
        ListingKind::Need => listing_match::Column::NeedId,
        ListingKind::Achievement => listing_match::Column::AchievementId,
    }
}

fn dismissed_column(kind: ListingKind) -> listing_match::Column {
    match kind {
        ListingKind::Need => listing_match::Column::DismissedForNeedAt,
        ListingKind::Achievement => listing_match::Column::DismissedForAchievementAt,
    }
}

fn counterpart_id(kind: ListingKind, row: &listing_match::Model) -> i32 {
    match kind {
        ListingKind::Need => row.achievement_id,
        ListingKind::Achievement => row.need_id,
    }
}

fn found_column(kind: ListingKind) -> listing_match::Column {
    match kind {
        ListingKind::Need => listing_match::Column::FoundFromNeed,
        ListingKind::Achievement => listing_match::Column::FoundFromAchievement,
    }
}

fn other(kind: ListingKind) -> ListingKind {
    match kind {
        ListingKind::Need => ListingKind::Achievement,
        ListingKind::Achievement => ListingKind::Need,
    }
}

/// Records what one listing's matching found now. `Some(matches)`: these pairs are found from
/// this listing's side (inserted, keeping their first-matched time when they existed); pairs
/// this side no longer finds are deleted once neither side finds them. `None`: the listing
/// left the market, and all its pairs go. Dismissed pairs always stay. Call in a transaction.
pub async fn replace_for<C: ConnectionTrait>(
    db: &C,
    kind: ListingKind,
    listing_id: i32,
    matches: Option<&[NewMatch]>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let not_dismissed = || {
        sea_orm::Condition::all()
            .add(listing_match::Column::DismissedForNeedAt.is_null())
            .add(listing_match::Column::DismissedForAchievementAt.is_null())
    };
    let Some(matches) = matches else {
        listing_match::Entity::delete_many()
            .filter(side_column(kind).eq(listing_id))
            .filter(not_dismissed())
            .exec(db)
            .await?;
        return Ok(());
    };
    let keep: Vec<i32> = matches
        .iter()
        .map(|m| match kind {
            ListingKind::Need => m.achievement_id,
            ListingKind::Achievement => m.need_id,
        })
        .collect();
    listing_match::Entity::update_many()
        .col_expr(found_column(kind), Expr::value(false))
        .filter(side_column(kind).eq(listing_id))
        .filter(side_column(other(kind)).is_not_in(keep))
        .exec(db)
        .await?;
    listing_match::Entity::delete_many()
        .filter(side_column(kind).eq(listing_id))
        .filter(listing_match::Column::FoundFromNeed.eq(false))
        .filter(listing_match::Column::FoundFromAchievement.eq(false))
        .filter(not_dismissed())
        .exec(db)
        .await?;
    if matches.is_empty() {
        return Ok(());
    }
    let rows = matches.iter().map(|m| listing_match::ActiveModel {
        id: NotSet,
        need_id: Set(m.need_id),
        achievement_id: Set(m.achievement_id),
        score: Set(m.score),
        reasons: Set(m.reasons.clone()),
        first_matched_at: Set(now),
        computed_at: Set(now),
        dismissed_for_need_at: Set(None),
        dismissed_for_achievement_at: Set(None),
        found_from_need: Set(kind == ListingKind::Need),
        found_from_achievement: Set(kind == ListingKind::Achievement),
    });
    listing_match::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                listing_match::Column::NeedId,
                listing_match::Column::AchievementId,
            ])
            .update_columns([
                listing_match::Column::Score,
                listing_match::Column::Reasons,
                listing_match::Column::ComputedAt,
                found_column(kind),
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Every stored `(need, result)` pair of one listing, dismissed or not.
pub async fn pairs_of<C: ConnectionTrait>(
    db: &C,
    kind: ListingKind,
    listing_id: i32,
) -> Result<HashSet<(i32, i32)>, DbErr> {
    Ok(listing_match::Entity::find()
        .select_only()
        .column(listing_match::Column::NeedId)
        .column(listing_match::Column::AchievementId)
        .filter(side_column(kind).eq(listing_id))
        .into_tuple::<(i32, i32)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// Counterparts dismissed for this listing's side.
pub async fn dismissed_for<C: ConnectionTrait>(
    db: &C,
    kind: ListingKind,
    listing_id: i32,
) -> Result<HashSet<i32>, DbErr> {
    Ok(listing_match::Entity::find()
        .filter(side_column(kind).eq(listing_id))
        .filter(dismissed_column(kind).is_not_null())
        .all(db)
        .await?
        .iter()
        .map(|row| counterpart_id(kind, row))
        .collect())
}

/// Marks a pair dismissed for one side, creating the row when the pair was never stored;
/// whether it was not dismissed on that side before. A pair dismissed already keeps its first
/// time; of two dismissals at once, PostgreSQL's row lock lets one through and the other,
/// re-reading the row, finds it dismissed.
pub async fn dismiss<C: ConnectionTrait>(
    db: &C,
    side: ListingKind,
    need_id: i32,
    achievement_id: i32,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    listing_match::Entity::insert(listing_match::ActiveModel {
        id: NotSet,
        need_id: Set(need_id),
        achievement_id: Set(achievement_id),
        score: Set(0.0),
        reasons: Set("null".into()),
        first_matched_at: Set(now),
        computed_at: Set(now),
        dismissed_for_need_at: Set(None),
        dismissed_for_achievement_at: Set(None),
        found_from_need: Set(false),
        found_from_achievement: Set(false),
    })
    .on_conflict(
        OnConflict::columns([
            listing_match::Column::NeedId,
            listing_match::Column::AchievementId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let updated = listing_match::Entity::update_many()
        .col_expr(dismissed_column(side), Expr::value(now))
        .filter(listing_match::Column::NeedId.eq(need_id))
        .filter(listing_match::Column::AchievementId.eq(achievement_id))
        .filter(dismissed_column(side).is_null())
        .exec(db)
        .await?;
    Ok(updated.rows_affected > 0)
}

/// Stored matches of one listing not dismissed on its side, best first.
pub async fn stored_for<C: ConnectionTrait>(
    db: &C,
    kind: ListingKind,
    listing_id: i32,
    limit: u64,
) -> Result<Vec<listing_match::Model>, DbErr> {
    listing_match::Entity::find()
        .filter(side_column(kind).eq(listing_id))
        .filter(dismissed_column(kind).is_null())
        .filter(listing_match::Column::Score.gt(0.0))
        .order_by_desc(listing_match::Column::Score)
        .order_by_asc(listing_match::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Where a background job stands; 0 when it never ran.
pub async fn job_cursor<C: ConnectionTrait>(db: &C, name: &str) -> Result<i64, DbErr> {
    Ok(job_cursor::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?
        .map_or(0, |c| c.position))
}

/// Moves a background job from `from` to `to`, only if it still stands at `from`: false when
/// another run moved it meanwhile (a replica that lost the job's lease), whose work then
/// stands and this run's must not.
pub async fn advance_job_cursor<C: ConnectionTrait>(
    db: &C,
    name: &str,
    from: i64,
    to: i64,
) -> Result<bool, DbErr> {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, QueryFilter};
    job_cursor::Entity::insert(job_cursor::ActiveModel {
        name: Set(name.to_owned()),
        position: Set(0),
    })
    .on_conflict(
        OnConflict::column(job_cursor::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let moved = job_cursor::Entity::update_many()
        .col_expr(job_cursor::Column::Position, Expr::value(to))
        .filter(job_cursor::Column::Name.eq(name))
        .filter(job_cursor::Column::Position.eq(from))
        .exec(db)
        .await?;
    Ok(moved.rows_affected == 1)
}

/// Records where a background job stands.
pub async fn set_job_cursor<C: ConnectionTrait>(
    db: &C,
    name: &str,
    position: i64,
) -> Result<(), DbErr> {
    job_cursor::Entity::insert(job_cursor::ActiveModel {
        name: Set(name.to_owned()),
        position: Set(position),
    })
    .on_conflict(
        OnConflict::column(job_cursor::Column::Name)
            .update_column(job_cursor::Column::Position)
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// What someone decided about a match, kept for a later ranking to learn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judgement {
    /// The need's side dismissed the result.
    DismissedForNeed,
    /// The result's side dismissed the need.
    DismissedForAchievement,
    /// A pairing of the two reached a signed contract.
    Signed,
    /// A pairing of the two was declined.
    Declined,
}

impl Judgement {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DismissedForNeed => "DISMISSED_FOR_NEED",
            Self::DismissedForAchievement => "DISMISSED_FOR_ACHIEVEMENT",
            Self::Signed => "SIGNED",
            Self::Declined => "DECLINED",
        }
    }

    /// The dismissal of `side`.
    pub fn dismissed_for(side: ListingKind) -> Self {
        match side {
            ListingKind::Need => Self::DismissedForNeed,
            ListingKind::Achievement => Self::DismissedForAchievement,
        }
    }
}

/// Records a judgement on the match of `need_id` and `achievement_id`, with the match's stored
/// score when it has one (a dismissal stores a row with score 0 for a match never stored).
pub async fn record_judgement<C: ConnectionTrait>(
    db: &C,
    need_id: i32,
    achievement_id: i32,
    judgement: Judgement,
    pairing_id: Option<i32>,
    actor_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use crate::db::entities::match_judgement;
    let score = listing_match::Entity::find()
        .filter(listing_match::Column::NeedId.eq(need_id))
        .filter(listing_match::Column::AchievementId.eq(achievement_id))
        .one(db)
        .await?
        .map(|m| m.score)
        .filter(|s| *s > 0.0);
    match_judgement::Entity::insert(match_judgement::ActiveModel {
        id: NotSet,
        need_id: Set(need_id),
        achievement_id: Set(achievement_id),
        judgement: Set(judgement.as_str().to_owned()),
        pairing_id: Set(pairing_id),
        score: Set(score),
        actor_id: Set(actor_id),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Judgements on one match, oldest first.
pub async fn judgements_for<C: ConnectionTrait>(
    db: &C,
    need_id: i32,
    achievement_id: i32,
) -> Result<Vec<crate::db::entities::match_judgement::Model>, DbErr> {
    use crate::db::entities::match_judgement;
    match_judgement::Entity::find()
        .filter(match_judgement::Column::NeedId.eq(need_id))
        .filter(match_judgement::Column::AchievementId.eq(achievement_id))
        .order_by_asc(match_judgement::Column::Id)
        .all(db)
        .await
}
