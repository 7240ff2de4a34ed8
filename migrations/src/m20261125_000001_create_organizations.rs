//! Organisations (机构): universities, institutes, enterprises, agencies.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .if_not_exists()
                    .col(pk_auto(Organizations::Id))
                    .col(string_len(Organizations::Kind, 32))
                    .col(string_len(Organizations::Name, 200))
                    .col(string_len_uniq(Organizations::CreditCode, 18))
                    .col(string_len(Organizations::RegionCode, 6))
                    .col(boolean(Organizations::Verified))
                    .col(text(Organizations::Description))
                    .col(string_len_null(Organizations::ContactName, 100))
                    .col(string_len_null(Organizations::ContactPhone, 40))
                    .col(string_len_null(Organizations::ContactEmail, 200))
                    .col(timestamp_with_time_zone(Organizations::CreatedAt))
                    .col(timestamp_with_time_zone(Organizations::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_organizations_region")
                    .table(Organizations::Table)
                    .col(Organizations::RegionCode)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Organizations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Organizations {
    Table,
    Id,
    Kind,
    Name,
    CreditCode,
    RegionCode,
    Verified,
    Description,
    ContactName,
    ContactPhone,
    ContactEmail,
    CreatedAt,
    UpdatedAt,
}
