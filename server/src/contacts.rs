//! Contacts as the information panel edits them: name, e-mail, phone, labels and data
//! records. A member reaches a contact through a conversation they may see, so the same
//! visibility rule guards contacts as conversations.

use std::sync::Arc;

use app::contacts::{ContactDetail, ContactExport, ContactMatch, ErasedContact, ExportedConversation};
use app::{AppError, Me, Scope};

use crate::conversations::visibility::Visibility;
use crate::conversations::Conversations;
use crate::store::workspaces::AuditEntry;
use crate::store::Store;

pub struct Contacts {
    store: Store,
    conversations: Arc<Conversations>,
    /// Where files are stored (erasing a contact deletes theirs).
    data_dir: std::path::PathBuf,
}

/// A label: 1 to 40 characters, no commas (they separate labels where people type several).
pub fn check_label(label: &str) -> Result<String, AppError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 40 || label.contains(',') {
        return Err(AppError::invalid("Label", "must be 1 to 40 characters, without commas"));
    }
    Ok(label.to_string())
}

/// A data record's key: 1 to 40 letters, digits, spaces, `-`, `_` or `.`.
pub fn check_key(key: &str) -> Result<String, AppError> {
    let key = key.trim();
    if key.is_empty()
        || key.chars().count() > 40
        || !key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'))
    {
        return Err(AppError::invalid(
            "Key",
            "must be 1 to 40 letters, digits, spaces, -, _ or .",
        ));
    }
    Ok(key.to_string())
}

/// Optional e-mail: blank, or something with one `@` and a dot after it.
pub fn check_email(email: &str) -> Result<Option<String>, AppError> {
    let email = email.trim();
    if email.is_empty() {
        return Ok(None);
    }
    let ok = email.chars().count() <= 254
        && !email.contains(char::is_whitespace)
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.ends_with('.'));
    if !ok {
        return Err(AppError::invalid(
            "E-mail",
            format!("\u{201c}{email}\u{201d} is not an e-mail address"),
        ));
    }
    Ok(Some(email.to_lowercase()))
}

/// Optional phone: blank, or digits with spaces, `+`, `-`, `(` and `)`.
pub fn check_phone(phone: &str) -> Result<Option<String>, AppError> {
    let phone = phone.trim();
    if phone.is_empty() {
        return Ok(None);
    }
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if !(5..=20).contains(&digits) || !phone.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)) {
        return Err(AppError::invalid(
            "Phone",
            format!("\u{201c}{phone}\u{201d} is not a phone number"),
        ));
    }
    Ok(Some(phone.to_string()))
}

impl Contacts {
    pub fn new(store: Store, conversations: Arc<Conversations>, data_dir: std::path::PathBuf) -> Self {
        Contacts {
            store,
            conversations,
            data_dir,
        }
    }

    async fn contact_of(&self, me: &Me, conversation_id: i64) -> Result<i64, AppError> {
        Ok(self.conversations.access(me, conversation_id).await?.contact_id)
    }

    /// Privacy requests (export, erase) are for those who run the workspace.
    fn require_privacy(me: &Me) -> Result<(), AppError> {
        if me.can(Scope::SettingsWrite) {
            Ok(())
        } else {
            Err(AppError::forbidden("export or erase a customer's data"))
        }
    }

    fn require_write(me: &Me) -> Result<(), AppError> {
        if me.can(Scope::OperatorWrite) {
            Ok(())
        } else {
            Err(AppError::forbidden("change contact details"))
        }
    }

    /// Tells the workspace's webhooks what the contact is now.
    async fn updated(&self, me: &Me, c: &ContactDetail) {
        let data = serde_json::json!({ "contact": {
            "id": c.id, "name": c.name, "email": c.email, "phone": c.phone, "labels": c.labels,
            "data": c.data.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
            "identities": c.identities.iter().map(|(kind, value)| serde_json::json!({ "kind": kind, "value": value })).collect::<Vec<_>>(),
        } });
        if let Err(e) = self
            .store
            .enqueue_webhook(me.workspace_id, "contact.updated", data)
            .await
        {
            tracing::warn!(error = %e, "could not queue a contact's change for webhooks");
        }
    }

    /// A contact by its id, if it is in the member's workspace (the API's way in; the console
    /// reaches contacts through conversations).
    pub async fn reach(&self, me: &Me, contact_id: i64) -> Result<i64, AppError> {
        if me.can(Scope::OperatorRead) && self.store.contact_workspace(contact_id).await? == Some(me.workspace_id) {
            return Ok(contact_id);
        }
        Err(AppError::not_found("That contact"))
    }

    /// The contact with the conversations of theirs the member may see.
    pub async fn detail_of(&self, me: &Me, contact: i64) -> Result<ContactDetail, AppError> {
        let visibility = Visibility::of(&self.store, me).await?;
        self.store
            .contact_detail(contact, &visibility)
            .await?
            .ok_or_else(|| AppError::not_found("That contact"))
    }

    /// A new contact of the member's workspace, known by the e-mail and phone given (each also
    /// an identity, so the customer's next e-mail or text finds them).
    pub async fn create(&self, me: &Me, name: &str, email: &str, phone: &str) -> Result<ContactDetail, AppError> {
        Self::require_write(me)?;
        let name = check_name(name)?;
        let email = check_email(email)?;
        let phone = check_phone(phone)?;
        let identities = [
            ("email", email.clone()),
            ("phone", phone.as_deref().and_then(app::contacts::phone_e164)),
        ];
        for (kind, value) in &identities {
            if let Some(value) = value {
                if self
                    .store
                    .identity_contact(me.workspace_id, kind, value)
                    .await?
                    .is_some()
                {
                    return Err(AppError::Conflict(format!(
                        "A contact with the {} {value} exists already.",
                        if *kind == "email" { "e-mail" } else { "phone number" }
                    )));
                }
            }
        }
        let contact = self
            .store
            .create_contact(me.workspace_id, &name, email.as_deref(), phone.as_deref())
            .await?;
        for (kind, value) in identities {
            if let Some(value) = value {
                self.store
                    .claim_identity(me.workspace_id, contact, kind, &value)
                    .await?;
            }
        }
        self.detail_of(me, contact).await
    }

    pub async fn update_of(
        &self,
        me: &Me,
        contact: i64,
        name: &str,
        email: &str,
        phone: &str,
    ) -> Result<ContactDetail, AppError> {
        Self::require_write(me)?;
        let name = check_name(name)?;
        let email = check_email(email)?;
        let phone = check_phone(phone)?;
        self.store
            .update_contact(contact, &name, email.as_deref(), phone.as_deref())
            .await?;
        // Every conversation of the contact shows the new name.
        for (id, _, _) in self.store.contact_conversations(contact).await? {
            self.conversations.publish_summary(id).await;
        }
        let now = self.detail_of(me, contact).await?;
        self.updated(me, &now).await;
        Ok(now)
    }

    /// Records that the contact is known as `value` on channels of `kind` (`email`, `phone`,
    /// `web`: a site's own customer id), so that a message from it finds them.
    pub async fn add_identity(
        &self,
        me: &Me,
        contact: i64,
        kind: &str,
        value: &str,
    ) -> Result<ContactDetail, AppError> {
        Self::require_write(me)?;
        let value = match kind {
            "email" => check_email(value)?.ok_or_else(|| AppError::invalid("Value", "is empty"))?,
            "phone" => app::contacts::phone_e164(value.trim())
                .ok_or_else(|| AppError::invalid("Value", "must be a phone number in E.164 form, like +15551234567"))?,
            "web" => {
                let v = value.trim();
                if v.is_empty() || v.chars().count() > 200 {
                    return Err(AppError::invalid("Value", "must be 1 to 200 characters"));
                }
                v.to_string()
            }
            _ => return Err(AppError::invalid("Kind", "must be email, phone or web")),
        };
        let owner = self
            .store
            .claim_identity(me.workspace_id, contact, kind, &value)
            .await?;
        if owner != contact {
            return Err(AppError::Conflict(format!(
                "Contact {owner} is already known by the {kind} {value}; merge the two contacts instead."
            )));
        }
        let now = self.detail_of(me, contact).await?;
        self.updated(me, &now).await;
        Ok(now)
    }

    pub async fn label_of(&self, me: &Me, contact: i64, label: &str, add: bool) -> Result<ContactDetail, AppError> {
        Self::require_write(me)?;
        let label = check_label(label)?;
        if add && self.detail_of(me, contact).await?.labels.len() >= 30 {
            return Err(AppError::invalid("Label", "a contact has at most 30 labels"));
        }
        self.store.set_contact_label(contact, &label, add).await?;
        let now = self.detail_of(me, contact).await?;
        self.updated(me, &now).await;
        Ok(now)
    }

    /// Sets a data record; an empty value removes it.
    pub async fn data_of(&self, me: &Me, contact: i64, key: &str, value: &str) -> Result<ContactDetail, AppError> {
        Self::require_write(me)?;
        let key = check_key(key)?;
        let value = value.trim();
        if value.chars().count() > 500 {
            return Err(AppError::invalid("Value", "must be at most 500 characters"));
        }
        let existing = self.detail_of(me, contact).await?;
        if !value.is_empty() && existing.data.len() >= 50 && !existing.data.iter().any(|(k, _)| *k == key) {
            return Err(AppError::invalid("Key", "a contact has at most 50 data records"));
        }
        self.store
            .set_contact_data(contact, &key, (!value.is_empty()).then_some(value))
            .await?;
        let now = self.detail_of(me, contact).await?;
        self.updated(me, &now).await;
        Ok(now)
    }
}

/// A contact's name: 1 to 100 characters.
fn check_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("Name", "must be 1 to 100 characters"));
    }
    Ok(name.to_string())
}

#[async_trait::async_trait]
impl app::contacts::ContactsApi for Contacts {
    async fn detail(&self, me: &Me, conversation_id: i64) -> Result<ContactDetail, AppError> {
        let contact = self.contact_of(me, conversation_id).await?;
        self.detail_of(me, contact).await
    }

    async fn update(
        &self,
        me: &Me,
        conversation_id: i64,
        name: &str,
        email: &str,
        phone: &str,
    ) -> Result<ContactDetail, AppError> {
        Self::require_write(me)?;
        let contact = self.contact_of(me, conversation_id).await?;
        self.update_of(me, contact, name, email, phone).await
    }

    async fn label(&self, me: &Me, conversation_id: i64, label: &str, add: bool) -> Result<ContactDetail, AppError> {
        Self::require_write(me)?;
        let contact = self.contact_of(me, conversation_id).await?;
        self.label_of(me, contact, label, add).await
    }

    /// Sets a data record; an empty value removes it.
    async fn data(&self, me: &Me, conversation_id: i64, key: &str, value: &str) -> Result<ContactDetail, AppError> {
        Self::require_write(me)?;
        let contact = self.contact_of(me, conversation_id).await?;
        self.data_of(me, contact, key, value).await
    }

    async fn search(&self, me: &Me, conversation_id: i64, query: &str) -> Result<Vec<ContactMatch>, AppError> {
        Self::require_write(me)?;
        let contact = self.contact_of(me, conversation_id).await?;
        let query = query.trim();
        if query.chars().count() < 2 || query.chars().count() > 100 {
            return Err(AppError::invalid(
                "Find",
                "type 2 to 100 characters of a name, e-mail or phone",
            ));
        }
        let visibility = Visibility::of(&self.store, me).await?;
        Ok(self
            .store
            .find_contacts(me.workspace_id, contact, query, &visibility)
            .await?)
    }

    async fn merge(&self, me: &Me, conversation_id: i64, other: i64) -> Result<ContactDetail, AppError> {
        Self::require_write(me)?;
        let keep = self.detail(me, conversation_id).await?;
        // The other contact must be one the member could find: with a conversation they see.
        let visibility = Visibility::of(&self.store, me).await?;
        let theirs = self
            .store
            .contact_detail(other, &visibility)
            .await?
            .filter(|c| !c.conversations.is_empty() && c.id != keep.id)
            .ok_or_else(|| AppError::not_found("That contact"))?;
        let moved = self
            .store
            .merge_contacts(me.workspace_id, keep.id, other)
            .await?
            .ok_or_else(|| AppError::not_found("That contact"))?;
        let json =
            |c: &ContactDetail| serde_json::json!({ "id": c.id, "name": c.name, "email": c.email, "phone": c.phone });
        self.store
            .audit(AuditEntry {
                before: Some(json(&theirs)),
                after: Some(json(&keep)),
                ..AuditEntry::by(
                    me,
                    "contact.merged",
                    &format!("contact {} into {}", theirs.name, keep.name),
                )
            })
            .await;
        // The moved conversations show their customer's name in the inbox.
        for id in moved {
            self.conversations.publish_summary(id).await;
        }
        self.detail(me, conversation_id).await
    }

    async fn export(&self, me: &Me, conversation_id: i64) -> Result<ContactExport, AppError> {
        Self::require_privacy(me)?;
        let detail = self.detail(me, conversation_id).await?;
        let mut conversations = Vec::new();
        for (id, channel, status) in self.store.contact_conversations(detail.id).await? {
            let messages = self.store.messages_after(id, 0, false, i64::MAX).await?;
            conversations.push(ExportedConversation {
                id,
                channel,
                status,
                messages,
            });
        }
        self.store
            .audit(AuditEntry::by(
                me,
                "contact.exported",
                &format!("contact {}", detail.id),
            ))
            .await;
        Ok(ContactExport {
            exported_at: crate::store::now_ms(),
            name: detail.name,
            email: detail.email,
            phone: detail.phone,
            identities: detail.identities,
            labels: detail.labels,
            data: detail.data,
            conversations,
        })
    }

    async fn erase(&self, me: &Me, conversation_id: i64) -> Result<ErasedContact, AppError> {
        Self::require_privacy(me)?;
        let contact = self.contact_of(me, conversation_id).await?;
        match self.store.erase_contact(me.workspace_id, contact).await? {
            crate::store::Erased::NotFound => Err(AppError::not_found("That contact")),
            crate::store::Erased::StillOpen(n) => Err(AppError::Conflict(format!(
                "{n} of their conversations {} not resolved yet: resolve {} first, so that nobody is still answering them.",
                if n == 1 { "is" } else { "are" },
                if n == 1 { "it" } else { "them" }
            ))),
            crate::store::Erased::Done {
                conversations,
                messages,
                files,
            } => {
                for key in &files {
                    let path = self.data_dir.join("attachments").join(key);
                    if let Err(e) = tokio::fs::remove_file(&path).await {
                        tracing::warn!(error = %e, "could not delete an erased contact's file");
                    }
                }
                // The audit says that it happened, not who it was about.
                self.store
                    .audit(AuditEntry::by(
                        me,
                        "contact.erased",
                        &format!("contact {contact}: {conversations} conversations, {messages} messages, {} files", files.len()),
                    ))
                    .await;
                Ok(ErasedContact {
                    conversations,
                    messages,
                    files: files.len(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_fields_are_checked_in_words() {
        assert_eq!(
            check_email(" Maria@Example.COM ").unwrap().as_deref(),
            Some("maria@example.com")
        );
        assert_eq!(check_email("").unwrap(), None);
        assert!(check_email("maria@").is_err());
        assert!(check_email("maria example.com").is_err());
        assert_eq!(
            check_phone("+1 (555) 010-9999").unwrap().as_deref(),
            Some("+1 (555) 010-9999")
        );
        assert!(check_phone("call me").is_err());
        assert!(check_phone("12").is_err());
        assert!(check_label("vip, gold").is_err());
        assert_eq!(check_label(" VIP ").unwrap(), "VIP");
        assert!(check_key("plan<script>").is_err());
        assert_eq!(check_key("Plan tier").unwrap(), "Plan tier");
    }
}

/// `GET /api/contacts/export?conversation_id=N`: the conversation's contact's data as a JSON
/// file to download (owners and admins).
pub fn router() -> axum::Router<crate::AppState> {
    axum::Router::new().route("/api/contacts/export", axum::routing::get(export_file))
}

#[derive(serde::Deserialize)]
struct ExportQuery {
    conversation_id: i64,
}

async fn export_file(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    headers: axum::http::HeaderMap,
    axum::extract::Query(q): axum::extract::Query<ExportQuery>,
) -> Result<axum::response::Response, AppError> {
    use app::contacts::ContactsApi;
    let me = crate::http::session_member(&state, &headers).await?;
    let export = state.services.contacts.export(&me, q.conversation_id).await?;
    let json = serde_json::to_string_pretty(&export).map_err(|_| AppError::Internal)?;
    Ok(crate::http::download(
        "application/json",
        &format!("contact-{}.json", q.conversation_id),
        json,
    ))
}
