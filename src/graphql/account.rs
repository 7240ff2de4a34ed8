//! Account, membership, moderation and audit operations of the API, merged into the roots.

use crate::db::audit::AuditQuery;
use crate::db::outbox::ListingKind;
use crate::graphql::errors::{ResultExt, UserError, split};
use crate::graphql::ids::{self, NodeType};
use crate::graphql::listings::achievements::AchievementPayload;
use crate::graphql::listings::needs::NeedPayload;
use crate::graphql::listings::{Step, on, services_actor, step};
use crate::graphql::types::account::{
    AuditEvent, AuditEventConnection, MembershipRequest, MembershipRequestConnection,
    PersonalToken, PersonalTokenConnection, User,
};
use crate::graphql::types::connection::{Parts, forward};
use crate::service::accounts::{RegisterInput, Session};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

/// Creates an account.
#[derive(InputObject)]
pub struct RegisterUserInput {
    /// The account's fields.
    pub user: RegisterInput,
}

/// Logs in.
#[derive(InputObject)]
pub struct LoginInput {
    /// Email or mobile number.
    pub login: String,
    /// Password.
    pub password: String,
}

/// Trades a refresh token for a new session.
#[derive(InputObject)]
pub struct RefreshTokenInput {
    /// The refresh token from `login` or the previous refresh.
    pub refresh_token: String,
}

/// Creates a personal API token.
#[derive(InputObject)]
pub struct CreatePersonalTokenInput {
    /// A name to recognise it by.
    pub name: String,
    /// Days until it stops working; never when absent.
    pub expires_in_days: Option<i32>,
}

/// Names a personal token.
#[derive(InputObject)]
pub struct RevokePersonalTokenInput {
    /// Global id of the token.
    pub id: ID,
}

/// Asks to join an organisation.
#[derive(InputObject)]
pub struct RequestMembershipInput {
    /// The organisation.
    pub organization_id: ID,
    /// A message for its admins.
    #[graphql(default)]
    pub message: String,
}

/// Decides a membership request.
#[derive(InputObject)]
pub struct DecideMembershipInput {
    /// The request.
    pub request_id: ID,
}

/// Sets a user's platform roles (operators).
#[derive(InputObject)]
pub struct SetUserRolesInput {
    /// The user.
    pub user_id: ID,
    /// Platform operator.
    pub operator: bool,
    /// Broker.
    pub broker: bool,
}

/// Unpublishes a listing with a reason its owner sees (operators).
#[derive(InputObject)]
pub struct ModerateListingInput {
    /// Global id of the achievement or need.
    pub id: ID,
    /// Why; the owner sees it.
    pub reason: String,
}

/// Discloses a listing's confidential detail and its owner's contacts to one organisation
/// (brokers and operators; the pairing workflow does this on introduction).
#[derive(InputObject)]
pub struct GrantDisclosureInput {
    /// Global id of the achievement or need.
    pub listing_id: ID,
    /// The counterpart organisation.
    pub grantee_organization_id: ID,
    /// Why, for the record.
    pub reason: String,
}

/// Filters for the audit log.
#[derive(InputObject, Default)]
pub struct AuditFilterInput {
    /// Acting user.
    pub actor_user_id: Option<ID>,
    /// Mutation name, e.g. `publishNeed`.
    pub action: Option<String>,
    /// Target type, e.g. `Need`.
    pub target_type: Option<String>,
    /// Target global id.
    pub target_id: Option<ID>,
    /// `OK` or an error code.
    pub outcome: Option<String>,
    /// At or after.
    pub since: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
}

/// A session: tokens and the user.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <accessToken>`.
    pub access_token: Option<String>,
    /// When the access token stops working.
    pub access_token_expires_at: Option<DateTime<Utc>>,
    /// Use with `refreshToken` for a new session.
    pub refresh_token: Option<String>,
    /// The user.
    pub user: Option<User>,
    /// What was wrong with the input.
    pub user_errors: Vec<UserError>,
}

impl AuthPayload {
    fn from(r: crate::error::ServiceResult<Session>) -> Result<Self> {
        let (session, user_errors) = split(r)?;
        Ok(match session {
            Some(s) => Self {
                access_token: Some(s.access_token),
                access_token_expires_at: Some(s.access_expires_at),
                refresh_token: Some(s.refresh_token),
                user: Some(User(s.user)),
                user_errors,
            },
            None => Self {
                access_token: None,
                access_token_expires_at: None,
                refresh_token: None,
                user: None,
                user_errors,
            },
        })
    }
}

/// Result of `register` and `setUserRoles`.
#[derive(SimpleObject)]
pub struct UserPayload {
    /// The user; null when nothing was written.
    pub user: Option<User>,
    /// What was wrong with the input.
    pub user_errors: Vec<UserError>,
}

/// Result of `createPersonalToken`.
#[derive(SimpleObject)]
pub struct CreatePersonalTokenPayload {
    /// The token's metadata.
    pub token: Option<PersonalToken>,
    /// The token itself: shown this once, store it safely.
    pub secret: Option<String>,
    /// What was wrong with the input.
    pub user_errors: Vec<UserError>,
}

/// Result of `revokePersonalToken`.
#[derive(SimpleObject)]
pub struct PersonalTokenPayload {
    /// The token.
    pub token: Option<PersonalToken>,
    /// What was wrong with the input.
    pub user_errors: Vec<UserError>,
}

/// Result of membership mutations.
#[derive(SimpleObject)]
pub struct MembershipRequestPayload {
    /// The request.
    pub request: Option<MembershipRequest>,
    /// What was wrong with the input.
    pub user_errors: Vec<UserError>,
}

/// Result of `logout`.
#[derive(SimpleObject)]
pub struct LogoutPayload {
    /// Whether the session ended.
    pub ok: bool,
}

/// Result of `grantDisclosure`.
#[derive(SimpleObject)]
pub struct GrantDisclosurePayload {
    /// Whether the grant is in place.
    pub granted: bool,
    /// What was wrong with the input.
    pub user_errors: Vec<UserError>,
}

/// Approves or rejects a membership request.
async fn decide_membership(
    ctx: &Context<'_>,
    request_id: &ID,
    approve: bool,
) -> Result<MembershipRequestPayload> {
    let (s, actor) = services_actor(ctx)?;
    let r = on(ctx, request_id, NodeType::MembershipRequest, |id| {
        s.members.decide(actor, id, approve)
    })
    .await;
    let (request, user_errors) = split(r)?;
    Ok(MembershipRequestPayload {
        request: request.map(MembershipRequest),
        user_errors,
    })
}

/// Account queries.
#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in user; null for anonymous visitors.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let (s, actor) = services_actor(ctx)?;
        Ok(s.accounts.me(actor).await.gql()?.map(User))
    }

    /// The signed-in user's personal tokens, newest first (revoked ones included).
    #[graphql(
        complexity = "crate::graphql::limits::list_cost(first, None, 20, 100, child_complexity)"
    )]
    async fn my_personal_tokens(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<PersonalTokenConnection> {
        let (s, actor) = services_actor(ctx)?;
        let page = s
            .accounts
            .personal_tokens(actor, forward(first, after)?)
            .await
            .gql()?;
        Ok(PersonalTokenConnection::new(Parts::of_nodes(
            page,
            PersonalToken,
        )))
    }

    /// Pending requests to join an organisation, oldest first; its admins and operators.
    #[graphql(
        complexity = "crate::graphql::limits::list_cost(first, None, 20, 100, child_complexity)"
    )]
    async fn membership_requests(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<MembershipRequestConnection> {
        let (s, actor) = services_actor(ctx)?;
        let org = ids::IdCodec::of(ctx)
            .decode(&organization_id, NodeType::Organization)
            .gql()?;
        let page = s
            .members
            .pending(actor, org, forward(first, after)?)
            .await
            .gql()?;
        Ok(MembershipRequestConnection::new(Parts::of_nodes(
            page,
            MembershipRequest,
        )))
    }

    /// The audit log, newest first; operators only.
    #[graphql(
        complexity = "crate::graphql::limits::list_cost(first, None, 20, 100, child_complexity)"
    )]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<AuditFilterInput>,
    ) -> Result<AuditEventConnection> {
        let (s, actor) = services_actor(ctx)?;
        let f = filter.unwrap_or_default();
        let target_id = match &f.target_id {
            Some(id) => Some(ids::IdCodec::of(ctx).decode_any(id).gql()?.1),
            None => None,
        };
        let query = AuditQuery {
            actor_user_id: f
                .actor_user_id
                .as_ref()
                .map(|id| ids::IdCodec::of(ctx).decode(id, NodeType::User))
                .transpose()
                .gql()?,
            action: f.action,
            target_type: f.target_type,
            target_id,
            outcome: f.outcome,
            since: f.since,
            until: f.until,
        };
        let page = s
            .audit
            .list(actor, &query, forward(first, after)?)
            .await
            .gql()?;
        Ok(AuditEventConnection::new(Parts::of_nodes(page, AuditEvent)))
    }
}

/// Account mutations.
#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Creates an account; log in afterwards.
    async fn register(&self, ctx: &Context<'_>, input: RegisterUserInput) -> Result<UserPayload> {
        let (s, actor) = services_actor(ctx)?;
        let (user, user_errors) = split(s.accounts.register(actor, &input.user).await)?;
        Ok(UserPayload {
            user: user.map(User),
            user_errors,
        })
    }

    /// Logs in with email or mobile number and password.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> Result<AuthPayload> {
        let (s, _) = services_actor(ctx)?;
        let address = ctx.data_opt::<crate::graphql::ClientAddress>().map(|a| a.0);
        AuthPayload::from(
            s.accounts
                .login(&input.login, &input.password, address)
                .await,
        )
    }

    /// Trades a refresh token for a new session; the old one stops working.
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        input: RefreshTokenInput,
    ) -> Result<AuthPayload> {
        let (s, _) = services_actor(ctx)?;
        AuthPayload::from(s.accounts.refresh(&input.refresh_token).await)
    }

    /// Ends the session of the token used for this request.
    async fn logout(&self, ctx: &Context<'_>) -> Result<LogoutPayload> {
        let (s, actor) = services_actor(ctx)?;
        Ok(LogoutPayload {
            ok: s.accounts.logout(actor).await.gql()?,
        })
    }

    /// Creates a personal API token for scripts and connectors.
    async fn create_personal_token(
        &self,
        ctx: &Context<'_>,
        input: CreatePersonalTokenInput,
    ) -> Result<CreatePersonalTokenPayload> {
        let (s, actor) = services_actor(ctx)?;
        let (made, user_errors) = split(
            s.accounts
                .create_personal_token(actor, &input.name, input.expires_in_days)
                .await,
        )?;
        let (token, secret) = made.map_or((None, None), |(t, secret)| {
            (Some(PersonalToken(t)), Some(secret))
        });
        Ok(CreatePersonalTokenPayload {
            token,
            secret,
            user_errors,
        })
    }

    /// Revokes one of your personal tokens.
    async fn revoke_personal_token(
        &self,
        ctx: &Context<'_>,
        input: RevokePersonalTokenInput,
    ) -> Result<PersonalTokenPayload> {
        let (s, actor) = services_actor(ctx)?;
        let r = on(ctx, &input.id, NodeType::Token, |id| {
            s.accounts.revoke_personal_token(actor, i64::from(id))
        })
        .await;
        let (token, user_errors) = split(r)?;
        Ok(PersonalTokenPayload {
            token: token.map(PersonalToken),
            user_errors,
        })
    }

    /// Asks to join an organisation.
    async fn request_membership(
        &self,
        ctx: &Context<'_>,
        input: RequestMembershipInput,
    ) -> Result<MembershipRequestPayload> {
        let (s, actor) = services_actor(ctx)?;
        let r = on(ctx, &input.organization_id, NodeType::Organization, |id| {
            s.members.request(actor, id, &input.message)
        })
        .await;
        let (request, user_errors) = split(r)?;
        Ok(MembershipRequestPayload {
            request: request.map(MembershipRequest),
            user_errors,
        })
    }

    /// Approves a request to join your organisation.
    async fn approve_membership(
        &self,
        ctx: &Context<'_>,
        input: DecideMembershipInput,
    ) -> Result<MembershipRequestPayload> {
        decide_membership(ctx, &input.request_id, true).await
    }

    /// Rejects a request to join your organisation.
    async fn reject_membership(
        &self,
        ctx: &Context<'_>,
        input: DecideMembershipInput,
    ) -> Result<MembershipRequestPayload> {
        decide_membership(ctx, &input.request_id, false).await
    }

    /// Sets a user's platform roles; operators only.
    async fn set_user_roles(
        &self,
        ctx: &Context<'_>,
        input: SetUserRolesInput,
    ) -> Result<UserPayload> {
        let (s, actor) = services_actor(ctx)?;
        let r = on(ctx, &input.user_id, NodeType::User, |id| {
            s.members.set_roles(actor, id, input.operator, input.broker)
        })
        .await;
        let (user, user_errors) = split(r)?;
        Ok(UserPayload {
            user: user.map(User),
            user_errors,
        })
    }

    /// Unpublishes a research result with a reason its owner sees; operators only.
    async fn moderate_achievement(
        &self,
        ctx: &Context<'_>,
        input: ModerateListingInput,
    ) -> Result<AchievementPayload> {
        let reason = Step::Moderate(&input.reason);
        step::<crate::domain::Achievement>(ctx, &input.id, reason).await
    }

    /// Unpublishes a need with a reason its owner sees; operators only.
    async fn moderate_need(
        &self,
        ctx: &Context<'_>,
        input: ModerateListingInput,
    ) -> Result<NeedPayload> {
        let reason = Step::Moderate(&input.reason);
        step::<crate::domain::Need>(ctx, &input.id, reason).await
    }

    /// Discloses a listing's confidential detail and its owner's contacts to one organisation;
    /// brokers and operators only.
    async fn grant_disclosure(
        &self,
        ctx: &Context<'_>,
        input: GrantDisclosureInput,
    ) -> Result<GrantDisclosurePayload> {
        let (s, actor) = services_actor(ctx)?;
        let r = async {
            let (kind, listing) = match ids::IdCodec::of(ctx).decode_any(&input.listing_id)? {
                (NodeType::Achievement, id) => (ListingKind::Achievement, id),
                (NodeType::Need, id) => (ListingKind::Need, id),
                _ => {
                    return Err(crate::error::ServiceError::coded(
                        crate::error::ErrorCode::InvalidId,
                        "listingId 应为科技成果或技术需求的 ID",
                    ));
                }
            };
            let grantee = ids::IdCodec::of(ctx)
                .decode(&input.grantee_organization_id, NodeType::Organization)?;
            s.disclosure
                .grant(actor, kind, listing, grantee, &input.reason)
                .await
        }
        .await;
        let (granted, user_errors) = split(r)?;
        Ok(GrantDisclosurePayload {
            granted: granted.is_some(),
            user_errors,
        })
    }
}
