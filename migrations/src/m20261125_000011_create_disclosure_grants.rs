//! Grants that disclose a listing's confidential detail and its owner's contacts to one
//! counterpart organisation (made when a pairing is accepted).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DisclosureGrants::Table)
                    .if_not_exists()
                    .col(pk_auto(DisclosureGrants::Id))
                    .col(string_len(DisclosureGrants::ListingKind, 16))
                    .col(integer(DisclosureGrants::ListingId))
                    .col(integer(DisclosureGrants::OwnerOrgId))
                    .col(integer(DisclosureGrants::GranteeOrgId))
                    .col(integer_null(DisclosureGrants::GrantedBy))
                    .col(text(DisclosureGrants::Reason))
                    .col(timestamp_with_time_zone(DisclosureGrants::CreatedAt))
                    .col(timestamp_with_time_zone_null(DisclosureGrants::RevokedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_disclosure_grants_listing_grantee")
                    .table(DisclosureGrants::Table)
                    .col(DisclosureGrants::ListingKind)
                    .col(DisclosureGrants::ListingId)
                    .col(DisclosureGrants::GranteeOrgId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_disclosure_grants_grantee")
                    .table(DisclosureGrants::Table)
                    .col(DisclosureGrants::GranteeOrgId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DisclosureGrants::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum DisclosureGrants {
    Table,
    Id,
    ListingKind,
    ListingId,
    OwnerOrgId,
    GranteeOrgId,
    GrantedBy,
    Reason,
    CreatedAt,
    RevokedAt,
}
