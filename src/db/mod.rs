//! Persistence: connecting to SQLite or PostgreSQL, migrations, and the repositories that turn
//! rows into domain records. Only this layer writes SQL.

pub mod achievements;
pub mod audit;
pub mod entities;
pub mod grants;
pub mod leases;
pub mod listing_query;
pub mod listings;
pub mod matches;
pub mod needs;
pub mod notifications;
pub mod organizations;
pub mod outbox;
pub mod pairings;
pub mod sync;
pub mod tags;
pub mod throttle;
pub mod tracks;
pub mod users;

use anyhow::Context;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The advisory lock migrations run under on PostgreSQL ("QXMIGR").
const MIGRATION_LOCK: i64 = 0x5158_4D49_4752;

/// The advisory lock the demo data is loaded under on PostgreSQL ("QXSEED"), so replicas
/// started together on an empty database load it once.
pub const SEED_LOCK: i64 = 0x5158_5345_4544;

/// Counts SQL statements; `/metrics` exposes the count and tests read it to prove that
/// DataLoaders keep the statement count bounded.
#[derive(Debug, Default)]
pub struct DbStats {
    statements: AtomicU64,
}

impl DbStats {
    /// Statements executed since start.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }
}

/// The connection pools plus their statement counter.
#[derive(Debug, Clone)]
pub struct Database {
    /// The pool for reads (and, on PostgreSQL, for everything).
    pub conn: DatabaseConnection,
    /// Where write transactions run. On SQLite a pool of one connection: writers queue for it
    /// in the pool instead of holding reader connections while they wait for SQLite's single
    /// write lock, so reads never wait behind writes (WAL lets them read meanwhile). On
    /// PostgreSQL the same pool as `conn`.
    writer: DatabaseConnection,
    /// Statement counter.
    pub stats: Arc<DbStats>,
}

impl Database {
    /// Begins a write transaction. On SQLite it takes the write lock at `BEGIN` (`BEGIN
    /// IMMEDIATE`), so concurrent writers queue on `busy_timeout`; a deferred transaction that
    /// reads first fails at once with "database is locked" when another writer got there
    /// first (measured: 15–20% of API writes at 100 writes/s). PostgreSQL ignores the mode.
    pub async fn begin_write(&self) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
        use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
        self.writer
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
    }

    /// Connects to `url`; for a SQLite file URL the parent folder is created first.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        check_reachable(url).await?;
        let pool = |size: u32| async move {
            let mut options = ConnectOptions::new(url.to_owned());
            options
                .max_connections(size)
                .connect_timeout(Duration::from_secs(10))
                .sqlx_logging(false);
            let conn = sea_orm::Database::connect(options)
                .await
                .with_context(|| format!("connecting to database {}", redact_url(url)))?;
            if url.starts_with("sqlite:") {
                for pragma in [
                    "PRAGMA foreign_keys = ON",
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA busy_timeout = 5000",
                ] {
                    conn.execute_unprepared(pragma).await?;
                }
            }
            anyhow::Ok(conn)
        };
        let mut conn = pool(max_connections).await?;
        let mut writer = if sqlite_file(url).is_some() {
            pool(1).await?
        } else {
            conn.clone()
        };
        let stats = Arc::new(DbStats::default());
        for pool in [&mut conn, &mut writer] {
            let counter = stats.clone();
            pool.set_metric_callback(move |_info| {
                counter.statements.fetch_add(1, Ordering::Relaxed);
            });
        }
        Ok(Self {
            conn,
            writer,
            stats,
        })
    }

    /// Applies pending migrations in one transaction that excludes every other migrator (an
    /// advisory lock on PostgreSQL, the write lock on SQLite), so processes started together
    /// take turns: the first applies them, the others wait and then find nothing pending.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        /// Tries at the SQLite write lock (each `busy_timeout` long) before a start fails.
        const MIGRATION_LOCK_TRIES: u32 = 12;
        use sea_orm::{DatabaseBackend, Statement, TransactionTrait};
        let txn = if self.conn.get_database_backend() == DatabaseBackend::Postgres {
            let txn = self.conn.begin().await?;
            txn.execute_raw(Statement::from_string(
                DatabaseBackend::Postgres,
                format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"),
            ))
            .await
            .context("waiting for the migration lock")?;
            txn
        } else {
            // Replicas started together queue here, each try waiting `busy_timeout`: under
            // load the third of three can wait longer than one try.
            let mut tries = 1;
            loop {
                match self.begin_write().await {
                    Ok(txn) => break txn,
                    Err(err) if tries < MIGRATION_LOCK_TRIES => {
                        tries += 1;
                        tracing::info!(error = %err, tries, "waiting for the database write lock to migrate");
                    }
                    Err(err) => {
                        return Err(err).context("waiting for the database write lock to migrate");
                    }
                }
            }
        };
        let pending = Migrator::get_pending_migrations(&txn)
            .await
            .context("reading the applied migrations")?
            .len();
        Migrator::up(&txn, None)
            .await
            .context("applying migrations")?;
        txn.commit().await.context("committing migrations")?;
        if pending > 0 {
            tracing::info!(applied = pending, "database migrated");
        }
        Ok(())
    }

    /// Takes a cluster-wide lock named by `key` until the returned guard is dropped: on
    /// PostgreSQL an advisory lock held by an otherwise idle transaction (replicas starting
    /// together wait here); on SQLite nothing, as one process owns the file.
    pub async fn cluster_lock(
        &self,
        key: i64,
    ) -> Result<Option<sea_orm::DatabaseTransaction>, sea_orm::DbErr> {
        use sea_orm::{DatabaseBackend, Statement, TransactionTrait};
        if self.conn.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(None);
        }
        let txn = self.conn.begin().await?;
        txn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [key.into()],
        ))
        .await?;
        Ok(Some(txn))
    }

    /// Whether every migration this binary knows is applied: the schema is (at least) the
    /// one the code expects. Never creates anything.
    pub async fn schema_is_current(&self) -> Result<bool, sea_orm::DbErr> {
        use sea_orm::Statement;
        // Read directly rather than through the migrator, which fails on migrations it does
        // not know: during a rolling upgrade the first new replica migrates, and the old
        // ones must stay ready on a schema that only grew.
        let applied: std::collections::HashSet<String> = match self
            .conn
            .query_all_raw(Statement::from_string(
                self.conn.get_database_backend(),
                "SELECT version FROM seaql_migrations",
            ))
            .await
        {
            Ok(rows) => rows
                .iter()
                .map(|r| r.try_get::<String>("", "version"))
                .collect::<Result<_, _>>()?,
            // No migration table: a database nobody migrated (or recreated empty).
            Err(_) => return Ok(false),
        };
        Ok(Migrator::migrations()
            .iter()
            .all(|m| applied.contains(m.name())))
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        self.conn.ping().await.is_ok()
    }
}

/// The file path of a `sqlite://path?…` URL, unless it is in-memory.
/// Finds the usual first-start mistakes before a pool hides them behind "pool timed out" or
/// "unable to open database file": says what was tried and what to check.
async fn check_reachable(url: &str) -> anyhow::Result<()> {
    if let Some(path) = sqlite_file(url) {
        let file = Path::new(path);
        let dir = file.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir {
            std::fs::create_dir_all(dir).with_context(|| {
                format!("无法创建数据库目录 {}：请检查路径和写权限", dir.display())
            })?;
        }
        let creates = url.contains("mode=rwc");
        if !file.exists() && !creates {
            anyhow::bail!(
                "数据库文件 {path} 不存在。要新建它，请在 database.url 末尾加上 ?mode=rwc\
                 （例如 sqlite://{path}?mode=rwc）；或者不设 database.url，使用数据目录里的默认数据库"
            );
        }
        let probe = dir.unwrap_or(Path::new(".")).join(".qianxian-write-check");
        if std::fs::write(&probe, b"").is_err() {
            anyhow::bail!(
                "数据库目录 {} 不可写：SQLite 需要在其中写数据库文件和日志（-wal、-shm）。请检查目录权限，或换一个 data_dir",
                dir.unwrap_or(Path::new(".")).display()
            );
        }
        std::fs::remove_file(&probe).ok();
        return Ok(());
    }
    if url.starts_with("sqlite:") {
        return Ok(());
    }
    if url.starts_with("postgres") {
        use sea_orm::sqlx::Connection;
        let attempt = tokio::time::timeout(
            Duration::from_secs(5),
            sea_orm::sqlx::PgConnection::connect(url),
        )
        .await;
        let cause = match attempt {
            Ok(Ok(conn)) => {
                conn.close().await.ok();
                return Ok(());
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => "5 秒内没有应答".to_owned(),
        };
        anyhow::bail!(
            "无法连接 PostgreSQL {}：{cause}。\n请检查：服务器是否在运行（pg_isready）、主机和端口、用户名和密码、数据库是否已创建（createdb）",
            redact_url(url)
        );
    }
    anyhow::bail!(
        "database.url {} 不是支持的数据库：请用 sqlite://文件?mode=rwc 或 postgres://用户@主机:端口/数据库",
        redact_url(url)
    )
}

fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// Hides a password in a database URL for logs and errors.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Encodes a list as the JSON text stored in list-valued columns.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".to_owned())
}

/// Decodes a list-valued column; a damaged value reads as empty and is logged.
pub(crate) fn from_json<T: serde::de::DeserializeOwned + Default>(text: &str, column: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|err| {
        tracing::error!(column, error = %err, "stored json column is unreadable");
        T::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sqlite_file_and_redacts_passwords() {
        assert_eq!(
            sqlite_file("sqlite://data/qianxian.db?mode=rwc"),
            Some("data/qianxian.db")
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
    }
}
