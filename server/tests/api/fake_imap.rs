//! An IMAP4rev1 server on loopback with one folder, speaking what a mail client that reads new
//! mail needs (RFC 3501: LOGIN, SELECT/EXAMINE, UID SEARCH, UID FETCH, STORE, LOGOUT), keeping
//! every command it was sent so a test can see that nothing changed a flag.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Default)]
struct Folder {
    uid_validity: u32,
    next_uid: u32,
    /// (uid, raw message, seen)
    messages: Vec<(u32, Vec<u8>, bool)>,
    commands: Vec<String>,
}

#[derive(Clone)]
pub struct FakeImap {
    pub port: u16,
    folder: Arc<Mutex<Folder>>,
}

impl FakeImap {
    /// Starts the server with an account `user`/`password` whose INBOX holds `already`.
    pub async fn start(user: &'static str, password: &'static str, already: &[String]) -> FakeImap {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let folder = Arc::new(Mutex::new(Folder {
            uid_validity: 7,
            next_uid: 1,
            ..Default::default()
        }));
        let fake = FakeImap { port, folder };
        for raw in already {
            fake.append(raw);
        }
        let shared = fake.folder.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let folder = shared.clone();
                tokio::spawn(async move {
                    let _ = session(stream, user, password, folder).await;
                });
            }
        });
        fake
    }

    /// A new message arrives in the INBOX.
    pub fn append(&self, raw: &str) {
        let mut f = self.folder.lock().unwrap();
        let uid = f.next_uid;
        f.next_uid += 1;
        f.messages.push((uid, raw.as_bytes().to_vec(), false));
    }

    /// The folder is rebuilt: new UIDVALIDITY, the same messages under new UIDs.
    pub fn rebuild(&self) {
        let mut f = self.folder.lock().unwrap();
        f.uid_validity += 1;
        let messages: Vec<Vec<u8>> = f.messages.drain(..).map(|m| m.1).collect();
        f.next_uid = 1;
        for raw in messages {
            let uid = f.next_uid;
            f.next_uid += 1;
            f.messages.push((uid, raw, false));
        }
    }

    pub fn commands(&self) -> Vec<String> {
        self.folder.lock().unwrap().commands.clone()
    }

    /// Whether any message has been marked seen.
    pub fn any_seen(&self) -> bool {
        self.folder.lock().unwrap().messages.iter().any(|m| m.2)
    }
}

fn unquote(s: &str) -> String {
    s.trim().trim_matches('"').to_string()
}

async fn session(
    stream: tokio::net::TcpStream,
    user: &str,
    password: &str,
    folder: Arc<Mutex<Folder>>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write
        .write_all(b"* OK [CAPABILITY IMAP4rev1] fake IMAP ready\r\n")
        .await?;
    let mut authed = false;
    let mut read_only = true;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        folder.lock().unwrap().commands.push(command.clone());
        let (tag, rest) = command.split_once(' ').unwrap_or((&command, ""));
        let upper = rest.to_ascii_uppercase();
        let mut out: Vec<u8> = Vec::new();
        if upper.starts_with("CAPABILITY") {
            out.extend(format!("* CAPABILITY IMAP4rev1\r\n{tag} OK CAPABILITY completed\r\n").bytes());
        } else if upper.starts_with("LOGIN ") {
            let args: Vec<&str> = rest[6..].split_whitespace().collect();
            if args.len() == 2 && unquote(args[0]) == user && unquote(args[1]) == password {
                authed = true;
                out.extend(format!("{tag} OK LOGIN completed\r\n").bytes());
            } else {
                out.extend(format!("{tag} NO [AUTHENTICATIONFAILED] Invalid credentials\r\n").bytes());
            }
        } else if !authed && !upper.starts_with("LOGOUT") && !upper.starts_with("NOOP") {
            out.extend(format!("{tag} BAD Log in first\r\n").bytes());
        } else if upper.starts_with("SELECT ") || upper.starts_with("EXAMINE ") {
            read_only = upper.starts_with("EXAMINE");
            let f = folder.lock().unwrap();
            out.extend(
                format!(
                    "* {} EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen)\r\n* OK [UIDVALIDITY {}] UIDs valid\r\n* OK [UIDNEXT {}] Predicted next UID\r\n{tag} OK [{}] done\r\n",
                    f.messages.len(),
                    f.uid_validity,
                    f.next_uid,
                    if read_only { "READ-ONLY" } else { "READ-WRITE" }
                )
                .bytes(),
            );
        } else if upper.starts_with("UID SEARCH UID ") {
            let range = rest["UID SEARCH UID ".len()..].trim();
            let f = folder.lock().unwrap();
            let max = f.messages.last().map(|m| m.0).unwrap_or(0);
            let (from, _) = range.split_once(':').unwrap_or((range, range));
            let from: u32 = from.parse().unwrap_or(1);
            let mut found: Vec<u32> = f.messages.iter().map(|m| m.0).filter(|u| *u >= from).collect();
            // `n:*` always includes the highest UID, even below n (RFC 3501 §6.4.8).
            if found.is_empty() && max > 0 {
                found.push(max);
            }
            let list: Vec<String> = found.iter().map(u32::to_string).collect();
            out.extend(format!("* SEARCH {}\r\n{tag} OK SEARCH completed\r\n", list.join(" ")).bytes());
        } else if upper.starts_with("UID FETCH ") {
            let args = &rest["UID FETCH ".len()..];
            let (uid, items) = args.split_once(' ').unwrap_or((args, ""));
            let uid: u32 = uid.parse().unwrap_or(0);
            let peek = items.to_ascii_uppercase().contains("BODY.PEEK[]");
            let mut f = folder.lock().unwrap();
            if let Some(at) = f.messages.iter().position(|m| m.0 == uid) {
                let raw = f.messages[at].1.clone();
                if !peek && !read_only {
                    f.messages[at].2 = true;
                }
                out.extend(format!("* {} FETCH (UID {uid} BODY[] {{{}}}\r\n", at + 1, raw.len()).bytes());
                out.extend(raw);
                out.extend(b")\r\n");
            }
            out.extend(format!("{tag} OK FETCH completed\r\n").bytes());
        } else if upper.starts_with("UID STORE ") || upper.starts_with("STORE ") {
            if read_only {
                out.extend(format!("{tag} NO Mailbox is read-only\r\n").bytes());
            } else {
                for m in folder.lock().unwrap().messages.iter_mut() {
                    m.2 = true;
                }
                out.extend(format!("{tag} OK STORE completed\r\n").bytes());
            }
        } else if upper.starts_with("NOOP") {
            out.extend(format!("{tag} OK NOOP completed\r\n").bytes());
        } else if upper.starts_with("LOGOUT") {
            write
                .write_all(format!("* BYE fake IMAP logging out\r\n{tag} OK LOGOUT completed\r\n").as_bytes())
                .await?;
            return Ok(());
        } else {
            out.extend(format!("{tag} BAD Command not recognised\r\n").bytes());
        }
        write.write_all(&out).await?;
    }
}
