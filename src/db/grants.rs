//! Disclosure grants: which counterpart organisation may read which listing's confidential
//! detail and its owner's contacts.

use crate::db::entities::disclosure_grant::{ActiveModel, Column, Entity};
use crate::db::outbox::ListingKind;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, NotSet, QueryFilter,
    QuerySelect, Set,
};
use std::collections::HashSet;

pub use crate::db::entities::disclosure_grant::Model as GrantRow;

/// A grant to record.
pub struct NewGrant<'a> {
    pub kind: ListingKind,
    pub listing_id: i32,
    pub owner_org_id: i32,
    pub grantee_org_id: i32,
    pub granted_by: Option<i32>,
    pub reason: &'a str,
}

/// Records a grant, or returns the live one that already exists.
pub async fn grant<C: ConnectionTrait>(
    db: &C,
    g: NewGrant<'_>,
    now: DateTime<Utc>,
) -> Result<GrantRow, DbErr> {
    upsert(db, g.kind.as_str(), g, now).await
}

/// Discloses `owner_org_id`'s contacts (not any listing's detail) to `grantee_org_id` for a
/// pairing that reached INTRODUCED without naming a listing of the owner.
pub async fn grant_contacts<C: ConnectionTrait>(
    db: &C,
    pairing_id: i32,
    owner_org_id: i32,
    grantee_org_id: i32,
    granted_by: Option<i32>,
    now: DateTime<Utc>,
) -> Result<GrantRow, DbErr> {
    let g = NewGrant {
        kind: ListingKind::Need,
        listing_id: pairing_id,
        owner_org_id,
        grantee_org_id,
        granted_by,
        reason: "对接引荐",
    };
    upsert(db, CONTACTS_ONLY, g, now).await
}

/// The `listing_kind` of grants that disclose contacts only; no listing query reads it.
const CONTACTS_ONLY: &str = "pairing";

async fn upsert<C: ConnectionTrait>(
    db: &C,
    kind: &str,
    g: NewGrant<'_>,
    now: DateTime<Utc>,
) -> Result<GrantRow, DbErr> {
    let NewGrant {
        listing_id,
        owner_org_id,
        grantee_org_id,
        granted_by,
        reason,
        ..
    } = g;
    // The row first (a no-op if it exists), then read it locked: two grants at once (a
    // broker's and an introduction's) find one row instead of both inserting.
    let fresh = ActiveModel {
        id: NotSet,
        listing_kind: Set(kind.to_owned()),
        listing_id: Set(listing_id),
        owner_org_id: Set(owner_org_id),
        grantee_org_id: Set(grantee_org_id),
        granted_by: Set(granted_by),
        reason: Set(reason.to_owned()),
        created_at: Set(now),
        revoked_at: Set(None),
    };
    Entity::insert(fresh.clone())
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                Column::ListingKind,
                Column::ListingId,
                Column::GranteeOrgId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    let existing = Entity::find()
        .filter(Column::ListingKind.eq(kind))
        .filter(Column::ListingId.eq(listing_id))
        .filter(Column::GranteeOrgId.eq(grantee_org_id))
        .lock_exclusive()
        .one(db)
        .await?;
    match existing {
        Some(row) if row.revoked_at.is_none() => Ok(row),
        Some(row) => {
            ActiveModel {
                id: Set(row.id),
                revoked_at: Set(None),
                reason: Set(reason.to_owned()),
                granted_by: Set(granted_by),
                created_at: Set(now),
                ..Default::default()
            }
            .update(db)
            .await
        }
        None => fresh.insert(db).await,
    }
}

/// Of `listing_ids`, those whose confidential detail `grantee` may read.
pub async fn granted_listings<C: ConnectionTrait>(
    db: &C,
    kind: ListingKind,
    grantee: i32,
    listing_ids: &[i32],
) -> Result<HashSet<i32>, DbErr> {
    if listing_ids.is_empty() {
        return Ok(HashSet::new());
    }
    let rows = Entity::find()
        .filter(Column::ListingKind.eq(kind.as_str()))
        .filter(Column::GranteeOrgId.eq(grantee))
        .filter(Column::RevokedAt.is_null())
        .filter(Column::ListingId.is_in(listing_ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| r.listing_id).collect())
}

/// Of `owner_ids`, the organisations whose contacts `grantee` may read.
pub async fn granted_owners<C: ConnectionTrait>(
    db: &C,
    grantee: i32,
    owner_ids: &[i32],
) -> Result<HashSet<i32>, DbErr> {
    if owner_ids.is_empty() {
        return Ok(HashSet::new());
    }
    let rows = Entity::find()
        .filter(Column::GranteeOrgId.eq(grantee))
        .filter(Column::RevokedAt.is_null())
        .filter(Column::OwnerOrgId.is_in(owner_ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| r.owner_org_id).collect())
}
