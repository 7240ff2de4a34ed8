//! DataLoaders: one statement per batch instead of one per object. Built per request, so their
//! cache never crosses from one viewer to another.

use crate::db::outbox::ListingKind;
use crate::domain::{Achievement, Organization, PriorityTrack};
use crate::graphql::errors::to_gql;
use crate::service::listings::needs::NeedView;
use crate::service::{Actor, Services};
use async_graphql::dataloader::{DataLoader, Loader};
use std::collections::HashMap;

/// Live listings loaded per organisation; `Organization.achievements` and `.needs` page
/// through these.
pub const PER_OWNER: usize = 50;

/// The loaders of one request.
pub struct Loaders {
    /// Organisations by id.
    pub organizations: DataLoader<OrganizationLoader>,
    /// Live results by owner.
    pub achievements_by_owner: DataLoader<AchievementsByOwnerLoader>,
    /// Live needs by owner.
    pub needs_by_owner: DataLoader<NeedsByOwnerLoader>,
    /// Priority tracks by code.
    pub tracks: DataLoader<TrackLoader>,
    /// Market and spreadsheet sources by listing.
    pub sources: DataLoader<SourcesLoader>,
}

macro_rules! loader_struct {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        pub struct $name {
            services: Services,
            actor: Actor,
        }

        impl $name {
            /// A loader acting for `actor`.
            pub fn new(services: Services, actor: Actor) -> Self {
                Self { services, actor }
            }
        }
    };
}

loader_struct!(OrganizationLoader, "Loads organisations by id.");
loader_struct!(
    AchievementsByOwnerLoader,
    "Loads live results by owning organisation."
);
loader_struct!(
    NeedsByOwnerLoader,
    "Loads live needs by owning organisation."
);

impl Loader<i32> for OrganizationLoader {
    type Value = Organization;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Organization>, Self::Error> {
        let orgs = self
            .services
            .organizations
            .get_many(&self.actor, keys)
            .await
            .map_err(to_gql)?;
        Ok(orgs.into_iter().map(|o| (o.id, o)).collect())
    }
}

impl Loader<i32> for AchievementsByOwnerLoader {
    type Value = Vec<Achievement>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Vec<Achievement>>, Self::Error> {
        let rows = self
            .services
            .achievements
            .live_by_owners(&self.actor, keys, PER_OWNER)
            .await
            .map_err(to_gql)?;
        let mut out: HashMap<i32, Vec<Achievement>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for a in rows {
            out.entry(a.owner_id).or_default().push(a);
        }
        Ok(out)
    }
}

impl Loader<i32> for NeedsByOwnerLoader {
    type Value = Vec<NeedView>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Vec<NeedView>>, Self::Error> {
        let rows = self
            .services
            .needs
            .live_by_owners(&self.actor, keys, PER_OWNER)
            .await
            .map_err(to_gql)?;
        let mut out: HashMap<i32, Vec<NeedView>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for n in rows {
            out.entry(n.need.owner_id).or_default().push(n);
        }
        Ok(out)
    }
}

/// Loads priority tracks by code (one statement per request reads them all: there are few).
pub struct TrackLoader {
    services: Services,
}

impl TrackLoader {
    /// A track loader.
    pub fn new(services: Services) -> Self {
        Self { services }
    }
}

impl Loader<String> for TrackLoader {
    type Value = PriorityTrack;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, PriorityTrack>, Self::Error> {
        let all = self.services.tracks.list().await.map_err(to_gql)?;
        Ok(all
            .into_iter()
            .filter(|t| keys.contains(&t.code))
            .map(|t| (t.code.clone(), t))
            .collect())
    }
}

/// Loads the source links of listings (the caller has already seen each listing).
pub struct SourcesLoader {
    services: Services,
}

impl SourcesLoader {
    /// A sources loader.
    pub fn new(services: Services) -> Self {
        Self { services }
    }
}

impl Loader<(ListingKind, i32)> for SourcesLoader {
    type Value = Vec<crate::db::sync::SourceLink>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[(ListingKind, i32)],
    ) -> Result<HashMap<(ListingKind, i32), Self::Value>, Self::Error> {
        let mut out: HashMap<(ListingKind, i32), Self::Value> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for kind in [ListingKind::Achievement, ListingKind::Need] {
            let ids: Vec<i32> = keys.iter().filter(|k| k.0 == kind).map(|k| k.1).collect();
            if ids.is_empty() {
                continue;
            }
            for link in self
                .services
                .sync
                .sources(kind, &ids)
                .await
                .map_err(to_gql)?
            {
                out.entry((kind, link.listing_id)).or_default().push(link);
            }
        }
        Ok(out)
    }
}

/// Every market record behind the listing `(kind, id)`, batched through the request's
/// [`SourcesLoader`].
pub(crate) async fn sources_of(
    ctx: &async_graphql::Context<'_>,
    kind: ListingKind,
    id: i32,
) -> async_graphql::Result<Vec<crate::graphql::sync::ListingSourceRef>> {
    let loaders = ctx.data::<Loaders>()?;
    Ok(loaders
        .sources
        .load_one((kind, id))
        .await?
        .unwrap_or_default()
        .into_iter()
        .map(Into::into)
        .collect())
}
