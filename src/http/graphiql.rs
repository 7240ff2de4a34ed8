//! GraphiQL without the internet (issue #21): the page a browser's `GET /graphql` gets, and the
//! files it loads, all embedded in the binary and served at `/graphql/assets/<name>`.
//!
//! The page names only this service's own paths (relative to `/graphql`, so a path prefix added
//! by a proxy still works), and its Content-Security-Policy lets it load nothing from anywhere
//! else. React, ReactDOM and GraphiQL are the npm packages' browser builds, kept unchanged in
//! `src/http/graphiql/assets/` (versions, checksums and licences in its `README.md` and in
//! `NOTICE`); the start-up script and style beside them are ours.

use axum::extract::Path;
use axum::http::{HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// The route of the files, registered only where GraphiQL is served.
pub const ASSET_ROUTE: &str = "/graphql/assets/{name}";

/// The page's title.
pub const TITLE: &str = "牵线 Qianxian GraphiQL";

/// Where the page points GraphiQL: queries and mutations, and subscriptions (WebSocket),
/// relative to the page at `/graphql`.
const ENDPOINT: &str = "graphql";
const SUBSCRIPTION_ENDPOINT: &str = "graphql/ws";

/// The page may load scripts, styles and connections from this origin only (`'self'` covers
/// the same host's `ws:`/`wss:` for subscriptions). Styles may be inline: GraphiQL's dialogs
/// add `<style>` elements (react-remove-scroll); its CSS embeds its fonts and a few images as
/// `data:` URLs. It needs no `eval` and no inline script.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// Assets are addressed with a checksum of their content (`?v=…`), so browsers may keep them
/// for a year: a new build's page names new addresses.
const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

/// An [`Asset`] embedded from `src/http/graphiql/<folder><name>`.
macro_rules! asset {
    ($content_type:expr, $folder:literal, $name:literal) => {
        Asset {
            name: $name,
            content_type: $content_type,
            bytes: include_bytes!(concat!("graphiql/", $folder, $name)),
        }
    };
}

/// Every file under `/graphql/assets/`: what the page loads, then the licences of the
/// third-party ones (the npm packages' files are in `assets/`, ours beside it).
const ASSETS: &[Asset] = &[
    asset!(CSS, "assets/", "graphiql.min.css"),
    asset!(CSS, "", "qianxian-graphiql.css"),
    asset!(JAVASCRIPT, "assets/", "react.production.min.js"),
    asset!(JAVASCRIPT, "assets/", "react-dom.production.min.js"),
    asset!(JAVASCRIPT, "assets/", "graphiql.min.js"),
    asset!(JAVASCRIPT, "", "qianxian-graphiql.js"),
    asset!(TEXT, "assets/", "LICENSE-graphiql.txt"),
    asset!(TEXT, "assets/", "LICENSE-react.txt"),
    asset!(TEXT, "assets/", "LICENSE-entities.txt"),
];

/// The page's stylesheets and scripts, in the order they must load.
const STYLESHEETS: &[&str] = &["graphiql.min.css", "qianxian-graphiql.css"];
const SCRIPTS: &[&str] = &[
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "qianxian-graphiql.js",
];

/// `GET /graphql` for a browser: the GraphiQL page, under a strict Content-Security-Policy.
pub fn page() -> Response {
    static PAGE: LazyLock<String> = LazyLock::new(render_page);
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "same-origin"),
        ],
        PAGE.as_str(),
    )
        .into_response()
}

/// `GET /graphql/assets/{name}`: an embedded file, or 404.
pub async fn asset(Path(name): Path<String>) -> Response {
    let Some(asset) = find_asset(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let headers: [(HeaderName, &str); 3] = [
        (header::CONTENT_TYPE, asset.content_type),
        (header::CACHE_CONTROL, CACHE_FOREVER),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    (headers, asset.bytes).into_response()
}

fn find_asset(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The page's HTML: GraphiQL's files, then our start-up script, which reads the endpoints from
/// the `data-` attributes of `#graphiql`.
fn render_page() -> String {
    let stylesheets: String = STYLESHEETS
        .iter()
        .map(|name| {
            format!(
                "    <link rel=\"stylesheet\" href=\"{}\">\n",
                asset_url(name)
            )
        })
        .collect();
    let scripts: String = SCRIPTS
        .iter()
        .map(|name| format!("    <script src=\"{}\"></script>\n", asset_url(name)))
        .collect();
    format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN">
  <head>
    <meta charset="utf-8">
    <meta name="robots" content="noindex">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{TITLE}</title>
{stylesheets}  </head>
  <body>
    <div id="graphiql" data-endpoint="{ENDPOINT}" data-subscription-endpoint="{SUBSCRIPTION_ENDPOINT}">Loading...</div>
    <noscript>GraphiQL 需要启用 JavaScript。</noscript>
{scripts}  </body>
</html>
"#
    )
}

/// An asset's address relative to the page, with a checksum of its content so a cached copy
/// is never used for a changed file.
fn asset_url(name: &str) -> String {
    let asset = find_asset(name).unwrap_or_else(|| panic!("{name} is not an embedded asset"));
    let digest = Sha256::digest(asset.bytes);
    format!("graphql/assets/{name}?v={}", hex::encode(&digest[..6]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_only_embedded_assets_by_relative_address() {
        let page = render_page();
        for name in STYLESHEETS.iter().chain(SCRIPTS) {
            assert!(find_asset(name).is_some(), "{name}");
            assert!(
                page.contains(&format!("\"graphql/assets/{name}?v=")),
                "{name}"
            );
        }
        assert!(
            !page.contains("//"),
            "no absolute or protocol-relative URL: {page}"
        );
        assert!(page.contains(TITLE));
    }

    #[test]
    fn assets_have_content_and_a_type() {
        for asset in ASSETS {
            assert!(!asset.bytes.is_empty(), "{}", asset.name);
            assert!(
                asset.content_type.contains("charset=utf-8"),
                "{}",
                asset.name
            );
        }
    }
}
