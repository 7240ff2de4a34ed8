//! Database migrations for Qianxian, one change per file, never edited once applied.

pub use sea_orm_migration::MigrationStatus;
pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_organizations;
mod m20261125_000002_create_priority_tracks;
mod m20261125_000003_create_achievements;
mod m20261125_000004_create_needs;
mod m20261125_000005_create_listing_tags;
mod m20261125_000006_create_listing_outbox;
mod m20261125_000007_create_users;
mod m20261125_000008_create_auth_tokens;
mod m20261125_000009_create_membership_requests;
mod m20261125_000010_create_audit_events;
mod m20261125_000011_create_disclosure_grants;
mod m20261125_000012_add_moderation_notes;
mod m20261125_000013_create_listing_matches;
mod m20261126_000014_create_pairings;
mod m20261126_000015_add_match_sides;
mod m20261126_000016_create_sync;
mod m20261126_000017_create_market_pushes;
mod m20261205_000018_sequence_outbox;
mod m20261205_000019_create_database_identity;
mod m20261205_000020_create_job_leases;
mod m20261205_000021_add_notification_keys;
mod m20261205_000022_add_token_families;
mod m20261205_000023_create_login_throttle;
mod m20261205_000024_create_match_judgements;
mod m20261205_000025_add_push_keys;

/// Applies every migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_organizations::Migration),
            Box::new(m20261125_000002_create_priority_tracks::Migration),
            Box::new(m20261125_000003_create_achievements::Migration),
            Box::new(m20261125_000004_create_needs::Migration),
            Box::new(m20261125_000005_create_listing_tags::Migration),
            Box::new(m20261125_000006_create_listing_outbox::Migration),
            Box::new(m20261125_000007_create_users::Migration),
            Box::new(m20261125_000008_create_auth_tokens::Migration),
            Box::new(m20261125_000009_create_membership_requests::Migration),
            Box::new(m20261125_000010_create_audit_events::Migration),
            Box::new(m20261125_000011_create_disclosure_grants::Migration),
            Box::new(m20261125_000012_add_moderation_notes::Migration),
            Box::new(m20261125_000013_create_listing_matches::Migration),
            Box::new(m20261126_000014_create_pairings::Migration),
            Box::new(m20261126_000015_add_match_sides::Migration),
            Box::new(m20261126_000016_create_sync::Migration),
            Box::new(m20261126_000017_create_market_pushes::Migration),
            Box::new(m20261205_000018_sequence_outbox::Migration),
            Box::new(m20261205_000019_create_database_identity::Migration),
            Box::new(m20261205_000020_create_job_leases::Migration),
            Box::new(m20261205_000021_add_notification_keys::Migration),
            Box::new(m20261205_000022_add_token_families::Migration),
            Box::new(m20261205_000023_create_login_throttle::Migration),
            Box::new(m20261205_000024_create_match_judgements::Migration),
            Box::new(m20261205_000025_add_push_keys::Migration),
        ]
    }
}
