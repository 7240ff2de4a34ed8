//! Research results (科技成果) as a kind of listing: their input and content (patents, TRL,
//! price), closing as 已转化, and a transferred result's content being final. A result hides
//! nothing but its confidential detail, so it uses the core's visibility as it is.

use crate::domain::{Achievement, AchievementStatus};
use crate::error::{ErrorCode, FieldError, ServiceError, ServiceResult};
use crate::service::Actor;
use crate::service::listings::filters::ListingFilter;
use crate::service::listings::inputs::{AchievementInput, AchievementPatch};
use crate::service::listings::{Kind, ListingService};
use chrono::NaiveDate;

use AchievementStatus::*;

/// Research-result use cases.
pub type AchievementService = ListingService<Achievement>;

/// Filter for achievement lists.
pub type AchievementFilter = ListingFilter<AchievementStatus>;

impl Kind for Achievement {
    type Input = AchievementInput;
    type Patch = AchievementPatch;
    type View = Achievement;

    const NODE: &'static str = "Achievement";
    const NOUN: &'static str = "科技成果";
    const SHORT_NOUN: &'static str = "成果";
    const CLOSED: AchievementStatus = Transferred;
    const CLOSE_FROM: &'static [AchievementStatus] = &[Published, Expired, Withdrawn];
    const CLOSE_VERB: &'static str = "标记为已转化";

    fn validate(
        input: &AchievementInput,
        tracks_known: &dyn Fn(&str) -> bool,
        _today: NaiveDate,
    ) -> Result<Achievement, Vec<FieldError>> {
        input.validate(tracks_known)
    }

    fn patched(&self, patch: AchievementPatch) -> AchievementInput {
        patch.apply(self)
    }

    fn ensure_editable(&self) -> ServiceResult<()> {
        if self.status == Transferred {
            return Err(ServiceError::coded(
                ErrorCode::InvalidStateTransition,
                "已转化的成果不能再修改",
            ));
        }
        Ok(())
    }

    fn view(_actor: &Actor, listing: Achievement, _disclosed: bool) -> Achievement {
        listing
    }
}
