//! The service with the demo data on a loopback port, for benchmarks that measure over real
//! HTTP (SQLite in a temporary folder, rate limits out of the way).

use qianxian::app::Application;
use qianxian::clock::SystemClock;
use qianxian::config::Settings;
use std::sync::Arc;

/// A running demo app: its GraphQL URL, its settings and the folder it lives in (removed
/// when dropped).
pub struct DemoApp {
    pub url: String,
    /// What it runs with (not every benchmark reads it).
    #[allow(dead_code)]
    pub settings: Settings,
    _dir: tempfile::TempDir,
}

/// Starts the app and leaves it running for the rest of the process.
pub async fn start() -> anyhow::Result<DemoApp> {
    let dir = tempfile::tempdir()?;
    let mut settings = Settings {
        data_dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    settings.server.listen = "127.0.0.1:0".into();
    settings.seed.dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    settings.rate_limit.per_address_per_minute = 1_000_000;
    settings.rate_limit.per_token_per_minute = 1_000_000;
    let app = Application::build(&settings, Arc::new(SystemClock)).await?;
    let url = format!("http://127.0.0.1:{}/graphql", app.port());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    Ok(DemoApp {
        url,
        settings,
        _dir: dir,
    })
}
