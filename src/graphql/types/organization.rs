//! The `Organization` GraphQL type.

use super::common::CodeRef;
use super::connection::{AchievementConnection, NeedConnection, Parts, forward};
use super::{Achievement, Need};
use crate::domain::{self, OrganizationKind};
use crate::graphql::errors::ResultExt;
use crate::graphql::ids::{self, NodeType};
use crate::graphql::loaders::{self, Loaders};
use crate::service::Page;
use async_graphql::{Context, Object, Result};
use chrono::{DateTime, Utc};

/// An organisation: university, institute, enterprise, agency or government body.
#[derive(Debug, Clone)]
pub struct Organization(pub domain::Organization);

/// Listings on a page of an organisation's inline listings when the caller does not say.
const DEFAULT_INLINE_LISTINGS: u64 = 10;

#[Object]
impl Organization {
    /// Global id.
    pub async fn id(&self) -> ids::GlobalId {
        ids::encode(NodeType::Organization, self.0.id)
    }

    /// Kind of organisation.
    async fn kind(&self) -> OrganizationKind {
        self.0.kind
    }

    /// Kind in Chinese.
    async fn kind_label(&self) -> &str {
        self.0.kind.label_zh()
    }

    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// 统一社会信用代码.
    async fn credit_code(&self) -> &str {
        &self.0.credit_code
    }

    /// GB/T 2260 region.
    async fn region(&self) -> CodeRef {
        CodeRef::region(&self.0.region_code)
    }

    /// Verified by a platform operator.
    async fn verified(&self) -> bool {
        self.0.verified
    }

    /// Introduction.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Contact person; disclosed only to entitled viewers.
    async fn contact_name(&self) -> Option<&str> {
        self.0.contact_name.as_deref()
    }

    /// Contact phone; disclosed only to entitled viewers.
    async fn contact_phone(&self) -> Option<&str> {
        self.0.contact_phone.as_deref()
    }

    /// Contact email; disclosed only to entitled viewers.
    async fn contact_email(&self) -> Option<&str> {
        self.0.contact_email.as_deref()
    }

    /// Registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// Its live research results, newest first (batched across organisations): the newest 50
    /// at most, and `totalCount` counts those; page through `achievements(filter: {ownerId})`
    /// for all of them.
    #[graphql(
        complexity = "crate::graphql::limits::list_cost(first, None, 10, 50, child_complexity)"
    )]
    async fn achievements(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: Option<i32>,
        after: Option<String>,
    ) -> Result<AchievementConnection> {
        let loaders = ctx.data::<Loaders>()?;
        let all = loaders
            .achievements_by_owner
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let page = inline_page(all, first, after)?;
        Ok(AchievementConnection::new(Parts::of_nodes(
            page,
            Achievement,
        )))
    }

    /// Its live needs that the viewer may attribute to it, newest first (batched): the newest
    /// 50 at most, and `totalCount` counts those; page through `needs(filter: {ownerId})` for
    /// all of them.
    #[graphql(
        complexity = "crate::graphql::limits::list_cost(first, None, 10, 50, child_complexity)"
    )]
    async fn needs(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: Option<i32>,
        after: Option<String>,
    ) -> Result<NeedConnection> {
        let loaders = ctx.data::<Loaders>()?;
        let all = loaders
            .needs_by_owner
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let page = inline_page(all, first, after)?;
        Ok(NeedConnection::new(Parts::of_nodes(page, Need)))
    }
}

/// A page of an organisation's inline listings. The loader reads at most
/// [`loaders::PER_OWNER`] per organisation, so the list is cut here, not in the database.
fn inline_page<T>(all: Vec<T>, first: Option<i32>, after: Option<String>) -> Result<Page<T>> {
    forward(first, after)?
        .slice(all, DEFAULT_INLINE_LISTINGS, loaders::PER_OWNER as u64)
        .gql()
}
