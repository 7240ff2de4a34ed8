//! The command line: `qianxian [serve | migrate | seed | expire | reindex | sync | fake-market |
//! export-schema]`.

use crate::app::{Application, shutdown_signal};
use crate::clock::SystemClock;
use crate::config::Settings;
use crate::data_dir::DataDirLock;
use crate::db::Database;
use crate::service::Services;
use crate::{seed, telemetry};
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;

/// 牵线 Qianxian：青岛科技成果转化平台（成果、需求、匹配、技术经纪人）。
#[derive(Parser, Debug)]
#[command(name = "qianxian", version, about)]
pub struct Cli {
    /// 配置文件（默认：当前目录下的 qianxian.toml，如有）。
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// 要做的事；不写时为 serve。
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// 子命令。
#[derive(Subcommand, Debug)]
pub enum Command {
    /// 启动 HTTP/GraphQL 服务（先迁移数据库）。
    Serve {
        /// 监听地址，例如 0.0.0.0:8080（默认：server.listen 设置）。
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// 迁移数据库后退出。
    Migrate,
    /// 从种子目录载入演示数据（可重复执行）。
    Seed {
        /// 种子目录（默认：seed.dir 设置）。
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// 把到期的成果、需求和超时无人处理的牵手标记为过期（执行一次）。
    Expire,
    /// 从数据库重建搜索索引（先停止服务：服务占用着数据目录）。
    Reindex,
    /// 立即与市场同步一次（provincial 山东科技大市场 / marine 海洋科技大市场），显示进度；
    /// 与定时同步一样记录在案。
    Sync {
        /// provincial 或 marine。
        market: String,
    },
    /// 从 CSV 或 XLSX 文件导入一个机构的科技成果（模板见 docs/import.md），显示进度并逐行报告。
    Import {
        /// 文件。
        file: PathBuf,
        /// 机构：统一社会信用代码，或它在 API 中的 id。
        #[arg(long)]
        org: String,
        /// 试运行：只报告，不写入。
        #[arg(long)]
        dry_run: bool,
        /// 写入合格的行、报告其余的行（默认：有一行不合格就整个文件不写入）。
        #[arg(long)]
        per_row: bool,
        /// 新成果直接发布（机构须已认证）；默认存为草稿。
        #[arg(long)]
        publish: bool,
        /// 模板不认识的表头：文件表头=模板列，例如 --map 项目名=成果名称；可重复。
        #[arg(long = "map", value_name = "HEADER=COLUMN")]
        mapping: Vec<String>,
        /// 另把每一行的结果写入这个 CSV 文件。
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// 启动一个模拟市场（按文档约定的接口、生成的挂牌、可注入的故障），用于测试和演示。
    FakeMarket {
        /// provincial 或 marine。
        market: String,
        /// 127.0.0.1 上的端口。
        #[arg(long, default_value_t = 9100)]
        port: u16,
        /// 生成的挂牌数。
        #[arg(long, default_value_t = 1000)]
        listings: usize,
        /// 生成器的随机种子。
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// 以 503 应答的请求比例（0..1）。
        #[arg(long, default_value_t = 0.0)]
        fail_rate: f64,
        /// 每页第 n 条记录格式错误（0：无）。
        #[arg(long, default_value_t = 0)]
        malformed_every: u32,
        /// 每页重复上一页的一条记录。
        #[arg(long)]
        duplicate_pages: bool,
        /// 页内记录倒序。
        #[arg(long)]
        shuffle: bool,
    },
    /// 输出 GraphQL SDL。
    ExportSchema {
        /// 写入这个文件而不是标准输出。
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

/// Runs the command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(Command::ExportSchema { output }) = &cli.command {
        let sdl = crate::graphql::sdl();
        match output {
            Some(path) => std::fs::write(path, sdl)?,
            None => print!("{sdl}"),
        }
        return Ok(());
    }
    let mut settings = Settings::load(cli.config.as_deref())?;
    if let Some(Command::Serve {
        listen: Some(listen),
    }) = &cli.command
    {
        settings.server.listen = listen.clone();
    }
    // A command prints its results; its log shows warnings only (RUST_LOG=info for more).
    let mut log = settings.log.clone();
    if !matches!(cli.command, None | Some(Command::Serve { .. })) {
        log.filter = "warn".to_owned();
    }
    telemetry::init(&log);
    if let Some(Command::FakeMarket {
        market,
        port,
        listings,
        seed,
        fail_rate,
        malformed_every,
        duplicate_pages,
        shuffle,
    }) = &cli.command
    {
        let faults = crate::connectors::fake::Faults {
            fail_rate: *fail_rate,
            malformed_every: *malformed_every,
            duplicate_pages: *duplicate_pages,
            shuffle: *shuffle,
            ..Default::default()
        };
        let market = parse_market(market)?;
        return tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(fake_market(market, *port, *listings, *seed, faults));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve { listen: None }) {
            Command::Serve { .. } => {
                let app = Application::build(&settings, Arc::new(SystemClock)).await?;
                app.run_until_stopped(shutdown_signal()).await
            }
            Command::Migrate => {
                connect(&settings).await?;
                println!("数据库迁移已完成");
                Ok(())
            }
            Command::Seed { dir } => {
                let services = services(&settings).await?;
                let dir = dir.unwrap_or_else(|| settings.seed.dir.clone());
                let report = seed::load_dir(&services, &dir).await?;
                println!("{}", report.zh());
                Ok(())
            }
            Command::Expire => {
                let services = services(&settings).await?;
                let n = services.expiry.expire_due().await?;
                println!("到期的成果和需求：{n} 条");
                let n = services.pairings.expire_due().await?;
                println!("超时未处理的牵手：{n} 个");
                Ok(())
            }
            Command::Reindex => reindex(&settings).await,
            Command::Sync { market } => sync(&settings, parse_market(&market)?).await,
            Command::Import {
                file,
                org,
                dry_run,
                per_row,
                publish,
                mapping,
                report,
            } => {
                let mapping = mapping
                    .iter()
                    .map(|m| parse_mapping(m))
                    .collect::<anyhow::Result<Vec<_>>>()?;
                let options = crate::service::markets::import::ImportOptions {
                    dry_run,
                    mode: if per_row {
                        crate::service::markets::import::ImportMode::PerRow
                    } else {
                        crate::service::markets::import::ImportMode::AllOrNothing
                    },
                    publish,
                    mapping,
                };
                import(&settings, &file, &org, &options, report.as_deref()).await
            }
            Command::FakeMarket { .. } => Ok(()),
            Command::ExportSchema { .. } => Ok(()),
        }
    })
}

async fn connect(settings: &Settings) -> anyhow::Result<Database> {
    let db = Database::connect(&settings.database_url(), settings.database.max_connections).await?;
    db.migrate().await?;
    Ok(db)
}

/// Rebuilds the search index from the database into a fresh folder, then swaps it in. The
/// live index stays as it was (its writer held, so nothing else writes it) until the new one
/// is complete; a failure leaves it untouched.
async fn reindex(settings: &Settings) -> anyhow::Result<()> {
    let _folder = DataDirLock::acquire(&settings.data_dir, "reindex")?;
    let live_dir = settings.search_dir();
    let live = settings.open_search_index_at(&live_dir)?;
    live.lock_writer().context(
        "搜索索引正被占用：请先停止运行中的服务（服务启动时发现 index/ 配置变了会自行重建）",
    )?;
    let fresh_dir = live_dir.with_file_name("search.rebuilding");
    if fresh_dir.exists() {
        std::fs::remove_dir_all(&fresh_dir)
            .with_context(|| format!("removing {}", fresh_dir.display()))?;
    }
    let fresh = settings.open_search_index_at(&fresh_dir)?;
    let started = std::time::Instant::now();
    let services = Services::new(
        connect(settings).await?,
        Arc::new(SystemClock),
        settings.service_settings()?,
        fresh.clone(),
    );
    let progress =
        crate::progress::Progress::new("重建索引", services.search.listing_count().await?);
    let n = services
        .search
        .rebuild(|done| progress.update(done))
        .await?;
    progress.finish(n);
    fresh.finish_writes()?;
    drop((services, fresh, live));
    let old_dir = live_dir.with_file_name("search.old");
    if old_dir.exists() {
        std::fs::remove_dir_all(&old_dir)?;
    }
    if live_dir.exists() {
        std::fs::rename(&live_dir, &old_dir)?;
    }
    std::fs::rename(&fresh_dir, &live_dir)?;
    std::fs::remove_dir_all(&old_dir).ok();
    println!(
        "已索引 {n} 条成果和需求，用时 {:.1} 秒，索引在 {}",
        started.elapsed().as_secs_f64(),
        live_dir.display()
    );
    Ok(())
}

async fn services(settings: &Settings) -> anyhow::Result<Services> {
    let db = connect(settings).await?;
    Ok(Services::new(
        db,
        Arc::new(SystemClock),
        settings.service_settings()?,
        settings.open_search_index()?,
    ))
}

fn parse_market(name: &str) -> anyhow::Result<crate::connectors::Market> {
    crate::connectors::Market::parse(name).with_context(|| {
        format!(
            "没有名为 {name:?} 的市场：请写 provincial（山东科技大市场）或 marine（海洋科技大市场）"
        )
    })
}

/// One sync run with a progress line; fails (exit code 1) when the run failed.
async fn sync(settings: &Settings, market: crate::connectors::Market) -> anyhow::Result<()> {
    let services = services(settings).await?;
    let progress = crate::progress::Progress::new(format!("同步{}", market.label_zh()), 0);
    let run = services
        .sync
        .run(
            &crate::service::Actor::System,
            market,
            crate::service::markets::sync::Trigger::Command,
            |c| progress.update(c.fetched as u64),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    progress.finish(run.fetched as u64);
    println!(
        "{}同步第 {} 次（{}）：取回 {}，新建 {}，更新 {}，未变 {}，撤下 {}，合并 {}，隔离 {}，含未映射取值 {}",
        market.label_zh(),
        run.id,
        match run.status.as_str() {
            "SUCCEEDED" => "成功",
            "FAILED" => "失败",
            _ => "进行中",
        },
        run.fetched,
        run.created,
        run.updated,
        run.unchanged,
        run.withdrawn,
        run.merged,
        run.quarantined,
        run.unmapped
    );
    index_beside_a_running_service(settings, &services).await?;
    match run.error {
        Some(error) => {
            anyhow::bail!("同步失败：{error}（本地数据未丢失；下次同步从中断处继续）")
        }
        None => Ok(()),
    }
}

fn parse_mapping(
    m: &str,
) -> anyhow::Result<(String, crate::service::markets::import_columns::ImportField)> {
    let (header, column) = m.split_once('=').with_context(|| {
        format!("--map {m:?}：请写成 文件表头=模板列，例如 --map 项目名=成果名称")
    })?;
    let field =
        crate::service::markets::import_columns::field_named(column).with_context(|| {
            format!(
                "--map {m:?}：“{column}”不是模板中的列（模板见 docs/import.md 或 importTemplate）"
            )
        })?;
    Ok((header.trim().to_owned(), field))
}

/// The organisation `--org` names: its 统一社会信用代码, or its API id (`organization { id }`,
/// as GraphiQL shows it).
async fn organization_named(services: &Services, org: &str) -> anyhow::Result<i32> {
    let actor = crate::service::Actor::System;
    if let Some(found) = services
        .organizations
        .find_by_credit_code(&actor, &org.to_ascii_uppercase())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        return Ok(found.id);
    }
    if let Ok((crate::graphql::ids::NodeType::Organization, id)) =
        services.context().ids.decode_any(org)
        && services
            .organizations
            .get(&actor, id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .is_some()
    {
        return Ok(id);
    }
    anyhow::bail!(
        "找不到机构「{org}」：--org 请写机构的统一社会信用代码（18 位），或它在 API 中的 id（查询 organizations {{ nodes {{ id name creditCode }} }} 可见）"
    )
}

/// Imports one file and prints the report; fails (exit code 1) when the file could not be
/// read, or when nothing was written because rows were rejected.
async fn import(
    settings: &Settings,
    file: &std::path::Path,
    org: &str,
    options: &crate::service::markets::import::ImportOptions,
    report_path: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use crate::service::markets::import::RowAction;
    let services = services(settings).await?;
    let actor = crate::service::Actor::System;
    let owner = organization_named(&services, org.trim()).await?;
    let name = file.display().to_string();
    let started = std::time::Instant::now();
    let bar = std::sync::OnceLock::new();
    let report = services
        .imports
        .import(
            &actor,
            owner,
            crate::sheet::SheetInput::Path(file.to_owned()),
            &name,
            options,
            |done, total| {
                bar.get_or_init(|| crate::progress::Progress::new("导入", total))
                    .update(done)
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    if let Some(bar) = bar.get() {
        bar.finish(report.rows.len() as u64);
    }
    for r in report.rows.iter().filter(|r| r.action == RowAction::Reject) {
        let errors: Vec<String> = r
            .errors
            .iter()
            .map(|e| {
                if e.column.is_empty() {
                    e.message.clone()
                } else {
                    format!("{}：{}", e.column, e.message)
                }
            })
            .collect();
        println!("第 {} 行「{}」：{}", r.row, r.title, errors.join("；"));
    }
    if !report.ignored_columns.is_empty() {
        println!("未导入的列：{}", report.ignored_columns.join("、"));
    }
    let counts: Vec<String> = [
        RowAction::Create,
        RowAction::Update,
        RowAction::Unchanged,
        RowAction::Existing,
        RowAction::Reject,
    ]
    .iter()
    .map(|a| format!("{} {}", a.label_zh(), report.count(*a)))
    .collect();
    let outcome = if options.dry_run {
        "试运行，未写入"
    } else if report.applied {
        "已写入"
    } else {
        "有被拒绝的行，整个文件未写入（可改正后重试，或用 --per-row 只写入合格的行）"
    };
    println!(
        "{name}：{} 行，{}；{outcome}（用时 {:.1} 秒）",
        report.rows.len(),
        counts.join("，"),
        started.elapsed().as_secs_f64()
    );
    if let Some(path) = report_path {
        write_import_report(path, &report)?;
        println!("逐行结果已写入 {}", path.display());
    }
    if !options.dry_run && !report.applied && report.count(RowAction::Reject) > 0 {
        anyhow::bail!("没有导入任何一行：请改正上面列出的行后重试，或用 --per-row 只导入合格的行");
    }
    if !options.dry_run {
        index_beside_a_running_service(settings, &services).await?;
    }
    Ok(())
}

/// After a command wrote the database (and its outbox): indexes the changes now when no
/// service holds the data folder, and otherwise leaves them to that service, which indexes
/// them within `search.poll_ms`.
async fn index_beside_a_running_service(
    settings: &Settings,
    services: &Services,
) -> anyhow::Result<()> {
    match DataDirLock::try_acquire(&settings.data_dir, "index")? {
        Ok(_folder) => {
            let started = std::time::Instant::now();
            let n = services.search.catch_up().await?;
            println!(
                "已更新搜索索引：{n} 条变更，用时 {:.1} 秒",
                started.elapsed().as_secs_f64()
            );
        }
        Err(holder) => println!("运行中的服务（{holder}）会把这些变更编入搜索索引"),
    }
    Ok(())
}

fn write_import_report(
    path: &std::path::Path,
    report: &crate::service::markets::import::ImportReport,
) -> anyhow::Result<()> {
    use crate::service::markets::import::RowAction;
    let file = std::fs::File::create(path)
        .with_context(|| format!("无法创建报告文件 {}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    std::io::Write::write_all(&mut w, "\u{feff}".as_bytes())?;
    let mut csv = csv::Writer::from_writer(w);
    csv.write_record(["行号", "成果编号", "成果名称", "结果", "成果 ID", "问题"])?;
    for r in &report.rows {
        let errors: Vec<String> = r
            .errors
            .iter()
            .map(|e| {
                format!(
                    "{}{}",
                    if e.column.is_empty() {
                        String::new()
                    } else {
                        format!("{}：", e.column)
                    },
                    e.message
                )
            })
            .collect();
        csv.write_record([
            r.row.to_string(),
            crate::service::pairings::stats::spreadsheet_safe(r.key.as_deref().unwrap_or_default()),
            crate::service::pairings::stats::spreadsheet_safe(&r.title),
            if report.applied || report.dry_run || r.action == RowAction::Reject {
                r.action.label_zh().to_owned()
            } else {
                format!("未写入（本应{}）", r.action.label_zh())
            },
            r.listing_id.map(|i| i.to_string()).unwrap_or_default(),
            errors.join("；"),
        ])?;
    }
    csv.flush()?;
    Ok(())
}

/// Serves a fake market until Ctrl-C.
async fn fake_market(
    market: crate::connectors::Market,
    port: u16,
    listings: usize,
    seed: u64,
    faults: crate::connectors::fake::Faults,
) -> anyhow::Result<()> {
    let credentials = crate::connectors::fake::Credentials::default();
    let router =
        crate::connectors::fake::router(market, listings, seed, credentials.clone(), faults);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("binding 127.0.0.1:{port}"))?;
    let url = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
    println!("模拟{}：{listings} 条挂牌，地址 {url}", market.label_zh());
    println!("让 Qianxian 连接它：");
    match market {
        crate::connectors::Market::Provincial => println!(
            "  QIANXIAN__CONNECTORS__PROVINCIAL__ENABLED=true QIANXIAN__CONNECTORS__PROVINCIAL__BASE_URL={url} QIANXIAN__CONNECTORS__PROVINCIAL__TOKEN={}",
            credentials.token
        ),
        crate::connectors::Market::Marine => println!(
            "  QIANXIAN__CONNECTORS__MARINE__ENABLED=true QIANXIAN__CONNECTORS__MARINE__BASE_URL={url} QIANXIAN__CONNECTORS__MARINE__APP_KEY={} QIANXIAN__CONNECTORS__MARINE__APP_SECRET={}",
            credentials.app_key, credentials.app_secret
        ),
    }
    println!(
        "注入故障：POST {url}/_faults；增删记录：POST {url}/_records、{url}/_remove；计数：GET {url}/_stats"
    );
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}
