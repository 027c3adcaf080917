//! What a web visitor carries: a token naming them, and links to the files of their
//! conversation. Both are signed with the server's secret key (HMAC-SHA256), expire, and name
//! the key that signed them, so a changed key can still accept what the previous one signed
//! until it expires.
//!
//! A token reads `v2.<key id>.<contact>.<channel>.<expires>.<signature>`; it travels in the
//! chat socket's first frame and in an `Authorization: Bearer` header, never in a URL. A file
//! link is `/attachments/<id>?expires=<unix>&sig=<signature>`: it opens one file, for a while,
//! without the token (an `<img>` or a download cannot send a header).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use app::AppError;

/// Who a visitor token says the visitor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visitor {
    pub contact_id: i64,
    pub channel_id: i64,
}

/// A checked token: the visitor, and until when it holds (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    pub visitor: Visitor,
    pub expires_at: i64,
}

/// How long a file link opens its file.
pub const FILE_LINK_SECS: i64 = 7 * 24 * 3600;

#[derive(Clone)]
struct Key {
    id: String,
    secret: Vec<u8>,
}

impl Key {
    fn new(secret: &[u8]) -> Key {
        let digest = Sha256::digest([b"switchboard key id:".as_slice(), secret].concat());
        Key {
            id: hex(&digest[..4]),
            secret: secret.to_vec(),
        }
    }

    fn mac(&self, payload: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes keys of any length");
        mac.update(payload.as_bytes());
        mac
    }

    fn sign(&self, payload: &str) -> String {
        hex(&self.mac(payload).finalize().into_bytes())
    }

    /// Whether `sig` (hex) is this key's signature of `payload`, compared in constant time.
    fn signed(&self, payload: &str, sig: &str) -> bool {
        unhex(sig).is_some_and(|bytes| self.mac(payload).verify_slice(&bytes).is_ok())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// Signs and checks visitor tokens and file links.
#[derive(Clone)]
pub struct VisitorTokens {
    current: Key,
    previous: Option<Key>,
    lifetime_secs: i64,
}

impl VisitorTokens {
    /// Tokens signed with `secret` that last `lifetime_secs`; those `previous` signed are still
    /// accepted until they expire.
    pub fn new(secret: &[u8], previous: Option<&[u8]>, lifetime_secs: i64) -> Self {
        VisitorTokens {
            current: Key::new(secret),
            previous: previous.map(Key::new),
            lifetime_secs,
        }
    }

    fn key(&self, id: &str) -> Option<&Key> {
        std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .find(|k| k.id == id)
    }

    /// A token for the visitor, valid from `now` for the configured lifetime.
    pub fn issue(&self, visitor: Visitor, now: i64) -> String {
        let payload = format!(
            "v2.{}.{}.{}.{}",
            self.current.id,
            visitor.contact_id,
            visitor.channel_id,
            now + self.lifetime_secs
        );
        let sig = self.current.sign(&payload);
        format!("{payload}.{sig}")
    }

    /// The visitor a token names, if one of our keys signed it and it has not expired at `now`.
    pub fn verify(&self, token: &str, now: i64) -> Result<Checked, AppError> {
        let bad = |why: &str| AppError::invalid("Visitor token", format!("{why}; reload the chat to start again"));
        let (payload, sig) = token.rsplit_once('.').ok_or_else(|| bad("is not valid"))?;
        let parts: Vec<&str> = payload.split('.').collect();
        let ["v2", key_id, contact, channel, expires] = parts[..] else {
            return Err(bad("is not valid"));
        };
        let key = self
            .key(key_id)
            .ok_or_else(|| bad("was signed with a key this server no longer has"))?;
        if !key.signed(payload, sig) {
            return Err(bad("is not valid"));
        }
        let number = |s: &str| s.parse::<i64>().map_err(|_| bad("is not valid"));
        let expires_at = number(expires)?;
        if expires_at <= now {
            return Err(bad("has expired"));
        }
        Ok(Checked {
            visitor: Visitor {
                contact_id: number(contact)?,
                channel_id: number(channel)?,
            },
            expires_at,
        })
    }

    /// Whether a token is past half its life (or signed by the previous key): the socket then
    /// gives the visitor a new one.
    pub fn due_for_renewal(&self, token: &str, checked: &Checked, now: i64) -> bool {
        checked.expires_at - now < self.lifetime_secs / 2 || !token.starts_with(&format!("v2.{}.", self.current.id))
    }

    /// The link that opens file `attachment_id` without a token until `now + FILE_LINK_SECS`.
    pub fn file_link(&self, attachment_id: i64, now: i64) -> String {
        let expires = now + FILE_LINK_SECS;
        let sig = self.current.sign(&format!("file.{attachment_id}.{expires}"));
        format!(
            "/attachments/{attachment_id}?expires={expires}&sig={}{sig}",
            self.current.id
        )
    }

    /// The tag of a conversation's e-mail reply address, `c-<id>-<signature>`: it names the
    /// conversation and cannot be made up for another one.
    pub fn thread_tag(&self, conversation_id: i64) -> String {
        let sig = self.current.sign(&format!("thread.{conversation_id}"));
        format!("c-{conversation_id}-{}", &sig[..16])
    }

    /// The conversation a reply address's tag names, if this server signed it (with the
    /// current key or the previous one).
    pub fn thread_of(&self, tag: &str) -> Option<i64> {
        let rest = tag.strip_prefix("c-")?;
        let (id, sig) = rest.split_once('-')?;
        let id: i64 = id.parse().ok()?;
        if sig.len() != 16 {
            return None;
        }
        let payload = format!("thread.{id}");
        let matches = |k: &Key| {
            let full = k.sign(&payload);
            full.len() >= 16
                && full.as_bytes()[..16]
                    .iter()
                    .zip(sig.as_bytes())
                    .fold(0u8, |d, (a, b)| d | (a ^ b))
                    == 0
        };
        (matches(&self.current) || self.previous.as_ref().is_some_and(matches)).then_some(id)
    }

    /// Whether a file link's `expires` and `sig` open file `attachment_id` at `now`.
    pub fn opens_file(&self, attachment_id: i64, expires: i64, sig: &str, now: i64) -> bool {
        if expires <= now || sig.len() < 8 {
            return false;
        }
        let (key_id, sig) = sig.split_at(8);
        self.key(key_id)
            .is_some_and(|k| k.signed(&format!("file.{attachment_id}.{expires}"), sig))
    }
}

/// Now, in Unix seconds.
pub fn unix_now() -> i64 {
    crate::store::now_ms() / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 3600;
    const NOW: i64 = 1_800_000_000;

    fn visitor() -> Visitor {
        Visitor {
            contact_id: 42,
            channel_id: 7,
        }
    }

    #[test]
    fn a_token_verifies_only_with_its_own_signature() {
        let tokens = VisitorTokens::new(b"secret", None, 30 * DAY);
        let token = tokens.issue(visitor(), NOW);
        assert_eq!(tokens.verify(&token, NOW).unwrap().visitor, visitor());
        let forged = token.replace(".42.7.", ".43.7.");
        assert_ne!(forged, token);
        assert!(
            tokens.verify(&forged, NOW).is_err(),
            "changing the contact breaks the signature"
        );
        let later = token.replacen(&format!(".{}.", NOW + 30 * DAY), &format!(".{}.", NOW + 300 * DAY), 1);
        assert_ne!(later, token);
        assert!(tokens.verify(&later, NOW).is_err(), "so does moving the expiry");
        assert!(VisitorTokens::new(b"other", None, DAY).verify(&token, NOW).is_err());
        assert!(tokens.verify("garbage", NOW).is_err());
        assert!(
            tokens.verify("v1.42.7.zz", NOW).is_err(),
            "tokens without expiry are refused"
        );
    }

    #[test]
    fn a_token_expires() {
        let tokens = VisitorTokens::new(b"secret", None, 30 * DAY);
        let token = tokens.issue(visitor(), NOW);
        assert!(tokens.verify(&token, NOW + 30 * DAY - 1).is_ok());
        let e = tokens.verify(&token, NOW + 30 * DAY).unwrap_err();
        assert!(e.to_string().contains("expired"), "{e}");
    }

    #[test]
    fn the_previous_key_is_accepted_until_its_tokens_expire_and_they_are_renewed() {
        let old = VisitorTokens::new(b"old secret", None, 30 * DAY);
        let token = old.issue(visitor(), NOW);
        let rotated = VisitorTokens::new(b"new secret", Some(b"old secret"), 30 * DAY);
        let checked = rotated.verify(&token, NOW + DAY).unwrap();
        assert_eq!(checked.visitor, visitor());
        assert!(rotated.due_for_renewal(&token, &checked, NOW + DAY));
        let fresh = rotated.issue(visitor(), NOW + DAY);
        let checked = rotated.verify(&fresh, NOW + DAY).unwrap();
        assert!(!rotated.due_for_renewal(&fresh, &checked, NOW + DAY));
        assert!(
            rotated.due_for_renewal(&fresh, &checked, NOW + 17 * DAY),
            "past half its life"
        );
        let e = VisitorTokens::new(b"new secret", None, DAY)
            .verify(&token, NOW)
            .unwrap_err();
        assert!(e.to_string().contains("no longer"), "{e}");
    }

    #[test]
    fn a_file_link_opens_its_own_file_until_it_expires() {
        let tokens = VisitorTokens::new(b"secret", None, DAY);
        let link = tokens.file_link(5, NOW);
        let query = link.strip_prefix("/attachments/5?").unwrap();
        let (expires, sig) = query.split_once('&').unwrap();
        let expires: i64 = expires.strip_prefix("expires=").unwrap().parse().unwrap();
        let sig = sig.strip_prefix("sig=").unwrap();
        assert!(tokens.opens_file(5, expires, sig, NOW));
        assert!(!tokens.opens_file(6, expires, sig, NOW), "another file");
        assert!(!tokens.opens_file(5, expires + 1, sig, NOW), "a longer life");
        assert!(!tokens.opens_file(5, expires, sig, expires), "expired");
        assert!(!tokens.opens_file(5, expires, "short", NOW));
        assert!(!VisitorTokens::new(b"other", None, DAY).opens_file(5, expires, sig, NOW));
    }
}
