//! What research results and technology needs share: one lifecycle vocabulary
//! ([`ListingStatus`]) and the identity, owner, lifecycle and origin fields every listing has
//! ([`Lifecycle`], read and written through [`Listing`]).
//!
//! The records stay flat (`a.owner_id`, `n.status`) so every reader keeps its plain fields;
//! the [`Listing`] trait is how the listing core reaches the shared ones without knowing the
//! kind.

use crate::domain::{AchievementStatus, ListingSource, NeedStatus};
use chrono::{DateTime, Utc};

/// A listing's status vocabulary: draft → live → expired / withdrawn / closed.
pub trait ListingStatus: Copy + Eq + std::fmt::Debug + Send + Sync + 'static {
    /// 草稿: visible to its owner only.
    const DRAFT: Self;
    /// Where publishing and renewal lead (PUBLISHED, OPEN).
    const LIVE: Self;
    /// 已撤回.
    const WITHDRAWN: Self;
    /// 已过期.
    const EXPIRED: Self;
    /// The statuses a default listing query shows, [`Self::LIVE`] first.
    const LIVE_STATUSES: &'static [Self];
    /// Where closing leads (已转化, 已结束).
    const CLOSED: Self;
    /// The statuses a listing may be closed from.
    const CLOSE_FROM: &'static [Self];
    /// The verb of closing in a refusal (“不能标记为已转化”).
    const CLOSE_VERB: &'static str;
    /// The statuses whose content is final (a transferred result, a signed or closed need).
    const FINAL: &'static [Self];
    /// Why final content cannot be edited.
    const FINAL_REFUSAL: &'static str;

    /// The stored and wire name.
    fn as_str(self) -> &'static str;

    /// The Chinese label shown to users.
    fn label_zh(self) -> &'static str;

    /// Parses a stored or wire name.
    fn parse(s: &str) -> Option<Self>;

    /// Whether a default listing query shows it.
    fn is_live(self) -> bool {
        Self::LIVE_STATUSES.contains(&self)
    }

    /// Whether anyone may see a listing in this status (everything once published).
    fn is_public(self) -> bool {
        self != Self::DRAFT && self != Self::WITHDRAWN
    }

    /// The live statuses and EXPIRED: where renewal, withdrawal and moderation may start.
    fn live_or_expired() -> Vec<Self> {
        let mut statuses = Self::LIVE_STATUSES.to_vec();
        statuses.push(Self::EXPIRED);
        statuses
    }
}

/// Implements [`ListingStatus`] for a status vocabulary that has `Draft`, `Withdrawn` and
/// `Expired`: which statuses are live (the first is where publishing leads), where closing leads
/// and from where, and which statuses make the content final.
macro_rules! listing_status {
    ($status:ident {
        live: [$live:ident $(, $more_live:ident)*],
        closed: $closed:ident from [$($from:ident),+] as $verb:literal,
        final: [$($final:ident),+] refusing $refusal:literal $(,)?
    }) => {
        impl ListingStatus for $status {
            const DRAFT: Self = Self::Draft;
            const LIVE: Self = Self::$live;
            const WITHDRAWN: Self = Self::Withdrawn;
            const EXPIRED: Self = Self::Expired;
            const LIVE_STATUSES: &'static [Self] = &[Self::$live $(, Self::$more_live)*];
            const CLOSED: Self = Self::$closed;
            const CLOSE_FROM: &'static [Self] = &[$(Self::$from),+];
            const CLOSE_VERB: &'static str = $verb;
            const FINAL: &'static [Self] = &[$(Self::$final),+];
            const FINAL_REFUSAL: &'static str = $refusal;

            fn as_str(self) -> &'static str {
                $status::as_str(self)
            }

            fn label_zh(self) -> &'static str {
                $status::label_zh(self)
            }

            fn parse(s: &str) -> Option<Self> {
                $status::parse(s)
            }
        }
    };
}

listing_status! {AchievementStatus {
    live: [Published],
    closed: Transferred from [Published, Expired, Withdrawn] as "标记为已转化",
    final: [Transferred] refusing "已转化的成果不能再修改",
}}

listing_status! {NeedStatus {
    live: [Open, Negotiating],
    closed: Closed from [Open, Negotiating, Signed, Expired, Withdrawn] as "结束",
    final: [Signed, Closed] refusing "已签约或已结束的需求不能再修改",
}}

/// The fields every listing has besides its content: identity, owner, lifecycle and origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Lifecycle<S> {
    /// Row id (0 before the first save).
    pub id: i32,
    /// Owning organisation.
    pub owner_id: i32,
    /// Stored lifecycle status.
    pub status: S,
    /// First published.
    pub published_at: Option<DateTime<Utc>>,
    /// Leaves default queries after this instant unless renewed.
    pub expires_at: Option<DateTime<Utc>>,
    /// Where it came from.
    pub source: ListingSource,
    /// Id at the source, for imported or seeded listings.
    pub external_id: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Why an operator unpublished it; shown to its owner.
    pub moderation_note: Option<String>,
}

impl<S: ListingStatus> Lifecycle<S> {
    /// A local draft owned by nobody yet, created at `now`.
    pub fn draft(now: DateTime<Utc>) -> Self {
        Self {
            id: 0,
            owner_id: 0,
            status: S::DRAFT,
            published_at: None,
            expires_at: None,
            source: ListingSource::Local,
            external_id: None,
            created_at: now,
            updated_at: now,
            moderation_note: None,
        }
    }
}

/// A research result or a technology need, as the listing core sees it.
pub trait Listing: Clone + PartialEq + std::fmt::Debug + Send + Sync + 'static {
    /// The kind's status vocabulary.
    type Status: ListingStatus;
    /// The GraphQL type name, which also names audit targets and actions (`publishNeed`).
    const NODE: &'static str;
    /// The full Chinese noun (科技成果, 技术需求), for missing-object errors and notices.
    const NOUN: &'static str;
    /// The short Chinese noun (成果, 需求), for notice titles.
    const SHORT_NOUN: &'static str;

    /// Stored lifecycle status.
    fn status(&self) -> Self::Status;

    /// Row id.
    fn id(&self) -> i32;

    /// Owning organisation.
    fn owner_id(&self) -> i32;

    /// Title.
    fn title(&self) -> &str;

    /// GB/T 4754 industry display codes.
    fn industry_codes(&self) -> &[String];

    /// Priority-track codes.
    fn priority_tracks(&self) -> &[String];

    /// A copy of the shared fields.
    fn lifecycle(&self) -> Lifecycle<Self::Status>;

    /// Replaces the shared fields; the content stays.
    fn set_lifecycle(&mut self, lifecycle: Lifecycle<Self::Status>);

    /// The confidential detail, to redact.
    fn confidential_detail_mut(&mut self) -> &mut Option<String>;

    /// The status at `now`: a live listing past its expiry counts as expired even before the
    /// sweeper has stored that.
    fn effective_status(&self, now: DateTime<Utc>) -> Self::Status {
        let life = self.lifecycle();
        match life.expires_at {
            Some(at) if life.status.is_live() && at <= now => Self::Status::EXPIRED,
            _ => life.status,
        }
    }
}

/// Declares a listing record: the fields every listing has (identity, owner, title,
/// confidential detail, keywords, industries, tracks, and the [`Lifecycle`] fields under their
/// own names) around the kind's own, and implements [`Listing`] for it.
macro_rules! listing_record {
    (
        $(#[$doc:meta])*
        $record:ident: $status:ident, named $node:literal $noun:literal $short_noun:literal {
            $($(#[$field_doc:meta])* $field:ident: $type:ty,)*
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $record {
            /// Row id (0 before the first save).
            pub id: i32,
            /// Owning organisation.
            pub owner_id: i32,
            /// Title.
            pub title: String,
            /// Confidential detail, shown only to entitled viewers.
            pub confidential_detail: Option<String>,
            /// Keywords (≤ 10).
            pub keywords: Vec<String>,
            /// GB/T 4754 industry display codes.
            pub industry_codes: Vec<String>,
            $($(#[$field_doc])* pub $field: $type,)*
            /// Priority-track codes.
            pub priority_tracks: Vec<String>,
            /// Stored lifecycle status (see [`Listing::effective_status`]).
            pub status: $status,
            /// First published.
            pub published_at: Option<chrono::DateTime<chrono::Utc>>,
            /// Leaves default queries after this instant unless renewed.
            pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
            /// Where it came from.
            pub source: $crate::domain::ListingSource,
            /// Id at the source, for imported or seeded listings.
            pub external_id: Option<String>,
            /// Created.
            pub created_at: chrono::DateTime<chrono::Utc>,
            /// Last changed.
            pub updated_at: chrono::DateTime<chrono::Utc>,
            /// Why an operator unpublished it; shown to its owner.
            pub moderation_note: Option<String>,
        }

        impl $crate::domain::Listing for $record {
            type Status = $status;
            const NODE: &'static str = $node;
            const NOUN: &'static str = $noun;
            const SHORT_NOUN: &'static str = $short_noun;

            fn status(&self) -> $status {
                self.status
            }

            fn id(&self) -> i32 {
                self.id
            }

            fn owner_id(&self) -> i32 {
                self.owner_id
            }

            fn title(&self) -> &str {
                &self.title
            }

            fn industry_codes(&self) -> &[String] {
                &self.industry_codes
            }

            fn priority_tracks(&self) -> &[String] {
                &self.priority_tracks
            }

            fn lifecycle(&self) -> $crate::domain::Lifecycle<$status> {
                $crate::domain::Lifecycle {
                    id: self.id,
                    owner_id: self.owner_id,
                    status: self.status,
                    published_at: self.published_at,
                    expires_at: self.expires_at,
                    source: self.source,
                    external_id: self.external_id.clone(),
                    created_at: self.created_at,
                    updated_at: self.updated_at,
                    moderation_note: self.moderation_note.clone(),
                }
            }

            fn set_lifecycle(&mut self, life: $crate::domain::Lifecycle<$status>) {
                self.id = life.id;
                self.owner_id = life.owner_id;
                self.status = life.status;
                self.published_at = life.published_at;
                self.expires_at = life.expires_at;
                self.source = life.source;
                self.external_id = life.external_id;
                self.created_at = life.created_at;
                self.updated_at = life.updated_at;
                self.moderation_note = life.moderation_note;
            }

            fn confidential_detail_mut(&mut self) -> &mut Option<String> {
                &mut self.confidential_detail
            }
        }
    };
}

/// A record with the given content fields and a draft [`Lifecycle`] dated at the epoch: what
/// validation yields. The listing core stamps identity, owner, origin and dates when it stores
/// the listing.
macro_rules! draft_listing {
    ($record:ident { $($field:ident: $value:expr),* $(,)? }) => {{
        let life = $crate::domain::Lifecycle::draft(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH);
        $record {
            $($field: $value,)*
            id: life.id,
            owner_id: life.owner_id,
            status: life.status,
            published_at: life.published_at,
            expires_at: life.expires_at,
            source: life.source,
            external_id: life.external_id,
            created_at: life.created_at,
            updated_at: life.updated_at,
            moderation_note: life.moderation_note,
        }
    }};
}
pub(crate) use draft_listing;
pub(crate) use listing_record;
