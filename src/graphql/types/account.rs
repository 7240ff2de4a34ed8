//! Account types: users, personal tokens, membership requests, audit events.

use super::Organization;
use super::connection::{connection, edge};
use crate::db::audit::AuditRow;
use crate::graphql::ids::{self, GlobalId, IdCodec, NodeType};
use crate::graphql::loaders::Loaders;
use crate::service::accounts::members::MembershipRequest as RequestRecord;
use crate::service::accounts::{PersonalToken as TokenRecord, User as UserRecord};
use crate::service::actor::OrgRole;
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

/// A user account, as its owner (or an operator) sees it.
#[derive(Debug, Clone)]
pub struct User(pub UserRecord);

#[Object]
impl User {
    /// Global id.
    async fn id(&self) -> GlobalId {
        ids::encode(NodeType::User, self.0.id)
    }

    /// Email.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    /// Mobile number.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }

    /// Name shown to others.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    /// Role in the organisation, if a member.
    async fn org_role(&self) -> Option<OrgRole> {
        self.0.membership.map(|(_, role)| role)
    }

    /// Platform operator (平台管理员).
    async fn is_operator(&self) -> bool {
        self.0.operator
    }

    /// Broker (技术经纪人).
    async fn is_broker(&self) -> bool {
        self.0.broker
    }

    /// Registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// The organisation the user belongs to.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        let Some((org, _)) = self.0.membership else {
            return Ok(None);
        };
        let loaders = ctx.data::<Loaders>()?;
        Ok(loaders.organizations.load_one(org).await?.map(Organization))
    }
}

/// A personal API token (its secret is shown only once, at creation).
#[derive(Debug, Clone)]
pub struct PersonalToken(pub TokenRecord);

#[Object]
impl PersonalToken {
    /// Global id.
    async fn id(&self) -> GlobalId {
        ids::encode(
            NodeType::Token,
            i32::try_from(self.0.id).unwrap_or(i32::MAX),
        )
    }

    /// Name given by its owner.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Stops working after this, if set.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }

    /// Revoked at, if revoked.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// A request to join an organisation.
#[derive(Debug, Clone)]
pub struct MembershipRequest(pub RequestRecord);

/// The person asking to join an organisation.
#[derive(Debug, Clone)]
pub struct Applicant(crate::service::accounts::members::Applicant);

#[Object]
impl Applicant {
    /// Their display name.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    /// Their email address, if they registered with one.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    /// Their mobile number, if they registered with one.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
}

#[Object]
impl MembershipRequest {
    /// Global id.
    async fn id(&self) -> GlobalId {
        ids::encode(NodeType::MembershipRequest, self.0.id)
    }

    /// Who asks (global user id).
    async fn user_id(&self) -> GlobalId {
        ids::encode(NodeType::User, self.0.user_id)
    }

    /// Who asks: name and contact, for the organisation's admins to recognise and reach them.
    async fn applicant(&self) -> Applicant {
        Applicant(self.0.applicant.clone())
    }

    /// `PENDING`, `APPROVED` or `REJECTED`.
    async fn status(&self) -> &str {
        &self.0.status
    }

    /// The applicant's message.
    async fn message(&self) -> &str {
        &self.0.message
    }

    /// Asked at.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// The organisation.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        let loaders = ctx.data::<Loaders>()?;
        Ok(loaders
            .organizations
            .load_one(self.0.organization_id)
            .await?
            .map(Organization))
    }
}

/// One audit record.
#[derive(Debug, Clone)]
pub struct AuditEvent(pub AuditRow);

#[Object]
impl AuditEvent {
    /// Sequence number.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Acting user (global id), if a user acted.
    async fn actor_user_id(&self) -> Option<GlobalId> {
        self.0
            .actor_user_id
            .map(|id| ids::encode(NodeType::User, id))
    }

    /// `user:<n>`, `anonymous` or `system`.
    async fn actor(&self) -> &str {
        &self.0.actor_label
    }

    /// The mutation, e.g. `publishNeed`.
    async fn action(&self) -> &str {
        &self.0.action
    }

    /// Target type, e.g. `Need`.
    async fn target_type(&self) -> Option<&str> {
        self.0.target_type.as_deref()
    }

    /// Target global id, where the target has one.
    async fn target_id(&self, ctx: &Context<'_>) -> Option<ID> {
        let id = self.0.target_id?;
        let kind = match self.0.target_type.as_deref()? {
            "Organization" => NodeType::Organization,
            "Achievement" => NodeType::Achievement,
            "Need" => NodeType::Need,
            "User" => NodeType::User,
            "MembershipRequest" => NodeType::MembershipRequest,
            "Pairing" => NodeType::Pairing,
            "Token" => NodeType::Token,
            _ => return Some(ID(id.to_string())),
        };
        Some(ID(IdCodec::of(ctx).encode(kind, id)))
    }

    /// `OK` or the error code.
    async fn outcome(&self) -> &str {
        &self.0.outcome
    }

    /// When.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

edge!(PersonalTokenEdge, PersonalToken, "personal token");
connection!(
    PersonalTokenConnection,
    PersonalTokenEdge,
    "personal tokens, newest first"
);

edge!(
    MembershipRequestEdge,
    MembershipRequest,
    "membership request"
);
connection!(
    MembershipRequestConnection,
    MembershipRequestEdge,
    "membership requests, oldest first"
);

edge!(AuditEventEdge, AuditEvent, "audit record");
connection!(
    AuditEventConnection,
    AuditEventEdge,
    "audit records, newest first"
);
