//! The command line as an operator runs it: the real binary on a real data folder.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The binary, run in `data_dir` with the repository's index config and seeds.
fn command(data_dir: &Path, args: &[&str]) -> Command {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_qianxian"));
    command
        .args(args)
        .current_dir(data_dir)
        .env("QIANXIAN__DATA_DIR", data_dir)
        .env("QIANXIAN__SEARCH__CONFIG_DIR", root.join("index"))
        .env("QIANXIAN__SEED__DIR", root.join("seeds"))
        .env_remove("QIANXIAN__DATABASE__URL")
        .env_remove("RUST_LOG");
    command
}

fn qianxian(data_dir: &Path, args: &[&str]) -> Output {
    command(data_dir, args).output().expect("the binary runs")
}

/// `qianxian serve` running in the background, its log lines collected as they come.
struct Serving {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Serving {
    fn start(data_dir: &Path, envs: &[(&str, &str)]) -> Serving {
        let mut child = command(data_dir, &["serve", "--listen", "127.0.0.1:0"])
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let (tx, lines) = mpsc::channel();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Serving {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (up to two minutes: a debug build seeds and indexes the demo data) for a log line
    /// containing `text`.
    fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no log line with {text:?}; saw:\n{}", self.seen.join("\n"));
    }

    /// The address from the `qianxian listening` line.
    fn address(&self) -> String {
        let line = self
            .seen
            .iter()
            .find(|l| l.contains("qianxian listening"))
            .expect("listening line");
        let addr = line.split("addr=").nth(1).expect("addr field");
        format!(
            "http://{}",
            addr.split_whitespace().next().expect("address")
        )
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

#[test]
fn reindex_rebuilds_into_a_fresh_folder_swaps_it_in_and_refuses_while_the_index_is_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let seeded = qianxian(dir.path(), &["seed"]);
    assert!(seeded.status.success(), "{seeded:?}");
    let said = String::from_utf8_lossy(&seeded.stdout);
    assert!(
        said.contains("演示数据：") && said.contains("成果新建 72"),
        "{said}"
    );

    let out = qianxian(dir.path(), &["reindex"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout.contains("已索引 119 条成果和需求"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("重建索引 [") && stderr.contains("100%"),
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
        String::from_utf8_lossy(&refused.stderr).contains("搜索索引正被占用"),
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

    // The API id (what `organizations { nodes { id creditCode } }` shows) names it too; an
    // unknown one is refused with what to write instead.
    let api_id = {
        let url = format!("sqlite://{}", dir.path().join("qianxian.db").display());
        let row_id: i32 = tokio::runtime::Runtime::new().unwrap().block_on(async {
            use sea_orm::ConnectionTrait;
            let db = sea_orm::Database::connect(&url).await.unwrap();
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Sqlite,
                    format!("SELECT id FROM organizations WHERE credit_code = '{org}'"),
                ))
                .await
                .unwrap()
                .expect("the seeded university");
            row.try_get("", "id").unwrap()
        });
        crate::common::global_id(qianxian::graphql::ids::NodeType::Organization, row_id)
    };
    let by_id = qianxian(dir.path(), &["import", file, "--org", &api_id, "--dry-run"]);
    assert!(by_id.status.success(), "{by_id:?}");
    let unknown = qianxian(dir.path(), &["import", file, "--org", "42", "--dry-run"]);
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("找不到机构「42」"),
        "{unknown:?}"
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
        String::from_utf8_lossy(&done.stderr).contains("导入 ["),
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
    let refused_report = dir.path().join("坏结果.csv");
    let refused = qianxian(
        dir.path(),
        &[
            "import",
            dir.path().join("坏.csv").to_str().unwrap(),
            "--org",
            org,
            "--report",
            refused_report.to_str().unwrap(),
        ],
    );
    let rows = std::fs::read_to_string(&refused_report).unwrap();
    assert!(
        rows.contains(",未写入（本应无变化）,") && rows.contains(",拒绝,"),
        "a good row of a refused file is not reported as written: {rows}"
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

#[test]
fn a_mistyped_setting_or_environment_stops_the_start_naming_the_key_and_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path(), &["migrate"])
        .env("QIANXIAN__SEVER__LISTEN", "0.0.0.0:9000")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.starts_with("错误：配置有误") && stderr.contains("QIANXIAN__SEVER"),
        "{stderr}"
    );

    std::fs::write(dir.path().join("qianxian.toml"), "environment = \"prod\"\n").unwrap();
    let out = qianxian(dir.path(), &["migrate"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("environment")
            && stderr.contains("qianxian.toml")
            && stderr.contains("`prod`"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("qianxian.db").exists(),
        "nothing was created"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_service_per_data_folder_and_import_and_sync_run_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    // A fake provincial market with 30 listings, over real HTTP.
    let market = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let market_url = format!("http://{}", market.local_addr().unwrap());
    let router = qianxian::connectors::fake::router(
        qianxian::connectors::Market::Provincial,
        30,
        7,
        Default::default(),
        Default::default(),
    );
    tokio::spawn(async move { axum::serve(market, router).await });
    let market_env = [
        ("QIANXIAN__CONNECTORS__PROVINCIAL__ENABLED", "true"),
        (
            "QIANXIAN__CONNECTORS__PROVINCIAL__BASE_URL",
            market_url.as_str(),
        ),
        (
            "QIANXIAN__CONNECTORS__PROVINCIAL__TOKEN",
            "fake-provincial-token",
        ),
    ];

    let mut serving = Serving::start(dir.path(), &market_env);
    serving.wait_for("ready: open GraphiQL in a browser");
    let address = serving.address();
    // The first start: one line for the demo data, logs on stderr only, no colour codes off a
    // terminal, and the last line says where to go.
    let seeded: Vec<&String> = serving
        .seen
        .iter()
        .filter(|l| l.contains("demo data"))
        .collect();
    assert_eq!(seeded.len(), 1, "{:#?}", serving.seen);
    assert!(
        serving.seen.len() <= 15,
        "a quiet start: {:#?}",
        serving.seen
    );
    assert!(
        serving.seen.iter().all(|l| !l.contains('\u{1b}')),
        "{:#?}",
        serving.seen
    );
    assert!(
        serving
            .seen
            .last()
            .unwrap()
            .contains(&format!("{address}/graphql")),
        "{:#?}",
        serving.seen
    );

    // A second service, or a rebuild, on the same folder is refused, naming both.
    let second = qianxian(dir.path(), &["serve", "--listen", "127.0.0.1:0"]);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success());
    let pid = serving.child.id();
    assert!(
        stderr.contains(&dir.path().display().to_string())
            && stderr.contains(&format!("进程 {pid}（qianxian serve"))
            && stderr.contains("正在被使用"),
        "{stderr}"
    );
    let reindex = qianxian(dir.path(), &["reindex"]);
    assert!(!reindex.status.success());
    assert!(
        String::from_utf8_lossy(&reindex.stderr).contains(&format!("进程 {pid}")),
        "{reindex:?}"
    );

    // A sync beside it writes the database and leaves indexing to the service, which indexes
    // what the sync wrote.
    qianxian::connectors::http::install_crypto();
    let client = reqwest::Client::new();
    let found = || async {
        let query = serde_json::json!({ "query": "{ search(query: \"海洋\") { totalCount } }" });
        let body: serde_json::Value = client
            .post(format!("{address}/graphql"))
            .json(&query)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["data"]["search"]["totalCount"]
            .as_i64()
            .unwrap_or_else(|| panic!("{body}"))
    };
    let before = found().await;
    let synced = command(dir.path(), &["sync", "provincial"])
        .envs(market_env)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&synced.stdout);
    assert!(synced.status.success(), "{synced:?}");
    assert!(
        stdout.contains("取回 30") && stdout.contains("运行中的服务"),
        "{stdout}"
    );
    let mut polls = tokio::time::interval(Duration::from_millis(100));
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut after = before;
    while after == before && Instant::now() < deadline {
        polls.tick().await;
        after = found().await;
    }
    assert!(
        after > before,
        "the synced listings are found: {before} → {after}"
    );

    // Once the service is gone, the folder is free again and the same command indexes itself.
    drop(serving);
    let again = command(dir.path(), &["sync", "provincial"])
        .envs(market_env)
        .output()
        .unwrap();
    assert!(again.status.success(), "{again:?}");
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("已更新搜索索引"),
        "{again:?}"
    );
}

#[test]
fn database_mistakes_say_what_was_tried_and_what_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = command(dir.path(), &["migrate"])
        .env(
            "QIANXIAN__DATABASE__URL",
            "postgres://postgres@127.0.0.1:1/test",
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("无法连接 PostgreSQL postgres://postgres@127.0.0.1:1/test")
            && stderr.contains("主机和端口"),
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "a refused port is reported at once, not after the pool's timeout"
    );

    let missing = dir.path().join("elsewhere/qx.db");
    let out = command(dir.path(), &["migrate"])
        .env(
            "QIANXIAN__DATABASE__URL",
            format!("sqlite://{}", missing.display()),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("数据库文件 {} 不存在", missing.display()))
            && stderr.contains("?mode=rwc"),
        "{stderr}"
    );

    // A folder that cannot be made (a file stands in its way).
    std::fs::write(dir.path().join("blocker"), "").unwrap();
    let out = command(dir.path(), &["migrate"])
        .env(
            "QIANXIAN__DATABASE__URL",
            format!("sqlite://{}/blocker/qx.db?mode=rwc", dir.path().display()),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("无法创建数据库目录") && stderr.contains("写权限"),
        "{stderr}"
    );
}
