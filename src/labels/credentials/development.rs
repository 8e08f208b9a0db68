//! The development signing certificate: made once, on a studio that configured none, into
//! `{data_dir}/content-credentials/` (chain and key, mode 0600), so the embedded default signs
//! every deliverable out of the box and restarts keep one identity.
//!
//! C2PA refuses a self-signed signer, so it is a pair: a development root that signs an
//! end-entity certificate whose profile C2PA accepts (digitalSignature, the emailProtection
//! purpose, authority and subject key identifiers, P-256). Both name the organisation
//! [`ORGANIZATION`], which is how anyone verifying a file sees "development certificate": no
//! real studio's certificate says that.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};

use super::CredentialError;

/// The organisation both development certificates name.
pub const ORGANIZATION: &str = "Keepsake development certificate";

/// One file holds the chain and the key, so it is written whole or not at all.
const FILE: &str = "development.pem";

/// How long the development certificates are valid: long enough never to lapse under a
/// developer, since no time-stamp authority vouches for when a file was signed.
const VALID_YEARS: i32 = 20;

/// The chain (signer first, then the root) and the signer's PKCS#8 key, as PEM.
pub struct DevelopmentPair {
    pub chain_pem: String,
    pub key_pem: String,
}

/// Whether a pair was made in `dir`.
pub fn exists(dir: &Path) -> bool {
    dir.join(FILE).is_file()
}

/// The pair in `dir`, made there first if it is not. Two processes starting at once agree on
/// one: each writes its own to a private file, and only the first link to the shared name wins.
pub fn load_or_create(dir: &Path) -> Result<DevelopmentPair, CredentialError> {
    let path = dir.join(FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => return split(&text, &path),
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            return Err(CredentialError::io(&path, err));
        }
        Err(_) => {}
    }
    std::fs::create_dir_all(dir).map_err(|e| CredentialError::io(dir, e))?;
    let pair = generate()?;
    let mine = dir.join(format!(".{FILE}.{}", std::process::id()));
    write_private(
        &mine,
        format!("{}{}", pair.chain_pem, pair.key_pem).as_bytes(),
    )?;
    let linked = std::fs::hard_link(&mine, &path);
    let _ = std::fs::remove_file(&mine);
    match linked {
        Ok(()) => Ok(pair),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(&path).map_err(|e| CredentialError::io(&path, e))?;
            split(&text, &path)
        }
        Err(err) => Err(CredentialError::io(&path, err)),
    }
}

/// The certificates and the key of a stored pair.
fn split(text: &str, path: &Path) -> Result<DevelopmentPair, CredentialError> {
    let blocks = pem::parse_many(text).map_err(|e| CredentialError::unreadable(path, e))?;
    let mut pair = DevelopmentPair {
        chain_pem: String::new(),
        key_pem: String::new(),
    };
    for block in blocks {
        match block.tag() {
            "CERTIFICATE" => pair.chain_pem.push_str(&pem::encode(&block)),
            "PRIVATE KEY" => pair.key_pem = pem::encode(&block),
            _ => {}
        }
    }
    if pair.chain_pem.is_empty() || pair.key_pem.is_empty() {
        return Err(CredentialError::unreadable(
            path,
            "it should hold the development certificates and their key",
        ));
    }
    Ok(pair)
}

/// A new root and signer.
pub fn generate() -> Result<DevelopmentPair, CredentialError> {
    let now = time::OffsetDateTime::now_utc();
    let until = now
        .replace_year(now.year() + VALID_YEARS)
        .unwrap_or(now + time::Duration::days(365 * i64::from(VALID_YEARS)));

    let root_key = KeyPair::generate().map_err(CredentialError::generate)?;
    let mut root = CertificateParams::default();
    root.distinguished_name = name("Keepsake development root");
    root.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    root.not_before = now - time::Duration::days(1);
    root.not_after = until;
    let root_cert = root
        .self_signed(&root_key)
        .map_err(CredentialError::generate)?;
    let issuer = Issuer::new(root, root_key);

    let signer_key = KeyPair::generate().map_err(CredentialError::generate)?;
    let mut signer = CertificateParams::default();
    signer.distinguished_name = name("Keepsake development signer — not a studio's identity");
    signer.is_ca = IsCa::ExplicitNoCa;
    signer.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    signer.extended_key_usages = vec![ExtendedKeyUsagePurpose::EmailProtection];
    signer.use_authority_key_identifier_extension = true;
    signer.not_before = now - time::Duration::days(1);
    signer.not_after = until;
    let signer_cert = signer
        .signed_by(&signer_key, &issuer)
        .map_err(CredentialError::generate)?;

    Ok(DevelopmentPair {
        chain_pem: format!("{}{}", signer_cert.pem(), root_cert.pem()),
        key_pem: signer_key.serialize_pem(),
    })
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, ORGANIZATION);
    name.push(DnType::CommonName, common_name);
    name
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CredentialError> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| CredentialError::io(path, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| CredentialError::io(path, e))
}
