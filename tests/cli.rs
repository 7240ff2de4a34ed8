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

#[test]
fn import_reads_a_gbk_csv_reports_rows_and_refuses_a_file_with_rejected_rows() {
    let dir = tempfile::tempdir().unwrap();
    let seeded = qianxian(dir.path(), &["seed"]);
    assert!(seeded.status.success(), "{seeded:?}");
    // Excel on a Chinese Windows saves CSV as GBK.
    let text = "成果编号,成果名称,成果简介,学科代码,行业代码,技术成熟度,转化方式\r\n\
                CLI-1,海上风电桩基防腐涂层,石墨烯改性环氧涂层用于海上风电桩基，盐雾试验 3000 小时无起泡。,41630,C3734,6,转让\r\n\
                CLI-2,船舶压载水电解处理装置,电解海水产生次氯酸钠灭活压载水中的微生物，已获型式认可。,41630,C3734,7,技术服务\r\n";
    let (gbk, _, lossy) = encoding_rs::GBK.encode(text);
    assert!(!lossy);
    let file = dir.path().join("成果.csv");
    std::fs::write(&file, &gbk).unwrap();
    let file = file.to_str().unwrap();
    let org = "12370212442710368C"; // 中国海洋大学 in seeds/

    let dry = qianxian(dir.path(), &["import", file, "--org", org, "--dry-run"]);
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert!(dry.status.success(), "{dry:?}");
    assert!(
        stdout.contains("2 行，新建 2") && stdout.contains("试运行，未写入"),
        "{stdout}"
    );

    let report = dir.path().join("结果.csv");
    let done = qianxian(
        dir.path(),
        &[
            "import",
            file,
            "--org",
            org,
            "--report",
            report.to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert!(done.status.success(), "{done:?}");
    assert!(
        stdout.contains("新建 2") && stdout.contains("已写入"),
        "{stdout}"
    );
    assert!(
        String::from_utf8_lossy(&done.stderr).contains("import ["),
        "progress bar: {done:?}"
    );
    let rows = std::fs::read_to_string(&report).unwrap();
    assert!(rows.starts_with("\u{feff}行号,成果编号"), "{rows}");
    assert_eq!(
        rows.lines().filter(|l| l.contains(",新建,")).count(),
        2,
        "{rows}"
    );

    // One bad row keeps the whole file out, and the exit status says so.
    let bad = text.replace(",41630,C3734,7,", ",41630,C3734,十,");
    std::fs::write(dir.path().join("坏.csv"), bad).unwrap();
    let refused = qianxian(
        dir.path(),
        &[
            "import",
            dir.path().join("坏.csv").to_str().unwrap(),
            "--org",
            org,
        ],
    );
    let stdout = String::from_utf8_lossy(&refused.stdout);
    assert!(!refused.status.success(), "{refused:?}");
    assert!(
        stdout.contains("第 3 行「船舶压载水电解处理装置」：技术成熟度"),
        "{stdout}"
    );
    assert!(
        stdout.contains("无变化 1") && stdout.contains("整个文件未写入"),
        "{stdout}"
    );
}
