//! Pushing a credential to Cal.com as a partner does: through the push webhook or API v1.

use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;
use serde_json::json;

use crate::net::http_client;
use crate::net::journal::{
    Direction, Journal, NewEntry, RecordedRequest, RecordedResponse, Surface,
};
use crate::protocol::crypto::{symmetric_encrypt, EncryptionKey};
use crate::protocol::error::Error;

/// Which Cal.com surface receives the push.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// `POST /api/webhook/app-credential` with `{userId, appSlug, keys}`.
    #[default]
    Webhook,
    /// `POST /api/v1/credential-sync?apiKey=&userId=` with `{appSlug, encryptedKey}`.
    ApiV1,
}

/// Everything a push needs.
#[derive(Clone, Debug)]
pub struct PushOptions {
    /// Cal.com's base URL, e.g. `http://127.0.0.1:3000`.
    pub base_url: String,
    /// The Cal.com user id.
    pub user_id: i64,
    /// The app slug.
    pub app_slug: String,
    /// The token JSON to encrypt, exactly as it should be stored.
    pub token_json: String,
    /// The 32-character key.
    pub encryption_key: String,
    /// The sync secret.
    pub secret: String,
    /// The header carrying it.
    pub header_name: String,
    /// The surface.
    pub via: Via,
    /// API v1's admin key.
    pub api_key: String,
    /// How long to wait for Cal.com.
    pub timeout: Duration,
}

/// Cal.com's answer to a push.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PushOutcome {
    /// Status code.
    pub status: u16,
    /// Body text.
    pub body: String,
}

impl PushOutcome {
    /// Whether Cal.com accepted it (2xx).
    pub fn accepted(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The URL and JSON body of a push, before sending (the encryption draws a random IV).
pub fn request(options: &PushOptions, key: &EncryptionKey) -> (String, String) {
    let base = options.base_url.trim_end_matches('/');
    let encrypted = symmetric_encrypt(&options.token_json, key);
    match options.via {
        Via::Webhook => (
            format!("{base}/api/webhook/app-credential"),
            json!({ "userId": options.user_id, "appSlug": options.app_slug, "keys": encrypted })
                .to_string(),
        ),
        Via::ApiV1 => {
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("apiKey", &options.api_key)
                .append_pair("userId", &options.user_id.to_string())
                .finish();
            (
                format!("{base}/api/v1/credential-sync?{query}"),
                json!({ "appSlug": options.app_slug, "encryptedKey": encrypted }).to_string(),
            )
        }
    }
}

/// Encrypts the token, pushes it, and returns Cal.com's answer; records to `journal`.
pub async fn push_credential(
    options: &PushOptions,
    journal: Option<&Journal>,
) -> Result<PushOutcome, Error> {
    let key = EncryptionKey::from_env_string(&options.encryption_key)?;
    let (url, body) = request(options, &key);
    let client = http_client::build(options.timeout);
    let started_at = time::OffsetDateTime::now_utc();
    let started = Instant::now();
    let sent = client
        .post(&url)
        .header(options.header_name.as_str(), options.secret.as_str())
        .header("content-type", "application/json")
        .body(body.clone())
        .build()
        .map_err(|error| Error::Peer {
            url: url.clone(),
            problem: http_client::describe_error(&error, options.timeout),
        })?;
    let request_headers = sent.headers().clone();
    let answer = match client.execute(sent).await {
        Ok(response) => {
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            response
                .bytes()
                .await
                .map(|body| (status, headers, body))
                .map_err(|error| http_client::describe_error(&error, options.timeout))
        }
        Err(error) => Err(http_client::describe_error(&error, options.timeout)),
    };
    if let Some(journal) = journal {
        let (response, error) = match &answer {
            Ok((status, headers, body)) => (
                Some(RecordedResponse::new(*status, headers, body.clone())),
                None,
            ),
            Err(problem) => (None, Some(problem.clone())),
        };
        journal.record(NewEntry {
            direction: Direction::Sent,
            surface: Surface::Push,
            started: started_at,
            request: RecordedRequest::new(
                "POST",
                &url,
                &request_headers,
                Bytes::from(body),
                &[options.header_name.as_str()],
            ),
            response,
            error,
            elapsed: started.elapsed(),
            verdict: None,
        });
    }
    let (status, _, body) = answer.map_err(|problem| Error::Peer {
        url: crate::protocol::redact::mask_query(&url),
        problem,
    })?;
    Ok(PushOutcome {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}
