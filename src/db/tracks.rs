//! Reading and writing priority tracks.

use crate::db::entities::priority_track::{ActiveModel, Column, Entity, Model};
use crate::domain::PriorityTrack;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, QueryOrder, Set};

fn from_model(m: Model) -> PriorityTrack {
    PriorityTrack {
        code: m.code,
        name: m.name,
        description: m.description,
        sort_order: m.sort_order,
        active: m.active,
    }
}

/// Every track in display order.
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<PriorityTrack>, DbErr> {
    let rows = Entity::find()
        .order_by_asc(Column::SortOrder)
        .order_by_asc(Column::Code)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(from_model).collect())
}

/// Inserts or updates a track by code; an identical track is left untouched.
pub async fn upsert<C: ConnectionTrait>(
    db: &C,
    track: &PriorityTrack,
    now: DateTime<Utc>,
) -> Result<PriorityTrack, DbErr> {
    let existing = Entity::find_by_id(track.code.clone()).one(db).await?;
    if let Some(current) = existing.as_ref().map(|m| from_model(m.clone()))
        && &current == track
    {
        return Ok(current);
    }
    let active = ActiveModel {
        code: Set(track.code.clone()),
        name: Set(track.name.clone()),
        description: Set(track.description.clone()),
        sort_order: Set(track.sort_order),
        active: Set(track.active),
        created_at: Set(existing.as_ref().map_or(now, |e| e.created_at)),
        updated_at: Set(now),
    };
    let model = match existing {
        Some(_) => active.update(db).await?,
        None => active.insert(db).await?,
    };
    Ok(from_model(model))
}
