//! C2PA Content Credentials inside every delivered file, beside the GB 45438 label: a manifest
//! signed with the studio's certificate saying the file was created by a trained algorithm
//! (`c2pa.created`, `digitalSourceType` trainedAlgorithmicMedia), who produced it, its content
//! id, and which order it belongs to — the order reference as a keyed hash only the studio can
//! recompute, never in plain words. The manifest's hash binds it to every other byte of the
//! file, the GB label included, so a file changed after signing no longer validates.
//!
//! The signing identity comes from the settings (`content_credentials`: a PEM chain and its
//! key); a studio that configured none gets a development certificate made once in its data
//! directory ([`development`]), and every check of a file it signed says so.
//!
//! Signing and checking read and write files on disk through the `c2pa` crate's blocking
//! streams, so callers run them on the blocking pool.

mod check;
pub mod development;
mod sign;

use std::fmt;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub use c2pa::SigningAlg;
pub use check::{ManifestReport, check_file};
pub use sign::sign_file;

use crate::config::ContentCredentialSettings;

/// The label of the manifest assertion that carries the GB 45438 fields and the hashed order.
pub const AIGC_ASSERTION: &str = "com.keepsake.aigc";

/// Where in the data directory the development certificate is kept.
const CREDENTIALS_DIR: &str = "content-credentials";

/// The studio's signing identity.
pub struct StudioCredentials {
    chain_pem: String,
    key_pem: String,
    alg: SigningAlg,
    development: bool,
    reference_key: [u8; 32],
}

impl fmt::Debug for StudioCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StudioCredentials")
            .field("alg", &self.alg)
            .field("development", &self.development)
            .field("key", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// Why the signing identity could not be loaded, or a file not signed or checked.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} cannot be used: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("making the development certificate: {0}")]
    Generate(String),
    #[error("content credentials: {0}")]
    C2pa(#[from] c2pa::Error),
    #[error("content credentials: {0}")]
    Invalid(String),
}

impl CredentialError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }

    pub(crate) fn unreadable(path: &Path, reason: impl fmt::Display) -> Self {
        Self::Unreadable {
            path: path.to_owned(),
            reason: reason.to_string(),
        }
    }

    fn generate(err: rcgen::Error) -> Self {
        Self::Generate(err.to_string())
    }
}

impl StudioCredentials {
    /// The configured identity, or the development one in `data_dir` when none is configured.
    /// A key that cannot sign is refused here, at start-up, not at the first delivery.
    pub fn load(
        settings: &ContentCredentialSettings,
        data_dir: &Path,
    ) -> Result<Self, CredentialError> {
        let key_pem = settings.private_key().map_err(|e| {
            CredentialError::io(
                settings
                    .private_key_file
                    .as_deref()
                    .unwrap_or(Path::new("")),
                e,
            )
        })?;
        let credentials = match (&settings.certificate_chain_file, key_pem) {
            (Some(chain_file), Some(key_pem)) => {
                let chain_pem = std::fs::read_to_string(chain_file)
                    .map_err(|e| CredentialError::io(chain_file, e))?;
                let alg = settings
                    .signing_algorithm
                    .parse()
                    .map_err(|_| CredentialError::Invalid("unknown signing algorithm".into()))?;
                Self::new(chain_pem, key_pem, alg, false)
            }
            _ => {
                let pair = development::load_or_create(&data_dir.join(CREDENTIALS_DIR))?;
                Self::new(pair.chain_pem, pair.key_pem, SigningAlg::Es256, true)
            }
        };
        credentials.signer()?;
        Ok(credentials)
    }

    /// The identity [`Self::load`] would use, without making one: `None` when the studio
    /// configured none and no development certificate is in `data_dir` (a file checked on
    /// another machine).
    pub fn existing(
        settings: &ContentCredentialSettings,
        data_dir: &Path,
    ) -> Result<Option<Self>, CredentialError> {
        if settings.configured() || development::exists(&data_dir.join(CREDENTIALS_DIR)) {
            Self::load(settings, data_dir).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A development identity made in memory and kept nowhere (for benches on throw-away data).
    pub fn throwaway_development() -> Result<Self, CredentialError> {
        let pair = development::generate()?;
        Ok(Self::new(
            pair.chain_pem,
            pair.key_pem,
            SigningAlg::Es256,
            true,
        ))
    }

    fn new(chain_pem: String, key_pem: String, alg: SigningAlg, development: bool) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"keepsake order reference key v1\0");
        hasher.update(key_pem.as_bytes());
        Self {
            reference_key: hasher.finalize().into(),
            chain_pem,
            key_pem,
            alg,
            development,
        }
    }

    /// Whether this is the development certificate made in the data directory.
    pub fn is_development(&self) -> bool {
        self.development
    }

    /// The chain's last certificate: the anchor the studio's own files are checked against.
    fn anchor_pem(&self) -> Option<String> {
        pem::parse_many(&self.chain_pem)
            .ok()?
            .into_iter()
            .rfind(|block| block.tag() == "CERTIFICATE")
            .map(|block| pem::encode(&block))
    }

    fn signer(&self) -> Result<c2pa::BoxedSigner, CredentialError> {
        Ok(c2pa::create_signer::from_keys(
            self.chain_pem.as_bytes(),
            self.key_pem.as_bytes(),
            self.alg,
            None,
        )?)
    }

    /// The order reference as the manifest keeps it: HMAC-SHA-256 under a key derived from the
    /// signing key, so the studio can confirm a file's order and nobody can list references.
    pub fn reference_digest(&self, reference: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.reference_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(reference.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}
