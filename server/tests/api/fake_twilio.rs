//! Twilio on loopback, as CHANNELS.md §6.3 describes it: the Messages REST API (Basic auth,
//! the form's rules, error bodies with Twilio's codes, a number that texted STOP refused with
//! 21610, a switch to answer 503), media behind Basic auth that redirects to a "CDN", and the
//! sender of signed webhooks (texts with a field Switchboard has never heard of, delivery
//! reports in any order). Its signing is its own implementation of Twilio's algorithm.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine;
use hmac::Mac;

pub const ACCOUNT: &str = "AC00000000000000000000000000000a11";
pub const TOKEN: &str = "f00df00df00df00df00df00df00df00d";
pub const NUMBER: &str = "+15005550006";

/// A 1×1 PNG, the media the fake serves.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49,
    0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0xF8, 0xFF, 0xFF, 0x3F, 0x00, 0x05, 0xFE, 0x02, 0xFE, 0xA7, 0xD6, 0xA4, 0xB1,
    0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// A message the REST API accepted.
#[derive(Clone, Debug)]
pub struct Sent {
    pub sid: String,
    pub fields: Vec<(String, String)>,
}

impl Sent {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Shared {
    sent: Mutex<Vec<Sent>>,
    opted_out: Mutex<HashSet<String>>,
    /// How many sends to answer 503 before working again.
    unavailable: AtomicUsize,
}

#[derive(Clone)]
pub struct FakeTwilio {
    pub base: String,
    shared: Arc<Shared>,
    http: reqwest::Client,
}

/// Twilio's signature: base64 HMAC-SHA1 of the URL then each field's name and value, sorted by
/// name (several values of one name sorted and counted once).
pub fn sign(token: &str, url: &str, fields: &[(String, String)]) -> String {
    let mut by_name: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (n, v) in fields {
        by_name.entry(n.as_str()).or_default().insert(v.as_str());
    }
    let mut text = url.to_string();
    for (n, values) in by_name {
        for v in values {
            text.push_str(n);
            text.push_str(v);
        }
    }
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(text.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

fn error(status: StatusCode, code: u32, message: &str) -> Response {
    let body = serde_json::json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status.as_u16(),
    });
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn authorised(headers: &HeaderMap) -> bool {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{TOKEN}"))
    );
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some(expected.as_str())
}

fn new_sid() -> String {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).unwrap();
    format!("SM{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

async fn create_message(
    State(shared): State<Arc<Shared>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if account != ACCOUNT || !authorised(&headers) {
        return error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    let fields: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let get = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let Some(to) = get("To") else {
        return error(StatusCode::BAD_REQUEST, 21604, "A 'To' phone number is required.");
    };
    if get("From").is_some() == get("MessagingServiceSid").is_some() {
        return error(
            StatusCode::BAD_REQUEST,
            21603,
            "A 'From' or 'MessagingServiceSid' parameter is required to send a message.",
        );
    }
    if get("Body").is_none_or(|b| b.is_empty()) && get("MediaUrl").is_none() {
        return error(StatusCode::BAD_REQUEST, 21602, "Message body is required.");
    }
    if get("StatusCallback").is_some_and(|u| u.contains("localhost") || !u.starts_with("http")) {
        return error(StatusCode::BAD_REQUEST, 21609, "Invalid StatusCallback url.");
    }
    if shared.opted_out.lock().unwrap().contains(&to) {
        return error(
            StatusCode::BAD_REQUEST,
            21610,
            "Attempt to send to unsubscribed recipient",
        );
    }
    if shared
        .unavailable
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return error(StatusCode::SERVICE_UNAVAILABLE, 20500, "Internal Server Error");
    }
    let sid = new_sid();
    shared.sent.lock().unwrap().push(Sent {
        sid: sid.clone(),
        fields: fields.clone(),
    });
    let body = serde_json::json!({
        "sid": sid,
        "account_sid": ACCOUNT,
        "to": to,
        "from": get("From"),
        "body": get("Body"),
        "status": "queued",
        "num_segments": "1",
        "direction": "outbound-api",
        "api_version": "2010-04-01",
        "error_code": null,
        "error_message": null,
    });
    (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn media(Path(name): Path<String>, headers: HeaderMap) -> Response {
    if !authorised(&headers) {
        return error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    (StatusCode::FOUND, [(header::LOCATION, format!("/cdn/{name}"))]).into_response()
}

async fn cdn(Path(_name): Path<String>) -> Response {
    ([(header::CONTENT_TYPE, "image/png")], PNG).into_response()
}

impl FakeTwilio {
    pub async fn start() -> FakeTwilio {
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .route("/2010-04-01/Accounts/{account}/Messages.json", post(create_message))
            .route("/media/{name}", get(media))
            .route("/cdn/{name}", get(cdn))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeTwilio {
            base,
            shared,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(60))
                .build()
                .unwrap(),
        }
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.shared.sent.lock().unwrap().clone()
    }

    /// Twilio's own list of numbers that texted STOP: sends to them are refused (21610).
    pub fn opt_out(&self, phone: &str) {
        self.shared.opted_out.lock().unwrap().insert(phone.to_string());
    }

    /// The next `n` sends are answered 503.
    pub fn fail_next(&self, n: usize) {
        self.shared.unavailable.store(n, Ordering::SeqCst);
    }

    /// The fields Twilio posts for a text from `from` (and one it added without notice).
    pub fn text_fields(&self, sid: &str, from: &str, body: &str) -> Vec<(String, String)> {
        owned(&[
            ("ToCountry", "US"),
            ("SmsMessageSid", sid),
            ("NumMedia", "0"),
            ("SmsSid", sid),
            ("SmsStatus", "received"),
            ("Body", body),
            ("To", NUMBER),
            ("NumSegments", "1"),
            ("MessageSid", sid),
            ("AccountSid", ACCOUNT),
            ("From", from),
            ("FromCountry", "US"),
            ("ApiVersion", "2010-04-01"),
            ("MessagingFeatureNewIn2027", "whatever"),
        ])
    }

    /// A picture message: the text's fields with one image at the fake's media URL.
    pub fn picture_fields(&self, sid: &str, from: &str, body: &str) -> Vec<(String, String)> {
        let mut fields = self.text_fields(sid, from, body);
        fields.retain(|(n, _)| n != "NumMedia");
        fields.extend(owned(&[
            ("NumMedia", "1"),
            ("MediaContentType0", "image/png"),
            ("MediaUrl0", &format!("{}/media/ME{}", self.base, &new_sid()[2..])),
        ]));
        fields
    }

    /// Posts the fields to `url` signed with `token` (the channel's, or a wrong one to forge).
    pub async fn post_signed(&self, url: &str, fields: &[(String, String)], token: &str) -> reqwest::Response {
        self.http
            .post(url)
            .header("X-Twilio-Signature", sign(token, url, fields))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// Reports a sent message's status to its `StatusCallback`, signed.
    pub async fn report(&self, sent: &Sent, status: &str, error_code: Option<&str>) -> reqwest::Response {
        let mut fields = owned(&[
            ("MessageSid", &sent.sid),
            ("SmsSid", &sent.sid),
            ("MessageStatus", status),
            ("SmsStatus", status),
            ("AccountSid", ACCOUNT),
            ("From", sent.get("From").unwrap_or_default()),
            ("To", sent.get("To").unwrap_or_default()),
            ("ApiVersion", "2010-04-01"),
        ]);
        if let Some(code) = error_code {
            fields.push(("ErrorCode".into(), code.into()));
        }
        let url = sent.get("StatusCallback").expect("a StatusCallback").to_string();
        self.post_signed(&url, &fields, TOKEN).await
    }
}
