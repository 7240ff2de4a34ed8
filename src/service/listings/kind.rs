//! What a kind of listing adds to the core: its names, its input and content types, the
//! statuses that close it for good, and a few hooks where a need's visibility rules differ from
//! a result's. Everything else (the lifecycle, renewal, moderation, outbox and audit writes,
//! redaction) is written once, in this folder's other modules.

use crate::db::listing_query::ListingQuery;
use crate::db::listings::ListingTable;
use crate::domain::Listing;
use crate::error::{FieldError, ServiceResult};
use crate::service::Actor;
use chrono::NaiveDate;

/// The status type of kind `K`.
pub type StatusOf<K> = <K as Listing>::Status;

/// A kind of listing (a research result or a technology need), implemented by its record.
pub trait Kind: ListingTable {
    /// Every field as entered (GraphQL input, seed file, market record).
    type Input: Clone + Send + Sync + 'static;
    /// Changes as entered: absent fields stay as they are.
    type Patch: Send;
    /// What a viewer gets: the record, redacted, with what else the kind tells the viewer.
    type View: Send;

    /// The GraphQL type name, which also names audit targets and actions (`publishNeed`).
    const NODE: &'static str;
    /// The full Chinese noun (科技成果, 技术需求), for missing-object errors and notices.
    const NOUN: &'static str;
    /// The short Chinese noun (成果, 需求), for notice titles.
    const SHORT_NOUN: &'static str;
    /// Where closing leads (已转化, 已结束).
    const CLOSED: Self::Status;
    /// The statuses a listing may be closed from.
    const CLOSE_FROM: &'static [Self::Status];
    /// The verb of closing in a refusal (“不能标记为已转化”).
    const CLOSE_VERB: &'static str;

    /// Validates `input` into a draft (content only, lifecycle not yet stamped);
    /// `tracks_known` says whether a priority track exists and `today` is the earliest deadline
    /// a need may give.
    fn validate(
        input: &Self::Input,
        tracks_known: &dyn Fn(&str) -> bool,
        today: NaiveDate,
    ) -> Result<Self, Vec<FieldError>>;

    /// The earliest deadline a change to `self` may give: a deadline that already passed may
    /// stay as it is.
    fn earliest_deadline(&self, today: NaiveDate) -> NaiveDate {
        today
    }

    /// The full input that results from applying `patch` to `self`.
    fn patched(&self, patch: Self::Patch) -> Self::Input;

    /// Fails when the content is final (a transferred result, a signed or closed need).
    fn ensure_editable(&self) -> ServiceResult<()>;

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
