//! Organisations (机构) in the API: the `organizations` list and the mutations that register,
//! change and verify one.

use crate::error::ServiceResult;
use crate::graphql::errors::{ResultExt, UserError, split};
use crate::graphql::ids::NodeType;
use crate::graphql::listings::filters::OrganizationFilterInput;
use crate::graphql::listings::{on, services_actor};
use crate::graphql::types::Organization;
use crate::graphql::types::connection::{OrganizationConnection, Parts, window};
use crate::service::listings::inputs::{OrganizationInput, OrganizationPatch};
use crate::service::listings::organizations::OrganizationFilter;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

/// Registers an organisation.
#[derive(InputObject)]
pub struct CreateOrganizationInput {
    /// Its fields.
    pub organization: OrganizationInput,
}

/// Changes an organisation's profile.
#[derive(InputObject)]
pub struct UpdateOrganizationInput {
    /// Which organisation.
    pub id: ID,
    /// Fields to change.
    pub patch: OrganizationPatch,
}

/// Verifies an organisation (operators).
#[derive(InputObject)]
pub struct VerifyOrganizationInput {
    /// Which organisation.
    pub id: ID,
    /// Verified or not.
    #[graphql(default = true)]
    pub verified: bool,
}

/// Result of an organisation mutation.
#[derive(SimpleObject)]
pub struct OrganizationPayload {
    /// The organisation after the change; null when nothing was written.
    pub organization: Option<Organization>,
    /// What was wrong with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

fn org_payload(r: ServiceResult<crate::domain::Organization>) -> Result<OrganizationPayload> {
    let (organization, user_errors) = split(r)?;
    Ok(OrganizationPayload {
        organization: organization.map(Organization),
        user_errors,
    })
}

/// The list of organisations.
#[derive(Default)]
pub struct OrganizationQuery;

#[Object]
impl OrganizationQuery {
    /// Organisations, by name.
    #[graphql(
        complexity = "crate::graphql::limits::list_cost(first, last, 20, 100, child_complexity)"
    )]
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<OrganizationFilterInput>,
    ) -> Result<OrganizationConnection> {
        let (services, actor) = services_actor(ctx)?;
        let f = filter.unwrap_or_default();
        let filter = OrganizationFilter {
            kinds: f.kinds.unwrap_or_default(),
            region: f.region,
            verified: f.verified,
            name_contains: f.name_contains,
        };
        let page = services
            .organizations
            .list(actor, &filter, window(first, after, last, before)?)
            .await
            .gql()?;
        Ok(OrganizationConnection::new(Parts::of_nodes(
            page,
            Organization,
        )))
    }
}

/// Registering, changing and verifying organisations.
#[derive(Default)]
pub struct OrganizationMutation;

#[Object]
impl OrganizationMutation {
    /// Registers an organisation (unverified until an operator verifies it).
    async fn create_organization(
        &self,
        ctx: &Context<'_>,
        input: CreateOrganizationInput,
    ) -> Result<OrganizationPayload> {
        let (s, actor) = services_actor(ctx)?;
        org_payload(s.organizations.create(actor, &input.organization).await)
    }

    /// Changes an organisation's profile.
    async fn update_organization(
        &self,
        ctx: &Context<'_>,
        input: UpdateOrganizationInput,
    ) -> Result<OrganizationPayload> {
        let (s, actor) = services_actor(ctx)?;
        org_payload(
            on(ctx, &input.id, NodeType::Organization, |id| {
                s.organizations.update(actor, id, input.patch)
            })
            .await,
        )
    }

    /// Verifies an organisation; platform operators only.
    async fn verify_organization(
        &self,
        ctx: &Context<'_>,
        input: VerifyOrganizationInput,
    ) -> Result<OrganizationPayload> {
        let (s, actor) = services_actor(ctx)?;
        org_payload(
            on(ctx, &input.id, NodeType::Organization, |id| {
                s.organizations.set_verified(actor, id, input.verified)
            })
            .await,
        )
    }
}
