//! Reading and writing research results.

use crate::db::entities::achievement::{ActiveModel, Column, Entity, Model};
use crate::db::listing_query::{self, ListingQuery};
use crate::db::outbox::ListingKind;
use crate::db::tags::{self, Facet};
use crate::db::{from_json, to_json};
use crate::domain::{Achievement, AchievementStatus, ListingSource, MaturityStage, PriceRange};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, NotSet, QueryFilter,
    QueryOrder, Set,
};

const KIND: ListingKind = ListingKind::Achievement;

/// Row → record.
pub fn from_model(m: Model) -> Achievement {
    Achievement {
        id: m.id,
        owner_id: m.owner_id,
        keywords: from_json(&m.keywords, "achievements.keywords"),
        industry_codes: from_json(&m.industry_codes, "achievements.industry_codes"),
        ip_records: from_json(&m.ip_records, "achievements.ip_records"),
        transfer_modes: from_json(&m.transfer_modes, "achievements.transfer_modes"),
        inventors: from_json(&m.inventors, "achievements.inventors"),
        priority_tracks: from_json(&m.priority_tracks, "achievements.priority_tracks"),
        trl: u8::try_from(m.trl).unwrap_or(1),
        maturity: MaturityStage::parse(&m.maturity).unwrap_or(MaturityStage::InResearch),
        price: PriceRange::from_stored(m.price_min, m.price_max),
        status: AchievementStatus::parse(&m.status).unwrap_or(AchievementStatus::Draft),
        source: ListingSource::parse(&m.source).unwrap_or(ListingSource::Local),
        title: m.title,
        summary: m.summary,
        confidential_detail: m.confidential_detail,
        application_fields: m.application_fields,
        advantages: m.advantages,
        requirements: m.requirements,
        discipline_code: m.discipline_code,
        team_lead: m.team_lead,
        registration_number: m.registration_number,
        published_at: m.published_at,
        expires_at: m.expires_at,
        external_id: m.external_id,
        created_at: m.created_at,
        updated_at: m.updated_at,
        moderation_note: m.moderation_note,
    }
}

fn to_active(a: &Achievement) -> ActiveModel {
    ActiveModel {
        id: if a.id == 0 { NotSet } else { Set(a.id) },
        owner_id: Set(a.owner_id),
        title: Set(a.title.clone()),
        summary: Set(a.summary.clone()),
        confidential_detail: Set(a.confidential_detail.clone()),
        keywords: Set(to_json(&a.keywords)),
        application_fields: Set(a.application_fields.clone()),
        advantages: Set(a.advantages.clone()),
        requirements: Set(a.requirements.clone()),
        discipline_code: Set(a.discipline_code.clone()),
        industry_codes: Set(to_json(&a.industry_codes)),
        trl: Set(i16::from(a.trl)),
        maturity: Set(a.maturity.as_str().to_owned()),
        ip_records: Set(to_json(&a.ip_records)),
        transfer_modes: Set(to_json(&a.transfer_modes)),
        price_min: Set(a.price.min()),
        price_max: Set(a.price.max()),
        team_lead: Set(a.team_lead.clone()),
        inventors: Set(to_json(&a.inventors)),
        registration_number: Set(a.registration_number.clone()),
        priority_tracks: Set(to_json(&a.priority_tracks)),
        status: Set(a.status.as_str().to_owned()),
        published_at: Set(a.published_at),
        expires_at: Set(a.expires_at),
        source: Set(a.source.as_str().to_owned()),
        external_id: Set(a.external_id.clone()),
        created_at: Set(a.created_at),
        updated_at: Set(a.updated_at),
        moderation_note: Set(a.moderation_note.clone()),
    }
}

fn facet_tags(a: &Achievement) -> Vec<(Facet, String)> {
    let industries = a
        .industry_codes
        .iter()
        .map(|c| (Facet::Industry, c.clone()));
    let modes = a
        .transfer_modes
        .iter()
        .map(|m| (Facet::Mode, m.as_str().to_owned()));
    let tracks = a.priority_tracks.iter().map(|t| (Facet::Track, t.clone()));
    industries.chain(modes).chain(tracks).collect()
}

/// Inserts (id 0) or updates a record and its tags; returns the stored record.
pub async fn save<C: ConnectionTrait>(db: &C, a: &Achievement) -> Result<Achievement, DbErr> {
    let active = to_active(a);
    let model = if a.id == 0 {
        let model = active.insert(db).await?;
        tags::insert(db, KIND, model.id, &facet_tags(a)).await?;
        model
    } else {
        let model = active.update(db).await?;
        tags::replace(db, KIND, model.id, &facet_tags(a)).await?;
        model
    };
    Ok(from_model(model))
}

/// Inserts new records (ids 0) and their tags in two statements; returns the stored records,
/// not necessarily in the given order.
pub async fn insert_many<C: ConnectionTrait>(
    db: &C,
    rows: &[Achievement],
) -> Result<Vec<Achievement>, DbErr> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let models = Entity::insert_many(rows.iter().map(to_active))
        .exec_with_returning(db)
        .await?;
    let saved: Vec<Achievement> = models.into_iter().map(from_model).collect();
    let tags: Vec<(i32, Vec<(Facet, String)>)> =
        saved.iter().map(|a| (a.id, facet_tags(a))).collect();
    tags::insert_many(db, KIND, &tags).await?;
    Ok(saved)
}

/// Updates only the row (status, dates), keeping tags.
pub async fn save_row<C: ConnectionTrait>(db: &C, a: &Achievement) -> Result<Achievement, DbErr> {
    to_active(a).update(db).await.map(from_model)
}

/// One record by id.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<Achievement>, DbErr> {
    Ok(Entity::find_by_id(id).one(db).await?.map(from_model))
}

/// The same, locked against other writers until the caller's transaction ends (`FOR UPDATE` on
/// PostgreSQL; SQLite's write transaction already excludes them). Every read-modify-write
/// reads through this, so two concurrent changes apply one after the other and neither is lost.
pub async fn find_for_update<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<Achievement>, DbErr> {
    use sea_orm::QuerySelect;
    Ok(Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?
        .map(from_model))
}

/// Records by source and external id.
pub async fn find_external<C: ConnectionTrait>(
    db: &C,
    source: ListingSource,
    external_id: &str,
) -> Result<Option<Achievement>, DbErr> {
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
) -> Result<Vec<Achievement>, DbErr> {
    let rows = listing_query::newest_per_owner::<Entity, _>(db, KIND, q, per_owner).await?;
    Ok(rows.into_iter().map(from_model).collect())
}

/// One page of records matching `q`.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    q: &ListingQuery,
    offset: u64,
    limit: u64,
) -> Result<Vec<Achievement>, DbErr> {
    let rows = listing_query::page::<Entity, _>(db, KIND, q, offset, limit).await?;
    Ok(rows.into_iter().map(from_model).collect())
}

/// Published records past their expiry at `now`, oldest first, at most `limit`, locked for the
/// caller's transaction (a listing renewed meanwhile is re-checked and left out).
pub async fn overdue<C: ConnectionTrait>(
    db: &C,
    now: chrono::DateTime<chrono::Utc>,
    limit: u64,
) -> Result<Vec<Achievement>, DbErr> {
    use sea_orm::QuerySelect;
    let rows = Entity::find()
        .filter(Column::Status.eq(AchievementStatus::Published.as_str()))
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
) -> Result<Vec<Achievement>, DbErr> {
    use sea_orm::QuerySelect;
    let rows = Entity::find()
        .filter(Column::Id.gt(after_id))
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(from_model).collect())
}
