//! Stored records as the service sees them: validated values with typed vocabularies.
//!
//! Codes are kept as their validated strings; the newtypes in this module's siblings did the
//! checking on the way in.

use crate::domain::listing::listing_record;
use crate::domain::{
    AchievementStatus, IpRecord, MaturityStage, NeedStatus, NeedVisibility, OrganizationKind,
    PriceRange, TransferMode,
};
use chrono::{DateTime, NaiveDate, Utc};

/// An organisation (机构).
#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    /// Row id.
    pub id: i32,
    /// Kind of organisation.
    pub kind: OrganizationKind,
    /// Name.
    pub name: String,
    /// 统一社会信用代码.
    pub credit_code: String,
    /// GB/T 2260 division code.
    pub region_code: String,
    /// Verified by a platform operator.
    pub verified: bool,
    /// Short introduction.
    pub description: String,
    /// Contact person (disclosed only through an accepted pairing).
    pub contact_name: Option<String>,
    /// Contact phone.
    pub contact_phone: Option<String>,
    /// Contact email.
    pub contact_email: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

listing_record! {
    /// A research result (科技成果).
    Achievement: AchievementStatus, named "Achievement" "科技成果" "成果" {
        /// Public summary.
        summary: String,
        /// 应用领域.
        application_fields: String,
        /// 技术优势.
        advantages: String,
        /// Requirements on the receiving firm.
        requirements: String,
        /// GB/T 13745 discipline code.
        discipline_code: String,
        /// TRL 1–9.
        trl: u8,
        /// Everyday maturity stage.
        maturity: MaturityStage,
        /// IP records.
        ip_records: Vec<IpRecord>,
        /// Offered transfer modes.
        transfer_modes: Vec<TransferMode>,
        /// Indicative price.
        price: PriceRange,
        /// Lead researcher.
        team_lead: String,
        /// Inventors.
        inventors: Vec<String>,
        /// 科技成果登记号.
        registration_number: Option<String>,
    }
}

listing_record! {
    /// A technology need (技术需求).
    Need: NeedStatus, named "Need" "技术需求" "需求" {
        /// Problem statement.
        problem: String,
        /// Technical requirements and target indicators.
        requirements: String,
        /// GB/T 13745 discipline code, if the firm knows it.
        discipline_code: Option<String>,
        /// Lowest acceptable TRL.
        min_trl: Option<u8>,
        /// Wanted cooperation modes.
        cooperation_modes: Vec<TransferMode>,
        /// Budget.
        budget: PriceRange,
        /// Wanted by.
        deadline: Option<NaiveDate>,
        /// Who may see it.
        visibility: NeedVisibility,
    }
}

/// A priority track (重点产业赛道).
#[derive(Debug, Clone, PartialEq)]
pub struct PriorityTrack {
    /// Stable slug, e.g. `solid-state-battery`.
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// One-line description.
    pub description: String,
    /// Display order.
    pub sort_order: i32,
    /// Offered for new listings.
    pub active: bool,
}
