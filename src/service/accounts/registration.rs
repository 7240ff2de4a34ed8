//! Registration: a new account's checks (login, password, display name) and its creation,
//! with platform roles only when an operator or the seed asks.

use super::{AccountService, User};
use crate::db::users::{self as repo, NewUser};
use crate::error::{ErrorCode, FieldError, ServiceError, ServiceResult};
use crate::service::audit::Target;
use crate::service::{Actor, policy};
use serde::Deserialize;

impl AccountService {
    /// Creates an account.
    pub async fn register(&self, actor: &Actor, input: &RegisterInput) -> ServiceResult<User> {
        let r = self.register_inner(actor, input, false, false).await;
        let target = r.as_ref().map_or(Target::NONE, |u| Target::user(u.id));
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
            .audit_ok(&txn, actor, "register", Target::user(row.id))
            .await?;
        txn.commit().await?;
        tracing::debug!(user_id = row.id, "user registered");
        Ok(row.into())
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
