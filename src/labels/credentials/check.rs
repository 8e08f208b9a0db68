//! Checking a file's manifest: read by the `c2pa` crate, which validates the signature, the
//! certificate's profile and every hash binding the manifest to the file's bytes. The report
//! says how far it got (invalid / valid / trusted), why it failed, who signed — "development
//! certificate" when it was the generated one — and what the studio's assertion says.

use std::path::Path;

use c2pa::{Context, Reader, ValidationState};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{AIGC_ASSERTION, CredentialError, StudioCredentials, development};

/// What a file's C2PA manifest says and whether it holds.
#[derive(Debug, Clone, Serialize)]
pub struct ManifestReport {
    /// `invalid`: the signature, the certificate or a hash does not hold (see `failures`);
    /// `valid`: it holds, signed by a certificate this check does not trust; `trusted`: it
    /// holds and the signer chains to the studio's own certificate.
    pub state: &'static str,
    /// The C2PA status codes of what failed (`assertion.dataHash.mismatch`, …).
    pub failures: Vec<String>,
    /// The signing certificate's organisation and common name.
    pub signed_by: Option<String>,
    pub signer_common_name: Option<String>,
    /// Signed with a Keepsake development certificate, not a studio's real identity.
    pub development_certificate: bool,
    /// The `c2pa.created` action's digital source type.
    pub digital_source_type: Option<String>,
    /// The studio's assertion: GB 45438 fields and the keyed hash of the order reference.
    pub aigc: Option<AigcAssertion>,
}

impl ManifestReport {
    /// The manifest holds: signature, certificate and every hash.
    pub fn holds(&self) -> bool {
        self.state != "invalid"
    }
}

/// The studio's own assertion inside the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AigcAssertion {
    pub label: String,
    pub content_producer: String,
    pub produce_id: String,
    pub content_propagator: String,
    pub order_reference_hmac_sha256: String,
}

/// Check the manifest in the `mime` file at `path`; `None` when it carries none. With the
/// studio's credentials a file it signed comes out `trusted`. Blocking.
pub fn check_file(
    path: &Path,
    mime: &str,
    studio: Option<&StudioCredentials>,
) -> Result<Option<ManifestReport>, CredentialError> {
    let file = std::fs::File::open(path).map_err(|e| CredentialError::io(path, e))?;
    let anchors = studio.and_then(StudioCredentials::anchor_pem);
    let reader = match Reader::from_context(context(anchors)?).with_stream(mime, file) {
        Ok(reader) => reader,
        Err(c2pa::Error::JumbfNotFound | c2pa::Error::ProvenanceMissing) => return Ok(None),
        Err(err) => {
            return Ok(Some(ManifestReport::unreadable(&err)));
        }
    };
    let Some(manifest) = reader.active_manifest() else {
        return Ok(None);
    };
    let failures = reader
        .validation_results()
        .and_then(|results| results.active_manifest())
        .map(|codes| {
            codes
                .failure()
                .iter()
                .map(|s| s.code().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let signature = manifest.signature_info();
    let signed_by = signature.and_then(|s| s.issuer.clone());
    let actions: Option<c2pa::assertions::Actions> = manifest
        .find_assertion(c2pa::assertions::Actions::LABEL)
        .ok();
    let digital_source_type = actions.and_then(|actions| {
        actions
            .actions
            .iter()
            .find(|action| action.action() == c2pa::assertions::c2pa_action::CREATED)
            .and_then(|action| action.source_type().map(|t| t.to_string()))
    });
    Ok(Some(ManifestReport {
        state: match reader.validation_state() {
            ValidationState::Invalid => "invalid",
            ValidationState::Valid => "valid",
            ValidationState::Trusted => "trusted",
        },
        failures,
        development_certificate: signed_by.as_deref() == Some(development::ORGANIZATION),
        signed_by,
        signer_common_name: signature.and_then(|s| s.common_name.clone()),
        digital_source_type,
        aigc: manifest.find_assertion(AIGC_ASSERTION).ok(),
    }))
}

impl ManifestReport {
    /// A manifest store was found but could not even be parsed.
    fn unreadable(err: &c2pa::Error) -> Self {
        Self {
            state: "invalid",
            failures: vec![format!("unreadable: {err}")],
            signed_by: None,
            signer_common_name: None,
            development_certificate: false,
            digital_source_type: None,
            aigc: None,
        }
    }
}

/// Trust only the studio's own root (when given); never fetch anything.
fn context(anchors: Option<String>) -> Result<Context, CredentialError> {
    let mut settings = json!({
        "verify": {
            "verify_trust": true,
            "remote_manifest_fetch": false,
            "ocsp_fetch": false,
        },
        "builder": { "thumbnail": { "enabled": false } },
    });
    if let Some(anchors) = anchors {
        settings["trust"] = json!({ "user_anchors": anchors });
    }
    Ok(Context::new().with_settings(settings)?)
}
