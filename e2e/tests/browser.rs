//! People's flows through the web app, in headless Chromium against the real binary.

#![cfg(test)]

mod browser {
    use anyhow::Result;
    use handoff_e2e::{Browser, Server};

    const ALICE: &str = "alice@handoff.local";
    const BOB: &str = "bob@handoff.local";
    const CAROL: &str = "carol@handoff.local";
    const DAVE: &str = "dave@handoff.local";
    const FRANK: &str = "frank@handoff.local";
    const ADMIN: &str = "admin@handoff.local";

    #[tokio::test]
    async fn sign_in_survives_a_reload_and_sign_out_ends_it() -> Result<()> {
        let server = Server::start().await?;
        let b = Browser::start(&server, "sign-in").await?;
        b.goto("/").await?;
        b.wait("input#email").await?;
        b.shot("login").await?;
        b.fill("input#email", ALICE).await?;
        b.fill("input#password", "wrong password").await?;
        b.click("button#sign-in").await?;
        b.wait("[role=\"alert\"]").await?;
        b.sign_in(ALICE).await?;
        b.shot("home").await?;
        b.client.refresh().await?;
        b.wait_text("#current-user", ALICE).await?;
        b.click("button#sign-out").await?;
        b.wait("input#email").await?;
        b.close().await
    }

    /// The whole life of a purchase request: a requester fills the generated form (a conditional
    /// field appears, a validation error is fixed), an agent asks for info, the requester provides
    /// it, the manager approves from the inbox, the agent completes it with a PO number, the timeline
    /// shows every step and the dashboard counts it.
    #[tokio::test]
    async fn a_purchase_request_goes_from_the_form_to_done() -> Result<()> {
        let server = Server::start().await?;
        let b = Browser::start(&server, "purchase").await?;

        b.sign_in(ALICE).await?;
        b.click("nav#main-nav a[href=\"/new\"]").await?;
        b.click("a[data-workflow=\"purchase-request\"]").await?;
        b.fill("#field-title", "Ergonomic chairs").await?;
        b.select("#field-category", "hardware").await?;
        assert!(
            !b.exists("#field-justification").await?,
            "justification is hidden below 1000"
        );
        b.fill("#field-amount", "1500").await?;
        b.wait("#field-justification").await?;
        b.shot("new-request-form").await?;
        b.click("button#submit-request").await?;
        b.wait("#field-justification-error").await?;
        b.wait("#error-summary").await?;
        b.shot("form-errors").await?;
        b.fill("#field-justification", "Back pain in the sales team")
            .await?;
        b.wait_gone("#field-justification-error").await?;
        b.click("button#submit-request").await?;
        b.wait_text("h1", "PUR-1").await?;
        b.wait("#request-status[data-status=\"triage\"]").await?;
        b.shot("request-submitted").await?;

        b.sign_in(BOB).await?;
        b.goto("/queue").await?;
        b.wait("tr[data-number=\"PUR-1\"]").await?;
        b.shot("queue").await?;
        b.click("tr[data-number=\"PUR-1\"] a").await?;
        b.wait_text("h1", "PUR-1").await?;
        b.click("button[data-transition=\"ask_for_info\"]").await?;
        b.fill("textarea#transition-comment", "Which model do you want?")
            .await?;
        b.click("button#confirm-transition").await?;
        b.wait("#request-status[data-status=\"needs_info\"]")
            .await?;

        b.sign_in(ALICE).await?;
        b.goto("/requests/PUR-1").await?;
        b.click("button[data-transition=\"provide_info\"]").await?;
        if b.exists("button#confirm-transition").await? {
            b.click("button#confirm-transition").await?;
        }
        b.wait("#request-status[data-status=\"triage\"]").await?;

        b.sign_in(BOB).await?;
        b.goto("/requests/PUR-1").await?;
        b.click("button[data-transition=\"send_for_approval\"]")
            .await?;
        if b.exists("button#confirm-transition").await? {
            b.click("button#confirm-transition").await?;
        }
        b.wait("#request-status[data-status=\"approval\"]").await?;

        b.sign_in(CAROL).await?;
        b.goto("/approvals").await?;
        b.wait("[data-approval=\"PUR-1\"]").await?;
        b.shot("approvals-inbox").await?;
        b.click("[data-approval=\"PUR-1\"] button.approve").await?;
        if b.exists("button#confirm-decision").await? {
            b.click("button#confirm-decision").await?;
        }
        b.wait_gone("[data-approval=\"PUR-1\"]").await?;

        b.sign_in(BOB).await?;
        b.goto("/requests/PUR-1").await?;
        b.wait("#request-status[data-status=\"ordering\"]").await?;
        b.click("button[data-transition=\"complete\"]").await?;
        b.fill("#transition-field-po_number", "PO-2026-001").await?;
        b.click("button#confirm-transition").await?;
        b.wait("#request-status[data-status=\"done\"]").await?;
        let status = b.wait_text("#request-status", "Done").await?;
        assert!(
            !status.contains("(Done)"),
            "the category is shown only when it differs from the label: {status:?}"
        );
        assert!(
            !b.exists("button#claim").await?,
            "no claim button on a closed request"
        );
        for kind in [
            "submitted",
            "routed",
            "transitioned",
            "decided",
            "approved",
            "fields_updated",
        ] {
            b.wait(&format!("ol#timeline li[data-kind=\"{kind}\"]"))
                .await?;
        }
        b.shot("request-done-timeline").await?;

        b.sign_in(FRANK).await?;
        b.goto("/dashboard").await?;
        b.wait_text("#dashboard-total", "1").await?;
        b.wait("svg#chart-volume").await?;
        b.wait("svg#chart-backlog").await?;
        b.wait("svg#chart-cycle-time").await?;
        b.wait_text("svg#chart-backlog", "No open requests").await?;
        // Closed within the test's few seconds: shown in minutes, not as "0.0 h".
        b.wait_text("svg#chart-cycle-time", "min").await?;
        b.shot("dashboard").await?;
        b.close().await
    }

    /// An admin edits the purchase workflow in the editor, sees the validation error it shows, fixes
    /// it and publishes version 2.
    #[tokio::test]
    async fn an_admin_publishes_a_new_version_after_fixing_an_error() -> Result<()> {
        let server = Server::start().await?;
        let b = Browser::start(&server, "admin-editor").await?;
        b.sign_in(ADMIN).await?;
        b.click("nav#main-nav a[href=\"/admin/workflows\"]").await?;
        b.goto("/admin/workflows/purchase-request").await?;
        let source = b.value("textarea#definition-editor").await?;
        assert!(
            source.contains("key: purchase-request"),
            "the editor starts from the published source"
        );
        b.wait("#definition-preview #preview-field-title").await?;
        let broken = source.replace("to: done, by: team", "to: dnoe, by: team");
        b.paste("textarea#definition-editor", &broken).await?;
        b.wait_text("ul#definition-problems > li", "did you mean \"done\"")
            .await?;
        b.shot("editor-with-problem").await?;
        let fixed = source.replace("label: Mark ordered", "label: Mark as ordered");
        b.paste("textarea#definition-editor", &fixed).await?;
        b.wait_gone("ul#definition-problems > li").await?;
        b.click("button#publish").await?;
        b.wait_text("#publish-result", "2").await?;
        b.shot("published").await?;
        b.goto("/admin/users").await?;
        b.wait_text("main", "alice@handoff.local").await?;
        b.shot("admin-users").await?;
        b.goto("/admin/roles").await?;
        b.wait_text("main", "finance-approver").await?;
        b.shot("admin-roles").await?;
        b.close().await
    }

    /// A requester sees no admin navigation, is refused by the admin pages, and cannot open another
    /// requester's request.
    #[tokio::test]
    async fn a_requester_sees_neither_admin_pages_nor_other_teams_requests() -> Result<()> {
        let server = Server::start().await?;
        let b = Browser::start(&server, "access").await?;
        b.sign_in(DAVE).await?;
        b.click("nav#main-nav a[href=\"/new\"]").await?;
        b.click("a[data-workflow=\"legal-intake\"]").await?;
        b.select("#field-matter_type", "legal_question").await?;
        b.fill("#field-summary", "Can we use this font?").await?;
        b.click("button#submit-request").await?;
        b.wait_text("h1", "LEG-1").await?;

        b.sign_in(ALICE).await?;
        assert!(
            !b.exists("nav#main-nav a[href=\"/admin/workflows\"]")
                .await?,
            "no admin link for a requester"
        );
        assert!(
            !b.exists("nav#main-nav a[href=\"/dashboard\"]").await?,
            "no dashboard link without report.read"
        );
        b.goto("/admin/workflows").await?;
        b.wait("[role=\"alert\"]").await?;
        b.shot("admin-refused").await?;
        b.goto("/requests/LEG-1").await?;
        b.wait("[role=\"alert\"]").await?;
        assert!(
            !b.exists("#request-status").await?,
            "another requester's request stays hidden"
        );
        b.shot("request-hidden").await?;
        b.close().await
    }

    /// The API explorer boots from script files under its own Content-Security-Policy (no
    /// inline script): GraphiQL renders, its editor included.
    #[tokio::test]
    async fn the_api_explorer_starts_under_its_content_security_policy() -> Result<()> {
        let server = Server::start().await?;
        let b = Browser::start(&server, "explorer").await?;
        b.goto("/graphql").await?;
        b.wait(".graphiql-container").await?;
        b.wait(".graphiql-editor").await?;
        b.shot("explorer").await?;
        b.close().await
    }
}
