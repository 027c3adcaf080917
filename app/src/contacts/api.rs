//! The server functions of this feature.

#[cfg(feature = "ssr")]
use std::sync::Arc;

use leptos::prelude::*;

use super::*;
use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{Me, Scope};

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait ContactsApi: Send + Sync + 'static {
    async fn detail(&self, me: &Me, conversation_id: i64) -> Result<ContactDetail, AppError>;
    async fn update(
        &self,
        me: &Me,
        conversation_id: i64,
        name: &str,
        email: &str,
        phone: &str,
    ) -> Result<ContactDetail, AppError>;
    async fn label(&self, me: &Me, conversation_id: i64, label: &str, add: bool) -> Result<ContactDetail, AppError>;
    async fn data(&self, me: &Me, conversation_id: i64, key: &str, value: &str) -> Result<ContactDetail, AppError>;
    /// Other contacts (with a conversation the member may see) whose name, e-mail or phone
    /// contains `query`.
    async fn search(&self, me: &Me, conversation_id: i64, query: &str) -> Result<Vec<ContactMatch>, AppError>;
    /// Makes `other` part of the conversation's contact: their conversations, identities,
    /// labels and data records move over, and `other` is gone.
    async fn merge(&self, me: &Me, conversation_id: i64, other: i64) -> Result<ContactDetail, AppError>;
    /// Everything the workspace holds about the conversation's contact (a privacy request).
    async fn export(&self, me: &Me, conversation_id: i64) -> Result<ContactExport, AppError>;
    /// Deletes the conversation's contact and all their conversations, messages and files
    /// (a privacy request), once every one of them is resolved.
    async fn erase(&self, me: &Me, conversation_id: i64) -> Result<ErasedContact, AppError>;
}

/// The contact of a conversation, with labels, data records and their other conversations.
#[server(endpoint = "contacts/get")]
pub async fn get_contact(conversation_id: i64) -> Result<ContactDetail, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorRead),
        "see contacts",
        |contacts: Arc<dyn ContactsApi>, me| async move { contacts.detail(&me, conversation_id).await },
    )
    .await
}

#[server(endpoint = "contacts/update")]
pub async fn update_contact(
    conversation_id: i64,
    name: String,
    email: String,
    phone: String,
) -> Result<ContactDetail, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorWrite),
        "change contact details",
        |contacts: Arc<dyn ContactsApi>, me| async move {
            contacts.update(&me, conversation_id, &name, &email, &phone).await
        },
    )
    .await
}

#[server(endpoint = "contacts/label")]
pub async fn contact_label(conversation_id: i64, label: String, add: bool) -> Result<ContactDetail, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorWrite),
        "change contact details",
        |contacts: Arc<dyn ContactsApi>, me| async move { contacts.label(&me, conversation_id, &label, add).await },
    )
    .await
}

/// Sets a contact's data record; an empty value removes it.
#[server(endpoint = "contacts/data")]
pub async fn contact_data(conversation_id: i64, key: String, value: String) -> Result<ContactDetail, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorWrite),
        "change contact details",
        |contacts: Arc<dyn ContactsApi>, me| async move { contacts.data(&me, conversation_id, &key, &value).await },
    )
    .await
}

/// Contacts to merge into the conversation's contact, by name, e-mail or phone.
#[server(endpoint = "contacts/search")]
pub async fn search_contacts(conversation_id: i64, query: String) -> Result<Vec<ContactMatch>, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorWrite),
        "merge contacts",
        |contacts: Arc<dyn ContactsApi>, me| async move { contacts.search(&me, conversation_id, &query).await },
    )
    .await
}

/// Merges contact `other` into the conversation's contact.
#[server(endpoint = "contacts/merge")]
pub async fn merge_contacts(conversation_id: i64, other: i64) -> Result<ContactDetail, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorWrite),
        "merge contacts",
        |contacts: Arc<dyn ContactsApi>, me| async move { contacts.merge(&me, conversation_id, other).await },
    )
    .await
}

/// Erases the conversation's contact with everything about them, for good.
#[server(endpoint = "contacts/erase")]
pub async fn erase_contact(conversation_id: i64) -> Result<ErasedContact, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::SettingsWrite),
        "erase a customer's data",
        |contacts: Arc<dyn ContactsApi>, me| async move { contacts.erase(&me, conversation_id).await },
    )
    .await
}
