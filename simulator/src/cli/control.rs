//! The control API from the shell: `calsim subscriptions`, `calsim credentials`,
//! `calsim users`, `calsim apps` and `calsim config` against a running `calsim serve`.
//! Human lines by default, `--json` for scripts.

use std::io::Write;
use std::time::Duration;

use serde_json::{json, Value};

/// Where the running calsim is, and how to print.
#[derive(Debug, clap::Args)]
pub struct Target {
    /// The fake Cal.com's base URL.
    #[arg(long, default_value = "http://127.0.0.1:3000", global = true)]
    url: String,
    /// Print the JSON answers instead of one line per item.
    #[arg(long, global = true)]
    json: bool,
}

impl Target {
    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        api_key: Option<&str>,
    ) -> anyhow::Result<(u16, Value)> {
        let timeout = Duration::from_secs(30);
        let base = self.url.trim_end_matches('/');
        let mut request =
            calsim::net::http_client::build(timeout).request(method, format!("{base}{path}"));
        if let Some(key) = api_key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|error| {
            anyhow::anyhow!(
                "no answer from {base}: {}; is `calsim serve` running there?",
                calsim::net::http_client::describe_error(&error, timeout)
            )
        })?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(if text.is_empty() {
                Value::Null
            } else {
                Value::String(text)
            }),
        ))
    }

    /// Prints the answer (`lines` renders a success for people) and maps it to an exit
    /// code: 0 for 2xx, 1 otherwise (the answer says why).
    pub(crate) fn finish(
        &self,
        (status, answer): (u16, Value),
        lines: impl Fn(&Value) -> Vec<String>,
    ) -> anyhow::Result<u8> {
        let mut stdout = std::io::stdout();
        let ok = (200..300).contains(&status);
        if self.json || !ok {
            if !answer.is_null() {
                writeln!(stdout, "{answer:#}")?;
            }
        } else {
            for line in lines(&answer) {
                writeln!(stdout, "{line}")?;
            }
        }
        Ok(if ok {
            super::EXIT_OK
        } else {
            super::EXIT_CHECK_FAILED
        })
    }
}

pub(crate) fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}

/// Webhook subscriptions (the v2 API's `/v2/webhooks`, as user 1 with the admin key).
#[derive(Debug, clap::Args)]
pub struct SubscriptionsCommand {
    #[command(flatten)]
    target: Target,
    /// The API key the v2 calls use (calsim's admin key by default).
    #[arg(long, default_value = "cal_calsim_admin_key", global = true)]
    api_key: String,
    #[command(subcommand)]
    action: SubscriptionAction,
}

#[derive(Debug, clap::Subcommand)]
enum SubscriptionAction {
    /// Every subscription (all scopes).
    List,
    /// Subscribe a URL to triggers.
    Create {
        /// Where deliveries go.
        #[arg(long)]
        to: String,
        /// Triggers, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "BOOKING_CREATED")]
        triggers: Vec<String>,
        /// The signing secret (none: `no-secret-provided`).
        #[arg(long)]
        secret: Option<String>,
        /// A `payloadTemplate`.
        #[arg(long)]
        template: Option<String>,
    },
    /// Delete a subscription by id.
    Delete {
        /// The subscription id (`calsim subscriptions list`).
        id: String,
    },
}

impl SubscriptionsCommand {
    pub async fn run(self) -> anyhow::Result<u8> {
        let target = &self.target;
        match self.action {
            SubscriptionAction::List => target.finish(
                target
                    .call(reqwest::Method::GET, "/_calsim/subscriptions", None, None)
                    .await?,
                |answer| {
                    answer.as_array().map_or_else(Vec::new, |items| {
                        items
                            .iter()
                            .map(|item| {
                                format!(
                                    "{} {} {} active={} [{}]",
                                    text(&item["id"]),
                                    text(&item["subscriberUrl"]),
                                    item["scope"],
                                    item["active"],
                                    item["triggers"]
                                        .as_array()
                                        .map_or_else(String::new, |list| list
                                            .iter()
                                            .map(text)
                                            .collect::<Vec<_>>()
                                            .join(","))
                                )
                            })
                            .collect()
                    })
                },
            ),
            SubscriptionAction::Create {
                to,
                triggers,
                secret,
                template,
            } => {
                let mut body = json!({ "subscriberUrl": to, "triggers": triggers, "active": true });
                if let Some(secret) = secret {
                    body["secret"] = json!(secret);
                }
                if let Some(template) = template {
                    body["payloadTemplate"] = json!(template);
                }
                target.finish(
                    target
                        .call(
                            reqwest::Method::POST,
                            "/v2/webhooks",
                            Some(body),
                            Some(&self.api_key),
                        )
                        .await?,
                    |answer| vec![format!("created {}", text(&answer["data"]["id"]))],
                )
            }
            SubscriptionAction::Delete { id } => target.finish(
                target
                    .call(
                        reqwest::Method::DELETE,
                        &format!("/v2/webhooks/{id}"),
                        None,
                        Some(&self.api_key),
                    )
                    .await?,
                |_| vec![format!("deleted {id}")],
            ),
        }
    }
}

/// Stored credentials: list, show, pull now, expire, delete.
#[derive(Debug, clap::Args)]
pub struct CredentialsCommand {
    #[command(flatten)]
    target: Target,
    #[command(subcommand)]
    action: CredentialAction,
}

#[derive(Debug, clap::Subcommand)]
enum CredentialAction {
    /// Every credential (tokens masked).
    List {
        /// Only this user's.
        #[arg(long)]
        user: Option<i64>,
    },
    /// One credential.
    Show {
        /// The credential id.
        id: i64,
    },
    /// Pull a fresh token from the partner now; prints Cal.com's verdict.
    Refresh {
        /// The credential id.
        id: i64,
    },
    /// `markTokenAsExpired`: the next use (or auto-refresh) pulls.
    Expire {
        /// The credential id.
        id: i64,
    },
    /// Delete a credential.
    Delete {
        /// The credential id.
        id: i64,
    },
}

fn credential_line(item: &Value) -> String {
    format!(
        "#{} user {} {} ({}){}",
        item["id"],
        text(&item["userId"]),
        text(&item["appId"]),
        text(&item["type"]),
        if item["invalid"] == true {
            " invalid"
        } else {
            ""
        }
    )
}

impl CredentialsCommand {
    pub async fn run(self) -> anyhow::Result<u8> {
        let target = &self.target;
        let (method, path) = match &self.action {
            CredentialAction::List { user: Some(user) } => (
                reqwest::Method::GET,
                format!("/_calsim/credentials?userId={user}"),
            ),
            CredentialAction::List { user: None } => {
                (reqwest::Method::GET, "/_calsim/credentials".to_owned())
            }
            CredentialAction::Show { id } => {
                (reqwest::Method::GET, format!("/_calsim/credentials/{id}"))
            }
            CredentialAction::Refresh { id } => (
                reqwest::Method::POST,
                format!("/_calsim/credentials/{id}/refresh"),
            ),
            CredentialAction::Expire { id } => (
                reqwest::Method::POST,
                format!("/_calsim/credentials/{id}/expire"),
            ),
            CredentialAction::Delete { id } => (
                reqwest::Method::DELETE,
                format!("/_calsim/credentials/{id}"),
            ),
        };
        let answer = target.call(method, &path, None, None).await?;
        target.finish(answer, |answer| match &self.action {
            CredentialAction::List { .. } => answer.as_array().map_or_else(Vec::new, |items| {
                items.iter().map(credential_line).collect()
            }),
            CredentialAction::Show { .. } | CredentialAction::Expire { .. } => {
                vec![credential_line(answer), format!("key {}", answer["key"])]
            }
            CredentialAction::Refresh { .. } => vec![format!(
                "partner answered {} -> {}",
                text(&answer["status"]),
                answer["judgement"]["accepted"].as_bool().map_or_else(
                    || text(&answer["networkError"]),
                    |accepted| if accepted {
                        "token stored".to_owned()
                    } else {
                        format!("refused: {}", text(&answer["judgement"]["error"]))
                    }
                )
            )],
            CredentialAction::Delete { id } => vec![format!("deleted #{id}")],
        })
    }
}

/// Users of the fake Cal.com.
#[derive(Debug, clap::Args)]
pub struct UsersCommand {
    #[command(flatten)]
    target: Target,
    #[command(subcommand)]
    action: UserAction,
}

#[derive(Debug, clap::Subcommand)]
enum UserAction {
    /// Every user.
    List,
    /// Add or replace a user.
    Add {
        /// The user id.
        id: i64,
        /// Email (default `user<id>@example.com`).
        #[arg(long)]
        email: Option<String>,
        /// Make the user an admin (allowed to use API v1 credential sync).
        #[arg(long)]
        admin: bool,
    },
}

impl UsersCommand {
    pub async fn run(self) -> anyhow::Result<u8> {
        let target = &self.target;
        match self.action {
            UserAction::List => target.finish(
                target
                    .call(reqwest::Method::GET, "/_calsim/users", None, None)
                    .await?,
                |answer| {
                    answer.as_array().map_or_else(Vec::new, |items| {
                        items
                            .iter()
                            .map(|user| {
                                format!(
                                    "{} {} <{}> {}",
                                    user["id"],
                                    text(&user["name"]),
                                    text(&user["email"]),
                                    text(&user["role"])
                                )
                            })
                            .collect()
                    })
                },
            ),
            UserAction::Add { id, email, admin } => {
                let mut body = json!({ "id": id, "role": if admin { "ADMIN" } else { "USER" } });
                if let Some(email) = email {
                    body["email"] = json!(email);
                }
                target.finish(
                    target
                        .call(reqwest::Method::POST, "/_calsim/users", Some(body), None)
                        .await?,
                    |user| vec![format!("user {} <{}>", user["id"], text(&user["email"]))],
                )
            }
        }
    }
}

/// Apps of the fake Cal.com.
#[derive(Debug, clap::Args)]
pub struct AppsCommand {
    #[command(flatten)]
    target: Target,
}

impl AppsCommand {
    pub async fn run(self) -> anyhow::Result<u8> {
        let target = &self.target;
        target.finish(
            target
                .call(reqwest::Method::GET, "/_calsim/apps", None, None)
                .await?,
            |answer| {
                answer.as_array().map_or_else(Vec::new, |items| {
                    items
                        .iter()
                        .map(|item| {
                            format!(
                                "{} {}",
                                text(&item["app"]["slug"]),
                                item["metadata"]["type"]
                                    .as_str()
                                    .map_or_else(|| "(no metadata)".to_owned(), str::to_owned)
                            )
                        })
                        .collect()
                })
            },
        )
    }
}

/// The running configuration: show it, or change it without a restart.
#[derive(Debug, clap::Args)]
pub struct ConfigCommand {
    #[command(flatten)]
    target: Target,
    #[command(subcommand)]
    action: Option<ConfigAction>,
}

#[derive(Debug, clap::Subcommand)]
enum ConfigAction {
    /// The effective configuration, secrets masked (the default).
    Show,
    /// Change settings, `NAME=VALUE` each: profile, syncEndpoint, syncSecret, headerName,
    /// encryptionKey, zod, apiV1, webhookAttempts, wrappedMeetingBodies. State is kept.
    Set {
        /// `NAME=VALUE` pairs.
        #[arg(required = true)]
        settings: Vec<String>,
    },
}

impl ConfigCommand {
    pub async fn run(self) -> anyhow::Result<u8> {
        let target = &self.target;
        let answer = match self.action.unwrap_or(ConfigAction::Show) {
            ConfigAction::Show => {
                target
                    .call(reqwest::Method::GET, "/_calsim/config", None, None)
                    .await?
            }
            ConfigAction::Set { settings } => {
                let mut body = serde_json::Map::new();
                for pair in settings {
                    let (name, value) = pair
                        .split_once('=')
                        .ok_or_else(|| anyhow::anyhow!("`{pair}`: write NAME=VALUE, e.g. syncEndpoint=http://127.0.0.1:5100/api/getToken"))?;
                    let value = match value {
                        "true" => json!(true),
                        "false" => json!(false),
                        number if name == "webhookAttempts" => {
                            json!(number.parse::<u32>().map_err(|_| anyhow::anyhow!(
                                "webhookAttempts={number}: write a number"
                            ))?)
                        }
                        other => json!(other),
                    };
                    body.insert(name.to_owned(), value);
                }
                target
                    .call(
                        reqwest::Method::PATCH,
                        "/_calsim/config",
                        Some(Value::Object(body)),
                        None,
                    )
                    .await?
            }
        };
        target.finish(answer, |config| {
            config.as_object().map_or_else(Vec::new, |fields| {
                fields
                    .iter()
                    .map(|(name, value)| format!("{name:18} {}", text(value)))
                    .collect()
            })
        })
    }
}
