//! Shared test helpers: start a fake Cal.com on a random loopback port and talk to it.
#![allow(dead_code)] // each test binary uses a different subset of these helpers

use calsim::crypto::{symmetric_encrypt, EncryptionKey};
use calsim::{Config, Profile, Simulator};

/// The embedded defaults on a random port, with this profile.
pub fn config(profile: Profile) -> Config {
    let mut config = Config {
        port: 0,
        auto_refresh: None,
        scheduler_tick: None,
        ..Config::default()
    };
    config.set_profile(profile);
    config
}

/// Starts a fake Cal.com.
pub async fn start(config: Config) -> Simulator {
    Simulator::builder()
        .config(config)
        .start()
        .await
        .expect("the simulator starts on a random loopback port")
}

/// Encrypts a token JSON with the simulator's key, as a partner would.
pub fn encrypt(config: &Config, plaintext: &str) -> String {
    let key = EncryptionKey::from_env_string(&config.encryption_key)
        .expect("the test key has 32 characters");
    symmetric_encrypt(plaintext, &key)
}

/// An answer reduced to what Cal.com fixes: status, content type, body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: String,
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let content_type = self.content_type.as_deref().unwrap_or("-");
        write!(f, "{} [{}] {}", self.status, content_type, self.body)
    }
}

/// Sends one request and reads the whole answer (5 s limit).
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<reqwest::Body>,
) -> Reply {
    let client = calsim::http_client::build(std::time::Duration::from_secs(5));
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a valid method");
    let mut request = client.request(method, url).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("the simulator answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_owned());
    let body = response.text().await.expect("a readable body");
    Reply {
        status,
        content_type,
        body,
    }
}

/// A webhook consumer on loopback that records every delivery (Nango's checks, without
/// needing a connection id).
pub async fn consumer() -> calsim::receiver::Receiver {
    calsim::receiver::Receiver::start(
        calsim::receiver::ReceiverConfig {
            accept_missing_connection_id: true,
            ..calsim::receiver::ReceiverConfig::default()
        },
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .expect("the receiver starts on a random loopback port")
}
