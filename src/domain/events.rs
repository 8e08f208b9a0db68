//! Every kind of event the audit trail records: one list, used by the writers (the audit
//! trail refuses an action that is not on it, see `audit::record_outcome`) and by the
//! timeline's wording (an exhaustive match over it, so a kind added here without words for
//! each audience that sees it does not compile, and `timeline`'s tests check the words).
//!
//! Some actions are built from parts rather than written out (`{sample|deliverable}.{what}`,
//! `iteration.{action}`); the tests below check that every name those builders can produce
//! is on the list.

use super::order::string_enum;

string_enum!(
    /// An audit action.
    EventKind {
        AccessDenied => "access.denied",
        AuthLogin => "auth.login",
        AuthLoginFailed => "auth.login_failed",
        AuthLoginThrottled => "auth.login_throttled",
        AuthLoginAlerted => "auth.login_alerted",
        AuthLogout => "auth.logout",
        UserCreated => "user.created",
        InquiryReceived => "inquiry.received",
        UserDisabled => "user.disabled",
        UserEnabled => "user.enabled",
        UserRolesChanged => "user.roles_changed",
        ConsentTextPublished => "consent_text.published",
        StageTemplatePublished => "stage_template.published",
        NotificationSent => "notification.sent",
        NotificationFailed => "notification.failed",
        NotificationRetried => "notification.retried",
        SlaAtRisk => "sla.at_risk",
        SlaOverdue => "sla.overdue",
        OrderCreated => "order.created",
        OrderUpdated => "order.updated",
        OrderSubmitted => "order.submitted",
        OrderResubmitted => "order.resubmitted",
        OrderCancelled => "order.cancelled",
        OrderHeld => "order.held",
        OrderResumed => "order.resumed",
        OrderWithdrawn => "order.withdrawn",
        OrderAssigned => "order.assigned",
        OrderNoteAdded => "order.note_added",
        OrderPublicFigureSet => "order.public_figure_set",
        OrderDelivered => "order.delivered",
        OrderClosed => "order.closed",
        OrderCorrected => "order.corrected",
        OrderSampleRetentionChanged => "order.sample_retention_changed",
        OrderSamplesPurged => "order.samples_purged",
        OrderErasureRequested => "order.erasure_requested",
        OrderErased => "order.erased",
        OrderErasureStragglerDeleted => "order.erasure_straggler_deleted",
        OrderDestructionCertificateIssued => "order.destruction_certificate_issued",
        ScreeningStarted => "screening.started",
        ScreeningDecided => "screening.decided",
        ConsentSigned => "consent.signed",
        ConsentWithdrawn => "consent.withdrawn",
        ConsentInvitationCreated => "consent.invitation_created",
        ConsentReceiptIssued => "consent.receipt_issued",
        ConsentReviewDecided => "consent_review.decided",
        ProductionStarted => "production.started",
        ProductionStageCompleted => "production.stage_completed",
        QualitySignedOff => "quality.signed_off",
        PaymentRecorded => "payment.recorded",
        IterationCreated => "iteration.created",
        IterationStart => "iteration.start",
        IterationAdvance => "iteration.advance",
        IterationDeliver => "iteration.deliver",
        IterationCancel => "iteration.cancel",
        LiveSessionScheduled => "live_session.scheduled",
        LiveSessionLogged => "live_session.logged",
        LiveSessionCancelled => "live_session.cancelled",
        LiveSessionFlagged => "live_session.flagged",
        LiveSessionReviewed => "live_session.reviewed",
        DataRequestFiled => "data_request.filed",
        DataRequestIdentityVerified => "data_request.identity_verified",
        DataRequestApproved => "data_request.approved",
        DataRequestDenied => "data_request.denied",
        DataRequestCompleted => "data_request.completed",
        DataRequestExportDownloaded => "data_request.export_downloaded",
        SampleUploadStarted => "sample.upload_started",
        SampleVerificationStarted => "sample.verification_started",
        SampleVerificationReleased => "sample.verification_released",
        SamplePartsAssembled => "sample.parts_assembled",
        SampleVerified => "sample.verified",
        SampleRejected => "sample.rejected",
        SampleDownloadUrlIssued => "sample.download_url_issued",
        SampleUploadAbandoned => "sample.upload_abandoned",
        SampleBytesPurged => "sample.bytes_purged",
        DeliverableUploadStarted => "deliverable.upload_started",
        DeliverableVerificationStarted => "deliverable.verification_started",
        DeliverableVerificationReleased => "deliverable.verification_released",
        DeliverablePartsAssembled => "deliverable.parts_assembled",
        DeliverableVerified => "deliverable.verified",
        DeliverableRejected => "deliverable.rejected",
        DeliverableDownloadUrlIssued => "deliverable.download_url_issued",
    }
);

/// What happens to an upload, as its audit actions name it (`UploadPurpose::event`).
pub const UPLOAD_STEPS: &[&str] = &[
    "upload_started",
    "verification_started",
    "verification_released",
    "parts_assembled",
    "verified",
    "rejected",
    "download_url_issued",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::iteration::IterationAction;
    use crate::domain::sample::UploadPurpose;

    #[test]
    fn every_built_action_name_is_on_the_list() {
        for purpose in UploadPurpose::ALL {
            for step in UPLOAD_STEPS {
                let name = purpose.event(step);
                assert!(EventKind::parse(&name).is_some(), "{name}");
            }
        }
        for action in IterationAction::ALL {
            let name = format!("iteration.{action}");
            assert!(EventKind::parse(&name).is_some(), "{name}");
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count);
    }
}
