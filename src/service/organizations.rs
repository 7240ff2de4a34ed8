//! Use cases for organisations: register, change profile, verify, read and list.

use crate::db::organizations::{self as repo, OrganizationQuery};
use crate::domain::region::region_prefix;
use crate::domain::{Organization, OrganizationKind};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::service::inputs::{OrganizationInput, OrganizationPatch};
use crate::service::{Actor, Context, Page, Window, policy};
use sea_orm::TransactionTrait;
use std::sync::Arc;

/// Filter for the organisation list.
#[derive(Debug, Clone, Default)]
pub struct OrganizationFilter {
    /// Kinds.
    pub kinds: Vec<OrganizationKind>,
    /// Region code or prefix.
    pub region: Option<String>,
    /// Verified only / unverified only.
    pub verified: Option<bool>,
    /// Name contains.
    pub name_contains: Option<String>,
}

/// Organisation use cases.
#[derive(Debug, Clone)]
pub struct OrganizationService {
    ctx: Arc<Context>,
}

impl OrganizationService {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    /// Registers an organisation, unverified. A credit code already registered is a conflict.
    pub async fn create(
        &self,
        actor: &Actor,
        input: &OrganizationInput,
    ) -> ServiceResult<Organization> {
        let content = input.validate().map_err(ServiceError::Invalid)?;
        let txn = self.ctx.db.conn.begin().await?;
        if repo::find_by_credit_code(&txn, &content.credit_code)
            .await?
            .is_some()
        {
            return Err(ServiceError::coded(
                ErrorCode::Conflict,
                format!("统一社会信用代码 {} 已注册", content.credit_code),
            ));
        }
        let now = self.ctx.clock.now();
        let org = Organization {
            id: 0,
            kind: content.kind,
            name: content.name,
            credit_code: content.credit_code,
            region_code: content.region_code,
            verified: false,
            description: content.description,
            contact_name: content.contact_name,
            contact_phone: content.contact_phone,
            contact_email: content.contact_email,
            created_at: now,
            updated_at: now,
        };
        let saved = repo::save(&txn, &org).await?;
        txn.commit().await?;
        tracing::info!(organization_id = saved.id, "organization registered");
        Ok(self.view(actor, saved))
    }

    /// Changes the profile (not the credit code, kind or verification).
    pub async fn update(
        &self,
        actor: &Actor,
        id: i32,
        patch: OrganizationPatch,
    ) -> ServiceResult<Organization> {
        let txn = self.ctx.db.conn.begin().await?;
        let current = repo::find(&txn, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("机构"))?;
        policy::may_edit_listing(actor, id)?;
        let content = patch
            .apply(&current)
            .validate()
            .map_err(ServiceError::Invalid)?;
        let next = Organization {
            name: content.name,
            region_code: content.region_code,
            description: content.description,
            contact_name: content.contact_name,
            contact_phone: content.contact_phone,
            contact_email: content.contact_email,
            updated_at: self.ctx.clock.now(),
            ..current
        };
        let saved = repo::save(&txn, &next).await?;
        txn.commit().await?;
        Ok(self.view(actor, saved))
    }

    /// Marks an organisation verified (or not); operators only.
    pub async fn set_verified(
        &self,
        actor: &Actor,
        id: i32,
        verified: bool,
    ) -> ServiceResult<Organization> {
        policy::require_operator(actor)?;
        let txn = self.ctx.db.conn.begin().await?;
        let current = repo::find(&txn, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("机构"))?;
        let next = Organization {
            verified,
            updated_at: self.ctx.clock.now(),
            ..current
        };
        let saved = repo::save(&txn, &next).await?;
        txn.commit().await?;
        tracing::info!(
            organization_id = id,
            verified,
            "organization verification changed"
        );
        Ok(self.view(actor, saved))
    }

    /// One organisation.
    pub async fn get(&self, actor: &Actor, id: i32) -> ServiceResult<Option<Organization>> {
        Ok(repo::find(&self.ctx.db.conn, id)
            .await?
            .map(|o| self.view(actor, o)))
    }

    /// The organisation with this credit code.
    pub async fn find_by_credit_code(
        &self,
        actor: &Actor,
        code: &str,
    ) -> ServiceResult<Option<Organization>> {
        Ok(repo::find_by_credit_code(&self.ctx.db.conn, code)
            .await?
            .map(|o| self.view(actor, o)))
    }

    /// Several organisations in one statement (for DataLoaders).
    pub async fn get_many(&self, actor: &Actor, ids: &[i32]) -> ServiceResult<Vec<Organization>> {
        let rows = repo::find_many(&self.ctx.db.conn, ids).await?;
        Ok(rows.into_iter().map(|o| self.view(actor, o)).collect())
    }

    /// A page of organisations by name.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &OrganizationFilter,
        window: Window,
    ) -> ServiceResult<Page<Organization>> {
        let region = match filter.region.as_deref() {
            Some(r) => Some(
                region_prefix(r, "filter.region").map_err(|e| ServiceError::Invalid(vec![e]))?,
            ),
            None => None,
        };
        let query = OrganizationQuery {
            kinds: filter.kinds.clone(),
            region_prefix: region,
            verified: filter.verified,
            name_contains: filter
                .name_contains
                .clone()
                .filter(|n| !n.trim().is_empty()),
        };
        let db = &self.ctx.db.conn;
        let total = repo::count(db, &query).await?;
        let page = self
            .ctx
            .paged(window, total, |offset, limit| {
                repo::page(db, &query, offset, limit)
            })
            .await?;
        Ok(page.map(|o| self.view(actor, o)))
    }

    fn view(&self, actor: &Actor, mut org: Organization) -> Organization {
        if !policy::may_see_contacts(actor, &org) {
            org.contact_name = None;
            org.contact_phone = None;
            org.contact_email = None;
        }
        org
    }
}
