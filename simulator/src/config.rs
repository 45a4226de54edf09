//! What the fake Cal.com is configured with, and where each value comes from.
//!
//! Values are layered, later layers winning: the embedded defaults
//! (`default_config.toml`), a config file, Cal.com's own env vars (named by the
//! [`Profile`]), then command-line flags. As in Cal.com, an empty env value counts as
//! unset for "is sharing enabled?", so `CALCOM_CREDENTIAL_SYNC_SECRET=` disables sharing.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::protocol::error::Error;
use crate::protocol::profile::Profile;
use crate::protocol::zod::ZodVersion;

const EMBEDDED_DEFAULTS: &str = include_str!("default_config.toml");

/// The env var that holds the AES key, in every generation.
pub const ENCRYPTION_KEY_ENV: &str = "CALCOM_APP_CREDENTIAL_ENCRYPTION_KEY";
/// The env var that holds the partner's sync endpoint, in every generation.
pub const SYNC_ENDPOINT_ENV: &str = "CALCOM_CREDENTIAL_SYNC_ENDPOINT";
/// The header name API v1 falls back to in every generation that has it.
pub const API_V1_DEFAULT_HEADER_NAME: &str = "calcom-credential-sync-secret";

/// Which default request headers the pull sends besides Cal.com's own ([?] upstream:
/// they come from Node's `fetch`, not from Cal.com, and vary with the Node version).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum PullHeaders {
    /// Node 20's undici: `accept`, `accept-language`, `sec-fetch-mode`, `user-agent: node`,
    /// `accept-encoding`.
    #[default]
    Undici,
    /// Only `content-type`, the secret header, `host` and `content-length`.
    Minimal,
}

/// What `appsStatus[].appName` holds ([?] upstream: `EventManager` gives each credential
/// `appName: app.name`, and the docs example shows "Cal Video", but newer
/// `CalendarManager` and `videoClient` results use `credential.appId`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AppsStatusNames {
    /// The app's name: `Google Calendar`, `Cal Video`.
    #[default]
    Name,
    /// The app's slug: `google-calendar`, `daily-video`.
    Slug,
}

/// The fake Cal.com's settings. `Debug` never prints secrets.
#[derive(Clone)]
pub struct Config {
    /// The generation to emulate.
    pub profile: Profile,
    /// Address to bind; loopback unless the user asks otherwise.
    pub host: IpAddr,
    /// Port to bind; 0 picks a free one.
    pub port: u16,
    /// The shared sync secret (`CALCOM_CREDENTIAL_SYNC_SECRET`); empty counts as unset.
    pub sync_secret: String,
    /// The secret header name as configured; empty means "the profile's default".
    pub header_name: String,
    /// The raw AES key string (`CALCOM_APP_CREDENTIAL_ENCRYPTION_KEY`), checked on use as
    /// Cal.com does: a key of the wrong length makes every decryption fail with a 500.
    pub encryption_key: String,
    /// The partner's sync endpoint (`CALCOM_CREDENTIAL_SYNC_ENDPOINT`); empty means no pulls.
    pub sync_endpoint: String,
    /// The admin API key accepted by API v1 (`?apiKey=`).
    pub admin_api_key: String,
    /// The zod major whose issue objects 400 answers carry.
    pub zod: ZodVersion,
    /// Whether API v1 `/credential-sync` is served.
    pub api_v1: bool,
    /// Body of Next.js's default 500 in the Pages Router generations ([?] upstream).
    pub next_error_body: String,
    /// Body size limit of the push routes (Next.js Pages Router: 1 MiB; App Router: [?]).
    pub body_limit: usize,
    /// Timeout of one pull request, connect included.
    pub pull_timeout: Duration,
    /// Default headers sent on the pull besides Cal.com's own.
    pub pull_headers: PullHeaders,
    /// Apps whose token refresh goes through OAuthManager in the OAuthManager profiles.
    pub oauth_manager_apps: Vec<String>,
    /// How often expiring credentials are looked for and pulled; `None`: only on demand.
    pub auto_refresh: Option<Duration>,
    /// How often due scheduled work (meetings, retries) is run in real time; `None`: only
    /// when the clock is moved (`POST /_calsim/clock`) or `due_work::run_due` is called,
    /// which is how tests stay deterministic.
    pub scheduler_tick: Option<Duration>,
    /// Attempts per webhook delivery: 1 as Cal.com's direct path; more retries network
    /// errors only, like its task queue (which uses 3).
    pub webhook_max_attempts: u32,
    /// Send MEETING_STARTED/ENDED in the `{triggerEvent, createdAt, payload}` wrapper of
    /// the newer builder instead of the flat scheduled-path body ([?] which one production
    /// sends now).
    pub wrapped_meeting_bodies: bool,
    /// The journal keeps at most this many entries (the oldest go first).
    pub journal_capacity: usize,
    /// ... and at most this many recorded bytes (bodies, headers, URLs and a fixed cost
    /// per entry).
    pub journal_max_bytes: usize,
    /// What `appsStatus[].appName` holds.
    pub apps_status_names: AppsStatusNames,
}

/// The optional settings a config file (TOML) may hold.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    profile: Option<String>,
    host: Option<IpAddr>,
    port: Option<u16>,
    sync_secret: Option<String>,
    header_name: Option<String>,
    encryption_key: Option<String>,
    sync_endpoint: Option<String>,
    admin_api_key: Option<String>,
    zod: Option<ZodVersion>,
    api_v1: Option<bool>,
    next_error_body: Option<String>,
    body_limit: Option<usize>,
    pull_timeout_ms: Option<u64>,
    pull_headers: Option<PullHeaders>,
    oauth_manager_apps: Option<Vec<String>>,
    auto_refresh_ms: Option<u64>,
    scheduler_tick_ms: Option<u64>,
    webhook_max_attempts: Option<u32>,
    wrapped_meeting_bodies: Option<bool>,
    journal_capacity: Option<usize>,
    journal_max_bytes: Option<usize>,
    apps_status_names: Option<AppsStatusNames>,
}

impl ConfigFile {
    /// Parses TOML text; `origin` names the source in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, Error> {
        toml::from_str(text).map_err(|error| Error::Config {
            origin: origin.to_owned(),
            problem: error.message().to_owned(),
        })
    }

    /// Reads and parses a config file.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| Error::Config {
            origin: origin.clone(),
            problem: format!("cannot read it: {error}"),
        })?;
        Self::parse(&text, &origin)
    }
}

impl Default for Config {
    /// The embedded defaults: sharing enabled with fake secrets, profile `current`.
    fn default() -> Self {
        let defaults = ConfigFile::parse(EMBEDDED_DEFAULTS, "embedded defaults")
            .expect("the embedded default config is valid TOML");
        let mut config = Config {
            profile: Profile::Current,
            host: IpAddr::from([127, 0, 0, 1]),
            port: 3000,
            sync_secret: String::new(),
            header_name: String::new(),
            encryption_key: String::new(),
            sync_endpoint: String::new(),
            admin_api_key: String::new(),
            zod: ZodVersion::V3,
            api_v1: true,
            next_error_body: "Internal Server Error".to_owned(),
            body_limit: 1024 * 1024,
            pull_timeout: Duration::from_secs(10),
            pull_headers: PullHeaders::Undici,
            oauth_manager_apps: ["google-calendar", "zoom", "msteams"]
                .map(String::from)
                .to_vec(),
            auto_refresh: Some(Duration::from_secs(1)),
            scheduler_tick: Some(Duration::from_millis(100)),
            webhook_max_attempts: 1,
            wrapped_meeting_bodies: false,
            journal_capacity: crate::net::journal::Journal::DEFAULT_CAPACITY,
            journal_max_bytes: crate::net::journal::Journal::DEFAULT_MAX_BYTES,
            apps_status_names: AppsStatusNames::Name,
        };
        config
            .apply_file(defaults)
            .expect("the embedded default config is valid");
        config
    }
}

impl Config {
    /// Applies a config file over the current values.
    pub fn apply_file(&mut self, file: ConfigFile) -> Result<(), Error> {
        if let Some(profile) = file.profile {
            self.set_profile(profile.parse()?);
        }
        let ConfigFile {
            host,
            port,
            sync_secret,
            header_name,
            encryption_key,
            sync_endpoint,
            admin_api_key,
            zod,
            api_v1,
            next_error_body,
            body_limit,
            pull_timeout_ms,
            pull_headers,
            oauth_manager_apps,
            auto_refresh_ms,
            scheduler_tick_ms,
            webhook_max_attempts,
            wrapped_meeting_bodies,
            journal_capacity,
            journal_max_bytes,
            apps_status_names,
            profile: _,
        } = file;
        set(&mut self.host, host);
        set(&mut self.port, port);
        set(&mut self.sync_secret, sync_secret);
        set(&mut self.header_name, header_name);
        set(&mut self.encryption_key, encryption_key);
        set(&mut self.sync_endpoint, sync_endpoint);
        set(&mut self.admin_api_key, admin_api_key);
        set(&mut self.zod, zod);
        set(&mut self.api_v1, api_v1);
        set(&mut self.next_error_body, next_error_body);
        set(&mut self.body_limit, body_limit);
        set(
            &mut self.pull_timeout,
            pull_timeout_ms.map(Duration::from_millis),
        );
        set(&mut self.pull_headers, pull_headers);
        set(&mut self.oauth_manager_apps, oauth_manager_apps);
        set(
            &mut self.webhook_max_attempts,
            webhook_max_attempts.map(|attempts| attempts.max(1)),
        );
        set(&mut self.wrapped_meeting_bodies, wrapped_meeting_bodies);
        set(
            &mut self.journal_capacity,
            journal_capacity.map(|entries| entries.max(1)),
        );
        set(&mut self.journal_max_bytes, journal_max_bytes);
        set(&mut self.apps_status_names, apps_status_names);
        if let Some(ms) = auto_refresh_ms {
            self.auto_refresh = (ms > 0).then(|| Duration::from_millis(ms));
        }
        if let Some(ms) = scheduler_tick_ms {
            self.scheduler_tick = (ms > 0).then(|| Duration::from_millis(ms));
        }
        Ok(())
    }

    /// Switches the generation; API v1 follows the profile's default.
    pub fn set_profile(&mut self, profile: Profile) {
        self.profile = profile;
        self.api_v1 = profile.has_api_v1_by_default();
    }

    /// Applies Cal.com's env vars as the profile names them. A set but empty variable
    /// overrides too (it disables sharing, as in Cal.com).
    pub fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) {
        let profile = self.profile;
        set(&mut self.sync_secret, env(profile.secret_env()));
        set(&mut self.header_name, env(profile.header_name_env()));
        set(&mut self.encryption_key, env(ENCRYPTION_KEY_ENV));
        set(&mut self.sync_endpoint, env(SYNC_ENDPOINT_ENV));
    }

    /// Cal.com's `APP_CREDENTIAL_SHARING_ENABLED`: a secret and a key are both set.
    pub fn sharing_enabled(&self) -> bool {
        !self.sync_secret.is_empty() && !self.encryption_key.is_empty()
    }

    /// The header the push webhook reads the secret from.
    pub fn push_header_name(&self) -> &str {
        self.configured_header_name()
            .unwrap_or(self.profile.default_header_name())
    }

    /// The header API v1 reads the secret from (its own default in every generation).
    pub fn api_v1_header_name(&self) -> &str {
        self.configured_header_name()
            .unwrap_or(API_V1_DEFAULT_HEADER_NAME)
    }

    /// The header the pull sends the secret in; `None` in the 2023-09 profile, which sends none.
    pub fn pull_header_name(&self) -> Option<&str> {
        let default = self.profile.default_pull_header_name()?;
        Some(self.configured_header_name().unwrap_or(default))
    }

    /// Whether Cal.com would pull at all (`useCredentialSync`).
    pub fn pull_enabled(&self) -> bool {
        self.sharing_enabled() && !self.sync_endpoint.is_empty()
    }

    /// The lines a partner pastes into Cal.com's `.env` to match this instance.
    pub fn env_lines(&self) -> Vec<String> {
        let profile = self.profile;
        let mut lines = vec![
            format!("{}={}", profile.secret_env(), self.sync_secret),
            format!("{}={}", profile.header_name_env(), self.push_header_name()),
            format!("{ENCRYPTION_KEY_ENV}={}", self.encryption_key),
        ];
        if !self.sync_endpoint.is_empty() {
            lines.push(format!("{SYNC_ENDPOINT_ENV}={}", self.sync_endpoint));
        }
        lines
    }

    fn configured_header_name(&self) -> Option<&str> {
        (!self.header_name.is_empty()).then_some(self.header_name.as_str())
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("profile", &self.profile)
            .field("host", &self.host)
            .field("port", &self.port)
            .field(
                "sync_secret",
                &crate::protocol::redact::mask(&self.sync_secret),
            )
            .field("header_name", &self.push_header_name())
            .field(
                "encryption_key",
                &crate::protocol::redact::mask(&self.encryption_key),
            )
            .field("sync_endpoint", &self.sync_endpoint)
            .field(
                "admin_api_key",
                &crate::protocol::redact::mask(&self.admin_api_key),
            )
            .field("zod", &self.zod)
            .field("api_v1", &self.api_v1)
            .finish_non_exhaustive()
    }
}
