//! The GraphQL API: schema, root objects, types mapped from domain records, DataLoaders.
//!
//! Resolvers translate between GraphQL and the service layer; they hold no SQL and no rules.

pub mod account;
pub mod errors;
pub mod ids;
pub mod import;
pub mod limits;
pub mod listings;
pub mod loaders;
pub mod matching;
pub mod mutation;
pub mod notifications;
pub mod pairing;
pub mod query;
pub mod search;
pub mod sync;
pub mod types;

use crate::config::GraphqlSettings;
use crate::service::{Actor, Services};
use async_graphql::Schema;
use async_graphql::dataloader::DataLoader;

/// The schema type.
pub type AppSchema =
    Schema<query::QueryRoot, mutation::MutationRoot, notifications::SubscriptionRoot>;

/// Builds the schema with its limits; `services` is shared by every request.
pub fn build_schema(
    services: Services,
    settings: &GraphqlSettings,
    introspection: bool,
) -> AppSchema {
    let builder = Schema::build(
        query::QueryRoot::default(),
        mutation::MutationRoot::default(),
        notifications::SubscriptionRoot,
    )
    .data(services)
    .limit_depth(settings.max_depth)
    .limit_complexity(settings.max_complexity)
    .extension(limits::RequestLimits {
        max_aliases: settings.max_aliases,
    });
    if introspection {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
}

/// Deepest nesting an introspection-only query may reach: the standard introspection query
/// (GraphiQL's docs panel, schema loaders) nests type references about fifteen deep, more than
/// any data query needs; deeper ones walk the type graph for nothing.
pub const INTROSPECTION_MAX_DEPTH: usize = 20;

/// The schema that answers introspection-only queries, with a depth limit of their own
/// ([`INTROSPECTION_MAX_DEPTH`]) instead of the data queries' limit.
pub fn build_introspection_schema(services: Services, settings: &GraphqlSettings) -> AppSchema {
    Schema::build(
        query::QueryRoot::default(),
        mutation::MutationRoot::default(),
        notifications::SubscriptionRoot,
    )
    .data(services)
    .limit_depth(INTROSPECTION_MAX_DEPTH)
    .limit_complexity(settings.max_complexity.saturating_mul(4))
    .extension(limits::RequestLimits {
        max_aliases: settings.max_aliases,
    })
    .finish()
}

/// The names of the schema's root fields (queries, mutations, subscriptions).
pub fn root_field_names() -> std::collections::HashSet<String> {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
    let Ok(doc) = async_graphql::parser::parse_schema(sdl()) else {
        return Default::default();
    };
    doc.definitions
        .iter()
        .filter_map(|d| match d {
            TypeSystemDefinition::Type(t) => Some(&t.node),
            _ => None,
        })
        .filter(|t| t.name.node.ends_with("Root"))
        .filter_map(|t| match &t.kind {
            TypeKind::Object(o) => Some(o.fields.iter().map(|f| f.node.name.node.to_string())),
            _ => None,
        })
        .flatten()
        .collect()
}

/// The schema without data, for printing the SDL.
pub fn sdl() -> String {
    Schema::build(
        query::QueryRoot::default(),
        mutation::MutationRoot::default(),
        notifications::SubscriptionRoot,
    )
    .finish()
    .sdl()
}

/// The client's address (per-request data), for limits that count per address.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub std::net::IpAddr);

/// Per-request data: who asks, and loaders that batch and cache for this request only.
pub fn request_data(services: &Services, actor: Actor) -> (Actor, loaders::Loaders) {
    let loaders = loaders::Loaders {
        organizations: DataLoader::new(
            loaders::OrganizationLoader::new(services.clone(), actor.clone()),
            tokio::spawn,
        ),
        achievements_by_owner: DataLoader::new(
            loaders::AchievementsByOwnerLoader::new(services.clone(), actor.clone()),
            tokio::spawn,
        ),
        needs_by_owner: DataLoader::new(
            loaders::NeedsByOwnerLoader::new(services.clone(), actor.clone()),
            tokio::spawn,
        ),
        tracks: DataLoader::new(loaders::TrackLoader::new(services.clone()), tokio::spawn),
        sources: DataLoader::new(loaders::SourcesLoader::new(services.clone()), tokio::spawn),
    };
    (actor, loaders)
}
