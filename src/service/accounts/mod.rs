//! Accounts: who people are and how they prove it. Registration (`registration.rs`), argon2id
//! passwords (`passwords.rs`), login, refresh, logout and bearer authentication
//! (`sessions.rs`), personal tokens (`personal_tokens.rs`), the signed opaque token format
//! (`tokens.rs`), and organisation membership and platform roles (`members.rs`).

pub mod members;
mod passwords;
mod personal_tokens;
mod registration;
mod sessions;
pub mod tokens;

pub use personal_tokens::PersonalToken;
pub use registration::RegisterInput;
pub use sessions::Session;
pub(crate) use sessions::user_actor;

use crate::db::users::{self as repo, UserRow};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::service::accounts::tokens::TokenSigner;
use crate::service::actor::OrgRole;
use crate::service::{Actor, Context, policy};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Accounts and tokens (`[auth]` in the configuration).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// Secret that signs tokens and keys global ids; at least 32 characters. Required in
    /// production; in development an empty one means the built-in development secret.
    pub signing_secret: String,
    /// Minutes an access token lives.
    pub access_token_minutes: i64,
    /// Days a refresh token lives.
    pub refresh_token_days: i64,
    /// argon2id memory cost in KiB.
    pub argon2_memory_kib: u32,
    /// argon2id iterations.
    pub argon2_iterations: u32,
    /// argon2id lanes.
    pub argon2_parallelism: u32,
    /// Failed logins with one login as typed (an email or a phone, counted apart) before each
    /// further one makes it wait (1, 2, 4 … s).
    pub free_failures_per_account: i32,
    /// Failed logins from one client address (any accounts) before the same.
    pub free_failures_per_address: i32,
    /// The longest such wait, in seconds.
    pub max_login_wait_secs: i64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            signing_secret: String::new(),
            access_token_minutes: 30,
            refresh_token_days: 30,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            free_failures_per_account: 5,
            free_failures_per_address: 50,
            max_login_wait_secs: 900,
        }
    }
}

/// A user as the service returns it (never with the password hash).
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Row id.
    pub id: i32,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Display name.
    pub display_name: String,
    /// Organisation and role.
    pub membership: Option<(i32, OrgRole)>,
    /// Platform operator.
    pub operator: bool,
    /// Broker.
    pub broker: bool,
    /// Registered.
    pub created_at: DateTime<Utc>,
}

impl From<UserRow> for User {
    fn from(u: UserRow) -> Self {
        let membership = u
            .organization_id
            .zip(u.org_role.as_deref().and_then(OrgRole::parse));
        Self {
            id: u.id,
            email: u.email,
            phone: u.phone,
            display_name: u.display_name,
            membership,
            operator: u.is_operator,
            broker: u.is_broker,
            created_at: u.created_at,
        }
    }
}

/// Account use cases.
#[derive(Debug, Clone)]
pub struct AccountService {
    ctx: Arc<Context>,
    signer: TokenSigner,
    settings: AuthSettings,
    /// Password hashes computed at once: each takes `argon2_memory_kib`, so however many
    /// logins arrive together, memory stays bounded (the rest queue).
    hashing: Arc<tokio::sync::Semaphore>,
}

fn unauthenticated(message: &str) -> ServiceError {
    ServiceError::coded(ErrorCode::Unauthenticated, message)
}

impl AccountService {
    pub(crate) fn new(ctx: Arc<Context>, signer: TokenSigner, settings: AuthSettings) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            ctx,
            signer,
            settings,
            hashing: Arc::new(tokio::sync::Semaphore::new(cores * 2)),
        }
    }

    /// The account with this email or phone; operators only.
    pub async fn find_by_login(&self, actor: &Actor, login: &str) -> ServiceResult<Option<User>> {
        policy::require_operator(actor)?;
        Ok(repo::find_by_login(&self.ctx.db.conn, login.trim())
            .await?
            .map(User::from))
    }

    /// A user's display name, shown where they act for the platform (a pairing's broker).
    pub async fn display_name(&self, user_id: i32) -> ServiceResult<Option<String>> {
        Ok(repo::find(&self.ctx.db.conn, user_id)
            .await?
            .map(|u| u.display_name))
    }

    /// The actor of the account with this email or phone, for the system to act as that
    /// person (demo data); the system only.
    pub async fn act_as(&self, actor: &Actor, login: &str) -> ServiceResult<Actor> {
        if !matches!(actor, Actor::System) {
            return Err(ServiceError::coded(
                ErrorCode::Forbidden,
                "只有系统可以代他人执行操作",
            ));
        }
        let user = repo::find_by_login(&self.ctx.db.conn, login.trim())
            .await?
            .ok_or_else(|| ServiceError::not_found("账号"))?;
        Ok(user_actor(&user, 0))
    }

    /// The signed-in user.
    pub async fn me(&self, actor: &Actor) -> ServiceResult<Option<User>> {
        match actor.user_id() {
            Some(id) => Ok(repo::find(&self.ctx.db.conn, id).await?.map(User::from)),
            None => Ok(None),
        }
    }
}
