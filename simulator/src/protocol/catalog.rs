//! The app store: seeded common apps and user apps read from their `config.json`.
//!
//! Cal.com keeps two things per app: a row in the `App` table (slug, dirName,
//! categories, enabled, keys) and build-time metadata keyed by dirName (type, variant,
//! name...). The push webhook needs both (`shared/spec/apps.md` §1, §3), so calsim keeps
//! both too: [`App`] and [`AppMetadata`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::protocol::error::Error;

/// A row of Cal.com's `App` table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct App {
    /// Primary key; `Credential.appId` points here.
    pub slug: String,
    /// The app's directory; the key of its metadata.
    pub dir_name: String,
    /// `AppCategories` values, lower case.
    pub categories: Vec<String>,
    /// Whether an admin enabled it (no credential-sync path checks this).
    pub enabled: bool,
    /// App-level secrets (`App.keys`), not per-user tokens.
    #[serde(default)]
    pub keys: Option<Value>,
}

/// An app's build-time metadata (`appStoreMetadata[dirName]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppMetadata {
    /// Display name.
    pub name: String,
    /// The metadata slug (what `Credential.appId` gets on a push).
    pub slug: String,
    /// The directory name.
    pub dir_name: String,
    /// `Credential.type` written on create, e.g. `google_calendar`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The zod `variant`.
    pub variant: String,
    /// Categories.
    pub categories: Vec<String>,
}

/// Cal.com's `AppCategories` enum, as the database stores it.
pub const APP_CATEGORIES: [&str; 10] = [
    "calendar",
    "messaging",
    "other",
    "payment",
    "video",
    "web3",
    "automation",
    "analytics",
    "conferencing",
    "crm",
];

/// The zod `AppMetaSchema` variant enum.
pub const APP_VARIANTS: [&str; 10] = [
    "calendar",
    "payment",
    "conferencing",
    "video",
    "other",
    "other_calendar",
    "automation",
    "crm",
    "analytics",
    "messaging",
];

/// `type` suffixes: the TypeScript union, plus `conferencing`, which the CLI can produce
/// (`{slug}_{category}`) though the union lacks it ([?] upstream: accepted here).
pub const TYPE_SUFFIXES: [&str; 10] = [
    "calendar",
    "messaging",
    "payment",
    "video",
    "other",
    "automation",
    "analytics",
    "crm",
    "other_calendar",
    "conferencing",
];

/// The common apps of `apps.md` §3.6: (dirName, slug, type, variant, category, name).
#[rustfmt::skip]
const COMMON_APPS: [(&str, &str, &str, &str, &str, &str); 18] = [
    ("googlecalendar", "google-calendar", "google_calendar", "calendar", "calendar", "Google Calendar"),
    ("office365calendar", "office365-calendar", "office365_calendar", "calendar", "calendar", "Outlook Calendar"),
    ("zoomvideo", "zoom", "zoom_video", "conferencing", "conferencing", "Zoom Video"),
    ("googlevideo", "google-meet", "google_video", "conferencing", "conferencing", "Google Meet"),
    ("office365video", "msteams", "office365_video", "conferencing", "conferencing", "Microsoft 365/Teams"),
    ("stripepayment", "stripe", "stripe_payment", "payment", "payment", "Stripe"),
    ("hubspot", "hubspot", "hubspot_crm", "crm", "crm", "HubSpot"),
    ("salesforce", "salesforce", "salesforce_crm", "crm", "crm", "Salesforce"),
    ("caldavcalendar", "caldav-calendar", "caldav_calendar", "calendar", "calendar", "CalDav"),
    ("applecalendar", "apple-calendar", "apple_calendar", "calendar", "calendar", "Apple Calendar"),
    ("giphy", "giphy", "giphy_other", "other", "other", "Giphy"),
    ("zapier", "zapier", "zapier_automation", "automation", "automation", "Zapier"),
    ("make", "make", "make_automation", "automation", "automation", "Make"),
    ("dailyvideo", "daily-video", "daily_video", "conferencing", "conferencing", "Cal Video"),
    ("zohocrm", "zohocrm", "zohocrm_other_calendar", "crm", "crm", "Zoho CRM"),
    ("pipedrive-crm", "pipedrive-crm", "pipedrive-crm_crm", "crm", "crm", "Pipedrive"),
    ("webex", "webex", "webex_video", "conferencing", "conferencing", "Webex"),
    ("larkcalendar", "lark-calendar", "lark_calendar", "calendar", "calendar", "Lark Calendar"),
];

/// The seeded apps: every common app, enabled, with its metadata.
pub fn common_apps() -> Vec<(App, AppMetadata)> {
    COMMON_APPS
        .iter()
        .map(|&(dir_name, slug, kind, variant, category, name)| {
            let app = App {
                slug: slug.to_owned(),
                dir_name: dir_name.to_owned(),
                categories: vec![category.to_owned()],
                enabled: true,
                keys: None,
            };
            let metadata = AppMetadata {
                name: name.to_owned(),
                slug: slug.to_owned(),
                dir_name: dir_name.to_owned(),
                kind: kind.to_owned(),
                variant: variant.to_owned(),
                categories: vec![category.to_owned()],
            };
            (app, metadata)
        })
        .collect()
}

/// Reads an app's `config.json` the way Cal.com's app-store build does, plus the CLI's
/// `type` rule, and returns the `App` row and metadata it would produce.
///
/// ```
/// let config = r#"{"name":"Make","slug":"make","type":"make_automation","logo":"icon.svg",
///   "variant":"automation","categories":["automation"],"publisher":"aar2dee2",
///   "email":"support@cal.com","description":"Automate"}"#;
/// let (app, metadata) = calsim::catalog::app_from_config_json(config, "make/config.json").unwrap();
/// assert_eq!(app.dir_name, "make");
/// assert_eq!(metadata.kind, "make_automation");
///
/// let broken = config.replace("make_automation", "make-automation");
/// let error = calsim::catalog::app_from_config_json(&broken, "make/config.json").unwrap_err();
/// assert!(error.to_string().contains("`type` must be `{slug}_{category}`"));
/// ```
pub fn app_from_config_json(text: &str, origin: &str) -> Result<(App, AppMetadata), Error> {
    let problem = |problem: String| Error::AppConfig {
        origin: origin.to_owned(),
        problem,
    };
    let value: Value = serde_json::from_str(text)
        .map_err(|error| problem(format!("not valid JSON ({error}); fix the JSON syntax")))?;
    let Value::Object(fields) = value else {
        return Err(problem("a config.json must be a JSON object".to_owned()));
    };
    let mut missing = Vec::new();
    let mut text_field = |name: &str| match fields.get(name) {
        Some(Value::String(value)) => value.clone(),
        _ => {
            missing.push(name.to_owned());
            String::new()
        }
    };
    let name = text_field("name");
    let slug = text_field("slug");
    let kind = text_field("type");
    let variant = text_field("variant");
    for required in ["description", "logo", "publisher", "email"] {
        text_field(required);
    }
    let categories: Option<Vec<String>> = fields
        .get("categories")
        .and_then(|value| serde_json::from_value(value.clone()).ok());
    if categories.is_none() {
        missing.push("categories".to_owned());
    }
    if !missing.is_empty() {
        return Err(problem(format!(
            "missing or not of the right type: {} (AppMetaSchema requires the strings name, \
             description, type, variant, slug, logo, publisher, email and the string array \
             categories)",
            missing.join(", ")
        )));
    }
    let categories = categories.unwrap_or_default();
    if !APP_VARIANTS.contains(&variant.as_str()) {
        return Err(problem(format!(
            "`variant` is `{variant}`; AppMetaSchema allows {}",
            APP_VARIANTS.join(", ")
        )));
    }
    if categories.is_empty() {
        return Err(problem(
            "`categories` is empty; list at least one, e.g. [\"calendar\"]".to_owned(),
        ));
    }
    if let Some(unknown) = categories
        .iter()
        .find(|category| !APP_CATEGORIES.contains(&category.as_str()))
    {
        return Err(problem(format!(
            "category `{unknown}` is not an AppCategories value; use one of {}",
            APP_CATEGORIES.join(", ")
        )));
    }
    let suffix = kind.strip_prefix(&format!("{slug}_"));
    if !suffix.is_some_and(|suffix| TYPE_SUFFIXES.contains(&suffix)) {
        return Err(problem(format!(
            "`type` must be `{{slug}}_{{category}}`, e.g. `{slug}_{}`; found `{kind}`",
            categories[0]
        )));
    }
    let dir_name = match fields.get("dirName") {
        Some(Value::String(dir_name)) => dir_name.clone(),
        _ => slug.clone(),
    };
    let app = App {
        slug: slug.clone(),
        dir_name: dir_name.clone(),
        categories: categories.clone(),
        enabled: true,
        keys: fields.get("key").cloned(),
    };
    let metadata = AppMetadata {
        name,
        slug,
        dir_name,
        kind,
        variant,
        categories,
    };
    Ok((app, metadata))
}
