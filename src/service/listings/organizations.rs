//! Use cases for organisations: register, change profile, verify, read and list.

use crate::db::organizations::{self as repo, OrganizationQuery};
use crate::db::{grants, users};
use crate::domain::region::region_prefix;
use crate::domain::{Organization, OrganizationKind};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::service::actor::OrgRole;
use crate::service::audit::Target;
use crate::service::listings::inputs::{OrganizationInput, OrganizationPatch};
use crate::service::{Actor, Context, Page, Window, policy};
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

    /// Registers an organisation, unverified; a user without an organisation becomes its admin.
    /// A credit code already registered is a conflict.
    pub async fn create(
        &self,
        actor: &Actor,
        input: &OrganizationInput,
    ) -> ServiceResult<Organization> {
        self.ctx
            .audited(actor, "createOrganization", Target::NONE, async {
                policy::require_signed_in(actor)?;
                if actor.organization_id().is_some() {
                    return Err(ServiceError::coded(
                        ErrorCode::Conflict,
                        "你已属于一个机构，每位用户只能属于一个机构",
                    ));
                }
                let content = input.validate().map_err(ServiceError::Invalid)?;
                let txn = self.ctx.db.begin_write().await?;
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
                if let Some(user_id) = actor.user_id() {
                    // Read again, locked: the token's view of the user may be stale (an approval
                    // or another registration since), and a user belongs to one organisation.
                    let me = users::find_for_update(&txn, user_id)
                        .await?
                        .ok_or_else(|| ServiceError::not_found("用户"))?;
                    if me.organization_id.is_some() {
                        return Err(ServiceError::coded(
                            ErrorCode::Conflict,
                            "你已属于一个机构，每位用户只能属于一个机构",
                        ));
                    }
                    users::set_membership(
                        &txn,
                        user_id,
                        Some((saved.id, OrgRole::Admin.as_str())),
                        now,
                    )
                    .await?;
                }
                self.ctx
                    .audit_ok(&txn, actor, "createOrganization", Target::org(saved.id))
                    .await?;
                txn.commit().await?;
                tracing::debug!(organization_id = saved.id, "organization registered");
                // The creator administers it now, so it sees what an admin sees.
                Ok(saved)
            })
            .await
    }

    /// Changes the profile (not the credit code, kind or verification); its admins only.
    pub async fn update(
        &self,
        actor: &Actor,
        id: i32,
        patch: OrganizationPatch,
    ) -> ServiceResult<Organization> {
        self.ctx
            .audited(actor, "updateOrganization", Target::org(id), async {
                policy::require_org_admin(actor, id)?;
                let txn = self.ctx.db.begin_write().await?;
                let current = repo::find_for_update(&txn, id)
                    .await?
                    .ok_or_else(|| ServiceError::not_found("机构"))?;
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
                self.ctx
                    .audit_ok(&txn, actor, "updateOrganization", Target::org(id))
                    .await?;
                txn.commit().await?;
                self.view_one(actor, saved).await
            })
            .await
    }

    /// Marks an organisation verified (or not); operators only.
    pub async fn set_verified(
        &self,
        actor: &Actor,
        id: i32,
        verified: bool,
    ) -> ServiceResult<Organization> {
        self.ctx
            .audited(actor, "verifyOrganization", Target::org(id), async {
                policy::require_operator(actor)?;
                let txn = self.ctx.db.begin_write().await?;
                let current = repo::find_for_update(&txn, id)
                    .await?
                    .ok_or_else(|| ServiceError::not_found("机构"))?;
                let current_verified = current.verified;
                let next = Organization {
                    verified,
                    updated_at: self.ctx.clock.now(),
                    ..current
                };
                let saved = repo::save(&txn, &next).await?;
                self.ctx
                    .audit_ok(
                        &txn,
                        actor,
                        "verifyOrganization",
                        Target::org(id),
                    )
                    .await?;
                let sent = if verified != current_verified {
                    let (title, body) = if verified {
                        ("机构已通过平台认证", format!("“{}”已通过平台认证，现在可以发布成果和需求。", saved.name))
                    } else {
                        ("机构认证已撤销", format!("“{}”的平台认证已被撤销，暂不能发布新的成果和需求；如有疑问请联系平台管理员。", saved.name))
                    };
                    self.ctx
                        .moderation_notice(&txn, id, title.to_owned(), body, None)
                        .await?
                } else {
                    Vec::new()
                };
                txn.commit().await?;
                self.ctx.hub.publish(sent);
                tracing::debug!(
                    organization_id = id,
                    verified,
                    "organization verification changed"
                );
                self.view_one(actor, saved).await
            })
            .await
    }

    /// One organisation.
    pub async fn get(&self, actor: &Actor, id: i32) -> ServiceResult<Option<Organization>> {
        match repo::find(&self.ctx.db.conn, id).await? {
            Some(o) => Ok(Some(self.view_one(actor, o).await?)),
            None => Ok(None),
        }
    }

    /// The organisation with this credit code.
    pub async fn find_by_credit_code(
        &self,
        actor: &Actor,
        code: &str,
    ) -> ServiceResult<Option<Organization>> {
        match repo::find_by_credit_code(&self.ctx.db.conn, code).await? {
            Some(o) => Ok(Some(self.view_one(actor, o).await?)),
            None => Ok(None),
        }
    }

    /// Several organisations in one statement (for DataLoaders).
    pub async fn get_many(&self, actor: &Actor, ids: &[i32]) -> ServiceResult<Vec<Organization>> {
        let rows = repo::find_many(&self.ctx.db.conn, ids).await?;
        self.views(actor, rows).await
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
        let mut page = self
            .ctx
            .paged(window, total, |offset, limit| {
                repo::page(db, &query, offset, limit)
            })
            .await?;
        let items = self.views(actor, std::mem::take(&mut page.items)).await?;
        Ok(page.with_items(items))
    }

    async fn view_one(&self, actor: &Actor, org: Organization) -> ServiceResult<Organization> {
        crate::service::single(self.views(actor, vec![org]).await?)
    }

    /// Hides contact details from viewers without a reason to see them.
    async fn views(
        &self,
        actor: &Actor,
        orgs: Vec<Organization>,
    ) -> ServiceResult<Vec<Organization>> {
        let granted = match actor.organization_id() {
            Some(mine) => {
                let ids: Vec<i32> = orgs.iter().map(|o| o.id).filter(|id| *id != mine).collect();
                grants::granted_owners(&self.ctx.db.conn, mine, &ids).await?
            }
            None => Default::default(),
        };
        Ok(orgs
            .into_iter()
            .map(|mut org| {
                if !policy::may_see_contacts(actor, org.id, granted.contains(&org.id)) {
                    org.contact_name = None;
                    org.contact_phone = None;
                    org.contact_email = None;
                }
                org
            })
            .collect())
    }
}
