//! Secrets at rest: workflows' API keys, channels' identity and provider secrets and webhooks'
//! signing secrets are kept sealed (ChaCha20-Poly1305) with a key derived from the server's
//! secret key, so a copy of the database alone does not give them away. A sealed value reads
//! `sealed:v1:<base64 of nonce, ciphertext and tag>`; a value from before sealing existed is
//! plain text, read as it is and sealed at the next start (`Store::seal_stored_secrets`).
//! After `secret_key` changes, values sealed with `previous_secret_key` still open and are
//! sealed again with the new key at the start.

use base64::Engine;
use hmac::{Hmac, Mac};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use sha2::Sha256;

const PREFIX: &str = "sealed:v1:";

/// Where secrets are kept: (table, column).
pub const COLUMNS: [(&str, &str); 4] = [
    ("workflows", "openai_api_key"),
    ("channels", "identity_secret"),
    ("channels", "provider_secret"),
    ("webhooks", "secret"),
];

/// What `Store::seal_stored_secrets` did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Sealed (they were plain, or sealed with the previous key).
    pub sealed: usize,
    /// Neither key opens them: left as they are.
    pub unopenable: usize,
}

/// Seals and opens secrets with the current key (and opens with the previous one).
pub struct Sealer {
    /// The current key first.
    keys: Vec<LessSafeKey>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a stored secret cannot be opened with this server's secret key (was secret_key changed without previous_secret_key?)")]
pub struct Unopenable;

impl Sealer {
    pub fn new(current: &[u8], previous: Option<&[u8]>) -> Sealer {
        Sealer {
            keys: std::iter::once(current).chain(previous).map(derive).collect(),
        }
    }

    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::getrandom(&mut nonce).expect("the operating system gives random bytes");
        let mut sealed = plain.as_bytes().to_vec();
        self.keys[0]
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut sealed)
            .expect("sealing a short secret does not fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(out)
        )
    }

    /// The secret in `stored`: opened when sealed, as it is when plain (from before sealing).
    pub fn open(&self, stored: &str) -> Result<String, Unopenable> {
        self.open_with(stored).map(|(plain, _)| plain)
    }

    /// `open`, and whether `stored` should be sealed again (plain, or sealed with an older key).
    pub fn open_with(&self, stored: &str) -> Result<(String, bool), Unopenable> {
        let Some(encoded) = stored.strip_prefix(PREFIX) else {
            return Ok((stored.to_string(), true));
        };
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(encoded)
            .map_err(|_| Unopenable)?;
        if bytes.len() < NONCE_LEN {
            return Err(Unopenable);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        for (i, key) in self.keys.iter().enumerate() {
            let mut buffer = sealed.to_vec();
            let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| Unopenable)?;
            if let Ok(plain) = key.open_in_place(nonce, Aad::empty(), &mut buffer) {
                let plain = String::from_utf8(plain.to_vec()).map_err(|_| Unopenable)?;
                return Ok((plain, i > 0));
            }
        }
        Err(Unopenable)
    }

    /// `open` for an optional column.
    pub fn open_option(&self, stored: Option<String>) -> Result<Option<String>, Unopenable> {
        stored.map(|s| self.open(&s)).transpose()
    }
}

/// The sealing key: the server's secret key, through HMAC with a purpose of its own (the same
/// secret also signs visitor tokens; the two never share a key).
fn derive(secret: &[u8]) -> LessSafeKey {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(b"switchboard secrets at rest v1");
    let key = mac.finalize().into_bytes();
    LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &key).expect("a 32-byte key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_to_itself_and_shows_nothing_of_it() {
        let sealer = Sealer::new(b"0123456789abcdef0123456789abcdef", None);
        let sealed = sealer.seal("sk-live-very-secret");
        assert!(sealed.starts_with("sealed:v1:"), "{sealed}");
        assert!(!sealed.contains("very-secret"));
        assert_ne!(sealed, sealer.seal("sk-live-very-secret"), "a fresh nonce each time");
        assert_eq!(sealer.open(&sealed).unwrap(), "sk-live-very-secret");
        assert_eq!(
            sealer.open_with(&sealed).unwrap(),
            ("sk-live-very-secret".into(), false)
        );
    }

    #[test]
    fn plain_values_from_before_read_as_they_are_and_are_due_for_sealing() {
        let sealer = Sealer::new(b"0123456789abcdef0123456789abcdef", None);
        assert_eq!(sealer.open_with("old-token").unwrap(), ("old-token".into(), true));
    }

    #[test]
    fn after_a_key_change_the_previous_key_still_opens_and_another_key_does_not() {
        let old = Sealer::new(b"old-key-old-key-old-key-old-key!", None);
        let sealed = old.seal("whsec_123");
        let rotated = Sealer::new(
            b"new-key-new-key-new-key-new-key!",
            Some(b"old-key-old-key-old-key-old-key!"),
        );
        assert_eq!(rotated.open_with(&sealed).unwrap(), ("whsec_123".into(), true));
        let stranger = Sealer::new(b"new-key-new-key-new-key-new-key!", None);
        assert_eq!(stranger.open(&sealed), Err(Unopenable));
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(old.open(&tampered), Err(Unopenable));
    }
}
