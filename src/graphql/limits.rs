//! Limits async-graphql does not enforce by itself: the number of aliased fields, and text
//! with control characters. [`RequestLimits`] applies them to every operation on every
//! transport (HTTP and the WebSocket), right after parsing. And what a list costs toward
//! `graphql.max_complexity` ([`list_cost`]): async-graphql counts one a field, so a list of a
//! hundred cost as much as one, and nested or repeated lists (fragment spreads are counted
//! each time they are spread) once asked for millions of objects in one request.

use crate::error::ErrorCode;
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, Value, Variables};
use std::sync::Arc;

/// The schema extension that enforces these limits.
pub struct RequestLimits {
    /// Most aliased fields in one document.
    pub max_aliases: usize,
}

impl ExtensionFactory for RequestLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestLimitsExtension {
            max_aliases: self.max_aliases,
        })
    }
}

struct RequestLimitsExtension {
    max_aliases: usize,
}

#[async_trait::async_trait]
impl Extension for RequestLimitsExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        if count_aliases(&doc) > self.max_aliases {
            return Err(coded(
                ErrorCode::QueryTooComplex,
                format!("别名过多（最多 {} 个）", self.max_aliases),
            ));
        }
        if let Some(path) = control_text(&doc, variables) {
            let mut err = coded(
                ErrorCode::InvalidText,
                format!("文本中不能含有控制字符（制表符和换行除外）：{path}"),
            );
            if let Some(ext) = err.extensions.as_mut() {
                ext.set(
                    "fields",
                    Value::List(vec![Value::Object(
                        [
                            (
                                async_graphql::Name::new("field"),
                                Value::List(path.split('.').map(Value::from).collect()),
                            ),
                            (
                                async_graphql::Name::new("code"),
                                Value::from(ErrorCode::InvalidText.as_str()),
                            ),
                        ]
                        .into_iter()
                        .collect(),
                    )]),
                );
            }
            return Err(err);
        }
        Ok(doc)
    }
}

fn coded(code: ErrorCode, message: String) -> ServerError {
    let mut err = ServerError::new(message, None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", code.as_str());
    err.extensions = Some(ext);
    err
}

/// Whether `c` may stand in user text: anything but control characters, except tab, line
/// feed and carriage return. (PostgreSQL cannot store NUL at all; SQLite would.)
pub fn allowed_in_text(c: char) -> bool {
    !c.is_control() || matches!(c, '\t' | '\n' | '\r')
}

/// The path of the first string (in the variables or inline in the document) that holds a
/// control character, e.g. `variables.input.need.title` or `argument.query`.
pub fn control_text(doc: &ExecutableDocument, variables: &Variables) -> Option<String> {
    for (name, value) in variables.iter() {
        if let Some(path) = bad_in_const(value, format!("variables.{name}")) {
            return Some(path);
        }
    }
    // Defaults of the operations' variables (`$t: String = "…"`).
    for (_, op) in doc.operations.iter() {
        for def in &op.node.variable_definitions {
            if let Some(default) = &def.node.default_value
                && let Some(path) =
                    bad_in_const(&default.node, format!("variables.{}", def.node.name.node))
            {
                return Some(path);
            }
        }
    }
    let ops = doc
        .operations
        .iter()
        .map(|(_, op)| &op.node.selection_set.node);
    let frags = doc.fragments.values().map(|f| &f.node.selection_set.node);
    ops.chain(frags).find_map(bad_in_set)
}

fn bad_in_const(value: &Value, path: String) -> Option<String> {
    use Value as V;
    match value {
        V::String(s) if !s.chars().all(allowed_in_text) => Some(path),
        V::List(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| bad_in_const(v, format!("{path}.{i}"))),
        V::Object(fields) => fields
            .iter()
            .find_map(|(k, v)| bad_in_const(v, format!("{path}.{k}"))),
        _ => None,
    }
}

fn bad_in_set(set: &SelectionSet) -> Option<String> {
    set.items.iter().find_map(|item| match &item.node {
        Selection::Field(f) => f
            .node
            .arguments
            .iter()
            .find_map(|(name, value)| {
                // Variables were checked above; here only what is written in the document.
                let literal = value
                    .node
                    .clone()
                    .into_const_with(|_| Ok::<_, ()>(Value::Null))
                    .unwrap_or(Value::Null);
                bad_in_const(&literal, format!("argument.{}", name.node))
            })
            .or_else(|| bad_in_set(&f.node.selection_set.node)),
        Selection::InlineFragment(f) => bad_in_set(&f.node.selection_set.node),
        Selection::FragmentSpread(_) => None,
    })
}

/// The root field names (not aliases) the selected operation asks for (the one named
/// `operation`, or the only one), and whether its root holds fields only (no fragment spread
/// or inline fragment, which could hold anything).
pub fn root_fields(doc: &ExecutableDocument, operation: Option<&str>) -> (Vec<String>, bool) {
    let selected = doc.operations.iter().find(|(name, _)| match operation {
        Some(wanted) => name.is_some_and(|n| n.as_str() == wanted),
        None => true,
    });
    let Some((_, op)) = selected else {
        return (Vec::new(), false);
    };
    let items = &op.node.selection_set.node.items;
    let fields = items
        .iter()
        .filter_map(|item| match &item.node {
            Selection::Field(f) => Some(f.node.name.node.to_string()),
            _ => None,
        })
        .collect::<Vec<_>>();
    let only_fields = fields.len() == items.len();
    (fields, only_fields)
}

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

/// The most one field may cost: nested lists multiply, and sums of costs must not overflow.
const MAX_FIELD_COST: usize = 1 << 40;

/// What a search costs besides its items: a query over the whole index.
pub const SEARCH_COST: usize = 50;

/// What a match list costs besides its items: a ranking computed over the index.
pub const MATCH_COST: usize = 200;

/// What a list read from the database costs: the items asked for (`first`, else `last`, else
/// the list's `default`, at most its largest page `max`, past which the request is refused
/// anyway) times what each item asks for, plus one.
pub fn list_cost(
    first: Option<i32>,
    last: Option<i32>,
    default: usize,
    max: usize,
    child: usize,
) -> usize {
    let items = first
        .or(last)
        .map_or(default, |n| usize::try_from(n).unwrap_or(0))
        .clamp(1, max);
    items
        .saturating_mul(child.max(1))
        .saturating_add(1)
        .min(MAX_FIELD_COST)
}

/// What a list held in memory costs (an import's report rows): a twentieth of
/// [`list_cost`], since its items cost no statement.
pub fn in_memory_list_cost(first: Option<i32>, default: usize, max: usize, child: usize) -> usize {
    (list_cost(first, None, default, max, child) / 20).max(1)
}

#[cfg(test)]
mod cost_tests {
    use super::*;

    #[test]
    fn a_list_costs_its_items_times_what_each_asks_for() {
        assert_eq!(list_cost(Some(100), None, 20, 100, 5), 501);
        assert_eq!(list_cost(None, Some(10), 20, 100, 5), 51);
        assert_eq!(list_cost(None, None, 20, 100, 5), 101, "the default page");
        assert_eq!(
            list_cost(Some(5000), None, 20, 100, 5),
            501,
            "past the largest page"
        );
        assert_eq!(
            list_cost(Some(-3), None, 20, 100, 5),
            6,
            "a refused size costs one item"
        );
        assert_eq!(
            list_cost(Some(100), None, 20, 100, usize::MAX),
            MAX_FIELD_COST
        );
        assert_eq!(in_memory_list_cost(Some(10_000), 1000, 10_000, 9), 4500);
    }
}
