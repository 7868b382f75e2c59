//! Credentials that end when they should, written as attacks: a demoted, deactivated or
//! re-passworded user's sessions and API tokens stop working at once; signing out revokes the
//! session on the server; sign-in is throttled per account and per client address; weak
//! passwords are refused; the web app's cookie is `HttpOnly` and refused from other origins.

use serde_json::{Value, json};

use crate::helpers::*;

const LOGIN: &str =
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";
const CREATE_USER: &str = "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }";
const UPDATE_USER: &str = "mutation($i: UpdateUserInput!) { updateUser(input: $i) { id } }";
const CREATE_TOKEN: &str =
    "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret } }";
/// What only an admin may do: the backdoor a demoted admin would make.
const BACKDOOR: &str = "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }";
const EVE_PASSWORD: &str = "eve's own long passphrase";

fn backdoor(n: u32) -> Value {
    json!({"i": {"email": format!("backdoor{n}@evil.example"), "name": "Backdoor",
        "password": "a backdoor passphrase", "roles": ["admin"]}})
}

/// An admin, Eve, with a session and an API token carrying the admin role. Answers
/// `(admin token, eve's id, eve's session, eve's API token)`.
async fn admin_eve(app: &TestApp) -> (String, String, String, String) {
    let admin = app.login(ADMIN).await;
    let made = app
        .ok(
            &admin,
            CREATE_USER,
            json!({"i": {"email": "eve@handoff.local", "name": "Eve", "password": EVE_PASSWORD,
                "roles": ["admin"]}}),
        )
        .await;
    let eve_id = made["createUser"]["id"].as_str().expect("id").to_owned();
    let session = sign_in(app, "eve@handoff.local", EVE_PASSWORD).await;
    let token = app
        .ok(
            &session,
            CREATE_TOKEN,
            json!({"i": {"name": "eve's script", "roles": ["admin"]}}),
        )
        .await["createApiToken"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    // Both work before anything changes, so the refusals below are the change's doing.
    app.ok(&session, BACKDOOR, backdoor(1)).await;
    app.ok(&token, BACKDOOR, backdoor(2)).await;
    (admin, eve_id, session, token)
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> String {
    app.ok_public(LOGIN, json!({"e": email, "p": password}))
        .await["login"]["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

async fn refused(app: &TestApp, credential: &str, n: u32) {
    let (code, err) = app.fails(Some(credential), BACKDOOR, backdoor(n)).await;
    assert_eq!(code, "UNAUTHENTICATED", "{err}");
}

#[tokio::test]
async fn a_demoted_admin_loses_session_and_api_token_at_once() {
    let app = TestApp::spawn().await;
    let (admin, eve, session, token) = admin_eve(&app).await;
    app.ok(
        &admin,
        UPDATE_USER,
        json!({"i": {"id": eve, "roles": ["requester"]}}),
    )
    .await;
    refused(&app, &session, 3).await;
    refused(&app, &token, 4).await;
    // Signing in again gives the new, smaller rights: the account itself still works.
    let again = sign_in(&app, "eve@handoff.local", EVE_PASSWORD).await;
    let (code, _) = app.fails(Some(&again), BACKDOOR, backdoor(5)).await;
    assert_eq!(code, "FORBIDDEN");
}

#[tokio::test]
async fn deactivation_and_a_password_change_end_every_credential() {
    let app = TestApp::spawn().await;
    let (admin, eve, session, token) = admin_eve(&app).await;
    app.ok(
        &admin,
        UPDATE_USER,
        json!({"i": {"id": eve, "password": "a brand new passphrase"}}),
    )
    .await;
    refused(&app, &session, 3).await;
    refused(&app, &token, 4).await;

    let fresh = sign_in(&app, "eve@handoff.local", "a brand new passphrase").await;
    app.ok(&fresh, BACKDOOR, backdoor(5)).await;
    app.ok(
        &admin,
        UPDATE_USER,
        json!({"i": {"id": eve, "active": false}}),
    )
    .await;
    refused(&app, &fresh, 6).await;
    // A deactivated account answers exactly as a wrong password does: no password oracle.
    let (code, right) = app
        .fails(
            None,
            LOGIN,
            json!({"e": "eve@handoff.local", "p": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(code, "UNAUTHENTICATED");
    let (_, wrong) = app
        .fails(
            None,
            LOGIN,
            json!({"e": "eve@handoff.local", "p": "not the passphrase"}),
        )
        .await;
    assert_eq!(right["message"], wrong["message"]);
}

#[tokio::test]
async fn taking_a_grant_from_a_role_ends_its_holders_sessions() {
    let app = TestApp::spawn().await;
    let admin = app.login(ADMIN).await;
    app.ok(
        &admin,
        "mutation($i: CreateRoleInput!) { createRole(input: $i) { key } }",
        json!({"i": {"key": "people-admin", "name": "People admin",
            "permissions": [{"permission": "user.manage"}, {"permission": "team.manage"}]}}),
    )
    .await;
    app.ok(
        &admin,
        CREATE_USER,
        json!({"i": {"email": "pat@handoff.local", "name": "Pat", "password": EVE_PASSWORD,
            "roles": ["people-admin"]}}),
    )
    .await;
    let pat = sign_in(&app, "pat@handoff.local", EVE_PASSWORD).await;
    app.ok(&pat, BACKDOOR, backdoor(1)).await;
    let update_role = "mutation($i: UpdateRoleInput!) { updateRole(input: $i) { key } }";
    // Adding a grant keeps the session.
    app.ok(
        &admin,
        update_role,
        json!({"i": {"key": "people-admin", "permissions": [{"permission": "user.manage"},
            {"permission": "team.manage"}, {"permission": "report.read"}]}}),
    )
    .await;
    app.ok(&pat, "{ users { email } }", json!({})).await;
    // Taking one away ends it.
    app.ok(
        &admin,
        update_role,
        json!({"i": {"key": "people-admin", "permissions": [{"permission": "team.manage"}]}}),
    )
    .await;
    refused(&app, &pat, 2).await;
}

#[tokio::test]
async fn signing_out_revokes_that_session_only() {
    let app = TestApp::spawn().await;
    let first = app.login(BOB).await;
    let second = app.login(BOB).await;
    let out = app.ok(&first, "mutation { logout }", json!({})).await;
    assert_eq!(out["logout"], true);
    let (code, err) = app.fails(Some(&first), "{ me { email } }", json!({})).await;
    assert_eq!(code, "UNAUTHENTICATED");
    assert!(
        err["message"]
            .as_str()
            .unwrap_or_default()
            .contains("signed out"),
        "{err}"
    );
    app.ok(&second, "{ me { email } }", json!({})).await;
}

#[tokio::test]
async fn a_forged_session_id_is_refused_even_with_a_valid_signature() {
    let app = TestApp::spawn().await;
    let token = app.login(BOB).await;
    let keys = &app.state.jwt;
    let claims = keys.verify(&token).expect("our own token verifies");
    let now = chrono::Utc::now();
    for forged in [
        handoff_backend::auth::Claims {
            sid: "no-such-session".into(),
            ..claims.clone()
        },
        handoff_backend::auth::Claims {
            ver: claims.ver + 1,
            ..claims.clone()
        },
    ] {
        let signed = keys
            .issue(forged, now, now + chrono::Duration::minutes(5))
            .expect("signed");
        let (code, _) = app
            .fails(Some(&signed), "{ me { email } }", json!({}))
            .await;
        assert_eq!(code, "UNAUTHENTICATED");
    }
}

/// Attempts a sign-in; answers the error code (or "OK"), `extensions.retryAfter` and the
/// `Retry-After` header.
async fn attempt(
    app: &TestApp,
    email: &str,
    password: &str,
) -> (String, Option<u64>, Option<String>) {
    let resp = app
        .client
        .post(format!("{}/graphql", app.base))
        .json(&json!({"query": LOGIN, "variables": {"e": email, "p": password}}))
        .send()
        .await
        .expect("HTTP");
    let header = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body: Value = resp.json().await.expect("JSON");
    let err = &body["errors"][0];
    if err.is_null() {
        return ("OK".into(), None, header);
    }
    let code = err["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
        .to_owned();
    (code, err["extensions"]["retryAfter"].as_u64(), header)
}

#[tokio::test]
async fn wrong_passwords_are_throttled_per_account_then_the_account_locks() {
    let app = TestApp::spawn_with_config(true, |c| c.login_failures_per_minute = 100_000).await;
    for _ in 0..5 {
        assert_eq!(
            attempt(&app, ALICE, "a wrong guess").await.0,
            "UNAUTHENTICATED"
        );
    }
    // The sixth attempt waits, and the right password does not get through either.
    let (code, retry, header) = attempt(&app, ALICE, PASSWORD).await;
    assert_eq!(code, "RATE_LIMITED");
    assert!(retry.is_some_and(|s| s >= 1));
    assert_eq!(header, retry.map(|s| s.to_string()));
    // Other accounts are not affected.
    assert_eq!(attempt(&app, BOB, PASSWORD).await.0, "OK");
    // Once the delay has passed the right password works, and the count starts again.
    app.state.clock.advance(chrono::Duration::seconds(5));
    assert_eq!(attempt(&app, ALICE, PASSWORD).await.0, "OK");

    // A patient attacker who waits out every delay is locked out after 100 failures.
    let mut refused_by_delay = 0;
    let mut failures = 0;
    while failures < 100 {
        match attempt(&app, ALICE, "another wrong guess").await.0.as_str() {
            "UNAUTHENTICATED" => failures += 1,
            "RATE_LIMITED" => refused_by_delay += 1,
            other => panic!("unexpected answer {other}"),
        }
        app.state.clock.advance(chrono::Duration::minutes(16));
    }
    assert_eq!(refused_by_delay, 0, "every delay was waited out");
    let (code, _, _) = attempt(&app, ALICE, PASSWORD).await;
    assert_eq!(code, "RATE_LIMITED", "locked after 100 failures");
    app.state.clock.advance(chrono::Duration::days(1));
    assert_eq!(
        attempt(&app, ALICE, PASSWORD).await.0,
        "RATE_LIMITED",
        "a lock does not expire"
    );
    // An administrator's new password lifts the lock.
    let admin = app.login(ADMIN).await;
    let users = app.ok(&admin, "{ users { id email } }", json!({})).await;
    let alice = users["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["email"] == ALICE)
        .expect("alice")["id"]
        .clone();
    app.ok(
        &admin,
        UPDATE_USER,
        json!({"i": {"id": alice, "password": "alice's new passphrase"}}),
    )
    .await;
    assert_eq!(attempt(&app, ALICE, "alice's new passphrase").await.0, "OK");
}

#[tokio::test]
async fn one_client_spraying_many_accounts_is_throttled() {
    let app = TestApp::spawn().await;
    let budget = app_budget();
    let mut limited = None;
    for n in 0..budget + 5 {
        let (code, retry, header) =
            attempt(&app, &format!("user{n}@nowhere.example"), "guess").await;
        if code == "RATE_LIMITED" {
            limited = Some((n, retry, header));
            break;
        }
        assert_eq!(code, "UNAUTHENTICATED");
    }
    let (n, retry, header) = limited.expect("the client was throttled");
    assert!(
        n >= budget,
        "throttled after {n} failures, before the budget of {budget}"
    );
    assert!(retry.is_some_and(|s| s >= 1) && header.is_some());
    // The throttled client cannot sign in to a real account either until it waits.
    assert_eq!(attempt(&app, BOB, PASSWORD).await.0, "RATE_LIMITED");
}

fn app_budget() -> u32 {
    handoff_backend::config::Config::for_tests(String::new()).login_failures_per_minute
}

#[tokio::test]
async fn weak_passwords_are_refused_with_their_path() {
    let app = TestApp::spawn().await;
    let admin = app.login(ADMIN).await;
    for weak in [
        "short",
        "password1234",
        "Qwerty123456!",
        "zed@handoff.local",
        &"x".repeat(129),
    ] {
        let (code, err) = app
            .fails(
                Some(&admin),
                CREATE_USER,
                json!({"i": {"email": "zed@handoff.local", "name": "Zed", "password": weak}}),
            )
            .await;
        assert_eq!(code, "VALIDATION_FAILED", "{weak} was accepted");
        assert_eq!(err["extensions"]["fields"][0]["path"], "input.password");
    }
}

/// The `Set-Cookie` of a sign-in, and the session cookie's `name=value`.
async fn cookie_sign_in(app: &TestApp, email: &str) -> (String, String) {
    let resp = app
        .client
        .post(format!("{}/graphql", app.base))
        .json(&json!({"query": LOGIN, "variables": {"e": email, "p": PASSWORD}}))
        .send()
        .await
        .expect("HTTP");
    let set = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a session cookie")
        .to_owned();
    let pair = set.split(';').next().expect("name=value").to_owned();
    (set, pair)
}

async fn with_cookie(app: &TestApp, cookie: &str, origin: Option<&str>, query: &str) -> Value {
    let mut req = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("cookie", cookie)
        .json(&json!({"query": query}));
    if let Some(origin) = origin {
        req = req.header("origin", origin);
    }
    req.send().await.expect("HTTP").json().await.expect("JSON")
}

#[tokio::test]
async fn the_web_session_cookie_is_http_only_and_refused_from_other_origins() {
    let app = TestApp::spawn().await;
    let (set, cookie) = cookie_sign_in(&app, BOB).await;
    assert!(set.starts_with("handoff_session="), "{set}");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    // Served from 127.0.0.1 the cookie may go without TLS.
    assert!(!set.contains("Secure"), "{set}");

    let own = app.base.clone();
    let me = with_cookie(&app, &cookie, Some(&own), "{ me { email } }").await;
    assert_eq!(me["data"]["me"]["email"], BOB, "{me}");
    // A page of another site making the browser send the cookie (CSRF) is refused.
    let forged = with_cookie(
        &app,
        &cookie,
        Some("https://evil.example"),
        "{ me { email } }",
    )
    .await;
    assert_eq!(
        forged["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{forged}"
    );
    // Signing out through the cookie revokes it.
    let out = with_cookie(&app, &cookie, Some(&own), "mutation { logout }").await;
    assert_eq!(out["data"]["logout"], true, "{out}");
    let after = with_cookie(&app, &cookie, Some(&own), "{ me { email } }").await;
    assert_eq!(
        after["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{after}"
    );
}
