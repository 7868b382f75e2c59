//! The web app, embedded in the binary from `dist/` (built by `cargo xtask build-web`) and
//! served at every path the API does not own. Hashed asset names are cached for a year; the
//! page itself is revalidated with its ETag, so a new release is picked up at the next load.
//! Deep links (`/requests/PUR-1`) answer the page with 200 so the client router takes over.

use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "../dist"]
struct Dist;

const NOT_BUILT: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Handoff</title>\
<body><h1>Handoff</h1>\
<p>The API is running at <a href=\"/graphql\">/graphql</a>. This binary was built without the web app: \
run <code>cargo xtask run</code> (or <code>cargo xtask build-web</code> before building) to include it.</p></body></html>";

/// Where the explorer's boot script is served (`EXPLORER_BOOT`).
const EXPLORER_BOOT_PATH: &str = "explorer/handoff-explorer.js";

/// Starts GraphiQL on the explorer page. A file rather than an inline script, so the page's
/// Content-Security-Policy allows scripts of this origin only (`http::headers::EXPLORER_CSP`).
const EXPLORER_BOOT: &str = r#"// Sign in with the `login` mutation, then put {"Authorization": "Bearer <token>"} in Headers.
const fetcher = GraphiQL.createFetcher({ url: "/graphql" });
ReactDOM.createRoot(document.getElementById("explorer")).render(
  React.createElement(GraphiQL, { fetcher, defaultEditorToolsVisibility: true, isHeadersEditorEnabled: true })
);
"#;

/// The GraphiQL explorer from files embedded under `explorer/` (vendored from npm by
/// `cargo xtask build-web`), so it works without internet access; `None` when they are absent.
pub fn explorer_page() -> Option<String> {
    Dist::get("explorer/graphiql.min.js")?;
    Some(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Handoff API explorer</title>
<link rel="stylesheet" href="/explorer/graphiql.min.css">
<link rel="stylesheet" href="/explorer/handoff-explorer.css">
</head>
<body>
<div id="explorer">Loading the explorer...</div>
<script src="/explorer/react.production.min.js"></script>
<script src="/explorer/react-dom.production.min.js"></script>
<script src="/explorer/graphiql.min.js"></script>
<script src="/explorer/handoff-explorer.js"></script>
</body>
</html>
"#
        .to_owned(),
    )
}

/// The explorer page's own style (the page itself carries no inline style).
const EXPLORER_STYLE_PATH: &str = "explorer/handoff-explorer.css";
const EXPLORER_STYLE: &str = "body { margin: 0; height: 100vh; } #explorer { height: 100vh; }\n";

/// The explorer's boot script and style, served from the binary beside the vendored files.
fn explorer_file(path: &str) -> Option<Response> {
    let (body, mime) = match path {
        EXPLORER_BOOT_PATH => (EXPLORER_BOOT, "text/javascript; charset=utf-8"),
        EXPLORER_STYLE_PATH => (EXPLORER_STYLE, "text/css; charset=utf-8"),
        _ => return None,
    };
    Some(
        (
            [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            body,
        )
            .into_response(),
    )
}

/// Whether a file name carries a content hash (`handoff-1a2b3c4d5e.wasm`), so it never changes.
fn is_hashed(path: &str) -> bool {
    let stem = path.rsplit('/').next().unwrap_or(path);
    let stem = stem.split('.').next().unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() >= 8 && hash.chars().all(|c| c.is_ascii_hexdigit()))
}

pub async fn serve(uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    if let Some(file) = explorer_file(path) {
        return file;
    }
    let asset = if path.is_empty() {
        None
    } else {
        Dist::get(path)
    };
    let (name, file) = match asset {
        Some(file) => (path, file),
        // A missing file with an extension is a real 404; anything else is a client route.
        None if path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.')) =>
        {
            return (StatusCode::NOT_FOUND, "not found").into_response();
        }
        None => match Dist::get("index.html") {
            Some(file) => ("index.html", file),
            None => return Html(NOT_BUILT).into_response(),
        },
    };
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    let cache = if is_hashed(name) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = file.data.into_owned().into_response();
        if let Ok(ct) = HeaderValue::from_str(file.metadata.mimetype()) {
            r.headers_mut().insert(header::CONTENT_TYPE, ct);
        }
        r
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn hashed_names_are_recognised() {
        assert!(is_hashed("handoff-1a2b3c4d5e.wasm"));
        assert!(is_hashed("style-0123abcdef.css"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("handoff-frontend.js"));
    }
}
