//! Simulated bookings and their lifecycle: each change builds the event data Cal.com
//! would hold and fires the matching trigger to every subscription in scope (the
//! organizer, the event type, the organizer's organization), with consistent `uid`,
//! `rescheduleUid` and times across the sequence (`shared/spec/webhooks.md` §2.2).
//!
//! MEETING_STARTED and MEETING_ENDED are scheduled at the booking's start and end on
//! the simulator's clock ([`crate::calcom::scheduler`]), so a test can move the clock instead of
//! waiting; cancelling or rescheduling removes them, as Cal.com deletes its rows.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::calcom::store::{Attendee, Booking, EventType, Status, User};
use crate::protocol::js_value::JsValue;
use crate::protocol::payload;
use crate::protocol::trigger::TriggerEvent;

fn iso(ms: i64) -> String {
    payload::iso_string(
        jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
    )
}

/// The `CalendarEvent` data Cal.com holds for this booking just before sending
/// `trigger`, built on calsim's example so every field Cal.com sends is present.
pub fn event_data(
    booking: &Booking,
    event_type: &EventType,
    organizer: &User,
    trigger: TriggerEvent,
) -> Map<String, Value> {
    let example = payload::built_in(TriggerEvent::BookingCreated).unwrap_or("{}");
    let mut data = match JsValue::parse(example).map(Value::from) {
        Ok(Value::Object(data)) => data,
        _ => Map::new(),
    };
    let title = format!(
        "{} between {} and {}",
        event_type.title, organizer.name, booking.attendee.name
    );
    let mut set = |key: &str, value: Value| {
        data.insert(key.to_owned(), value);
    };
    set("type", json!(event_type.slug));
    set("title", json!(title));
    set("startTime", json!(iso(booking.start_ms)));
    set("endTime", json!(iso(booking.end_ms)));
    set(
        "organizer",
        json!({
            "id": organizer.id, "name": organizer.name, "email": organizer.email,
            "username": format!("user{}", organizer.id), "usernameInOrg": null,
            "timeZone": "UTC", "language": { "locale": "en" }, "timeFormat": "h:mma",
        }),
    );
    let (first, last) = booking
        .attendee
        .name
        .split_once(' ')
        .unwrap_or((&booking.attendee.name, ""));
    set(
        "attendees",
        json!([{
            "email": booking.attendee.email, "name": booking.attendee.name, "firstName": first, "lastName": last,
            "timeZone": booking.attendee.time_zone, "language": { "locale": "en" },
        }]),
    );
    set("uid", json!(booking.uid));
    set("bookingId", json!(booking.id));
    set("eventTypeId", json!(event_type.id));
    set("iCalUID", json!(format!("{}@Cal.com", booking.uid)));
    set("eventTitle", json!(event_type.title));
    set("price", json!(booking.price));
    set(
        "requiresConfirmation",
        json!(booking.status == Status::Pending && !booking.awaits_payment()),
    );
    set(
        "length",
        json!((booking.end_ms - booking.start_ms) / 60_000),
    );
    set(
        "metadata",
        json!({ "videoCallUrl": app_services::cal_video_url(&booking.uid) }),
    );
    let status = match trigger {
        TriggerEvent::BookingRequested => "PENDING",
        TriggerEvent::BookingCancelled => "CANCELLED",
        TriggerEvent::BookingRejected => "REJECTED",
        _ => "ACCEPTED",
    };
    set("status", json!(status));
    data
}

/// The flat booking row the scheduled MEETING_STARTED/ENDED path sends.
pub fn meeting_data(
    booking: &Booking,
    event_type: &EventType,
    organizer: &User,
) -> Map<String, Value> {
    let example = payload::built_in(TriggerEvent::MeetingStarted).unwrap_or("{}");
    let mut data = match JsValue::parse(example).map(Value::from) {
        Ok(Value::Object(data)) => data,
        _ => Map::new(),
    };
    for (key, value) in [
        ("id", json!(booking.id)),
        ("uid", json!(booking.uid)),
        ("userId", json!(organizer.id)),
        ("userPrimaryEmail", json!(organizer.email)),
        ("eventTypeId", json!(event_type.id)),
        (
            "title",
            json!(format!(
                "{} between {} and {}",
                event_type.title, organizer.name, booking.attendee.name
            )),
        ),
        ("startTime", json!(iso(booking.start_ms))),
        ("endTime", json!(iso(booking.end_ms))),
        ("paid", json!(booking.paid)),
        ("iCalUID", json!(format!("{}@Cal.com", booking.uid))),
        (
            "user",
            json!({ "email": organizer.email, "name": organizer.name, "timeZone": "UTC", "username": format!("user{}", organizer.id) }),
        ),
        (
            "attendees",
            json!([{ "id": booking.id, "email": booking.attendee.email, "name": booking.attendee.name, "timeZone": booking.attendee.time_zone, "phoneNumber": null, "locale": "en", "bookingId": booking.id, "noShow": false }]),
        ),
    ] {
        data.insert(key.to_owned(), value);
    }
    data
}

/// What a lifecycle step did: the booking afterwards and the deliveries it caused.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// The booking after the step.
    pub booking: Booking,
    /// The trigger fired, if any.
    pub trigger: Option<TriggerEvent>,
    /// One entry per subscription that received it.
    pub dispatched: Vec<crate::calcom::dispatch::Dispatched>,
    /// What the organizer's apps did, when they ran (`appsStatus`, as the webhook
    /// carries it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apps_status: Option<Value>,
}

/// Why a step cannot happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// No such event type.
    #[error("no event type with id {0}; the seed has 1 and 2 (user 1) and 3 (user 2)")]
    UnknownEventType(i64),
    /// No such booking: the uid asked for, and some that exist.
    #[error("no booking with uid {0}; {1}")]
    UnknownBooking(String, String),
    /// No such user.
    #[error("no user with id {0}; list them with GET /_calsim/users")]
    UnknownUser(i64),
    /// A time that is not an ISO 8601 instant.
    #[error("`{0}` is not an ISO 8601 instant; write it like 2030-01-01T10:00:00Z")]
    BadTime(String),
    /// The payment app could not create the payment (the booking stays PENDING
    /// without one, as Cal.com leaves it when `PaymentService.create` throws).
    #[error("payment_not_created_error: {0}")]
    PaymentNotCreated(String),
    /// The step does not apply to a booking in this state.
    #[error("booking {uid} is {status:?}; {step} needs {needs}")]
    WrongState {
        /// The booking.
        uid: String,
        /// Its status.
        status: Status,
        /// The step asked for.
        step: &'static str,
        /// The status it needs.
        needs: &'static str,
    },
}

/// A booking request.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewBooking {
    /// The event type.
    pub event_type_id: i64,
    /// Start (ISO 8601).
    pub start: String,
    /// Length in minutes (default 30).
    #[serde(default)]
    pub length_minutes: Option<i64>,
    /// The guest (default: Guest User, guest@example.com, Europe/London).
    #[serde(default)]
    pub attendee: Option<Attendee>,
    /// The organizer must confirm: BOOKING_REQUESTED instead of BOOKING_CREATED.
    #[serde(default)]
    pub requires_confirmation: bool,
    /// Price in minor units (default: the event type's `price`): the booking is
    /// PENDING with a payment (BOOKING_PAYMENT_INITIATED) until paid.
    #[serde(default)]
    pub price: i64,
}

use std::sync::Arc;

use crate::calcom::app_services::{self, AppsOutcome};
use crate::calcom::dispatch::{dispatch, Event};
use crate::calcom::payment;
use crate::calcom::scheduler::{Job, Work};
use crate::calcom::state::Calcom;
use crate::calcom::subscription::Scope;

/// A user's scopes: the user and the organizations they belong to.
fn user_scopes(calcom: &Calcom, user_id: i64) -> Vec<Scope> {
    let mut scopes = vec![Scope::User(user_id)];
    scopes.extend(
        calcom
            .store
            .organizations_of(user_id)
            .into_iter()
            .map(Scope::Organization),
    );
    scopes
}

/// A booking's scopes: its organizer's, and its event type.
fn scopes(calcom: &Calcom, booking: &Booking) -> Vec<Scope> {
    let mut scopes = user_scopes(calcom, booking.user_id);
    scopes.insert(1, Scope::EventType(booking.event_type_id));
    scopes
}

fn context(calcom: &Calcom, booking: &Booking) -> Result<(EventType, User), LifecycleError> {
    let event_type = calcom
        .store
        .event_type(booking.event_type_id)
        .ok_or(LifecycleError::UnknownEventType(booking.event_type_id))?;
    let organizer = calcom
        .store
        .user(booking.user_id)
        .ok_or(LifecycleError::UnknownEventType(booking.event_type_id))?;
    Ok((event_type, organizer))
}

async fn fire(
    calcom: &Arc<Calcom>,
    booking: Booking,
    trigger: TriggerEvent,
    extra: Map<String, Value>,
) -> Result<Step, LifecycleError> {
    fire_from(calcom, booking, trigger, extra, Sender::Booking(None)).await
}

/// Which of Cal.com's functions builds a booking webhook's body.
#[derive(Clone, Copy, Debug)]
enum Sender<'a> {
    /// `handleNewBooking` and the other booking handlers: the `CalendarEvent`, with what
    /// the organizer's apps did when they ran ([`AppsOutcome::apply`]).
    Booking(Option<&'a AppsOutcome>),
    /// `handleConfirmation`, once the organizer confirms or the guest pays: the
    /// `CalendarEvent` its `EventManager.create` ran on, which gains `videoCallData` and
    /// the location but never `appsStatus` (only `handleNewBooking` copies the results
    /// there); `requiresConfirmation` is the event type's `requiresConfirmation || null`;
    /// `metadata` is `{videoCallUrl}` only when there is a meeting URL.
    Confirmation {
        apps: Option<&'a AppsOutcome>,
        requires_confirmation: bool,
    },
}

async fn fire_from(
    calcom: &Arc<Calcom>,
    booking: Booking,
    trigger: TriggerEvent,
    extra: Map<String, Value>,
    sender: Sender<'_>,
) -> Result<Step, LifecycleError> {
    let (event_type, organizer) = context(calcom, &booking)?;
    let mut data = event_data(&booking, &event_type, &organizer, trigger);
    let apps = match sender {
        Sender::Booking(apps) | Sender::Confirmation { apps, .. } => apps,
    };
    if let Some(apps) = apps {
        apps.apply(&mut data, &booking);
    }
    if let Sender::Confirmation {
        apps,
        requires_confirmation,
    } = sender
    {
        data.remove("appsStatus");
        let confirmation = if requires_confirmation {
            json!(true)
        } else {
            Value::Null
        };
        data.insert("requiresConfirmation".to_owned(), confirmation);
        if let Some(apps) = apps {
            match apps.meeting_url(&booking) {
                Some(url) => data.insert("metadata".to_owned(), json!({ "videoCallUrl": url })),
                None => data.remove("metadata"),
            };
        }
    }
    data.extend(extra);
    let event = Event {
        trigger,
        scopes: scopes(calcom, &booking),
        data,
        created_at: None,
    };
    let dispatched = dispatch(calcom, event).await;
    Ok(Step {
        booking,
        trigger: Some(trigger),
        dispatched,
        apps_status: apps.map(|apps| Value::Array(apps.apps_status.clone())),
    })
}

fn schedule_meetings(calcom: &Calcom, booking: &Booking) {
    for (due_ms, trigger) in [
        (booking.start_ms, TriggerEvent::MeetingStarted),
        (booking.end_ms, TriggerEvent::MeetingEnded),
    ] {
        calcom.scheduler.schedule(Job {
            due_ms,
            work: Work::Meeting {
                trigger,
                booking_uid: booking.uid.clone(),
            },
        });
    }
}

/// An ISO 8601 instant in epoch milliseconds.
fn instant(text: &str) -> Result<i64, LifecycleError> {
    text.parse::<jiff::Timestamp>()
        .map(|instant| instant.as_millisecond())
        .map_err(|_| LifecycleError::BadTime(text.to_owned()))
}

fn booking(calcom: &Calcom, uid: &str) -> Result<Booking, LifecycleError> {
    calcom.store.booking(uid).ok_or_else(|| {
        let known: Vec<String> = calcom
            .store
            .bookings()
            .into_iter()
            .rev()
            .take(10)
            .map(|booking| booking.uid)
            .collect();
        let hint = if known.is_empty() {
            "there are no bookings yet; create one with `calsim booking create --start ...`"
                .to_owned()
        } else {
            format!(
                "the newest are {} (GET /_calsim/bookings lists all)",
                known.join(", ")
            )
        };
        LifecycleError::UnknownBooking(uid.to_owned(), hint)
    })
}

fn expect(
    booking: &Booking,
    step: &'static str,
    allowed: &[Status],
    needs: &'static str,
) -> Result<(), LifecycleError> {
    if allowed.contains(&booking.status) {
        return Ok(());
    }
    Err(LifecycleError::WrongState {
        uid: booking.uid.clone(),
        status: booking.status,
        step,
        needs,
    })
}

/// Books: BOOKING_PAYMENT_INITIATED (priced: the payment app creates the payment
/// first), BOOKING_REQUESTED (needs confirmation) or BOOKING_CREATED after the
/// organizer's apps ran, which also schedules the meeting triggers.
pub async fn create(calcom: &Arc<Calcom>, new: NewBooking) -> Result<Step, LifecycleError> {
    let event_type = calcom
        .store
        .event_type(new.event_type_id)
        .ok_or(LifecycleError::UnknownEventType(new.event_type_id))?;
    let start_ms = instant(&new.start)?;
    let price = if new.price > 0 {
        new.price
    } else {
        event_type.apps.price.unwrap_or(0)
    };
    let pending = new.requires_confirmation || price > 0;
    let booking = calcom.store.add_booking(Booking {
        id: 0,
        uid: String::new(),
        event_type_id: event_type.id,
        user_id: event_type.user_id,
        start_ms,
        end_ms: start_ms + new.length_minutes.unwrap_or(30) * 60_000,
        status: if pending {
            Status::Pending
        } else {
            Status::Accepted
        },
        attendee: new.attendee.unwrap_or(Attendee {
            name: "Guest User".to_owned(),
            email: "guest@example.com".to_owned(),
            time_zone: "Europe/London".to_owned(),
        }),
        price,
        paid: false,
        rescheduled_from: None,
        created_ms: calcom.clock.now_ms(),
        references: Vec::new(),
        payment: None,
    });
    if price > 0 {
        return initiate_payment(calcom, booking, &event_type).await;
    }
    if pending {
        return fire(calcom, booking, TriggerEvent::BookingRequested, Map::new()).await;
    }
    schedule_meetings(calcom, &booking);
    let (booking, apps) = run_apps(calcom, booking).await?;
    fire_from(
        calcom,
        booking,
        TriggerEvent::BookingCreated,
        Map::new(),
        Sender::Booking(apps.as_ref()),
    )
    .await
}

/// A priced booking's payment, then BOOKING_PAYMENT_INITIATED with its `paymentId`.
async fn initiate_payment(
    calcom: &Arc<Calcom>,
    booking: Booking,
    event_type: &EventType,
) -> Result<Step, LifecycleError> {
    let (_, organizer) = context(calcom, &booking)?;
    let currency = event_type.apps.currency.as_deref().unwrap_or("usd");
    let made = payment::create(calcom, &booking, event_type, &organizer, currency)
        .await
        .map_err(LifecycleError::PaymentNotCreated)?;
    let extra = Map::from_iter([("paymentId".to_owned(), json!(made.id))]);
    let booking = calcom
        .store
        .update_booking(&booking.uid, |row| row.payment = Some(made.clone()))
        .unwrap_or(booking);
    fire(
        calcom,
        booking,
        TriggerEvent::BookingPaymentInitiated,
        extra,
    )
    .await
}

/// The organizer's apps for a booking that is now accepted (`EventManager.create`):
/// the booking with their references, and the webhook fields they set.
async fn run_apps(
    calcom: &Arc<Calcom>,
    booking: Booking,
) -> Result<(Booking, Option<AppsOutcome>), LifecycleError> {
    let (event_type, organizer) = context(calcom, &booking)?;
    if !event_type.apps.any() {
        return Ok((booking, None));
    }
    let outcome = app_services::create(calcom, &booking, &event_type, &organizer).await;
    let booking = calcom
        .store
        .update_booking(&booking.uid, |row| {
            row.references.clone_from(&outcome.references);
        })
        .unwrap_or(booking);
    Ok((booking, Some(outcome)))
}

/// The organizer confirms a requested booking: BOOKING_CREATED.
pub async fn confirm(calcom: &Arc<Calcom>, uid: &str) -> Result<Step, LifecycleError> {
    let found = booking(calcom, uid)?;
    expect(&found, "confirm", &[Status::Pending], "PENDING")?;
    if found.awaits_payment() {
        return Err(LifecycleError::WrongState {
            uid: found.uid,
            status: found.status,
            step: "confirm",
            needs: "a paid booking (this one awaits payment: pay it first)",
        });
    }
    let booking = calcom
        .store
        .update_booking(uid, |booking| booking.status = Status::Accepted)
        .unwrap_or(found);
    schedule_meetings(calcom, &booking);
    let (booking, apps) = run_apps(calcom, booking).await?;
    let sender = Sender::Confirmation {
        apps: apps.as_ref(),
        requires_confirmation: true,
    };
    fire_from(
        calcom,
        booking,
        TriggerEvent::BookingCreated,
        Map::new(),
        sender,
    )
    .await
}

/// The organizer rejects a requested booking: BOOKING_REJECTED.
pub async fn reject(
    calcom: &Arc<Calcom>,
    uid: &str,
    reason: Option<String>,
) -> Result<Step, LifecycleError> {
    let found = booking(calcom, uid)?;
    expect(&found, "reject", &[Status::Pending], "PENDING")?;
    let booking = calcom
        .store
        .update_booking(uid, |booking| booking.status = Status::Rejected)
        .unwrap_or(found);
    let extra = Map::from_iter([("rejectionReason".to_owned(), json!(reason))]);
    fire(calcom, booking, TriggerEvent::BookingRejected, extra).await
}

/// Cancels: BOOKING_CANCELLED; the meeting triggers are dropped.
pub async fn cancel(
    calcom: &Arc<Calcom>,
    uid: &str,
    reason: Option<String>,
) -> Result<Step, LifecycleError> {
    let found = booking(calcom, uid)?;
    expect(
        &found,
        "cancel",
        &[Status::Accepted, Status::Pending],
        "ACCEPTED or PENDING",
    )?;
    calcom.scheduler.unschedule(uid);
    let booking = calcom
        .store
        .update_booking(uid, |booking| booking.status = Status::Cancelled)
        .unwrap_or(found);
    app_services::cancel(calcom, &booking.references).await;
    let booking = match &booking.payment {
        Some(paid) if paid.success && !paid.refunded => match payment::refund(calcom, paid).await {
            Ok(refunded) => calcom
                .store
                .update_booking(uid, |row| row.payment = Some(refunded.clone()))
                .unwrap_or(booking),
            Err(_) => booking,
        },
        _ => booking,
    };
    let extra = Map::from_iter([
        ("cancelledBy".to_owned(), json!(booking.attendee.email)),
        ("cancellationReason".to_owned(), json!(reason)),
        ("requestReschedule".to_owned(), json!(false)),
    ]);
    fire(calcom, booking, TriggerEvent::BookingCancelled, extra).await
}

/// Moves a booking: a new booking (new uid and id) replaces the old one, which is
/// cancelled without a trigger; BOOKING_RESCHEDULED carries `rescheduleUid` and the old times.
pub async fn reschedule(
    calcom: &Arc<Calcom>,
    uid: &str,
    start: &str,
) -> Result<Step, LifecycleError> {
    let old = booking(calcom, uid)?;
    expect(&old, "reschedule", &[Status::Accepted], "ACCEPTED")?;
    let start_ms = instant(start)?;
    calcom.scheduler.unschedule(uid);
    calcom
        .store
        .update_booking(uid, |booking| booking.status = Status::Cancelled);
    let new = calcom.store.add_booking(Booking {
        start_ms,
        end_ms: start_ms + (old.end_ms - old.start_ms),
        rescheduled_from: Some(old.uid.clone()),
        created_ms: calcom.clock.now_ms(),
        ..old.clone()
    });
    schedule_meetings(calcom, &new);
    let (event_type, organizer) = context(calcom, &new)?;
    let mut apps = None;
    let new = if old.references.is_empty() {
        new
    } else {
        let outcome =
            app_services::reschedule(calcom, &new, &event_type, &organizer, &old.references).await;
        let new = calcom
            .store
            .update_booking(&new.uid, |row| {
                row.references.clone_from(&outcome.references);
            })
            .unwrap_or(new);
        apps = Some(outcome);
        new
    };
    let extra = Map::from_iter([
        ("rescheduleId".to_owned(), json!(old.id)),
        ("rescheduleUid".to_owned(), json!(old.uid)),
        ("rescheduleStartTime".to_owned(), json!(iso(old.start_ms))),
        ("rescheduleEndTime".to_owned(), json!(iso(old.end_ms))),
        ("rescheduledBy".to_owned(), json!(old.attendee.email)),
    ]);
    let sender = Sender::Booking(apps.as_ref());
    fire_from(calcom, new, TriggerEvent::BookingRescheduled, extra, sender).await
}

/// The guest pays (Stripe's `payment_intent.succeeded` reaching `handlePaymentSuccess`):
/// the payment succeeds and the booking is accepted and paid; then, as
/// `handleConfirmation` does, the organizer's apps run, BOOKING_CREATED fires and
/// BOOKING_PAID follows with the same payload plus `paymentId`, its `metadata` replaced
/// by the payment's (`identifier`, `bookingId`, `eventTypeId`, `bookerEmail`,
/// `eventTitle`, `externalId`). The meeting triggers are scheduled.
pub async fn pay(calcom: &Arc<Calcom>, uid: &str) -> Result<Step, LifecycleError> {
    let found = booking(calcom, uid)?;
    if !found.awaits_payment() {
        return Err(LifecycleError::WrongState {
            uid: found.uid,
            status: found.status,
            step: "pay",
            needs: "PENDING with an unpaid payment (book with a price)",
        });
    }
    let booking = calcom
        .store
        .update_booking(uid, |booking| {
            booking.paid = true;
            booking.status = Status::Accepted;
            if let Some(payment) = &mut booking.payment {
                payment.success = true;
            }
        })
        .unwrap_or(found);
    schedule_meetings(calcom, &booking);
    let (booking, apps) = run_apps(calcom, booking).await?;
    let sender = Sender::Confirmation {
        apps: apps.as_ref(),
        requires_confirmation: false,
    };
    let created = fire_from(
        calcom,
        booking.clone(),
        TriggerEvent::BookingCreated,
        Map::new(),
        sender,
    )
    .await?;
    let (event_type, _) = context(calcom, &booking)?;
    let payment = booking.payment.clone();
    let extra = Map::from_iter([
        (
            "metadata".to_owned(),
            json!({
                "identifier": "cal.com", "bookingId": booking.id, "eventTypeId": event_type.id,
                "bookerEmail": booking.attendee.email, "eventTitle": event_type.title,
                "externalId": payment.as_ref().map(|payment| payment.external_id.clone()),
            }),
        ),
        (
            "paymentId".to_owned(),
            json!(payment.map(|payment| payment.id)),
        ),
    ]);
    let mut paid = fire_from(calcom, booking, TriggerEvent::BookingPaid, extra, sender).await?;
    let mut dispatched = created.dispatched;
    dispatched.append(&mut paid.dispatched);
    paid.dispatched = dispatched;
    Ok(paid)
}

/// Marks the guest as a no-show (or not): BOOKING_NO_SHOW_UPDATED.
pub async fn no_show(
    calcom: &Arc<Calcom>,
    uid: &str,
    no_show: bool,
) -> Result<Step, LifecycleError> {
    let booking = booking(calcom, uid)?;
    let verb = if no_show { "marked" } else { "unmarked" };
    let mut data = Map::new();
    data.insert(
        "message".to_owned(),
        json!(format!("{} {verb} as no-show", booking.attendee.email)),
    );
    data.insert(
        "attendees".to_owned(),
        json!([{ "email": booking.attendee.email, "noShow": no_show }]),
    );
    data.insert("bookingUid".to_owned(), json!(booking.uid));
    data.insert("bookingId".to_owned(), json!(booking.id));
    let event = Event {
        trigger: TriggerEvent::BookingNoShowUpdated,
        scopes: scopes(calcom, &booking),
        data,
        created_at: None,
    };
    let dispatched = dispatch(calcom, event).await;
    Ok(Step {
        booking,
        trigger: Some(TriggerEvent::BookingNoShowUpdated),
        dispatched,
        apps_status: None,
    })
}

/// Starts or ends the meeting now instead of at its time: the trigger fires at once and
/// its scheduled job is dropped.
pub async fn meeting_now(
    calcom: &Arc<Calcom>,
    uid: &str,
    trigger: TriggerEvent,
) -> Result<Step, LifecycleError> {
    let found = booking(calcom, uid)?;
    expect(&found, "start or end", &[Status::Accepted], "ACCEPTED")?;
    calcom.scheduler.unschedule_meeting(uid, trigger);
    let dispatched = fire_meeting(calcom, trigger, uid).await;
    Ok(Step {
        booking: found,
        trigger: Some(trigger),
        dispatched,
        apps_status: None,
    })
}

/// Sends a scheduled MEETING_STARTED or MEETING_ENDED (flat body) for a booking.
pub async fn fire_meeting(
    calcom: &Arc<Calcom>,
    trigger: TriggerEvent,
    booking_uid: &str,
) -> Vec<crate::calcom::dispatch::Dispatched> {
    let Some(booking) = calcom.store.booking(booking_uid) else {
        return Vec::new();
    };
    let Ok((event_type, organizer)) = context(calcom, &booking) else {
        return Vec::new();
    };
    let data = meeting_data(&booking, &event_type, &organizer);
    let event = Event {
        trigger,
        scopes: scopes(calcom, &booking),
        data,
        created_at: None,
    };
    dispatch(calcom, event).await
}

/// An out-of-office entry request.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewOutOfOffice {
    /// Whose.
    pub user_id: i64,
    /// Start (ISO 8601).
    pub start: String,
    /// End (ISO 8601).
    pub end: String,
    /// Notes.
    #[serde(default)]
    pub notes: Option<String>,
    /// Bookings are redirected to this user, if any.
    #[serde(default)]
    pub to_user_id: Option<i64>,
}

fn user_json(user: &User) -> Value {
    json!({ "id": user.id, "name": user.name, "username": format!("user{}", user.id), "email": user.email, "timeZone": "UTC" })
}

/// Creates an out-of-office entry: OOO_CREATED to the user's subscriptions.
pub async fn out_of_office(
    calcom: &Arc<Calcom>,
    new: NewOutOfOffice,
) -> Result<Vec<crate::calcom::dispatch::Dispatched>, LifecycleError> {
    let user = calcom
        .store
        .user(new.user_id)
        .ok_or(LifecycleError::UnknownUser(new.user_id))?;
    let to_user = match new.to_user_id {
        Some(id) => user_json(
            &calcom
                .store
                .user(id)
                .ok_or(LifecycleError::UnknownUser(id))?,
        ),
        None => Value::Null,
    };
    let now = iso(calcom.clock.now_ms());
    let mut data = Map::new();
    data.insert(
        "oooEntry".to_owned(),
        json!({
            "id": 1, "start": new.start, "end": new.end, "createdAt": now, "updatedAt": now,
            "notes": new.notes, "reason": { "emoji": "🏝️", "reason": "vacation" }, "reasonId": 1,
            "user": user_json(&user), "toUser": to_user, "uuid": crate::calcom::subscription::uuid_v4(),
        }),
    );
    let scopes = user_scopes(calcom, user.id);
    Ok(dispatch(
        calcom,
        Event {
            trigger: TriggerEvent::OooCreated,
            scopes,
            data,
            created_at: None,
        },
    )
    .await)
}

/// A routing-form submission.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FormSubmission {
    /// The form owner.
    pub user_id: i64,
    /// The form's name.
    #[serde(default)]
    pub form_name: Option<String>,
    /// Field label (or identifier) to answer.
    pub responses: Map<String, Value>,
}

/// Submits a routing form: FORM_SUBMITTED (responses also copied to the body's top level).
pub async fn submit_form(
    calcom: &Arc<Calcom>,
    form_id: &str,
    submission: FormSubmission,
) -> Result<Vec<crate::calcom::dispatch::Dispatched>, LifecycleError> {
    let user = calcom
        .store
        .user(submission.user_id)
        .ok_or(LifecycleError::UnknownUser(submission.user_id))?;
    let responses: Map<String, Value> = submission
        .responses
        .into_iter()
        .map(|(field, value)| (field, json!({ "value": value, "response": value })))
        .collect();
    let mut data = Map::new();
    data.insert("formId".to_owned(), json!(form_id));
    data.insert(
        "formName".to_owned(),
        json!(submission
            .form_name
            .unwrap_or_else(|| "Routing form".to_owned())),
    );
    data.insert("teamId".to_owned(), Value::Null);
    data.insert("responses".to_owned(), Value::Object(responses));
    let scopes = user_scopes(calcom, user.id);
    let email = data["responses"]
        .as_object()
        .and_then(|responses| {
            responses
                .iter()
                .find(|(field, _)| field.eq_ignore_ascii_case("email"))
        })
        .and_then(|(_, response)| response["value"].as_str())
        .map(str::to_owned);
    let mut follow_up = data.clone();
    follow_up.insert(
        "redirect".to_owned(),
        json!({ "type": "customPageMessage", "value": "Thank you for your response" }),
    );
    follow_up.insert(
        "responseId".to_owned(),
        json!(calcom.journal.entries(None).len() + 1),
    );
    let responses = follow_up.shift_remove("responses").unwrap_or(Value::Null);
    follow_up.insert("responses".to_owned(), responses);
    let now = calcom.clock.now_ms();
    calcom.scheduler.schedule(Job {
        due_ms: now + FORM_NO_EVENT_DELAY_MS,
        work: Work::FormNoEvent {
            email,
            submitted_ms: now,
            user_id: user.id,
            data: follow_up,
        },
    });
    Ok(dispatch(
        calcom,
        Event {
            trigger: TriggerEvent::FormSubmitted,
            scopes,
            data,
            created_at: None,
        },
    )
    .await)
}

/// Cal.com's delay before FORM_SUBMITTED_NO_EVENT: 15 minutes.
pub const FORM_NO_EVENT_DELAY_MS: i64 = 15 * 60_000;

/// Sends FORM_SUBMITTED_NO_EVENT unless the submitter booked since submitting (Cal.com
/// looks back about 20 minutes, which covers the 15-minute wait).
pub async fn form_no_event(
    calcom: &Arc<Calcom>,
    email: Option<&str>,
    submitted_ms: i64,
    user_id: i64,
    data: Map<String, Value>,
) -> Vec<crate::calcom::dispatch::Dispatched> {
    let booked = email.is_some_and(|email| {
        calcom.store.bookings().iter().any(|booking| {
            booking.attendee.email.eq_ignore_ascii_case(email)
                && booking.created_ms >= submitted_ms - 5 * 60_000
        })
    });
    if booked {
        return Vec::new();
    }
    let event = Event {
        trigger: TriggerEvent::FormSubmittedNoEvent,
        scopes: user_scopes(calcom, user_id),
        data,
        created_at: None,
    };
    dispatch(calcom, event).await
}
