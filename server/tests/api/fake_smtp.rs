//! A mail server on loopback that speaks enough SMTP (RFC 5321, AUTH PLAIN) for Switchboard's
//! mailer: it checks the credentials, refuses recipients it is told to, and keeps what it
//! accepted for the test to read.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One accepted message.
#[derive(Clone, Debug)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub headers: String,
    /// The body, with its transfer encoding undone.
    pub body: String,
}

pub struct FakeSmtp {
    pub port: u16,
    pub mails: Arc<Mutex<Vec<Mail>>>,
}

impl FakeSmtp {
    /// Starts the server; it wants `user`/`password` and refuses recipients containing `refuse`.
    pub async fn start(user: &'static str, password: &'static str, refuse: &'static str) -> FakeSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let store = mails.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = session(stream, user, password, refuse, store).await;
                });
            }
        });
        FakeSmtp { port, mails }
    }

    pub fn url(&self, user: &str, password: &str) -> String {
        format!("smtp://{user}:{password}@127.0.0.1:{}", self.port)
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

async fn session(
    stream: tokio::net::TcpStream,
    user: &str,
    password: &str,
    refuse: &str,
    store: Arc<Mutex<Vec<Mail>>>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 fake.smtp.test ESMTP ready\r\n").await?;
    let mut authed = false;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            "250-fake.smtp.test\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n".into()
        } else if let Some(encoded) = upper.strip_prefix("AUTH PLAIN ").map(|_| &command[11..]) {
            let decoded = decode_base64(encoded.trim());
            let expected = format!("\0{user}\0{password}");
            if decoded == expected.as_bytes() {
                authed = true;
                "235 2.7.0 Authentication successful\r\n".into()
            } else {
                "535 5.7.8 Authentication credentials invalid\r\n".into()
            }
        } else if upper.starts_with("MAIL FROM:") {
            if !authed {
                "530 5.7.0 Authentication required\r\n".into()
            } else {
                from = address(&command[10..]);
                to.clear();
                "250 2.1.0 OK\r\n".into()
            }
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = address(&command[8..]);
            if rcpt.contains(refuse) {
                "550 5.1.1 No such mailbox\r\n".into()
            } else {
                to.push(rcpt);
                "250 2.1.5 OK\r\n".into()
            }
        } else if upper == "DATA" {
            write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                // Undo dot-stuffing.
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            let (headers, body) = data.split_once("\r\n\r\n").unwrap_or((&data, ""));
            let body = decode_body(headers, body);
            store.lock().unwrap().push(Mail {
                from: from.clone(),
                to: to.clone(),
                headers: headers.to_string(),
                body,
            });
            "250 2.0.0 Queued\r\n".into()
        } else if upper == "QUIT" {
            write.write_all(b"221 2.0.0 Bye\r\n").await?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            "250 2.0.0 OK\r\n".into()
        } else {
            "502 5.5.2 Command not recognised\r\n".into()
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

fn address(s: &str) -> String {
    s.trim()
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap_or_default()
        .to_string()
}

fn decode_body(headers: &str, body: &str) -> String {
    let encoding = headers
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-transfer-encoding:")
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default();
    match encoding.as_str() {
        "base64" => String::from_utf8(decode_base64(&body.replace(['\r', '\n'], ""))).unwrap(),
        "quoted-printable" => {
            let joined = body.replace("=\r\n", "");
            let bytes = joined.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'=' && i + 2 < bytes.len() {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 3;
                } else {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
            String::from_utf8(out).unwrap()
        }
        _ => body.to_string(),
    }
}

fn decode_base64(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| *c != b'=') {
        let Some(v) = ALPHABET.iter().position(|a| *a == c) else {
            continue;
        };
        buffer = (buffer << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

/// Starts Switchboard sending its e-mail to a fresh fake mail server (user `mailer`, refusing
/// recipients containing "bounce"), from support@acme.example unless `settings` say otherwise;
/// `settings` come first and win.
pub async fn spawn_app_with_mail(settings: &[(&str, &str)]) -> (crate::helpers::TestApp, FakeSmtp) {
    let smtp = FakeSmtp::start("mailer", "s3cret-pass", "bounce").await;
    let url = smtp.url("mailer", "s3cret-pass");
    let mut all = settings.to_vec();
    all.extend([
        ("SWITCHBOARD_SMTP_URL", url.as_str()),
        ("SWITCHBOARD_MAIL_FROM", "support@acme.example"),
    ]);
    (crate::helpers::spawn_app_with(&all).await, smtp)
}
