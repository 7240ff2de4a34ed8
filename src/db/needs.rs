//! Reading and writing technology needs.

use crate::db::entities::need::{ActiveModel, Column, Entity, Model};
use crate::db::listing_query::{self, ListingQuery};
use crate::db::outbox::ListingKind;
use crate::db::tags::{self, Facet};
use crate::db::{from_json, to_json};
use crate::domain::{ListingSource, Need, NeedStatus, NeedVisibility, PriceRange};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, NotSet, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

const KIND: ListingKind = ListingKind::Need;

/// Row → record.
pub fn from_model(m: Model) -> Need {
    Need {
        id: m.id,
        owner_id: m.owner_id,
        keywords: from_json(&m.keywords, "needs.keywords"),
        industry_codes: from_json(&m.industry_codes, "needs.industry_codes"),
        cooperation_modes: from_json(&m.cooperation_modes, "needs.cooperation_modes"),
        priority_tracks: from_json(&m.priority_tracks, "needs.priority_tracks"),
        min_trl: m.min_trl.and_then(|t| u8::try_from(t).ok()),
        budget: PriceRange::from_stored(m.budget_min, m.budget_max),
        visibility: NeedVisibility::parse(&m.visibility).unwrap_or(NeedVisibility::Confidential),
        status: NeedStatus::parse(&m.status).unwrap_or(NeedStatus::Draft),
        source: ListingSource::parse(&m.source).unwrap_or(ListingSource::Local),
        title: m.title,
        problem: m.problem,
        requirements: m.requirements,
        confidential_detail: m.confidential_detail,
        discipline_code: m.discipline_code,
        deadline: m.deadline,
        published_at: m.published_at,
        expires_at: m.expires_at,
        external_id: m.external_id,
        created_at: m.created_at,
        updated_at: m.updated_at,
        moderation_note: m.moderation_note,
    }
}

fn to_active(n: &Need) -> ActiveModel {
    ActiveModel {
        id: if n.id == 0 { NotSet } else { Set(n.id) },
        owner_id: Set(n.owner_id),
        title: Set(n.title.clone()),
        problem: Set(n.problem.clone()),
        requirements: Set(n.requirements.clone()),
        confidential_detail: Set(n.confidential_detail.clone()),
        keywords: Set(to_json(&n.keywords)),
        industry_codes: Set(to_json(&n.industry_codes)),
        discipline_code: Set(n.discipline_code.clone()),
        min_trl: Set(n.min_trl.map(i16::from)),
        cooperation_modes: Set(to_json(&n.cooperation_modes)),
        budget_min: Set(n.budget.min()),
        budget_max: Set(n.budget.max()),
        deadline: Set(n.deadline),
        visibility: Set(n.visibility.as_str().to_owned()),
        priority_tracks: Set(to_json(&n.priority_tracks)),
        status: Set(n.status.as_str().to_owned()),
        published_at: Set(n.published_at),
        expires_at: Set(n.expires_at),
        source: Set(n.source.as_str().to_owned()),
        external_id: Set(n.external_id.clone()),
        created_at: Set(n.created_at),
        updated_at: Set(n.updated_at),
        moderation_note: Set(n.moderation_note.clone()),
    }
}

fn facet_tags(n: &Need) -> Vec<(Facet, String)> {
    let industries = n
        .industry_codes
        .iter()
        .map(|c| (Facet::Industry, c.clone()));
    let modes = n
        .cooperation_modes
        .iter()
        .map(|m| (Facet::Mode, m.as_str().to_owned()));
    let tracks = n.priority_tracks.iter().map(|t| (Facet::Track, t.clone()));
    industries.chain(modes).chain(tracks).collect()
}

/// Inserts (id 0) or updates a record and its tags; returns the stored record.
pub async fn save<C: ConnectionTrait>(db: &C, n: &Need) -> Result<Need, DbErr> {
    let active = to_active(n);
    let model = if n.id == 0 {
        let model = active.insert(db).await?;
        tags::insert(db, KIND, model.id, &facet_tags(n)).await?;
        model
    } else {
        let model = active.update(db).await?;
        tags::replace(db, KIND, model.id, &facet_tags(n)).await?;
        model
    };
    Ok(from_model(model))
}

/// Updates only the row (status, dates), keeping tags.
pub async fn save_row<C: ConnectionTrait>(db: &C, n: &Need) -> Result<Need, DbErr> {
    to_active(n).update(db).await.map(from_model)
}

/// One record by id.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<Need>, DbErr> {
    Ok(Entity::find_by_id(id).one(db).await?.map(from_model))
}

/// The same, locked against other writers until the caller's transaction ends (`FOR UPDATE` on
/// PostgreSQL; SQLite's write transaction already excludes them). Every read-modify-write
/// reads through this, so two concurrent changes apply one after the other and neither is lost.
pub async fn find_for_update<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<Need>, DbErr> {
    use sea_orm::QuerySelect;
    Ok(Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?
        .map(from_model))
}

/// Record by source and external id.
pub async fn find_external<C: ConnectionTrait>(
    db: &C,
    source: ListingSource,
    external_id: &str,
) -> Result<Option<Need>, DbErr> {
    Ok(Entity::find()
        .filter(Column::Source.eq(source.as_str()))
        .filter(Column::ExternalId.eq(external_id))
        .one(db)
        .await?
        .map(from_model))
}

/// Counts records matching `q`.
pub async fn count<C: ConnectionTrait>(db: &C, q: &ListingQuery) -> Result<u64, DbErr> {
    listing_query::count::<Entity, _>(db, KIND, q).await
}

/// The newest `per_owner` records of each owner matching `q`, in one statement.
pub async fn newest_per_owner<C: ConnectionTrait>(
    db: &C,
    q: &ListingQuery,
    per_owner: u64,
) -> Result<Vec<Need>, DbErr> {
    let rows = listing_query::newest_per_owner::<Entity, _>(db, KIND, q, per_owner).await?;
    Ok(rows.into_iter().map(from_model).collect())
}

/// One page of records matching `q`.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    q: &ListingQuery,
    offset: u64,
    limit: u64,
) -> Result<Vec<Need>, DbErr> {
    let rows = listing_query::page::<Entity, _>(db, KIND, q, offset, limit).await?;
    Ok(rows.into_iter().map(from_model).collect())
}

/// Open or negotiating needs past their expiry at `now`, at most `limit`, locked for the
/// caller's transaction (a listing renewed meanwhile is re-checked and left out).
pub async fn overdue<C: ConnectionTrait>(
    db: &C,
    now: chrono::DateTime<chrono::Utc>,
    limit: u64,
) -> Result<Vec<Need>, DbErr> {
    let live = [NeedStatus::Open.as_str(), NeedStatus::Negotiating.as_str()];
    let rows = Entity::find()
        .filter(Column::Status.is_in(live))
        .filter(Column::ExpiresAt.lte(now))
        .order_by_asc(Column::ExpiresAt)
        .limit(limit)
        .lock_exclusive()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(from_model).collect())
}

/// Records with id above `after_id`, by id, at most `limit` (for rebuilding the index).
pub async fn batch_after<C: ConnectionTrait>(
    db: &C,
    after_id: i32,
    limit: u64,
) -> Result<Vec<Need>, DbErr> {
    use sea_orm::QuerySelect;
    let rows = Entity::find()
        .filter(Column::Id.gt(after_id))
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(from_model).collect())
}
