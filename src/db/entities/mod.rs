//! sea-orm entities: the rows as stored. Never exposed through GraphQL directly.

pub mod achievement;
pub mod audit_event;
pub mod auth_token;
pub mod disclosure_grant;
pub mod job_cursor;
pub mod job_lease;
pub mod listing_match;
pub mod listing_outbox;
pub mod listing_source;
pub mod listing_tag;
pub mod login_throttle;
pub mod market_optin;
pub mod market_push;
pub mod membership_request;
pub mod need;
pub mod notification;
pub mod organization;
pub mod pairing;
pub mod pairing_event;
pub mod priority_track;
pub mod saved_search;
pub mod saved_search_hit;
pub mod sync_quarantine;
pub mod sync_run;
pub mod sync_state;
pub mod user;
