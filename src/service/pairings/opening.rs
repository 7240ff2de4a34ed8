//! Opening a pairing: a firm's request, a university's offer or a broker's proposal, with
//! the checks on both listings (locked, result before need), the duplicate-pairing refusal and
//! the first notifications.

use super::moves::{Change, event, required_text};
use super::{OpenPairing, PairingService, PairingView};
use crate::db::listings;
use crate::db::outbox::ListingKind;
use crate::db::pairings::{self as repo};
use crate::db::{matches, organizations};
use crate::domain::{
    Achievement, AchievementStatus, Listing, ListingStatus, Need, Pairing, PairingEventKind,
    PairingOrigin, PairingRole, PairingStatus,
};
use crate::error::{ErrorCode, FieldError, ServiceError, ServiceResult};
use crate::service::audit::Target;
use crate::service::{Actor, policy};

impl PairingService {
    /// A firm asks for a pairing on a result, optionally naming its own need.
    pub async fn request(&self, actor: &Actor, input: OpenPairing) -> ServiceResult<PairingView> {
        self.open(actor, PairingOrigin::FirmRequest, input).await
    }

    /// A result's owner offers it to a need.
    pub async fn offer(&self, actor: &Actor, input: OpenPairing) -> ServiceResult<PairingView> {
        self.open(actor, PairingOrigin::UniversityOffer, input)
            .await
    }

    /// A broker proposes a stored match; the pairing starts ACCEPTED, carried by that broker.
    pub async fn propose(&self, actor: &Actor, input: OpenPairing) -> ServiceResult<PairingView> {
        self.open(actor, PairingOrigin::BrokerProposal, input).await
    }

    pub(super) async fn open(
        &self,
        actor: &Actor,
        origin: PairingOrigin,
        input: OpenPairing,
    ) -> ServiceResult<PairingView> {
        let action = match origin {
            PairingOrigin::FirmRequest => "requestPairing",
            PairingOrigin::UniversityOffer => "offerAchievement",
            PairingOrigin::BrokerProposal => "proposePairing",
        };
        self.ctx
            .audited(actor, action, Target::of("Achievement", input.achievement_id), async {
                policy::require_signed_in(actor)?;
                let message = required_text("message", &input.message, "对接说明")?;
                let txn = self.ctx.db.begin_write().await?;
                let now = self.ctx.clock.now();
                // Locked (result before need, as every pairing move does): a listing withdrawn at
                // this moment is either seen withdrawn or withdrawn after the pairing exists.
                let achievement = listings::find_for_update::<Achievement, _>(&txn, input.achievement_id)
                    .await?
                    .filter(|a| {
                        a.effective_status(now) == AchievementStatus::Published
                            || policy::may_see_unpublished(actor, a.owner_id)
                    })
                    .ok_or_else(|| ServiceError::not_found("科技成果"))?;
                if achievement.effective_status(now) != AchievementStatus::Published {
                    return Err(ServiceError::coded(
                        ErrorCode::InvalidStateTransition,
                        "只能对已发布的科技成果发起对接",
                    ));
                }
                let need = match input.need_id {
                    Some(id) => Some(
                        listings::find_for_update::<Need, _>(&txn, id)
                            .await?
                            .filter(|n| {
                                policy::may_see_need(actor, n)
                                    && (n.effective_status(now).is_public()
                                        || policy::may_see_unpublished(actor, n.owner_id))
                            })
                            .ok_or_else(|| ServiceError::not_found("技术需求"))?,
                    ),
                    None => None,
                };
                if let Some(n) = &need
                    && !n.effective_status(now).is_live()
                {
                    return Err(ServiceError::coded(
                        ErrorCode::InvalidStateTransition,
                        "只能对寻找中或洽谈中的技术需求发起对接",
                    ));
                }
                let enterprise_org = match (origin, &need) {
                    (PairingOrigin::FirmRequest, Some(n)) => {
                        policy::may_edit_listing(actor, n.owner_id)?;
                        n.owner_id
                    }
                    (PairingOrigin::FirmRequest, None) => actor.organization_id().ok_or_else(|| {
                        ServiceError::coded(
                            ErrorCode::Forbidden,
                            "请先加入一个机构，再以机构名义申请对接",
                        )
                    })?,
                    (PairingOrigin::UniversityOffer, Some(n)) => {
                        policy::may_edit_listing(actor, achievement.owner_id)?;
                        n.owner_id
                    }
                    (PairingOrigin::BrokerProposal, Some(n)) => {
                        policy::require_broker(actor)?;
                        let stored = matches::stored_for(&txn, ListingKind::Need, n.id, 1000).await?;
                        if !stored.iter().any(|m| m.achievement_id == achievement.id) {
                            return Err(ServiceError::Invalid(vec![FieldError::new(
                                "achievementId",
                                ErrorCode::InvalidArgument,
                                "该成果不在这项需求的匹配结果中，请从匹配结果中选择",
                            )]));
                        }
                        n.owner_id
                    }
                    (_, None) => {
                        return Err(ServiceError::Invalid(vec![FieldError::new(
                            "needId",
                            ErrorCode::InvalidArgument,
                            "推荐成果或撮合对接时必须指明技术需求",
                        )]));
                    }
                };
                if enterprise_org == achievement.owner_id {
                    return Err(ServiceError::coded(
                        ErrorCode::InvalidArgument,
                        "不能与本机构的成果对接",
                    ));
                }
                let firm = organizations::find(&txn, enterprise_org)
                    .await?
                    .ok_or_else(|| ServiceError::not_found("机构"))?;
                let mut p = Pairing {
                    id: 0,
                    need_id: need.as_ref().map(|n| n.id),
                    achievement_id: achievement.id,
                    enterprise_org_id: enterprise_org,
                    university_org_id: achievement.owner_id,
                    origin,
                    requested_by: actor.user_id(),
                    message,
                    status: PairingStatus::Requested,
                    broker_id: None,
                    enterprise_agreed: origin == PairingOrigin::FirmRequest,
                    university_agreed: origin == PairingOrigin::UniversityOffer,
                    track_code: achievement
                        .priority_tracks
                        .first()
                        .or_else(|| need.as_ref().and_then(|n| n.priority_tracks.first()))
                        .cloned(),
                    industry_code: need
                        .as_ref()
                        .and_then(|n| n.industry_codes.first())
                        .or_else(|| achievement.industry_codes.first())
                        .cloned(),
                    region_code: firm.region_code,
                    created_at: now,
                    updated_at: now,
                    accepted_at: None,
                    introduced_at: None,
                    negotiating_at: None,
                    signed_at: None,
                    closed_at: None,
                    due_at: None,
                    awaiting: None,
                    decline_reason: None,
                    contract: None,
                };
                if let Some(key) = p.open_key()
                    && let Some(existing) = repo::find_open(&txn, &key).await?
                {
                    return Err(ServiceError::coded(
                        ErrorCode::Conflict,
                        format!(
                            "这项成果与{}之间已有进行中的对接（{} 创建，见 pairings），请在原对接中继续",
                            if p.need_id.is_some() {
                                "该需求"
                            } else {
                                "贵机构"
                            },
                            existing.created_at.format("%Y-%m-%d")
                        ),
                    ));
                }
                let role = match origin {
                    PairingOrigin::FirmRequest => PairingRole::Enterprise,
                    PairingOrigin::UniversityOffer => PairingRole::University,
                    PairingOrigin::BrokerProposal => PairingRole::Broker,
                };
                if origin == PairingOrigin::BrokerProposal {
                    p.status = PairingStatus::Accepted;
                    p.broker_id = actor.user_id();
                    p.accepted_at = Some(now);
                }
                self.schedule(&mut p, now);
                let saved = repo::save(&txn, &p).await?;
                let mut events = vec![event(
                    &saved,
                    actor,
                    Change::new(PairingEventKind::Requested, role)
                        .with_note(Some(saved.message.clone())),
                    None,
                    now,
                )];
                if origin == PairingOrigin::BrokerProposal {
                    events.push(event(
                        &saved,
                        actor,
                        Change::new(PairingEventKind::Accepted, role),
                        Some(PairingStatus::Requested),
                        now,
                    ));
                }
                let mut sent = Vec::new();
                for e in events {
                    let e = repo::add_event(&txn, &e).await?;
                    sent.extend(
                        self.notify(&txn, actor, &saved, &e, &achievement, need.as_ref(), now)
                            .await?,
                    );
                }
                self.ctx
                    .audit_ok(&txn, actor, action, Target::of("Pairing", saved.id))
                    .await?;
                txn.commit().await?;
                self.ctx.hub.publish(sent);
                tracing::debug!(pairing_id = saved.id, origin = %origin, "pairing opened");
                self.view(actor, saved).await
            })
            .await
    }
}
