//! Channels: where customers write in. Each feeds one workflow; a web chat channel is the
//! widget a site embeds, and may be framed only by the sites it lists.

use serde::{Deserialize, Serialize};

use crate::lifecycle::ChannelKind;
use crate::AppError;

mod api;
pub mod page;

pub use api::*;

/// A channel as its page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelView {
    pub id: i64,
    pub kind: ChannelKind,
    pub name: String,
    /// CSS colour (`#rrggbb`), shown as the channel's chip in the inbox.
    pub colour: String,
    pub workflow_id: i64,
    pub workflow_name: String,
    /// The key the widget names the channel by (`data-channel`).
    pub key: String,
    pub enabled: bool,
    /// Origins allowed to frame the chat (empty: any site).
    pub allowed_sites: Vec<String>,
    /// The `<script>` tag that puts the widget on a site.
    pub embed: String,
    /// Conversations that came in on it (a channel with any cannot be deleted).
    pub conversations: i64,
    /// Whether it has a secret to verify signed-in customers with (the secret itself never
    /// comes back to a browser).
    pub has_identity_secret: bool,
    /// An identity without a valid signature is refused.
    pub require_verified: bool,
}

/// A channel's identity secret: blank (keep the one it has), or 32 to 200 characters without
/// spaces.
pub fn check_identity_secret(secret: &str) -> Result<Option<String>, AppError> {
    let secret = secret.trim();
    if secret.is_empty() {
        return Ok(None);
    }
    if secret.chars().count() < 32 || secret.chars().count() > 200 || secret.contains(char::is_whitespace) {
        return Err(AppError::invalid(
            "Identity secret",
            "must be 32 to 200 characters without spaces (Generate makes one)",
        ));
    }
    Ok(Some(secret.to_string()))
}

/// The widget's `<script>` tag for the channel `key` of the Switchboard at `public_url`.
pub fn embed_snippet(public_url: &str, key: &str) -> String {
    format!(r#"<script src="{public_url}/widget.js" data-channel="{key}" async></script>"#)
}

/// A channel's name: 1 to 60 characters.
pub fn check_channel_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::invalid("Name", "must be 1 to 60 characters"));
    }
    Ok(name.to_string())
}

/// A colour as `#rrggbb` (lower case).
pub fn check_colour(colour: &str) -> Result<String, AppError> {
    let c = colour.trim().to_lowercase();
    let hex = c.strip_prefix('#').unwrap_or("");
    if hex.len() != 6 || !hex.chars().all(|ch| ch.is_ascii_hexdigit()) {
        return Err(AppError::invalid("Colour", "must be like #0ea5e9"));
    }
    Ok(c)
}

/// The sites allowed to frame a chat, one per line (or separated by spaces or commas): each an
/// origin — `https://` or `http://`, a host (a leading `*.` for its subdomains), an optional
/// port, nothing after — as a Content-Security-Policy `frame-ancestors` source. At most 20.
pub fn check_sites(text: &str) -> Result<Vec<String>, AppError> {
    let mut sites = Vec::new();
    for raw in text.split(|c: char| c.is_whitespace() || c == ',') {
        let site = raw.trim().trim_end_matches('/').to_lowercase();
        if site.is_empty() {
            continue;
        }
        let bad = || {
            AppError::invalid(
                "Sites allowed to show the chat",
                format!("\u{201c}{raw}\u{201d} is not a site's address like https://www.example.com (no path)"),
            )
        };
        let (scheme, rest) = site.split_once("://").ok_or_else(bad)?;
        if scheme != "https" && scheme != "http" {
            return Err(bad());
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) && p.len() <= 5 => (h, Some(p)),
            Some(_) => return Err(bad()),
            None => (rest, None),
        };
        let _ = port;
        let bare = host.strip_prefix("*.").unwrap_or(host);
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if bare.is_empty() || bare.len() > 253 || !bare.split('.').all(label_ok) {
            return Err(bad());
        }
        if !sites.contains(&site) {
            sites.push(site);
        }
    }
    if sites.len() > 20 {
        return Err(AppError::invalid(
            "Sites allowed to show the chat",
            "list at most 20 sites",
        ));
    }
    Ok(sites)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_are_origins_and_nothing_else() {
        assert_eq!(
            check_sites("https://www.example.com/\n http://localhost:8080, https://*.shop.example").unwrap(),
            [
                "https://www.example.com",
                "http://localhost:8080",
                "https://*.shop.example"
            ]
        );
        assert!(check_sites("").unwrap().is_empty());
        for bad in [
            "www.example.com",
            "https://example.com/path",
            "javascript://x",
            "https://exa mple.com",
            "https://example.com;script-src",
            "https://'self'",
            "https://example.com:port",
            "https://*",
            "*",
        ] {
            assert!(check_sites(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn colours_are_six_hex_digits() {
        assert_eq!(check_colour(" #0EA5E9 ").unwrap(), "#0ea5e9");
        assert!(check_colour("red").is_err());
        assert!(check_colour("#0ea5e").is_err());
        assert!(check_colour("#0ea5e9; background:url(x)").is_err());
    }
}
