//! The `needs` table as technology needs: the row mapping of [`ListingTable`]; every statement
//! lives in [`crate::db::listings`].
//!
//! [`ListingTable`]: crate::db::listings::ListingTable

use crate::db::listings::listing_table;
use crate::domain::{Need, NeedVisibility, PriceRange};

pub use crate::db::listings::save;

listing_table! {
    Need in need as Need, "needs", modes: cooperation_modes,
    same: [problem, requirements, discipline_code, deadline],
    json: [cooperation_modes],
    read(m) {
        min_trl: m.min_trl.and_then(|t| u8::try_from(t).ok()),
        budget: PriceRange::from_stored(m.budget_min, m.budget_max),
        visibility: NeedVisibility::parse(&m.visibility).unwrap_or(NeedVisibility::Confidential),
    }
    write(r) {
        min_trl: Set(r.min_trl.map(i16::from)),
        budget_min: Set(r.budget.min()),
        budget_max: Set(r.budget.max()),
        visibility: Set(r.visibility.as_str().to_owned()),
    }
}
