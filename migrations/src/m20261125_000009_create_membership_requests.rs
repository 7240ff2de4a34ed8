//! Requests to join an organisation, decided by its administrators.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MembershipRequests::Table)
                    .if_not_exists()
                    .col(pk_auto(MembershipRequests::Id))
                    .col(integer(MembershipRequests::UserId))
                    .col(integer(MembershipRequests::OrganizationId))
                    .col(string_len(MembershipRequests::Status, 16))
                    .col(text(MembershipRequests::Message))
                    .col(integer_null(MembershipRequests::DecidedBy))
                    .col(timestamp_with_time_zone(MembershipRequests::CreatedAt))
                    .col(timestamp_with_time_zone_null(MembershipRequests::DecidedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_membership_requests_org")
                    .table(MembershipRequests::Table)
                    .col(MembershipRequests::OrganizationId)
                    .col(MembershipRequests::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MembershipRequests::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MembershipRequests {
    Table,
    Id,
    UserId,
    OrganizationId,
    Status,
    Message,
    DecidedBy,
    CreatedAt,
    DecidedAt,
}
