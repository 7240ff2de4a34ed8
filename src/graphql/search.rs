//! The `search` query: full-text search over listings with highlights.

use crate::db::outbox::ListingKind;
use crate::domain::TransferMode;
use crate::graphql::errors::ResultExt;
use crate::graphql::types::connection::{Edge, Parts, connection, forward};
use crate::graphql::types::{Achievement, Need};
use crate::search::index::SearchOrder;
use crate::service::search::{Found, SearchFilter, SearchResult};
use crate::service::{Actor, Services};
use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject, Union};

/// Which listings to search.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchKind {
    /// Research results only.
    Achievement,
    /// Technology needs only.
    Need,
}

/// A listing found by search.
#[derive(Union)]
pub enum SearchNode {
    /// A research result.
    Achievement(Achievement),
    /// A technology need.
    Need(Need),
}

/// A highlighted fragment of a listing's public text.
#[derive(SimpleObject)]
pub struct Highlight {
    /// `title` or `body`.
    pub field: String,
    /// HTML with matches in `<em>…</em>`; other text escaped.
    pub snippet: String,
}

/// One search hit: the listing with its cursor, relevance and highlights.
#[derive(SimpleObject)]
pub struct SearchEdge {
    /// Opaque cursor of this hit, for `after`.
    pub cursor: String,
    /// Relevance (BM25).
    pub score: f64,
    /// Matching fragments.
    pub highlights: Vec<Highlight>,
    /// The listing.
    pub node: SearchNode,
}

impl Edge for SearchEdge {
    type Node = SearchNode;
    fn node(&self) -> &SearchNode {
        &self.node
    }
}

/// How many matches carry one facet value (over all matches, not just this page).
#[derive(SimpleObject)]
pub struct SearchFacet {
    /// `industrySection` (门类), `industryDivision` (大类), `discipline`, `province`, `city`
    /// (of the owner), `trl`, `track` or `mode`.
    pub dimension: String,
    /// The code.
    pub code: String,
    /// Its Chinese name.
    pub name: String,
    /// Matches.
    pub count: i64,
}

/// Filters for `search`; every given filter must match.
#[derive(InputObject, Default)]
pub struct SearchFilterInput {
    /// GB/T 4754 code at any level: `C`, `C38`, `C384`.
    pub industry: Option<String>,
    /// GB/T 13745 code.
    pub discipline: Option<String>,
    /// Owner's region: GB/T 2260 code or its 2/4-digit prefix (`3702` 青岛市).
    pub region: Option<String>,
    /// TRL at least (for needs: the wanted minimum).
    pub trl_min: Option<i32>,
    /// TRL at most.
    pub trl_max: Option<i32>,
    /// Any of these priority tracks.
    pub tracks: Option<Vec<String>>,
    /// Any of these transfer / cooperation modes.
    pub modes: Option<Vec<TransferMode>>,
}

connection!(SearchConnection, SearchEdge, "search hits, best first", {
    /// Facet counts over all matches.
    facets: Vec<SearchFacet>,
    /// True when the query's `"quoted phrases"` occur nowhere word for word, so these are the
    /// hits of the phrases' words searched like the rest of the query (say so on the page).
    phrases_relaxed: bool,
});

/// Search queries.
#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Full-text search over listings the caller may see, in Chinese or mixed with English
    /// (`钙钛矿电池`, `THz 成像`, `5G基站`, `GB/T 22900`). Relevance order.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        complexity = "crate::graphql::limits::SEARCH_COST + crate::graphql::limits::list_cost(first, None, 20, 100, child_complexity)"
    )]
    async fn search(
        &self,
        ctx: &Context<'_>,
        query: String,
        kind: Option<SearchKind>,
        filter: Option<SearchFilterInput>,
        #[graphql(default)] order: SearchOrder,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<SearchConnection> {
        let services = ctx.data::<Services>()?;
        let actor = ctx.data::<Actor>()?;
        let kind = kind.map(|k| match k {
            SearchKind::Achievement => ListingKind::Achievement,
            SearchKind::Need => ListingKind::Need,
        });
        let window = forward(first, after)?;
        let f = filter.unwrap_or_default();
        let filter = SearchFilter {
            kind,
            industry: f.industry,
            discipline: f.discipline,
            region: f.region,
            trl_min: f.trl_min,
            trl_max: f.trl_max,
            tracks: f.tracks.unwrap_or_default(),
            modes: f.modes.unwrap_or_default(),
            order,
            facets: ctx.look_ahead().field("facets").exists(),
        };
        let result = services
            .search
            .search(actor, &query, &filter, window)
            .await
            .gql()?;
        let facets = result
            .facets
            .into_iter()
            .map(|c| SearchFacet {
                dimension: c.dimension.to_owned(),
                code: c.code,
                name: c.name,
                count: i64::try_from(c.count).unwrap_or(i64::MAX),
            })
            .collect();
        Ok(SearchConnection::new(
            Parts::of_edges(result.page, hit),
            facets,
            result.phrases_relaxed,
        ))
    }
}

/// The edge of one hit.
fn hit(cursor: String, r: SearchResult) -> SearchEdge {
    SearchEdge {
        cursor,
        score: f64::from(r.score),
        highlights: r
            .highlights
            .into_iter()
            .map(|(field, snippet)| Highlight {
                field: field.to_owned(),
                snippet,
            })
            .collect(),
        node: match r.found {
            Found::Achievement(a) => SearchNode::Achievement(Achievement(a)),
            Found::Need(n) => SearchNode::Need(Need(n)),
        },
    }
}
