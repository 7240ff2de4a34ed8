//! The one closed set of error codes and the service-layer error type.
//!
//! Every failure a client can see carries an [`ErrorCode`]; GraphQL puts it in
//! `extensions.code` (or in a `userErrors` entry) and HTTP maps it to a status.
//! Internal errors are logged with their cause and reach clients only as a generic message.

use async_graphql::Enum;

/// Stable, machine-readable error codes. Never reuse or rename a variant: clients match on them.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The request itself is malformed (bad JSON, missing query, wrong method).
    BadRequest,
    /// The query exceeds a depth, complexity, alias or size limit.
    QueryTooComplex,
    /// An argument is out of range (page size, negative count).
    InvalidArgument,
    /// A pagination cursor is not one this service issued.
    InvalidCursor,
    /// A global id is malformed or names another type.
    InvalidId,
    /// The object does not exist, or the caller may not know that it exists.
    NotFound,
    /// The change would violate a uniqueness rule.
    Conflict,
    /// The object's lifecycle does not allow this change now.
    InvalidStateTransition,
    /// Credentials are missing, wrong, expired or revoked.
    Unauthenticated,
    /// The caller is known but may not do this.
    Forbidden,
    /// Too many requests.
    RateLimited,
    /// 统一社会信用代码 fails its format or check character.
    InvalidCreditCode,
    /// Not a GB/T 2260 division code in use.
    InvalidRegionCode,
    /// Not a GB/T 4754-2017 industry code.
    InvalidIndustryCode,
    /// Not a GB/T 13745-2009 discipline code.
    InvalidDisciplineCode,
    /// TRL outside 1–9.
    InvalidTrl,
    /// A Chinese patent number fails its format or check digit.
    InvalidPatentNumber,
    /// An IP record is incomplete or inconsistent.
    InvalidIpRecord,
    /// A price or budget range is negative, reversed or too large.
    InvalidPriceRange,
    /// Too many, empty or too long keywords.
    InvalidKeywords,
    /// A required text is empty or a text is too long.
    InvalidText,
    /// Unknown priority-track code.
    UnknownPriorityTrack,
    /// 科技成果登记号 is not 12 letters or digits.
    InvalidRegistrationNumber,
    /// A date is in the past or malformed.
    InvalidDate,
    /// An email, phone or other contact field is malformed.
    InvalidContact,
    /// A search query the parser cannot read.
    InvalidQuery,
    /// An uploaded or imported file is not a readable spreadsheet or lacks required columns.
    InvalidFile,
    /// Something failed inside the service; details are in the logs only.
    Internal,
    /// The service cannot answer now (its database is unreachable, overloaded or not yet
    /// set up, or too many requests are in flight): try again later. Never a verdict on the
    /// caller's credentials or input.
    Unavailable,
}

impl ErrorCode {
    /// The `SCREAMING_SNAKE_CASE` name used on the wire, identical to the GraphQL enum value.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            BadRequest => "BAD_REQUEST",
            QueryTooComplex => "QUERY_TOO_COMPLEX",
            InvalidArgument => "INVALID_ARGUMENT",
            InvalidCursor => "INVALID_CURSOR",
            InvalidId => "INVALID_ID",
            NotFound => "NOT_FOUND",
            Conflict => "CONFLICT",
            InvalidStateTransition => "INVALID_STATE_TRANSITION",
            Unauthenticated => "UNAUTHENTICATED",
            Forbidden => "FORBIDDEN",
            RateLimited => "RATE_LIMITED",
            InvalidCreditCode => "INVALID_CREDIT_CODE",
            InvalidRegionCode => "INVALID_REGION_CODE",
            InvalidIndustryCode => "INVALID_INDUSTRY_CODE",
            InvalidDisciplineCode => "INVALID_DISCIPLINE_CODE",
            InvalidTrl => "INVALID_TRL",
            InvalidPatentNumber => "INVALID_PATENT_NUMBER",
            InvalidIpRecord => "INVALID_IP_RECORD",
            InvalidPriceRange => "INVALID_PRICE_RANGE",
            InvalidKeywords => "INVALID_KEYWORDS",
            InvalidText => "INVALID_TEXT",
            UnknownPriorityTrack => "UNKNOWN_PRIORITY_TRACK",
            InvalidRegistrationNumber => "INVALID_REGISTRATION_NUMBER",
            InvalidDate => "INVALID_DATE",
            InvalidContact => "INVALID_CONTACT",
            InvalidQuery => "INVALID_QUERY",
            InvalidFile => "INVALID_FILE",
            Internal => "INTERNAL",
            Unavailable => "UNAVAILABLE",
        }
    }

    /// The HTTP status for this code where HTTP is the interface.
    pub fn http_status(self) -> u16 {
        use ErrorCode::*;
        match self {
            BadRequest | QueryTooComplex => 400,
            Unauthenticated => 401,
            Forbidden => 403,
            NotFound => 404,
            Conflict => 409,
            RateLimited => 429,
            Internal => 500,
            Unavailable => 503,
            _ => 422,
        }
    }
}

/// A validation failure tied to one input field, shown to users in Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Input path, e.g. `["input", "ip", "0", "number"]`.
    pub field: Vec<String>,
    /// Stable error code.
    pub code: ErrorCode,
    /// Message for people, in Chinese.
    pub message: String,
}

impl FieldError {
    /// A field error at a dotted path such as `ip.0.number`.
    pub fn new(path: &str, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            field: path.split('.').map(str::to_owned).collect(),
            code,
            message: message.into(),
        }
    }
}

/// The error every service call returns.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Input failed validation; nothing was written.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// A known, client-visible failure.
    #[error("{message}")]
    Coded {
        /// The stable code.
        code: ErrorCode,
        /// Message for people, in Chinese.
        message: String,
    },
    /// Too many attempts: try again after this many seconds.
    #[error("尝试次数过多，请在 {retry_after_secs} 秒后重试")]
    RateLimited {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// A failure inside the service; logged, never shown in detail.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ServiceError {
    /// A coded error with a Chinese message.
    pub fn coded(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Coded {
            code,
            message: message.into(),
        }
    }

    /// "Not found" phrased the same whether the object is missing or hidden.
    pub fn not_found(what: &str) -> Self {
        Self::coded(ErrorCode::NotFound, format!("{what}不存在或无权查看"))
    }

    /// The code this error carries.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::BadRequest,
            Self::Coded { code, .. } => *code,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<sea_orm::DbErr> for ServiceError {
    fn from(err: sea_orm::DbErr) -> Self {
        match db_failure(&err) {
            DbFailure::Unique => Self::coded(ErrorCode::Conflict, "与已有记录冲突（唯一性约束）"),
            DbFailure::Concurrent => {
                tracing::info!(error = %err, "write refused after a concurrent change");
                Self::coded(ErrorCode::Conflict, "该记录正被他人同时修改，请刷新后重试")
            }
            DbFailure::BadText => Self::coded(
                ErrorCode::InvalidText,
                "文本中含有数据库不能保存的字符（如控制字符）",
            ),
            DbFailure::Unavailable => {
                tracing::warn!(error = %err, "database unavailable");
                Self::unavailable()
            }
            DbFailure::Other => Self::Internal(anyhow::Error::new(err)),
        }
    }
}

impl ServiceError {
    /// The generic answer while the database (or the service) cannot serve.
    pub fn unavailable() -> Self {
        Self::coded(ErrorCode::Unavailable, "服务暂时不可用，请稍后重试")
    }

    /// Whether an internal error was caused by the database being unavailable (it reached
    /// here through `anyhow` rather than `From<DbErr>`).
    pub fn is_database_outage(cause: &anyhow::Error) -> bool {
        cause
            .chain()
            .filter_map(|e| e.downcast_ref::<sea_orm::DbErr>())
            .any(|e| db_failure(e) == DbFailure::Unavailable)
    }
}

/// What a database error means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DbFailure {
    /// A unique constraint refused the write.
    Unique,
    /// A concurrent transaction won (serialisation failure or deadlock): nothing was written.
    Concurrent,
    /// The database cannot be reached or used right now.
    Unavailable,
    /// Text the database cannot store (PostgreSQL: NUL, invalid encoding) that escaped
    /// validation.
    BadText,
    /// Anything else: a bug or a broken database, logged as internal.
    Other,
}

/// The one place that reads a database error on either backend.
fn db_failure(err: &sea_orm::DbErr) -> DbFailure {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{DbErr, RuntimeErr};
    if is_unique_violation(err) {
        return DbFailure::Unique;
    }
    let sqlx = match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return DbFailure::Unavailable,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return DbFailure::Other,
    };
    match &**sqlx {
        Sqlx::Io(_)
        | Sqlx::Tls(_)
        | Sqlx::Protocol(_)
        | Sqlx::PoolTimedOut
        | Sqlx::PoolClosed
        | Sqlx::WorkerCrashed => DbFailure::Unavailable,
        Sqlx::Database(e) => {
            let code = e.code().unwrap_or_default();
            match code.as_ref() {
                // PostgreSQL: serialization_failure, deadlock_detected.
                "40001" | "40P01" => DbFailure::Concurrent,
                // PostgreSQL: character_not_in_repertoire, untranslatable_character.
                "22021" | "22P05" => DbFailure::BadText,
                // PostgreSQL: the database is gone or not set up (invalid_catalog_name,
                // undefined_table), shutting down or refusing connections (class 57P),
                // connection exceptions (class 08), too many connections, out of disk.
                // SQLite: busy or locked past the busy timeout (SQLITE_BUSY, SQLITE_LOCKED
                // and their extended codes), disk full, cannot open.
                "3D000" | "42P01" | "53300" | "53100" | "5" | "6" | "13" | "14" | "261" | "262"
                | "517" => DbFailure::Unavailable,
                c if c.starts_with("08") || c.starts_with("57P") => DbFailure::Unavailable,
                _ => DbFailure::Other,
            }
        }
        _ => DbFailure::Other,
    }
}

/// The one place that recognises a unique-constraint violation on either backend.
fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Result alias for service calls.
pub type ServiceResult<T> = Result<T, ServiceError>;
