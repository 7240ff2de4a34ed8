//! Relay cursor connections with `totalCount`.

use crate::graphql::ids;
use crate::service::Page;
use async_graphql::SimpleObject;

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

/// Declares a concrete connection and edge type for one node type.
macro_rules! connection {
    ($conn:ident, $edge:ident, $node:ty, $doc:literal) => {
        #[doc = concat!("One ", $doc, " with its cursor.")]
        #[derive(SimpleObject)]
        pub struct $edge {
            /// Opaque cursor.
            pub cursor: String,
            /// The item.
            pub node: $node,
        }

        #[doc = concat!("A page of ", $doc, "s.")]
        #[derive(SimpleObject)]
        pub struct $conn {
            /// The items with cursors.
            pub edges: Vec<$edge>,
            /// The items alone.
            pub nodes: Vec<$node>,
            /// Paging state.
            pub page_info: PageInfo,
            /// Matching items in total, across all pages.
            pub total_count: i64,
        }

        impl $conn {
            /// Builds a connection from a service page.
            pub fn from_page<R>(page: Page<R>, map: impl Fn(R) -> $node) -> Self {
                let start = page.start;
                let nodes: Vec<$node> = page.items.into_iter().map(map).collect();
                let edges: Vec<$edge> = nodes
                    .iter()
                    .cloned()
                    .enumerate()
                    .map(|(i, node)| $edge {
                        cursor: ids::cursor(start + i as u64),
                        node,
                    })
                    .collect();
                Self {
                    page_info: PageInfo {
                        has_next_page: page.has_next,
                        has_previous_page: page.has_previous,
                        start_cursor: edges.first().map(|e| e.cursor.clone()),
                        end_cursor: edges.last().map(|e| e.cursor.clone()),
                    },
                    edges,
                    nodes,
                    total_count: i64::try_from(page.total).unwrap_or(i64::MAX),
                }
            }
        }
    };
}

connection!(
    AchievementConnection,
    AchievementEdge,
    super::Achievement,
    "research result"
);
connection!(NeedConnection, NeedEdge, super::Need, "technology need");
connection!(
    OrganizationConnection,
    OrganizationEdge,
    super::Organization,
    "organisation"
);
