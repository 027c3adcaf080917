//! API tokens: made by admins on the Integrations page, shown once, kept as a SHA-256, each
//! acting as its maker narrowed to the scopes chosen for it. Making and revoking one is audited.

use app::integrations::{ApiTokenView, NewApiToken, TOKEN_SCOPES};
use app::{AppError, Me, Scope};

use crate::auth::{new_token, token_hash};
use crate::store::workspaces::AuditEntry;
use crate::store::{now_ms, ApiTokenRecord, Store};

/// What every token starts with, so a leaked one is recognisable (and secret scanners can
/// look for it).
pub const TOKEN_PREFIX: &str = "sb_";

/// Within this long, a token's use is not written down again.
const TOUCH_GAP_MS: i64 = 60_000;

pub struct ApiTokens {
    store: Store,
}

fn view(r: ApiTokenRecord) -> ApiTokenView {
    ApiTokenView {
        id: r.id,
        name: r.name,
        prefix: r.prefix,
        scopes: r.scopes.split_whitespace().map(str::to_string).collect(),
        acts_as: r.acts_as,
        created_at: r.created_at,
        last_used_at: r.last_used_at,
        revoked_at: r.revoked_at,
    }
}

/// The scopes stored for a token, read back; an unknown name (from a later version) is dropped.
pub fn parse_scopes(stored: &str) -> Vec<Scope> {
    stored
        .split_whitespace()
        .filter_map(|s| Scope::ALL.into_iter().find(|scope| scope.as_str() == s))
        .collect()
}

impl ApiTokens {
    pub fn new(store: Store) -> Self {
        ApiTokens { store }
    }

    /// The member a token acts as, with the token's scopes; `None` for a token that is unknown,
    /// revoked, or whose member was deactivated.
    pub async fn caller(&self, token: &str) -> Result<Option<(i64, Me)>, AppError> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let Some(found) = self.store.token_caller(&token_hash(token)).await? else {
            return Ok(None);
        };
        let now = now_ms();
        if found.last_used_at.is_none_or(|at| now - at > TOUCH_GAP_MS) {
            self.store.touch_api_token(found.token_id, now).await?;
        }
        let mut me = found.me;
        me.token_scopes = Some(parse_scopes(&found.scopes));
        Ok(Some((found.token_id, me)))
    }
}

#[async_trait::async_trait]
impl app::integrations::ApiTokensApi for ApiTokens {
    async fn list(&self, me: &Me) -> Result<Vec<ApiTokenView>, AppError> {
        require_admin(me)?;
        Ok(self
            .store
            .api_tokens(me.workspace_id, None)
            .await?
            .into_iter()
            .map(view)
            .collect())
    }

    async fn create(&self, me: &Me, name: &str, scopes: &[Scope]) -> Result<NewApiToken, AppError> {
        require_admin(me)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(AppError::invalid("Token name", "must be 1 to 80 characters"));
        }
        if scopes.is_empty() {
            return Err(AppError::invalid(
                "Scopes",
                "choose at least one thing the token may do",
            ));
        }
        if let Some(other) = scopes.iter().find(|s| !TOKEN_SCOPES.iter().any(|(t, _)| t == *s)) {
            return Err(AppError::invalid(
                "Scopes",
                format!("{} cannot be given to a token", other.as_str()),
            ));
        }
        if let Some(beyond) = scopes.iter().find(|s| !me.can(**s)) {
            return Err(AppError::invalid(
                "Scopes",
                format!(
                    "you cannot give a token {}, which your role does not have",
                    beyond.as_str()
                ),
            ));
        }
        let mut names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        let token = format!("{TOKEN_PREFIX}{}", new_token());
        let prefix: String = token.chars().take(TOKEN_PREFIX.len() + 6).collect();
        let id = self
            .store
            .create_api_token(me, name, &token_hash(&token), &prefix, &names.join(" "))
            .await?;
        let created = self
            .store
            .api_tokens(me.workspace_id, Some(id))
            .await?
            .pop()
            .map(view)
            .ok_or(AppError::Internal)?;
        self.store
            .audit(AuditEntry {
                after: Some(
                    serde_json::json!({ "name": created.name, "prefix": created.prefix, "scopes": created.scopes }),
                ),
                ..AuditEntry::by(me, "api_token.created", &format!("API token {name}"))
            })
            .await;
        Ok(NewApiToken { token, view: created })
    }

    async fn revoke(&self, me: &Me, id: i64) -> Result<ApiTokenView, AppError> {
        require_admin(me)?;
        let found = self.store.api_tokens(me.workspace_id, Some(id)).await?.pop();
        let Some(token) = found.map(view) else {
            return Err(AppError::not_found("That API token"));
        };
        if !self.store.revoke_api_token(me.workspace_id, id).await? {
            return Err(AppError::Conflict("That API token was revoked already.".into()));
        }
        self.store
            .audit(AuditEntry::by(
                me,
                "api_token.revoked",
                &format!("API token {}", token.name),
            ))
            .await;
        Ok(self
            .store
            .api_tokens(me.workspace_id, Some(id))
            .await?
            .pop()
            .map(view)
            .unwrap_or(token))
    }
}

fn require_admin(me: &Me) -> Result<(), AppError> {
    if me.can(Scope::SettingsWrite) {
        Ok(())
    } else {
        Err(AppError::forbidden("manage API tokens"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_scopes_read_back_and_unknown_names_are_dropped() {
        assert_eq!(
            parse_scopes("operator:read operator:write someday:maybe"),
            vec![Scope::OperatorRead, Scope::OperatorWrite]
        );
        assert!(parse_scopes("").is_empty());
    }
}
