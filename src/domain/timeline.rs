//! The order timeline in words (PRODUCT.md: the customer follows progress; a `needs_info`
//! request reaches them here). Each recorded event of an order becomes one entry, worded for
//! whoever reads it.
//!
//! Every event kind the audit trail can record ([`EventKind`]) has words for each audience
//! that sees it: two exhaustive matches (who sees it, what it says to them), so a new kind
//! cannot compile without them, and the tests check that each visible pair has plain words.
//! The customer — often a grieving family — reads plain, kind sentences: what happened to
//! their order, never who at the studio did it, internal notes, staff assignments, or reasons
//! a reviewer wrote for the studio. The studio reads what happened in words too (who acted is
//! shown beside them), not bare codes.

use serde_json::Value;

use super::events::EventKind;

/// Who reads the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Customer,
    Studio,
}

/// The facts of one event the wording needs.
#[derive(Debug, Clone, Copy)]
pub struct EventFacts<'a> {
    pub action: &'a str,
    /// The audit event's detail (decision, party, stage, kind, number, reason, …).
    pub detail: &'a Value,
    /// The reviewer's request, where the customer is meant to read it (a `needs_info`).
    pub request: Option<&'a str>,
}

/// The entry for one event, or `None` when this audience does not see it.
pub fn describe(event: &EventFacts<'_>, audience: Audience) -> Option<String> {
    let Some(kind) = EventKind::parse(event.action) else {
        // A kind this version no longer records (older history): the studio sees its name.
        return (audience == Audience::Studio).then(|| format!("Recorded: {}", event.action));
    };
    if !sees(kind, audience, event.detail) {
        return None;
    }
    match audience {
        Audience::Customer => for_customer(kind, event),
        Audience::Studio => Some(for_studio(kind, event)),
    }
}

/// Whether `audience` sees events of `kind` on an order's timeline. The studio sees all; the
/// customer what happened to their order — not the studio's internal work, access checks,
/// mails, SLA alerts, or anyone else's data-rights request.
pub fn sees(kind: EventKind, audience: Audience, detail: &Value) -> bool {
    use EventKind::*;
    if audience == Audience::Studio {
        return true;
    }
    match kind {
        OrderCreated
        | OrderUpdated
        | OrderSubmitted
        | OrderResubmitted
        | OrderCancelled
        | OrderHeld
        | OrderResumed
        | OrderWithdrawn
        | OrderDelivered
        | OrderClosed
        | OrderCorrected
        | OrderSampleRetentionChanged
        | OrderSamplesPurged
        | OrderErasureRequested
        | OrderErased
        | ScreeningStarted
        | ScreeningDecided
        | ConsentSigned
        | ConsentWithdrawn
        | ConsentInvitationCreated
        | ConsentReviewDecided
        | ProductionStarted
        | ProductionStageCompleted
        | QualitySignedOff
        | PaymentRecorded
        | IterationCreated
        | IterationStart
        | IterationAdvance
        | IterationDeliver
        | IterationCancel
        | LiveSessionScheduled
        | LiveSessionLogged
        | LiveSessionCancelled => true,
        // The customer's own requests; a relative's stay between them and the studio (what
        // an approved one does to the order shows as its own event).
        DataRequestFiled
        | DataRequestIdentityVerified
        | DataRequestApproved
        | DataRequestDenied
        | DataRequestCompleted
        | DataRequestExportDownloaded => detail["by_customer"].as_bool() == Some(true),
        AccessDenied
        | AuthLogin
        | AuthLoginFailed
        | AuthLoginThrottled
        | AuthLoginAlerted
        | AuthLogout
        | UserCreated
        | InquiryReceived
        | UserDisabled
        | UserEnabled
        | UserRolesChanged
        | ConsentTextPublished
        | StageTemplatePublished
        | NotificationSent
        | NotificationFailed
        | NotificationRetried
        | SlaAtRisk
        | SlaOverdue
        | OrderAssigned
        | OrderNoteAdded
        | OrderPublicFigureSet
        | OrderErasureStragglerDeleted
        | OrderDestructionCertificateIssued
        | ConsentReceiptIssued
        | LiveSessionFlagged
        | LiveSessionReviewed
        | SampleUploadStarted
        | SampleVerificationStarted
        | SampleVerificationReleased
        | SamplePartsAssembled
        | SampleVerified
        | SampleRejected
        | SampleDownloadUrlIssued
        | SampleUploadAbandoned
        | SampleBytesPurged
        | DeliverableUploadStarted
        | DeliverableVerificationStarted
        | DeliverableVerificationReleased
        | DeliverablePartsAssembled
        | DeliverableVerified
        | DeliverableRejected
        | DeliverableDownloadUrlIssued => false,
    }
}

fn text<'a>(detail: &'a Value, key: &str) -> Option<&'a str> {
    detail[key].as_str()
}

/// A consenting party as the family would say it.
fn party_words(detail: &Value) -> &'static str {
    match text(detail, "party") {
        Some("requester") => "your own consent",
        Some("relative") => "a close relative's consent",
        Some("subject_wishes") => "the documented wishes of the person who died",
        Some("living_subject") => "the consent of the person the likeness is of",
        Some("actor") => "the actor's consent",
        _ => "a consent",
    }
}

fn stage_words(detail: &Value) -> String {
    text(detail, "stage").map_or_else(|| "a stage".to_owned(), |s| s.replace('_', " "))
}

fn follow_up(detail: &Value) -> String {
    detail["number"]
        .as_i64()
        .map_or_else(|| "A follow-up".to_owned(), |n| format!("Follow-up {n}"))
}

fn request_kind_words(detail: &Value) -> &'static str {
    match text(detail, "kind") {
        Some("access") => "access to this order's data",
        Some("copy") => "a copy of this order's data",
        Some("correction") => "a correction of this order's details",
        Some("erasure") => "the erasure of this order's data",
        _ => "a data-rights request about this order",
    }
}

fn for_customer(kind: EventKind, event: &EventFacts<'_>) -> Option<String> {
    use EventKind::*;
    let d = event.detail;
    let decision = text(d, "decision");
    let asked = || {
        event.request.map_or_else(
            || "The studio needs a little more from you.".to_owned(),
            |r| format!("The studio asks: {r}"),
        )
    };
    let words = match kind {
        OrderCreated => "Order created.".to_owned(),
        OrderUpdated => "The order's details were updated.".to_owned(),
        OrderSubmitted => "Order sent to the studio; a reviewer will look at it.".to_owned(),
        OrderResubmitted => {
            "You answered the studio's request; the order is back with the reviewer.".to_owned()
        }
        OrderCancelled => "Order cancelled.".to_owned(),
        OrderHeld => "The studio paused work on the order for now.".to_owned(),
        OrderResumed => "The studio resumed work on the order.".to_owned(),
        OrderWithdrawn => {
            "A consent was withdrawn, so work stopped; the order's data will be erased.".to_owned()
        }
        OrderDelivered => {
            "Your order is delivered. You can download it from the order's page.".to_owned()
        }
        OrderClosed => "The order is closed.".to_owned(),
        OrderCorrected => {
            "The details of the person the order is about were corrected, as asked.".to_owned()
        }
        OrderSampleRetentionChanged => {
            if d["keep_for_iterations"].as_bool() == Some(true) {
                "Your choice is recorded: the photos, recordings and videos you sent will be kept \
                 for follow-ups."
                    .to_owned()
            } else {
                "Your choice is recorded: the photos, recordings and videos you sent will be \
                 deleted when their time comes."
                    .to_owned()
            }
        }
        OrderSamplesPurged => "As planned after delivery, the photos, recordings and videos sent \
                               for the order were deleted."
            .to_owned(),
        OrderErasureRequested => {
            let asked_by = match text(d, "reason") {
                Some("data_rights_request") => {
                    "After an approved data-rights request, this order's data is being erased."
                }
                _ => "You asked for this order's data to be erased.",
            };
            if d["stopped_from"].is_string() {
                format!("{asked_by} Work on the order stopped.")
            } else {
                asked_by.to_owned()
            }
        }
        OrderErased => "Every file and personal detail of this order was destroyed. The \
                        certificate of destruction lists what was deleted and when."
            .to_owned(),
        ScreeningStarted => "A reviewer is looking at your request.".to_owned(),
        ScreeningDecided => match decision {
            Some("proceed") => "Screening passed; consents are reviewed next.".to_owned(),
            Some("decline") => "After screening, the studio declined the order.".to_owned(),
            Some("refer") => "The studio suggests talking with a grief counsellor before going \
                              on; the order is paused until then."
                .to_owned(),
            Some("needs_info") => asked(),
            _ => "The reviewer finished screening.".to_owned(),
        },
        ConsentSigned => format!("Consent recorded: {}.", party_words(d)),
        ConsentWithdrawn => format!("Consent withdrawn: {}.", party_words(d)),
        ConsentInvitationCreated => {
            format!("An invitation to consent was prepared: {}.", party_words(d))
        }
        ConsentReviewDecided => match decision {
            Some("approve") => "Consents approved; the order is queued for production.".to_owned(),
            Some("reject") => {
                "The studio could not accept the consents; the order is declined.".to_owned()
            }
            Some("needs_info") => asked(),
            _ => "The reviewer looked at the consents.".to_owned(),
        },
        ProductionStarted => "Work on the likeness has started.".to_owned(),
        ProductionStageCompleted => {
            format!("A production step is finished ({}).", stage_words(d))
        }
        QualitySignedOff => {
            "The likeness passed its quality check; delivery is being prepared.".to_owned()
        }
        PaymentRecorded => match text(d, "kind") {
            Some("quote") => "A quote was recorded; the amounts are on the order's payments page.",
            Some("deposit") => "Your deposit was recorded. Thank you.",
            Some("payment") => "Your payment was recorded. Thank you.",
            Some("refund") => {
                "A refund was recorded; the amounts are on the order's payments page."
            }
            _ => "A payment entry was recorded; the amounts are on the order's payments page.",
        }
        .to_owned(),
        IterationCreated => format!("{} was set up.", follow_up(d)),
        IterationStart => format!("Work on {} has started.", follow_up(d).to_lowercase()),
        IterationAdvance => format!("{} is having its final check.", follow_up(d)),
        IterationDeliver => format!("{} is delivered.", follow_up(d)),
        IterationCancel => format!("{} was cancelled.", follow_up(d)),
        LiveSessionScheduled => "A live session was booked.".to_owned(),
        LiveSessionLogged => "Your live session took place.".to_owned(),
        LiveSessionCancelled => "A live session was cancelled.".to_owned(),
        DataRequestFiled => format!("You asked the studio for {}.", request_kind_words(d)),
        DataRequestIdentityVerified => {
            "The studio confirmed who you are for your data-rights request.".to_owned()
        }
        DataRequestApproved => "The studio approved your data-rights request.".to_owned(),
        DataRequestDenied => {
            "The studio could not grant your data-rights request; the request itself says why."
                .to_owned()
        }
        DataRequestCompleted => "Your data-rights request was carried out.".to_owned(),
        DataRequestExportDownloaded => "You downloaded the copy of your data.".to_owned(),
        AccessDenied
        | AuthLogin
        | AuthLoginFailed
        | AuthLoginThrottled
        | AuthLoginAlerted
        | AuthLogout
        | UserCreated
        | InquiryReceived
        | UserDisabled
        | UserEnabled
        | UserRolesChanged
        | ConsentTextPublished
        | StageTemplatePublished
        | NotificationSent
        | NotificationFailed
        | NotificationRetried
        | SlaAtRisk
        | SlaOverdue
        | OrderAssigned
        | OrderNoteAdded
        | OrderPublicFigureSet
        | OrderErasureStragglerDeleted
        | OrderDestructionCertificateIssued
        | ConsentReceiptIssued
        | LiveSessionFlagged
        | LiveSessionReviewed
        | SampleUploadStarted
        | SampleVerificationStarted
        | SampleVerificationReleased
        | SamplePartsAssembled
        | SampleVerified
        | SampleRejected
        | SampleDownloadUrlIssued
        | SampleUploadAbandoned
        | SampleBytesPurged
        | DeliverableUploadStarted
        | DeliverableVerificationStarted
        | DeliverableVerificationReleased
        | DeliverablePartsAssembled
        | DeliverableVerified
        | DeliverableRejected
        | DeliverableDownloadUrlIssued => return None,
    };
    Some(words)
}

fn decision_words(decision: Option<&str>) -> &'static str {
    match decision {
        Some("proceed") => "proceed",
        Some("decline") => "decline",
        Some("refer") => "refer to counselling (order paused)",
        Some("needs_info") => "more information asked of the customer",
        Some("approve") => "approved",
        Some("reject") => "rejected (order declined)",
        _ => "recorded",
    }
}

fn for_studio(kind: EventKind, event: &EventFacts<'_>) -> String {
    use EventKind::*;
    let d = event.detail;
    let to_whom = || match text(d, "audience") {
        Some("staff") => "the studio",
        _ => "the customer",
    };
    match kind {
        AccessDenied => "Access refused.".to_owned(),
        AuthLogin => "Signed in.".to_owned(),
        AuthLoginFailed => "A sign-in failed.".to_owned(),
        AuthLoginThrottled => "Sign-in refused after repeated failures.".to_owned(),
        AuthLoginAlerted => "The account's owner was told of repeated failed sign-ins.".to_owned(),
        AuthLogout => "Signed out.".to_owned(),
        UserCreated => "Account created.".to_owned(),
        InquiryReceived => "Someone left an inquiry on the landing page.".to_owned(),
        UserDisabled => "Account disabled.".to_owned(),
        UserEnabled => "Account enabled again.".to_owned(),
        UserRolesChanged => "Account roles changed.".to_owned(),
        ConsentTextPublished => "A consent text version was published.".to_owned(),
        StageTemplatePublished => "A stage template version was published.".to_owned(),
        NotificationSent => format!("Mail sent to {}.", to_whom()),
        NotificationFailed => format!("A mail to {} could not be delivered.", to_whom()),
        NotificationRetried => format!(
            "An admin asked for a failed mail to {} to be tried again.",
            to_whom()
        ),
        SlaAtRisk => "At risk: a stage is late, or the remaining stages no longer fit before \
                      the promise."
            .to_owned(),
        SlaOverdue => "Overdue: the delivery promise has passed.".to_owned(),
        OrderCreated => "Order created.".to_owned(),
        OrderUpdated => "Intake updated.".to_owned(),
        OrderSubmitted => "Submitted for screening.".to_owned(),
        OrderResubmitted => "The customer answered; back with the reviewer.".to_owned(),
        OrderCancelled => "Cancelled by the customer.".to_owned(),
        OrderHeld => "Put on hold.".to_owned(),
        OrderResumed => "Resumed.".to_owned(),
        OrderWithdrawn => "Withdrawn: a consent was withdrawn; erasure is scheduled.".to_owned(),
        OrderAssigned => "Assigned.".to_owned(),
        OrderNoteAdded => "Internal note added.".to_owned(),
        OrderPublicFigureSet => {
            if d["public_figure"].as_bool() == Some(false) {
                "Public-figure mark removed.".to_owned()
            } else {
                "Marked as a public figure.".to_owned()
            }
        }
        OrderDelivered => "Delivered to the customer.".to_owned(),
        OrderClosed => "Closed.".to_owned(),
        OrderCorrected => "Subject details corrected (data-rights request).".to_owned(),
        OrderSampleRetentionChanged => {
            if d["keep_for_iterations"].as_bool() == Some(true) {
                "The customer keeps the raw samples for follow-ups.".to_owned()
            } else {
                "The customer lets the raw samples be purged after retention.".to_owned()
            }
        }
        OrderSamplesPurged => "Raw samples purged under the retention policy.".to_owned(),
        OrderErasureRequested => {
            let by = match text(d, "reason") {
                Some("data_rights_request") => "an approved data-rights request",
                _ => "the customer",
            };
            if d["stopped_from"].is_string() {
                format!("Erasure asked for by {by}; work stopped.")
            } else {
                format!("Erasure asked for by {by}; the order keeps its outcome.")
            }
        }
        OrderErased => {
            "Erased: every object deleted and personal data scrubbed; the certificate lists them."
                .to_owned()
        }
        OrderErasureStragglerDeleted => {
            "A file uploaded after the erasure was found and deleted.".to_owned()
        }
        OrderDestructionCertificateIssued => "Certificate of destruction read.".to_owned(),
        ScreeningStarted => "Screening started.".to_owned(),
        ScreeningDecided => format!(
            "Screening decision: {}.",
            decision_words(text(d, "decision"))
        ),
        ConsentSigned => format!("Consent recorded ({}).", party_words(d)),
        ConsentWithdrawn => format!("Consent withdrawn ({}).", party_words(d)),
        ConsentInvitationCreated => format!("Invitation to consent created ({}).", party_words(d)),
        ConsentReceiptIssued => "Consent receipt issued.".to_owned(),
        ConsentReviewDecided => {
            format!("Consent review: {}.", decision_words(text(d, "decision")))
        }
        ProductionStarted => format!("Production started ({}).", stage_words(d)),
        ProductionStageCompleted => format!("Stage finished ({}).", stage_words(d)),
        QualitySignedOff => "Quality check signed off.".to_owned(),
        PaymentRecorded => {
            let what = text(d, "kind").unwrap_or("entry");
            match (d["amount_minor"].as_i64(), text(d, "currency")) {
                (Some(amount), Some(currency)) => {
                    format!("Money recorded: {what} of {amount} (minor units) {currency}.")
                }
                _ => format!("Money recorded: {what}."),
            }
        }
        IterationCreated => format!("{} created.", follow_up(d)),
        IterationStart => format!("{} started.", follow_up(d)),
        IterationAdvance => format!("{} moved to quality check.", follow_up(d)),
        IterationDeliver => format!("{} delivered.", follow_up(d)),
        IterationCancel => format!("{} cancelled.", follow_up(d)),
        LiveSessionScheduled => "Live session booked.".to_owned(),
        LiveSessionLogged => "Live session logged.".to_owned(),
        LiveSessionCancelled => "Live session cancelled.".to_owned(),
        LiveSessionFlagged => {
            "Live session flagged: held without the on-screen AI label.".to_owned()
        }
        LiveSessionReviewed => "Flagged live session reviewed.".to_owned(),
        DataRequestFiled => {
            let by = if d["by_customer"].as_bool() == Some(true) {
                "the customer"
            } else {
                "someone other than the customer"
            };
            format!(
                "Data-rights request filed by {by}: {}.",
                request_kind_words(d)
            )
        }
        DataRequestIdentityVerified => "Data-rights request: identity verified.".to_owned(),
        DataRequestApproved => "Data-rights request approved.".to_owned(),
        DataRequestDenied => "Data-rights request denied.".to_owned(),
        DataRequestCompleted => "Data-rights request carried out.".to_owned(),
        DataRequestExportDownloaded => "Data-rights export downloaded.".to_owned(),
        SampleUploadStarted => "Sample upload started.".to_owned(),
        SampleVerificationStarted => "Sample verification started.".to_owned(),
        SampleVerificationReleased => {
            "Sample verification interrupted; it can be completed again.".to_owned()
        }
        SamplePartsAssembled => "Sample parts assembled.".to_owned(),
        SampleVerified => "Sample verified.".to_owned(),
        SampleRejected => "Sample rejected.".to_owned(),
        SampleDownloadUrlIssued => "Sample download link issued.".to_owned(),
        SampleUploadAbandoned => "Abandoned upload aborted.".to_owned(),
        SampleBytesPurged => "Bytes of a rejected or abandoned upload deleted.".to_owned(),
        DeliverableUploadStarted => "Deliverable upload started.".to_owned(),
        DeliverableVerificationStarted => "Deliverable verification started.".to_owned(),
        DeliverableVerificationReleased => {
            "Deliverable verification interrupted; it can be completed again.".to_owned()
        }
        DeliverablePartsAssembled => "Deliverable parts assembled.".to_owned(),
        DeliverableVerified => "Deliverable verified.".to_owned(),
        DeliverableRejected => "Deliverable rejected.".to_owned(),
        DeliverableDownloadUrlIssued => "Deliverable download link issued.".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Details that change who sees an event or what it says.
    fn detail_variants() -> Vec<Value> {
        let mut variants = vec![json!({}), json!({ "by_customer": true })];
        for decision in [
            "proceed",
            "decline",
            "refer",
            "needs_info",
            "approve",
            "reject",
        ] {
            variants.push(json!({ "decision": decision }));
        }
        for party in [
            "requester",
            "relative",
            "subject_wishes",
            "living_subject",
            "actor",
        ] {
            variants.push(json!({ "party": party }));
        }
        for kind in ["quote", "deposit", "payment", "refund", "erasure", "copy"] {
            variants.push(json!({ "kind": kind, "by_customer": true, "amount_minor": 100, "currency": "CNY" }));
        }
        variants.push(
            json!({ "reason": "data_rights_request", "stopped_from": "queued", "to": "withdrawn" }),
        );
        variants.push(json!({ "keep_for_iterations": true, "number": 2, "stage": "data_prep" }));
        variants
    }

    /// Words a family should never read: codes (`order.delivered`, `needs_info`), actor
    /// names (`user:…`, `system:…`).
    fn looks_internal(words: &str) -> bool {
        words.split_whitespace().any(|token| {
            let token = token.trim_end_matches(['.', ',', ';', ')', ':']);
            token.contains('_')
                || token.contains(':')
                || token
                    .split_once('.')
                    .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
        })
    }

    #[test]
    fn every_event_kind_has_words_for_each_audience_that_sees_it() {
        for kind in EventKind::ALL.iter().copied() {
            for detail in &detail_variants() {
                let event = EventFacts {
                    action: kind.as_str(),
                    detail,
                    request: None,
                };
                for audience in [Audience::Customer, Audience::Studio] {
                    if !sees(kind, audience, detail) {
                        assert_eq!(describe(&event, audience), None, "{kind} {audience:?}");
                        continue;
                    }
                    let words = describe(&event, audience)
                        .unwrap_or_else(|| panic!("{kind} has no words for {audience:?}"));
                    assert!(!words.trim().is_empty(), "{kind} {audience:?}");
                    assert!(!looks_internal(&words), "{kind} {audience:?}: {words}");
                    assert_ne!(words, kind.as_str());
                }
            }
        }
    }

    #[test]
    fn the_customer_sees_what_happened_to_their_order() {
        let empty = json!({});
        for kind in [
            EventKind::OrderDelivered,
            EventKind::OrderClosed,
            EventKind::OrderErasureRequested,
            EventKind::OrderErased,
            EventKind::PaymentRecorded,
            EventKind::IterationCreated,
            EventKind::IterationDeliver,
            EventKind::LiveSessionScheduled,
            EventKind::LiveSessionLogged,
        ] {
            assert!(sees(kind, Audience::Customer, &empty), "{kind}");
        }
        for kind in [
            EventKind::OrderAssigned,
            EventKind::OrderNoteAdded,
            EventKind::LiveSessionFlagged,
            EventKind::AccessDenied,
            EventKind::DataRequestFiled,
        ] {
            assert!(!sees(kind, Audience::Customer, &empty), "{kind}");
        }
    }

    #[test]
    fn a_request_for_information_reaches_the_customer_in_words() {
        let detail = json!({ "decision": "needs_info" });
        let event = EventFacts {
            action: "screening.decided",
            detail: &detail,
            request: Some("a clearer scan of the death certificate"),
        };
        assert_eq!(
            describe(&event, Audience::Customer).as_deref(),
            Some("The studio asks: a clearer scan of the death certificate")
        );
    }

    #[test]
    fn an_erasure_is_told_as_an_erasure() {
        let detail = json!({ "reason": "customer_request", "stopped_from": null, "to": null });
        let event = EventFacts {
            action: "order.erasure_requested",
            detail: &detail,
            request: None,
        };
        let words = describe(&event, Audience::Customer).unwrap();
        assert_eq!(words, "You asked for this order's data to be erased.");
        assert!(!words.contains("withdrawn"));
    }

    #[test]
    fn studio_business_stays_with_the_studio_in_words() {
        let detail = json!({});
        let event = EventFacts {
            action: "access.denied",
            detail: &detail,
            request: None,
        };
        assert_eq!(describe(&event, Audience::Customer), None);
        assert_eq!(
            describe(&event, Audience::Studio).as_deref(),
            Some("Access refused.")
        );
        let old = EventFacts {
            action: "order.something_retired",
            detail: &detail,
            request: None,
        };
        assert_eq!(describe(&old, Audience::Customer), None);
    }
}
