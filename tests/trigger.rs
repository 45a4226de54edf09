//! Trigger names: the 21 members of `WebhookTriggerEvents` in Prisma order, plus PING.

use calsim::trigger::TriggerEvent;

#[test]
fn there_are_21_triggers_in_prisma_order_then_ping() {
    let names: Vec<&str> = TriggerEvent::ALL
        .iter()
        .map(|trigger| trigger.as_str())
        .collect();

    assert_eq!(names.len(), 22);
    assert_eq!(
        names[..3],
        [
            "BOOKING_CREATED",
            "BOOKING_PAYMENT_INITIATED",
            "BOOKING_PAID"
        ]
    );
    assert_eq!(
        names[17..],
        [
            "FORM_SUBMITTED_NO_EVENT",
            "ROUTING_FORM_FALLBACK_HIT",
            "DELEGATION_CREDENTIAL_ERROR",
            "WRONG_ASSIGNMENT_REPORT",
            "PING"
        ]
    );
}

#[test]
fn every_name_round_trips_through_text_and_json() {
    for trigger in TriggerEvent::ALL {
        assert_eq!(trigger.as_str().parse::<TriggerEvent>().unwrap(), *trigger);
        let json = serde_json::to_string(trigger).unwrap();
        assert_eq!(json, format!("\"{trigger}\""));
        assert_eq!(
            serde_json::from_str::<TriggerEvent>(&json).unwrap(),
            *trigger
        );
    }
}

#[test]
fn lower_case_and_hyphens_are_accepted_on_the_command_line() {
    assert_eq!(
        "booking-cancelled".parse::<TriggerEvent>().unwrap(),
        TriggerEvent::BookingCancelled
    );
}

#[test]
fn a_near_miss_suggests_the_closest_name_and_a_far_miss_lists_them_all() {
    let near = "MEETING_STRATED".parse::<TriggerEvent>().unwrap_err();
    let far = "SOMETHING_ELSE_ENTIRELY"
        .parse::<TriggerEvent>()
        .unwrap_err();

    assert_eq!(
        near.to_string(),
        "unknown trigger MEETING_STRATED; did you mean MEETING_STARTED?"
    );
    let far = far.to_string();
    assert!(
        far.starts_with("unknown trigger SOMETHING_ELSE_ENTIRELY; use one of BOOKING_CREATED, "),
        "{far}"
    );
    assert!(far.ends_with("WRONG_ASSIGNMENT_REPORT, PING"), "{far}");
}

#[test]
fn booking_confirmed_from_the_api_docs_example_is_not_a_trigger() {
    assert!("BOOKING_CONFIRMED".parse::<TriggerEvent>().is_err());
}
