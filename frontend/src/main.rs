//! The Handoff web app (Leptos, client-side rendered). This first version is the shell the
//! generated pages grow into: it shows where the API is and checks the server is up. Data access
//! will live in an `api` module; `handoff_shared` supplies the same validation as the server.

use leptos::prelude::*;

/// The permissions the navigation will be built from; linking them here proves the shared
/// crate (pure, wasm-safe) is usable from the browser build.
fn permission_names() -> Vec<&'static str> {
    handoff_shared::Permission::ALL
        .iter()
        .map(|p| p.as_str())
        .collect()
}

#[component]
fn App() -> impl IntoView {
    let permissions = permission_names().len();
    view! {
        <main class="shell">
            <h1>"Handoff"</h1>
            <p>"Workflow automation: intake, routing, approvals, audit."</p>
            <p>
                "The API and its explorer are at " <a href="/graphql">"/graphql"</a>
                {format!(" ({permissions} permissions known to this build).")}
            </p>
        </main>
    }
}

fn main() {
    leptos::mount::mount_to_body(App);
}
