//! Relay cursor connections: the one shape of every list that grows with use.
//!
//! Every connection has exactly `edges { cursor node … }`, `nodes`, `pageInfo` and `totalCount`,
//! plus extra fields where they belong (search `facets`, inbox `unreadCount`). Declare one with
//! [`edge!`] (the plain `cursor` + `node` edge) and [`connection!`], and build it from a service
//! [`Page`] with [`Parts`]: nothing else writes these fields, so the shape cannot drift
//! (`tests/api/conventions.rs` checks the SDL as well). `docs/api-conventions.md` has the rules.

use crate::graphql::errors::ResultExt;
use crate::graphql::ids;
use crate::service::{Page, Window};
use async_graphql::{Result, SimpleObject};

/// Relay page information.
#[derive(SimpleObject, Debug, Clone)]
pub struct PageInfo {
    /// More items follow.
    pub has_next_page: bool,
    /// More items precede.
    pub has_previous_page: bool,
    /// Cursor of the first edge.
    pub start_cursor: Option<String>,
    /// Cursor of the last edge.
    pub end_cursor: Option<String>,
}

/// An edge of a connection: a cursor and a node, maybe with fields of its own (a search hit's
/// score and highlights).
pub trait Edge {
    /// The item type.
    type Node;
    /// The item.
    fn node(&self) -> &Self::Node;
}

/// An edge that holds nothing but its cursor and its node (made by [`edge!`]).
pub trait PlainEdge: Edge + Sized {
    /// The edge of `node` at `cursor`.
    fn new(cursor: String, node: Self::Node) -> Self;
}

/// What every connection holds: its edges, the paging state and the total.
pub struct Parts<E> {
    /// The edges, in order.
    pub edges: Vec<E>,
    /// Paging state.
    pub page_info: PageInfo,
    /// Matching items in total, across all pages.
    pub total_count: i64,
}

impl<E> Parts<E> {
    /// Builds the edges of a service page with `edge(cursor, item)`.
    pub fn of_edges<R>(page: Page<R>, mut edge: impl FnMut(String, R) -> E) -> Self {
        let start = page.start;
        let count = page.items.len() as u64;
        let edges = page
            .items
            .into_iter()
            .zip(start..)
            .map(|(item, offset)| edge(ids::cursor(offset), item))
            .collect();
        Self {
            edges,
            page_info: PageInfo {
                has_next_page: page.has_next,
                has_previous_page: page.has_previous,
                start_cursor: (count > 0).then(|| ids::cursor(start)),
                end_cursor: (count > 0).then(|| ids::cursor(start + count - 1)),
            },
            total_count: i64::try_from(page.total).unwrap_or(i64::MAX),
        }
    }
}

impl<E: PlainEdge> Parts<E> {
    /// Builds plain edges of a service page, mapping each item to its node.
    pub fn of_nodes<R>(page: Page<R>, mut node: impl FnMut(R) -> E::Node) -> Self {
        Self::of_edges(page, |cursor, item| E::new(cursor, node(item)))
    }
}

/// The page a connection field asks for: `first`/`after`, and `last`/`before` where the field
/// offers them. Cursors are decoded here; sizes are checked where the window is resolved.
pub fn window(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<Window> {
    let decode = |c: Option<String>| c.as_deref().map(ids::decode_cursor).transpose().gql();
    Ok(Window {
        after: decode(after)?,
        before: decode(before)?,
        first,
        last,
    })
}

/// A forward-only window (`first`/`after`).
pub fn forward(first: Option<i32>, after: Option<String>) -> Result<Window> {
    window(first, after, None, None)
}

/// Declares the plain edge of a node type: `cursor` and `node`.
macro_rules! edge {
    ($edge:ident, $node:ty, $what:literal) => {
        #[doc = concat!("One ", $what, " with its cursor.")]
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            /// Opaque cursor of this item, for `after` (or `before`, where offered).
            pub cursor: String,
            /// The item.
            pub node: $node,
        }

        impl $crate::graphql::types::connection::Edge for $edge {
            type Node = $node;
            fn node(&self) -> &$node {
                &self.node
            }
        }

        impl $crate::graphql::types::connection::PlainEdge for $edge {
            fn new(cursor: String, node: $node) -> Self {
                Self { cursor, node }
            }
        }
    };
}
pub(crate) use edge;

/// Declares a connection over an edge type with the shared fields (`edges`, `nodes`,
/// `pageInfo`, `totalCount`) and, optionally, extra fields after them:
///
/// ```ignore
/// connection!(SearchConnection, SearchEdge, "search hits, best first", {
///     /// Facet counts over all matches.
///     facets: Vec<SearchFacet>,
/// });
/// ```
///
/// Build it with `SearchConnection::new(parts, facets)`.
macro_rules! connection {
    ($conn:ident, $edge:ty, $what:literal $(, { $($(#[$meta:meta])* $field:ident: $ty:ty),* $(,)? })?) => {
        #[doc = concat!("A page of ", $what, ".")]
        pub struct $conn {
            parts: $crate::graphql::types::connection::Parts<$edge>,
            $($($field: $ty,)*)?
        }

        impl $conn {
            /// The connection of these parts (and extra fields).
            pub fn new(
                parts: $crate::graphql::types::connection::Parts<$edge>,
                $($($field: $ty,)*)?
            ) -> Self {
                Self { parts, $($($field,)*)? }
            }
        }

        #[doc = concat!("A page of ", $what, ".")]
        #[async_graphql::Object]
        impl $conn {
            /// The items, each with its cursor.
            async fn edges(&self) -> &[$edge] {
                &self.parts.edges
            }

            /// The items alone: the same as `edges { node }`.
            async fn nodes(
                &self,
            ) -> Vec<&<$edge as $crate::graphql::types::connection::Edge>::Node> {
                self.parts
                    .edges
                    .iter()
                    .map($crate::graphql::types::connection::Edge::node)
                    .collect()
            }

            /// Paging state: whether more items follow or precede, and the cursors at the ends.
            async fn page_info(&self) -> &$crate::graphql::types::connection::PageInfo {
                &self.parts.page_info
            }

            /// Matching items in total, across all pages.
            async fn total_count(&self) -> i64 {
                self.parts.total_count
            }

            $($(
                $(#[$meta])*
                async fn $field(&self) -> &$ty {
                    &self.$field
                }
            )*)?
        }
    };
}
pub(crate) use connection;

edge!(AchievementEdge, super::Achievement, "research result");
connection!(AchievementConnection, AchievementEdge, "research results");

edge!(NeedEdge, super::Need, "technology need");
connection!(NeedConnection, NeedEdge, "technology needs");

edge!(OrganizationEdge, super::Organization, "organisation");
connection!(OrganizationConnection, OrganizationEdge, "organisations");

#[cfg(test)]
mod tests {
    use super::*;

    struct Plain(String, u32);

    impl Edge for Plain {
        type Node = u32;
        fn node(&self) -> &u32 {
            &self.1
        }
    }

    impl PlainEdge for Plain {
        fn new(cursor: String, node: u32) -> Self {
            Self(cursor, node)
        }
    }

    #[test]
    fn parts_carry_the_cursors_of_their_offsets() {
        let parts: Parts<Plain> = Parts::of_nodes(Window::page(vec![7, 8, 9], 10, 25), |n| n);
        let cursors: Vec<&str> = parts.edges.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(cursors, [ids::cursor(10), ids::cursor(11), ids::cursor(12)]);
        assert_eq!(parts.page_info.start_cursor, Some(ids::cursor(10)));
        assert_eq!(parts.page_info.end_cursor, Some(ids::cursor(12)));
        assert!(parts.page_info.has_next_page && parts.page_info.has_previous_page);
        assert_eq!(parts.total_count, 25);
        assert_eq!(parts.edges[1].node(), &8);

        let empty: Parts<Plain> = Parts::of_nodes(Window::page(Vec::new(), 0, 0), |n| n);
        assert_eq!(empty.page_info.start_cursor, None);
        assert_eq!(empty.page_info.end_cursor, None);
        assert!(!empty.page_info.has_next_page);
    }
}
