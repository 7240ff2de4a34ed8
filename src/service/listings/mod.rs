//! Listings: research results (科技成果) and technology needs (技术需求), one core for both.
//!
//! [`ListingService`] is generic over the record ([`Kind`]); the lifecycle (draft → published →
//! expired / withdrawn / closed, renewal, moderation: `lifecycle.rs`), content writes (create,
//! update, imports: `content.rs`), reads with visibility and redaction (`reads.rs`), the expiry
//! sweep (`expiry.rs`) and filters (`filters.rs`) are written once. `achievements.rs` and
//! `needs.rs` hold only what differs: names, closing statuses, a need's deadline, visibility and
//! anonymity. `inputs.rs` holds the inputs as entered (GraphQL and seed files) and their
//! validation; `organizations.rs` the owners; `tracks.rs` the priority tracks listings name.

pub mod achievements;
mod content;
pub mod expiry;
pub mod filters;
pub mod inputs;
pub mod kind;
mod lifecycle;
pub mod needs;
pub mod organizations;
mod reads;
pub mod tracks;

pub use kind::Kind;

use crate::service::Context;
use std::marker::PhantomData;
use std::sync::Arc;

/// Listing use cases for one kind `K`: [`achievements::AchievementService`] and
/// [`needs::NeedService`].
#[derive(Debug)]
pub struct ListingService<K> {
    ctx: Arc<Context>,
    kind: PhantomData<fn() -> K>,
}

impl<K> Clone for ListingService<K> {
    fn clone(&self) -> Self {
        Self {
            ctx: self.ctx.clone(),
            kind: PhantomData,
        }
    }
}

impl<K: Kind> ListingService<K> {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self {
            ctx,
            kind: PhantomData,
        }
    }
}
