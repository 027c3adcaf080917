//! SMS through Twilio. Twilio posts each text a customer sends to the channel's inbound URL
//! and each delivery report to its status URL, both signed with the account's auth token
//! (`X-Twilio-Signature`, checked against the configured public URL, never a forwarded
//! header); replies go out through Twilio's REST API from the outbox (`outbox.rs`).
//!
//! `POST /webhooks/twilio/{channel key}/inbound` → `200` empty TwiML (the reply comes later,
//! through the API); `POST /webhooks/twilio/{channel key}/status` → `204`. A missing or wrong
//! signature is `403` and stores nothing; a text Twilio delivers twice is stored once (its
//! `MessageSid` is unique in the workspace).

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::Engine;
use hmac::Mac;

use app::channels::SmsSettings;
use app::lifecycle::{ChannelKind, DeliveryStatus};
use app::AppError;

use crate::store::{ChannelRecord, Moved};
use crate::AppState;

mod send;

pub use send::{failed, send, SendError, Sent};

/// What the operator reads when a customer texted STOP.
pub const OPTED_OUT: &str = "The customer texted STOP: Twilio refuses texts to them until they text START again.";

/// Words that opt a number out of a Twilio number's texts, and back in (Twilio's defaults).
const STOP_WORDS: [&str; 8] = [
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "REVOKE",
    "OPTOUT",
];
const START_WORDS: [&str; 3] = ["START", "UNSTOP", "YES"];

/// At most this many media items of one text are kept (Twilio sends up to 10).
const MAX_MEDIA: usize = 10;

pub fn inbound_url(public_url: &str, key: &str) -> String {
    format!("{public_url}/webhooks/twilio/{key}/inbound")
}

pub fn status_url(public_url: &str, key: &str) -> String {
    format!("{public_url}/webhooks/twilio/{key}/status")
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks/twilio/{key}/inbound", post(inbound))
        .route("/webhooks/twilio/{key}/status", post(status))
}

/// `X-Twilio-Signature` for a form POST to `url`: base64 HMAC-SHA1 under the auth token of the
/// URL followed by every field's name and value, sorted by name (a name's several values
/// sorted, each once), nothing between them.
pub fn signature(auth_token: &str, url: &str, fields: &[(String, String)]) -> String {
    let mut sorted: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, value) in fields {
        sorted.entry(name).or_default().insert(value);
    }
    let mut mac =
        hmac::Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(url.as_bytes());
    for (name, values) in sorted {
        for value in values {
            mac.update(name.as_bytes());
            mac.update(value.as_bytes());
        }
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The two ways Twilio may have signed the URL (as twilio-python's validator): without a port,
/// and with one — its own, or the scheme's default.
fn port_variants(url: &str) -> Vec<String> {
    let Ok(parsed) = url::Url::parse(url) else {
        return vec![url.to_string()];
    };
    let Some(host) = parsed.host_str() else {
        return vec![url.to_string()];
    };
    let port = parsed.port_or_known_default().unwrap_or(80);
    let rest = &parsed[url::Position::BeforePath..];
    vec![
        format!("{}://{host}{rest}", parsed.scheme()),
        format!("{}://{host}:{port}{rest}", parsed.scheme()),
    ]
}

/// Whether `given` is Twilio's signature of the request: the URL as configured, with or without
/// its port, compared in constant time.
pub fn signed(auth_token: &str, url: &str, fields: &[(String, String)], given: &str) -> bool {
    use subtle_eq::eq;
    port_variants(url)
        .iter()
        .any(|u| eq(signature(auth_token, u, fields).as_bytes(), given.as_bytes()))
}

mod subtle_eq {
    /// Equal bytes, in time that depends only on the lengths.
    pub fn eq(a: &[u8], b: &[u8]) -> bool {
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
    }
}

/// The SMS channel a webhook names, with its settings and auth token; 404 for anything else.
async fn sms_channel(state: &AppState, key: &str) -> Result<(ChannelRecord, SmsSettings, String), Response> {
    let not_found = || (StatusCode::NOT_FOUND, "no SMS channel has that address").into_response();
    let channel = match state.store.channel_by_key(key).await {
        Ok(Some(c)) if c.kind == ChannelKind::Sms => c,
        Ok(_) => return Err(not_found()),
        Err(e) => return Err(AppError::from(e).into_response()),
    };
    let (Some(settings), Some(token)) = (channel.sms(), channel.provider_secret.clone()) else {
        return Err(not_found());
    };
    Ok((channel, settings, token))
}

/// The form's fields if Twilio signed them for this URL; 403 otherwise.
fn verified_fields(
    state: &AppState,
    token: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Vec<(String, String)>, Response> {
    let fields: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let url = format!("{}{path}", state.config.public_url);
    let given = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if given.is_empty() || !signed(token, &url, &fields, given) {
        tracing::warn!(%url, "refused a Twilio request without a valid signature");
        return Err((
            StatusCode::FORBIDDEN,
            "X-Twilio-Signature is missing or does not match this URL and the channel's auth token",
        )
            .into_response());
    }
    Ok(fields)
}

/// A webhook request to an SMS channel that Twilio signed: the channel, its settings and auth
/// token, and the form's fields; otherwise the answer to give (404, 403).
async fn signed_request(
    state: &AppState,
    key: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(ChannelRecord, SmsSettings, String, Vec<(String, String)>), Response> {
    let (channel, settings, token) = sms_channel(state, key).await?;
    let fields = verified_fields(state, &token, uri, headers, body)?;
    Ok((channel, settings, token, fields))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

fn bad_request(what: &str) -> Response {
    (StatusCode::BAD_REQUEST, what.to_string()).into_response()
}

/// What an incoming text does to the sender's standing with the channel's number.
#[derive(Debug, PartialEq, Eq)]
pub enum OptOut {
    Stop,
    Start,
}

/// A STOP or START keyword (the whole text, any case), or Twilio's `OptOutType`.
pub fn opt_out_of(body: &str, opt_out_type: Option<&str>) -> Option<OptOut> {
    match opt_out_type.map(str::to_ascii_uppercase).as_deref() {
        Some("STOP") => return Some(OptOut::Stop),
        Some("START") => return Some(OptOut::Start),
        _ => {}
    }
    let word = body.trim().trim_end_matches(['.', '!']).to_ascii_uppercase();
    if STOP_WORDS.contains(&word.as_str()) {
        Some(OptOut::Stop)
    } else if START_WORDS.contains(&word.as_str()) {
        Some(OptOut::Start)
    } else {
        None
    }
}

/// Empty TwiML: nothing is said back now (replies go through the REST API).
fn twiml() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml")],
        r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#,
    )
        .into_response()
}

async fn inbound(
    State(state): State<AppState>,
    Path(key): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (channel, settings, token, fields) = match signed_request(&state, &key, &uri, &headers, &body).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    match receive(&state, &channel, &settings, &token, &fields).await {
        Ok(()) => twiml(),
        Err(r) => r,
    }
}

/// Stores a customer's text: their contact (by phone number), their conversation on the
/// channel, its media as files, and what STOP or START says.
async fn receive(
    state: &AppState,
    channel: &ChannelRecord,
    settings: &SmsSettings,
    token: &str,
    fields: &[(String, String)],
) -> Result<(), Response> {
    let Some(sid) = field(fields, "MessageSid").filter(|s| !s.is_empty() && s.len() <= 64) else {
        return Err(bad_request("MessageSid is missing"));
    };
    let Some(from) = field(fields, "From").and_then(app::contacts::phone_e164) else {
        return Err(bad_request("From is not a phone number in E.164 form"));
    };
    if !channel.enabled {
        return Err((StatusCode::SERVICE_UNAVAILABLE, "this SMS channel is turned off").into_response());
    }
    let internal = |e: AppError| e.into_response();
    // Twilio delivering the same text again: nothing to fetch or store (the unique index on
    // the message id is what guarantees it; this only saves the media downloads).
    if state
        .store
        .has_provider_message(channel.workspace_id, sid)
        .await
        .map_err(|e| internal(e.into()))?
    {
        return Ok(());
    }
    let body: String = field(fields, "Body").unwrap_or_default().replace('\0', "");
    let contact = customer(state, channel, &from).await.map_err(internal)?;
    let conversation_id = state
        .conversations
        .conversation_for(contact, channel.id)
        .await
        .map_err(internal)?;
    let media = fetch_media(state, channel, settings, token, fields, conversation_id, contact).await;
    let text = body.chars().take(app::events::MAX_MESSAGE_CHARS).collect::<String>();
    if text.trim().is_empty() && media.is_empty() {
        return Err(bad_request("the text has neither words nor media"));
    }
    let appended = state
        .conversations
        .provider_message(conversation_id, &text, sid, &media)
        .await
        .map_err(internal)?;
    if !appended.duplicate {
        crate::metrics::COUNTERS.received(ChannelKind::Sms);
    }
    if let Some(change) = opt_out_of(&body, field(fields, "OptOutType")) {
        let out = change == OptOut::Stop;
        state
            .store
            .set_sms_opt_out(channel.id, &from, out)
            .await
            .map_err(|e| internal(e.into()))?;
        state
            .conversations
            .publish_reply_blocked(conversation_id, out.then(|| OPTED_OUT.to_string()));
        tracing::info!(
            channel = channel.id,
            opted_out = out,
            "a customer texted an opt-out keyword"
        );
    }
    Ok(())
}

/// The contact who texts from `phone`: the workspace's customer with that number, or a new one
/// named by it.
async fn customer(state: &AppState, channel: &ChannelRecord, phone: &str) -> Result<i64, AppError> {
    if let Some(known) = state
        .store
        .identity_contact(channel.workspace_id, "phone", phone)
        .await?
    {
        return Ok(known);
    }
    let created = state.store.create_visitor(channel, phone).await?;
    let contact = state
        .store
        .claim_identity(channel.workspace_id, created, "phone", phone)
        .await?;
    if contact == created {
        state
            .store
            .set_contact_details(contact, None, None, Some(phone))
            .await?;
    }
    Ok(contact)
}

/// Downloads a text's media (MMS) as files of the conversation: from Twilio with the account's
/// credentials (the redirect to its CDN drops them, as reqwest does for another host). A file
/// that cannot be fetched or is not a kind Switchboard keeps is left out and logged.
async fn fetch_media(
    state: &AppState,
    channel: &ChannelRecord,
    settings: &SmsSettings,
    token: &str,
    fields: &[(String, String)],
    conversation_id: i64,
    contact: i64,
) -> Vec<i64> {
    let count: usize = field(fields, "NumMedia").and_then(|n| n.parse().ok()).unwrap_or(0);
    let mut files = Vec::new();
    for i in 0..count.min(MAX_MEDIA) {
        let Some(url) = field(fields, &format!("MediaUrl{i}")) else {
            continue;
        };
        let declared = field(fields, &format!("MediaContentType{i}")).unwrap_or_default();
        match fetch_one(state, settings, token, url, declared).await {
            Ok((name, kind, bytes)) => {
                match crate::attachments::store_file(
                    state,
                    channel.workspace_id,
                    conversation_id,
                    &name,
                    kind,
                    &bytes,
                    "contact",
                    contact,
                )
                .await
                {
                    Ok(view) => files.push(view.id),
                    Err(e) => tracing::warn!(error = %e, "could not keep a text's media"),
                }
            }
            Err(e) => tracing::warn!(error = %e, %url, "could not fetch a text's media"),
        }
    }
    files
}

async fn fetch_one(
    state: &AppState,
    settings: &SmsSettings,
    token: &str,
    url: &str,
    declared: &str,
) -> Result<(String, &'static str, Bytes), String> {
    let ext = app::conversation::ATTACHMENT_TYPES
        .iter()
        .find(|(t, _)| *t == declared.split(';').next().unwrap_or_default().trim())
        .map(|(_, e)| *e)
        .ok_or_else(|| format!("{declared} is not a kind of file Switchboard keeps"))?;
    let response = state
        .outbound_http
        .get(url)
        .basic_auth(&settings.account_sid, Some(token))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("answered {}", response.status()));
    }
    if response
        .content_length()
        .is_some_and(|n| n as usize > app::conversation::MAX_ATTACHMENT_BYTES)
    {
        return Err("larger than the file limit".into());
    }
    let bytes = response.bytes().await.map_err(|e| e.to_string())?;
    let name = format!("text-{}.{ext}", &crate::auth::new_token()[..6]);
    let kind = crate::attachments::check_upload(&name, Some(declared), &bytes).map_err(|e| e.to_string())?;
    Ok((name, kind, bytes))
}

/// A Twilio status word as a delivery status (`None`: one that says nothing new).
pub fn status_of(word: &str) -> Option<DeliveryStatus> {
    Some(match word {
        "queued" | "accepted" | "scheduled" | "sending" => DeliveryStatus::Accepted,
        "sent" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "read" => DeliveryStatus::Read,
        "failed" | "undelivered" | "canceled" => DeliveryStatus::Failed,
        _ => return None,
    })
}

async fn status(
    State(state): State<AppState>,
    Path(key): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (channel, _, _, fields) = match signed_request(&state, &key, &uri, &headers, &body).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let (Some(sid), Some(word)) = (field(&fields, "MessageSid"), field(&fields, "MessageStatus")) else {
        return bad_request("MessageSid and MessageStatus are needed");
    };
    let Some(report) = status_of(word) else {
        return StatusCode::NO_CONTENT.into_response();
    };
    let error = match (field(&fields, "ErrorCode"), field(&fields, "ErrorMessage")) {
        (Some(code), Some(text)) if !text.is_empty() => Some(format!("{code} \u{2013} {text}")),
        (Some(code), _) => Some(format!("{code} \u{2013} {}", error_words(code))),
        _ if report == DeliveryStatus::Failed => Some(format!("Twilio reported the text {word}")),
        _ => None,
    };
    match state
        .store
        .provider_report(channel.workspace_id, sid, report, error.as_deref())
        .await
    {
        Ok(Some(moved)) => publish(&state, moved),
        Ok(None) => {}
        Err(e) => return AppError::from(e).into_response(),
    }
    StatusCode::NO_CONTENT.into_response()
}

/// Tells the conversation's operators how far a reply got.
pub fn publish(state: &AppState, moved: Moved) {
    state
        .conversations
        .publish_delivery(moved.conversation_id, moved.seq, moved.delivery);
}

/// What Twilio's common delivery error codes mean, when a report gives only the code.
pub fn error_words(code: &str) -> &'static str {
    match code {
        "30003" => "the phone is unreachable or off",
        "30004" => "the message was blocked",
        "30005" => "the number is unknown or no longer in service",
        "30006" => "the number cannot receive texts (a landline?)",
        "30007" => "the carrier filtered the message",
        "30008" => "unknown error from the carrier",
        "21610" => "the customer texted STOP",
        "21211" => "the number is not a valid phone number",
        _ => "see Twilio's error reference",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    /// twilio-python's RequestValidator test vectors (CHANNELS.md §1.2).
    #[test]
    fn signatures_match_twilios_vectors() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let params = fields(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]);
        assert_eq!(signature("12345", url, &params), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert_eq!(
            signature("12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2", &params),
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        );
        let other = fields(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]);
        assert_eq!(signature("12345", url, &other), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    }

    #[test]
    fn either_port_variant_is_accepted_and_nothing_else() {
        let params = fields(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]);
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        assert!(signed("12345", url, &params, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        assert!(signed("12345", url, &params, "kvajT1Ptam85bY51eRf/AJRuM3w="));
        assert!(signed("12345", with_port, &params, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        assert!(!signed("12346", url, &params, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        assert!(!signed(
            "12345",
            "https://mycompany.com/myapp.php?foo=1",
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(!signed("12345", url, &params, ""));
        let mut more = params.clone();
        more.push(("Extra".into(), "added by Twilio".into()));
        assert!(!signed("12345", url, &more, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        // A port that is not the scheme's default is part of the URL.
        let local = "http://127.0.0.1:8080/webhooks/twilio/k/inbound";
        assert!(signed("t", local, &params, &signature("t", local, &params)));
    }

    #[test]
    fn a_names_several_values_are_sorted_and_counted_once() {
        let a = fields(&[("MediaUrl", "b"), ("MediaUrl", "a"), ("MediaUrl", "b")]);
        let b = fields(&[("MediaUrl", "a"), ("MediaUrl", "b")]);
        assert_eq!(
            signature("k", "https://x.example/", &a),
            signature("k", "https://x.example/", &b)
        );
    }

    #[test]
    fn stop_and_start_keywords() {
        assert_eq!(opt_out_of(" stop ", None), Some(OptOut::Stop));
        assert_eq!(opt_out_of("Unsubscribe.", None), Some(OptOut::Stop));
        assert_eq!(opt_out_of("start", None), Some(OptOut::Start));
        assert_eq!(opt_out_of("please stop texting me about the order", None), None);
        assert_eq!(opt_out_of("anything", Some("STOP")), Some(OptOut::Stop));
    }

    #[test]
    fn twilio_statuses_map_onto_deliveries() {
        assert_eq!(status_of("queued"), Some(DeliveryStatus::Accepted));
        assert_eq!(status_of("undelivered"), Some(DeliveryStatus::Failed));
        assert_eq!(status_of("delivered"), Some(DeliveryStatus::Delivered));
        assert_eq!(status_of("partially_delivered"), None);
    }
}
