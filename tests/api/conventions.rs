//! The API's shape rules (`docs/api-conventions.md`), checked on the schema's SDL:
//!
//! - every `*Connection` has exactly `edges`, `nodes`, `pageInfo` and `totalCount` (plus the
//!   extras listed here), never `endCursor`/`hasNextPage` at top level, and every field that
//!   returns one takes `first`/`after`;
//! - a field returns a plain list of objects only if it is on [`PLAIN_LISTS`]: everything else
//!   that can grow is a connection;
//! - enum members are SCREAMING_CASE and singular (a member naming a list field keeps the
//!   field's name); fields and arguments are camelCase; ids end in `Id`/`Ids`.

use async_graphql::parser::types::{
    BaseType, FieldDefinition, InputValueDefinition, Type, TypeKind, TypeSystemDefinition,
};
use std::collections::{BTreeMap, BTreeSet};

/// The fields every connection has, in this order.
const SHARED: [&str; 4] = ["edges", "nodes", "pageInfo", "totalCount"];

/// Connections with fields beyond the shared ones.
const EXTRAS: [(&str, &str); 3] = [
    ("SearchConnection", "facets"),
    ("SearchConnection", "phrasesRelaxed"),
    ("NotificationConnection", "unreadCount"),
];

/// `Type.field`s that may return a plain list of objects: fixed vocabularies, parts of one
/// record, statistics groups and a connection's extras. Anything else is a connection.
const PLAIN_LISTS: &[&str] = &[
    // Fixed vocabularies and code tables.
    "QueryRoot.priorityTracks",
    "QueryRoot.industryCodes",
    "QueryRoot.disciplineCodes",
    "QueryRoot.regionCodes",
    "QueryRoot.trlLevels",
    "QueryRoot.importTemplate",
    // Parts of one record.
    "Achievement.industries",
    "Achievement.ipRecords",
    "Achievement.priorityTracks",
    "Achievement.sources",
    "Need.industries",
    "Need.priorityTracks",
    "Need.sources",
    "Pairing.timeline",
    "SyncRun.quarantinedRecords",
    "ImportRow.errors",
    "SearchEdge.highlights",
    "MatchReasonsView.sharedTerms",
    // At most three guesses.
    "MatchReasonsView.inferredDisciplines",
    // Statistics groups.
    "PairingStatistics.byMonth",
    "PairingStatistics.byTrack",
    "PairingStatistics.byIndustry",
    "PairingStatistics.byRegion",
    "PairingStatistics.byDistrict",
    "PairingStatistics.byOrganization",
    "PairingStatistics.brokers",
    // A connection's extras.
    "SearchConnection.facets",
];

/// Plurals an enum member must not be, whatever the schema's type names are.
const PLURALS: &[&str] = &[
    "ACHIEVEMENTS",
    "NEEDS",
    "ORGANIZATIONS",
    "PAIRINGS",
    "LISTINGS",
    "RESULTS",
    "MATCHES",
    "USERS",
    "NOTIFICATIONS",
];

/// The parts of the SDL the rules look at.
struct Sdl {
    /// Object and interface types with their fields.
    objects: BTreeMap<String, Vec<FieldDefinition>>,
    /// Input objects with their fields.
    inputs: BTreeMap<String, Vec<InputValueDefinition>>,
    /// Enums with their members.
    enums: BTreeMap<String, Vec<String>>,
    /// Types with fields to select: objects, interfaces, unions.
    composite: BTreeSet<String>,
}

fn sdl() -> Sdl {
    let doc = async_graphql::parser::parse_schema(qianxian::graphql::sdl()).expect("sdl parses");
    let mut sdl = Sdl {
        objects: BTreeMap::new(),
        inputs: BTreeMap::new(),
        enums: BTreeMap::new(),
        composite: BTreeSet::new(),
    };
    for def in doc.definitions {
        let TypeSystemDefinition::Type(ty) = def else {
            continue;
        };
        let name = ty.node.name.node.to_string();
        let fields = |f: Vec<async_graphql::Positioned<FieldDefinition>>| {
            f.into_iter().map(|f| f.node).collect::<Vec<_>>()
        };
        match ty.node.kind {
            TypeKind::Object(o) => {
                sdl.composite.insert(name.clone());
                sdl.objects.insert(name, fields(o.fields));
            }
            TypeKind::Interface(i) => {
                sdl.composite.insert(name.clone());
                sdl.objects.insert(name, fields(i.fields));
            }
            TypeKind::Union(_) => {
                sdl.composite.insert(name);
            }
            TypeKind::InputObject(i) => {
                sdl.inputs
                    .insert(name, i.fields.into_iter().map(|f| f.node).collect());
            }
            TypeKind::Enum(e) => {
                sdl.enums.insert(
                    name,
                    e.values
                        .into_iter()
                        .map(|v| v.node.value.node.to_string())
                        .collect(),
                );
            }
            TypeKind::Scalar => {}
        }
    }
    sdl
}

/// The named type inside any list and non-null wrappers.
fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(n) => n.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

fn is_list(ty: &Type) -> bool {
    matches!(ty.base, BaseType::List(_))
}

fn field<'a>(fields: &'a [FieldDefinition], name: &str) -> Option<&'a FieldDefinition> {
    fields.iter().find(|f| f.name.node == name)
}

fn arg<'a>(f: &'a FieldDefinition, name: &str) -> Option<&'a InputValueDefinition> {
    f.arguments
        .iter()
        .map(|a| &a.node)
        .find(|a| a.name.node == name)
}

/// `SearchKind` → `SEARCH_KIND`.
fn screaming(type_name: &str) -> String {
    let mut out = String::new();
    for (i, c) in type_name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// English plural of a SCREAMING_CASE noun.
fn plural(noun: &str) -> String {
    if let Some(stem) = noun.strip_suffix('Y') {
        format!("{stem}IES")
    } else if ["S", "X", "CH", "SH"].iter().any(|e| noun.ends_with(e)) {
        format!("{noun}ES")
    } else {
        format!("{noun}S")
    }
}

/// `TRANSFER_MODES` → `transferModes`.
fn camel(member: &str) -> String {
    let mut out = String::new();
    for (i, word) in member.split('_').enumerate() {
        let word = word.to_ascii_lowercase();
        let mut chars = word.chars();
        match chars.next() {
            Some(c) if i > 0 => out.extend(c.to_uppercase().chain(chars)),
            _ => out.push_str(&word),
        }
    }
    out
}

fn is_camel(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

#[test]
fn every_connection_has_exactly_the_shared_fields() {
    let sdl = sdl();
    let connections: Vec<_> = sdl
        .objects
        .iter()
        .filter(|(name, _)| name.ends_with("Connection"))
        .collect();
    assert!(
        connections.len() >= 14,
        "connections found: {}",
        connections.len()
    );
    for (name, fields) in connections {
        let names: Vec<&str> = fields.iter().map(|f| f.name.node.as_str()).collect();
        let extras: Vec<&str> = EXTRAS
            .iter()
            .filter(|(c, _)| c == name)
            .map(|(_, f)| *f)
            .collect();
        let wanted: Vec<&str> = SHARED.iter().copied().chain(extras).collect();
        assert_eq!(
            names, wanted,
            "{name} has other fields than the shared ones"
        );
        let edge = named(&field(fields, "edges").unwrap().ty.node).to_owned();
        let edge_fields = &sdl.objects[&edge];
        let node = field(edge_fields, "node")
            .expect("edge has node")
            .ty
            .node
            .to_string();
        assert_eq!(
            field(edge_fields, "cursor").map(|f| f.ty.node.to_string()),
            Some("String!".to_owned()),
            "{edge}.cursor"
        );
        let ty = |f: &str| field(fields, f).unwrap().ty.node.to_string();
        assert_eq!(ty("edges"), format!("[{edge}!]!"), "{name}.edges");
        assert_eq!(ty("nodes"), format!("[{node}]!"), "{name}.nodes");
        assert_eq!(ty("pageInfo"), "PageInfo!", "{name}.pageInfo");
        assert_eq!(ty("totalCount"), "Int!", "{name}.totalCount");
    }
}

#[test]
fn fields_returning_a_connection_take_first_and_after() {
    let sdl = sdl();
    for (owner, fields) in &sdl.objects {
        for f in fields {
            let returns = f.ty.node.to_string();
            let what = format!("{owner}.{}", f.name.node);
            assert!(
                arg(f, "limit").is_none(),
                "{what}: page with `first`, not `limit`"
            );
            if !returns.ends_with("Connection!") {
                continue;
            }
            let ty = |a: &str| arg(f, a).map(|a| a.ty.node.to_string());
            assert_eq!(ty("first").as_deref(), Some("Int"), "{what}(first: Int)");
            assert_eq!(
                ty("after").as_deref(),
                Some("String"),
                "{what}(after: String)"
            );
            assert_eq!(
                ty("last").is_some(),
                ty("before").is_some(),
                "{what}: `last` and `before` come together"
            );
        }
    }
}

#[test]
fn lists_of_objects_are_connections_unless_allowed_plain() {
    let sdl = sdl();
    let mut offenders = Vec::new();
    for (owner, fields) in &sdl.objects {
        for f in fields {
            let name = f.name.node.as_str();
            let ty = &f.ty.node;
            let plain_list = is_list(ty) && sdl.composite.contains(named(ty));
            let shared_part = owner.ends_with("Connection") && matches!(name, "edges" | "nodes");
            let user_errors = name == "userErrors";
            let what = format!("{owner}.{name}");
            if plain_list && !shared_part && !user_errors && !PLAIN_LISTS.contains(&what.as_str()) {
                offenders.push(what);
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "lists that grow must be connections (or be added to PLAIN_LISTS with a reason): {offenders:?}"
    );
    for allowed in PLAIN_LISTS {
        let (owner, name) = allowed.split_once('.').unwrap();
        let f = sdl.objects.get(owner).and_then(|f| field(f, name));
        assert!(f.is_some_and(|f| is_list(&f.ty.node)), "{allowed} is stale");
    }
}

#[test]
fn enum_members_are_singular_screaming_case() {
    let sdl = sdl();
    let type_plurals: BTreeSet<String> = sdl
        .objects
        .keys()
        .chain(sdl.enums.keys())
        .map(|ty| plural(&screaming(ty)))
        .collect();
    // A member that names a list field of an input (ImportField.TRANSFER_MODES names the
    // template column that fills `transferModes`) keeps the field's name.
    let list_fields: BTreeSet<String> = sdl
        .inputs
        .values()
        .flatten()
        .filter(|f| is_list(&f.ty.node))
        .map(|f| f.name.node.to_string())
        .collect();
    for (name, members) in &sdl.enums {
        for m in members {
            assert!(
                m.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
                "{name}.{m} is not SCREAMING_CASE"
            );
            let names_a_list_field = list_fields.contains(&camel(m));
            assert!(
                !PLURALS.contains(&m.as_str()) && (!type_plurals.contains(m) || names_a_list_field),
                "{name}.{m} is plural: name one of them"
            );
        }
    }
}

#[test]
fn fields_and_arguments_are_camel_case_and_ids_end_in_id() {
    let sdl = sdl();
    let mut checked = 0;
    let mut check = |what: String, name: &str, ty: &Type| {
        checked += 1;
        assert!(is_camel(name), "{what} is not camelCase");
        if named(ty) == "ID" {
            let ok = matches!(name, "id" | "ids") || name.ends_with("Id") || name.ends_with("Ids");
            assert!(ok, "{what}: an ID is named `id`, `ids`, `…Id` or `…Ids`");
        }
    };
    for (owner, fields) in &sdl.objects {
        for f in fields {
            let field = f.name.node.as_str();
            if field.starts_with("__") {
                continue;
            }
            check(format!("{owner}.{field}"), field, &f.ty.node);
            for a in &f.arguments {
                let a = &a.node;
                check(
                    format!("{owner}.{field}({})", a.name.node),
                    &a.name.node,
                    &a.ty.node,
                );
            }
        }
    }
    for (owner, fields) in &sdl.inputs {
        for f in fields {
            check(format!("{owner}.{}", f.name.node), &f.name.node, &f.ty.node);
        }
    }
    assert!(checked > 500, "checked {checked} names");
}

#[test]
fn the_rules_catch_what_they_are_for() {
    assert_eq!(screaming("MembershipRequest"), "MEMBERSHIP_REQUEST");
    assert_eq!(plural("ACHIEVEMENT"), "ACHIEVEMENTS");
    assert_eq!(plural("MATCH"), "MATCHES");
    assert_eq!(plural("PRIORITY_TRACK"), "PRIORITY_TRACKS");
    assert_eq!(plural("CATEGORY"), "CATEGORIES");
    assert_eq!(camel("TRANSFER_MODES"), "transferModes");
    assert!(is_camel("totalCount") && !is_camel("total_count") && !is_camel("TotalCount"));
}
