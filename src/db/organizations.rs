//! Reading and writing organisations.

use crate::db::entities::organization::{ActiveModel, Column, Entity, Model};
use crate::domain::{Organization, OrganizationKind};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, NotSet,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

/// Row → record.
pub fn from_model(m: Model) -> Organization {
    Organization {
        id: m.id,
        kind: OrganizationKind::parse(&m.kind).unwrap_or(OrganizationKind::Enterprise),
        name: m.name,
        credit_code: m.credit_code,
        region_code: m.region_code,
        verified: m.verified,
        description: m.description,
        contact_name: m.contact_name,
        contact_phone: m.contact_phone,
        contact_email: m.contact_email,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

/// Inserts (id 0) or updates.
pub async fn save<C: ConnectionTrait>(db: &C, o: &Organization) -> Result<Organization, DbErr> {
    let active = ActiveModel {
        id: if o.id == 0 { NotSet } else { Set(o.id) },
        kind: Set(o.kind.as_str().to_owned()),
        name: Set(o.name.clone()),
        credit_code: Set(o.credit_code.clone()),
        region_code: Set(o.region_code.clone()),
        verified: Set(o.verified),
        description: Set(o.description.clone()),
        contact_name: Set(o.contact_name.clone()),
        contact_phone: Set(o.contact_phone.clone()),
        contact_email: Set(o.contact_email.clone()),
        created_at: Set(o.created_at),
        updated_at: Set(o.updated_at),
    };
    let model = if o.id == 0 {
        active.insert(db).await?
    } else {
        active.update(db).await?
    };
    Ok(from_model(model))
}

/// One record by id.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<Organization>, DbErr> {
    Ok(Entity::find_by_id(id).one(db).await?.map(from_model))
}

/// The same, with a shared lock until the caller's transaction ends (`FOR SHARE` on
/// PostgreSQL): for a change that depends on the row without changing it.
pub async fn find_shared<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<Organization>, DbErr> {
    use sea_orm::QuerySelect;
    Ok(Entity::find_by_id(id)
        .lock_shared()
        .one(db)
        .await?
        .map(from_model))
}

/// The same, locked against other writers until the caller's transaction ends (`FOR UPDATE` on
/// PostgreSQL; SQLite's write transaction already excludes them). Every read-modify-write
/// reads through this, so two concurrent changes apply one after the other and neither is lost.
pub async fn find_for_update<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<Organization>, DbErr> {
    use sea_orm::QuerySelect;
    Ok(Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?
        .map(from_model))
}

/// Records by ids in one statement.
pub async fn find_many<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> Result<Vec<Organization>, DbErr> {
    let rows = Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(from_model).collect())
}

/// Record by credit code.
pub async fn find_by_credit_code<C: ConnectionTrait>(
    db: &C,
    credit_code: &str,
) -> Result<Option<Organization>, DbErr> {
    Ok(Entity::find()
        .filter(Column::CreditCode.eq(credit_code))
        .one(db)
        .await?
        .map(from_model))
}

/// Filter for the organisation list.
#[derive(Debug, Clone, Default)]
pub struct OrganizationQuery {
    /// Kinds.
    pub kinds: Vec<OrganizationKind>,
    /// Region prefix.
    pub region_prefix: Option<String>,
    /// Verified only / unverified only.
    pub verified: Option<bool>,
    /// Name contains.
    pub name_contains: Option<String>,
}

fn condition(q: &OrganizationQuery) -> Condition {
    let mut cond = Condition::all();
    if !q.kinds.is_empty() {
        cond = cond.add(Column::Kind.is_in(q.kinds.iter().map(|k| k.as_str())));
    }
    if let Some(prefix) = &q.region_prefix {
        cond = cond.add(Column::RegionCode.starts_with(prefix));
    }
    if let Some(verified) = q.verified {
        cond = cond.add(Column::Verified.eq(verified));
    }
    if let Some(name) = &q.name_contains {
        cond = cond.add(Column::Name.contains(name));
    }
    cond
}

/// Counts matching organisations.
pub async fn count<C: ConnectionTrait>(db: &C, q: &OrganizationQuery) -> Result<u64, DbErr> {
    Entity::find().filter(condition(q)).count(db).await
}

/// One page of matching organisations, by name.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    q: &OrganizationQuery,
    offset: u64,
    limit: u64,
) -> Result<Vec<Organization>, DbErr> {
    let rows = Entity::find()
        .filter(condition(q))
        .order_by_asc(Column::Name)
        .order_by_asc(Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(from_model).collect())
}
