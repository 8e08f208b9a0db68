//! Every stable problem `code` the API answers with, in one closed list, each with what it
//! means for a client. A handler cannot invent a code: `AppError` takes a [`Code`], so a new
//! one is added here (with its description) or not at all. `docs/api.md` carries the same
//! table, and a test keeps the two in step.
//!
//! A leaf module (it imports nothing of the crate), so the domain's refusals can name their
//! code without the domain depending on the error type and what it converts from.

macro_rules! codes {
    ($($variant:ident = $wire:literal => $description:literal,)*) => {
        /// A stable machine-readable problem code (the `code` member of every problem document).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in the order listed.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as it appears on the wire (snake_case).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $wire,)*
                }
            }

            /// What the code means for a client, in one sentence.
            pub const fn description(self) -> &'static str {
                match self {
                    $(Code::$variant => $description,)*
                }
            }
        }
    };
}

codes! {
    ActorConsentMissing = "actor_consent_missing" => "The live session names no usable actor consent on this order (given, not withdrawn, granting the face for the live call).",
    ActorConsentWithdrawn = "actor_consent_withdrawn" => "The actor's consent was withdrawn since booking, so the session cannot be logged as held.",
    AdminsOnly = "admins_only" => "Only admins may do this.",
    AiLabelShownRequired = "ai_label_shown_required" => "A session log must say whether the on-screen AI label was shown (`ai_label_shown`).",
    AlreadyErased = "already_erased" => "The order was already erased; there is nothing left to erase.",
    AlreadyLogged = "already_logged" => "The live session was already logged.",
    AlreadyReviewed = "already_reviewed" => "The flagged live session was already reviewed.",
    AlreadySigned = "already_signed" => "This person already signed as this party on the order; withdraw that consent to sign again.",
    AlreadySignedOff = "already_signed_off" => "Quality was already signed off for this order.",
    AlreadyWithdrawn = "already_withdrawn" => "The consent was already withdrawn.",
    BodyNotObject = "body_not_object" => "The request body must be a JSON object, not an array, string, number, boolean or null.",
    BodyTooLarge = "body_too_large" => "The request body is larger than this endpoint accepts.",
    CannotLockOutYourself = "cannot_lock_out_yourself" => "An admin cannot disable their own account or drop their own admin role.",
    ChangedDuringVerification = "changed_during_verification" => "The stored file was replaced while it was being verified; upload it again.",
    ChecksumMismatch = "checksum_mismatch" => "The uploaded file's SHA-256 differs from the one declared: it was damaged or changed in transit.",
    ConfirmationMismatch = "confirmation_mismatch" => "The confirmation does not match the order's reference.",
    ConsentNotFound = "consent_not_found" => "No such consent on this order.",
    ConsentRequired = "consent_required" => "The iteration needs fresh consent before it can start; `detail` names what is missing.",
    ConsentTextNotFound = "consent_text_not_found" => "No such consent text.",
    ConsentTextOutdated = "consent_text_outdated" => "A newer version of this consent text was published; read and sign that one.",
    ConsentsClosed = "consents_closed" => "The order no longer takes consents (they are signed before production).",
    ConsentsMissing = "consents_missing" => "Consent cannot be approved while required consents are missing; `detail` names them.",
    ContentTypeNotAllowed = "content_type_not_allowed" => "This content type is not accepted for this kind of upload.",
    CorrectionsNotTaken = "corrections_not_taken" => "Only a correction request takes `corrections`.",
    CorrectionsRequired = "corrections_required" => "A correction request must name the subject details to correct.",
    CsrfTokenMissing = "csrf_token_missing" => "A change made with a session cookie needs the session's `X-CSRF-Token` header.",
    CurrencyMismatch = "currency_mismatch" => "The entry's currency is not the order's currency (fixed by its first quote).",
    CustomersOnly = "customers_only" => "Only customer accounts place orders.",
    DeliverableInProgress = "deliverable_in_progress" => "A deliverable is still uploading or being verified; finish it before delivering.",
    DeliverableMissing = "deliverable_missing" => "A deliverable is no longer in the file store.",
    DeliverableNotFound = "deliverable_not_found" => "No such deliverable on this order.",
    DeliverableNotVerified = "deliverable_not_verified" => "Only verified deliverables can be downloaded.",
    DeliverablePurged = "deliverable_purged" => "The deliverable's file was purged and can no longer be downloaded.",
    DetailsTooLong = "details_too_long" => "The request's details are longer than allowed.",
    EmailTaken = "email_taken" => "An account with this email already exists.",
    EmptyFile = "empty_file" => "The uploaded file is empty.",
    EmptyGrant = "empty_grant" => "A consent must grant at least one modality and one purpose.",
    EvidenceRequired = "evidence_required" => "The subject's wishes must be cited from a document as `written_wishes` evidence.",
    ExportGone = "export_gone" => "The order was erased after this export was made; the export is gone.",
    FileTooLarge = "file_too_large" => "The file is larger than this kind of upload allows.",
    IdempotencyKeyRequired = "idempotency_key_required" => "This request needs an `Idempotency-Key` header.",
    IdempotencyKeyReused = "idempotency_key_reused" => "This `Idempotency-Key` was already used for a different request.",
    IdempotencyRequestInProgress = "idempotency_request_in_progress" => "A request with this `Idempotency-Key` is still being processed; retry shortly.",
    IfMatchRequired = "if_match_required" => "This change needs an `If-Match` header with the resource's current ETag.",
    InquiryContactInvalid = "inquiry_contact_invalid" => "An inquiry needs a way to reach its sender: 3 to 200 characters on one line.",
    InquiryMessageInvalid = "inquiry_message_invalid" => "An inquiry needs a few words: 1 to 2000 characters.",
    InquiryNameInvalid = "inquiry_name_invalid" => "An inquiry needs a name: 1 to 100 characters on one line.",
    IntakeIncomplete = "intake_incomplete" => "The order's intake is not complete; `detail` lists what is missing.",
    InternalError = "internal_error" => "Something failed on the server; it has been logged. Try again later.",
    InvalidAmount = "invalid_amount" => "The amount must be a whole number of minor units within the allowed range.",
    InvalidBody = "invalid_body" => "A field of the request body is missing or has the wrong type or value; `field` names it.",
    InvalidConsentText = "invalid_consent_text" => "The consent text to publish is not valid; `detail` says why.",
    InvalidCurrency = "invalid_currency" => "The currency must be an ISO 4217 code such as `CNY`.",
    InvalidCursor = "invalid_cursor" => "The paging cursor is not one this API issued.",
    InvalidDuration = "invalid_duration" => "The session's duration is outside the allowed range.",
    InvalidEmail = "invalid_email" => "The email address is not valid.",
    InvalidEvidence = "invalid_evidence" => "The cited evidence is not valid (for example a sample cited twice or not on this order).",
    InvalidFileName = "invalid_file_name" => "The file name is empty, too long or has characters that cannot be printed.",
    InvalidIdempotencyKey = "invalid_idempotency_key" => "The `Idempotency-Key` must be 1 to 255 visible ASCII characters.",
    InvalidIfMatch = "invalid_if_match" => "`If-Match` must be an ETag such as `\"v3\"`.",
    InvalidIntake = "invalid_intake" => "An intake answer or subject detail is not valid; `field` names it.",
    InvalidInviteeName = "invalid_invitee_name" => "The invitee's name must be 1 to 200 characters.",
    InvalidLabelText = "invalid_label_text" => "The label text must be 1 to 500 printable characters.",
    InvalidLimit = "invalid_limit" => "The page size (`limit`) is outside the allowed range.",
    InvalidNote = "invalid_note" => "The note is empty or too long.",
    InvalidNotes = "invalid_notes" => "The session's notes are too long.",
    InvalidPartList = "invalid_part_list" => "Too few or too many upload parts were asked for in one request.",
    InvalidPartNumber = "invalid_part_number" => "A part number is not one of this upload's parts.",
    InvalidParticipants = "invalid_participants" => "A live session has 1 to 20 participants.",
    InvalidParts = "invalid_parts" => "The list of uploaded parts does not match the upload.",
    InvalidQuery = "invalid_query" => "A query parameter is missing or has the wrong type or value; `field` names it.",
    InvalidRange = "invalid_range" => "The date range is empty or reversed.",
    InvalidReference = "invalid_reference" => "The order reference is not in the form `KS-2026-000123`.",
    InvalidSchedule = "invalid_schedule" => "The session time must be in the future and within a year.",
    InvalidSha256 = "invalid_sha256" => "A SHA-256 must be 64 hexadecimal digits.",
    InvalidSignerName = "invalid_signer_name" => "The signer's name must be 1 to 200 characters.",
    InvalidTemplate = "invalid_template" => "The stage template is not valid; `detail` says why.",
    InvalidTransition = "invalid_transition" => "This step is not possible from where the order, iteration or request now stands.",
    InvitationExpired = "invitation_expired" => "The invitation link has expired; ask for a new one.",
    InvitationNotFound = "invitation_not_found" => "No such invitation for this order.",
    InvitationUsed = "invitation_used" => "The invitation link was already used to sign.",
    IterationNotFound = "iteration_not_found" => "No such iteration on this order.",
    LabelMetadataMismatch = "label_metadata_mismatch" => "A deliverable does not carry its AI-generated-content label.",
    MalformedJson = "malformed_json" => "The request body is not valid JSON.",
    MethodInsufficient = "method_insufficient" => "This identity check does not prove who a relative is; verify by document, video call or in person.",
    MethodNotAllowed = "method_not_allowed" => "This route does not take that HTTP method.",
    NoConsents = "no_consents" => "No consent has been signed on this order yet.",
    NoDeliverable = "no_deliverable" => "The order has no verified deliverable to deliver.",
    NoExport = "no_export" => "Only a completed access or copy request has an export.",
    NoMatchingOrder = "no_matching_order" => "The request's reference matches no order; it can only be denied.",
    NoQuote = "no_quote" => "Record a quote before taking money for the order.",
    NoRoles = "no_roles" => "An account needs at least one role.",
    NoVerifiedSample = "no_verified_sample" => "Submit needs at least one verified sample.",
    NoVideoTrack = "no_video_track" => "The video file has no picture track.",
    NotErased = "not_erased" => "The order has not been erased, so it has no erasure certificate.",
    NotFlagged = "not_flagged" => "Only a session flagged for review is reviewed.",
    NotFound = "not_found" => "No such resource (an id in the path is not well-formed or names nothing).",
    NotHumanDriven = "not_human_driven" => "Live sessions are for human-driven orders only.",
    NotInProduction = "not_in_production" => "Jobs are assigned once the order is queued for production.",
    NotMultipart = "not_multipart" => "This upload is a single PUT, not a multipart upload.",
    NotStaff = "not_staff" => "The assignee must be an active staff account.",
    NotTheCustomer = "not_the_customer" => "Only the order's customer may do this.",
    NotTheSigner = "not_the_signer" => "Only the person who signed a consent withdraws it.",
    NothingToWithdraw = "nothing_to_withdraw" => "Nothing was signed through this link.",
    OrderErased = "order_erased" => "The order was erased; the studio holds no personal data of it any more.",
    OrderNotAcceptingDeliverables = "order_not_accepting_deliverables" => "Deliverables are uploaded while the order is in production or quality check.",
    OrderNotAcceptingSamples = "order_not_accepting_samples" => "The order no longer takes new samples.",
    OrderNotDelivered = "order_not_delivered" => "Iterations follow a delivered order that has not been erased.",
    OrderNotEditable = "order_not_editable" => "The intake can only be edited while the order is a draft or needs information.",
    OrderNotFound = "order_not_found" => "No such order (or not one you may see).",
    OrderNotInProduction = "order_not_in_production" => "Live sessions are booked once production has started.",
    OrderStopped = "order_stopped" => "The order was stopped (cancelled or withdrawn); this cannot happen any more.",
    Overpayment = "overpayment" => "This payment would pay more than was quoted.",
    PartyNotForIterations = "party_not_for_iterations" => "Fresh consent for an iteration is given by the requester (or a living twin's subject).",
    PartyNotInvitable = "party_not_invitable" => "This party is not invited on this order; `detail` says why.",
    PartySignsByInvitation = "party_signs_by_invitation" => "This party signs through an invitation link the customer sends them.",
    QualityNotSignedOff = "quality_not_signed_off" => "A reviewer must sign off quality before the order is delivered.",
    ReasonRequired = "reason_required" => "This step needs a reason; `field` names the field.",
    ReasonTooLong = "reason_too_long" => "The reason is longer than allowed.",
    RefundExceedsPaid = "refund_exceeds_paid" => "A refund cannot exceed what was paid.",
    RelationshipRequired = "relationship_required" => "A relative's invitation names their relationship to the subject.",
    RequestNotFound = "request_not_found" => "No such data-rights request (or not one you may see).",
    RequestOpen = "request_open" => "You already have an open request of this kind for this reference.",
    ReviewersAndAdminsOnly = "reviewers_and_admins_only" => "Only reviewers and admins may do this.",
    ReviewersOnly = "reviewers_only" => "Only reviewers may do this.",
    RouteNotFound = "route_not_found" => "No such route.",
    SampleNotFound = "sample_not_found" => "No such sample on this order.",
    SampleNotUploading = "sample_not_uploading" => "The sample is not waiting for its upload to complete.",
    SampleNotVerified = "sample_not_verified" => "Only verified samples can be downloaded.",
    SamplePurged = "sample_purged" => "The sample's file was purged under the retention policy.",
    SamplesAlreadyPurged = "samples_already_purged" => "The raw samples were already purged.",
    SeparationOfDuties = "separation_of_duties" => "Someone who placed or worked on the order (or filed the request) cannot decide on it; another reviewer must.",
    SessionCancelled = "session_cancelled" => "The live session was cancelled.",
    SessionNotFound = "session_not_found" => "No such live session on this order.",
    SizeMismatch = "size_mismatch" => "The uploaded file's size differs from the size declared.",
    StaffOnly = "staff_only" => "Only studio staff may do this.",
    StageMismatch = "stage_mismatch" => "Production stages are completed in order; `detail` names the current one.",
    StaleVersion = "stale_version" => "The resource changed since it was read; `current_etag` gives its current version.",
    StorageError = "storage_error" => "The file store failed or answered in a way we cannot use; try again later.",
    StorageUnavailable = "storage_unavailable" => "The file store cannot be reached just now; retry after `Retry-After` seconds.",
    StudioOnly = "studio_only" => "Only the studio (staff, reviewers, admins) may do this.",
    SubjectRefused = "subject_refused" => "The subject's documented wishes refuse a likeness; the order cannot proceed.",
    SufficiencyNotMet = "sufficiency_not_met" => "The samples do not pass the sufficiency report; give a reason to approve anyway.",
    TooManyAttempts = "too_many_attempts" => "Too many attempts; retry after `Retry-After` seconds.",
    TooManyOpenRequests = "too_many_open_requests" => "You have too many requests waiting for a reviewer.",
    TypeMismatch = "type_mismatch" => "The uploaded file is not the type declared.",
    Unauthenticated = "unauthenticated" => "Sign in first (no valid session or bearer token).",
    Unavailable = "unavailable" => "A service this request needs (such as the database) is unreachable; try again shortly.",
    UnknownAction = "unknown_action" => "There is no such action.",
    UnknownConsentText = "unknown_consent_text" => "No consent text has this id.",
    UnlabelableFile = "unlabelable_file" => "This deliverable cannot carry the AI-generated-content label inside the file; deliver JPEG, PNG, MP4, MOV, M4A, WAV or MP3.",
    UnreadableBody = "unreadable_body" => "The request body could not be read.",
    UnreadableMedia = "unreadable_media" => "The media file's headers could not be read.",
    UnrecognizedType = "unrecognized_type" => "The file is not in a format accepted for its kind.",
    UnsupportedMediaType = "unsupported_media_type" => "The request body must be sent as `application/json`.",
    UploadAssembled = "upload_assembled" => "Every part is uploaded and assembled; complete the upload.",
    UploadIncomplete = "upload_incomplete" => "The file has not been uploaded yet; PUT it to the presigned URL first.",
    UploadLost = "upload_lost" => "The assembled file is no longer in the store; start a new upload.",
    UserNotFound = "user_not_found" => "No such account.",
    VersionTaken = "version_taken" => "Another version was published at the same moment; retry.",
    WeakPassword = "weak_password" => "The password is too weak; `detail` says why.",
    WrongConsentText = "wrong_consent_text" => "The consent text is not the one this order needs for this party.",
    WrongKind = "wrong_kind" => "The file is not accepted as this kind of sample.",
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::Code;

    #[test]
    fn every_code_is_snake_case_unique_and_described_in_a_sentence() {
        let mut seen = HashSet::new();
        for code in Code::ALL {
            let wire = code.as_str();
            assert!(
                !wire.is_empty()
                    && wire
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{wire} is not snake_case"
            );
            assert!(seen.insert(wire), "{wire} is listed twice");
            let description = code.description();
            assert!(
                description.len() > 10 && description.ends_with('.'),
                "{wire} needs a description: one sentence for a client, ending with a period"
            );
        }
    }

    /// docs/api.md's table is the same list, in the same order, with the same words.
    #[test]
    fn the_api_guide_lists_every_code_with_its_description() {
        let guide = include_str!("../docs/api.md");
        let table = guide
            .split_once("<!-- problem-codes:start -->\n")
            .and_then(|(_, rest)| rest.split_once("<!-- problem-codes:end -->"))
            .map(|(table, _)| table)
            .unwrap_or_default();
        let mut expected = String::from("| code | meaning |\n|---|---|\n");
        for code in Code::ALL {
            expected.push_str(&format!(
                "| `{}` | {} |\n",
                code.as_str(),
                code.description()
            ));
        }
        assert_eq!(
            table, expected,
            "docs/api.md's problem-code table differs from src/problem.rs: copy the list \
             again (one row per code, in the same order)"
        );
    }
}
