//! Reading and writing users, tokens and membership requests.

use crate::db::entities::{auth_token, membership_request, user};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, NotSet,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set,
};

pub use auth_token::Model as TokenRow;
pub use membership_request::Model as MembershipRequestRow;
pub use user::Model as UserRow;

/// A new user.
pub struct NewUser<'a> {
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub operator: bool,
    pub broker: bool,
}

/// Inserts a user.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    u: NewUser<'_>,
    now: DateTime<Utc>,
) -> Result<UserRow, DbErr> {
    user::ActiveModel {
        id: NotSet,
        email: Set(u.email.map(str::to_owned)),
        phone: Set(u.phone.map(str::to_owned)),
        display_name: Set(u.display_name.to_owned()),
        password_hash: Set(u.password_hash.to_owned()),
        organization_id: Set(None),
        org_role: Set(None),
        is_operator: Set(u.operator),
        is_broker: Set(u.broker),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

/// One user by id.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<UserRow>, DbErr> {
    user::Entity::find_by_id(id).one(db).await
}

/// Several users at once (in no particular order).
pub async fn find_many<C: ConnectionTrait>(db: &C, ids: &[i32]) -> Result<Vec<UserRow>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await
}

/// One user, locked against other writers until the caller's transaction ends (`FOR UPDATE` on
/// PostgreSQL; SQLite's write transaction already excludes them). Every read-modify-write
/// reads through this, so two concurrent changes apply one after the other and neither is lost.
pub async fn find_for_update<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<UserRow>, DbErr> {
    use sea_orm::QuerySelect;
    user::Entity::find_by_id(id).lock_exclusive().one(db).await
}

/// One user by email or phone.
pub async fn find_by_login<C: ConnectionTrait>(
    db: &C,
    login: &str,
) -> Result<Option<UserRow>, DbErr> {
    user::Entity::find()
        .filter(
            Condition::any()
                .add(user::Column::Email.eq(login))
                .add(user::Column::Phone.eq(login)),
        )
        .one(db)
        .await
}

/// Sets a user's organisation and role.
pub async fn set_membership<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    membership: Option<(i32, &str)>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    user::ActiveModel {
        id: Set(user_id),
        organization_id: Set(membership.map(|(org, _)| org)),
        org_role: Set(membership.map(|(_, role)| role.to_owned())),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Sets a user's platform roles.
pub async fn set_roles<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    operator: bool,
    broker: bool,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    user::ActiveModel {
        id: Set(user_id),
        is_operator: Set(operator),
        is_broker: Set(broker),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// A new token row.
pub struct NewToken<'a> {
    pub user_id: i32,
    pub kind: &'a str,
    pub token_hash: &'a str,
    pub session_id: &'a str,
    /// The login the session descends from (its own session id for a login).
    pub family_id: &'a str,
    pub name: Option<&'a str>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Inserts a token.
pub async fn insert_token<C: ConnectionTrait>(
    db: &C,
    t: NewToken<'_>,
    now: DateTime<Utc>,
) -> Result<TokenRow, DbErr> {
    auth_token::ActiveModel {
        id: NotSet,
        user_id: Set(t.user_id),
        kind: Set(t.kind.to_owned()),
        token_hash: Set(t.token_hash.to_owned()),
        session_id: Set(t.session_id.to_owned()),
        name: Set(t.name.map(str::to_owned)),
        expires_at: Set(t.expires_at),
        revoked_at: Set(None),
        created_at: Set(now),
        family_id: Set(Some(t.family_id.to_owned())),
    }
    .insert(db)
    .await
}

/// A token by the hash of its text, locked until the caller's transaction ends: a refresh
/// token is spent by one transaction only.
pub async fn find_token_for_update<C: ConnectionTrait>(
    db: &C,
    token_hash: &str,
) -> Result<Option<TokenRow>, DbErr> {
    use sea_orm::QuerySelect;
    auth_token::Entity::find()
        .filter(auth_token::Column::TokenHash.eq(token_hash))
        .lock_exclusive()
        .one(db)
        .await
}

/// Revokes every unrevoked token of every session of a family.
pub async fn revoke_family<C: ConnectionTrait>(
    db: &C,
    family_id: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    revoke_where(db, auth_token::Column::FamilyId.eq(family_id), now).await
}

/// A token by the hash of its text.
pub async fn find_token<C: ConnectionTrait>(
    db: &C,
    token_hash: &str,
) -> Result<Option<TokenRow>, DbErr> {
    auth_token::Entity::find()
        .filter(auth_token::Column::TokenHash.eq(token_hash))
        .one(db)
        .await
}

/// A token by id.
pub async fn find_token_by_id<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<TokenRow>, DbErr> {
    auth_token::Entity::find_by_id(id).one(db).await
}

/// Revokes every unrevoked token of a session.
pub async fn revoke_session<C: ConnectionTrait>(
    db: &C,
    session_id: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    revoke_where(db, auth_token::Column::SessionId.eq(session_id), now).await
}

async fn revoke_where<C: ConnectionTrait>(
    db: &C,
    which: sea_orm::sea_query::SimpleExpr,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let res = auth_token::Entity::update_many()
        .col_expr(
            auth_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(which)
        .filter(auth_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Revokes one token.
pub async fn revoke_token<C: ConnectionTrait>(
    db: &C,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    auth_token::ActiveModel {
        id: Set(id),
        revoked_at: Set(Some(now)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

fn tokens_of(user_id: i32, kind: &str) -> Select<auth_token::Entity> {
    auth_token::Entity::find()
        .filter(auth_token::Column::UserId.eq(user_id))
        .filter(auth_token::Column::Kind.eq(kind))
}

/// How many tokens of one kind a user has.
pub async fn count_tokens_of<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    kind: &str,
) -> Result<u64, DbErr> {
    tokens_of(user_id, kind).count(db).await
}

/// A page of a user's tokens of one kind, newest first.
pub async fn page_tokens_of<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    kind: &str,
    offset: u64,
    limit: u64,
) -> Result<Vec<TokenRow>, DbErr> {
    tokens_of(user_id, kind)
        .order_by_desc(auth_token::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await
}

/// Inserts a pending membership request.
pub async fn insert_request<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    organization_id: i32,
    message: &str,
    now: DateTime<Utc>,
) -> Result<MembershipRequestRow, DbErr> {
    membership_request::ActiveModel {
        id: NotSet,
        user_id: Set(user_id),
        organization_id: Set(organization_id),
        status: Set("PENDING".to_owned()),
        message: Set(message.to_owned()),
        decided_by: Set(None),
        created_at: Set(now),
        decided_at: Set(None),
    }
    .insert(db)
    .await
}

/// One membership request.
pub async fn find_request<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<MembershipRequestRow>, DbErr> {
    membership_request::Entity::find_by_id(id).one(db).await
}

/// One user, locked against other writers until the caller's transaction ends (`FOR UPDATE` on
/// PostgreSQL; SQLite's write transaction already excludes them). Every read-modify-write
/// reads through this, so two concurrent changes apply one after the other and neither is lost.
pub async fn find_request_for_update<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<MembershipRequestRow>, DbErr> {
    use sea_orm::QuerySelect;
    membership_request::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await
}

/// Pending requests of a user (any organisation).
pub async fn pending_requests_of_user<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
) -> Result<Vec<MembershipRequestRow>, DbErr> {
    membership_request::Entity::find()
        .filter(membership_request::Column::UserId.eq(user_id))
        .filter(membership_request::Column::Status.eq("PENDING"))
        .all(db)
        .await
}

fn requests_for_org(org_id: i32, status: &str) -> Select<membership_request::Entity> {
    membership_request::Entity::find()
        .filter(membership_request::Column::OrganizationId.eq(org_id))
        .filter(membership_request::Column::Status.eq(status))
}

/// How many requests to join an organisation have a given status.
pub async fn count_requests_for_org<C: ConnectionTrait>(
    db: &C,
    org_id: i32,
    status: &str,
) -> Result<u64, DbErr> {
    requests_for_org(org_id, status).count(db).await
}

/// A page of the requests to join an organisation with a given status, oldest first.
pub async fn page_requests_for_org<C: ConnectionTrait>(
    db: &C,
    org_id: i32,
    status: &str,
    offset: u64,
    limit: u64,
) -> Result<Vec<MembershipRequestRow>, DbErr> {
    requests_for_org(org_id, status)
        .order_by_asc(membership_request::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await
}

/// Records a decision.
pub async fn decide_request<C: ConnectionTrait>(
    db: &C,
    id: i32,
    status: &str,
    by: Option<i32>,
    now: DateTime<Utc>,
) -> Result<MembershipRequestRow, DbErr> {
    membership_request::ActiveModel {
        id: Set(id),
        status: Set(status.to_owned()),
        decided_by: Set(by),
        decided_at: Set(Some(now)),
        ..Default::default()
    }
    .update(db)
    .await
}
