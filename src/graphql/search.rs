//! The `search` query: full-text search over listings with highlights.

use crate::db::outbox::ListingKind;
use crate::domain::TransferMode;
use crate::graphql::errors::ResultExt;
use crate::graphql::ids;
use crate::graphql::types::connection::PageInfo;
use crate::graphql::types::{Achievement, Need};
use crate::search::index::SearchOrder;
use crate::service::search::{Found, SearchFilter};
use crate::service::{Actor, Services, Window};
use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject, Union};

/// Which listings to search.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchKind {
    /// Research results only.
    Achievements,
    /// Technology needs only.
    Needs,
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

/// One search hit.
#[derive(SimpleObject)]
pub struct SearchEdge {
    /// Opaque cursor.
    pub cursor: String,
    /// Relevance (BM25).
    pub score: f64,
    /// Matching fragments.
    pub highlights: Vec<Highlight>,
    /// The listing.
    pub node: SearchNode,
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

/// A page of search hits.
#[derive(SimpleObject)]
pub struct SearchConnection {
    /// Hits, best first.
    pub edges: Vec<SearchEdge>,
    /// Facet counts over all matches.
    pub facets: Vec<SearchFacet>,
    /// Paging state.
    pub page_info: PageInfo,
    /// Matching listings the caller may see.
    pub total_count: i64,
}

/// Search queries.
#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Full-text search over listings the caller may see, in Chinese or mixed with English
    /// (`钙钛矿电池`, `THz 成像`, `5G基站`, `GB/T 22900`). Relevance order.
    #[allow(clippy::too_many_arguments)]
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
            SearchKind::Achievements => ListingKind::Achievement,
            SearchKind::Needs => ListingKind::Need,
        });
        let window = Window {
            after: after.as_deref().map(ids::decode_cursor).transpose().gql()?,
            first,
            ..Default::default()
        };
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
        let page = result.page;
        let start = page.start;
        let edges: Vec<SearchEdge> = page
            .items
            .into_iter()
            .enumerate()
            .map(|(i, r)| SearchEdge {
                cursor: ids::cursor(start + i as u64),
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
            })
            .collect();
        Ok(SearchConnection {
            page_info: PageInfo {
                has_next_page: page.has_next,
                has_previous_page: page.has_previous,
                start_cursor: edges.first().map(|e| e.cursor.clone()),
                end_cursor: edges.last().map(|e| e.cursor.clone()),
            },
            edges,
            facets,
            total_count: i64::try_from(page.total).unwrap_or(i64::MAX),
        })
    }
}
