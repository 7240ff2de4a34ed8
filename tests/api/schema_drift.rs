//! The committed SDL in `schema/schema.graphql` must match the code's schema.
//! Regenerate with `cargo run -- export-schema --output schema/schema.graphql`.

#[test]
fn committed_sdl_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/schema.graphql");
    let committed = std::fs::read_to_string(&path).expect("schema/schema.graphql exists");
    let current = qianxian::graphql::sdl();
    assert!(
        committed == current,
        "schema/schema.graphql is stale: run `cargo run -- export-schema --output schema/schema.graphql`"
    );
}
