//! The `Organization` GraphQL type.

use super::common::CodeRef;
use super::{Achievement, Need};
use crate::domain::{self, OrganizationKind};
use crate::graphql::ids::{self, NodeType};
use crate::graphql::loaders::Loaders;
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

/// An organisation: university, institute, enterprise, agency or government body.
#[derive(Debug, Clone)]
pub struct Organization(pub domain::Organization);

/// Most listings an organisation shows inline; page through `achievements(filter: {ownerId})`
/// for more.
const MAX_INLINE_LISTINGS: i32 = 50;

#[Object]
impl Organization {
    /// Global id.
    pub async fn id(&self) -> ID {
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

    /// Its live research results, newest first (batched across organisations).
    async fn achievements(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10, validator(minimum = 0, maximum = 50))] limit: i32,
    ) -> Result<Vec<Achievement>> {
        let loaders = ctx.data::<Loaders>()?;
        let all = loaders
            .achievements_by_owner
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let take = usize::try_from(limit.min(MAX_INLINE_LISTINGS)).unwrap_or(0);
        Ok(all.into_iter().take(take).map(Achievement).collect())
    }

    /// Its live needs that the viewer may attribute to it, newest first (batched).
    async fn needs(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10, validator(minimum = 0, maximum = 50))] limit: i32,
    ) -> Result<Vec<Need>> {
        let loaders = ctx.data::<Loaders>()?;
        let all = loaders
            .needs_by_owner
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let take = usize::try_from(limit.min(MAX_INLINE_LISTINGS)).unwrap_or(0);
        Ok(all.into_iter().take(take).map(Need).collect())
    }
}
