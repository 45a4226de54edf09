//! Cal.com generations: every rule that changed between versions lives here.
//!
//! Cal.com renamed its credential-sync settings, changed status codes and moved the
//! push webhook from the Pages Router to the App Router between 2023 and 2024. A
//! [`Profile`] names one generation; the rest of calsim asks it questions instead of
//! comparing version strings. See `shared/spec/README.md` ("Credential-sync profiles").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One generation of Cal.com's credential-sync behaviour.
///
/// ```
/// use calsim::Profile;
///
/// let profile: Profile = "2023-09".parse().unwrap();
/// assert_eq!(profile.secret_env(), "CALCOM_WEBHOOK_SECRET");
/// assert_eq!(Profile::default(), Profile::Current);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Profile {
    /// G1, September 2023 (PR #11059): `CALCOM_WEBHOOK_*` names, no secret on the pull.
    #[serde(rename = "2023-09")]
    G1,
    /// G2, February 2024: `CALCOM_CREDENTIAL_SYNC_*` names, old default header name.
    #[serde(rename = "2024-02")]
    G2,
    /// G3 while the webhook was still in the Pages Router (commit not identified).
    #[serde(rename = "2024-04-pages")]
    G3Pages,
    /// Current Cal.com: App Router webhook, `calcom-credential-sync-secret`.
    #[default]
    #[serde(rename = "current")]
    Current,
}

/// Which Next.js router serves the push webhook; it decides body parsing and errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextRouter {
    /// `pages/api/...`: body parsed before the handler, lowercase header lookup.
    Pages,
    /// `app/api/.../route.ts`: `request.json()` inside a try/catch.
    App,
}

/// How Cal.com validates a partner's pull reply on the legacy `refreshOAuthTokens` path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegacyTokenSchema {
    /// PR #11059's computed-key schema: keeps only `access_token`, strips the rest.
    ComputedKeys,
    /// `minimumTokenResponseSchema`: passthrough, at least one numeric field.
    MinimumWithNumber,
}

impl Profile {
    /// Every profile, oldest first.
    pub const ALL: [Profile; 4] = [Profile::G1, Profile::G2, Profile::G3Pages, Profile::Current];

    /// The name used on the command line and in config files.
    pub fn name(self) -> &'static str {
        match self {
            Profile::G1 => "2023-09",
            Profile::G2 => "2024-02",
            Profile::G3Pages => "2024-04-pages",
            Profile::Current => "current",
        }
    }

    /// The env var that holds the shared sync secret.
    pub fn secret_env(self) -> &'static str {
        match self {
            Profile::G1 => "CALCOM_WEBHOOK_SECRET",
            _ => "CALCOM_CREDENTIAL_SYNC_SECRET",
        }
    }

    /// The env var that names the secret header.
    pub fn header_name_env(self) -> &'static str {
        match self {
            Profile::G1 => "CALCOM_WEBHOOK_HEADER_NAME",
            _ => "CALCOM_CREDENTIAL_SYNC_HEADER_NAME",
        }
    }

    /// The header name the push webhook reads when the env var is unset.
    pub fn default_header_name(self) -> &'static str {
        match self {
            Profile::G1 | Profile::G2 => "calcom-webhook-secret",
            Profile::G3Pages | Profile::Current => "calcom-credential-sync-secret",
        }
    }

    /// The header name the pull sends when the env var is unset; `None`: no header at all.
    pub fn default_pull_header_name(self) -> Option<&'static str> {
        match self {
            Profile::G1 => None,
            other => Some(other.default_header_name()),
        }
    }

    /// The push webhook's 403 message for a wrong or missing secret.
    pub fn invalid_secret_message(self) -> &'static str {
        match self {
            Profile::G1 | Profile::G2 => "Invalid webhook secret",
            Profile::G3Pages | Profile::Current => "Invalid credential sync secret",
        }
    }

    /// The router that serves the push webhook.
    pub fn router(self) -> NextRouter {
        match self {
            Profile::Current => NextRouter::App,
            _ => NextRouter::Pages,
        }
    }

    /// Whether a body that fails the zod schema gets 400 with the issues (else a bare 500).
    pub fn rejects_bad_body_with_issues(self) -> bool {
        matches!(self, Profile::G3Pages | Profile::Current)
    }

    /// Whether API v1 `/credential-sync` exists by default (G2 is uncertain: off unless enabled).
    pub fn has_api_v1_by_default(self) -> bool {
        matches!(self, Profile::G3Pages | Profile::Current)
    }

    /// Whether OAuthManager apps (Google, Zoom, MS Teams) pull through OAuthManager.
    pub fn has_oauth_manager(self) -> bool {
        matches!(self, Profile::G3Pages | Profile::Current)
    }

    /// The schema the legacy pull path applies to the partner's reply.
    pub fn legacy_token_schema(self) -> LegacyTokenSchema {
        match self {
            Profile::G1 => LegacyTokenSchema::ComputedKeys,
            _ => LegacyTokenSchema::MinimumWithNumber,
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A profile name that calsim does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown profile `{0}`; use one of: 2023-09, 2024-02, 2024-04-pages, current")]
pub struct UnknownProfile(pub String);

impl FromStr for Profile {
    type Err = UnknownProfile;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|profile| profile.name() == name)
            .ok_or_else(|| UnknownProfile(name.to_owned()))
    }
}
