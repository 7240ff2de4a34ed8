//! Opaque bearer tokens: `qx<kind>.<random>.<mac>` (base64url parts, so `.` never occurs in them). The MAC (HMAC-SHA256 under the signing
//! secret) rejects forged or foreign tokens without touching the database; the database holds
//! only the SHA-256 of each token, so a leaked table yields no usable token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Short-lived, authorises requests.
    Access,
    /// Longer-lived, buys a new access token once.
    Refresh,
    /// A named token for scripts and connectors, revocable by its owner.
    Personal,
}

impl TokenKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "ACCESS",
            Self::Refresh => "REFRESH",
            Self::Personal => "PERSONAL",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Self::Access => "qxa",
            Self::Refresh => "qxr",
            Self::Personal => "qxp",
        }
    }

    fn from_prefix(p: &str) -> Option<Self> {
        match p {
            "qxa" => Some(Self::Access),
            "qxr" => Some(Self::Refresh),
            "qxp" => Some(Self::Personal),
            _ => None,
        }
    }
}

/// Signs and checks tokens with one secret.
#[derive(Clone)]
pub struct TokenSigner {
    secret: Vec<u8>,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSigner(..)")
    }
}

impl TokenSigner {
    /// A signer over `secret`.
    pub fn new(secret: &[u8]) -> Self {
        Self {
            secret: secret.to_vec(),
        }
    }

    fn mac(&self, kind: TokenKind, random: &str) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(kind.prefix().as_bytes());
        mac.update(random.as_bytes());
        URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..24])
    }

    /// A fresh token of `kind`.
    pub fn issue(&self, kind: TokenKind) -> String {
        let mut bytes = [0u8; 32];
        argon2::password_hash::rand_core::RngCore::fill_bytes(
            &mut argon2::password_hash::rand_core::OsRng,
            &mut bytes,
        );
        let random = URL_SAFE_NO_PAD.encode(bytes);
        let mac = self.mac(kind, &random);
        format!("{}.{random}.{mac}", kind.prefix())
    }

    /// The kind of a token whose MAC is right, else `None`.
    pub fn verify(&self, token: &str) -> Option<TokenKind> {
        let mut parts = token.splitn(3, '.');
        let kind = TokenKind::from_prefix(parts.next()?)?;
        let random = parts.next()?;
        let given = parts.next()?;
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.secret).ok()?;
        mac.update(kind.prefix().as_bytes());
        mac.update(random.as_bytes());
        let given = URL_SAFE_NO_PAD.decode(given).ok()?;
        mac.verify_truncated_left(&given).ok()?;
        (given.len() == 24).then_some(kind)
    }
}

/// The stored form of a token.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A random session id shared by an access token and its refresh token.
pub fn session_id() -> String {
    let mut bytes = [0u8; 16];
    argon2::password_hash::rand_core::RngCore::fill_bytes(
        &mut argon2::password_hash::rand_core::OsRng,
        &mut bytes,
    );
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_and_tampered_or_foreign_ones_do_not() {
        let signer = TokenSigner::new(b"0123456789abcdef0123456789abcdef");
        let token = signer.issue(TokenKind::Access);
        assert_eq!(signer.verify(&token), Some(TokenKind::Access));
        let mut tampered = token.clone().into_bytes();
        let i = 10;
        tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
        assert_eq!(signer.verify(&String::from_utf8(tampered).unwrap()), None);
        let other = TokenSigner::new(b"another-secret-another-secret-xx");
        assert_eq!(
            other.verify(&token),
            None,
            "a token signed with another key is refused"
        );
        assert_eq!(
            signer.verify(&token.replacen("qxa", "qxp", 1)),
            None,
            "the kind is signed too"
        );
        assert_eq!(signer.verify("garbage"), None);
        assert_ne!(hash(&token), token);
    }
}
