//! The command line: `qianxian [serve | migrate | seed | expire | export-schema]`.

use crate::app::{Application, shutdown_signal};
use crate::clock::SystemClock;
use crate::config::Settings;
use crate::db::Database;
use crate::service::Services;
use crate::{seed, telemetry};
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;

/// 牵线 Qianxian: a technology-transfer marketplace for Qingdao.
#[derive(Parser, Debug)]
#[command(name = "qianxian", version, about)]
pub struct Cli {
    /// Configuration file (default: ./qianxian.toml when present).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// What to do; `serve` when absent.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP/GraphQL service (migrates first).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Load demo data from the seed folder (idempotent).
    Seed {
        /// Seed folder (default: the `seed.dir` setting).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Mark listings whose time ran out, and pairings nobody answered in time, as expired, once.
    Expire,
    /// Rebuild the search index from the database (stop the service first).
    Reindex,
    /// Print the GraphQL SDL.
    ExportSchema {
        /// Write to this file instead of standard output.
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
    let settings = Settings::load(cli.config.as_deref())?;
    telemetry::init(&settings.log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => {
                let app = Application::build(&settings, Arc::new(SystemClock)).await?;
                app.run_until_stopped(shutdown_signal()).await
            }
            Command::Migrate => {
                connect(&settings).await?;
                println!("migrations applied");
                Ok(())
            }
            Command::Seed { dir } => {
                let services = services(&settings).await?;
                let dir = dir.unwrap_or_else(|| settings.seed.dir.clone());
                let report = seed::load_dir(&services, &dir).await?;
                println!("{report}");
                Ok(())
            }
            Command::Expire => {
                let services = services(&settings).await?;
                let n = services.expiry.expire_due().await?;
                println!("{n} listings expired");
                let n = services.pairings.expire_due().await?;
                println!("{n} pairings expired");
                Ok(())
            }
            Command::Reindex => reindex(&settings).await,
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
    let live_dir = settings.search_dir();
    let live = settings.open_search_index_at(&live_dir)?;
    live.lock_writer().context(
        "the search index is in use: stop the running service first \
         (the service rebuilds by itself on start when index/ changed)",
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
        crate::progress::Progress::new("reindex", services.search.listing_count().await?);
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
        "indexed {n} listings in {:.1} s into {}",
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
