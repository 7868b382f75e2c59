//! The shell: routes, the session and permissions every page can read, the header and its
//! navigation, and the guard that sends signed-out visitors to `/login`.

use leptos::prelude::*;
use leptos_router::components::{A, Redirect, Route, Router, Routes};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::path;

use crate::api::{self, ApiError, ops::me, session::Session};
use crate::pages;

/// What every page may ask about the signed-in user.
#[derive(Clone, Copy)]
pub struct Auth {
    /// The stored session; `None` when signed out.
    pub session: RwSignal<Option<Session>>,
    /// `me` and `myPermissions`, reloaded when the session changes.
    pub me: LocalResource<Result<me::ResponseData, ApiError>>,
}

impl Auth {
    /// Whether the user holds `permission` for every workflow or for at least one. The
    /// navigation uses it to hide what would only answer `FORBIDDEN`; the server decides.
    pub fn can(&self, permission: &str) -> bool {
        let scoped = format!("{permission}@");
        self.me.get().and_then(Result::ok).is_some_and(|data| {
            data.my_permissions
                .iter()
                .any(|p| p == permission || p.starts_with(&scoped))
        })
    }

    /// Whether the user holds `permission` for `workflow` (granted for every workflow, or
    /// scoped to this one). The server's own row-level rule for `request.work` is exactly this.
    pub fn can_for(&self, permission: &str, workflow: &str) -> bool {
        let scoped = format!("{permission}@{workflow}");
        self.me.get().and_then(Result::ok).is_some_and(|data| {
            data.my_permissions
                .iter()
                .any(|p| p == permission || *p == scoped)
        })
    }

    /// The signed-in user's id, once `me` has loaded.
    pub fn user_id(&self) -> Option<String> {
        self.me
            .get()
            .and_then(Result::ok)
            .and_then(|data| data.me)
            .map(|me| me.id)
    }
}

/// The `Auth` of the app; every page is rendered inside [`App`], which provides it.
pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

#[component]
pub fn App() -> impl IntoView {
    let session = RwSignal::new(api::session::current());
    let me = LocalResource::new(move || {
        let signed_in = session.get().is_some();
        async move {
            if signed_in {
                api::run::<api::ops::Me>(me::Variables).await
            } else {
                Err(ApiError::local("Not signed in."))
            }
        }
    });
    provide_context(Auth { session, me });

    view! {
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Header/>
            <main id="main" tabindex="-1">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/login") view=pages::login::LoginPage/>
                    <Route path=path!("/") view=|| view! { <Guard><pages::home::HomePage/></Guard> }/>
                    <Route path=path!("/new") view=|| view! { <Guard><pages::new_request::ChooseWorkflow/></Guard> }/>
                    <Route path=path!("/new/:key") view=|| view! { <Guard><pages::new_request::NewRequestPage/></Guard> }/>
                    <Route path=path!("/requests/:number") view=|| view! { <Guard><pages::request::RequestPage/></Guard> }/>
                    <Route path=path!("/queue") view=|| view! { <Guard><pages::queue::QueuePage/></Guard> }/>
                    <Route path=path!("/approvals") view=|| view! { <Guard><pages::approvals::ApprovalsPage/></Guard> }/>
                    <Route path=path!("/dashboard") view=|| view! { <Guard><pages::dashboard::DashboardPage/></Guard> }/>
                    <Route path=path!("/admin/workflows") view=|| view! { <Guard><pages::admin_workflows::WorkflowListPage/></Guard> }/>
                    <Route path=path!("/admin/workflows/:key") view=|| view! { <Guard><pages::admin_workflows::WorkflowEditorPage/></Guard> }/>
                    <Route path=path!("/admin/users") view=|| view! { <Guard><pages::admin_directory::UsersPage/></Guard> }/>
                    <Route path=path!("/admin/teams") view=|| view! { <Guard><pages::admin_directory::TeamsPage/></Guard> }/>
                    <Route path=path!("/admin/roles") view=|| view! { <Guard><pages::admin_directory::RolesPage/></Guard> }/>
                </Routes>
            </main>
        </Router>
    }
}

/// Renders its children only with a session; otherwise goes to `/login?next=<here>`.
#[component]
fn Guard(children: ChildrenFn) -> impl IntoView {
    let auth = use_auth();
    let location = use_location();
    move || {
        if auth.session.get().is_some() {
            children().into_any()
        } else {
            let here = format!(
                "{}{}",
                location.pathname.get_untracked(),
                location.search.get_untracked()
            );
            let next = String::from(js_sys::encode_uri_component(&here));
            view! { <Redirect path=format!("/login?next={next}")/> }.into_any()
        }
    }
}

#[component]
fn Header() -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let sign_out = move |_| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            // Revokes the session on the server and clears the cookie; signed out here either
            // way (an already-ended session answers UNAUTHENTICATED).
            let _ = api::run::<api::ops::Logout>(api::ops::logout::Variables).await;
            api::session::clear();
            auth.session.set(None);
            navigate("/login", Default::default());
        });
    };
    let signed_in = move || auth.session.get().is_some();
    view! {
        <header class="top">
            <a class="brand" href="/">"Handoff"</a>
            <Show when=signed_in>
                <nav id="main-nav" aria-label="Main">
                    <A href="/">"Home"</A>
                    <Show when=move || auth.can("request.submit")>
                        <A href="/new">"New request"</A>
                    </Show>
                    <A href="/queue">"Queue"</A>
                    <A href="/approvals">"Approvals"</A>
                    <Show when=move || auth.can("report.read")>
                        <A href="/dashboard">"Dashboard"</A>
                    </Show>
                    <Show when=move || auth.can("workflow.manage")>
                        <A href="/admin/workflows">"Workflows"</A>
                    </Show>
                    <Show when=move || auth.can("user.manage")>
                        <A href="/admin/users">"Users"</A>
                    </Show>
                    <Show when=move || auth.can("team.manage")>
                        <A href="/admin/teams">"Teams"</A>
                    </Show>
                    <Show when=move || auth.can("role.manage")>
                        <A href="/admin/roles">"Roles"</A>
                    </Show>
                </nav>
                <div class="who">
                    <span id="current-user">
                        {move || auth.session.get().map(|s| s.email).unwrap_or_default()}
                    </span>
                    <button id="sign-out" type="button" class="secondary" on:click=sign_out.clone()>
                        "Sign out"
                    </button>
                </div>
            </Show>
        </header>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <section>
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. " <a href="/">"Go home"</a></p>
        </section>
    }
}
