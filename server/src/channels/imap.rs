//! E-mail channels that read a mailbox: every few seconds (each channel at its own interval)
//! the task signs in over IMAP4rev1, opens the folder read-only (`EXAMINE`), asks for the UIDs
//! after the last one taken in and fetches each with `BODY.PEEK[]`, so the mailbox's flags are
//! never changed, and hands each e-mail to the same path as mail delivered over HTTP
//! (`email::receive`: deduplicated by Message-ID, threaded, answered).
//!
//! The cursor is the folder's UIDVALIDITY and the highest UID taken in. The first look takes
//! nothing and starts after the mail already there; a changed UIDVALIDITY (the folder was
//! rebuilt) reads the folder again from the start, and the Message-IDs keep that from storing
//! anything twice.

use std::sync::Arc;
use std::time::Duration;

use app::channels::ImapSettings;
use futures_util::StreamExt;
use tokio::net::TcpStream;

use super::email::{self, EmailSecrets};
use crate::store::{now_ms, ChannelRecord, ImapCursor};
use crate::AppState;

/// How often the task looks for channels due for a look.
const TICK: Duration = Duration::from_secs(1);

/// The longest one look at a mailbox may take.
const LOOK_WITHIN: Duration = Duration::from_secs(60);

/// At most this many e-mails are taken in per look (the rest come at the next).
const PER_LOOK: usize = 50;

pub async fn poll_forever(state: AppState) {
    loop {
        tokio::time::sleep(TICK).await;
        // With several nodes, the routing leader reads the mailboxes.
        if !state.cluster.leads() {
            continue;
        }
        let channels = match state.store.email_channels().await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "could not read the e-mail channels");
                continue;
            }
        };
        for channel in channels {
            let Some(imap) = channel.email().and_then(|s| s.imap) else {
                continue;
            };
            let cursor = state.store.imap_cursor(channel.id).await.ok().flatten();
            let due = cursor
                .as_ref()
                .is_none_or(|c| now_ms() - c.checked_at >= i64::from(imap.interval_secs) * 1000);
            if !due {
                continue;
            }
            let looked = tokio::time::timeout(LOOK_WITHIN, look(&state, &channel, &imap, cursor)).await;
            let problem = match looked {
                Ok(Ok(())) => None,
                Ok(Err(problem)) => Some(problem),
                Err(_) => Some(format!("no answer within {} s", LOOK_WITHIN.as_secs())),
            };
            if let Some(problem) = problem {
                tracing::warn!(
                    channel = channel.id,
                    problem,
                    "could not read an e-mail channel's mailbox"
                );
                if let Err(e) = state.store.imap_problem(channel.id, &problem).await {
                    tracing::error!(error = %e, "could not record a mailbox problem");
                }
            }
        }
    }
}

/// One look at the channel's mailbox.
async fn look(
    state: &AppState,
    channel: &ChannelRecord,
    imap: &ImapSettings,
    cursor: Option<ImapCursor>,
) -> Result<(), String> {
    let password = EmailSecrets::of(channel).imap_password.unwrap_or_default();
    let tcp = TcpStream::connect((imap.host.as_str(), imap.port))
        .await
        .map_err(|e| format!("could not connect to {}:{}: {e}", imap.host, imap.port))?;
    let found = if imap.security == "tls" {
        let mut roots = tokio_rustls::rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(Arc::new(
            tokio_rustls::rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from(imap.host.clone())
            .map_err(|_| format!("{} is not a host name", imap.host))?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS with {} failed: {e}", imap.host))?;
        fetch_new(async_imap::Client::new(tls), imap, &password, cursor.as_ref()).await?
    } else {
        fetch_new(async_imap::Client::new(tcp), imap, &password, cursor.as_ref()).await?
    };
    let Found {
        uid_validity,
        mut last_uid,
        mails,
    } = found;
    let Some(settings) = channel.email() else {
        return Ok(());
    };
    for (uid, raw) in mails {
        match email::receive(state, channel, &settings, &raw).await {
            Ok(outcome) => tracing::debug!(
                channel = channel.id,
                uid,
                ?outcome,
                "took in an e-mail from the mailbox"
            ),
            // The database failing is for another look; an e-mail that cannot be taken in
            // (not an e-mail, nothing in it) never will be.
            Err(app::AppError::Internal) => {
                save(state, channel.id, uid_validity, last_uid).await;
                return Err("the database did not answer; the look stopped".into());
            }
            Err(e) => tracing::info!(channel = channel.id, uid, error = %e, "left out an e-mail from the mailbox"),
        }
        last_uid = uid;
    }
    save(state, channel.id, uid_validity, last_uid).await;
    Ok(())
}

async fn save(state: &AppState, channel_id: i64, uid_validity: i64, last_uid: i64) {
    if let Err(e) = state
        .store
        .set_imap_cursor(channel_id, uid_validity, last_uid, None)
        .await
    {
        tracing::error!(error = %e, "could not record how far a mailbox was read");
    }
}

struct Found {
    uid_validity: i64,
    /// Where the cursor stands before the mails below (they come after it, in order).
    last_uid: i64,
    mails: Vec<(i64, Vec<u8>)>,
}

/// Signs in, opens the folder read-only and fetches the mail after the cursor.
async fn fetch_new<T>(
    client: async_imap::Client<T>,
    imap: &ImapSettings,
    password: &str,
    cursor: Option<&ImapCursor>,
) -> Result<Found, String>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let mut client = client;
    client
        .read_response()
        .await
        .map_err(|e| format!("the server did not greet: {e}"))?
        .ok_or("the server closed the connection")?;
    let mut session = client
        .login(&imap.user, password)
        .await
        .map_err(|(e, _)| format!("sign-in refused: {e}"))?;
    let folder = session
        .examine(&imap.mailbox)
        .await
        .map_err(|e| format!("could not open {}: {e}", imap.mailbox))?;
    let uid_validity = i64::from(folder.uid_validity.unwrap_or(0));
    let start = match cursor {
        // The first look: only what comes after the mail already there.
        None => None,
        Some(c) if c.uid_validity == -1 => None,
        Some(c) if c.uid_validity != uid_validity => Some(0),
        Some(c) => Some(c.last_uid),
    };
    let Some(start) = start else {
        let last = folder.uid_next.map(|n| i64::from(n) - 1).unwrap_or(0).max(0);
        let _ = session.logout().await;
        return Ok(Found {
            uid_validity,
            last_uid: last,
            mails: Vec::new(),
        });
    };
    let mut uids: Vec<u32> = session
        .uid_search(format!("UID {}:*", start + 1))
        .await
        .map_err(|e| format!("could not search {}: {e}", imap.mailbox))?
        .into_iter()
        .filter(|uid| i64::from(*uid) > start)
        .collect();
    uids.sort_unstable();
    uids.truncate(PER_LOOK);
    let mut mails = Vec::new();
    for uid in uids {
        let mut fetches = session
            .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
            .await
            .map_err(|e| format!("could not fetch message {uid}: {e}"))?;
        while let Some(fetch) = fetches.next().await {
            let fetch = fetch.map_err(|e| format!("could not fetch message {uid}: {e}"))?;
            if let Some(body) = fetch.body() {
                mails.push((i64::from(fetch.uid.unwrap_or(uid)), body.to_vec()));
            }
        }
    }
    let _ = session.logout().await;
    Ok(Found {
        uid_validity,
        last_uid: start,
        mails,
    })
}
