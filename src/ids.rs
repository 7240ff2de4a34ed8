//! Global ids: how a row is named outside the service (the API's `ID`s, the keys pushed to
//! partner markets). A global id is `base64url("Type:n")`, where `n` is the row id under a
//! keyed permutation of the 32-bit numbers, so an id says nothing of how many rows, hidden
//! ones included, were made before or between the ones a caller can see.

use crate::error::{ErrorCode, ServiceError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Types that have global ids. Each number takes part in its type's permutation: never
/// change or reuse one, or every id of that type changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum NodeType {
    /// An organisation.
    Organization = 0,
    /// A research result.
    Achievement = 1,
    /// A technology need.
    Need = 2,
    /// A user account.
    User = 3,
    /// A request to join an organisation.
    MembershipRequest = 4,
    /// A personal API token.
    Token = 5,
    /// A pairing (对接).
    Pairing = 6,
    /// A notification.
    Notification = 7,
    /// A saved search.
    SavedSearch = 8,
}

impl NodeType {
    /// The type of a listing of `kind`.
    pub fn of_listing(kind: crate::db::outbox::ListingKind) -> Self {
        match kind {
            crate::db::outbox::ListingKind::Achievement => Self::Achievement,
            crate::db::outbox::ListingKind::Need => Self::Need,
        }
    }

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

/// Turns row ids into global ids and back. A global id is `base64url("Type:n")` where `n` is
/// the row id under a keyed permutation of the 32-bit numbers, so ids say nothing of how many
/// rows, hidden ones included, were made between two that a caller can see, and cannot be
/// guessed from one another. The key comes from the signing secret: every replica of a
/// deployment agrees, and another deployment's ids mean nothing here.
#[derive(Clone)]
pub struct IdCodec {
    /// SHA-256 after absorbing one 64-byte block of key: each round's function starts here.
    keyed: Sha256,
}

/// Rounds of the Feistel network over two 16-bit halves; ten keep the permutation far from
/// what a caller could tell apart from a random one with the few thousand ids it can see.
const ROUNDS: u8 = 10;

impl IdCodec {
    /// The codec of a deployment whose tokens are signed with `signing_secret`.
    pub fn new(signing_secret: &[u8]) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(signing_secret).expect("any key");
        mac.update(b"qianxian global ids v1");
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&mac.finalize().into_bytes());
        Self {
            keyed: Sha256::new_with_prefix(block),
        }
    }

    fn round(&self, kind: NodeType, round: u8, half: u16) -> u16 {
        let [hi, lo] = half.to_be_bytes();
        let digest = self
            .keyed
            .clone()
            .chain_update([kind as u8, round, hi, lo])
            .finalize();
        u16::from_be_bytes([digest[0], digest[1]])
    }

    fn permute(&self, kind: NodeType, n: u32) -> u32 {
        let (mut left, mut right) = ((n >> 16) as u16, n as u16);
        for round in 0..ROUNDS {
            (left, right) = (right, left ^ self.round(kind, round, right));
        }
        (u32::from(left) << 16) | u32::from(right)
    }

    fn unpermute(&self, kind: NodeType, n: u32) -> u32 {
        let (mut left, mut right) = ((n >> 16) as u16, n as u16);
        for round in (0..ROUNDS).rev() {
            (left, right) = (right ^ self.round(kind, round, left), left);
        }
        (u32::from(left) << 16) | u32::from(right)
    }

    /// The global id of row `id` of type `kind`, as text.
    pub fn encode(&self, kind: NodeType, id: i32) -> String {
        let n = self.permute(kind, id as u32);
        URL_SAFE_NO_PAD.encode(format!("{}:{n}", kind.name()))
    }

    /// Decodes any global id.
    pub fn decode_any(&self, id: &str) -> Result<(NodeType, i32), ServiceError> {
        let invalid = || ServiceError::coded(ErrorCode::InvalidId, format!("无效的对象 ID：{id}"));
        let bytes = URL_SAFE_NO_PAD.decode(id.trim()).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let (name, raw) = text.split_once(':').ok_or_else(invalid)?;
        let kind = NodeType::from_name(name).ok_or_else(invalid)?;
        // One spelling per id: no sign, no leading zeros.
        let n = raw
            .parse::<u32>()
            .ok()
            .filter(|n| n.to_string() == raw)
            .ok_or_else(invalid)?;
        let row = i32::try_from(self.unpermute(kind, n))
            .ok()
            .filter(|row| *row > 0)
            .ok_or_else(invalid)?;
        Ok((kind, row))
    }

    /// Decodes a global id that must name `expected`.
    pub fn decode(&self, id: &str, expected: NodeType) -> Result<i32, ServiceError> {
        match self.decode_any(id)? {
            (kind, num) if kind == expected => Ok(num),
            _ => Err(ServiceError::coded(
                ErrorCode::InvalidId,
                format!("ID {id} 不是{}的 ID", type_label(expected)),
            )),
        }
    }
}

impl std::fmt::Debug for IdCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdCodec(…)")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip_and_check_their_type() {
        let codec = IdCodec::new(b"a test secret");
        let id = codec.encode(NodeType::Need, 42);
        assert_eq!(codec.decode_any(&id).ok(), Some((NodeType::Need, 42)));
        assert_eq!(codec.decode(&id, NodeType::Need).ok(), Some(42));
        let err = codec
            .decode(&id, NodeType::Achievement)
            .expect_err("wrong type");
        assert_eq!(err.code(), ErrorCode::InvalidId);
        assert!(codec.decode_any("not-an-id!").is_err());
        assert!(
            codec
                .decode_any(&URL_SAFE_NO_PAD.encode("Need:-1"))
                .is_err()
        );
        assert!(
            codec
                .decode_any(&URL_SAFE_NO_PAD.encode("Need:4294967296"))
                .is_err()
        );
    }

    #[test]
    fn global_ids_hide_the_row_id_and_its_neighbours() {
        let codec = IdCodec::new(b"a test secret");
        let number = |kind, id| {
            let text = String::from_utf8(URL_SAFE_NO_PAD.decode(codec.encode(kind, id)).unwrap());
            text.unwrap()
                .split_once(':')
                .unwrap()
                .1
                .parse::<u32>()
                .unwrap()
        };
        let needs: Vec<u32> = (1..=1000).map(|id| number(NodeType::Need, id)).collect();
        assert!(
            needs.iter().all(|n| !(1..=1000).contains(n)),
            "row ids show through"
        );
        let rising = needs.windows(2).filter(|w| w[1] > w[0]).count();
        assert!(
            (400..600).contains(&rising),
            "neighbours keep their order: {rising}/999"
        );
        let mut distinct = needs.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), needs.len());
        assert_ne!(number(NodeType::Achievement, 7), number(NodeType::Need, 7));
        let other = IdCodec::new(b"another deployment");
        assert_ne!(
            other.encode(NodeType::Need, 7),
            codec.encode(NodeType::Need, 7)
        );
        assert_eq!(
            other
                .decode_any(&other.encode(NodeType::User, i32::MAX))
                .ok(),
            Some((NodeType::User, i32::MAX))
        );
    }
}
