//! sea-orm entities: the rows as stored. Never exposed through GraphQL directly.

/// A listing table's entity: the columns every listing has (owner, title, confidential detail,
/// keywords, industries, tracks, lifecycle, source, moderation) around the kind's own, given
/// as struct fields. List-valued columns hold JSON arrays.
macro_rules! listing_entity {
    ($(#[$doc:meta])* $table:literal { $($own:tt)* }) => {
        use sea_orm::entity::prelude::*;

        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = $table)]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            pub owner_id: i32,
            pub title: String,
            pub confidential_detail: Option<String>,
            pub keywords: String,
            pub industry_codes: String,
            $($own)*
            pub priority_tracks: String,
            pub status: String,
            pub published_at: Option<DateTimeUtc>,
            pub expires_at: Option<DateTimeUtc>,
            pub source: String,
            pub external_id: Option<String>,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
            pub moderation_note: Option<String>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}

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
pub mod match_judgement;
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
