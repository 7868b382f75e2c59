//! `/login`: email and password; on success the session is stored and the user goes back to
//! the page that sent them here (`?next=`), or home.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::{self, ApiError, ops, session::Session};
use crate::app::use_auth;
use crate::components::feedback::MaybeError;

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        // Only same-site paths are followed, so a crafted link cannot send the user elsewhere.
        let next = query
            .get_untracked()
            .get("next")
            .filter(|next| next.starts_with('/') && !next.starts_with("//"))
            .unwrap_or_else(|| "/".to_owned());
        let navigate = navigate.clone();
        let variables = ops::login::Variables {
            email: email.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match api::run::<ops::Login>(variables).await {
                Ok(data) => {
                    let session = Session {
                        expires_at: data.login.expires_at,
                        email: data.login.user.email,
                    };
                    api::session::save(&session);
                    auth.session.set(Some(session));
                    navigate(&next, Default::default());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <section class="narrow">
            <h1>"Sign in"</h1>
            <form on:submit=submit novalidate>
                <div class="field">
                    <label for="email">"Email"</label>
                    <input id="email" type="email" autocomplete="username" required bind:value=email/>
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input id="password" type="password" autocomplete="current-password" required
                        bind:value=password/>
                </div>
                <MaybeError error/>
                <button id="sign-in" type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
        </section>
    }
}
