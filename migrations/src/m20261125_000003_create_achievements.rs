//! Research results (科技成果). List-valued fields are JSON text; the facets that queries
//! filter on are copied into `listing_tags`.

use crate::m20261125_000001_create_organizations::Organizations;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Achievements::Table)
                    .if_not_exists()
                    .col(pk_auto(Achievements::Id))
                    .col(integer(Achievements::OwnerId))
                    .col(string_len(Achievements::Title, 200))
                    .col(text(Achievements::Summary))
                    .col(text_null(Achievements::ConfidentialDetail))
                    .col(text(Achievements::Keywords))
                    .col(text(Achievements::ApplicationFields))
                    .col(text(Achievements::Advantages))
                    .col(text(Achievements::Requirements))
                    .col(string_len(Achievements::DisciplineCode, 8))
                    .col(text(Achievements::IndustryCodes))
                    .col(small_integer(Achievements::Trl))
                    .col(string_len(Achievements::Maturity, 32))
                    .col(text(Achievements::IpRecords))
                    .col(text(Achievements::TransferModes))
                    .col(big_integer_null(Achievements::PriceMin))
                    .col(big_integer_null(Achievements::PriceMax))
                    .col(string_len(Achievements::TeamLead, 100))
                    .col(text(Achievements::Inventors))
                    .col(string_len_null(Achievements::RegistrationNumber, 12))
                    .col(text(Achievements::PriorityTracks))
                    .col(string_len(Achievements::Status, 32))
                    .col(timestamp_with_time_zone_null(Achievements::PublishedAt))
                    .col(timestamp_with_time_zone_null(Achievements::ExpiresAt))
                    .col(string_len(Achievements::Source, 32))
                    .col(string_len_null(Achievements::ExternalId, 128))
                    .col(timestamp_with_time_zone(Achievements::CreatedAt))
                    .col(timestamp_with_time_zone(Achievements::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_achievements_owner")
                            .from(Achievements::Table, Achievements::OwnerId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_achievements_owner", vec![Achievements::OwnerId]),
            (
                "idx_achievements_status_updated",
                vec![Achievements::Status, Achievements::UpdatedAt],
            ),
            ("idx_achievements_expires", vec![Achievements::ExpiresAt]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Achievements::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("uq_achievements_source_external")
                    .table(Achievements::Table)
                    .col(Achievements::Source)
                    .col(Achievements::ExternalId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Achievements::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Achievements {
    Table,
    Id,
    OwnerId,
    Title,
    Summary,
    ConfidentialDetail,
    Keywords,
    ApplicationFields,
    Advantages,
    Requirements,
    DisciplineCode,
    IndustryCodes,
    Trl,
    Maturity,
    IpRecords,
    TransferModes,
    PriceMin,
    PriceMax,
    TeamLead,
    Inventors,
    RegistrationNumber,
    PriorityTracks,
    Status,
    PublishedAt,
    ExpiresAt,
    Source,
    ExternalId,
    CreatedAt,
    UpdatedAt,
}
