//! Passwords: argon2id hashing with bounded memory (a semaphore caps the hashes computed at
//! once) and verification that costs the same whether or not the account exists.

use super::AccountService;
use crate::error::{ServiceError, ServiceResult};
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

impl AccountService {
    fn argon2(&self) -> Argon2<'static> {
        let s = &self.settings;
        let params = Params::new(
            s.argon2_memory_kib,
            s.argon2_iterations,
            s.argon2_parallelism,
            None,
        )
        .unwrap_or_default();
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// Hashes a password off the async executor.
    pub async fn hash_password(&self, password: &str) -> ServiceResult<String> {
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|e| ServiceError::Internal(e.into()))?;
        let argon = self.argon2();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
        })
        .await
        .map_err(|e| ServiceError::Internal(e.into()))?
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("hashing password: {e}")))
    }

    pub(super) async fn verify_password(&self, password: &str, hash: Option<String>) -> bool {
        let Ok(_permit) = self.hashing.acquire().await else {
            return false;
        };
        let argon = self.argon2();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            // Without a stored hash, verify against a fixed one anyway so that unknown accounts
            // take as long as wrong passwords.
            let stored = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
            PasswordHash::new(&stored)
                .is_ok_and(|parsed| argon.verify_password(password.as_bytes(), &parsed).is_ok())
                && stored != DUMMY_HASH
        })
        .await
        .unwrap_or(false)
    }
}

/// An argon2id hash of a random password nobody knows; verifying against it always fails.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0kU2XfT3f7nQ2j4mCk8G0xkq7+J7m2m8yqk8bq2c3Fo";
