//! Texts sent through Twilio's REST API (the outbox calls this), and what Twilio's refusals
//! mean.

use axum::http::{header, StatusCode};

use app::channels::SmsSettings;
use app::events::Delivery;
use app::lifecycle::DeliveryStatus;

use super::status_of;

/// Why a send failed: for good (the provider refused this message) or for now (try again).
#[derive(Debug)]
pub enum SendError {
    Refused(String),
    Unavailable(String),
}

/// A text Twilio accepted: its id and first status.
#[derive(Debug)]
pub struct Sent {
    pub sid: String,
    pub status: DeliveryStatus,
}

#[derive(serde::Deserialize)]
struct MessageResource {
    sid: String,
    #[serde(default)]
    status: String,
}

#[derive(serde::Deserialize)]
struct TwilioError {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
}

/// Sends a text through Twilio's REST API (`POST …/Accounts/{sid}/Messages.json`), asking for
/// delivery reports at the channel's status URL.
#[allow(clippy::too_many_arguments)]
pub async fn send(
    http: &reqwest::Client,
    settings: &SmsSettings,
    token: &str,
    to: &str,
    body: &str,
    media: &[String],
    status_callback: &str,
) -> Result<Sent, SendError> {
    let url = format!(
        "{}/2010-04-01/Accounts/{}/Messages.json",
        settings.api_base_url, settings.account_sid
    );
    let mut form: Vec<(&str, &str)> = vec![("To", to), ("StatusCallback", status_callback)];
    if settings.from.starts_with("MG") {
        form.push(("MessagingServiceSid", &settings.from));
    } else {
        form.push(("From", &settings.from));
    }
    if !body.is_empty() {
        form.push(("Body", body));
    }
    for m in media {
        form.push(("MediaUrl", m));
    }
    let response = http
        .post(&url)
        .basic_auth(&settings.account_sid, Some(token))
        .header(header::ACCEPT, "application/json")
        .form(&form)
        .send()
        .await
        .map_err(|e| SendError::Unavailable(format!("Twilio could not be reached: {e}")))?;
    let code = response.status();
    let text = response.text().await.unwrap_or_default();
    if code.is_success() {
        let resource: MessageResource = serde_json::from_str(&text)
            .map_err(|_| SendError::Unavailable("Twilio's answer was not a message resource".into()))?;
        return Ok(Sent {
            sid: resource.sid,
            status: status_of(&resource.status).unwrap_or(DeliveryStatus::Accepted),
        });
    }
    let problem: Option<TwilioError> = serde_json::from_str(&text).ok();
    let words = match problem {
        Some(TwilioError {
            code: Some(c),
            message: Some(m),
        }) => format!("{c} \u{2013} {m}"),
        Some(TwilioError { message: Some(m), .. }) => m,
        _ => format!("Twilio answered {code}"),
    };
    if code.is_server_error() || code == StatusCode::TOO_MANY_REQUESTS {
        Err(SendError::Unavailable(words))
    } else {
        Err(SendError::Refused(words))
    }
}

/// A delivery report in the form the tests and the outbox share.
pub fn failed(error: String) -> Delivery {
    Delivery {
        status: DeliveryStatus::Failed,
        error: Some(error),
    }
}
