//! Technology needs (技术需求) as a kind of listing: their input (problem, budget, deadline),
//! closing as 已结束, and their visibility rules: confidential needs are not listed, counted or
//! found by the unentitled; anonymous needs hide their owner.

use crate::db::listing_query::ListingQuery;
use crate::domain::{Need, NeedStatus};
use crate::service::listings::filters::ListingFilter;
use crate::service::listings::{Kind, ListingService};
use crate::service::{Actor, policy};
use chrono::NaiveDate;

/// Technology-need use cases.
pub type NeedService = ListingService<Need>;

/// Filter for need lists.
pub type NeedFilter = ListingFilter<NeedStatus>;

/// A need as one viewer may see it.
#[derive(Debug, Clone)]
pub struct NeedView {
    /// The need, with what the viewer may not read removed.
    pub need: Need,
    /// Whether the viewer may know the owning organisation.
    pub owner_visible: bool,
}

impl Kind for Need {
    type View = NeedView;

    fn earliest_deadline(&self, today: NaiveDate) -> NaiveDate {
        self.deadline.map_or(today, |d| d.min(today))
    }

    fn may_know(actor: &Actor, need: &Need) -> bool {
        policy::may_see_need(actor, need)
    }

    fn restrict(actor: &Actor, query: &mut ListingQuery, asks_about_owner: bool) {
        // A filter on the owner (which organisation, its kind or region) only looks at needs
        // whose owner the viewer may know: otherwise trying every organisation would tell who
        // posted each anonymous need.
        query.visibilities = if asks_about_owner {
            policy::attributable_need_visibilities(actor)
        } else {
            policy::listable_need_visibilities(actor)
        };
        query.visibility_exempt_owner = actor.organization_id();
    }

    fn view(actor: &Actor, need: Need, disclosed: bool) -> NeedView {
        let owner_visible = policy::may_see_need_owner(actor, &need) || disclosed;
        NeedView {
            need,
            owner_visible,
        }
    }
}
