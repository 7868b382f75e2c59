//! Sign-in, tokens and the deny-by-default rule.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn login_answers_a_token_that_identifies_the_user() {
    let app = TestApp::spawn().await;
    let token = app.login(ALICE).await;
    let me = app
        .ok(
            &token,
            "{ me { email roles teams { key } manager { email } } }",
            json!({}),
        )
        .await;
    assert_eq!(me["me"]["email"], ALICE);
    assert_eq!(me["me"]["roles"], json!(["requester"]));
    assert_eq!(me["me"]["teams"][0]["key"], "sales");
    assert_eq!(me["me"]["manager"]["email"], CAROL);
    let perms = app.ok(&token, "{ myPermissions }", json!({})).await;
    assert_eq!(
        perms["myPermissions"],
        json!(["request.submit", "request.read.own"])
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_email_answer_the_same_error() {
    let app = TestApp::spawn().await;
    let q = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";
    let (code, err) = app
        .fails(None, q, json!({"e": ALICE, "p": "wrong-password"}))
        .await;
    assert_eq!(code, "UNAUTHENTICATED");
    let (code2, err2) = app
        .fails(
            None,
            q,
            json!({"e": "nobody@handoff.local", "p": "wrong-password"}),
        )
        .await;
    assert_eq!(code2, "UNAUTHENTICATED");
    assert_eq!(err["message"], err2["message"]);
}

fn sign(claims: Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn forged_expired_and_wrong_audience_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let token = app.login(ADMIN).await;
    let real = serde_json::to_value(app.state.jwt.verify(&token).expect("our own token"))
        .expect("claims as JSON");
    let now = chrono::Utc::now().timestamp();
    let claims = |aud: &str, nbf: i64, exp: i64| {
        let mut c = real.clone();
        c["aud"] = json!(aud);
        c["nbf"] = json!(nbf);
        c["exp"] = json!(exp);
        c
    };
    let real_secret = "test-secret-test-secret-test-secret!";
    let forged = sign(
        claims("handoff-api", now - 10, now + 600),
        "another-secret-another-secret-another!",
    );
    let expired = sign(claims("handoff-api", now - 900, now - 600), real_secret);
    let wrong_audience = sign(claims("someone-else", now - 10, now + 600), real_secret);
    let not_yet_valid = sign(claims("handoff-api", now + 600, now + 1200), real_secret);
    let tampered = {
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[1] = parts[1].chars().rev().collect();
        parts.join(".")
    };
    for bad in [
        forged,
        expired,
        wrong_audience,
        not_yet_valid,
        tampered,
        "not-a-token".into(),
        "hnd_unknown".into(),
    ] {
        let (code, _) = app
            .fails(Some(&bad), "{ users { email } }", json!({}))
            .await;
        assert_eq!(code, "UNAUTHENTICATED", "token {bad} was accepted");
    }
    // The same claims signed with the real secret work, so the refusals above were the tokens'.
    let good = sign(claims("handoff-api", now - 10, now + 600), real_secret);
    app.ok(&good, "{ users { email } }", json!({})).await;
}

#[tokio::test]
async fn api_tokens_act_with_their_roles_and_stop_working_when_revoked() {
    let app = TestApp::spawn().await;
    let bob = app.login(BOB).await;
    let q = "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret token { id roles } } }";
    let (code, _) = app
        .fails(
            Some(&bob),
            q,
            json!({"i": {"name": "ci", "roles": ["admin"]}}),
        )
        .await;
    assert_eq!(
        code, "VALIDATION_FAILED",
        "a token cannot carry a role its creator lacks"
    );
    let created = app
        .ok(
            &bob,
            q,
            json!({"i": {"name": "ci", "roles": ["requester"]}}),
        )
        .await;
    let secret = created["createApiToken"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(secret.starts_with("hnd_"));
    // Acting as bob with only the requester role: may submit, may not work the queue.
    let submitted = app
        .submit(&secret, "purchase-request", small_purchase())
        .await;
    let id = submitted["id"].as_str().unwrap();
    let (code, _) = app
        .fails(
            Some(&secret),
            TRANSITION,
            json!({"input": {"requestId": id, "transition": "send_for_approval"}}),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    let token_id = created["createApiToken"]["token"]["id"].as_str().unwrap();
    app.ok(
        &bob,
        "mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }",
        json!({"id": token_id}),
    )
    .await;
    let (code, _) = app
        .fails(Some(&secret), "{ me { email } }", json!({}))
        .await;
    assert_eq!(code, "UNAUTHENTICATED");
}

/// Deny by default: every root operation is called without credentials, with placeholder
/// arguments built from the schema itself, and must answer UNAUTHENTICATED (only `login` is
/// public). A new operation without a guard fails this test.
#[tokio::test]
async fn every_operation_but_login_refuses_anonymous_callers() {
    let app = TestApp::spawn_with_config(false, |c| {
        c.admin_email = Some(ADMIN.into());
        c.admin_password = Some(PASSWORD.into());
    })
    .await;
    // Introspection is for signed-in callers; the operations below are then called without
    // credentials.
    let admin = app.login(ADMIN).await;
    let introspection = app
        .ok(
            &admin,
            "{ __schema {
                queryType { fields { name args { name type { ...T } } } }
                mutationType { fields { name args { name type { ...T } } } }
                subscriptionType { fields { name } }
                types { name kind inputFields { name type { ...T } } enumValues { name } }
              }
            }
            fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }",
            json!({}),
        )
        .await;
    let schema = &introspection["__schema"];
    let types = schema["types"].as_array().unwrap();
    let mut checked = 0;
    for (root, keyword) in [("queryType", "query"), ("mutationType", "mutation")] {
        for field in schema[root]["fields"].as_array().unwrap() {
            let name = field["name"].as_str().unwrap();
            let args: Vec<String> = field["args"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| a["type"]["kind"] == "NON_NULL")
                .map(|a| {
                    format!(
                        "{}: {}",
                        a["name"].as_str().unwrap(),
                        placeholder(&a["type"], types)
                    )
                })
                .collect();
            let args = if args.is_empty() {
                String::new()
            } else {
                format!("({})", args.join(", "))
            };
            let selection = selection_for(name);
            let query = format!("{keyword} {{ {name}{args} {selection} }}");
            let body = app.gql(None, &query, json!({})).await;
            let code = body["errors"][0]["extensions"]["code"]
                .as_str()
                .unwrap_or("<none>")
                .to_owned();
            if name == "login" {
                assert_eq!(
                    code, "UNAUTHENTICATED",
                    "login with placeholder credentials must fail: {body}"
                );
            } else {
                assert_eq!(
                    code, "UNAUTHENTICATED",
                    "{keyword} {name} answered without a guard: {body}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 25, "only {checked} operations found");
    assert!(
        !schema["subscriptionType"]["fields"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

fn named<'a>(types: &'a [Value], name: &str) -> &'a Value {
    types.iter().find(|t| t["name"] == name).unwrap()
}

/// A literal of the given GraphQL type.
fn placeholder(ty: &Value, types: &[Value]) -> String {
    match ty["kind"].as_str().unwrap() {
        "NON_NULL" => placeholder(&ty["ofType"], types),
        "LIST" => format!("[{}]", placeholder(&ty["ofType"], types)),
        "ENUM" => named(types, ty["name"].as_str().unwrap())["enumValues"][0]["name"]
            .as_str()
            .unwrap()
            .to_owned(),
        "INPUT_OBJECT" => {
            let t = named(types, ty["name"].as_str().unwrap());
            let fields: Vec<String> = t["inputFields"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["type"]["kind"] == "NON_NULL")
                .map(|f| {
                    format!(
                        "{}: {}",
                        f["name"].as_str().unwrap(),
                        placeholder(&f["type"], types)
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        _ => match ty["name"].as_str().unwrap() {
            "Int" => "1".into(),
            "Float" => "1.0".into(),
            "Boolean" => "true".into(),
            "JSON" => "{}".into(),
            "DateTime" => "\"2026-01-01T00:00:00Z\"".into(),
            _ => "\"x\"".into(),
        },
    }
}

/// A selection set that is valid for each root field's result type.
fn selection_for(field: &str) -> &'static str {
    match field {
        "permissions" => "{ name }",
        "deleteRole" | "logout" => "",
        "validateWorkflow" => "{ path }",
        "login" => "{ token }",
        "myApprovals" => "{ step }",
        "requests" | "auditEvents" => "{ pageInfo { hasNextPage } }",
        "dashboard" => "{ total }",
        "createApiToken" => "{ secret }",
        "addComment" => "{ id }",
        "roles" | "teams" | "updateRole" | "createRole" | "createTeam" | "updateTeam" => "{ key }",
        "myPermissions" => "",
        _ => "{ __typename }",
    }
}
