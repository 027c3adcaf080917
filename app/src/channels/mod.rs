//! Channels: where customers write in. Each feeds one workflow; a web chat channel is the
//! widget a site embeds, and may be framed only by the sites it lists.

use serde::{Deserialize, Serialize};

use crate::lifecycle::ChannelKind;
use crate::AppError;

mod api;
mod form;
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
    /// An SMS channel's Twilio settings and the addresses to give Twilio.
    #[serde(default)]
    pub sms: Option<SmsView>,
    /// An e-mail channel's address, mail server, and where its mail is delivered to.
    #[serde(default)]
    pub email: Option<EmailView>,
}

/// An e-mail channel's plain settings (the SMTP and IMAP passwords and the ingest secret are
/// kept apart, write-only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EmailSettings {
    /// The address customers write to and replies come from (`support@acme.example`).
    pub address: String,
    /// The name replies are signed with (`Acme Support`).
    pub display_name: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    /// `tls` (implicit, usually 465), `starttls` (usually 587) or `none` (a relay on the
    /// same machine or network only).
    pub smtp_security: String,
    /// Blank: the server takes mail without signing in.
    pub smtp_user: String,
    /// Where mail is fetched from, if the channel reads a mailbox (blank: mail is delivered to
    /// the ingest address instead).
    pub imap: Option<ImapSettings>,
}

/// A mailbox an e-mail channel reads (IMAP4rev1): only new mail, never changing its flags.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    /// `tls` (usually 993) or `none` (a server on your own network only).
    pub security: String,
    pub user: String,
    /// The folder to read, usually `INBOX`.
    pub mailbox: String,
    /// How often to look, in seconds (1 to 3600).
    pub interval_secs: u32,
}

impl ImapSettings {
    /// Checks what an admin typed; a blank host means no mailbox.
    pub fn check(
        host: &str,
        port: &str,
        security: &str,
        user: &str,
        mailbox: &str,
        interval_secs: &str,
    ) -> Result<Option<ImapSettings>, AppError> {
        let host = host.trim().to_lowercase();
        if host.is_empty() {
            return Ok(None);
        }
        if host.len() > 253 || !host.chars().all(|c| c.is_ascii_alphanumeric() || ".-".contains(c)) {
            return Err(AppError::invalid(
                "IMAP server",
                "must be a host name like imap.acme.example",
            ));
        }
        let port: u16 = port
            .trim()
            .parse()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| AppError::invalid("IMAP port", "must be a port number such as 993"))?;
        let security = security.trim().to_lowercase();
        if !["tls", "none"].contains(&security.as_str()) {
            return Err(AppError::invalid("IMAP security", "must be TLS or none"));
        }
        let user = user.trim();
        if user.is_empty() || user.len() > 200 || user.chars().any(char::is_control) {
            return Err(AppError::invalid("IMAP user", "is needed to sign in to the mailbox"));
        }
        let mailbox = match mailbox.trim() {
            "" => "INBOX",
            m => m,
        };
        if mailbox.len() > 200 || mailbox.chars().any(|c| c.is_control() || c == '"' || c == '\\') {
            return Err(AppError::invalid("Folder", "must be a folder name like INBOX"));
        }
        let interval_secs: u32 = match interval_secs.trim() {
            "" => 60,
            v => v
                .parse()
                .ok()
                .filter(|n| (1..=3600).contains(n))
                .ok_or_else(|| AppError::invalid("Check every", "must be 1 to 3600 seconds"))?,
        };
        Ok(Some(ImapSettings {
            host,
            port,
            security,
            user: user.to_string(),
            mailbox: mailbox.to_string(),
            interval_secs,
        }))
    }
}

/// An e-mail channel as its page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailView {
    pub settings: EmailSettings,
    pub has_smtp_password: bool,
    pub has_ingest_secret: bool,
    /// Where the mail server delivers the channel's e-mails (raw, `message/rfc822`, with
    /// `Authorization: Bearer <ingest secret>`).
    pub ingest_url: String,
    pub has_imap_password: bool,
    /// How reading the mailbox went last time, in words (none before the first look).
    #[serde(default)]
    pub imap_status: Option<String>,
}

impl EmailSettings {
    /// Checks what an admin typed.
    pub fn check(
        address: &str,
        display_name: &str,
        smtp_host: &str,
        smtp_port: &str,
        smtp_security: &str,
        smtp_user: &str,
    ) -> Result<EmailSettings, AppError> {
        let address = crate::contacts::email_address(address)
            .filter(|a| !a.split('@').next().unwrap_or_default().contains('+'))
            .ok_or_else(|| {
                AppError::invalid(
                    "Address",
                    "must be an e-mail address like support@acme.example (without a +tag)",
                )
            })?;
        let display_name = display_name.trim();
        if display_name.chars().count() > 100 || display_name.contains(['<', '>', '"', '\r', '\n']) {
            return Err(AppError::invalid(
                "Sender name",
                "must be at most 100 characters, without <, > or quotes",
            ));
        }
        let host = smtp_host.trim().to_lowercase();
        if host.is_empty() || host.len() > 253 || !host.chars().all(|c| c.is_ascii_alphanumeric() || ".-".contains(c)) {
            return Err(AppError::invalid(
                "SMTP server",
                "must be a host name like smtp.acme.example",
            ));
        }
        let port: u16 = smtp_port
            .trim()
            .parse()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| AppError::invalid("SMTP port", "must be a port number such as 465 or 587"))?;
        let security = smtp_security.trim().to_lowercase();
        if !["tls", "starttls", "none"].contains(&security.as_str()) {
            return Err(AppError::invalid("Security", "must be TLS, STARTTLS or none"));
        }
        let user = smtp_user.trim();
        if user.len() > 200 || user.chars().any(char::is_control) {
            return Err(AppError::invalid("SMTP user", "must be at most 200 characters"));
        }
        Ok(EmailSettings {
            address,
            display_name: display_name.to_string(),
            smtp_host: host,
            smtp_port: port,
            smtp_security: security,
            smtp_user: user.to_string(),
            imap: None,
        })
    }

    /// The domain of the address (Message-IDs and reply addresses are made in it).
    pub fn domain(&self) -> &str {
        self.address.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

/// An ingest secret: blank (keep the saved one), or 32 to 200 characters without spaces.
pub fn check_ingest_secret(secret: &str) -> Result<Option<String>, AppError> {
    let secret = secret.trim();
    if secret.is_empty() {
        return Ok(None);
    }
    if secret.len() < 32 || secret.len() > 200 || secret.contains(char::is_whitespace) {
        return Err(AppError::invalid(
            "Ingest secret",
            "must be 32 to 200 characters without spaces (Generate makes one)",
        ));
    }
    Ok(Some(secret.to_string()))
}

/// An SMS channel's plain settings (its auth token is kept apart, write-only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsSettings {
    /// The Twilio account (`AC` and 32 hex digits).
    pub account_sid: String,
    /// The number texts come to and go from (E.164), or a Messaging Service (`MG…`).
    pub from: String,
    /// Twilio's REST API (`https://api.twilio.com` unless a test or a proxy says otherwise).
    pub api_base_url: String,
}

/// The Twilio API everyone but a test talks to.
pub const TWILIO_API: &str = "https://api.twilio.com";

/// An SMS channel as its page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsView {
    pub settings: SmsSettings,
    /// Whether the auth token is set (it never comes back to a browser).
    pub has_auth_token: bool,
    /// Where Twilio posts incoming texts ("A message comes in" on the number).
    pub inbound_url: String,
    /// Where Twilio reports delivery (sent with every reply as `StatusCallback`).
    pub status_url: String,
}

impl SmsSettings {
    /// Checks what an admin typed: the account SID, the number or Messaging Service, the API's
    /// address (blank: Twilio's).
    pub fn check(account_sid: &str, from: &str, api_base_url: &str) -> Result<SmsSettings, AppError> {
        let sid_like = |s: &str, prefix: &str| {
            s.len() == 34 && s.starts_with(prefix) && s[2..].chars().all(|c| c.is_ascii_hexdigit())
        };
        let account_sid = account_sid.trim();
        if !sid_like(account_sid, "AC") {
            return Err(AppError::invalid(
                "Account SID",
                "is AC followed by 32 letters and digits, as in Twilio's console",
            ));
        }
        let from = from.trim().replace([' ', '-', '(', ')'], "");
        if !sid_like(&from, "MG") && crate::contacts::phone_e164(&from).is_none() {
            return Err(AppError::invalid(
                "Number",
                "must be the Twilio number in international form (+14155550100) or a Messaging Service SID (MG…)",
            ));
        }
        let api = api_base_url.trim().trim_end_matches('/');
        let api = if api.is_empty() { TWILIO_API } else { api };
        if !(api.starts_with("https://") || api.starts_with("http://")) || api.contains(char::is_whitespace) {
            return Err(AppError::invalid(
                "API address",
                "must start with https:// (leave it blank for Twilio's)",
            ));
        }
        Ok(SmsSettings {
            account_sid: account_sid.to_string(),
            from,
            api_base_url: api.to_string(),
        })
    }
}

/// A Twilio auth token: blank (keep the one saved), or 16 to 100 characters without spaces.
pub fn check_auth_token(token: &str) -> Result<Option<String>, AppError> {
    let token = token.trim();
    if token.is_empty() {
        return Ok(None);
    }
    if token.len() < 16 || token.len() > 100 || token.contains(char::is_whitespace) {
        return Err(AppError::invalid(
            "Auth token",
            "must be the account's auth token from Twilio's console (32 characters)",
        ));
    }
    Ok(Some(token.to_string()))
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
    fn sms_settings_name_a_twilio_account_and_a_number_or_service() {
        let sid = "AC0123456789abcdef0123456789abcdef";
        let s = SmsSettings::check(sid, "+1 (415) 555-0100", "").unwrap();
        assert_eq!(s.from, "+14155550100");
        assert_eq!(s.api_base_url, TWILIO_API);
        let s = SmsSettings::check(sid, "MG0123456789abcdef0123456789abcdef", "http://127.0.0.1:9/").unwrap();
        assert_eq!(s.api_base_url, "http://127.0.0.1:9");
        assert!(SmsSettings::check("AC123", "+14155550100", "").is_err());
        assert!(SmsSettings::check(sid, "4155550100", "").is_err());
        assert!(SmsSettings::check(sid, "+14155550100", "ftp://x").is_err());
        assert_eq!(check_auth_token(" ").unwrap(), None);
        assert!(check_auth_token("short").is_err());
    }

    #[test]
    fn email_settings_name_an_address_and_a_mail_server() {
        let s = EmailSettings::check(
            " Support@Acme.Example ",
            "Acme Support",
            "SMTP.acme.example",
            "587",
            "STARTTLS",
            "",
        )
        .unwrap();
        assert_eq!(
            (s.address.as_str(), s.domain(), s.smtp_port),
            ("support@acme.example", "acme.example", 587)
        );
        assert_eq!(s.smtp_security, "starttls");
        assert!(EmailSettings::check("support+x@acme.example", "", "smtp.acme.example", "587", "tls", "").is_err());
        assert!(EmailSettings::check("support@acme.example", "A <b>", "smtp.acme.example", "587", "tls", "").is_err());
        assert!(EmailSettings::check("support@acme.example", "", "smtp acme", "587", "tls", "").is_err());
        assert!(EmailSettings::check("support@acme.example", "", "smtp.acme.example", "0", "tls", "").is_err());
        assert!(EmailSettings::check("support@acme.example", "", "smtp.acme.example", "25", "ssl3", "").is_err());
        assert_eq!(ImapSettings::check(" ", "", "", "", "", "").unwrap(), None);
        let imap = ImapSettings::check("IMAP.acme.example", "993", "TLS", "support", "", "")
            .unwrap()
            .unwrap();
        assert_eq!(
            (imap.mailbox.as_str(), imap.interval_secs, imap.security.as_str()),
            ("INBOX", 60, "tls")
        );
        assert!(ImapSettings::check("imap.acme.example", "993", "starttls", "support", "", "").is_err());
        assert!(ImapSettings::check("imap.acme.example", "993", "tls", "", "", "").is_err());
        assert!(ImapSettings::check("imap.acme.example", "993", "tls", "support", "", "0").is_err());
        assert_eq!(check_ingest_secret("").unwrap(), None);
        assert!(check_ingest_secret("short").is_err());
    }

    #[test]
    fn colours_are_six_hex_digits() {
        assert_eq!(check_colour(" #0EA5E9 ").unwrap(), "#0ea5e9");
        assert!(check_colour("red").is_err());
        assert!(check_colour("#0ea5e").is_err());
        assert!(check_colour("#0ea5e9; background:url(x)").is_err());
    }
}
