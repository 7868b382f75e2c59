//! Loading, empty and error states, so no page is ever blank while waiting or after a failure.
//! Errors are `role="alert"` regions: screen readers announce them as they appear.

use leptos::prelude::*;

use crate::api::ApiError;

/// An API error, with its message.
#[component]
pub fn ErrorView(error: ApiError) -> impl IntoView {
    view! {
        <div class="alert" role="alert">
            <strong>"Something went wrong: "</strong>
            {error.message}
        </div>
    }
}

/// The placeholder shown while data loads.
#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="loading" role="status">"Loading…"</p> }
}

/// Renders a resource: a loading state, its error, or `render` of its data.
pub fn load<T, V, F>(resource: LocalResource<Result<T, ApiError>>, render: F) -> impl IntoView
where
    T: Clone + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
{
    move || match resource.get() {
        None => view! { <Loading/> }.into_any(),
        Some(Ok(data)) => render(data).into_any(),
        Some(Err(error)) => view! { <ErrorView error/> }.into_any(),
    }
}

/// An optional error kept in a signal (from a mutation), shown when set.
#[component]
pub fn MaybeError(error: RwSignal<Option<ApiError>>) -> impl IntoView {
    move || error.get().map(|error| view! { <ErrorView error/> })
}
