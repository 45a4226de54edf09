//! The app services from the shell: `calsim providers` (faults and records of the fake
//! providers) and `calsim event-types` (which apps a booking of an event type uses),
//! against a running `calsim serve`.

use serde_json::{json, Value};

use super::control::{text, Target};

/// Faults and records of the fake providers (Google, Zoom, Graph, HubSpot, Stripe).
#[derive(Debug, clap::Args)]
pub struct ProvidersCommand {
    #[command(flatten)]
    target: Target,
    #[command(subcommand)]
    action: ProviderAction,
}

#[derive(Debug, clap::Subcommand)]
enum ProviderAction {
    /// Make an app's provider fail: a status (401 revoked, 403, 429, 5xx), a delay, or
    /// both; every call until cleared, or `--times N` calls.
    Fault {
        /// The app (`google-calendar`, `google-meet`, `zoom`, `office365-calendar`,
        /// `msteams`, `hubspot`, `stripe`).
        app: String,
        /// The status to answer.
        #[arg(long)]
        status: Option<u16>,
        /// Wait this long first (past Cal.com's patience: a timeout).
        #[arg(long)]
        delay_ms: Option<u64>,
        /// Only this many calls.
        #[arg(long)]
        times: Option<u32>,
    },
    /// Clear an app's fault.
    Clear {
        /// The app.
        app: String,
    },
    /// What the apps created, changed and deleted at the providers, oldest first.
    Records,
}

impl ProvidersCommand {
    pub async fn run(self) -> anyhow::Result<u8> {
        let target = &self.target;
        match self.action {
            ProviderAction::Fault {
                app,
                status,
                delay_ms,
                times,
            } => {
                if status.is_none() && delay_ms.is_none() {
                    anyhow::bail!("give --status, --delay-ms or both, e.g. --status 401 --times 1");
                }
                let body = json!({"status": status, "delayMs": delay_ms, "times": times});
                target.finish(
                    target
                        .call(
                            reqwest::Method::POST,
                            &format!("/_calsim/providers/{app}/fault"),
                            Some(body),
                            None,
                        )
                        .await?,
                    |answer| {
                        vec![format!(
                            "{} fails: {}",
                            text(&answer["app"]),
                            answer["fault"]
                        )]
                    },
                )
            }
            ProviderAction::Clear { app } => target.finish(
                target
                    .call(
                        reqwest::Method::DELETE,
                        &format!("/_calsim/providers/{app}/fault"),
                        None,
                        None,
                    )
                    .await?,
                |_| vec![format!("{app} answers normally")],
            ),
            ProviderAction::Records => target.finish(
                target
                    .call(
                        reqwest::Method::GET,
                        "/_calsim/providers/records",
                        None,
                        None,
                    )
                    .await?,
                |answer| {
                    answer.as_array().map_or_else(Vec::new, |records| {
                        records
                            .iter()
                            .map(|record| {
                                format!(
                                    "{} {} {}",
                                    text(&record["app"]),
                                    text(&record["operation"]),
                                    text(&record["id"])
                                )
                            })
                            .collect()
                    })
                },
            ),
        }
    }
}

/// The event types of a running fake Cal.com and the apps their bookings use.
#[derive(Debug, clap::Args)]
pub struct EventTypesCommand {
    #[command(flatten)]
    target: Target,
    #[command(subcommand)]
    action: Option<EventTypeAction>,
}

#[derive(Debug, clap::Subcommand)]
enum EventTypeAction {
    /// Every event type and its app settings (the default).
    List,
    /// Change the apps an event type's bookings use; options not given stay as they are.
    Set {
        /// The event type id.
        id: i64,
        /// `integrations:zoom`, `integrations:office365_video`,
        /// `integrations:google:meet`, `integrations:daily`, or `none`.
        #[arg(long)]
        location: Option<String>,
        /// `google-calendar`, `office365-calendar`, or `none`.
        #[arg(long)]
        destination_calendar: Option<String>,
        /// A CRM app to enable (repeat for more; `--crm none` for none).
        #[arg(long)]
        crm: Vec<String>,
        /// The price in minor units (0: free): bookings wait for payment.
        #[arg(long)]
        price: Option<i64>,
        /// The currency of the price (`usd`).
        #[arg(long)]
        currency: Option<String>,
    },
}

fn or_null(value: String) -> Value {
    if value == "none" {
        Value::Null
    } else {
        json!(value)
    }
}

impl EventTypesCommand {
    pub async fn run(self) -> anyhow::Result<u8> {
        let target = &self.target;
        let answer = match self.action.unwrap_or(EventTypeAction::List) {
            EventTypeAction::List => {
                target
                    .call(reqwest::Method::GET, "/_calsim/event-types", None, None)
                    .await?
            }
            EventTypeAction::Set {
                id,
                location,
                destination_calendar,
                crm,
                price,
                currency,
            } => {
                let mut body = serde_json::Map::new();
                if let Some(location) = location {
                    body.insert("location".to_owned(), or_null(location));
                }
                if let Some(calendar) = destination_calendar {
                    body.insert("destinationCalendar".to_owned(), or_null(calendar));
                }
                if !crm.is_empty() {
                    let apps: Vec<&String> = crm.iter().filter(|app| *app != "none").collect();
                    body.insert("crm".to_owned(), json!(apps));
                }
                if let Some(price) = price {
                    body.insert("price".to_owned(), json!(price));
                }
                if let Some(currency) = currency {
                    body.insert("currency".to_owned(), json!(currency));
                }
                let (status, answer) = target
                    .call(
                        reqwest::Method::PATCH,
                        &format!("/_calsim/event-types/{id}"),
                        Some(Value::Object(body)),
                        None,
                    )
                    .await?;
                (status, json!([answer]))
            }
        };
        target.finish(answer, |answer| {
            answer.as_array().map_or_else(Vec::new, |types| {
                types
                    .iter()
                    .map(|event_type| {
                        format!(
                            "{} {} (user {}) apps {}",
                            event_type["id"],
                            text(&event_type["slug"]),
                            event_type["userId"],
                            event_type["apps"]
                        )
                    })
                    .collect()
            })
        })
    }
}
