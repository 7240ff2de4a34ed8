//! Domain values that can only be built valid ("parse, don't validate").
//!
//! Each newtype checks its input once, at the edge, and reports a [`FieldError`] with a stable
//! code and a Chinese message. Code past the edge takes these types and never re-checks.
//!
//! [`FieldError`]: crate::error::FieldError

pub mod credit_code;
pub mod discipline;
#[macro_use]
pub mod enums;
pub mod industry;
pub mod ip;
pub mod listing;
pub mod money;
pub mod pairing;
pub mod patent;
pub mod records;
pub mod region;
pub mod text;
pub mod trl;

pub use credit_code::CreditCode;
pub use discipline::DisciplineCode;
pub use enums::*;
pub use industry::IndustryCode;
pub use ip::IpRecord;
pub use listing::{Lifecycle, Listing, ListingStatus};
pub use money::PriceRange;
pub use pairing::{
    Awaiting, Contract, ContractKind, Pairing, PairingEventKind, PairingOrigin, PairingRole,
    PairingStatus,
};
pub use patent::PatentNumber;
pub use records::{Achievement, Need, Organization, PriorityTrack};
pub use region::RegionCode;
pub use text::{Keywords, RegistrationNumber, Text};
pub use trl::Trl;
