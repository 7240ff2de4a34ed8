//! Accounts and tokens: registration, login with argon2id, access / refresh / personal tokens,
//! logout and authentication of a bearer token into an [`Actor`].

use crate::db::throttle;
use crate::db::users::{self as repo, NewToken, NewUser, TokenRow, UserRow};
use crate::error::{ErrorCode, FieldError, ServiceError, ServiceResult};
use crate::service::actor::{OrgRole, UserActor};
use crate::service::audit::Target;
use crate::service::tokens::{self, TokenKind, TokenSigner};
use crate::service::{Actor, Context, Page, Window, policy};
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use std::sync::Arc;

/// Settings for accounts and tokens.
#[derive(Debug, Clone)]
pub struct AuthSettings {
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
    /// Failed logins for one account before each further one makes it wait.
    pub free_failures_per_account: i32,
    /// Failed logins from one client address before the same.
    pub free_failures_per_address: i32,
    /// The longest such wait, in seconds.
    pub max_login_wait_secs: i64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
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

/// A new account as entered.
#[derive(Debug, Clone, Deserialize, async_graphql::InputObject)]
#[graphql(name = "RegisterFields")]
pub struct RegisterInput {
    /// Email (this or phone is required).
    #[serde(default)]
    pub email: Option<String>,
    /// Mainland mobile number, 11 digits.
    #[serde(default)]
    pub phone: Option<String>,
    /// Name shown to others.
    pub display_name: String,
    /// At least 10 characters with letters and digits.
    pub password: String,
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

/// What a login or refresh returns.
#[derive(Debug, Clone)]
pub struct Session {
    /// Bearer token for requests.
    pub access_token: String,
    /// When the access token stops working.
    pub access_expires_at: DateTime<Utc>,
    /// Token that buys the next access token once.
    pub refresh_token: String,
    /// The user.
    pub user: User,
}

/// A personal token's metadata (its text is shown once, at creation).
#[derive(Debug, Clone)]
pub struct PersonalToken {
    /// Row id.
    pub id: i64,
    /// Name given by its owner.
    pub name: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Stops working after this, if set.
    pub expires_at: Option<DateTime<Utc>>,
    /// Revoked at.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<TokenRow> for PersonalToken {
    fn from(t: TokenRow) -> Self {
        Self {
            id: t.id,
            name: t.name.unwrap_or_default(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
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

    fn argon2(&self) -> Argon2<'static> {
        let s = &self.settings;
        let params = Params::new(
            s.argon2_memory_kib,
            s.argon2_iterations,
            s.argon2_parallelism,
            None,
        )
        .unwrap_or_default();
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// Hashes a password off the async executor.
    pub async fn hash_password(&self, password: &str) -> ServiceResult<String> {
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|e| ServiceError::Internal(e.into()))?;
        let argon = self.argon2();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
        })
        .await
        .map_err(|e| ServiceError::Internal(e.into()))?
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("hashing password: {e}")))
    }

    async fn verify_password(&self, password: &str, hash: Option<String>) -> bool {
        let Ok(_permit) = self.hashing.acquire().await else {
            return false;
        };
        let argon = self.argon2();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            // Without a stored hash, verify against a fixed one anyway so that unknown accounts
            // take as long as wrong passwords.
            let stored = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
            PasswordHash::new(&stored)
                .is_ok_and(|parsed| argon.verify_password(password.as_bytes(), &parsed).is_ok())
                && stored != DUMMY_HASH
        })
        .await
        .unwrap_or(false)
    }

    /// Creates an account.
    pub async fn register(&self, actor: &Actor, input: &RegisterInput) -> ServiceResult<User> {
        let r = self.register_inner(actor, input, false, false).await;
        let target = r
            .as_ref()
            .map_or(Target::NONE, |u| Target::of("User", u.id));
        self.ctx.audit_failure(actor, "register", target, r).await
    }

    /// Creates an account with platform roles; seeding and operators only.
    pub async fn register_with_roles(
        &self,
        actor: &Actor,
        input: &RegisterInput,
        operator: bool,
        broker: bool,
    ) -> ServiceResult<User> {
        policy::require_operator(actor)?;
        self.register_inner(actor, input, operator, broker).await
    }

    async fn register_inner(
        &self,
        actor: &Actor,
        input: &RegisterInput,
        operator: bool,
        broker: bool,
    ) -> ServiceResult<User> {
        let (email, phone) = validate_registration(input)?;
        let hash = self.hash_password(&input.password).await?;
        let txn = self.ctx.db.begin_write().await?;
        for login in email.iter().chain(phone.iter()) {
            if repo::find_by_login(&txn, login).await?.is_some() {
                return Err(ServiceError::coded(
                    ErrorCode::Conflict,
                    format!("{login} 已注册，请直接登录"),
                ));
            }
        }
        let now = self.ctx.clock.now();
        let row = repo::insert(
            &txn,
            NewUser {
                email: email.as_deref(),
                phone: phone.as_deref(),
                display_name: input.display_name.trim(),
                password_hash: &hash,
                operator,
                broker,
            },
            now,
        )
        .await?;
        self.ctx
            .audit_ok(&txn, actor, "register", Target::of("User", row.id))
            .await?;
        txn.commit().await?;
        tracing::debug!(user_id = row.id, "user registered");
        Ok(row.into())
    }

    /// Logs in with email or phone and password, from `address` when known. Attempts are
    /// counted per account and per address in the database (every replica sees them), each
    /// counted before its password is checked, so concurrent attempts cannot slip past the
    /// count; past a few failures, each key waits 1, 2, 4 … seconds (at most
    /// `max_login_wait_secs`) before any login — the right password included — is tried.
    pub async fn login(
        &self,
        login: &str,
        password: &str,
        address: Option<std::net::IpAddr>,
    ) -> ServiceResult<Session> {
        let login = login.trim();
        let user = repo::find_by_login(&self.ctx.db.conn, login).await?;
        let s = &self.settings;
        let policy = |free| throttle::Policy {
            free,
            max_wait: Duration::seconds(s.max_login_wait_secs.max(1)),
            window: Duration::hours(24),
        };
        let account = account_key(login, user.as_ref().map(|u| u.id));
        let address = address.map(|a| (address_key(a), policy(s.free_failures_per_address)));
        let mut keys = vec![(account.clone(), policy(s.free_failures_per_account))];
        keys.extend(address.clone());
        let now = self.ctx.clock.now();
        let txn = self.ctx.db.begin_write().await?;
        if let Some(until) = throttle::claim_attempt(&txn, &keys, now).await? {
            drop(txn);
            let wait = (until - now).num_milliseconds().max(0) as u64;
            let r = Err(ServiceError::RateLimited {
                retry_after_secs: wait.div_ceil(1000).max(1),
            });
            return self
                .ctx
                .audit_failure(&Actor::Anonymous, "login", Target::NONE, r)
                .await;
        }
        txn.commit().await?;
        let ok = self
            .verify_password(password, user.as_ref().map(|u| u.password_hash.clone()))
            .await;
        let actor = user.as_ref().map_or(Actor::Anonymous, |u| user_actor(u, 0));
        match (ok, user) {
            (true, Some(user)) => {
                let txn = self.ctx.db.begin_write().await?;
                throttle::succeeded(
                    &txn,
                    &account,
                    address.as_ref().map(|(k, p)| (k.as_str(), *p)),
                )
                .await?;
                let session = self.start_session_in(&txn, user, None).await?;
                txn.commit().await?;
                Ok(session)
            }
            (_, user) => {
                let target = user.map_or(Target::NONE, |u| Target::of("User", u.id));
                self.ctx
                    .audit_failure(
                        &actor,
                        "login",
                        target,
                        Err(unauthenticated("账号或密码错误")),
                    )
                    .await
            }
        }
    }

    /// Starts a session inside `txn`: a new family for a login, or `family` continued by a
    /// refresh.
    async fn start_session_in(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        user: UserRow,
        family: Option<&str>,
    ) -> ServiceResult<Session> {
        let now = self.ctx.clock.now();
        let session = tokens::session_id();
        let family = family.unwrap_or(&session).to_owned();
        let access = self.signer.issue(TokenKind::Access);
        let refresh = self.signer.issue(TokenKind::Refresh);
        let access_expires_at = now + Duration::minutes(self.settings.access_token_minutes);
        let row = repo::insert_token(
            txn,
            NewToken {
                user_id: user.id,
                kind: TokenKind::Access.as_str(),
                token_hash: &tokens::hash(&access),
                session_id: &session,
                family_id: &family,
                name: None,
                expires_at: Some(access_expires_at),
            },
            now,
        )
        .await?;
        repo::insert_token(
            txn,
            NewToken {
                user_id: user.id,
                kind: TokenKind::Refresh.as_str(),
                token_hash: &tokens::hash(&refresh),
                session_id: &session,
                family_id: &family,
                name: None,
                expires_at: Some(now + Duration::days(self.settings.refresh_token_days)),
            },
            now,
        )
        .await?;
        self.ctx
            .audit_ok(
                txn,
                &user_actor(&user, row.id),
                "login",
                Target::of("User", user.id),
            )
            .await?;
        Ok(Session {
            access_token: access,
            access_expires_at,
            refresh_token: refresh,
            user: user.into(),
        })
    }

    /// Trades a refresh token for a new session; the old session's tokens stop working.
    pub async fn refresh(&self, refresh_token: &str) -> ServiceResult<Session> {
        if self.signer.verify(refresh_token) != Some(TokenKind::Refresh) {
            return Err(unauthenticated("刷新令牌无效"));
        }
        let txn = self.ctx.db.begin_write().await?;
        // Locked: of several refreshes with one token, one spends it and the others find it
        // spent.
        let row = repo::find_token_for_update(&txn, &tokens::hash(refresh_token))
            .await?
            .filter(|r| r.kind == TokenKind::Refresh.as_str())
            .ok_or_else(|| unauthenticated("刷新令牌无效"))?;
        let now = self.ctx.clock.now();
        let family = row
            .family_id
            .clone()
            .unwrap_or_else(|| row.session_id.clone());
        if row.revoked_at.is_some() {
            // A spent refresh token used again: someone holds a copy. Every session continued
            // from the same login ends (OAuth 2.0 Security BCP, refresh token rotation).
            let ended = repo::revoke_family(&txn, &family, now).await?;
            let actor = Actor::User(UserActor {
                user_id: row.user_id,
                membership: None,
                operator: false,
                broker: false,
                token_id: row.id,
            });
            self.ctx
                .audit_ok(
                    &txn,
                    &actor,
                    "refreshTokenReused",
                    Target::of("User", row.user_id),
                )
                .await?;
            txn.commit().await?;
            tracing::warn!(
                user_id = row.user_id,
                tokens_revoked = ended,
                "spent refresh token used again; its sessions ended"
            );
            return Err(unauthenticated(
                "刷新令牌已使用过：为安全起见，由同一次登录延续的会话均已注销，请重新登录",
            ));
        }
        check_live(&row, now)?;
        let user = repo::find(&txn, row.user_id)
            .await?
            .ok_or_else(|| unauthenticated("账号不存在"))?;
        repo::revoke_session(&txn, &row.session_id, now).await?;
        let session = self.start_session_in(&txn, user, Some(&family)).await?;
        txn.commit().await?;
        Ok(session)
    }

    /// Revokes the session (or personal token) that authenticated `actor`.
    pub async fn logout(&self, actor: &Actor) -> ServiceResult<bool> {
        let user = actor.user().ok_or_else(|| unauthenticated("请先登录"))?;
        let txn = self.ctx.db.begin_write().await?;
        let row = repo::find_token_by_id(&txn, user.token_id)
            .await?
            .ok_or_else(|| unauthenticated("令牌无效"))?;
        repo::revoke_session(&txn, &row.session_id, self.ctx.clock.now()).await?;
        self.ctx
            .audit_ok(&txn, actor, "logout", Target::of("User", user.user_id))
            .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Turns a bearer token into the actor it stands for.
    pub async fn authenticate(&self, token: &str) -> ServiceResult<Actor> {
        match self.signer.verify(token) {
            Some(TokenKind::Access | TokenKind::Personal) => {}
            _ => return Err(unauthenticated("访问令牌无效")),
        }
        let db = &self.ctx.db.conn;
        let row = repo::find_token(db, &tokens::hash(token))
            .await?
            .ok_or_else(|| unauthenticated("访问令牌无效"))?;
        check_live(&row, self.ctx.clock.now())?;
        let user = repo::find(db, row.user_id)
            .await?
            .ok_or_else(|| unauthenticated("账号不存在"))?;
        Ok(user_actor(&user, row.id))
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

    /// Creates a named personal token; its text is returned once.
    pub async fn create_personal_token(
        &self,
        actor: &Actor,
        name: &str,
        expires_in_days: Option<i32>,
    ) -> ServiceResult<(PersonalToken, String)> {
        let r = self
            .create_personal_token_inner(actor, name, expires_in_days)
            .await;
        let target = r
            .as_ref()
            .map_or(Target::NONE, |(t, _)| Target::of("Token", t.id as i32));
        self.ctx
            .audit_failure(actor, "createPersonalToken", target, r)
            .await
    }

    async fn create_personal_token_inner(
        &self,
        actor: &Actor,
        name: &str,
        expires_in_days: Option<i32>,
    ) -> ServiceResult<(PersonalToken, String)> {
        policy::require_signed_in(actor)?;
        let user = actor
            .user()
            .ok_or_else(|| ServiceError::coded(ErrorCode::Forbidden, "只有用户可以创建个人令牌"))?;
        let name = name.trim();
        if let Some(err) = crate::domain::text::control_character(name, "name", "令牌名称") {
            return Err(ServiceError::Invalid(vec![err]));
        }
        if name.is_empty() || name.chars().count() > 50 {
            return Err(ServiceError::Invalid(vec![FieldError::new(
                "name",
                ErrorCode::InvalidText,
                "令牌名称不能为空，最多 50 个字",
            )]));
        }
        if expires_in_days.is_some_and(|d| !(1..=3650).contains(&d)) {
            return Err(ServiceError::Invalid(vec![FieldError::new(
                "expiresInDays",
                ErrorCode::InvalidArgument,
                "有效期应为 1 到 3650 天",
            )]));
        }
        let now = self.ctx.clock.now();
        let text = self.signer.issue(TokenKind::Personal);
        let session = tokens::session_id();
        let txn = self.ctx.db.begin_write().await?;
        // A personal token belongs to the family of the session that made it: if that
        // session's refresh token turns out stolen, the token minted with it ends too.
        let family = repo::find_token_by_id(&txn, user.token_id)
            .await?
            .and_then(|t| t.family_id)
            .unwrap_or_else(|| session.clone());
        let row = repo::insert_token(
            &txn,
            NewToken {
                user_id: user.user_id,
                kind: TokenKind::Personal.as_str(),
                token_hash: &tokens::hash(&text),
                session_id: &session,
                family_id: &family,
                name: Some(name),
                expires_at: expires_in_days.map(|d| now + Duration::days(i64::from(d))),
            },
            now,
        )
        .await?;
        self.ctx
            .audit_ok(
                &txn,
                actor,
                "createPersonalToken",
                Target::of("Token", row.id as i32),
            )
            .await?;
        txn.commit().await?;
        Ok((row.into(), text))
    }

    /// A page of the caller's personal tokens, newest first.
    pub async fn personal_tokens(
        &self,
        actor: &Actor,
        window: Window,
    ) -> ServiceResult<Page<PersonalToken>> {
        policy::require_signed_in(actor)?;
        let Some(user_id) = actor.user_id() else {
            return Ok(Window::page(Vec::new(), 0, 0));
        };
        let db = &self.ctx.db.conn;
        let kind = TokenKind::Personal.as_str();
        let total = repo::count_tokens_of(db, user_id, kind).await?;
        let page = self
            .ctx
            .paged(window, total, |offset, limit| {
                repo::page_tokens_of(db, user_id, kind, offset, limit)
            })
            .await?;
        Ok(page.map(PersonalToken::from))
    }

    /// Revokes one of the caller's personal tokens.
    pub async fn revoke_personal_token(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<PersonalToken> {
        let r = async {
            policy::require_signed_in(actor)?;
            let txn = self.ctx.db.begin_write().await?;
            let row = repo::find_token_by_id(&txn, id)
                .await?
                .filter(|t| {
                    Some(t.user_id) == actor.user_id() && t.kind == TokenKind::Personal.as_str()
                })
                .ok_or_else(|| ServiceError::not_found("令牌"))?;
            let now = self.ctx.clock.now();
            repo::revoke_token(&txn, id, now).await?;
            self.ctx
                .audit_ok(
                    &txn,
                    actor,
                    "revokePersonalToken",
                    Target::of("Token", id as i32),
                )
                .await?;
            txn.commit().await?;
            Ok(PersonalToken {
                revoked_at: Some(now),
                ..row.into()
            })
        }
        .await;
        self.ctx
            .audit_failure(
                actor,
                "revokePersonalToken",
                Target::of("Token", id as i32),
                r,
            )
            .await
    }
}

/// An argon2id hash of a random password nobody knows; verifying against it always fails.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0kU2XfT3f7nQ2j4mCk8G0xkq7+J7m2m8yqk8bq2c3Fo";

/// The failure counter of an account: the user's, however they log in (email or phone), or,
/// for a login nobody has, that login's (hashed: bounded length, nothing stored as typed).
fn account_key(login: &str, user_id: Option<i32>) -> String {
    match user_id {
        Some(id) => format!("account:user:{id}"),
        None => format!(
            "account:login:{}",
            &tokens::hash(&login.to_lowercase())[..32]
        ),
    }
}

/// The failure counter of a client address; an IPv6 client counts by its /64, the block one
/// subscriber holds.
fn address_key(address: std::net::IpAddr) -> String {
    match address {
        std::net::IpAddr::V4(a) => format!("address:{a}"),
        std::net::IpAddr::V6(a) => {
            let s = a.segments();
            format!("address:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

fn check_live(row: &TokenRow, now: DateTime<Utc>) -> ServiceResult<()> {
    if row.revoked_at.is_some() {
        return Err(unauthenticated("令牌已撤销，请重新登录"));
    }
    if row.expires_at.is_some_and(|at| at <= now) {
        return Err(unauthenticated("令牌已过期，请刷新或重新登录"));
    }
    Ok(())
}

pub(crate) fn user_actor(u: &UserRow, token_id: i64) -> Actor {
    Actor::User(UserActor {
        user_id: u.id,
        membership: u
            .organization_id
            .zip(u.org_role.as_deref().and_then(OrgRole::parse)),
        operator: u.is_operator,
        broker: u.is_broker,
        token_id,
    })
}

fn validate_registration(input: &RegisterInput) -> ServiceResult<(Option<String>, Option<String>)> {
    let mut errors = Vec::new();
    let email = input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_lowercase);
    let phone = input
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned);
    if let Some(e) = &email {
        let ok = e.len() <= 200
            && e.split_once('@')
                .is_some_and(|(u, d)| !u.is_empty() && d.contains('.'))
            && !e.contains(char::is_whitespace);
        if !ok {
            errors.push(FieldError::new(
                "email",
                ErrorCode::InvalidContact,
                "电子邮箱格式不正确",
            ));
        }
    }
    if let Some(p) = &phone {
        let ok = p.len() == 11 && p.starts_with('1') && p.bytes().all(|b| b.is_ascii_digit());
        if !ok {
            errors.push(FieldError::new(
                "phone",
                ErrorCode::InvalidContact,
                "手机号应为 11 位数字，以 1 开头",
            ));
        }
    }
    if email.is_none() && phone.is_none() {
        errors.push(FieldError::new(
            "email",
            ErrorCode::InvalidContact,
            "请填写电子邮箱或手机号",
        ));
    }
    let name_len = input.display_name.trim().chars().count();
    if name_len == 0 || name_len > 50 {
        errors.push(FieldError::new(
            "displayName",
            ErrorCode::InvalidText,
            "姓名不能为空，最多 50 个字",
        ));
    }
    let pw = &input.password;
    let strong = pw.chars().count() >= 10
        && pw.chars().any(|c| c.is_alphabetic())
        && pw.chars().any(|c| c.is_ascii_digit());
    if !strong {
        errors.push(FieldError::new(
            "password",
            ErrorCode::InvalidArgument,
            "密码至少 10 位，且同时包含字母和数字",
        ));
    }
    if errors.is_empty() {
        Ok((email, phone))
    } else {
        Err(ServiceError::Invalid(errors))
    }
}
