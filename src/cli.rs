//! The command line: `qianxian [serve | migrate | seed | expire | export-schema]`.

use crate::app::{Application, shutdown_signal};
use crate::clock::SystemClock;
use crate::config::Settings;
use crate::db::Database;
use crate::service::Services;
use crate::{seed, telemetry};
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
    /// Mark listings whose time ran out as expired, once.
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
                Ok(())
            }
            Command::Reindex => {
                let services = services(&settings).await?;
                let started = std::time::Instant::now();
                let n = services
                    .search
                    .rebuild(|done| eprint!("\rreading listings: {done}"))
                    .await?;
                eprintln!();
                println!(
                    "indexed {n} listings in {:.1} s",
                    started.elapsed().as_secs_f64()
                );
                Ok(())
            }
            Command::ExportSchema { .. } => Ok(()),
        }
    })
}

async fn connect(settings: &Settings) -> anyhow::Result<Database> {
    let db = Database::connect(&settings.database_url(), settings.database.max_connections).await?;
    db.migrate().await?;
    Ok(db)
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
