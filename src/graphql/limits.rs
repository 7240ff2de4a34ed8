//! Limits async-graphql does not enforce by itself: the number of aliased fields.

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// Counts aliased fields in every operation and fragment of `doc`.
pub fn count_aliases(doc: &ExecutableDocument) -> usize {
    let ops: usize = doc
        .operations
        .iter()
        .map(|(_, op)| count_in(&op.node.selection_set.node))
        .sum();
    let frags: usize = doc
        .fragments
        .values()
        .map(|f| count_in(&f.node.selection_set.node))
        .sum();
    ops + frags
}

fn count_in(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(f) => {
                usize::from(f.node.alias.is_some()) + count_in(&f.node.selection_set.node)
            }
            Selection::InlineFragment(f) => count_in(&f.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_aliases_in_nested_fields_and_fragments() {
        let doc = async_graphql::parser::parse_query(
            "{ a: achievements { totalCount } b: needs { edges { n: node { id } } } ...F } fragment F on QueryRoot { c: priorityTracks { code } }",
        )
        .expect("parses");
        assert_eq!(count_aliases(&doc), 4);
    }
}
