//! The command line as an operator runs it: the real binary on a real data folder.

use std::path::Path;
use std::process::{Command, Output};

fn qianxian(data_dir: &Path, args: &[&str]) -> Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Command::new(env!("CARGO_BIN_EXE_qianxian"))
        .args(args)
        .current_dir(data_dir)
        .env("QIANXIAN__DATA_DIR", data_dir)
        .env("QIANXIAN__SEARCH__CONFIG_DIR", root.join("index"))
        .env("QIANXIAN__SEED__DIR", root.join("seeds"))
        .env_remove("QIANXIAN__DATABASE__URL")
        .output()
        .expect("the binary runs")
}

#[test]
fn reindex_rebuilds_into_a_fresh_folder_swaps_it_in_and_refuses_while_the_index_is_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let seeded = qianxian(dir.path(), &["seed"]);
    assert!(seeded.status.success(), "{seeded:?}");

    let out = qianxian(dir.path(), &["reindex"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout.contains("indexed 119 listings"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("reindex [") && stderr.contains("100%"),
        "progress: {stderr}"
    );
    assert!(dir.path().join("search/meta.json").is_file());
    assert!(!dir.path().join("search.rebuilding").exists());
    assert!(!dir.path().join("search.old").exists());

    let config = qianxian::search::config::IndexConfig::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("index"),
    )
    .unwrap();
    let index =
        qianxian::search::index::SearchIndex::open(&dir.path().join("search"), &config).unwrap();
    assert_eq!(index.num_docs(), 119);
    // A running service holds the writer: reindex refuses and leaves the index alone.
    index.lock_writer().unwrap();
    let refused = qianxian(dir.path(), &["reindex"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("in use"),
        "{refused:?}"
    );
    drop(index);
    let reopened =
        qianxian::search::index::SearchIndex::open(&dir.path().join("search"), &config).unwrap();
    assert_eq!(reopened.num_docs(), 119);
}
