//! Database migrations for Qianxian, one change per file, never edited once applied.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_organizations;
mod m20261125_000002_create_priority_tracks;
mod m20261125_000003_create_achievements;
mod m20261125_000004_create_needs;
mod m20261125_000005_create_listing_tags;
mod m20261125_000006_create_listing_outbox;

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
        ]
    }
}
