//! Every visibility and permission rule, in one place, so no resolver can bypass them.
//!
//! | who | sees | changes |
//! |---|---|---|
//! | anonymous visitor | public listings, public and anonymous needs (without owner) | nothing |
//! | organisation member | the above, plus everything of its own organisation | its organisation's listings; dismissing their matches |
//! | organisation admin | as a member | also the profile and membership requests |
//! | broker (技术经纪人) | every need, owners of anonymous needs, confidential detail, every pairing | pairings they carry; taking requests from the queue |
//! | platform operator | every listing and need, owners, drafts, pairings; not confidential detail | verification, moderation, tracks, audit log, assigning brokers |
//! | a side of a pairing (member of the firm or of the result's owner) | that pairing and its public timeline; the firm only after INTRODUCED when its need is not public | agree, decline, negotiate, notes; the requester withdraws |
//! | a counterpart with a disclosure grant | that listing's confidential detail and its owner's contacts | nothing |

use crate::domain::{Need, NeedVisibility, PairingRole};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::service::actor::{Actor, OrgRole};

fn is_member(actor: &Actor, org_id: i32) -> bool {
    actor.organization_id() == Some(org_id)
}

fn is_admin_of(actor: &Actor, org_id: i32) -> bool {
    actor
        .user()
        .and_then(|u| u.membership)
        .is_some_and(|(org, role)| org == org_id && role == OrgRole::Admin)
}

fn is_broker(actor: &Actor) -> bool {
    actor.user().is_some_and(|u| u.broker)
}

fn is_operator(actor: &Actor) -> bool {
    matches!(actor, Actor::System) || actor.user().is_some_and(|u| u.operator)
}

/// Whether `actor` may read the confidential detail of a listing owned by `owner_id`;
/// `granted` says whether the actor's organisation holds a disclosure grant for it.
pub fn may_see_confidential(actor: &Actor, owner_id: i32, granted: bool) -> bool {
    matches!(actor, Actor::System) || is_member(actor, owner_id) || is_broker(actor) || granted
}

/// Whether `actor` may see that `need` exists at all.
pub fn may_see_need(actor: &Actor, need: &Need) -> bool {
    need.visibility != NeedVisibility::Confidential
        || is_member(actor, need.owner_id)
        || is_broker(actor)
        || is_operator(actor)
}

/// Need visibilities `actor` may list and count (empty = all), besides its own needs.
pub fn listable_need_visibilities(actor: &Actor) -> Vec<&'static str> {
    if is_broker(actor) || is_operator(actor) {
        Vec::new()
    } else {
        vec![
            NeedVisibility::Public.as_str(),
            NeedVisibility::Anonymous.as_str(),
        ]
    }
}

/// Need visibilities whose owner `actor` may know (empty = all), besides its own needs.
pub fn attributable_need_visibilities(actor: &Actor) -> Vec<&'static str> {
    if is_broker(actor) || is_operator(actor) {
        Vec::new()
    } else {
        vec![NeedVisibility::Public.as_str()]
    }
}

/// Refuses a decision about `user_id`'s own access taken by that same user: nobody approves
/// their own membership request or grants themselves a role, whatever roles they hold (an
/// operator could otherwise give themselves confidential access). The system may.
pub fn forbid_self(actor: &Actor, user_id: i32, message: &str) -> ServiceResult<()> {
    if actor.user_id() == Some(user_id) {
        return Err(ServiceError::coded(ErrorCode::Forbidden, message));
    }
    Ok(())
}

/// Whether `actor` may see which organisation owns `need`.
pub fn may_see_need_owner(actor: &Actor, need: &Need) -> bool {
    need.visibility == NeedVisibility::Public
        || is_member(actor, need.owner_id)
        || is_broker(actor)
        || is_operator(actor)
}

/// Whether `actor` may read the contact details of organisation `org_id`; `granted` says
/// whether the actor's organisation holds a disclosure grant on one of its listings.
pub fn may_see_contacts(actor: &Actor, org_id: i32, granted: bool) -> bool {
    is_member(actor, org_id) || is_broker(actor) || is_operator(actor) || granted
}

/// Whether `actor` may see drafts, withdrawn listings and moderation notes of `owner_id`.
pub fn may_see_unpublished(actor: &Actor, owner_id: i32) -> bool {
    is_member(actor, owner_id) || is_operator(actor)
}

/// Which unpublished listings (drafts, withdrawn) an actor may list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everyone's.
    All,
    /// Only this organisation's.
    Owner(i32),
    /// None.
    Nothing,
}

/// The unpublished listings `actor` may list.
pub fn unpublished_scope(actor: &Actor) -> Scope {
    if is_operator(actor) {
        Scope::All
    } else if let Some(org) = actor.organization_id() {
        Scope::Owner(org)
    } else {
        Scope::Nothing
    }
}

/// Requires a signed-in caller (or the system).
pub fn require_signed_in(actor: &Actor) -> Result<(), ServiceError> {
    match actor {
        Actor::Anonymous => Err(ServiceError::coded(
            ErrorCode::Unauthenticated,
            "请先登录（需要访问令牌）",
        )),
        _ => Ok(()),
    }
}

/// Requires membership of the owning organisation to change its listings.
pub fn may_edit_listing(actor: &Actor, owner_id: i32) -> Result<(), ServiceError> {
    require_signed_in(actor)?;
    if matches!(actor, Actor::System) || is_member(actor, owner_id) {
        Ok(())
    } else {
        Err(ServiceError::coded(
            ErrorCode::Forbidden,
            "只有该机构的成员可以修改其发布的信息",
        ))
    }
}

/// Members of a listing's owner dismiss its matches, for their side of the match only.
pub fn may_dismiss_match(actor: &Actor, owner_id: i32) -> bool {
    matches!(actor, Actor::System) || is_member(actor, owner_id)
}

/// Requires an administrator of `org_id` (or an operator) to change its profile or members.
pub fn require_org_admin(actor: &Actor, org_id: i32) -> Result<(), ServiceError> {
    require_signed_in(actor)?;
    if is_admin_of(actor, org_id) || is_operator(actor) {
        Ok(())
    } else {
        Err(ServiceError::coded(
            ErrorCode::Forbidden,
            "只有该机构的管理员可以执行此操作",
        ))
    }
}

/// Requires a platform operator.
pub fn require_operator(actor: &Actor) -> Result<(), ServiceError> {
    require_signed_in(actor)?;
    if is_operator(actor) {
        Ok(())
    } else {
        Err(ServiceError::coded(
            ErrorCode::Forbidden,
            "只有平台管理员可以执行此操作",
        ))
    }
}

/// Requires a broker or an operator (granting disclosure outside the pairing workflow).
pub fn require_broker_or_operator(actor: &Actor) -> Result<(), ServiceError> {
    require_signed_in(actor)?;
    if is_broker(actor) || is_operator(actor) {
        Ok(())
    } else {
        Err(ServiceError::coded(
            ErrorCode::Forbidden,
            "只有技术经纪人或平台管理员可以执行此操作",
        ))
    }
}

/// Requires a signed-in person (not the system) and returns their user id: inboxes and saved
/// searches belong to people.
pub fn require_user(actor: &Actor) -> Result<i32, ServiceError> {
    require_signed_in(actor)?;
    actor
        .user_id()
        .ok_or_else(|| ServiceError::coded(ErrorCode::Forbidden, "只有登录用户拥有消息和订阅"))
}

/// The roles `actor` holds on a pairing between `enterprise_org` and `university_org`:
/// members of either side, every broker (the queue is shared) and operators. Empty means the
/// pairing does not exist for the actor.
pub fn pairing_roles(actor: &Actor, enterprise_org: i32, university_org: i32) -> Vec<PairingRole> {
    let mut roles = Vec::new();
    if matches!(actor, Actor::System) {
        roles.push(PairingRole::System);
    }
    if is_member(actor, enterprise_org) {
        roles.push(PairingRole::Enterprise);
    }
    if is_member(actor, university_org) {
        roles.push(PairingRole::University);
    }
    if is_broker(actor) {
        roles.push(PairingRole::Broker);
    }
    if actor.user().is_some_and(|u| u.operator) {
        roles.push(PairingRole::Operator);
    }
    roles
}

/// Whether `actor` steers a pairing carried by `broker_id`: its broker, or an operator.
pub fn steers_pairing(actor: &Actor, broker_id: Option<i32>) -> bool {
    is_operator(actor) || (is_broker(actor) && broker_id.is_some() && actor.user_id() == broker_id)
}

/// Requires a broker (to take requests from the queue or propose pairings).
pub fn require_broker(actor: &Actor) -> Result<(), ServiceError> {
    require_signed_in(actor)?;
    if is_broker(actor) {
        Ok(())
    } else {
        Err(ServiceError::coded(
            ErrorCode::Forbidden,
            "只有技术经纪人可以执行此操作",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::actor::UserActor;

    fn user(org: Option<(i32, OrgRole)>, operator: bool, broker: bool) -> Actor {
        Actor::User(UserActor {
            user_id: 1,
            membership: org,
            operator,
            broker,
            token_id: 1,
        })
    }

    #[test]
    fn confidential_detail_goes_to_members_brokers_and_grantees_only() {
        assert!(may_see_confidential(
            &user(Some((7, OrgRole::Member)), false, false),
            7,
            false
        ));
        assert!(!may_see_confidential(
            &user(Some((8, OrgRole::Admin)), false, false),
            7,
            false
        ));
        assert!(may_see_confidential(&user(None, false, true), 7, false));
        assert!(
            !may_see_confidential(&user(None, true, false), 7, false),
            "operators moderate, they do not read secrets"
        );
        assert!(may_see_confidential(
            &user(Some((8, OrgRole::Member)), false, false),
            7,
            true
        ));
        assert!(!may_see_confidential(&Actor::Anonymous, 7, false));
    }

    #[test]
    fn editing_needs_membership_and_a_token() {
        assert_eq!(
            may_edit_listing(&Actor::Anonymous, 7).map_err(|e| e.code()),
            Err(ErrorCode::Unauthenticated)
        );
        assert_eq!(
            may_edit_listing(&user(Some((8, OrgRole::Admin)), true, true), 7).map_err(|e| e.code()),
            Err(ErrorCode::Forbidden)
        );
        assert!(may_edit_listing(&user(Some((7, OrgRole::Member)), false, false), 7).is_ok());
        assert!(require_org_admin(&user(Some((7, OrgRole::Member)), false, false), 7).is_err());
        assert!(require_org_admin(&user(Some((7, OrgRole::Admin)), false, false), 7).is_ok());
    }
}
