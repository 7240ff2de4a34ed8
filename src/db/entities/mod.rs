//! sea-orm entities: the rows as stored. Never exposed through GraphQL directly.

pub mod achievement;
pub mod listing_outbox;
pub mod listing_tag;
pub mod need;
pub mod organization;
pub mod priority_track;
