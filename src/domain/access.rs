//! Who may see and do what (PRODUCT.md, roles). Pure decisions over ids and roles; the HTTP
//! layer asks them and turns "may not see" into 404 (a customer cannot even learn that another
//! customer's order exists) and "may see but not do" into 403.

use uuid::Uuid;

use super::account::Role;

/// The facts about a caller that access decisions need.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub id: Uuid,
    pub roles: &'a [Role],
}

impl Who<'_> {
    /// Staff, reviewer or admin: someone who works at the studio (one person may be several).
    pub fn is_studio(&self) -> bool {
        self.roles
            .iter()
            .any(|r| matches!(r, Role::Staff | Role::Reviewer | Role::Admin))
    }
    fn owns(&self, customer_id: Option<Uuid>) -> bool {
        customer_id == Some(self.id) && self.roles.contains(&Role::Customer)
    }
}

/// May `who` see this order at all (its intake, samples, sufficiency)?
pub fn can_see_order(who: Who<'_>, customer_id: Option<Uuid>) -> bool {
    who.owns(customer_id) || who.is_studio()
}

/// May `who` act as the order's customer (edit the intake, upload samples, submit, cancel)?
pub fn can_act_as_customer(who: Who<'_>, customer_id: Option<Uuid>) -> bool {
    who.owns(customer_id)
}

/// May `who` place orders?
pub fn can_place_orders(who: Who<'_>) -> bool {
    who.roles.contains(&Role::Customer)
}

/// Must lists be narrowed to the caller's own orders?
pub fn sees_only_own_orders(who: Who<'_>) -> bool {
    !who.is_studio()
}

/// May `who` make reviewer decisions (screening, consent) on an order? Only as a reviewer, and
/// never on an order they worked on as staff (separation of duties) or placed themself.
pub fn may_review(who: Who<'_>, customer_id: Option<Uuid>, worked_on_as_staff: bool) -> bool {
    who.roles.contains(&Role::Reviewer) && !worked_on_as_staff && customer_id != Some(who.id)
}

/// The audit actions that count as working on an order as staff (separation of duties: such a
/// person never reviews it).
pub const STAFF_WORK: &[&str] = &[
    "order.held",
    "order.resumed",
    "order.assigned",
    "production.started",
    "production.stage_completed",
    "order.note_added",
    "live_session.scheduled",
    "live_session.logged",
    "live_session.cancelled",
    "order.delivered",
    "order.closed",
    "iteration.created",
    "iteration.start",
    "iteration.advance",
    "iteration.deliver",
    "iteration.cancel",
];

/// What is on record about one person's part in an order's production.
#[derive(Debug, Clone, Copy, Default)]
pub struct StaffPart {
    /// They are (or were last) its assignee.
    pub assigned: bool,
    /// The audit trail holds one of [`STAFF_WORK`] by them on it.
    pub recorded_staff_action: bool,
    /// They uploaded one of its deliverables (recorded on the upload, not the order).
    pub uploaded_deliverable: bool,
}

/// Did they work on the order as staff? Any one of the facts is enough.
pub fn worked_on_as_staff(part: StaffPart) -> bool {
    part.assigned || part.recorded_staff_action || part.uploaded_deliverable
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(roles: &[Role]) -> Who<'_> {
        Who {
            id: Uuid::from_u128(1),
            roles,
        }
    }

    #[test]
    fn customers_reach_only_their_own_orders() {
        let me = Some(Uuid::from_u128(1));
        let other = Some(Uuid::from_u128(2));
        let customer = who(&[Role::Customer]);
        assert!(can_see_order(customer, me) && can_act_as_customer(customer, me));
        assert!(!can_see_order(customer, other) && !can_act_as_customer(customer, other));
        assert!(!can_see_order(customer, None));
        assert!(sees_only_own_orders(customer));
    }

    #[test]
    fn the_studio_sees_every_order_but_does_not_act_as_the_customer() {
        for roles in [&[Role::Staff][..], &[Role::Reviewer], &[Role::Admin]] {
            let studio = who(roles);
            assert!(can_see_order(studio, Some(Uuid::from_u128(9))));
            assert!(!can_act_as_customer(studio, Some(Uuid::from_u128(9))));
            assert!(!can_place_orders(studio));
            assert!(!sees_only_own_orders(studio));
        }
    }

    #[test]
    fn any_one_trace_of_staff_work_counts() {
        assert!(!worked_on_as_staff(StaffPart::default()));
        for part in [
            StaffPart {
                assigned: true,
                ..StaffPart::default()
            },
            StaffPart {
                recorded_staff_action: true,
                ..StaffPart::default()
            },
            StaffPart {
                uploaded_deliverable: true,
                ..StaffPart::default()
            },
        ] {
            assert!(worked_on_as_staff(part), "{part:?}");
        }
        for action in STAFF_WORK {
            assert!(
                super::super::events::EventKind::parse(action).is_some(),
                "{action} is not an audit action"
            );
        }
    }

    #[test]
    fn reviewers_never_review_their_own_work() {
        let order_customer = Some(Uuid::from_u128(7));
        let reviewer = who(&[Role::Reviewer]);
        let both = who(&[Role::Staff, Role::Reviewer]);
        assert!(may_review(reviewer, order_customer, false));
        assert!(
            may_review(both, order_customer, false),
            "staff + reviewer may review others' work"
        );
        assert!(
            !may_review(both, order_customer, true),
            "but not an order they worked on as staff"
        );
        assert!(!may_review(who(&[Role::Staff]), order_customer, false));
        assert!(
            !may_review(who(&[Role::Admin]), order_customer, false),
            "admin alone is not a reviewer"
        );
        assert!(
            !may_review(reviewer, Some(Uuid::from_u128(1)), false),
            "nor on their own order"
        );
    }
}
