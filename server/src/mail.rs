//! Outgoing e-mail over SMTP: invitations now. The server, credentials and TLS mode come from
//! one URL (`smtp_url`), so a hosted relay, a company server or a test's fake on loopback are
//! all just configuration.

use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Secret;

/// Where and as whom mail is sent; checked at start-up.
#[derive(Clone, Debug)]
pub struct MailConfig {
    url: Secret,
    from: Mailbox,
}

impl MailConfig {
    /// Checks the server URL and the sender. Errors name the setting, never the URL's password.
    pub fn parse(url: &str, from: &str) -> Result<MailConfig, (&'static str, String)> {
        let url = url.trim();
        if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
            return Err(("smtp_url", "must start with smtp:// or smtps://".into()));
        }
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|_| {
            (
                "smtp_url",
                "is not a usable SMTP address (host, port, ?tls=required|opportunistic)".into(),
            )
        })?;
        let from: Mailbox = from.trim().parse().map_err(|_| {
            (
                "mail_from",
                format!("`{from}` is not an e-mail address such as `Acme <support@acme.example>`"),
            )
        })?;
        Ok(MailConfig {
            url: Secret::new(url),
            from,
        })
    }
}

/// Why an e-mail was not sent, in words for the person who asked.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("`{0}` is not an e-mail address")]
    Address(String),
    #[error("the mail server refused it or could not be reached: {0}")]
    Send(String),
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(config: &MailConfig) -> Mailer {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(config.url.expose())
            .expect("checked when the configuration was loaded")
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        Mailer {
            transport,
            from: config.from.clone(),
        }
    }

    /// Sends a plain-text message to one person.
    pub async fn send(&self, to_name: &str, to_email: &str, subject: &str, body: &str) -> Result<(), MailError> {
        let to = Mailbox::new(
            Some(to_name.to_string()),
            to_email.parse().map_err(|_| MailError::Address(to_email.to_string()))?,
        );
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| MailError::Send(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map_err(|e| MailError::Send(e.to_string()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sender_and_the_url_are_checked_and_errors_name_the_setting() {
        assert!(MailConfig::parse("smtp://u:p@127.0.0.1:2525", "Acme <a@acme.example>").is_ok());
        assert!(MailConfig::parse("smtps://u:p@mail.acme.example", "a@acme.example").is_ok());
        assert_eq!(
            MailConfig::parse("http://x", "a@acme.example").unwrap_err().0,
            "smtp_url"
        );
        assert_eq!(
            MailConfig::parse("smtp://x?tls=sometimes", "a@acme.example")
                .unwrap_err()
                .0,
            "smtp_url"
        );
        assert_eq!(MailConfig::parse("smtp://x", "nobody").unwrap_err().0, "mail_from");
    }
}
