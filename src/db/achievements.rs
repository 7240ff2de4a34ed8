//! The `achievements` table as research results: the row mapping of [`ListingTable`]; every
//! statement lives in [`crate::db::listings`].
//!
//! [`ListingTable`]: crate::db::listings::ListingTable

use crate::db::listings::listing_table;
use crate::domain::{Achievement, MaturityStage, PriceRange};

pub use crate::db::listings::save;

listing_table! {
    Achievement in achievement as Achievement, "achievements", modes: transfer_modes,
    same: [summary, application_fields, advantages, requirements, discipline_code, team_lead, registration_number],
    json: [ip_records, transfer_modes, inventors],
    read(m) {
        trl: u8::try_from(m.trl).unwrap_or(1),
        maturity: MaturityStage::parse(&m.maturity).unwrap_or(MaturityStage::InResearch),
        price: PriceRange::from_stored(m.price_min, m.price_max),
    }
    write(r) {
        trl: Set(i16::from(r.trl)),
        maturity: Set(r.maturity.as_str().to_owned()),
        price_min: Set(r.price.min()),
        price_max: Set(r.price.max()),
    }
}
