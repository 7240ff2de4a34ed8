//! Research results (科技成果) as a kind of listing: their input and content (patents, TRL,
//! price), closing as 已转化, and a transferred result's content being final. A result hides
//! nothing but its confidential detail, so it uses the core's visibility as it is.

use crate::domain::{Achievement, AchievementStatus};
use crate::service::Actor;
use crate::service::listings::filters::ListingFilter;
use crate::service::listings::{Kind, ListingService};

/// Research-result use cases.
pub type AchievementService = ListingService<Achievement>;

/// Filter for achievement lists.
pub type AchievementFilter = ListingFilter<AchievementStatus>;

impl Kind for Achievement {
    type View = Achievement;

    fn view(_actor: &Actor, listing: Achievement, _disclosed: bool) -> Achievement {
        listing
    }
}
