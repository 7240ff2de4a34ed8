//! Sessions: login with failure counts per account and per address, access and refresh
//! tokens (rotation families), logout, and authentication of a bearer token into an [`Actor`].

use super::{AccountService, User, unauthenticated};
use crate::db::throttle;
use crate::db::users::{self as repo, NewToken, TokenRow, UserRow};
use crate::error::{ServiceError, ServiceResult};
use crate::service::Actor;
use crate::service::accounts::tokens::{self, TokenKind};
use crate::service::actor::{OrgRole, UserActor};
use crate::service::audit::Target;
use chrono::{DateTime, Duration, Utc};

impl AccountService {
    /// Logs in with email or phone and password, from `address` when known. Attempts are
    /// counted per login as typed and per address in the database (every replica sees them),
    /// each counted before its password is checked, so concurrent attempts cannot slip past the
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
        let account = account_key(login);
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
                let target = user.map_or(Target::NONE, |u| Target::user(u.id));
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
                Target::user(user.id),
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
                    Target::user(row.user_id),
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
            .audit_ok(&txn, actor, "logout", Target::user(user.user_id))
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

/// The failure counter of a login as typed (lower-cased, hashed: bounded length, nothing
/// stored as typed), whether or not anybody has it. Not the user's: a user's email and phone
/// sharing one counter told whoever locked one that the other was the same person's.
fn account_key(login: &str) -> String {
    format!(
        "account:login:{}",
        &tokens::hash(&login.to_lowercase())[..32]
    )
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
