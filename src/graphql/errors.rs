//! Mapping service errors onto GraphQL: top-level errors with `extensions.code`, or `userErrors`
//! entries in mutation payloads.

use crate::error::{ErrorCode, FieldError, ServiceError};
use async_graphql::{ErrorExtensions, SimpleObject};

/// A problem with the input of a mutation, for people to fix.
#[derive(SimpleObject, Debug, Clone)]
pub struct UserError {
    /// Path to the input field, e.g. `["ip", "0", "number"]`; empty for the whole input.
    pub field: Vec<String>,
    /// Stable code.
    pub code: ErrorCode,
    /// Message in Chinese.
    pub message: String,
}

impl From<FieldError> for UserError {
    fn from(e: FieldError) -> Self {
        Self {
            field: e.field,
            code: e.code,
            message: e.message,
        }
    }
}

/// Converts a service error into a GraphQL error with `extensions.code`.
pub fn to_gql(err: ServiceError) -> async_graphql::Error {
    match err {
        ServiceError::Invalid(fields) => {
            let code = fields.first().map_or(ErrorCode::BadRequest, |f| f.code);
            let message = fields
                .iter()
                .map(|f| f.message.as_str())
                .collect::<Vec<_>>()
                .join("；");
            async_graphql::Error::new(message).extend_with(|_, ext| {
                ext.set("code", code.as_str());
                let list: Vec<async_graphql::Value> = fields
                    .iter()
                    .map(|f| {
                        let mut m = async_graphql::indexmap::IndexMap::new();
                        m.insert(
                            async_graphql::Name::new("field"),
                            async_graphql::Value::List(
                                f.field
                                    .iter()
                                    .map(|s| async_graphql::Value::from(s.as_str()))
                                    .collect(),
                            ),
                        );
                        m.insert(async_graphql::Name::new("code"), f.code.as_str().into());
                        m.insert(
                            async_graphql::Name::new("message"),
                            f.message.as_str().into(),
                        );
                        async_graphql::Value::Object(m)
                    })
                    .collect();
                ext.set("fields", async_graphql::Value::List(list));
            })
        }
        ServiceError::Coded { code, message } => {
            async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", code.as_str()))
        }
        ServiceError::RateLimited { retry_after_secs } => {
            let message = ServiceError::RateLimited { retry_after_secs }.to_string();
            async_graphql::Error::new(message).extend_with(|_, ext| {
                ext.set("code", ErrorCode::RateLimited.as_str());
                // The HTTP layer turns this into a `Retry-After` header.
                ext.set("retryAfter", retry_after_secs);
            })
        }
        ServiceError::Internal(cause) if ServiceError::is_database_outage(&cause) => {
            tracing::warn!(error = ?cause, "database unavailable");
            to_gql(ServiceError::unavailable())
        }
        ServiceError::Internal(cause) => {
            tracing::error!(error = ?cause, "internal error");
            async_graphql::Error::new("服务内部错误，请稍后重试")
                .extend_with(|_, ext| ext.set("code", ErrorCode::Internal.as_str()))
        }
    }
}

/// Splits a mutation outcome: input and business errors become `userErrors`; access and
/// internal errors stay top-level errors.
pub fn split<T>(
    result: Result<T, ServiceError>,
) -> async_graphql::Result<(Option<T>, Vec<UserError>)> {
    match result {
        Ok(value) => Ok((Some(value), Vec::new())),
        Err(ServiceError::Invalid(fields)) => {
            Ok((None, fields.into_iter().map(UserError::from).collect()))
        }
        Err(ServiceError::Coded { code, message })
            if !matches!(
                code,
                ErrorCode::Unauthenticated
                    | ErrorCode::Forbidden
                    | ErrorCode::RateLimited
                    | ErrorCode::Unavailable
            ) =>
        {
            Ok((
                None,
                vec![UserError {
                    field: Vec::new(),
                    code,
                    message,
                }],
            ))
        }
        Err(other) => Err(to_gql(other)),
    }
}

/// Shorthand for query resolvers.
pub trait ResultExt<T> {
    /// Maps the service error onto GraphQL.
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> ResultExt<T> for Result<T, ServiceError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(to_gql)
    }
}
