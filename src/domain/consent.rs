//! Consent vocabulary (PRODUCT.md, "Consent"): who consents, and the texts they agree to.

use sha2::{Digest, Sha256};

use super::order::string_enum;

string_enum!(
    /// Whose consent a text is for.
    ConsentParty {
        Requester => "requester",
        Relative => "relative",
        SubjectWishes => "subject_wishes",
        LivingSubject => "living_subject",
        Actor => "actor",
    }
);

impl ConsentParty {
    /// Parties who sign through an invitation link the customer sends them.
    pub fn signs_by_invitation(self) -> bool {
        matches!(self, Self::Relative | Self::Actor | Self::LivingSubject)
    }
}

string_enum!(
    /// What of the person is processed.
    Modality {
        Face => "face",
        Voice => "voice",
    }
);

string_enum!(
    /// What the processing is for.
    Purpose {
        Training => "training",
        Avatar => "avatar",
        LiveCall => "live_call",
        FamilySharing => "family_sharing",
        Iterations => "iterations",
    }
);

string_enum!(
    /// How the likeness may be used. Public and commercial use only when explicitly granted.
    UseScope {
        PrivateViewing => "private_viewing",
        InteractiveChat => "interactive_chat",
        LiveVideoCall => "live_video_call",
        FamilySharing => "family_sharing",
        Public => "public",
        Commercial => "commercial",
    }
);

string_enum!(
    /// The party's answer.
    ConsentDecision {
        Given => "given",
        Refused => "refused",
    }
);

string_enum!(
    /// What an evidence document proves.
    DocumentType {
        DeathCertificate => "death_certificate",
        ProofOfRelationship => "proof_of_relationship",
        Identity => "identity",
        WrittenWishes => "written_wishes",
    }
);

/// What a consent grants: each modality, purpose and use listed is given; anything not listed
/// is not.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Grants {
    pub modalities: Vec<Modality>,
    pub purposes: Vec<Purpose>,
    #[serde(default)]
    pub scope: Vec<UseScope>,
}

impl Grants {
    /// Sorted and without repeats, so equal grants store and hash alike.
    pub fn normalized(mut self) -> Self {
        fn tidy<T: Copy + Ord>(v: &mut Vec<T>) {
            v.sort();
            v.dedup();
        }
        tidy(&mut self.modalities);
        tidy(&mut self.purposes);
        tidy(&mut self.scope);
        self
    }

    pub fn covers(&self, modalities: &[Modality], purposes: &[Purpose]) -> bool {
        modalities.iter().all(|m| self.modalities.contains(m))
            && purposes.iter().all(|p| self.purposes.contains(p))
    }
}

/// An evidence document cited by a consent: a verified document sample of the order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub sample_id: uuid::Uuid,
    pub document_type: DocumentType,
}

/// The hash a consent record cites: SHA-256 of the text's exact UTF-8 bytes, hex.
pub fn text_hash(body: &str) -> String {
    hex::encode(Sha256::digest(body.as_bytes()))
}

pub const MAX_TEXT_CHARS: usize = 20_000;

/// A BCP 47-ish language tag such as `zh-CN` or `en`: letters, digits and hyphens, 2–35 long.
pub fn valid_language(tag: &str) -> bool {
    (2..=35).contains(&tag.len())
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && tag.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_of_the_exact_bytes() {
        assert_eq!(text_hash("同意"), text_hash("同意"));
        assert_ne!(text_hash("同意"), text_hash("同意 "));
        assert_eq!(text_hash("").len(), 64);
    }

    #[test]
    fn language_tags() {
        assert!(valid_language("zh-CN") && valid_language("en"));
        assert!(!valid_language("") && !valid_language("-en") && !valid_language("zh CN"));
    }
}
