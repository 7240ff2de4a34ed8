//! Configuration: defaults, then an optional `qianxian.toml`, then `QIANXIAN__…` environment
//! variables (`QIANXIAN__DATABASE__URL`, `QIANXIAN__SERVER__LISTEN`, …).

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// All settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Folder for the SQLite file and, later, the search index.
    pub data_dir: PathBuf,
    /// Database.
    pub database: DatabaseSettings,
    /// HTTP server.
    pub server: ServerSettings,
    /// GraphQL limits.
    pub graphql: GraphqlSettings,
    /// Listing rules.
    pub listings: ListingSettings,
    /// Demo data.
    pub seed: SeedSettings,
    /// Logging.
    pub log: LogSettings,
}

/// Database settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DatabaseSettings {
    /// `sqlite://…` or `postgres://…`; empty means `sqlite://<data_dir>/qianxian.db?mode=rwc`.
    pub url: String,
    /// Pool size.
    pub max_connections: u32,
}

/// HTTP server settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerSettings {
    /// Address to listen on.
    pub listen: String,
    /// Largest request body in bytes.
    pub body_limit_bytes: usize,
    /// Per-request timeout in seconds.
    pub request_timeout_secs: u64,
}

/// GraphQL limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct GraphqlSettings {
    /// Deepest selection nesting.
    pub max_depth: usize,
    /// Largest complexity score.
    pub max_complexity: usize,
    /// Most aliased fields in one document.
    pub max_aliases: usize,
    /// Largest page (`first` / `last`).
    pub max_page_size: u64,
    /// Page size when none is given.
    pub default_page_size: u64,
}

/// Listing rules.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ListingSettings {
    /// Days a published listing stays live without renewal.
    pub ttl_days: i64,
    /// Seconds between expiry sweeps.
    pub expiry_sweep_secs: u64,
}

/// Demo data.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SeedSettings {
    /// Load the demo data on start when the database has no organisations.
    pub demo_data: bool,
    /// Folder with the seed files.
    pub dir: PathBuf,
}

/// Logging.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: String,
    /// `tracing` filter, e.g. `info,qianxian=debug`.
    pub filter: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            database: DatabaseSettings::default(),
            server: ServerSettings::default(),
            graphql: GraphqlSettings::default(),
            listings: ListingSettings::default(),
            seed: SeedSettings::default(),
            log: LogSettings::default(),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: String::new(),
            max_connections: 8,
        }
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".to_owned(),
            body_limit_bytes: 1024 * 1024,
            request_timeout_secs: 30,
        }
    }
}

impl Default for GraphqlSettings {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_complexity: 5000,
            max_aliases: 30,
            max_page_size: 100,
            default_page_size: 20,
        }
    }
}

impl Default for ListingSettings {
    fn default() -> Self {
        Self {
            ttl_days: 180,
            expiry_sweep_secs: 300,
        }
    }
}

impl Default for SeedSettings {
    fn default() -> Self {
        Self {
            demo_data: true,
            dir: PathBuf::from("seeds"),
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: "text".to_owned(),
            filter: "info".to_owned(),
        }
    }
}

impl Settings {
    /// Loads defaults, then `file` (or `qianxian.toml` if present), then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match file {
            Some(path) => {
                anyhow::ensure!(path.exists(), "config file {} not found", path.display());
                figment = figment.merge(Toml::file(path));
            }
            None => figment = figment.merge(Toml::file("qianxian.toml")),
        }
        let settings: Settings = figment
            .merge(Env::prefixed("QIANXIAN__").split("__"))
            .extract()?;
        Ok(settings)
    }

    /// The database URL, defaulting to a SQLite file in the data folder.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("qianxian.db").display()
            )
        } else {
            self.database.url.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment's Jail API fixes the error type"
    )]
    fn environment_overrides_file_and_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "qianxian.toml",
                "[server]\nlisten = \"0.0.0.0:9000\"\n[listings]\nttl_days = 30\n",
            )?;
            jail.set_env("QIANXIAN__LISTINGS__TTL_DAYS", "7");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.server.listen, "0.0.0.0:9000");
            assert_eq!(s.listings.ttl_days, 7);
            assert_eq!(s.database_url(), "sqlite://data/qianxian.db?mode=rwc");
            Ok(())
        });
    }
}
