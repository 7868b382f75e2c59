//! The Handoff web app (Leptos, client-side rendered).
//!
//! `app` is the shell (routing, session, navigation), `api` the only module that talks to the
//! server, `components` the reusable pieces (the generated form above all), `pages` one module
//! per screen. `handoff_shared` supplies the same validation the server runs, so the browser
//! gives instant feedback while the server stays the authority.

mod api;
mod app;
mod components;
mod format;
mod pages;

fn main() {
    leptos::mount::mount_to_body(app::App);
}
