//! Session and CSRF tokens: 256 random bits, sent to the client once, stored only as SHA-256.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_long_random_and_stored_hashed() {
        let (a, b) = (super::new_token(), super::new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "256 bits in base64url");
        assert_eq!(super::digest(&a).len(), 64);
        assert_ne!(super::digest(&a), a);
    }
}
