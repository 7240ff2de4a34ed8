//! The visibility and permission rules, in one place.
//!
//! Reads: confidential detail and contact details are shown only to entitled viewers;
//! confidential needs are not listed, counted or found by anyone else; anonymous needs hide
//! their organisation. Writes: the accounts issue narrows [`may_edit_listing`] to members of the
//! owning organisation; today the only distinction is that verifying organisations and editing
//! priority tracks are reserved to the system (later: platform operators).

use crate::domain::{Need, NeedVisibility, Organization};
use crate::error::{ErrorCode, ServiceError};
use crate::service::Actor;

/// Whether `actor` may read the confidential detail of a listing owned by `owner_id`.
pub fn may_see_confidential(actor: &Actor, _owner_id: i32) -> bool {
    matches!(actor, Actor::System)
}

/// Whether `actor` may see that `need` exists at all.
pub fn may_see_need(actor: &Actor, need: &Need) -> bool {
    need.visibility != NeedVisibility::Confidential || matches!(actor, Actor::System)
}

/// Need visibilities `actor` may list and count.
pub fn listable_need_visibilities(actor: &Actor) -> Vec<&'static str> {
    match actor {
        Actor::System => Vec::new(),
        Actor::Anonymous => vec![
            NeedVisibility::Public.as_str(),
            NeedVisibility::Anonymous.as_str(),
        ],
    }
}

/// Need visibilities whose owner `actor` may know, for listing an organisation's needs.
pub fn attributable_need_visibilities(actor: &Actor) -> Vec<&'static str> {
    match actor {
        Actor::System => Vec::new(),
        Actor::Anonymous => vec![NeedVisibility::Public.as_str()],
    }
}

/// Whether `actor` may see which organisation owns `need`.
pub fn may_see_need_owner(actor: &Actor, need: &Need) -> bool {
    need.visibility == NeedVisibility::Public || matches!(actor, Actor::System)
}

/// Whether `actor` may read an organisation's contact details.
pub fn may_see_contacts(actor: &Actor, _org: &Organization) -> bool {
    matches!(actor, Actor::System)
}

/// Whether `actor` may see drafts and withdrawn listings of `owner_id`.
pub fn may_see_unpublished(actor: &Actor, _owner_id: i32) -> bool {
    // Until accounts exist there is no owner to recognise, so only the system sees drafts
    // in lists; the writer of a draft gets it back in the mutation payload.
    matches!(actor, Actor::System)
}

/// Whether `actor` may change listings of `owner_id`.
pub fn may_edit_listing(_actor: &Actor, _owner_id: i32) -> Result<(), ServiceError> {
    // Accounts issue: require membership of the owning organisation.
    Ok(())
}

/// Whether `actor` may verify organisations and edit operator data.
pub fn require_operator(actor: &Actor) -> Result<(), ServiceError> {
    match actor {
        Actor::System => Ok(()),
        Actor::Anonymous => Err(ServiceError::coded(
            ErrorCode::Forbidden,
            "只有平台管理员可以执行此操作",
        )),
    }
}
