//! Technology needs (技术需求), often confidential.

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
                    .table(Needs::Table)
                    .if_not_exists()
                    .col(pk_auto(Needs::Id))
                    .col(integer(Needs::OwnerId))
                    .col(string_len(Needs::Title, 200))
                    .col(text(Needs::Problem))
                    .col(text(Needs::Requirements))
                    .col(text_null(Needs::ConfidentialDetail))
                    .col(text(Needs::Keywords))
                    .col(text(Needs::IndustryCodes))
                    .col(string_len_null(Needs::DisciplineCode, 8))
                    .col(small_integer_null(Needs::MinTrl))
                    .col(text(Needs::CooperationModes))
                    .col(big_integer_null(Needs::BudgetMin))
                    .col(big_integer_null(Needs::BudgetMax))
                    .col(date_null(Needs::Deadline))
                    .col(string_len(Needs::Visibility, 32))
                    .col(text(Needs::PriorityTracks))
                    .col(string_len(Needs::Status, 32))
                    .col(timestamp_with_time_zone_null(Needs::PublishedAt))
                    .col(timestamp_with_time_zone_null(Needs::ExpiresAt))
                    .col(string_len(Needs::Source, 32))
                    .col(string_len_null(Needs::ExternalId, 128))
                    .col(timestamp_with_time_zone(Needs::CreatedAt))
                    .col(timestamp_with_time_zone(Needs::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_needs_owner")
                            .from(Needs::Table, Needs::OwnerId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_needs_owner", vec![Needs::OwnerId]),
            (
                "idx_needs_status_updated",
                vec![Needs::Status, Needs::UpdatedAt],
            ),
            ("idx_needs_expires", vec![Needs::ExpiresAt]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Needs::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("uq_needs_source_external")
                    .table(Needs::Table)
                    .col(Needs::Source)
                    .col(Needs::ExternalId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Needs::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Needs {
    Table,
    Id,
    OwnerId,
    Title,
    Problem,
    Requirements,
    ConfidentialDetail,
    Keywords,
    IndustryCodes,
    DisciplineCode,
    MinTrl,
    CooperationModes,
    BudgetMin,
    BudgetMax,
    Deadline,
    Visibility,
    PriorityTracks,
    Status,
    PublishedAt,
    ExpiresAt,
    Source,
    ExternalId,
    CreatedAt,
    UpdatedAt,
}
