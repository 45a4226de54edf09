//! Cal.com's payment app for a priced booking, as Stripe's `PaymentService` runs it: a
//! PaymentIntent at the fake Stripe (`POST /_providers/stripe/v1/payment_intents`,
//! form-encoded, the platform's secret key and `Stripe-Account: <stripe_user_id>` of
//! the organizer's `stripe` credential), stored as a `Payment` row whose `data` is the
//! PaymentIntent plus `stripe_publishable_key` and `stripeAccount`; a refund when a paid
//! booking is cancelled (`POST /v1/refunds {payment_intent}`).
//!
//! Without a Stripe credential calsim still lets a booking be priced (the `price` of a
//! booking request): the payment row is made locally, with no provider call, so a
//! webhook consumer can rehearse BOOKING_PAYMENT_INITIATED and BOOKING_PAID alone.
//! Stripe's customer lookup (`customers.search`) is not simulated.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::calcom::state::Calcom;
use crate::calcom::store::{Booking, Credential, EventType, Payment, User};

/// The key calsim's Cal.com calls Stripe with when the `stripe` app has no
/// `client_secret` among its keys.
const DEFAULT_PLATFORM_KEY: &str = "sk_test_calsim";

/// The error Stripe's `PaymentService.create` throws, which fails the booking request.
pub const NOT_CREATED: &str = "payment_not_created_error";

fn stripe_credential(calcom: &Calcom, user_id: i64) -> Option<Credential> {
    calcom
        .store
        .credentials(Some(user_id), Some("stripe"))
        .into_iter()
        .filter(|credential| !credential.invalid)
        .max_by_key(|credential| credential.id)
}

fn platform_key(calcom: &Calcom) -> String {
    calcom
        .store
        .app("stripe")
        .and_then(|app| {
            app.keys
                .as_ref()?
                .get("client_secret")?
                .as_str()
                .map(str::to_owned)
        })
        .unwrap_or_else(|| DEFAULT_PLATFORM_KEY.to_owned())
}

/// Posts a form to the fake Stripe as the connected account; the JSON answer, or why it
/// failed.
async fn stripe(
    calcom: &Calcom,
    account: &str,
    path: &str,
    form: &[(&str, String)],
) -> Result<Value, String> {
    let base = calcom
        .self_url
        .get()
        .ok_or("the simulator is not listening")?;
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form.iter().map(|(name, value)| (*name, value.as_str())))
        .finish();
    let response = calcom
        .http
        .post(format!("{base}/_providers/stripe{path}"))
        .header("authorization", format!("Bearer {}", platform_key(calcom)))
        .header("stripe-account", account)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|error| error.to_string())?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let answer: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if status.is_success() {
        Ok(answer)
    } else {
        Err(format!("Stripe answered {status}: {answer}"))
    }
}

/// The payment of a new priced booking: a PaymentIntent at the fake Stripe when the
/// organizer has a Stripe credential, a local row otherwise.
pub async fn create(
    calcom: &Arc<Calcom>,
    booking: &Booking,
    event_type: &EventType,
    organizer: &User,
    currency: &str,
) -> Result<Payment, String> {
    let id = calcom.store.next_payment_id();
    let row = |external_id: String, data: Value| Payment {
        id,
        uid: crate::calcom::subscription::uuid_v4(),
        app_id: "stripe".to_owned(),
        amount: booking.price,
        fee: 0,
        currency: currency.to_owned(),
        success: false,
        refunded: false,
        external_id,
        payment_option: "ON_BOOKING".to_owned(),
        data,
    };
    let Some(credential) = stripe_credential(calcom, organizer.id) else {
        return Ok(row(format!("pi_calsim_local{id:08}"), json!({})));
    };
    let account = credential.key["stripe_user_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let title = format!(
        "{} between {} and {}",
        event_type.title, organizer.name, booking.attendee.name
    );
    let form = [
        ("amount", booking.price.to_string()),
        ("currency", currency.to_owned()),
        ("payment_method_types[0]", "card".to_owned()),
        ("metadata[identifier]", "cal.com".to_owned()),
        ("metadata[bookingId]", booking.id.to_string()),
        ("metadata[calAccountId]", organizer.id.to_string()),
        ("metadata[calUsername]", format!("user{}", organizer.id)),
        ("metadata[bookerName]", booking.attendee.name.clone()),
        ("metadata[bookerEmail]", booking.attendee.email.clone()),
        ("metadata[bookerPhoneNumber]", String::new()),
        ("metadata[eventTitle]", event_type.title.clone()),
        ("metadata[bookingTitle]", title),
    ];
    let intent = stripe(calcom, &account, "/v1/payment_intents", &form).await?;
    let external_id = intent["id"]
        .as_str()
        .ok_or("Stripe's PaymentIntent has no id")?
        .to_owned();
    let mut data = intent;
    if let Value::Object(fields) = &mut data {
        fields.insert(
            "stripe_publishable_key".to_owned(),
            credential.key["stripe_publishable_key"].clone(),
        );
        fields.insert("stripeAccount".to_owned(), json!(account));
    }
    Ok(row(external_id, data))
}

/// Refunds a paid payment (`refund(paymentId)`): the payment, marked refunded when the
/// provider accepted (a local payment always is).
pub async fn refund(calcom: &Arc<Calcom>, payment: &Payment) -> Result<Payment, String> {
    if !payment.success || payment.refunded {
        return Ok(payment.clone());
    }
    if let Some(account) = payment.data["stripeAccount"].as_str() {
        let form = [("payment_intent", payment.external_id.clone())];
        let refund = stripe(calcom, account, "/v1/refunds", &form).await?;
        if refund["status"] == "failed" {
            return Ok(payment.clone());
        }
    }
    Ok(Payment {
        refunded: true,
        ..payment.clone()
    })
}
