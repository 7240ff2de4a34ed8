//! Organisation membership: asking to join, approval by the organisation's admins, and the
//! platform roles that operators hand out.

use crate::db::notifications as notification_repo;
use crate::db::organizations as org_repo;
use crate::db::users::{self as repo, MembershipRequestRow, UserRow};
use crate::domain::NotificationKind;
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::service::accounts::User;
use crate::service::actor::OrgRole;
use crate::service::audit::Target;
use crate::service::notifications::{self, Outgoing};
use crate::service::{Actor, Context, Page, Window, policy};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// A request to join an organisation.
#[derive(Debug, Clone)]
pub struct MembershipRequest {
    /// Row id.
    pub id: i32,
    /// Who asks.
    pub user_id: i32,
    /// Which organisation.
    pub organization_id: i32,
    /// `PENDING`, `APPROVED` or `REJECTED`.
    pub status: String,
    /// Their message.
    pub message: String,
    /// Asked at.
    pub created_at: DateTime<Utc>,
    /// Who asks, as the organisation's admins see them.
    pub applicant: Applicant,
}

/// The person asking to join: what an admin needs to recognise and reach them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applicant {
    /// Their display name.
    pub display_name: String,
    /// Their email address, if they registered with one.
    pub email: Option<String>,
    /// Their mobile number, if they registered with one.
    pub phone: Option<String>,
}

impl From<&UserRow> for Applicant {
    fn from(u: &UserRow) -> Self {
        Self {
            display_name: u.display_name.clone(),
            email: u.email.clone(),
            phone: u.phone.clone(),
        }
    }
}

impl Applicant {
    /// `王敏（wang@example.com，13800000000）`.
    fn described(&self) -> String {
        let contact: Vec<&str> = [self.email.as_deref(), self.phone.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if contact.is_empty() {
            self.display_name.clone()
        } else {
            format!("{}（{}）", self.display_name, contact.join("，"))
        }
    }
}

impl MembershipRequest {
    fn of(r: MembershipRequestRow, applicant: Applicant) -> Self {
        Self {
            id: r.id,
            user_id: r.user_id,
            organization_id: r.organization_id,
            status: r.status,
            message: r.message,
            created_at: r.created_at,
            applicant,
        }
    }
}

/// Membership use cases.
#[derive(Debug, Clone)]
pub struct MemberService {
    ctx: Arc<Context>,
}

impl MemberService {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    /// Asks to join `org_id`; one organisation per user, one pending request at a time.
    pub async fn request(
        &self,
        actor: &Actor,
        org_id: i32,
        message: &str,
    ) -> ServiceResult<MembershipRequest> {
        self.ctx
            .audited(actor, "requestMembership", Target::org(org_id), async {
                policy::require_signed_in(actor)?;
                let user = actor.user().ok_or_else(|| {
                    ServiceError::coded(ErrorCode::Forbidden, "只有用户可以申请加入机构")
                })?;
                if user.membership.is_some() {
                    return Err(ServiceError::coded(
                        ErrorCode::Conflict,
                        "你已属于一个机构，每位用户只能属于一个机构",
                    ));
                }
                let txn = self.ctx.db.begin_write().await?;
                // The user's row, locked: requests and approvals for one user take turns, so
                // two at once cannot both find none pending or both find the user free.
                let me = repo::find_for_update(&txn, user.user_id)
                    .await?
                    .ok_or_else(|| ServiceError::not_found("用户"))?;
                if me.organization_id.is_some() {
                    return Err(ServiceError::coded(
                        ErrorCode::Conflict,
                        "你已属于一个机构，每位用户只能属于一个机构",
                    ));
                }
                let org = org_repo::find(&txn, org_id)
                    .await?
                    .ok_or_else(|| ServiceError::not_found("机构"))?;
                if !repo::pending_requests_of_user(&txn, user.user_id)
                    .await?
                    .is_empty()
                {
                    return Err(ServiceError::coded(
                        ErrorCode::Conflict,
                        "你已有一条待审批的加入申请",
                    ));
                }
                let row = repo::insert_request(
                    &txn,
                    user.user_id,
                    org_id,
                    message.trim(),
                    self.ctx.clock.now(),
                )
                .await?;
                let applicant = Applicant::from(&me);
                // The organisation's admins hear of it in their inbox, with who is asking.
                let admins = notification_repo::admins_of(&txn, org_id).await?;
                let sent = notifications::stage(
                    &txn,
                    &admins,
                    Outgoing {
                        kind: NotificationKind::MembershipRequest,
                        title: format!("{} 申请加入{}", applicant.display_name, org.name),
                        body: format!(
                            "{} 申请加入{}：{}。请在“加入申请”中批准或拒绝。",
                            applicant.described(),
                            org.name,
                            match row.message.trim_end_matches(['。', '.', '！', '!']) {
                                "" => "（未留言）",
                                said => said,
                            }
                        ),
                        pairing_id: None,
                        listing: None,
                        event_key: None,
                    },
                    self.ctx.clock.now(),
                )
                .await?;
                self.ctx
                    .audit_ok(
                        &txn,
                        actor,
                        "requestMembership",
                        Target::of("MembershipRequest", row.id),
                    )
                    .await?;
                txn.commit().await?;
                self.ctx.hub.publish(sent);
                Ok(MembershipRequest::of(row, applicant))
            })
            .await
    }

    /// Approves or rejects a pending request; admins of the organisation (or operators).
    pub async fn decide(
        &self,
        actor: &Actor,
        request_id: i32,
        approve: bool,
    ) -> ServiceResult<MembershipRequest> {
        let action = if approve {
            "approveMembership"
        } else {
            "rejectMembership"
        };
        self.ctx
            .audited(
                actor,
                action,
                Target::of("MembershipRequest", request_id),
                async {
                    policy::require_signed_in(actor)?;
                    let txn = self.ctx.db.begin_write().await?;
                    let req = repo::find_request_for_update(&txn, request_id)
                        .await?
                        .ok_or_else(|| ServiceError::not_found("加入申请"))?;
                    policy::require_org_admin(actor, req.organization_id)?;
                    policy::forbid_self(
                        actor,
                        req.user_id,
                        "不能审批自己的加入申请，请由机构的其他管理员或平台管理员审批",
                    )?;
                    if req.status != "PENDING" {
                        return Err(ServiceError::coded(
                            ErrorCode::InvalidStateTransition,
                            "该申请已处理",
                        ));
                    }
                    let now = self.ctx.clock.now();
                    let user = repo::find_for_update(&txn, req.user_id)
                        .await?
                        .ok_or_else(|| ServiceError::not_found("用户"))?;
                    if approve {
                        if user.organization_id.is_some() {
                            return Err(ServiceError::coded(
                                ErrorCode::Conflict,
                                "申请人已属于其他机构",
                            ));
                        }
                        repo::set_membership(
                            &txn,
                            req.user_id,
                            Some((req.organization_id, OrgRole::Member.as_str())),
                            now,
                        )
                        .await?;
                    }
                    let status = if approve { "APPROVED" } else { "REJECTED" };
                    let row = repo::decide_request(&txn, request_id, status, actor.user_id(), now)
                        .await?;
                    // The applicant hears the answer.
                    let org_name = org_repo::find(&txn, req.organization_id)
                        .await?
                        .map(|o| o.name)
                        .unwrap_or_default();
                    let sent = notifications::stage(
                        &txn,
                        &[req.user_id],
                        Outgoing {
                            kind: NotificationKind::MembershipRequest,
                            title: if approve {
                                format!("你已加入{org_name}")
                            } else {
                                format!("{org_name}未通过你的加入申请")
                            },
                            body: String::new(),
                            pairing_id: None,
                            listing: None,
                            event_key: None,
                        },
                        now,
                    )
                    .await?;
                    self.ctx
                        .audit_ok(
                            &txn,
                            actor,
                            action,
                            Target::of("MembershipRequest", request_id),
                        )
                        .await?;
                    txn.commit().await?;
                    self.ctx.hub.publish(sent);
                    Ok(MembershipRequest::of(row, Applicant::from(&user)))
                },
            )
            .await
    }

    /// A page of the pending requests to join `org_id`, oldest first; its admins (or
    /// operators).
    pub async fn pending(
        &self,
        actor: &Actor,
        org_id: i32,
        window: Window,
    ) -> ServiceResult<Page<MembershipRequest>> {
        const PENDING: &str = "PENDING";
        policy::require_org_admin(actor, org_id)?;
        let db = &self.ctx.db.conn;
        let total = repo::count_requests_for_org(db, org_id, PENDING).await?;
        let mut page = self
            .ctx
            .paged(window, total, |offset, limit| {
                repo::page_requests_for_org(db, org_id, PENDING, offset, limit)
            })
            .await?;
        let rows = std::mem::take(&mut page.items);
        let ids: Vec<i32> = rows.iter().map(|r| r.user_id).collect();
        let applicants: std::collections::HashMap<i32, Applicant> = repo::find_many(db, &ids)
            .await?
            .iter()
            .map(|u| (u.id, Applicant::from(u)))
            .collect();
        let requests = rows
            .into_iter()
            .map(|r| {
                let applicant = applicants.get(&r.user_id).cloned().unwrap_or_default();
                MembershipRequest::of(r, applicant)
            })
            .collect();
        Ok(page.with_items(requests))
    }

    /// Sets a user's platform roles; operators only.
    pub async fn set_roles(
        &self,
        actor: &Actor,
        user_id: i32,
        operator: bool,
        broker: bool,
    ) -> ServiceResult<User> {
        self.ctx
            .audited(actor, "setUserRoles", Target::user(user_id), async {
                policy::require_operator(actor)?;
                policy::forbid_self(
                    actor,
                    user_id,
                    "不能修改自己的平台角色，请由另一位平台管理员操作",
                )?;
                let txn = self.ctx.db.begin_write().await?;
                repo::find(&txn, user_id)
                    .await?
                    .ok_or_else(|| ServiceError::not_found("用户"))?;
                repo::set_roles(&txn, user_id, operator, broker, self.ctx.clock.now()).await?;
                self.ctx
                    .audit_ok(&txn, actor, "setUserRoles", Target::user(user_id))
                    .await?;
                let user = repo::find(&txn, user_id)
                    .await?
                    .ok_or_else(|| ServiceError::not_found("用户"))?;
                txn.commit().await?;
                Ok(User::from(user))
            })
            .await
    }

    /// Makes `user_id` a member of `org_id` with `role` directly; seeding and operators only.
    pub async fn assign(
        &self,
        actor: &Actor,
        user_id: i32,
        org_id: i32,
        role: OrgRole,
    ) -> ServiceResult<()> {
        policy::require_operator(actor)?;
        policy::forbid_self(
            actor,
            user_id,
            "不能把自己加入机构，请由另一位平台管理员操作",
        )?;
        let txn = self.ctx.db.begin_write().await?;
        org_repo::find(&txn, org_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("机构"))?;
        repo::set_membership(
            &txn,
            user_id,
            Some((org_id, role.as_str())),
            self.ctx.clock.now(),
        )
        .await?;
        self.ctx
            .audit_ok(&txn, actor, "assignMembership", Target::user(user_id))
            .await?;
        txn.commit().await?;
        Ok(())
    }
}
