//! Writing and reading the audit log.

use crate::db::entities::audit_event::{ActiveModel, Column, Entity};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, NotSet,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

pub use crate::db::entities::audit_event::Model as AuditRow;

/// One audit record to write.
pub struct NewAuditEvent<'a> {
    pub actor_user_id: Option<i32>,
    pub actor_label: &'a str,
    pub action: &'a str,
    pub target_type: Option<&'a str>,
    pub target_id: Option<i32>,
    pub outcome: &'a str,
}

/// Appends one record.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    e: NewAuditEvent<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    ActiveModel {
        id: NotSet,
        actor_user_id: Set(e.actor_user_id),
        actor_label: Set(e.actor_label.to_owned()),
        action: Set(e.action.to_owned()),
        target_type: Set(e.target_type.map(str::to_owned)),
        target_id: Set(e.target_id),
        outcome: Set(e.outcome.to_owned()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Filter for reading the log.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor_user_id: Option<i32>,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<i32>,
    pub outcome: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

fn condition(q: &AuditQuery) -> Condition {
    let mut c = Condition::all();
    if let Some(v) = q.actor_user_id {
        c = c.add(Column::ActorUserId.eq(v));
    }
    if let Some(v) = &q.action {
        c = c.add(Column::Action.eq(v.as_str()));
    }
    if let Some(v) = &q.target_type {
        c = c.add(Column::TargetType.eq(v.as_str()));
    }
    if let Some(v) = q.target_id {
        c = c.add(Column::TargetId.eq(v));
    }
    if let Some(v) = &q.outcome {
        c = c.add(Column::Outcome.eq(v.as_str()));
    }
    if let Some(v) = q.since {
        c = c.add(Column::CreatedAt.gte(v));
    }
    if let Some(v) = q.until {
        c = c.add(Column::CreatedAt.lt(v));
    }
    c
}

/// Counts matching records.
pub async fn count<C: ConnectionTrait>(db: &C, q: &AuditQuery) -> Result<u64, DbErr> {
    Entity::find().filter(condition(q)).count(db).await
}

/// One page of matching records, newest first.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    q: &AuditQuery,
    offset: u64,
    limit: u64,
) -> Result<Vec<AuditRow>, DbErr> {
    Entity::find()
        .filter(condition(q))
        .order_by_desc(Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await
}
