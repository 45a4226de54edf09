//! The fake Cal.com's database: users, API keys, apps and credentials.
//!
//! Only the columns the simulated surfaces read or write are kept. Like Cal.com's
//! schema, credentials have no unique `(userId, appId)` constraint, so API v1 can
//! insert duplicates and the push webhook then updates the first one.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::calcom::subscription::{Scope, Subscription};
use crate::protocol::catalog::{self, App, AppMetadata};

/// Whether Postgres's `jsonb` column (through Prisma) accepts a decrypted key: not a
/// plain `null`, and no U+0000 in any string, name or value. Cal.com's write throws
/// otherwise (a 500 on the push route and API v1; the pull keeps the old key).
///
/// ```
/// use calsim::store::storable_key;
/// assert!(storable_key(&serde_json::json!({"access_token": "a"})).is_ok());
/// assert!(storable_key(&serde_json::json!(null)).is_err());
/// assert!(storable_key(&serde_json::json!({"a\0": 1})).is_err());
/// assert!(storable_key(&serde_json::json!(["x", {"y": "\0"}])).is_err());
/// ```
pub fn storable_key(key: &Value) -> Result<(), &'static str> {
    fn has_nul(value: &Value) -> bool {
        match value {
            Value::String(text) => text.contains('\0'),
            Value::Array(items) => items.iter().any(has_nul),
            Value::Object(fields) => fields
                .iter()
                .any(|(name, value)| name.contains('\0') || has_nul(value)),
            _ => false,
        }
    }
    if key.is_null() {
        return Err(
            "Argument `key` must not be null: a required Json column needs Prisma.JsonNull",
        );
    }
    if has_nul(key) {
        return Err("unsupported Unicode escape sequence: jsonb cannot hold U+0000");
    }
    Ok(())
}

/// Cal.com's API key prefix (`API_KEY_PREFIX || "cal_"`).
pub const API_KEY_PREFIX: &str = "cal_";

/// A user's role; only `ADMIN` may use the credential-sync API.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Role {
    /// An ordinary user.
    #[default]
    User,
    /// A system-wide admin (`isSystemWideAdmin`).
    Admin,
}

/// A row of Cal.com's `User` table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Primary key.
    pub id: i64,
    /// Login email.
    pub email: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Role.
    #[serde(default)]
    pub role: Role,
    /// A locked user's API keys are refused.
    #[serde(default)]
    pub locked: bool,
}

/// A row of Cal.com's `Credential` table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credential {
    /// Primary key.
    pub id: i64,
    /// The owner.
    pub user_id: Option<i64>,
    /// The owning team, for team installs.
    #[serde(default)]
    pub team_id: Option<i64>,
    /// `App.slug` of the app.
    pub app_id: Option<String>,
    /// E.g. `google_calendar`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The token blob, stored verbatim.
    pub key: Value,
    /// Set when a refresh failed for good.
    #[serde(default)]
    pub invalid: bool,
}

/// What the push webhook's hand-written upsert did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upsert {
    /// A new row with this id.
    Created(i64),
    /// The existing row with this id got the new key.
    Updated(i64),
}

/// An app row and its metadata, which may be missing (the "Ensure that you have the
/// correct app slug" case).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppEntry {
    /// The `App` row.
    #[serde(flatten)]
    pub app: App,
    /// `appStoreMetadata[dirName]`, if the build knows the directory.
    pub metadata: Option<AppMetadata>,
}

/// What an API key resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiKeyLookup {
    /// No key with that hash.
    Unknown,
    /// The key belongs to this user.
    Valid(User),
}

/// An event type: webhooks can be scoped to it; its owner manages them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventType {
    /// Primary key.
    pub id: i64,
    /// The owner.
    pub user_id: i64,
    /// URL slug (the payload's `type`).
    pub slug: String,
    /// Title.
    pub title: String,
    /// Which of the organizer's apps a booking uses (none by default: a booking then
    /// calls no app and carries Cal Video's example status).
    #[serde(default)]
    pub apps: EventTypeApps,
}

/// An event type's app settings, as Cal.com's event-type page sets them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeApps {
    /// The location: `integrations:zoom`, `integrations:office365_video`,
    /// `integrations:daily` (Cal Video), or a static link.
    #[serde(default)]
    pub location: Option<String>,
    /// The app slug of the destination calendar (`google-calendar`,
    /// `office365-calendar`); without one Cal.com writes to the organizer's first
    /// calendar credential.
    #[serde(default)]
    pub destination_calendar: Option<String>,
    /// CRM apps enabled on the event type (`hubspot`).
    #[serde(default)]
    pub crm: Vec<String>,
    /// The price in minor units (`metadata.apps.stripe.price`): a booking waits for
    /// payment (BOOKING_PAYMENT_INITIATED) before the apps run.
    #[serde(default)]
    pub price: Option<i64>,
    /// The currency of `price` (default `usd`).
    #[serde(default)]
    pub currency: Option<String>,
}

impl EventTypeApps {
    /// Whether a booking of this event type calls any app.
    pub fn any(&self) -> bool {
        self.location.is_some() || self.destination_calendar.is_some() || !self.crm.is_empty()
    }
}

/// An organization (a team whose id is the `orgId`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    /// The org id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Users with the ORG_ADMIN role.
    pub admins: Vec<i64>,
    /// Every member (admins included); their bookings fire the org's webhooks.
    pub members: Vec<i64>,
}

/// A platform OAuth client (`x-cal-client-id` / `x-cal-secret-key`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthClient {
    /// The client id.
    pub id: String,
    /// The client secret (compared in constant time).
    pub secret: String,
    /// The organization that owns it.
    pub organization_id: i64,
}

#[derive(Clone, Debug, Default)]
struct Tables {
    users: BTreeMap<i64, User>,
    api_keys: BTreeMap<String, i64>,
    apps: BTreeMap<String, Arc<App>>,
    metadata: BTreeMap<String, Arc<AppMetadata>>,
    credentials: BTreeMap<i64, Credential>,
    next_credential_id: i64,
    event_types: BTreeMap<i64, EventType>,
    organizations: BTreeMap<i64, Organization>,
    oauth_clients: BTreeMap<String, OAuthClient>,
    subscriptions: Vec<Subscription>,
    bookings: Vec<Booking>,
    next_booking_id: i64,
    next_payment_id: i64,
}

/// The in-memory database. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Store {
    tables: RwLock<Tables>,
}

/// The default seed: users 1 to 5 (user 1 is the admin), the common apps, and two API
/// keys: `admin_api_key` for user 1 and [`Store::USER_API_KEY`] for user 2.
///
/// ```
/// let store = calsim::Store::seeded("cal_calsim_admin_key");
/// assert_eq!(store.users().len(), 5);
/// assert!(store.app("google-calendar").is_some());
/// ```
impl Store {
    /// The seeded API key of user 2, a non-admin.
    pub const USER_API_KEY: &'static str = "cal_calsim_user_key";
    /// The seeded platform OAuth client id (organization 1).
    pub const OAUTH_CLIENT_ID: &'static str = "calsim-oauth-client";
    /// Its secret.
    pub const OAUTH_CLIENT_SECRET: &'static str = "calsim-oauth-client-secret";

    /// An empty database.
    pub fn empty() -> Self {
        Store {
            tables: RwLock::new(Tables {
                next_credential_id: 1,
                ..Tables::default()
            }),
        }
    }

    /// The default seed (see the type docs).
    pub fn seeded(admin_api_key: &str) -> Self {
        let store = Store::empty();
        store.seed(admin_api_key);
        store
    }

    /// Drops everything and seeds again.
    pub fn reset(&self, admin_api_key: &str) {
        *self.write() = Tables {
            next_credential_id: 1,
            ..Tables::default()
        };
        self.seed(admin_api_key);
    }

    fn seed(&self, admin_api_key: &str) {
        for id in 1..=5 {
            self.put_user(User {
                id,
                email: format!("user{id}@example.com"),
                name: format!("Calsim User {id}"),
                role: if id == 1 { Role::Admin } else { Role::User },
                locked: false,
            });
        }
        self.add_api_key(admin_api_key, 1);
        self.add_api_key(Self::USER_API_KEY, 2);
        for (app, metadata) in catalog::common_apps() {
            self.put_app(app, Some(metadata));
        }
        let mut tables = self.write();
        for (id, user_id, slug, title) in [
            (1, 1, "30min", "30 Min Meeting"),
            (2, 1, "60min", "60 Min Meeting"),
            (3, 2, "15min", "15 Min Meeting"),
        ] {
            tables.event_types.insert(
                id,
                EventType {
                    id,
                    user_id,
                    slug: slug.to_owned(),
                    title: title.to_owned(),
                    apps: EventTypeApps::default(),
                },
            );
        }
        tables.organizations.insert(
            1,
            Organization {
                id: 1,
                name: "Calsim Org".to_owned(),
                admins: vec![1],
                members: vec![1, 2, 3],
            },
        );
        tables.oauth_clients.insert(
            Self::OAUTH_CLIENT_ID.to_owned(),
            OAuthClient {
                id: Self::OAUTH_CLIENT_ID.to_owned(),
                secret: Self::OAUTH_CLIENT_SECRET.to_owned(),
                organization_id: 1,
            },
        );
    }

    /// An event type.
    pub fn event_type(&self, id: i64) -> Option<EventType> {
        self.read().event_types.get(&id).cloned()
    }

    /// Every event type, by id.
    pub fn event_types(&self) -> Vec<EventType> {
        self.read().event_types.values().cloned().collect()
    }

    /// Adds or replaces an event type.
    pub fn put_event_type(&self, event_type: EventType) {
        self.write().event_types.insert(event_type.id, event_type);
    }

    /// An organization.
    pub fn organization(&self, id: i64) -> Option<Organization> {
        self.read().organizations.get(&id).cloned()
    }

    /// The organizations a user belongs to.
    pub fn organizations_of(&self, user_id: i64) -> Vec<i64> {
        self.read()
            .organizations
            .values()
            .filter(|organization| organization.members.contains(&user_id))
            .map(|organization| organization.id)
            .collect()
    }

    /// A platform OAuth client.
    pub fn oauth_client(&self, id: &str) -> Option<OAuthClient> {
        self.read().oauth_clients.get(id).cloned()
    }

    /// Adds a booking, giving it the next id and a uid; returns it.
    pub fn add_booking(&self, mut booking: Booking) -> Booking {
        let mut tables = self.write();
        tables.next_booking_id += 1;
        booking.id = 99 + tables.next_booking_id;
        booking.uid = format!("calsim-booking-{}", booking.id);
        tables.bookings.push(booking.clone());
        booking
    }

    /// The next `Payment.id`.
    pub fn next_payment_id(&self) -> i64 {
        let mut tables = self.write();
        tables.next_payment_id += 1;
        tables.next_payment_id
    }

    /// A booking by uid.
    pub fn booking(&self, uid: &str) -> Option<Booking> {
        self.read()
            .bookings
            .iter()
            .find(|booking| booking.uid == uid)
            .cloned()
    }

    /// Every booking, oldest first.
    pub fn bookings(&self) -> Vec<Booking> {
        self.read().bookings.clone()
    }

    /// Changes a booking under one lock.
    pub fn update_booking(&self, uid: &str, change: impl FnOnce(&mut Booking)) -> Option<Booking> {
        let mut tables = self.write();
        let booking = tables
            .bookings
            .iter_mut()
            .find(|booking| booking.uid == uid)?;
        change(booking);
        Some(booking.clone())
    }

    /// Subscriptions, oldest first, optionally of one scope.
    pub fn subscriptions(&self, scope: Option<&Scope>) -> Vec<Subscription> {
        self.read()
            .subscriptions
            .iter()
            .filter(|subscription| scope.is_none_or(|scope| subscription.scope == *scope))
            .cloned()
            .collect()
    }

    /// One subscription.
    pub fn subscription(&self, id: &str) -> Option<Subscription> {
        self.read()
            .subscriptions
            .iter()
            .find(|subscription| subscription.id == id)
            .cloned()
    }

    /// Adds a subscription unless its scope already has one for the same URL (Cal.com's
    /// unique constraint); returns whether it was added.
    pub fn add_subscription(&self, subscription: Subscription) -> bool {
        let mut tables = self.write();
        let duplicate = tables.subscriptions.iter().any(|existing| {
            existing.scope == subscription.scope
                && existing.subscriber_url == subscription.subscriber_url
        });
        if !duplicate {
            tables.subscriptions.push(subscription);
        }
        !duplicate
    }

    /// Changes a subscription under one lock.
    pub fn update_subscription(
        &self,
        id: &str,
        change: impl FnOnce(&mut Subscription),
    ) -> Option<Subscription> {
        let mut tables = self.write();
        let subscription = tables
            .subscriptions
            .iter_mut()
            .find(|subscription| subscription.id == id)?;
        change(subscription);
        Some(subscription.clone())
    }

    /// Removes a subscription.
    pub fn delete_subscription(&self, id: &str) -> Option<Subscription> {
        let mut tables = self.write();
        let index = tables
            .subscriptions
            .iter()
            .position(|subscription| subscription.id == id)?;
        Some(tables.subscriptions.remove(index))
    }

    /// Removes every subscription of a scope; returns how many.
    pub fn delete_subscriptions(&self, scope: &Scope) -> usize {
        let mut tables = self.write();
        let before = tables.subscriptions.len();
        tables
            .subscriptions
            .retain(|subscription| subscription.scope != *scope);
        before - tables.subscriptions.len()
    }

    fn read(&self) -> RwLockReadGuard<'_, Tables> {
        self.tables
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Tables> {
        self.tables
            .write()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// All users, by id.
    pub fn users(&self) -> Vec<User> {
        self.read().users.values().cloned().collect()
    }

    /// One user.
    pub fn user(&self, id: i64) -> Option<User> {
        self.read().users.get(&id).cloned()
    }

    /// Whether a user exists.
    pub fn has_user(&self, id: i64) -> bool {
        self.read().users.contains_key(&id)
    }

    /// Inserts or replaces a user.
    pub fn put_user(&self, user: User) {
        self.write().users.insert(user.id, user);
    }

    /// Registers an API key for a user; only its hash is kept, as in Cal.com.
    pub fn add_api_key(&self, api_key: &str, user_id: i64) {
        self.write().api_keys.insert(hash_api_key(api_key), user_id);
    }

    /// Resolves an API key as Cal.com's `verifyApiKey` does.
    pub fn api_key_user(&self, api_key: &str) -> ApiKeyLookup {
        let tables = self.read();
        tables
            .api_keys
            .get(&hash_api_key(api_key))
            .and_then(|user_id| tables.users.get(user_id))
            .map_or(ApiKeyLookup::Unknown, |user| {
                ApiKeyLookup::Valid(user.clone())
            })
    }

    /// All apps with their metadata.
    pub fn apps(&self) -> Vec<AppEntry> {
        let tables = self.read();
        tables
            .apps
            .values()
            .map(|app| AppEntry {
                app: App::clone(app),
                metadata: tables
                    .metadata
                    .get(&app.dir_name)
                    .map(|metadata| AppMetadata::clone(metadata)),
            })
            .collect()
    }

    /// An app row by slug.
    pub fn app(&self, slug: &str) -> Option<Arc<App>> {
        self.read().apps.get(slug).cloned()
    }

    /// Metadata by dirName.
    pub fn metadata(&self, dir_name: &str) -> Option<Arc<AppMetadata>> {
        self.read().metadata.get(dir_name).cloned()
    }

    /// Adds or replaces an app; `None` metadata leaves the build registry as it is.
    pub fn put_app(&self, app: App, metadata: Option<AppMetadata>) {
        let mut tables = self.write();
        if let Some(metadata) = metadata {
            tables
                .metadata
                .insert(metadata.dir_name.clone(), Arc::new(metadata));
        }
        tables.apps.insert(app.slug.clone(), Arc::new(app));
    }

    /// Credentials, optionally filtered by owner and app, by id.
    pub fn credentials(&self, user_id: Option<i64>, app_id: Option<&str>) -> Vec<Credential> {
        self.read()
            .credentials
            .values()
            .filter(|credential| user_id.is_none() || credential.user_id == user_id)
            .filter(|credential| app_id.is_none() || credential.app_id.as_deref() == app_id)
            .cloned()
            .collect()
    }

    /// One credential.
    pub fn credential(&self, id: i64) -> Option<Credential> {
        self.read().credentials.get(&id).cloned()
    }

    /// The push webhook's upsert: update the first `(userId, appId)` row's key, or create
    /// one with the metadata's slug and type. `invalid` is left as it is.
    pub fn upsert_pushed(&self, user_id: i64, metadata: &AppMetadata, key: Value) -> Upsert {
        let mut tables = self.write();
        let existing = tables.credentials.values_mut().find(|credential| {
            credential.user_id == Some(user_id)
                && credential.app_id.as_deref() == Some(&metadata.slug)
        });
        if let Some(credential) = existing {
            credential.key = key;
            return Upsert::Updated(credential.id);
        }
        let id = insert(
            &mut tables,
            Some(user_id),
            &metadata.slug,
            &metadata.kind,
            key,
        );
        Upsert::Created(id)
    }

    /// Inserts a credential unconditionally (API v1 POST, seeding).
    pub fn insert_credential(
        &self,
        user_id: Option<i64>,
        app_id: &str,
        kind: &str,
        key: Value,
    ) -> Credential {
        let mut tables = self.write();
        let id = insert(&mut tables, user_id, app_id, kind, key);
        tables.credentials[&id].clone()
    }

    /// Replaces a credential's key if it exists and (when given) belongs to `user_id`.
    pub fn update_key(&self, id: i64, user_id: Option<i64>, key: Value) -> Option<Credential> {
        let mut tables = self.write();
        let credential = tables
            .credentials
            .get_mut(&id)
            .filter(|credential| user_id.is_none() || credential.user_id == user_id)?;
        credential.key = key;
        Some(credential.clone())
    }

    /// Changes a credential's key with `change` under one lock, so concurrent updates
    /// (a pull and a push) cannot lose each other's writes.
    pub fn modify_key(&self, id: i64, change: impl FnOnce(&Value) -> Value) -> Option<Credential> {
        let mut tables = self.write();
        let credential = tables.credentials.get_mut(&id)?;
        credential.key = change(&credential.key);
        Some(credential.clone())
    }

    /// Sets `invalid`.
    pub fn set_invalid(&self, id: i64, invalid: bool) -> Option<Credential> {
        let mut tables = self.write();
        let credential = tables.credentials.get_mut(&id)?;
        credential.invalid = invalid;
        Some(credential.clone())
    }

    /// Deletes a credential if it exists and (when given) belongs to `user_id`.
    pub fn delete_credential(&self, id: i64, user_id: Option<i64>) -> Option<Credential> {
        let mut tables = self.write();
        let owned = tables
            .credentials
            .get(&id)
            .is_some_and(|credential| user_id.is_none() || credential.user_id == user_id);
        owned.then(|| tables.credentials.remove(&id)).flatten()
    }
}

fn insert(tables: &mut Tables, user_id: Option<i64>, app_id: &str, kind: &str, key: Value) -> i64 {
    let id = tables.next_credential_id;
    tables.next_credential_id += 1;
    tables.credentials.insert(
        id,
        Credential {
            id,
            user_id,
            team_id: None,
            app_id: Some(app_id.to_owned()),
            kind: kind.to_owned(),
            key,
            invalid: false,
        },
    );
    id
}

/// Cal.com's API key hash: drop the first `cal_`, then sha256 hex.
pub fn hash_api_key(api_key: &str) -> String {
    let stripped = api_key.replacen(API_KEY_PREFIX, "", 1);
    hex::encode(Sha256::digest(stripped.as_bytes()))
}

/// Where a booking stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Confirmed.
    Accepted,
    /// Waiting for the organizer's confirmation.
    Pending,
    /// Cancelled (or replaced by a reschedule).
    Cancelled,
    /// Rejected by the organizer.
    Rejected,
}

/// The guest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attendee {
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// IANA time zone.
    pub time_zone: String,
}

/// A booking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Booking {
    /// Primary key.
    pub id: i64,
    /// Public uid.
    pub uid: String,
    /// The event type booked.
    pub event_type_id: i64,
    /// The organizer.
    pub user_id: i64,
    /// Start, epoch ms.
    pub start_ms: i64,
    /// End, epoch ms.
    pub end_ms: i64,
    /// Status.
    pub status: Status,
    /// The guest.
    pub attendee: Attendee,
    /// Price in minor units (0: free).
    pub price: i64,
    /// Whether it was paid.
    pub paid: bool,
    /// The booking this one replaced, if it came from a reschedule.
    pub rescheduled_from: Option<String>,
    /// When it was booked (epoch ms on the simulator's clock).
    pub created_ms: i64,
    /// What the organizer's apps created for it (calendar events, meetings, CRM
    /// records), as Cal.com's `BookingReference` rows.
    #[serde(default)]
    pub references: Vec<Reference>,
    /// The payment of a priced booking (Cal.com's `Payment` row).
    #[serde(default)]
    pub payment: Option<Payment>,
}

impl Booking {
    /// Whether the booking is PENDING until its payment succeeds.
    pub fn awaits_payment(&self) -> bool {
        self.status == Status::Pending
            && self
                .payment
                .as_ref()
                .is_some_and(|payment| !payment.success)
    }
}

/// A `Payment` row: what the payment app created for a priced booking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    /// Primary key (`paymentId` in webhooks).
    pub id: i64,
    /// Public uid.
    pub uid: String,
    /// The payment app (`stripe`).
    pub app_id: String,
    /// Amount in minor units.
    pub amount: i64,
    /// Fee in minor units (Stripe's app stores 0).
    pub fee: i64,
    /// ISO currency, lower case.
    pub currency: String,
    /// Paid.
    pub success: bool,
    /// Refunded.
    pub refunded: bool,
    /// The provider's id (`pi_...`).
    pub external_id: String,
    /// `ON_BOOKING` or `HOLD`.
    pub payment_option: String,
    /// The PaymentIntent plus `stripe_publishable_key` and `stripeAccount`.
    pub data: Value,
}

/// A `BookingReference`: one external record an app created for a booking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reference {
    /// The credential type (`google_calendar`, `zoom_video`...).
    #[serde(rename = "type")]
    pub kind: String,
    /// The external record's id.
    pub uid: String,
    /// The meeting id (video).
    pub meeting_id: Option<String>,
    /// The meeting password (video).
    pub meeting_password: Option<String>,
    /// The meeting URL (video).
    pub meeting_url: Option<String>,
    /// The credential used.
    pub credential_id: i64,
}
