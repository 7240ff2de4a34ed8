//! Disclosure of a listing's confidential detail and its owner's contacts to one counterpart
//! organisation. The broker workflow grants it when a pairing reaches INTRODUCED; brokers and
//! operators may also grant it directly.

use crate::db::grants::{self as repo, GrantRow, NewGrant};
use crate::db::listings;
use crate::db::outbox::ListingKind;
use crate::domain::{Achievement, Need};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::service::audit::Target;
use crate::service::{Actor, Context, policy};
use std::sync::Arc;

/// Disclosure use cases.
#[derive(Debug, Clone)]
pub struct DisclosureService {
    ctx: Arc<Context>,
}

impl DisclosureService {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    /// Lets `grantee_org` read the confidential detail of one listing and its owner's contacts.
    pub async fn grant(
        &self,
        actor: &Actor,
        kind: ListingKind,
        listing_id: i32,
        grantee_org: i32,
        reason: &str,
    ) -> ServiceResult<GrantRow> {
        let target_kind = match kind {
            ListingKind::Achievement => "Achievement",
            ListingKind::Need => "Need",
        };
        self.ctx
            .audited(
                actor,
                "grantDisclosure",
                Target::of(target_kind, listing_id),
                async {
                    policy::require_broker_or_operator(actor)?;
                    let txn = self.ctx.db.begin_write().await?;
                    let owner = match kind {
                        ListingKind::Achievement => {
                            listings::find::<Achievement, _>(&txn, listing_id)
                                .await?
                                .map(|a| a.owner_id)
                        }
                        ListingKind::Need => listings::find::<Need, _>(&txn, listing_id)
                            .await?
                            .map(|n| n.owner_id),
                    }
                    .ok_or_else(|| ServiceError::not_found("信息"))?;
                    if owner == grantee_org {
                        return Err(ServiceError::coded(
                            ErrorCode::InvalidArgument,
                            "不能向信息的所属机构授权",
                        ));
                    }
                    // Staff would otherwise open a confidential listing to an organisation of their
                    // own making: a grant to one's own organisation is never one's own to give.
                    if actor.organization_id() == Some(grantee_org) {
                        return Err(ServiceError::coded(
                            ErrorCode::Forbidden,
                            "不能向自己所属的机构授权，请由另一位经纪人或平台管理员操作",
                        ));
                    }
                    crate::db::organizations::find(&txn, grantee_org)
                        .await?
                        .ok_or_else(|| ServiceError::not_found("机构"))?;
                    let grant = NewGrant {
                        kind,
                        listing_id,
                        owner_org_id: owner,
                        grantee_org_id: grantee_org,
                        granted_by: actor.user_id(),
                        reason: reason.trim(),
                    };
                    let row = repo::grant(&txn, grant, self.ctx.clock.now()).await?;
                    self.ctx
                        .audit_ok(
                            &txn,
                            actor,
                            "grantDisclosure",
                            Target::of(target_kind, listing_id),
                        )
                        .await?;
                    txn.commit().await?;
                    Ok(row)
                },
            )
            .await
    }
}
