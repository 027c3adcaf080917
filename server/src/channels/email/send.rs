//! Sending a reply by e-mail: text and HTML with the operator's files, threaded on the
//! customer's e-mails, from the conversation's signed reply address, marked so that it is not
//! answered when it comes back, through the channel's SMTP server.

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use app::channels::EmailSettings;
use app::lifecycle::{DeliveryStatus, SenderKind};

use super::{reply_address, EmailSecrets, LOOP_HEADER};
use crate::channels::sms::{SendError, Sent};
use crate::channels::tokens::VisitorTokens;

#[derive(Clone)]
struct LoopHeader(String);

impl Header for LoopHeader {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str(LOOP_HEADER)
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(LoopHeader(s.to_string()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `Auto-Submitted: auto-replied` on the assistant's answers (RFC 3834), so that other
/// auto-responders do not answer them.
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-replied".into())
    }
}

/// A reply to send by e-mail.
pub struct Outgoing<'a> {
    pub message_id: i64,
    pub conversation_id: i64,
    pub to: &'a str,
    pub to_name: &'a str,
    pub subject: Option<&'a str>,
    pub body: &'a str,
    pub sender_kind: SenderKind,
    /// The conversation's Message-IDs, oldest first, each with whether the customer sent it.
    pub thread: &'a [(String, bool)],
    /// Files: name, content type, bytes.
    pub files: Vec<(String, String, Vec<u8>)>,
}

/// The Message-ID of our e-mail for message `id` (the same on every try, so a resend after a
/// crash is recognised by mail clients as the same e-mail).
pub fn our_message_id(settings: &EmailSettings, id: i64) -> String {
    format!("switchboard.{id}@{}", settings.domain())
}

/// Builds and sends the e-mail through the channel's SMTP server.
pub async fn send(
    settings: &EmailSettings,
    secrets: &EmailSecrets,
    tokens: &VisitorTokens,
    reply: Outgoing<'_>,
) -> Result<Sent, SendError> {
    let refused = |what: &str| SendError::Refused(what.to_string());
    let from = Mailbox::new(
        (!settings.display_name.is_empty()).then(|| settings.display_name.clone()),
        settings
            .address
            .parse()
            .map_err(|_| refused("the channel's address is not valid"))?,
    );
    let to = Mailbox::new(
        (!reply.to_name.is_empty() && reply.to_name != reply.to).then(|| reply.to_name.to_string()),
        reply
            .to
            .parse()
            .map_err(|_| refused(&format!("{} is not an e-mail address", reply.to)))?,
    );
    let reply_to: Mailbox = reply_address(tokens, &settings.address, reply.conversation_id)
        .parse()
        .map_err(|_| refused("the reply address is not valid"))?;
    let subject = match reply.subject {
        Some(s) if s.to_ascii_lowercase().starts_with("re:") => s.to_string(),
        Some(s) => format!("Re: {s}"),
        None => format!("Your conversation with {}", settings.display_name_or_address()),
    };
    let id = our_message_id(settings, reply.message_id);
    let mut builder = lettre::Message::builder()
        .from(from)
        .to(to)
        .reply_to(reply_to)
        .subject(subject)
        .message_id(Some(format!("<{id}>")))
        .header(LoopHeader(settings.address.clone()));
    if let Some((last, _)) = reply.thread.iter().rev().find(|(_, theirs)| *theirs) {
        builder = builder.in_reply_to(format!("<{last}>"));
    }
    let references: Vec<String> = reply
        .thread
        .iter()
        .rev()
        .take(20)
        .rev()
        .map(|(m, _)| format!("<{m}>"))
        .collect();
    if !references.is_empty() {
        builder = builder.references(references.join(" "));
    }
    if reply.sender_kind != SenderKind::Operator {
        builder = builder.header(AutoSubmitted);
    }
    let text = app::format::plain_lines(reply.body);
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif;font-size:14px\">{}</body></html>",
        app::format::html(reply.body)
    );
    let alternative = MultiPart::alternative_plain_html(text, html);
    let body = if reply.files.is_empty() {
        alternative
    } else {
        let mut mixed = MultiPart::mixed().multipart(alternative);
        for (name, kind, bytes) in reply.files {
            let kind = ContentType::parse(&kind).unwrap_or(ContentType::TEXT_PLAIN);
            let part: SinglePart = Attachment::new(name).body(bytes, kind);
            mixed = mixed.singlepart(part);
        }
        mixed
    };
    let email = builder
        .multipart(body)
        .map_err(|e| refused(&format!("the e-mail could not be built: {e}")))?;
    let transport = transport(settings, secrets).map_err(|e| refused(&e))?;
    match transport.send(email).await {
        Ok(_) => Ok(Sent {
            sid: id,
            status: DeliveryStatus::Sent,
        }),
        Err(e) if e.is_permanent() => Err(SendError::Refused(format!("the mail server refused it: {e}"))),
        Err(e) => Err(SendError::Unavailable(format!(
            "the mail server could not take it: {e}"
        ))),
    }
}

trait DisplayName {
    fn display_name_or_address(&self) -> &str;
}

impl DisplayName for EmailSettings {
    fn display_name_or_address(&self) -> &str {
        if self.display_name.is_empty() {
            &self.address
        } else {
            &self.display_name
        }
    }
}

fn transport(settings: &EmailSettings, secrets: &EmailSecrets) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let host = settings.smtp_host.as_str();
    let builder = match settings.smtp_security.as_str() {
        "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(|e| e.to_string())?,
        "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(|e| e.to_string())?,
        _ => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
    };
    let mut builder = builder
        .port(settings.smtp_port)
        .timeout(Some(std::time::Duration::from_secs(30)));
    if !settings.smtp_user.is_empty() {
        builder = builder.credentials(Credentials::new(
            settings.smtp_user.clone(),
            secrets.smtp_password.clone().unwrap_or_default(),
        ));
    }
    Ok(builder.build())
}
