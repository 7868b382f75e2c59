//! Attacks on the cost of one GraphQL request: documents that ask for too much, or learn the
//! schema without signing in, and inputs whose errors would be larger than themselves. Every
//! refusal carries a code; none of these tests measures time.

use serde_json::{Value, json};

use crate::helpers::*;

/// A document of `n` copies of `field`, each under its own alias.
fn aliased(operation: &str, n: usize, field: &str) -> String {
    let fields: Vec<String> = (0..n).map(|i| format!("a{i}: {field}")).collect();
    format!("{operation} {{ {} }}", fields.join(" "))
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<no code>")
}

#[tokio::test]
async fn a_thousand_aliased_logins_in_one_document_are_refused_before_any_is_tried() {
    let app = TestApp::spawn().await;
    let login = format!("login(email: \"{ALICE}\", password: \"guess\") {{ token }}");
    let body = app
        .gql(None, &aliased("mutation", 1_000, &login), json!({}))
        .await;
    assert_eq!(code(&body), "VALIDATION_FAILED", "{body}");
    assert!(body["data"].is_null(), "nothing ran: {body}");
    assert_eq!(
        body["errors"][0]["extensions"]["fields"][0]["path"],
        "query"
    );
    assert!(
        body["errors"][0]["locations"][0]["line"].is_number(),
        "{body}"
    );
}

#[tokio::test]
async fn a_thousand_aliases_of_one_cheap_field_are_refused() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let fields: Vec<String> = (0..1_000).map(|i| format!("a{i}: id")).collect();
    let body = app
        .gql(
            Some(&alice),
            &format!("{{ me {{ {} }} }}", fields.join(" ")),
            json!({}),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION_FAILED", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("aliases"), "{message}");
}

#[tokio::test]
async fn two_logins_in_one_document_are_refused() {
    let app = TestApp::spawn().await;
    let right = format!("login(email: \"{ALICE}\", password: \"{PASSWORD}\") {{ token }}");
    let wrong = format!("login(email: \"{ALICE}\", password: \"guess\") {{ token }}");
    let body = app
        .gql(
            None,
            &format!("mutation {{ a: {wrong} b: {right} }}"),
            json!({}),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION_FAILED", "{body}");
    // The error names the second call, by its response key.
    assert_eq!(body["errors"][0]["path"], json!(["b"]), "{body}");
    assert!(body["data"].is_null(), "{body}");
    // Through a fragment it is the same document.
    let body = app
        .gql(
            None,
            &format!("mutation {{ a: {wrong} ...F }} fragment F on MutationRoot {{ b: {right} }}"),
            json!({}),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION_FAILED", "{body}");
    // One login is still one login.
    app.login(ALICE).await;
}

#[tokio::test]
async fn four_hundred_aliased_dashboards_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.login(ADMIN).await;
    let body = app
        .gql(
            Some(&admin),
            &aliased("query", 400, "dashboard { total }"),
            json!({}),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION_FAILED", "{body}");
    // Under the root-field and alias limits, the cost limit still refuses a handful.
    let body = app
        .gql(
            Some(&admin),
            &aliased("query", 4, "dashboard { total }"),
            json!({}),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION_FAILED", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("complex"),
        "{body}"
    );
    app.ok(&admin, "{ dashboard { total } }", json!({})).await;
}

#[tokio::test]
async fn nested_lists_that_multiply_are_refused_by_their_cost() {
    let app = TestApp::spawn().await;
    let admin = app.login(ADMIN).await;
    let body = app
        .gql(
            Some(&admin),
            "{ users { teams { members { teams { members { email } } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION_FAILED", "{body}");
}

#[tokio::test]
async fn fifty_thousand_directives_are_refused() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let on_one_field = format!("{{ __typename {} }}", "@skip(if: false) ".repeat(50_000));
    let body = app.gql(Some(&alice), &on_one_field, json!({})).await;
    assert_eq!(code(&body), "VALIDATION_FAILED", "{body:.300}");
    // Spread over fragments, each with a few, they are counted all the same.
    let spread = format!(
        "{{ {} }}",
        "... @include(if: true) { __typename } ".repeat(60)
    );
    let body = app.gql(Some(&alice), &spread, json!({})).await;
    assert_eq!(code(&body), "VALIDATION_FAILED", "{body}");
}

const INTROSPECT: &str = "{ __schema { queryType { name } } }";

#[tokio::test]
async fn introspection_and_suggestions_are_for_signed_in_callers() {
    let app = TestApp::spawn().await;
    let body = app.gql(None, INTROSPECT, json!({})).await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    let body = app
        .gql(
            None,
            "{ __type(name: \"User\") { fields { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    // A misspelt field: the anonymous caller is not told the right name.
    let body = app.gql(None, "{ workflowz { key } }", json!({})).await;
    assert_eq!(code(&body), "VALIDATION_FAILED", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");

    let alice = app.login(ALICE).await;
    let data = app.ok(&alice, INTROSPECT, json!({})).await;
    assert_eq!(data["__schema"]["queryType"]["name"], "QueryRoot");
    let body = app
        .gql(Some(&alice), "{ workflowz { key } }", json!({}))
        .await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("Did you mean \"workflows\""), "{message}");
}

#[tokio::test]
async fn introspection_can_be_turned_off_for_everyone() {
    let app = TestApp::spawn_with_config(true, |c| c.disable_introspection = true).await;
    let alice = app.login(ALICE).await;
    let body = app.gql(Some(&alice), INTROSPECT, json!({})).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    let body = app
        .gql(Some(&alice), "{ workflowz { key } }", json!({}))
        .await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");
}

/// A submission of 20,000 unknown fields (about 440 KB): the answer lists 50 problems and
/// counts the rest, instead of one problem per key, megabytes in all.
#[tokio::test]
async fn a_huge_bad_submission_answers_a_bounded_error() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let mut fields = serde_json::Map::new();
    for i in 0..20_000 {
        fields.insert(format!("unknown_field_number_{i:05}"), json!("x"));
    }
    let input = json!({"input": {"workflow": "purchase-request", "fields": fields}});
    let request_size = input.to_string().len();
    let resp = app
        .client
        .post(format!("{}/graphql", app.base))
        .bearer_auth(&alice)
        .json(&json!({"query": SUBMIT, "variables": input}))
        .send()
        .await
        .unwrap();
    let text = resp.text().await.unwrap();
    assert!(
        text.len() < request_size / 20,
        "{} bytes answered {} bytes",
        request_size,
        text.len()
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(code(&body), "VALIDATION_FAILED", "{body}");
    let ext = &body["errors"][0]["extensions"];
    let shown = ext["fields"].as_array().unwrap().len();
    assert_eq!(shown, 50);
    assert!(ext["omitted"].as_u64().unwrap() >= 20_000 - 50, "{ext}");
}

/// A document with thousands of unknown fields: 50 errors and a count of the others.
#[tokio::test]
async fn a_document_with_thousands_of_errors_answers_fifty() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let fields: Vec<String> = (0..5_000).map(|i| format!("nope{i}")).collect();
    let body = app
        .gql(
            Some(&alice),
            &format!("{{ me {{ {} }} }}", fields.join(" ")),
            json!({}),
        )
        .await;
    assert_eq!(body["errors"].as_array().unwrap().len(), 50, "{body:.500}");
    assert_eq!(body["extensions"]["omittedErrors"], 5_000 - 50);
    assert!(
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["extensions"]["code"] == "VALIDATION_FAILED")
    );
}

/// The web app's own queries stay within every limit, with the largest page it asks for.
#[tokio::test]
async fn the_web_apps_queries_fit_the_limits() {
    let app = TestApp::spawn().await;
    let admin = app.login(ADMIN).await;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../frontend/src/graphql");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        if !text.contains("query ") || text.contains("mutation ") {
            continue;
        }
        let variables = json!({"number": "PUR-1", "key": "purchase-request", "first": 200});
        let body = app.gql(Some(&admin), &text, variables).await;
        assert!(body.get("errors").is_none(), "{}: {body:#}", path.display());
        checked += 1;
    }
    assert!(checked >= 8, "found {checked} queries");
}
