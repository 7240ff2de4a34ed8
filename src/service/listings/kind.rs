//! What a kind of listing adds to the core: its view and a few hooks where a need's visibility
//! rules differ from a result's. Its names and status rules are declared with its record
//! (`domain/records.rs`, `domain/listing.rs`), its input with its fields (`inputs.rs`).
//! Everything else (the lifecycle, renewal, moderation, outbox and audit writes, redaction) is
//! written once, in this folder's other modules.

use crate::db::listing_query::ListingQuery;
use crate::db::listings::ListingTable;
use crate::domain::{Listing, ListingStatus};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::service::Actor;
use crate::service::listings::inputs::Entered;
use chrono::NaiveDate;

/// The status type of kind `K`.
pub type StatusOf<K> = <K as Listing>::Status;

/// A kind of listing (a research result or a technology need), implemented by its record.
pub trait Kind: ListingTable + Entered {
    /// What a viewer gets: the record, redacted, with what else the kind tells the viewer.
    type View: Send;

    /// The earliest deadline a change to `self` may give: a deadline that already passed may
    /// stay as it is.
    fn earliest_deadline(&self, today: NaiveDate) -> NaiveDate {
        today
    }

    /// Fails when the content is final (a transferred result, a signed or closed need).
    fn ensure_editable(&self) -> ServiceResult<()> {
        if StatusOf::<Self>::FINAL.contains(&self.status()) {
            return Err(ServiceError::coded(
                ErrorCode::InvalidStateTransition,
                StatusOf::<Self>::FINAL_REFUSAL,
            ));
        }
        Ok(())
    }

    /// Whether `actor` may know of the listing at all, before its status is considered
    /// (a confidential need hides from the unentitled).
    fn may_know(_actor: &Actor, _listing: &Self) -> bool {
        true
    }

    /// Narrows a list query to what `actor` may list (a need's visibility); `asks_about_owner`
    /// when the query filters on the owning organisation (who, what kind, where).
    fn restrict(_actor: &Actor, _query: &mut ListingQuery, _asks_about_owner: bool) {}

    /// The view of a redacted listing; `disclosed` when a grant disclosed it to the viewer.
    fn view(actor: &Actor, listing: Self, disclosed: bool) -> Self::View;
}
