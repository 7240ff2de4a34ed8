//! Personal tokens: created by their user (the text shown once), listed and revoked.

use super::AccountService;
use crate::db::users::{self as repo, NewToken, TokenRow};
use crate::error::{ErrorCode, FieldError, ServiceError, ServiceResult};
use crate::service::accounts::tokens::{self, TokenKind};
use crate::service::audit::Target;
use crate::service::{Actor, Page, Window, policy};
use chrono::{DateTime, Duration, Utc};

impl AccountService {
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
        self.ctx
            .audited(
                actor,
                "revokePersonalToken",
                Target::of("Token", id as i32),
                async {
                    policy::require_signed_in(actor)?;
                    let txn = self.ctx.db.begin_write().await?;
                    let row = repo::find_token_by_id(&txn, id)
                        .await?
                        .filter(|t| {
                            Some(t.user_id) == actor.user_id()
                                && t.kind == TokenKind::Personal.as_str()
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
                },
            )
            .await
    }
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
