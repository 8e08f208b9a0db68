//! Password hashing with Argon2id (the `argon2` crate, default parameters: 19 MiB, 2 passes).
//! Hashing is deliberately slow, so it runs on the blocking pool, never on the async workers.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

pub async fn hash(password: String) -> Result<String, HashError> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| HashError(e.to_string()))
    })
    .await
    .map_err(|e| HashError(e.to_string()))?
}

/// Does `password` match `stored`? A malformed stored hash matches nothing.
pub async fn verify(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// Verify against the hash of a password nobody has, so a login for an unknown email costs
/// the same time as one for a known email (no account enumeration by timing).
pub async fn waste_time(password: String) {
    static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    if let Ok(decoy) = DECOY
        .get_or_try_init(|| hash(super::token::new_token()))
        .await
    {
        let _ = verify(password, decoy.clone()).await;
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let stored = super::hash("correct horse battery".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(super::verify("correct horse battery".into(), stored.clone()).await);
        assert!(!super::verify("correct horse battery!".into(), stored).await);
        assert!(!super::verify("x".into(), "not a hash".into()).await);
    }
}
