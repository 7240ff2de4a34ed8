//! The Relay `Node` interface.

use super::{Achievement, Need, Organization};
use async_graphql::Interface;

/// Any object with a global id, fetchable through `node(id:)`.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "crate::graphql::ids::GlobalId", desc = "Global id."))]
pub enum Node {
    /// An organisation.
    Organization(Organization),
    /// A research result.
    Achievement(Achievement),
    /// A technology need.
    Need(Need),
}
