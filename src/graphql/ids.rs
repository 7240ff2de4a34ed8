//! Global object ids (`node(id:)`) and pagination cursors, both opaque base64url strings.

use crate::error::{ErrorCode, ServiceError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Types that have global ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeType {
    /// An organisation.
    Organization,
    /// A research result.
    Achievement,
    /// A technology need.
    Need,
    /// A user account.
    User,
    /// A request to join an organisation.
    MembershipRequest,
    /// A personal API token.
    Token,
    /// A pairing (对接).
    Pairing,
    /// A notification.
    Notification,
    /// A saved search.
    SavedSearch,
}

impl NodeType {
    fn name(self) -> &'static str {
        match self {
            Self::Organization => "Organization",
            Self::Achievement => "Achievement",
            Self::Need => "Need",
            Self::User => "User",
            Self::MembershipRequest => "MembershipRequest",
            Self::Token => "PersonalToken",
            Self::Pairing => "Pairing",
            Self::Notification => "Notification",
            Self::SavedSearch => "SavedSearch",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "Organization" => Some(Self::Organization),
            "Achievement" => Some(Self::Achievement),
            "Need" => Some(Self::Need),
            "User" => Some(Self::User),
            "MembershipRequest" => Some(Self::MembershipRequest),
            "PersonalToken" => Some(Self::Token),
            "Pairing" => Some(Self::Pairing),
            "Notification" => Some(Self::Notification),
            "SavedSearch" => Some(Self::SavedSearch),
            _ => None,
        }
    }
}

/// Encodes a global id.
pub fn encode(kind: NodeType, id: i32) -> async_graphql::ID {
    async_graphql::ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name())))
}

/// Decodes any global id.
pub fn decode_any(id: &str) -> Result<(NodeType, i32), ServiceError> {
    let invalid = || ServiceError::coded(ErrorCode::InvalidId, format!("无效的对象 ID：{id}"));
    let bytes = URL_SAFE_NO_PAD.decode(id.trim()).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (name, raw) = text.split_once(':').ok_or_else(invalid)?;
    let kind = NodeType::from_name(name).ok_or_else(invalid)?;
    let num = raw
        .parse::<i32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(invalid)?;
    Ok((kind, num))
}

/// Decodes a global id that must name `expected`.
pub fn decode(id: &str, expected: NodeType) -> Result<i32, ServiceError> {
    match decode_any(id)? {
        (kind, num) if kind == expected => Ok(num),
        _ => Err(ServiceError::coded(
            ErrorCode::InvalidId,
            format!("ID {id} 不是{}的 ID", type_label(expected)),
        )),
    }
}

fn type_label(kind: NodeType) -> &'static str {
    match kind {
        NodeType::Organization => "机构",
        NodeType::Achievement => "科技成果",
        NodeType::Need => "技术需求",
        NodeType::User => "用户",
        NodeType::MembershipRequest => "加入申请",
        NodeType::Token => "令牌",
        NodeType::Pairing => "对接",
        NodeType::Notification => "消息",
        NodeType::SavedSearch => "订阅",
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
    fn global_ids_round_trip_and_check_their_type() {
        let id = encode(NodeType::Need, 42);
        assert_eq!(decode_any(&id).ok(), Some((NodeType::Need, 42)));
        assert_eq!(decode(&id, NodeType::Need).ok(), Some(42));
        let err = decode(&id, NodeType::Achievement).expect_err("wrong type");
        assert_eq!(err.code(), ErrorCode::InvalidId);
        assert!(decode_any("not-an-id!").is_err());
        assert!(decode_any(&URL_SAFE_NO_PAD.encode("Need:-1")).is_err());
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor(&cursor(17)).ok(), Some(17));
        assert_eq!(
            decode_cursor("bogus").map_err(|e| e.code()).err(),
            Some(ErrorCode::InvalidCursor)
        );
    }
}
