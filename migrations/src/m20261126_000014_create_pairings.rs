//! The broker workflow: pairings (对接) between a need or firm and a research result, their
//! timeline, each person's notification inbox, saved searches and which listings each saved
//! search already reported.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Pairings::Table)
                    .if_not_exists()
                    .col(pk_auto(Pairings::Id))
                    .col(integer_null(Pairings::NeedId))
                    .col(integer(Pairings::AchievementId))
                    .col(integer(Pairings::EnterpriseOrgId))
                    .col(integer(Pairings::UniversityOrgId))
                    .col(string_len(Pairings::Origin, 32))
                    .col(integer_null(Pairings::RequestedBy))
                    .col(text(Pairings::Message))
                    .col(string_len(Pairings::Status, 16))
                    .col(integer_null(Pairings::BrokerId))
                    .col(boolean(Pairings::EnterpriseAgreed))
                    .col(boolean(Pairings::UniversityAgreed))
                    .col(string_len_null(Pairings::TrackCode, 32))
                    .col(string_len_null(Pairings::IndustryCode, 8))
                    .col(string_len(Pairings::RegionCode, 6))
                    .col(string_len_null(Pairings::OpenKey, 64).unique_key())
                    .col(timestamp_with_time_zone(Pairings::CreatedAt))
                    .col(timestamp_with_time_zone(Pairings::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Pairings::AcceptedAt))
                    .col(timestamp_with_time_zone_null(Pairings::IntroducedAt))
                    .col(timestamp_with_time_zone_null(Pairings::NegotiatingAt))
                    .col(timestamp_with_time_zone_null(Pairings::SignedAt))
                    .col(timestamp_with_time_zone_null(Pairings::ClosedAt))
                    .col(timestamp_with_time_zone_null(Pairings::DueAt))
                    .col(string_len_null(Pairings::Awaiting, 16))
                    .col(text_null(Pairings::DeclineReason))
                    .col(string_len_null(Pairings::ContractKind, 32))
                    .col(big_integer_null(Pairings::ContractAmountYuan))
                    .col(date_null(Pairings::ContractSignedOn))
                    .col(string_len_null(Pairings::ContractRegistrationNo, 64))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_pairings_status", Pairings::Status),
            ("idx_pairings_broker", Pairings::BrokerId),
            ("idx_pairings_enterprise", Pairings::EnterpriseOrgId),
            ("idx_pairings_university", Pairings::UniversityOrgId),
            ("idx_pairings_due", Pairings::DueAt),
            ("idx_pairings_created", Pairings::CreatedAt),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Pairings::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(PairingEvents::Table)
                    .if_not_exists()
                    .col(pk_auto(PairingEvents::Id))
                    .col(integer(PairingEvents::PairingId))
                    .col(timestamp_with_time_zone(PairingEvents::At))
                    .col(integer_null(PairingEvents::ActorId))
                    .col(string_len(PairingEvents::ActorRole, 16))
                    .col(string_len(PairingEvents::Kind, 16))
                    .col(string_len_null(PairingEvents::FromStatus, 16))
                    .col(string_len_null(PairingEvents::ToStatus, 16))
                    .col(text_null(PairingEvents::Note))
                    .col(boolean(PairingEvents::Internal))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_pairing_events_pairing")
                    .table(PairingEvents::Table)
                    .col(PairingEvents::PairingId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .if_not_exists()
                    .col(pk_auto(Notifications::Id))
                    .col(integer(Notifications::UserId))
                    .col(string_len(Notifications::Kind, 24))
                    .col(string_len(Notifications::Title, 200))
                    .col(text(Notifications::Body))
                    .col(integer_null(Notifications::PairingId))
                    .col(string_len_null(Notifications::ListingKind, 16))
                    .col(integer_null(Notifications::ListingId))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_user")
                    .table(Notifications::Table)
                    .col(Notifications::UserId)
                    .col(Notifications::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SavedSearches::Table)
                    .if_not_exists()
                    .col(pk_auto(SavedSearches::Id))
                    .col(integer(SavedSearches::UserId))
                    .col(string_len(SavedSearches::Name, 100))
                    .col(text(SavedSearches::Query))
                    .col(string_len_null(SavedSearches::Kind, 16))
                    .col(timestamp_with_time_zone(SavedSearches::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SavedSearchHits::Table)
                    .if_not_exists()
                    .col(integer(SavedSearchHits::SavedSearchId))
                    .col(string_len(SavedSearchHits::ListingKind, 16))
                    .col(integer(SavedSearchHits::ListingId))
                    .primary_key(
                        Index::create()
                            .col(SavedSearchHits::SavedSearchId)
                            .col(SavedSearchHits::ListingKind)
                            .col(SavedSearchHits::ListingId),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SavedSearchHits::Table.into_iden(),
            SavedSearches::Table.into_iden(),
            Notifications::Table.into_iden(),
            PairingEvents::Table.into_iden(),
            Pairings::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Pairings {
    Table,
    Id,
    NeedId,
    AchievementId,
    EnterpriseOrgId,
    UniversityOrgId,
    Origin,
    RequestedBy,
    Message,
    Status,
    BrokerId,
    EnterpriseAgreed,
    UniversityAgreed,
    TrackCode,
    IndustryCode,
    RegionCode,
    OpenKey,
    CreatedAt,
    UpdatedAt,
    AcceptedAt,
    IntroducedAt,
    NegotiatingAt,
    SignedAt,
    ClosedAt,
    DueAt,
    Awaiting,
    DeclineReason,
    ContractKind,
    ContractAmountYuan,
    ContractSignedOn,
    ContractRegistrationNo,
}

#[derive(DeriveIden)]
enum PairingEvents {
    Table,
    Id,
    PairingId,
    At,
    ActorId,
    ActorRole,
    Kind,
    FromStatus,
    ToStatus,
    Note,
    Internal,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    UserId,
    Kind,
    Title,
    Body,
    PairingId,
    ListingKind,
    ListingId,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum SavedSearches {
    Table,
    Id,
    UserId,
    Name,
    Query,
    Kind,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SavedSearchHits {
    Table,
    SavedSearchId,
    ListingKind,
    ListingId,
}
