//! `/contacts`: the people who write in, as an integrator's CRM keeps them in step.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use app::contacts::ContactDetail;
use app::AppError;

use super::{created_once, fingerprint, Body, Caller, PathId, Problem};
use crate::AppState;

/// A contact with what is known about them.
#[derive(Serialize, ToSchema)]
pub struct Contact {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub labels: Vec<String>,
    /// Data records, by key.
    pub data: std::collections::BTreeMap<String, String>,
    /// Who the contact is known as on the channels.
    pub identities: Vec<Identity>,
    /// Their conversations the token's member may see, newest first.
    pub conversation_ids: Vec<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct Identity {
    /// `email`, `phone`, `web` (a site's signed-in customer id), …
    pub kind: String,
    pub value: String,
}

impl From<ContactDetail> for Contact {
    fn from(c: ContactDetail) -> Self {
        Contact {
            id: c.id,
            name: c.name,
            email: c.email,
            phone: c.phone,
            labels: c.labels,
            data: c.data.into_iter().collect(),
            identities: c
                .identities
                .into_iter()
                .map(|(kind, value)| Identity { kind, value })
                .collect(),
            conversation_ids: c.conversations.into_iter().map(|c| c.id).collect(),
        }
    }
}

/// A contact's details: a new contact's, or the ones to change (all three are set as given;
/// an empty or missing e-mail or phone clears it).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactFields {
    /// 1 to 100 characters.
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    /// Digits with spaces, `+`, `-`, `(` and `)`; in E.164 form (`+15551234567`) it also finds
    /// the contact when they text.
    #[serde(default)]
    pub phone: Option<String>,
}

/// The console's field names ("E-mail") as the API's ("email").
fn api_field(e: AppError) -> AppError {
    match e {
        AppError::Invalid { field, message } => AppError::Invalid {
            field: match field.as_str() {
                "Name" => "name",
                "E-mail" => "email",
                "Phone" => "phone",
                "Label" => "label",
                "Key" => "key",
                "Value" => "value",
                "Kind" => "kind",
                other => other,
            }
            .to_string(),
            message,
        },
        other => other,
    }
}

/// Create a contact
///
/// Refused (409) when a contact with that e-mail or phone number exists already.
#[utoipa::path(post, path = "/contacts", tag = "Contacts", request_body = ContactFields,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 201, description = "The new contact", body = Contact)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Body(new): Body<ContactFields>,
) -> Response {
    let request = fingerprint("/contacts", &new);
    created_once(&state, &caller, &headers, &request, async {
        let made = state
            .services
            .contacts
            .create(
                &caller.me,
                &new.name,
                new.email.as_deref().unwrap_or(""),
                new.phone.as_deref().unwrap_or(""),
            )
            .await
            .map_err(api_field)?;
        Ok(Contact::from(made))
    })
    .await
}

/// Get a contact
#[utoipa::path(get, path = "/contacts/{id}", tag = "Contacts",
    params(("id" = i64, Path, description = "The contact's id")),
    responses((status = 200, description = "The contact", body = Contact)))]
pub async fn get(State(state): State<AppState>, caller: Caller, PathId(id): PathId) -> Result<Json<Contact>, Problem> {
    let contacts = &state.services.contacts;
    let contact = contacts.reach(&caller.me, id).await?;
    Ok(Json(contacts.detail_of(&caller.me, contact).await?.into()))
}

/// Change a contact
#[utoipa::path(patch, path = "/contacts/{id}", tag = "Contacts", request_body = ContactFields,
    params(("id" = i64, Path, description = "The contact's id")),
    responses((status = 200, description = "The contact now", body = Contact)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    Body(fields): Body<ContactFields>,
) -> Result<Json<Contact>, Problem> {
    let contacts = &state.services.contacts;
    let contact = contacts.reach(&caller.me, id).await?;
    let changed = contacts
        .update_of(
            &caller.me,
            contact,
            &fields.name,
            fields.email.as_deref().unwrap_or(""),
            fields.phone.as_deref().unwrap_or(""),
        )
        .await
        .map_err(api_field)?;
    Ok(Json(changed.into()))
}

/// A label to give or take away.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Label {
    /// 1 to 40 characters, without commas.
    pub label: String,
}

/// Label a contact
#[utoipa::path(post, path = "/contacts/{id}/labels", tag = "Contacts", request_body = Label,
    params(("id" = i64, Path, description = "The contact's id")),
    responses((status = 200, description = "The contact now", body = Contact)))]
pub async fn set_label(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    Body(l): Body<Label>,
) -> Result<Json<Contact>, Problem> {
    label(&state, &caller, id, &l.label, true).await
}

/// Take a label off a contact
#[utoipa::path(delete, path = "/contacts/{id}/labels", tag = "Contacts", request_body = Label,
    params(("id" = i64, Path, description = "The contact's id")),
    responses((status = 200, description = "The contact now", body = Contact)))]
pub async fn remove_label(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    Body(l): Body<Label>,
) -> Result<Json<Contact>, Problem> {
    label(&state, &caller, id, &l.label, false).await
}

async fn label(state: &AppState, caller: &Caller, id: i64, label: &str, add: bool) -> Result<Json<Contact>, Problem> {
    let contacts = &state.services.contacts;
    let contact = contacts.reach(&caller.me, id).await?;
    let changed = contacts
        .label_of(&caller.me, contact, label, add)
        .await
        .map_err(api_field)?;
    Ok(Json(changed.into()))
}

/// A data record to set; an empty value removes it.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataRecord {
    /// 1 to 40 letters, digits, spaces, `-`, `_` or `.`.
    pub key: String,
    /// At most 500 characters.
    pub value: String,
}

/// Set a contact's data record
#[utoipa::path(put, path = "/contacts/{id}/data", tag = "Contacts", request_body = DataRecord,
    params(("id" = i64, Path, description = "The contact's id")),
    responses((status = 200, description = "The contact now", body = Contact)))]
pub async fn set_data(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    Body(d): Body<DataRecord>,
) -> Result<Json<Contact>, Problem> {
    let contacts = &state.services.contacts;
    let contact = contacts.reach(&caller.me, id).await?;
    let changed = contacts
        .data_of(&caller.me, contact, &d.key, &d.value)
        .await
        .map_err(api_field)?;
    Ok(Json(changed.into()))
}

/// Another way a contact is known.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIdentity {
    /// `email`, `phone` (E.164) or `web` (your site's own id for the customer, as the widget's
    /// `identify` sends it).
    pub kind: String,
    pub value: String,
}

/// Add an identity to a contact
///
/// Their next e-mail, text or signed-in chat from it finds them. Refused (409) when another
/// contact is known by it.
#[utoipa::path(post, path = "/contacts/{id}/identities", tag = "Contacts", request_body = NewIdentity,
    params(("id" = i64, Path, description = "The contact's id")),
    responses((status = 200, description = "The contact now", body = Contact)))]
pub async fn add_identity(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    Body(i): Body<NewIdentity>,
) -> Result<Json<Contact>, Problem> {
    let contacts = &state.services.contacts;
    let contact = contacts.reach(&caller.me, id).await?;
    let changed = contacts
        .add_identity(&caller.me, contact, i.kind.trim(), &i.value)
        .await
        .map_err(api_field)?;
    Ok(Json(changed.into()))
}
