//! The `/_calsim/` control and inspection API.

mod common;

use calsim::Profile;
use common::{config, encrypt, send, start};
use serde_json::{json, Value};

async fn get_json(url: &str) -> Value {
    let reply = send("GET", url, &[], "").await;
    assert_eq!(reply.status, 200, "{reply}");
    serde_json::from_str(&reply.body).unwrap()
}

async fn post_json(url: &str, body: Value) -> common::Reply {
    send(
        "POST",
        url,
        &[("content-type", "application/json")],
        body.to_string(),
    )
    .await
}

async fn push(simulator: &calsim::Simulator, user_id: i64, app_slug: &str) -> common::Reply {
    let config = simulator.calcom().config();
    let keys = encrypt(&config, r#"{"access_token":"abc"}"#);
    let body = json!({"userId": user_id, "appSlug": app_slug, "keys": keys}).to_string();
    let header = config.push_header_name().to_owned();
    let url = format!("{}/api/webhook/app-credential", simulator.url());
    send(
        "POST",
        &url,
        &[(header.as_str(), config.sync_secret.as_str())],
        body,
    )
    .await
}

#[tokio::test]
async fn credentials_are_listed_per_user_with_the_fields_scripts_rely_on() {
    let simulator = start(config(Profile::Current)).await;
    push(&simulator, 1, "zoom").await;
    push(&simulator, 2, "zoom").await;

    let listed = get_json(&format!("{}/_calsim/credentials?userId=1", simulator.url())).await;

    assert_eq!(
        listed,
        json!([{"id": 1, "userId": 1, "teamId": null, "appId": "zoom", "type": "zoom_video",
                "key": {"access_token": "***"}, "invalid": false}]),
        "tokens are masked in every view of a credential"
    );
}

#[tokio::test]
async fn a_seeded_user_can_receive_pushes() {
    let simulator = start(config(Profile::Current)).await;
    let users = format!("{}/_calsim/users", simulator.url());

    let before = push(&simulator, 42, "zoom").await;
    let created = post_json(&users, json!({"id": 42, "email": "new@example.com"})).await;
    let after = push(&simulator, 42, "zoom").await;

    assert_eq!(before.body, r#"{"message":"User not found"}"#);
    assert_eq!(created.status, 201);
    assert_eq!(
        after.body,
        r#"{"message":"Credentials created for userId: 42"}"#
    );
}

#[tokio::test]
async fn a_users_app_is_added_from_its_config_json() {
    let simulator = start(config(Profile::Current)).await;
    let apps = format!("{}/_calsim/apps", simulator.url());
    let config_json = json!({
        "name": "Acme Calendar", "slug": "acme-calendar", "type": "acme-calendar_calendar",
        "logo": "icon.svg", "variant": "calendar", "categories": ["calendar"],
        "publisher": "Acme", "email": "dev@acme.test", "description": "Acme's calendar"
    });

    let added = post_json(&apps, config_json).await;
    let pushed = push(&simulator, 1, "acme-calendar").await;

    assert_eq!(added.status, 201, "{added}");
    assert_eq!(
        pushed.body,
        r#"{"message":"Credentials created for userId: 1"}"#
    );
    let stored = simulator
        .calcom()
        .store
        .credentials(Some(1), Some("acme-calendar"));
    assert_eq!(stored[0].kind, "acme-calendar_calendar");
}

#[tokio::test]
async fn a_config_json_breaking_the_app_rules_is_refused_with_the_rule_and_fix() {
    let simulator = start(config(Profile::Current)).await;
    let apps = format!("{}/_calsim/apps", simulator.url());
    let base = json!({
        "name": "Acme", "slug": "acme", "type": "acme_crm", "logo": "icon.svg", "variant": "crm",
        "categories": ["crm"], "publisher": "Acme", "email": "dev@acme.test", "description": "d"
    });
    let broken = |field: &str, value: Value| {
        let mut config = base.clone();
        match value {
            Value::Null => config.as_object_mut().unwrap().remove(field),
            value => config
                .as_object_mut()
                .unwrap()
                .insert(field.to_owned(), value),
        };
        config
    };

    for (config_json, expected) in [
        (
            broken("type", json!("acme-crm")),
            "`type` must be `{slug}_{category}`, e.g. `acme_crm`",
        ),
        (
            broken("variant", json!("hrms")),
            "`variant` is `hrms`; AppMetaSchema allows",
        ),
        (
            broken("publisher", Value::Null),
            "missing or not of the right type: publisher",
        ),
        (
            broken("categories", json!(["crm", "toys"])),
            "category `toys` is not an AppCategories value",
        ),
    ] {
        let reply = post_json(&apps, config_json).await;

        assert_eq!(reply.status, 400);
        let error: Value = serde_json::from_str(&reply.body).unwrap();
        assert!(
            error["error"].as_str().unwrap().contains(expected),
            "{reply}"
        );
        assert!(error["hint"].as_str().unwrap().contains("config.json"));
    }
    assert!(
        simulator.calcom().store.app("acme").is_none(),
        "nothing is stored from a refused config"
    );
}

#[tokio::test]
async fn an_app_row_without_build_metadata_gives_the_ensure_slug_404() {
    let simulator = start(config(Profile::Current)).await;
    let row = json!({"app": {"slug": "ghost", "dirName": "ghost", "categories": ["other"], "enabled": true}, "metadata": null});

    post_json(&format!("{}/_calsim/apps", simulator.url()), row).await;
    let pushed = push(&simulator, 1, "ghost").await;

    assert_eq!(pushed.status, 404);
    assert_eq!(
        pushed.body,
        r#"{"message":"App not found. Ensure that you have the correct app slug"}"#
    );
}

#[tokio::test]
async fn the_journal_lists_filters_and_clears() {
    let simulator = start(config(Profile::Current)).await;
    push(&simulator, 1, "zoom").await;
    let journal = format!("{}/_calsim/journal", simulator.url());

    let all = get_json(&journal).await;
    let pulls = get_json(&format!("{journal}?surface=pull")).await;
    let cleared = send("DELETE", &journal, &[], "").await;
    let after = get_json(&journal).await;

    assert_eq!(all.as_array().unwrap().len(), 1);
    assert_eq!(all[0]["surface"], "app-credential");
    assert_eq!(all[0]["response"]["status"], 200);
    let secret_header = all[0]["request"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|pair| pair[0] == "calcom-credential-sync-secret")
        .unwrap();
    assert_eq!(secret_header[1], "cals***");
    assert_eq!(pulls, json!([]));
    assert_eq!(cleared.status, 204);
    assert_eq!(after, json!([]));
}

#[tokio::test]
async fn reset_restores_the_seed() {
    let simulator = start(config(Profile::Current)).await;
    post_json(
        &format!("{}/_calsim/users", simulator.url()),
        json!({"id": 9}),
    )
    .await;
    push(&simulator, 1, "zoom").await;

    let reset = send(
        "POST",
        &format!("{}/_calsim/reset", simulator.url()),
        &[],
        "",
    )
    .await;

    assert_eq!(reset.status, 204);
    let store = &simulator.calcom().store;
    assert!(store.credentials(None, None).is_empty());
    assert_eq!(store.users().len(), 5);
    assert!(simulator.calcom().journal.entries(None).is_empty());
}

#[tokio::test]
async fn the_clock_moves_forward_on_request() {
    let simulator = start(config(Profile::Current)).await;

    let moved = post_json(
        &format!("{}/_calsim/clock/advance", simulator.url()),
        json!({"ms": 3_600_000}),
    )
    .await;

    let moved: Value = serde_json::from_str(&moved.body).unwrap();
    assert_eq!(moved["offsetMs"], 3_600_000);
    assert_eq!(simulator.calcom().clock.offset_ms(), 3_600_000);
}

#[tokio::test]
async fn expire_sets_the_expiry_an_hour_in_the_past() {
    let simulator = start(config(Profile::Current)).await;
    push(&simulator, 1, "zoom").await;
    let now = simulator.calcom().clock.now_ms();

    let expired = send(
        "POST",
        &format!("{}/_calsim/credentials/1/expire", simulator.url()),
        &[],
        "",
    )
    .await;

    let expired: Value = serde_json::from_str(&expired.body).unwrap();
    let expiry = expired["key"]["expiry_date"].as_i64().unwrap();
    assert!(
        (now - 3_600_000 - 1_000..=now - 3_600_000 + 1_000).contains(&expiry),
        "{expiry}"
    );
}

#[tokio::test]
async fn bad_control_requests_get_an_error_and_a_hint() {
    let simulator = start(config(Profile::Current)).await;
    let url = simulator.url();

    let bad_json = send("POST", &format!("{url}/_calsim/users"), &[], "{nope").await;
    let bad_query = send(
        "GET",
        &format!("{url}/_calsim/credentials?userId=abc"),
        &[],
        "",
    )
    .await;
    let missing = send(
        "POST",
        &format!("{url}/_calsim/credentials/77/refresh"),
        &[],
        "",
    )
    .await;
    let unknown = send("GET", &format!("{url}/nowhere"), &[], "").await;

    for reply in [&bad_json, &bad_query] {
        assert_eq!(reply.status, 400, "{reply}");
        let body: Value = serde_json::from_str(&reply.body).unwrap();
        assert!(
            body["hint"].as_str().is_some_and(|hint| !hint.is_empty()),
            "{reply}"
        );
    }
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("no credential with id 77"));
    assert_eq!(unknown.status, 404);
    assert!(unknown.body.contains("calsim: no route for GET /nowhere"));
}

#[tokio::test]
async fn config_shows_no_secret_in_full() {
    let simulator = start(config(Profile::Current)).await;
    let secret = simulator.calcom().config().sync_secret.clone();

    let shown = send(
        "GET",
        &format!("{}/_calsim/config", simulator.url()),
        &[],
        "",
    )
    .await;

    assert!(!shown.body.contains(&secret));
    let shown: Value = serde_json::from_str(&shown.body).unwrap();
    assert_eq!(shown["headerName"], "calcom-credential-sync-secret");
    assert_eq!(shown["sharingEnabled"], true);
}

#[tokio::test]
async fn app_settings_and_faults_calsim_cannot_run_are_refused_with_what_it_can() {
    let simulator = start(config(Profile::Current)).await;
    let base = simulator.url();
    let refused = |body: Value, path: &'static str| {
        let url = format!("{base}{path}");
        async move {
            let method = if path.ends_with("fault") {
                "POST"
            } else {
                "PATCH"
            };
            let reply = send(method, &url, &[], body.to_string()).await;
            assert_eq!(reply.status, 400, "{body} -> {reply}");
            serde_json::from_str::<Value>(&reply.body).unwrap()["error"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };

    let crm = refused(json!({"crm": ["salesforce"]}), "/_calsim/event-types/1").await;
    let calendar = refused(
        json!({"destinationCalendar": "apple-calendar"}),
        "/_calsim/event-types/1",
    )
    .await;
    let location = refused(
        json!({"location": "integrations:webex"}),
        "/_calsim/event-types/1",
    )
    .await;
    let status = refused(json!({"status": 99}), "/_calsim/providers/zoom/fault").await;
    let empty = refused(json!({"times": 1}), "/_calsim/providers/zoom/fault").await;
    let never = refused(
        json!({"status": 500, "times": 0}),
        "/_calsim/providers/zoom/fault",
    )
    .await;

    assert_eq!(crm, "calsim simulates no CRM app `salesforce`; use hubspot");
    assert!(
        calendar.contains("google-calendar or office365-calendar"),
        "{calendar}"
    );
    assert!(location.contains("or a link or address"), "{location}");
    assert!(
        status.contains("a provider fault answers 400 to 599"),
        "{status}"
    );
    assert_eq!(empty, "a fault needs a `status`, a `delayMs` or both");
    assert!(never.starts_with("times must be at least 1"), "{never}");
    let event_type = get_json(&format!("{base}/_calsim/event-types/1")).await;
    assert_eq!(event_type["apps"]["crm"], json!([]), "nothing was changed");
    let link = send(
        "PATCH",
        &format!("{base}/_calsim/event-types/1"),
        &[],
        json!({"location": "https://meet.example.com/x"}).to_string(),
    )
    .await;
    assert_eq!(link.status, 200, "a link location is fine: {link}");
}
