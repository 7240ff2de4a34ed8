//! The query root: `node`, then each area's queries merged in schema order.

use crate::graphql::errors::ResultExt;
use crate::graphql::ids::{self, NodeType};
use crate::graphql::listings::achievements::AchievementQuery;
use crate::graphql::listings::catalog::CatalogQuery;
use crate::graphql::listings::needs::NeedQuery;
use crate::graphql::listings::organizations::OrganizationQuery;
use crate::graphql::types::{Achievement, Need, Node, Organization};
use crate::service::{Actor, Services};
use async_graphql::{Context, ID, Object, Result};

/// Any object by its global id.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by global id; null when it does not exist or the viewer may not see it.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let services = ctx.data::<Services>()?;
        let actor = ctx.data::<Actor>()?;
        let (kind, num) = ids::IdCodec::of(ctx).decode_any(&id).gql()?;
        Ok(match kind {
            NodeType::User
            | NodeType::MembershipRequest
            | NodeType::Token
            | NodeType::Pairing
            | NodeType::Notification
            | NodeType::SavedSearch => None,
            NodeType::Organization => services
                .organizations
                .get(actor, num)
                .await
                .gql()?
                .map(|o| Node::Organization(Organization(o))),
            NodeType::Achievement => services
                .achievements
                .get(actor, num)
                .await
                .gql()?
                .map(|a| Node::Achievement(Achievement(a))),
            NodeType::Need => services
                .needs
                .get(actor, num)
                .await
                .gql()?
                .map(|n| Node::Need(Need(n))),
        })
    }
}

/// Read access to the market.
#[derive(async_graphql::MergedObject, Default)]
pub struct QueryRoot(
    NodeQuery,
    AchievementQuery,
    NeedQuery,
    OrganizationQuery,
    CatalogQuery,
    crate::graphql::account::AccountQuery,
    crate::graphql::search::SearchQuery,
    crate::graphql::matching::MatchQuery,
    crate::graphql::pairing::PairingQuery,
    crate::graphql::notifications::NotificationQuery,
    crate::graphql::sync::SyncQuery,
    crate::graphql::import::ImportQuery,
);
