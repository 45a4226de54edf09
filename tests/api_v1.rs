//! API v1 `/credential-sync` on a real socket (`credential-sync.md` §4).

mod common;

use calsim::{Config, Profile, Store};
use common::{config, encrypt, send, start, Reply};
use serde_json::{json, Value};

const ADMIN_KEY: &str = "cal_calsim_admin_key";
const TOKEN: &str = r#"{"access_token":"abc","expiry_date":1700000000000}"#;

struct Api {
    simulator: calsim::Simulator,
    config: Config,
}

impl Api {
    async fn start(config: Config) -> Self {
        Api {
            simulator: start(config.clone()).await,
            config,
        }
    }

    /// A request with the admin key (unless `query` has its own) and the right secret.
    async fn call(&self, method: &str, query: &str, body: Option<Value>) -> Reply {
        let query = if query.contains("apiKey=") {
            query.to_owned()
        } else {
            format!("apiKey={ADMIN_KEY}&{query}")
        };
        let url = format!("{}/api/v1/credential-sync?{query}", self.simulator.url());
        let secret = [
            (
                "calcom-credential-sync-secret",
                self.config.sync_secret.as_str(),
            ),
            ("content-type", "application/json"),
        ];
        send(
            method,
            &url,
            &secret,
            body.map(|body| body.to_string()).unwrap_or_default(),
        )
        .await
    }

    fn encrypted(&self, plaintext: &str) -> String {
        encrypt(&self.config, plaintext)
    }
}

async fn api() -> Api {
    Api::start(config(Profile::Current)).await
}

#[tokio::test]
async fn every_case_answers_as_current_calcom() {
    let api = api().await;
    let good = api.encrypted(TOKEN);
    let post = |slug: &str, key: &str| Some(json!({"appSlug": slug, "encryptedKey": key}));
    let url = api.simulator.url();
    let mut lines = Vec::new();
    let mut record = |name: &str, reply: Reply| {
        let reply = reply.to_string();
        lines.push(format!("{name:<40} {reply}"));
    };

    record(
        "POST creates",
        api.call("POST", "userId=1", post("google-calendar", &good))
            .await,
    );
    record(
        "POST again inserts a duplicate",
        api.call("POST", "userId=1", post("google-calendar", &good))
            .await,
    );
    record("GET lists", api.call("GET", "userId=1", None).await);
    record(
        "GET filters by appSlug",
        api.call("GET", "userId=1&appSlug=zoom", None).await,
    );
    record(
        "PATCH updates",
        api.call(
            "PATCH",
            "userId=1&credentialId=1",
            Some(json!({"encryptedKey": good})),
        )
        .await,
    );
    record(
        "DELETE removes",
        api.call("DELETE", "userId=1&credentialId=2", None).await,
    );
    record(
        "PATCH a missing row",
        api.call(
            "PATCH",
            "userId=1&credentialId=99",
            Some(json!({"encryptedKey": good})),
        )
        .await,
    );
    record(
        "DELETE another user's row",
        api.call("DELETE", "userId=2&credentialId=1", None).await,
    );
    record("no apiKey", api.call("GET", "apiKey=&userId=1", None).await);
    record(
        "unknown apiKey",
        api.call("GET", "apiKey=cal_nope&userId=1", None).await,
    );
    record(
        "non-admin apiKey",
        api.call(
            "GET",
            &format!("apiKey={}&userId=1", Store::USER_API_KEY),
            None,
        )
        .await,
    );
    record(
        "wrong secret",
        send(
            "GET",
            &format!("{url}/api/v1/credential-sync?apiKey={ADMIN_KEY}&userId=1"),
            &[("calcom-credential-sync-secret", "nope")],
            "",
        )
        .await,
    );
    record("PUT", api.call("PUT", "userId=1", None).await);
    record("userId missing", api.call("GET", "", None).await);
    record(
        "userId not a number",
        api.call("GET", "userId=abc", None).await,
    );
    record(
        "userId 12abc is 12",
        api.call("GET", "userId=12abc", None).await,
    );
    record(
        "POST body missing",
        send(
            "POST",
            &format!("{url}/api/v1/credential-sync?apiKey={ADMIN_KEY}&userId=1"),
            &[("calcom-credential-sync-secret", &api.config.sync_secret)],
            "",
        )
        .await,
    );
    record(
        "POST malformed JSON",
        send(
            "POST",
            &format!("{url}/api/v1/credential-sync?apiKey={ADMIN_KEY}&userId=1"),
            &[("content-type", "application/json")],
            "{",
        )
        .await,
    );
    record(
        "POST body fails the schema",
        api.call("POST", "userId=1", Some(json!({"appSlug": 5})))
            .await,
    );
    record(
        "POST unknown app",
        api.call("POST", "userId=1", post("no-such-app", &good))
            .await,
    );
    record(
        "POST bad ciphertext",
        api.call("POST", "userId=1", post("zoom", "00:00")).await,
    );
    record(
        "POST plaintext not JSON",
        api.call("POST", "userId=1", post("zoom", &api.encrypted("nope")))
            .await,
    );
    record(
        "POST token without access_token",
        api.call(
            "POST",
            "userId=1",
            post("zoom", &api.encrypted(r#"{"expiry_date":1}"#)),
        )
        .await,
    );

    insta::assert_snapshot!(lines.join("\n"));
}

#[tokio::test]
async fn post_always_inserts_and_the_webhook_then_updates_the_first_row() {
    let api = api().await;
    let body =
        json!({"appSlug": "zoom", "encryptedKey": api.encrypted(r#"{"access_token":"v1"}"#)});

    api.call("POST", "userId=3", Some(body.clone())).await;
    api.call("POST", "userId=3", Some(body)).await;
    let keys = encrypt(&api.config, r#"{"access_token":"pushed"}"#);
    send(
        "POST",
        &format!("{}/api/webhook/app-credential", api.simulator.url()),
        &[(
            "calcom-credential-sync-secret",
            api.config.sync_secret.as_str(),
        )],
        json!({"userId": 3, "appSlug": "zoom", "keys": keys}).to_string(),
    )
    .await;

    let stored = api
        .simulator
        .calcom()
        .store
        .credentials(Some(3), Some("zoom"));
    assert_eq!(stored.len(), 2, "API v1 POST never upserts");
    assert_eq!(stored[0].key["access_token"], "pushed");
    assert_eq!(stored[1].key["access_token"], "v1");
}

#[tokio::test]
async fn the_stored_key_is_the_parsed_token_in_schema_order() {
    let api = api().await;
    let body = json!({"appSlug": "zoom", "encryptedKey": api.encrypted(r#"{"_1":true,"scope":"s","access_token":"a"}"#)});

    let reply = api.call("POST", "userId=1", Some(body)).await;

    assert_eq!(reply.body, r#"{"credential":{"id":1,"type":"zoom_video"}}"#);
    let stored = api.simulator.calcom().store.credential(1).unwrap();
    assert_eq!(
        stored.key.to_string(),
        r#"{"access_token":"a","scope":"s","_1":true}"#
    );
}

#[tokio::test]
async fn patch_leaves_invalid_alone() {
    let api = api().await;
    let store = &api.simulator.calcom().store;
    let credential = store.insert_credential(
        Some(1),
        "zoom",
        "zoom_video",
        json!({"access_token": "old"}),
    );
    store.set_invalid(credential.id, true);

    let reply = api
        .call(
            "PATCH",
            &format!("userId=1&credentialId={}", credential.id),
            Some(json!({"encryptedKey": api.encrypted(r#"{"access_token":"new"}"#)})),
        )
        .await;

    assert_eq!(
        reply.body,
        format!(
            r#"{{"credential":{{"id":{},"appId":"zoom"}}}}"#,
            credential.id
        )
    );
    let updated = store.credential(credential.id).unwrap();
    assert_eq!(updated.key, json!({"access_token": "new"}));
    assert!(updated.invalid);
}

#[tokio::test]
async fn errors_from_handlers_carry_a_trace_id_header() {
    let api = api().await;
    let url = format!(
        "{}/api/v1/credential-sync?apiKey={ADMIN_KEY}&userId=abc",
        api.simulator.url()
    );

    let response = reqwest::Client::new()
        .get(url)
        .header("calcom-credential-sync-secret", &api.config.sync_secret)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 400);
    assert!(response.headers()["x-trace-id"]
        .to_str()
        .unwrap()
        .starts_with("calsim-trace-"));
    assert_eq!(
        response.text().await.unwrap(),
        r#"{"message":"userId is not a valid number","data":null}"#
    );
}

#[tokio::test]
async fn disabled_sharing_is_501_but_only_after_the_admin_check() {
    let mut config = config(Profile::Current);
    config.sync_secret = String::new();
    let api = Api::start(config).await;

    let admin = api.call("GET", "userId=1", None).await;
    let user = api
        .call(
            "GET",
            &format!("apiKey={}&userId=1", Store::USER_API_KEY),
            None,
        )
        .await;

    assert_eq!(
        (admin.status, admin.body.as_str()),
        (501, r#"{"error":"Credential syncing is not enabled"}"#)
    );
    assert_eq!(user.status, 403);
}

#[tokio::test]
async fn a_header_name_with_capitals_never_matches() {
    let mut config = config(Profile::Current);
    config.header_name = "X-Sync-Secret".to_owned();
    let api = Api::start(config.clone()).await;
    let url = format!(
        "{}/api/v1/credential-sync?apiKey={ADMIN_KEY}&userId=1",
        api.simulator.url()
    );

    let reply = send(
        "GET",
        &url,
        &[("x-sync-secret", config.sync_secret.as_str())],
        "",
    )
    .await;

    assert_eq!(
        (reply.status, reply.body.as_str()),
        (401, r#"{"message":"Invalid credential sync secret"}"#)
    );
}

#[tokio::test]
async fn the_rewritten_paths_reach_the_same_handler() {
    let api = api().await;
    for path in ["/v1/credential-sync", "/api/credential-sync"] {
        let url = format!(
            "{}{path}?apiKey={ADMIN_KEY}&userId=1&version=1",
            api.simulator.url()
        );

        let reply = send(
            "GET",
            &url,
            &[(
                "calcom-credential-sync-secret",
                api.config.sync_secret.as_str(),
            )],
            "",
        )
        .await;

        assert_eq!(reply.body, r#"{"credentials":[]}"#, "{path}");
    }
}

#[tokio::test]
async fn generation_2024_02_has_no_api_v1_unless_enabled() {
    let off = Api::start(config(Profile::G2)).await;
    let mut on_config = config(Profile::G2);
    on_config.api_v1 = true;
    let on = Api::start(on_config).await;

    assert_eq!(off.call("GET", "userId=1", None).await.status, 404);
    assert_eq!(on.call("GET", "userId=1", None).await.status, 200);
}

#[tokio::test]
async fn generation_2024_02_requires_a_numeric_field_in_the_token() {
    let mut config = config(Profile::G2);
    config.api_v1 = true;
    let api = Api::start(config).await;

    let reply = api
        .call("POST", "userId=1", Some(json!({"appSlug": "zoom", "encryptedKey": api.encrypted(r#"{"access_token":"a"}"#)})))
        .await;

    assert_eq!(reply.status, 400);
    assert!(
        reply
            .body
            .contains("Missing a field that defines a token expiry date"),
        "{reply}"
    );
}

#[tokio::test]
async fn requests_are_journaled_with_the_api_key_and_secret_masked() {
    let api = api().await;

    api.call("GET", "userId=1", None).await;

    let entries = api
        .simulator
        .calcom()
        .journal
        .entries(Some(calsim::journal::Surface::ApiV1CredentialSync));
    let recorded = serde_json::to_string(&*entries[0]).unwrap();
    assert!(!recorded.contains(ADMIN_KEY), "{recorded}");
    assert!(!recorded.contains(&api.config.sync_secret), "{recorded}");
    assert!(recorded.contains("apiKey=cal_***"), "{recorded}");
}
