//! Canned responses: pre-written replies with macros, at three levels — the workspace's
//! (admins manage them), an operator group's (its members and supervisors), and one's own.

use app::canned::{check_shortcut, CannedResponse, CannedScope};
use app::events::MessageBody;
use app::macros;
use app::{AppError, Me, Scope};

use crate::store::workspaces::AuditEntry;
use crate::store::{CannedRecord, Store};

pub struct Canned {
    store: Store,
}

/// Who may change a response of this scope (and group).
async fn may_edit(
    store: &Store,
    me: &Me,
    scope: CannedScope,
    group_id: Option<i64>,
    owner: Option<i64>,
) -> Result<bool, AppError> {
    Ok(match scope {
        CannedScope::Workspace => me.can(Scope::SettingsWrite),
        CannedScope::Personal => me.can(Scope::OperatorWrite) && owner.is_none_or(|o| o == me.member_id),
        CannedScope::Group => {
            let Some(group) = group_id else { return Ok(false) };
            me.can(Scope::OperatorWrite)
                && (me.can(Scope::ConversationsReadAll) || store.in_group(me.member_id, group).await?)
        }
    })
}

fn view(r: CannedRecord, editable: bool) -> CannedResponse {
    CannedResponse {
        id: r.id,
        scope: r.scope(),
        group_id: r.group_id,
        group: r.group.clone(),
        shortcut: r.shortcut,
        title: r.title,
        body: r.body,
        editable,
    }
}

/// Checks a response's fields; the first problem is returned.
pub fn check_fields(shortcut: &str, title: &str, body: &str) -> Result<(String, String, String), AppError> {
    let shortcut = shortcut.trim().trim_start_matches('/').to_lowercase();
    check_shortcut(&shortcut)?;
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 80 {
        return Err(AppError::invalid("Title", "must be 1 to 80 characters"));
    }
    let body = MessageBody::parse(body)?.into_string();
    let unknown = macros::unknown_macros(&body);
    if !unknown.is_empty() {
        return Err(AppError::invalid("Text", macros::unknown_message(&unknown)));
    }
    Ok((shortcut, title.to_string(), body))
}

impl Canned {
    pub fn new(store: Store) -> Self {
        Canned { store }
    }

    async fn audit(&self, me: &Me, action: &str, r: &CannedRecord, before: Option<&CannedRecord>) {
        if r.scope() == CannedScope::Personal {
            return;
        }
        let json = |r: &CannedRecord| serde_json::json!({ "shortcut": r.shortcut, "title": r.title, "body": r.body, "group": r.group });
        let entry = AuditEntry {
            workspace_id: me.workspace_id,
            actor_id: Some(me.member_id),
            action,
            target: &format!("canned response /{}", r.shortcut),
            before: before.map(json),
            after: (action != "canned.deleted").then(|| json(r)),
        };
        self.store.audit(entry).await;
    }

    async fn existing(&self, me: &Me, id: i64) -> Result<CannedRecord, AppError> {
        let r = self
            .store
            .canned(id)
            .await?
            .filter(|r| r.workspace_id == me.workspace_id && r.member_id.is_none_or(|m| m == me.member_id))
            .ok_or_else(|| AppError::not_found("That canned response"))?;
        if !may_edit(&self.store, me, r.scope(), r.group_id, r.member_id).await? {
            return Err(AppError::forbidden("change this canned response"));
        }
        Ok(r)
    }
}

#[async_trait::async_trait]
impl app::canned::CannedApi for Canned {
    /// The responses the member may use, each marked with whether they may change it.
    async fn list(&self, me: &Me) -> Result<Vec<CannedResponse>, AppError> {
        let records = self
            .store
            .canned_for(me.workspace_id, me.member_id, me.can(Scope::ConversationsReadAll))
            .await?;
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            let editable = may_edit(&self.store, me, r.scope(), r.group_id, r.member_id).await?;
            out.push(view(r, editable));
        }
        Ok(out)
    }

    /// Creates (`id` None) or changes a response.
    #[allow(clippy::too_many_arguments)]
    async fn save(
        &self,
        me: &Me,
        id: Option<i64>,
        scope: CannedScope,
        group_id: Option<i64>,
        shortcut: &str,
        title: &str,
        body: &str,
    ) -> Result<CannedResponse, AppError> {
        let (shortcut, title, body) = check_fields(shortcut, title, body)?;
        let saved = match id {
            Some(id) => {
                let before = self.existing(me, id).await?;
                self.store.update_canned(id, &shortcut, &title, &body).await?;
                let after = self.store.canned(id).await?.ok_or(AppError::Internal)?;
                self.audit(me, "canned.updated", &after, Some(&before)).await;
                after
            }
            None => {
                let group_id = match scope {
                    CannedScope::Group => {
                        let g = group_id.ok_or_else(|| AppError::invalid("Group", "choose the operator group"))?;
                        if !self.store.group_in_workspace(me.workspace_id, g).await? {
                            return Err(AppError::not_found("That operator group"));
                        }
                        Some(g)
                    }
                    _ => None,
                };
                if !may_edit(&self.store, me, scope, group_id, None).await? {
                    return Err(AppError::forbidden(match scope {
                        CannedScope::Workspace => "add canned responses for the whole workspace",
                        CannedScope::Group => "add canned responses for that group",
                        CannedScope::Personal => "add canned responses",
                    }));
                }
                let member = (scope == CannedScope::Personal).then_some(me.member_id);
                let id = self
                    .store
                    .create_canned(
                        me.workspace_id,
                        group_id,
                        member,
                        &shortcut,
                        &title,
                        &body,
                        me.member_id,
                    )
                    .await?;
                let created = self.store.canned(id).await?.ok_or(AppError::Internal)?;
                self.audit(me, "canned.created", &created, None).await;
                created
            }
        };
        Ok(view(saved, true))
    }

    async fn delete(&self, me: &Me, id: i64) -> Result<(), AppError> {
        let r = self.existing(me, id).await?;
        self.store.delete_canned(id).await?;
        self.audit(me, "canned.deleted", &r, Some(&r)).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_trimmed_and_checked() {
        let (s, t, b) = check_fields(" /Refund ", " Refund policy ", " Hi {{contact.first_name|there}} ").unwrap();
        assert_eq!(
            (s.as_str(), t.as_str(), b.as_str()),
            ("refund", "Refund policy", "Hi {{contact.first_name|there}}")
        );
        assert!(check_fields("two words", "T", "B").is_err());
        assert!(check_fields("ok", "", "B").is_err());
        assert!(check_fields("ok", "T", "  ").is_err());
        let unknown = check_fields("ok", "T", "Hi {{customer.name}}").unwrap_err();
        assert!(
            unknown.to_string().contains("{{customer.name}} is not a macro"),
            "{unknown}"
        );
    }
}
