//! Signing in and out: argon2 password hashes, opaque session tokens (only their SHA-256 is
//! stored), and throttling of failed attempts per email and per client address.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::{AppError, Me};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::hub::Hub;
use crate::store::{now_ms, MemberRecord, Store};

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::Internal
        })
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// The rules a new password must meet.
pub fn check_new_password(password: &str) -> Result<(), AppError> {
    let n = password.chars().count();
    if n < 10 {
        return Err(AppError::invalid("Password", "must be at least 10 characters"));
    }
    if n > 200 {
        return Err(AppError::invalid("Password", "must be at most 200 characters"));
    }
    Ok(())
}

/// A new random session token (256 bits, hex).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).expect("the operating system's random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Counts failed sign-ins per key (an email, a client address) in fixed windows: past `max`
/// failures the key is refused until its window ends. An attempt counts as failed from the
/// moment it starts (`reserve`) until its password matched (`succeeded`), so attempts made in
/// parallel cannot slip past the count while their passwords are being checked.
pub struct Throttle {
    max: u32,
    window: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Throttle {
    pub fn new(max: u32, window: Duration) -> Self {
        Throttle {
            max,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt for every key, or refuses it (counting nothing) when any key has used
    /// up its attempts in the current window.
    pub fn reserve(&self, keys: &[&str]) -> Result<(), AppError> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        for key in keys {
            if let Some((count, start)) = map.get(*key) {
                let elapsed = now.duration_since(*start);
                if *count >= self.max && elapsed < self.window {
                    let retry_after_secs = (self.window - elapsed).as_secs().max(1);
                    return Err(AppError::TooManyAttempts { retry_after_secs });
                }
            }
        }
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, (_, start)| now.duration_since(*start) < window);
        }
        for key in keys {
            let entry = map.entry(key.to_string()).or_insert((0, now));
            if now.duration_since(entry.1) >= self.window {
                *entry = (0, now);
            }
            entry.0 += 1;
        }
        Ok(())
    }

    /// The attempt reserved for these keys succeeded: the account's failures are forgotten,
    /// the address keeps its other failures.
    pub fn succeeded(&self, account: &str, client: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(account);
        if let Some(entry) = map.get_mut(client) {
            entry.0 = entry.0.saturating_sub(1);
        }
    }
}

/// Password checks that may run at once: each argon2 check holds about 19 MiB, so a burst of
/// sign-ins waits its turn instead of taking the server's memory.
const PASSWORD_CHECKS_AT_ONCE: usize = 4;

/// Sessions: opening, checking and revoking them.
pub struct Sessions {
    store: Store,
    hub: Arc<Hub>,
    ttl_secs: i64,
    /// A session nobody used for this long ends (0: never).
    idle_ms: i64,
    /// Cookies carry `Secure` (Switchboard is served over https).
    secure_cookies: bool,
    throttle: Throttle,
    checks: tokio::sync::Semaphore,
    /// Verified against when the email is unknown, so both cases cost one argon2 check.
    dummy_hash: String,
}

impl Sessions {
    /// How seldom activity is written down: often enough that a session in use never looks
    /// idle, seldom enough that clicks do not each cost a write.
    pub fn touch_every(&self) -> Duration {
        let idle = if self.idle_ms > 0 { self.idle_ms / 4 } else { 60_000 };
        Duration::from_millis(idle.clamp(250, 60_000) as u64)
    }

    /// Notes that the person did something in this session (opened a page, typed, clicked).
    pub async fn touch(&self, token: &str) {
        let gap = self.touch_every().as_millis() as i64;
        if let Err(e) = self.store.touch_session(&token_hash(token), now_ms(), gap).await {
            tracing::warn!(error = %e, "could not note a session's activity");
        }
    }

    pub fn new(store: Store, hub: Arc<Hub>, config: &Config) -> Self {
        let dummy_hash = hash_password(&new_token()).unwrap_or_default();
        let throttle = Throttle::new(
            config.sign_in_max_attempts,
            Duration::from_secs(config.sign_in_window_secs),
        );
        Sessions {
            store,
            hub,
            ttl_secs: config.session_ttl_secs,
            idle_ms: config.session_idle_secs * 1000,
            secure_cookies: config.secure_cookies(),
            throttle,
            checks: tokio::sync::Semaphore::new(PASSWORD_CHECKS_AT_ONCE),
            dummy_hash,
        }
    }

    /// The active member whose email and password these are, throttled per email and client
    /// address. Unknown emails cost the same hashing time as known ones, so timing does not
    /// reveal which emails have accounts.
    pub async fn verify(&self, email: &str, password: &str, client: &str) -> Result<MemberRecord, AppError> {
        let email_key = format!("email:{email}");
        let client_key = format!("client:{client}");
        let keys = [email_key.as_str(), client_key.as_str()];
        self.throttle.reserve(&keys)?;

        let member = self.store.member_by_email(email).await?;
        let hash = member
            .as_ref()
            .map(|m| m.password_hash.clone())
            .unwrap_or_else(|| self.dummy_hash.clone());
        let password = password.to_string();
        let matches = {
            let _turn = self.checks.acquire().await.map_err(|_| AppError::Internal)?;
            tokio::task::spawn_blocking(move || verify_password(&password, &hash))
                .await
                .unwrap_or(false)
        };
        let member = match member {
            Some(m) if matches && m.active => m,
            _ => {
                tracing::info!(%client, "sign-in refused");
                return Err(AppError::InvalidCredentials);
            }
        };
        self.throttle.succeeded(&email_key, &client_key);
        Ok(member)
    }
}

#[async_trait::async_trait]
impl app::auth::SessionApi for Sessions {
    /// Checks the password and opens a session.
    async fn sign_in(&self, email: &str, password: &str, client: &str) -> Result<(Me, String), AppError> {
        let member = self.verify(email, password, client).await?;
        self.open(member.id, member.workspace_id).await
    }

    /// Opens a session for a member whose password was just set (an invitation, a reset
    /// link): there is nothing to check again.
    async fn open(&self, member_id: i64, workspace_id: i64) -> Result<(Me, String), AppError> {
        let token = new_token();
        self.store
            .create_session(&token_hash(&token), member_id, workspace_id, self.ttl_secs * 1000)
            .await?;
        let session = self
            .store
            .session(&token_hash(&token))
            .await?
            .ok_or(AppError::Internal)?;
        tracing::info!(member_id, workspace_id, "signed in");
        Ok((session.me, token))
    }

    async fn member(&self, token: &str) -> Result<Me, AppError> {
        let session = self
            .store
            .session(&token_hash(token))
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if session.revoked || !session.member_active {
            return Err(AppError::Unauthenticated);
        }
        let now = now_ms();
        if session.expires_at <= now || (self.idle_ms > 0 && now - session.last_active_at > self.idle_ms) {
            return Err(AppError::SessionExpired);
        }
        Ok(session.me)
    }

    async fn sign_out(&self, token: &str) -> Result<(), AppError> {
        self.store.revoke_session(&token_hash(token)).await?;
        Ok(())
    }

    async fn sign_out_everywhere(&self, me: &Me) -> Result<(), AppError> {
        let ended = self.store.revoke_sessions_of(me.member_id).await?;
        tracing::info!(member_id = me.member_id, sessions = ended, "signed out everywhere");
        self.hub.close_member(me.member_id);
        Ok(())
    }

    fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    fn secure_cookies(&self) -> bool {
        self.secure_cookies
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterx", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn the_throttle_refuses_after_the_limit_and_names_the_wait() {
        let t = Throttle::new(3, Duration::from_secs(60));
        // Three attempts in flight at once, none finished: the fourth is already refused.
        for _ in 0..3 {
            assert!(t.reserve(&["email:a", "client:x"]).is_ok());
        }
        match t.reserve(&["email:a", "client:y"]) {
            Err(AppError::TooManyAttempts { retry_after_secs }) => {
                assert!(retry_after_secs <= 60 && retry_after_secs >= 1)
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(
            t.reserve(&["email:b", "client:y"]).is_ok(),
            "other emails are not affected"
        );
        // One of the three was the right password: the account is free again, and the address
        // keeps the two failures.
        t.succeeded("email:a", "client:x");
        assert!(t.reserve(&["email:a", "client:x"]).is_ok());
        assert!(
            t.reserve(&["email:c", "client:x"]).is_err(),
            "the address has used its attempts"
        );
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("long enough password").is_ok());
    }
}
