//! Stored records as the service sees them: validated values with typed vocabularies.
//!
//! Codes are kept as their validated strings; the newtypes in this module's siblings did the
//! checking on the way in.

use crate::domain::{
    AchievementStatus, IpRecord, ListingSource, MaturityStage, NeedStatus, NeedVisibility,
    OrganizationKind, PriceRange, TransferMode,
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

/// A research result (科技成果).
#[derive(Debug, Clone, PartialEq)]
pub struct Achievement {
    /// Row id.
    pub id: i32,
    /// Owning organisation.
    pub owner_id: i32,
    /// Title.
    pub title: String,
    /// Public summary.
    pub summary: String,
    /// Confidential detail, shown only to entitled viewers.
    pub confidential_detail: Option<String>,
    /// Keywords (≤ 10).
    pub keywords: Vec<String>,
    /// 应用领域.
    pub application_fields: String,
    /// 技术优势.
    pub advantages: String,
    /// Requirements on the receiving firm.
    pub requirements: String,
    /// GB/T 13745 discipline code.
    pub discipline_code: String,
    /// GB/T 4754 industry display codes.
    pub industry_codes: Vec<String>,
    /// TRL 1–9.
    pub trl: u8,
    /// Everyday maturity stage.
    pub maturity: MaturityStage,
    /// IP records.
    pub ip_records: Vec<IpRecord>,
    /// Offered transfer modes.
    pub transfer_modes: Vec<TransferMode>,
    /// Indicative price.
    pub price: PriceRange,
    /// Lead researcher.
    pub team_lead: String,
    /// Inventors.
    pub inventors: Vec<String>,
    /// 科技成果登记号.
    pub registration_number: Option<String>,
    /// Priority-track codes.
    pub priority_tracks: Vec<String>,
    /// Stored lifecycle status (see [`Listing::effective_status`](crate::domain::Listing::effective_status)).
    pub status: AchievementStatus,
    /// First published.
    pub published_at: Option<DateTime<Utc>>,
    /// Leaves default queries after this instant unless renewed.
    pub expires_at: Option<DateTime<Utc>>,
    /// Where it came from.
    pub source: ListingSource,
    /// Id at the source, for imported or seeded listings.
    pub external_id: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Why an operator unpublished it; shown to its owner.
    pub moderation_note: Option<String>,
}

/// A technology need (技术需求).
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    /// Row id.
    pub id: i32,
    /// Owning organisation.
    pub owner_id: i32,
    /// Title.
    pub title: String,
    /// Problem statement.
    pub problem: String,
    /// Technical requirements and target indicators.
    pub requirements: String,
    /// Confidential detail.
    pub confidential_detail: Option<String>,
    /// Keywords (≤ 10).
    pub keywords: Vec<String>,
    /// GB/T 4754 industry display codes.
    pub industry_codes: Vec<String>,
    /// GB/T 13745 discipline code, if the firm knows it.
    pub discipline_code: Option<String>,
    /// Lowest acceptable TRL.
    pub min_trl: Option<u8>,
    /// Wanted cooperation modes.
    pub cooperation_modes: Vec<TransferMode>,
    /// Budget.
    pub budget: PriceRange,
    /// Wanted by.
    pub deadline: Option<NaiveDate>,
    /// Who may see it.
    pub visibility: NeedVisibility,
    /// Priority-track codes.
    pub priority_tracks: Vec<String>,
    /// Stored lifecycle status (see [`Listing::effective_status`](crate::domain::Listing::effective_status)).
    pub status: NeedStatus,
    /// First published.
    pub published_at: Option<DateTime<Utc>>,
    /// Leaves default queries after this instant unless renewed.
    pub expires_at: Option<DateTime<Utc>>,
    /// Where it came from.
    pub source: ListingSource,
    /// Id at the source.
    pub external_id: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Why an operator unpublished it; shown to its owner.
    pub moderation_note: Option<String>,
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
