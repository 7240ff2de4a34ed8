//! The mutation root: verb + type, `input` → payload `{ <object>, userErrors }`, each area's
//! mutations merged in schema order.
//!
//! Input and business-rule problems come back as `userErrors` with nothing written; access and
//! internal failures are top-level errors with `extensions.code`.

use crate::graphql::listings::achievements::AchievementMutation;
use crate::graphql::listings::needs::NeedMutation;
use crate::graphql::listings::organizations::OrganizationMutation;

/// Write access to the market.
#[derive(async_graphql::MergedObject, Default)]
pub struct MutationRoot(
    OrganizationMutation,
    AchievementMutation,
    NeedMutation,
    crate::graphql::account::AccountMutation,
    crate::graphql::matching::MatchMutation,
    crate::graphql::pairing::PairingMutation,
    crate::graphql::notifications::NotificationMutation,
    crate::graphql::sync::SyncMutation,
    crate::graphql::import::ImportMutation,
);
