//! Global object ids (`node(id:)`) and pagination cursors, both opaque base64url strings.
//!
//! Resolvers name an object by its row id ([`GlobalId`]); the services' [`IdCodec`] turns that
//! into text when the response is written, and turns the ids callers send back into row ids.

pub use crate::ids::{IdCodec, NodeType};

use crate::error::{ErrorCode, ServiceError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A global id to be written out: the type and the row id, encoded with the deployment's key
/// when a response is written. Its GraphQL type is the built-in `ID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalId(pub NodeType, pub i32);

/// The global id of row `id` of type `kind`.
pub fn encode(kind: NodeType, id: i32) -> GlobalId {
    GlobalId(kind, id)
}

impl async_graphql::OutputType for GlobalId {
    fn type_name() -> std::borrow::Cow<'static, str> {
        <async_graphql::ID as async_graphql::OutputType>::type_name()
    }

    fn create_type_info(registry: &mut async_graphql::registry::Registry) -> String {
        <async_graphql::ID as async_graphql::OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &async_graphql::ContextSelectionSet<'_>,
        _field: &async_graphql::Positioned<async_graphql::parser::types::Field>,
    ) -> async_graphql::ServerResult<async_graphql::Value> {
        let services = ctx.data_unchecked::<crate::service::Services>();
        let text = services.context().ids.encode(self.0, self.1);
        Ok(async_graphql::Value::String(text))
    }
}
impl IdCodec {
    /// The codec of the services a request is served by.
    pub fn of<'a>(ctx: &'a async_graphql::Context<'_>) -> &'a Self {
        &ctx.data_unchecked::<crate::service::Services>()
            .context()
            .ids
    }
}

/// Encodes the cursor of the item at `offset`.
pub fn cursor(offset: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

/// Decodes a cursor this service issued.
pub fn decode_cursor(cursor: &str) -> Result<u64, ServiceError> {
    URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("offset:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| {
            ServiceError::coded(
                ErrorCode::InvalidCursor,
                "分页游标无效，请使用上一页返回的 cursor / endCursor",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor(&cursor(17)).ok(), Some(17));
        assert_eq!(
            decode_cursor("bogus").map_err(|e| e.code()).err(),
            Some(ErrorCode::InvalidCursor)
        );
    }
}
