//! Configuration: defaults, then an optional `qianxian.toml`, then `QIANXIAN__…` environment
//! variables (`QIANXIAN__DATABASE__URL`, `QIANXIAN__SERVER__LISTEN`, …).

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Map, Value};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// All settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `development` (demo data and a built-in signing secret allowed) or `production`.
    pub environment: Environment,
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
    /// Accounts and tokens.
    pub auth: crate::service::accounts::AuthSettings,
    /// Request rate limits.
    pub rate_limit: RateLimitSettings,
    /// Search index.
    pub search: SearchSettings,
    /// Broker workflow deadlines and notification thresholds.
    pub pairing: crate::service::pairings::PairingRules,
    /// Market connections.
    pub connectors: crate::connectors::ConnectorsSettings,
    /// Who may read `/metrics`.
    pub metrics: MetricsSettings,
}

/// Where the service runs. A closed choice: a misspelt `prod` is refused, not taken for
/// development with its demo accounts and built-in secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Demo data, a built-in signing secret, GraphiQL and introspection allowed.
    #[default]
    Development,
    /// A real signing secret required; no demo data.
    Production,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One readable line per event (colour only on a terminal).
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Search index settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchSettings {
    /// Folder with `config.toml`, the dictionary and synonyms.
    pub config_dir: PathBuf,
    /// Milliseconds between outbox polls when idle.
    pub poll_ms: u64,
    /// `/readyz` answers ready only while the index is at most this many outbox changes
    /// behind the database (a replica rebuilding its index is not ready).
    pub max_ready_lag: u64,
    /// ... unless a catch-up found the index complete within this many seconds: a large
    /// commit (an import) puts every replica behind at once, and they stay in the pool while
    /// they work through it.
    pub ready_grace_secs: u64,
}

impl Default for SearchSettings {
    fn default() -> Self {
        Self {
            config_dir: PathBuf::from("index"),
            poll_ms: 250,
            max_ready_lag: 1000,
            ready_grace_secs: 30,
        }
    }
}

/// Request rate limits (token buckets, refilled per minute).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitSettings {
    /// GraphQL requests per minute from one client address.
    pub per_address_per_minute: u32,
    /// GraphQL requests per minute with one token.
    pub per_token_per_minute: u32,
}

/// The signing secret used in development when none is configured; refused in production.
pub const DEVELOPMENT_SECRET: &str = "qianxian-development-signing-secret-not-for-production";

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            per_address_per_minute: 600,
            per_token_per_minute: 1200,
        }
    }
}

/// Database settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://…` or `postgres://…`; empty means `sqlite://<data_dir>/qianxian.db?mode=rwc`.
    pub url: String,
    /// Pool size.
    pub max_connections: u32,
}

/// HTTP server settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to listen on.
    pub listen: String,
    /// Largest request body in bytes.
    pub body_limit_bytes: usize,
    /// Largest file upload (a GraphQL multipart request, e.g. `importAchievements`) in bytes.
    pub upload_limit_bytes: usize,
    /// Per-request timeout in seconds.
    pub request_timeout_secs: u64,
    /// Seconds a replica holds a cluster-wide background job (expiry sweep, stored matches,
    /// market pushes, scheduled syncs) without renewing it: how long the others wait before
    /// taking over from a replica that died.
    pub job_lease_secs: u64,
    /// Load balancers in front (IP addresses) whose `X-Forwarded-For` names the client, for
    /// the limits that count per client address. Empty: the connection's peer is the client.
    pub trusted_proxies: Vec<String>,
    /// GraphQL requests served at once; one more is refused at once with 503 and
    /// `Retry-After` (load shedding), so the latency of those admitted stays bounded.
    pub max_in_flight: usize,
}

/// GraphQL limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    /// GraphiQL at `GET /graphql` in a browser; unset: on in development, off in production.
    pub graphiql: Option<bool>,
    /// Schema introspection (`__schema`, `__type`), for GraphiQL's docs and schema loaders;
    /// unset: on in development, off in production.
    pub introspection: Option<bool>,
}

/// Access to `/metrics`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// Anyone reaching the service may read `/metrics`; unset: in development yes, in
    /// production no (then set `token` or `listen`).
    pub public: Option<bool>,
    /// With this set, `/metrics` answers requests carrying `Authorization: Bearer <token>`.
    pub token: String,
    /// Serve `/metrics` on this address only (e.g. an internal interface), not on
    /// `server.listen`.
    pub listen: String,
}

/// Listing rules.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ListingSettings {
    /// Days a published listing stays live without renewal.
    pub ttl_days: i64,
    /// Seconds between expiry sweeps.
    pub expiry_sweep_secs: u64,
}

/// Demo data.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedSettings {
    /// Load the demo data on start when the database has no organisations.
    pub demo_data: bool,
    /// Folder with the seed files.
    pub dir: PathBuf,
}

/// Logging.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: LogFormat,
    /// `tracing` filter, e.g. `info,qianxian=debug`.
    pub filter: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            environment: Environment::Development,
            data_dir: PathBuf::from("data"),
            database: DatabaseSettings::default(),
            server: ServerSettings::default(),
            graphql: GraphqlSettings::default(),
            listings: ListingSettings::default(),
            pairing: Default::default(),
            connectors: Default::default(),
            metrics: MetricsSettings::default(),
            seed: SeedSettings::default(),
            log: LogSettings::default(),
            auth: Default::default(),
            rate_limit: RateLimitSettings::default(),
            search: SearchSettings::default(),
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
            upload_limit_bytes: 32 * 1024 * 1024,
            request_timeout_secs: 30,
            job_lease_secs: 30,
            trusted_proxies: Vec::new(),
            max_in_flight: 64,
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
            graphiql: None,
            introspection: None,
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
            format: LogFormat::Text,
            // Migrations log one line of ours, not two of sea-orm's per migration.
            filter: "info,sea_orm_migration=warn,sqlx::postgres::notice=warn".to_owned(),
        }
    }
}

impl Settings {
    /// Loads defaults, then `file` (or `qianxian.toml` if present), then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match file {
            Some(path) => {
                anyhow::ensure!(path.exists(), "找不到配置文件 {}", path.display());
                figment = figment.merge(Toml::file(path));
            }
            None => figment = figment.merge(Toml::file("qianxian.toml")),
        }
        // Lossy: a variable's text becomes a number or a boolean where a setting wants one.
        let settings: Settings = figment
            .merge(EnvText)
            .extract_lossy()
            .map_err(|e| anyhow::anyhow!(describe_config_errors(e)))?;
        settings.check()?;
        Ok(settings)
    }

    /// Values that parse but cannot work, refused before anything starts.
    fn check(&self) -> anyhow::Result<()> {
        let mut problems = Vec::new();
        if self.database.max_connections == 0 {
            problems.push("database.max_connections 至少为 1".to_owned());
        }
        if self.server.listen.parse::<std::net::SocketAddr>().is_err() {
            problems.push(format!(
                "server.listen「{}」不是“地址:端口”，例如 127.0.0.1:8080 或 0.0.0.0:8080",
                self.server.listen
            ));
        }
        if !self.metrics.listen.is_empty()
            && self.metrics.listen.parse::<std::net::SocketAddr>().is_err()
        {
            problems.push(format!(
                "metrics.listen「{}」不是“地址:端口”，例如 127.0.0.1:9464",
                self.metrics.listen
            ));
        }
        if self.listings.ttl_days < 1 {
            problems.push("listings.ttl_days 至少为 1 天".to_owned());
        }
        for market in crate::connectors::Market::ALL {
            let m = self.connectors.of(market);
            if !m.enabled {
                continue;
            }
            let key = format!("connectors.{}", market.as_str());
            if !(m.base_url.starts_with("http://") || m.base_url.starts_with("https://")) {
                problems.push(format!(
                    "{key}.base_url 须是 http:// 或 https:// 开头的地址（{}已启用）",
                    market.label_zh()
                ));
            }
            let missing = match market {
                crate::connectors::Market::Provincial => m.token.is_empty().then_some("token"),
                crate::connectors::Market::Marine => (m.app_key.is_empty()
                    || m.app_secret.is_empty())
                .then_some("app_key 和 app_secret"),
            };
            if let Some(credentials) = missing {
                problems.push(format!(
                    "{key}：{}已启用，但缺少凭据（{credentials}）",
                    market.label_zh()
                ));
            }
        }
        anyhow::ensure!(
            problems.is_empty(),
            "配置有误，服务没有启动：\n  {}",
            problems.join("\n  ")
        );
        Ok(())
    }

    /// Whether this is a production start.
    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    /// Whether GraphiQL is served (`graphql.graphiql`, else development only).
    pub fn graphiql_enabled(&self) -> bool {
        self.graphql.graphiql.unwrap_or(!self.is_production())
    }

    /// Whether introspection is answered (`graphql.introspection`, else development only).
    pub fn introspection_enabled(&self) -> bool {
        self.graphql.introspection.unwrap_or(!self.is_production())
    }

    /// Whether `/metrics` on the main listener answers without a token.
    pub fn metrics_public(&self) -> bool {
        self.metrics.public.unwrap_or(!self.is_production())
    }

    /// The settings the services run with. Refuses a production start with a weak or missing
    /// signing secret, or with demo data (whose accounts have published passwords).
    pub fn service_settings(&self) -> anyhow::Result<crate::service::ServiceSettings> {
        let secret = match (self.is_production(), self.auth.signing_secret.as_str()) {
            (true, s) if s.len() < 32 || s == DEVELOPMENT_SECRET => anyhow::bail!(
                "生产环境不能这样启动：auth.signing_secret 须至少 32 个字符，且不能是开发环境的默认值（设置 QIANXIAN__AUTH__SIGNING_SECRET）"
            ),
            (true, _) if self.seed.demo_data => anyhow::bail!(
                "生产环境不能载入演示数据：演示账号的密码是公开的（设置 seed.demo_data = false）"
            ),
            (false, "") => DEVELOPMENT_SECRET.to_owned(),
            (false, s) if s.len() < 32 => {
                anyhow::bail!("auth.signing_secret 须至少 32 个字符")
            }
            (_, s) => s.to_owned(),
        };
        Ok(crate::service::ServiceSettings {
            listing_ttl_days: self.listings.ttl_days,
            job_lease_secs: i64::try_from(self.server.job_lease_secs).unwrap_or(i64::MAX / 1000),
            pairing: self.pairing.clone(),
            connectors: self.connectors.clone(),
            max_page_size: self.graphql.max_page_size,
            default_page_size: self.graphql.default_page_size,
            auth: crate::service::accounts::AuthSettings {
                signing_secret: secret,
                ..self.auth.clone()
            },
        })
    }

    /// Opens the search index in `<data_dir>/search` with the configuration in `search.config_dir`.
    pub fn open_search_index(
        &self,
    ) -> anyhow::Result<std::sync::Arc<crate::search::index::SearchIndex>> {
        self.open_search_index_at(&self.search_dir())
    }

    /// The live search index folder.
    pub fn search_dir(&self) -> PathBuf {
        self.data_dir.join("search")
    }

    /// Opens (or creates) an index with the `index/` configuration in another folder.
    pub fn open_search_index_at(
        &self,
        dir: &std::path::Path,
    ) -> anyhow::Result<std::sync::Arc<crate::search::index::SearchIndex>> {
        let config = crate::search::config::IndexConfig::load(&self.search.config_dir)?;
        Ok(std::sync::Arc::new(
            crate::search::index::SearchIndex::open(dir, &config)?,
        ))
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

/// `QIANXIAN__SECTION__KEY` variables, their values kept as text (a market token `123456` or a
/// folder `2026` stays text; figment's own `Env` would make them numbers), except a `[…]`
/// list such as `QIANXIAN__SERVER__TRUSTED_PROXIES='["10.0.0.1"]'`.
struct EnvText;

impl figment::Provider for EnvText {
    fn metadata(&self) -> figment::Metadata {
        figment::Metadata::named("environment variable(s)")
    }

    fn data(&self) -> Result<Map<figment::Profile, Dict>, figment::Error> {
        let mut root = Dict::new();
        for (name, text) in std::env::vars() {
            let Some(rest) = name.strip_prefix("QIANXIAN__") else {
                continue;
            };
            let keys: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
            let value = match text.trim_start().starts_with('[') {
                true => text.parse::<Value>().unwrap_or_else(|_| Value::from(text)),
                false => Value::from(text),
            };
            insert(&mut root, &keys, value);
        }
        Ok(figment::Profile::Default.collect(root))
    }
}

/// Puts `value` at `keys` inside nested dictionaries, making them as needed.
fn insert(dict: &mut Dict, keys: &[String], value: Value) {
    match keys {
        [] => {}
        [last] => {
            dict.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = dict
                .entry(first.clone())
                .or_insert_with(|| Value::from(Dict::new()));
            if entry.as_dict().is_none() {
                *entry = Value::from(Dict::new());
            }
            if let Value::Dict(_, inner) = entry {
                insert(inner, rest, value);
            }
        }
    }
}

/// Every problem in the configuration, one line each, naming the key as its source spells it
/// (`sever` in `qianxian.toml`, `QIANXIAN__SEVER__LISTEN`) and what is allowed there.
fn describe_config_errors(errors: figment::Error) -> String {
    use figment::error::Kind;
    let lines: Vec<String> = errors
        .into_iter()
        .map(|e| {
            let keys: Vec<&str> = e.path.iter().map(String::as_str).collect();
            let problem = match &e.kind {
                Kind::UnknownField(_, expected) => {
                    format!("没有这项设置；这里可用的是：{}", expected.join("、"))
                }
                Kind::UnknownVariant(value, expected) => {
                    format!("不接受 `{value}`；可选：{}", expected.join("、"))
                }
                other => other.to_string(),
            };
            let (key, source) = match &e.metadata {
                // An environment variable is named as the operator wrote it.
                Some(md) if md.name.contains("environment") => (
                    format!("QIANXIAN__{}", keys.join("__").to_uppercase()),
                    "环境变量".to_owned(),
                ),
                Some(md) => {
                    let source = md
                        .source
                        .as_ref()
                        .map_or_else(|| md.name.to_string(), ToString::to_string);
                    let key = if keys.is_empty() {
                        "（整个文件）".to_owned()
                    } else {
                        keys.join(".")
                    };
                    (key, source)
                }
                None => (keys.join("."), "默认值".to_owned()),
            };
            format!("  {key}（来自 {source}）：{problem}")
        })
        .collect();
    format!("配置有误，服务没有启动：\n{}", lines.join("\n"))
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
            jail.set_env("QIANXIAN__CONNECTORS__PROVINCIAL__TOKEN", "123456");
            jail.set_env("QIANXIAN__GRAPHQL__GRAPHIQL", "false");
            jail.set_env("QIANXIAN__SERVER__TRUSTED_PROXIES", "[\"10.0.0.1\"]");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.server.listen, "0.0.0.0:9000");
            assert_eq!(s.listings.ttl_days, 7);
            assert_eq!(s.connectors.provincial.token, "123456", "digits stay text");
            assert_eq!(s.graphql.graphiql, Some(false));
            assert_eq!(s.server.trusted_proxies, ["10.0.0.1"]);
            assert_eq!(s.database_url(), "sqlite://data/qianxian.db?mode=rwc");
            Ok(())
        });
    }

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment's Jail API fixes the error type"
    )]
    fn unknown_keys_and_environments_are_refused_naming_their_source() {
        figment::Jail::expect_with(|jail| {
            let refusal = |jail: &mut figment::Jail, toml: &str| {
                jail.create_file("qianxian.toml", toml).expect("file");
                Settings::load(None).expect_err("refused").to_string()
            };
            let message = refusal(jail, "environment = \"prod\"\n");
            assert!(
                message.contains("environment（来自 ")
                    && message.contains("qianxian.toml")
                    && message.contains("不接受 `prod`；可选：development、production"),
                "{message}"
            );
            let message = refusal(jail, "[sever]\nlisten = \"0.0.0.0:9000\"\n");
            assert!(
                message.contains("sever（来自 ") && message.contains("没有这项设置"),
                "{message}"
            );
            let message = refusal(jail, "[server]\nlisen = \"0.0.0.0:9000\"\n");
            assert!(message.contains("server.lisen（来自 "), "{message}");
            let message = refusal(jail, "[connectors.marine.resilience]\nretry = 3\n");
            assert!(
                message.contains("connectors.marine.resilience.retry"),
                "{message}"
            );
            jail.create_file("qianxian.toml", "environment = \"production\"\n")?;
            jail.set_env("QIANXIAN__DATABASE__URI", "postgres://x");
            let message = Settings::load(None).expect_err("refused").to_string();
            assert!(message.contains("QIANXIAN__DATABASE__URI"), "{message}");
            jail.clear_env();
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert!(s.is_production());
            Ok(())
        });
    }

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment's Jail API fixes the error type"
    )]
    fn values_that_cannot_work_are_refused_before_the_start() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "qianxian.toml",
                "[database]\nmax_connections = 0\n[server]\nlisten = \"localhost\"\n[connectors.marine]\nenabled = true\n",
            )?;
            let message = Settings::load(None).expect_err("refused").to_string();
            for expected in [
                "database.max_connections 至少为 1",
                "server.listen「localhost」不是“地址:端口”",
                "connectors.marine.base_url 须是 http:// 或 https:// 开头",
                "缺少凭据（app_key 和 app_secret）",
            ] {
                assert!(message.contains(expected), "{expected} in {message}");
            }
            Ok(())
        });
    }

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment's Jail API fixes the error type"
    )]
    fn the_example_file_loads_as_it_is() {
        let example = include_str!("../qianxian.example.toml");
        figment::Jail::expect_with(|jail| {
            jail.create_file("qianxian.toml", example)?;
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.connectors.marine.resilience.attempts, 5);
            Ok(())
        });
    }

    #[test]
    fn production_refuses_weak_secrets_and_demo_data() {
        let mut s = Settings {
            environment: Environment::Production,
            ..Default::default()
        };
        s.seed.demo_data = false;
        assert!(s.service_settings().is_err(), "no secret");
        s.auth.signing_secret = "short".to_owned();
        assert!(s.service_settings().is_err(), "weak secret");
        s.auth.signing_secret = DEVELOPMENT_SECRET.to_owned();
        assert!(s.service_settings().is_err(), "development secret");
        s.auth.signing_secret = "x".repeat(40);
        assert!(s.service_settings().is_ok());
        s.seed.demo_data = true;
        assert!(s.service_settings().is_err(), "demo accounts in production");
        assert!(
            Settings::default().service_settings().is_ok(),
            "development has a built-in secret"
        );
    }
}
