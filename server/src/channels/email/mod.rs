//! E-mail. A mail server (or a provider's inbound hook) delivers each e-mail to the channel
//! whole, `POST /ingest/email/{channel key}` with `Content-Type: message/rfc822` and
//! `Authorization: Bearer <ingest secret>`; replies go out by SMTP from the outbox
//! (`outbox.rs`) as text and HTML with the operator's files.
//!
//! Threading has three anchors, tried in order: the reply address Switchboard gives every
//! e-mail it sends (`support+c-<conversation>-<signature>@domain`, signed so nobody can write
//! into a conversation by guessing its number), the customer's `In-Reply-To`/`References`
//! looked up among every Message-ID stored for that customer on the channel (theirs and ours),
//! and otherwise a new conversation. Auto-replies (`Auto-Submitted`, `X-Autoreply`, …) and our
//! own mail coming back (the loop header) are not answered; a delivery report (bounce) marks
//! the reply it names as not delivered.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use mail_parser::{MessageParser, MimeHeaders};
use sha2::Digest;

use app::channels::EmailSettings;
use app::lifecycle::{ChannelKind, DeliveryStatus};
use app::AppError;

use super::tokens::VisitorTokens;
use crate::store::{ChannelRecord, Store};
use crate::AppState;

mod send;
pub use send::{our_message_id, send, Outgoing};

/// The largest e-mail taken in (with its attachments, as sent: base64 makes them a third
/// larger).
pub const MAX_EMAIL_BYTES: usize = 25 * 1024 * 1024;

/// Marks every e-mail Switchboard sends, so one that comes back is not answered.
const LOOP_HEADER: &str = "X-Switchboard-Loop";

pub fn ingest_url(public_url: &str, key: &str) -> String {
    format!("{public_url}/ingest/email/{key}")
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ingest/email/{key}", post(ingest))
        .layer(DefaultBodyLimit::max(MAX_EMAIL_BYTES))
}

/// An e-mail channel's secrets, kept together in its write-only provider secret.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct EmailSecrets {
    #[serde(default)]
    pub smtp_password: Option<String>,
    #[serde(default)]
    pub ingest_secret: Option<String>,
    #[serde(default)]
    pub imap_password: Option<String>,
}

impl EmailSecrets {
    pub fn of(channel: &ChannelRecord) -> EmailSecrets {
        channel
            .provider_secret
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default()
    }
}

/// Equal bytes, in time that depends only on the lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// What became of an e-mail that was taken in.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Stored in the conversation.
    Stored { conversation_id: i64 },
    /// Seen before (the same Message-ID): nothing stored again.
    Duplicate,
    /// An auto-reply or our own e-mail: kept out of the conversations.
    Ignored(&'static str),
    /// A delivery report: the reply it names is marked not delivered.
    Bounce,
}

async fn ingest(State(state): State<AppState>, Path(key): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "no e-mail channel has that address").into_response();
    let channel = match state.store.channel_by_key(&key).await {
        Ok(Some(c)) if c.kind == ChannelKind::Email => c,
        Ok(_) => return not_found(),
        Err(e) => return AppError::from(e).into_response(),
    };
    let secrets = EmailSecrets::of(&channel);
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .trim();
    let allowed = secrets
        .ingest_secret
        .as_deref()
        .is_some_and(|s| !given.is_empty() && same(s.as_bytes(), given.as_bytes()));
    if !allowed {
        tracing::warn!(
            channel = channel.id,
            "refused an e-mail without the channel's ingest secret"
        );
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "Authorization: Bearer <the channel's ingest secret> is missing or wrong",
        )
            .into_response();
    }
    if !channel.enabled {
        return (StatusCode::SERVICE_UNAVAILABLE, "this e-mail channel is turned off").into_response();
    }
    let Some(settings) = channel.email() else {
        return not_found();
    };
    match receive(&state, &channel, &settings, &body).await {
        Ok(outcome) => {
            let word = match outcome {
                Outcome::Stored { .. } => "stored",
                Outcome::Duplicate => "duplicate",
                Outcome::Ignored(why) => why,
                Outcome::Bounce => "bounce",
            };
            (StatusCode::ACCEPTED, [("x-switchboard-outcome", word)], word).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// The Message-IDs a header lists (`<a@b> <c@d>`), without their brackets.
fn ids(value: &mail_parser::HeaderValue) -> Vec<String> {
    let list: Vec<String> = match value {
        mail_parser::HeaderValue::Text(t) => vec![t.to_string()],
        mail_parser::HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    };
    list.into_iter()
        .flat_map(|t| {
            t.split_whitespace()
                .map(|s| s.trim_matches(['<', '>']).to_string())
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// Whether the e-mail is an automatic one that must not be answered (RFC 3834 and the
/// headers common auto-responders use).
pub fn automatic(message: &mail_parser::Message) -> bool {
    let raw = |name: &str| message.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    raw("Auto-Submitted").is_some_and(|v| v != "no")
        || raw("X-Autoreply").is_some()
        || raw("X-Autorespond").is_some()
        || raw("X-Auto-Response-Suppress").is_some_and(|v| v.contains("all") || v.contains("autoreply"))
        || raw("Precedence").is_some_and(|v| ["bulk", "auto_reply", "junk", "list"].contains(&v.as_str()))
}

/// A delivery status notification (RFC 3464): `multipart/report; report-type=delivery-status`.
fn bounce(message: &mail_parser::Message) -> bool {
    message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && ct
                .attribute("report-type")
                .is_some_and(|r| r.eq_ignore_ascii_case("delivery-status"))
    })
}

/// The bounced e-mail's Message-ID and the reason given, from a delivery report.
fn bounced(message: &mail_parser::Message) -> (Option<String>, String) {
    let mut original = None;
    let mut reason = None;
    for part in message.parts.iter() {
        let ct = part.content_type();
        let sub = ct.and_then(|c| c.subtype()).unwrap_or_default().to_ascii_lowercase();
        if sub == "delivery-status" {
            let text = String::from_utf8_lossy(part.contents()).to_string();
            let line = |name: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
            };
            reason = line("Diagnostic-Code:").or_else(|| line("Status:").map(|s| format!("status {s}")));
        }
        if sub == "rfc822" || sub == "rfc822-headers" {
            let inner = part
                .message()
                .and_then(|m| m.message_id().map(str::to_string))
                .or_else(|| {
                    MessageParser::default()
                        .parse_headers(part.contents())
                        .and_then(|m| m.message_id().map(str::to_string))
                });
            original = original.or(inner);
        }
    }
    if original.is_none() {
        original = ids(message.in_reply_to()).into_iter().next();
    }
    let reason = reason.unwrap_or_else(|| "the customer's mail server returned it".into());
    (original, format!("Bounced: {reason}"))
}

/// What a customer wrote new in a reply: the text above the quoted history ("On … wrote:",
/// Outlook's "-----Original Message-----" or "From: … Sent: …" block, trailing `>` lines).
/// The whole text when nothing is left above the quote.
pub fn new_text(body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let mut end = lines.len();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        let next = lines.get(i + 1).map(|l| l.trim()).unwrap_or_default();
        let wrote = |s: &str| s.ends_with("wrote:") || s.ends_with("a écrit :") || s.ends_with("schrieb:");
        let header_block = (t.starts_with("From:") || t.starts_with("De :") || t.starts_with("Von:"))
            && lines[i + 1..]
                .iter()
                .take(5)
                .any(|l| l.trim_start().starts_with("Sent:") || l.trim_start().starts_with("Date:"));
        if (t.starts_with("On ") && (wrote(t) || wrote(next)))
            || t.starts_with("-----Original Message-----")
            || (t.len() >= 20 && t.chars().all(|c| c == '_') && header_block_follows(&lines[i + 1..]))
            || header_block
            || wrote(t) && next.starts_with('>')
        {
            end = i;
            break;
        }
    }
    // A quoted block at the end, with the blank lines before it.
    while end > 0 && (lines[end - 1].trim_start().starts_with('>') || lines[end - 1].trim().is_empty()) {
        end -= 1;
    }
    let kept = lines[..end].join("\n").trim_end().to_string();
    if kept.trim().is_empty() {
        body.trim().to_string()
    } else {
        kept
    }
}

fn header_block_follows(rest: &[&str]) -> bool {
    rest.iter()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.trim_start().starts_with("From:"))
}

/// Takes in one e-mail for the channel: dedupes it by Message-ID, finds or makes the contact
/// and the conversation, keeps the original and its files, and hands the new text to the
/// conversation service (which has the assistant answer, as on chat).
/// What an inbound e-mail is, read from its bytes alone (no lookups): for the ingest, and
/// for the fuzz target that feeds it hostile bytes.
pub enum Reading<'a> {
    /// Not to be stored or answered (our own e-mail back, an automatic reply).
    Ignored(&'static str),
    /// A delivery report: the Message-ID of the e-mail it is about, and why.
    Bounce {
        original: Option<String>,
        reason: String,
    },
    Customer(Inbound<'a>),
}

/// A customer's e-mail, as read.
pub struct Inbound<'a> {
    pub message: mail_parser::Message<'a>,
    pub from: String,
    pub name: Option<String>,
    /// Its Message-ID, or a digest of the bytes when it has none.
    pub message_id: String,
    pub subject: Option<String>,
    /// The new text (quoted history trimmed), NULs removed, at most a message's length.
    pub text: String,
}

/// Reads an e-mail delivered to `our_address`.
pub fn read<'a>(raw: &'a [u8], our_address: &str) -> Result<Reading<'a>, AppError> {
    let message = MessageParser::default()
        .parse(raw)
        .filter(|m| m.from().is_some() || bounce(m))
        .ok_or_else(|| AppError::invalid("E-mail", "is not an e-mail (RFC 5322 with a From header)"))?;
    if message
        .header_raw(LOOP_HEADER)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(our_address))
    {
        return Ok(Reading::Ignored("our own e-mail"));
    }
    if bounce(&message) {
        let (original, reason) = bounced(&message);
        return Ok(Reading::Bounce { original, reason });
    }
    if automatic(&message) {
        return Ok(Reading::Ignored("automatic reply"));
    }
    let sender = message.from().and_then(|a| a.first());
    let from = sender
        .and_then(|a| a.address())
        .and_then(app::contacts::email_address)
        .ok_or_else(|| AppError::invalid("From", "is not an e-mail address"))?;
    if from == our_address {
        return Ok(Reading::Ignored("our own e-mail"));
    }
    let message_id = match message.message_id() {
        Some(id) if !id.trim().is_empty() && id.len() <= 250 => id.trim().to_string(),
        _ => format!("sha256:{:x}", sha2::Sha256::digest(raw)),
    };
    let name = sender
        .and_then(|a| a.name())
        .map(|n| n.trim().chars().take(100).collect::<String>())
        .filter(|n| !n.is_empty() && !n.contains('@'));
    let subject = message
        .subject()
        .map(|s| s.trim().chars().take(200).collect::<String>())
        .filter(|s| !s.is_empty());
    let text = message
        .body_text(0)
        .map(|b| new_text(&b.replace('\0', "")))
        .unwrap_or_default();
    let text: String = text.chars().take(app::events::MAX_MESSAGE_CHARS).collect();
    Ok(Reading::Customer(Inbound {
        message,
        from,
        name,
        message_id,
        subject,
        text,
    }))
}

pub async fn receive(
    state: &AppState,
    channel: &ChannelRecord,
    settings: &EmailSettings,
    raw: &[u8],
) -> Result<Outcome, AppError> {
    let inbound = match read(raw, &settings.address)? {
        Reading::Ignored(why) => return Ok(Outcome::Ignored(why)),
        Reading::Bounce { original, reason } => {
            if let Some(original) = original {
                if let Some(moved) = state
                    .store
                    .provider_report(channel.workspace_id, &original, DeliveryStatus::Failed, Some(&reason))
                    .await?
                {
                    state
                        .conversations
                        .publish_delivery(moved.conversation_id, moved.seq, moved.delivery);
                }
            }
            return Ok(Outcome::Bounce);
        }
        Reading::Customer(inbound) => inbound,
    };
    let (message, message_id, text) = (&inbound.message, &inbound.message_id, &inbound.text);
    if state
        .store
        .has_provider_message(channel.workspace_id, message_id)
        .await?
    {
        return Ok(Outcome::Duplicate);
    }
    let contact = customer(&state.store, channel, &inbound.from, inbound.name.as_deref()).await?;
    let conversation_id = thread(state, channel, contact, message, inbound.subject.as_deref()).await?;
    let files = keep_files(state, channel, message, conversation_id, contact).await;
    if text.trim().is_empty() && files.is_empty() {
        return Err(AppError::invalid("E-mail", "has neither text nor files"));
    }
    state
        .store
        .keep_inbound_mail(channel.workspace_id, conversation_id, message_id, raw)
        .await?;
    let appended = state
        .conversations
        .provider_message(conversation_id, text, message_id, &files)
        .await?;
    if appended.duplicate {
        return Ok(Outcome::Duplicate);
    }
    crate::metrics::COUNTERS.received(ChannelKind::Email);
    Ok(Outcome::Stored { conversation_id })
}

/// The contact who writes from `address`: the workspace's customer with that address, or a new
/// one named by the sender's name (or the address).
async fn customer(store: &Store, channel: &ChannelRecord, address: &str, name: Option<&str>) -> Result<i64, AppError> {
    if let Some(known) = store.identity_contact(channel.workspace_id, "email", address).await? {
        return Ok(known);
    }
    let created = store.create_visitor(channel, name.unwrap_or(address)).await?;
    let contact = store
        .claim_identity(channel.workspace_id, created, "email", address)
        .await?;
    if contact == created {
        store.set_contact_details(contact, None, Some(address), None).await?;
    }
    Ok(contact)
}

/// The conversation an e-mail belongs to (see the module's comment).
async fn thread(
    state: &AppState,
    channel: &ChannelRecord,
    contact: i64,
    message: &mail_parser::Message<'_>,
    subject: Option<&str>,
) -> Result<i64, AppError> {
    let recipients = message
        .to()
        .into_iter()
        .chain(message.cc())
        .flat_map(|a| a.iter())
        .filter_map(|a| a.address().map(str::to_lowercase))
        .chain(message.header_raw("Delivered-To").map(|v| v.trim().to_lowercase()));
    for address in recipients {
        if let Some(id) = conversation_in_address(&state.tokens, &address) {
            if state.store.conversation_of(id, channel.id, contact).await? {
                return Ok(id);
            }
        }
    }
    let mut anchors = ids(message.in_reply_to());
    anchors.extend(ids(message.references()));
    if let Some(id) = state
        .store
        .conversation_with_ids(channel.workspace_id, channel.id, contact, &anchors)
        .await?
    {
        return Ok(id);
    }
    Ok(state.store.new_conversation(channel, contact, subject).await?.id)
}

/// The reply address of a conversation: the channel's address with `+c-<id>-<signature>`.
pub fn reply_address(tokens: &VisitorTokens, address: &str, conversation_id: i64) -> String {
    let (local, domain) = address.split_once('@').unwrap_or((address, ""));
    format!("{local}+{}@{domain}", tokens.thread_tag(conversation_id))
}

/// The conversation a reply address names, if its signature is right.
pub fn conversation_in_address(tokens: &VisitorTokens, address: &str) -> Option<i64> {
    let local = address.split('@').next()?;
    let (_, tag) = local.split_once('+')?;
    tokens.thread_of(tag)
}

/// Keeps the e-mail's attachments and inline images of kinds Switchboard takes; others are
/// left out (the original is kept whole).
async fn keep_files(
    state: &AppState,
    channel: &ChannelRecord,
    message: &mail_parser::Message<'_>,
    conversation_id: i64,
    contact: i64,
) -> Vec<i64> {
    let mut files = Vec::new();
    for part in message.attachments().take(app::events::MAX_ATTACHMENTS) {
        let declared = part
            .content_type()
            .map(|ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default()).to_ascii_lowercase());
        let name = part.attachment_name().map(str::to_string).or_else(|| {
            let ext = app::conversation::ATTACHMENT_TYPES
                .iter()
                .find(|(t, _)| Some(*t) == declared.as_deref())
                .map(|(_, e)| *e)?;
            Some(format!("attachment.{ext}"))
        });
        let Some(name) = name.and_then(|n| crate::attachments::clean_name(&n).ok()) else {
            continue;
        };
        let bytes = part.contents();
        match crate::attachments::check_upload(&name, declared.as_deref(), bytes) {
            Ok(kind) => match crate::attachments::store_file(
                state,
                channel.workspace_id,
                conversation_id,
                &name,
                kind,
                bytes,
                "contact",
                contact,
            )
            .await
            {
                Ok(view) => files.push(view.id),
                Err(e) => tracing::warn!(error = %e, "could not keep an e-mail's file"),
            },
            Err(e) => tracing::info!(error = %e, file = name, "an e-mail's file was left out"),
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_history_is_trimmed_from_what_is_shown() {
        let gmail = "Thanks, that worked!\n\nOn Mon, 30 Nov 2026 at 10:00, Acme Support <support@acme.example> wrote:\n> Try turning it off and on.\n";
        assert_eq!(new_text(gmail), "Thanks, that worked!");
        let wrapped =
            "Still broken.\n\nOn Mon, 30 Nov 2026 at 10:00, Acme Support <support@acme.example>\nwrote:\n> Try again\n";
        assert_eq!(new_text(wrapped), "Still broken.");
        let outlook = "Here is the order number: 1234\r\n\r\n________________________________\r\nFrom: Acme Support <support@acme.example>\r\nSent: Monday, November 30, 2026 10:00\r\nTo: Ada\r\nSubject: RE: Order\r\n\r\nWhich order?";
        assert_eq!(new_text(outlook), "Here is the order number: 1234");
        let original = "Yes please\n\n-----Original Message-----\nFrom: support@acme.example\n";
        assert_eq!(new_text(original), "Yes please");
        let inline = "> Which order?\n1234\n> Which day?\nTuesday";
        assert_eq!(new_text(inline), inline);
        // Nothing new above the quote: the whole text stays.
        assert_eq!(new_text("> only a quote"), "> only a quote");
    }

    #[test]
    fn automatic_mail_is_recognised() {
        let parse = |raw: &'static str| MessageParser::default().parse(raw.as_bytes()).unwrap();
        assert!(automatic(&parse(
            "From: a@b.example\r\nAuto-Submitted: auto-replied\r\nSubject: Out of office\r\n\r\nAway"
        )));
        assert!(automatic(&parse("From: a@b.example\r\nX-Autoreply: yes\r\n\r\nAway")));
        assert!(automatic(&parse("From: a@b.example\r\nPrecedence: bulk\r\n\r\nNews")));
        assert!(!automatic(&parse("From: a@b.example\r\nAuto-Submitted: no\r\n\r\nHi")));
        assert!(!automatic(&parse("From: a@b.example\r\nSubject: Help\r\n\r\nHi")));
    }

    #[test]
    fn reply_addresses_name_their_conversation_and_cannot_be_guessed() {
        let tokens = VisitorTokens::new(b"0123456789abcdef0123456789abcdef", None, 3600);
        let address = reply_address(&tokens, "support@acme.example", 42);
        assert!(
            address.starts_with("support+c-42-") && address.ends_with("@acme.example"),
            "{address}"
        );
        assert_eq!(conversation_in_address(&tokens, &address), Some(42));
        assert_eq!(
            conversation_in_address(&tokens, &address.replace("c-42-", "c-43-")),
            None
        );
        assert_eq!(conversation_in_address(&tokens, "support+c-42@acme.example"), None);
        assert_eq!(conversation_in_address(&tokens, "support@acme.example"), None);
    }

    #[test]
    fn message_ids_come_out_of_their_brackets() {
        let m = MessageParser::default()
            .parse(b"From: a@b.example\r\nIn-Reply-To: <x1@acme.example>\r\nReferences: <r1@a.example> <r2@b.example>\r\n\r\nHi".as_slice())
            .unwrap();
        assert_eq!(ids(m.in_reply_to()), ["x1@acme.example"]);
        assert_eq!(ids(m.references()), ["r1@a.example", "r2@b.example"]);
    }
}
