//! Files sent with messages. Uploads are checked (size, kind, and for images and PDFs that the
//! bytes are what the name says), stored under `<data_dir>/attachments` with a random name,
//! and served only to those allowed to see the conversation: its team members (notes' files
//! too) and its own visitor (never a note's file, never another visitor).
//!
//! `POST /api/attachments?conversation_id=…&name=…` (a member's session) and
//! `POST /widget/attachments?name=…` (a visitor, with `Authorization: Bearer <visitor token>`)
//! take the file as the request body and answer its `AttachmentView`; the message that carries
//! it names its id. `GET /attachments/{id}` serves it to a member's session, or to a visitor
//! through the signed link (`?expires=…&sig=…`) their messages carry (see `channels::tokens`).

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use app::auth::SessionApi;
use app::conversation::{AttachmentView, ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES};
use app::{AppError, Me, Scope};

use crate::channels::tokens::unix_now;
use crate::store::AttachmentRecord;
use crate::AppState;

/// How long an upload may wait to be sent with a message before it is deleted.
pub const UNSENT_FOR_MS: i64 = 24 * 3600 * 1000;

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Deletes the files due at `now` (Unix ms): uploads never sent within `UNSENT_FOR_MS`, and
/// with a retention period of `retention_days` (0: none) every file older than that, whose
/// messages then say it was removed. Returns how many were deleted.
pub async fn remove_expired(
    store: &crate::store::Store,
    data_dir: &std::path::Path,
    retention_days: u32,
    now: i64,
) -> Result<usize, crate::store::StoreError> {
    const BATCH: i64 = 500;
    let dir = data_dir.join("attachments");
    let sent_before = (retention_days > 0).then(|| now - i64::from(retention_days) * DAY_MS);
    let mut total = 0;
    loop {
        let due = store
            .expired_attachments(now - UNSENT_FOR_MS, sent_before, BATCH)
            .await?;
        // The records go first: a file whose bytes are gone is never offered again.
        let gone = store.remove_attachments(&due).await?;
        for key in &gone {
            match tokio::fs::remove_file(dir.join(key)).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!(error = %e, key, "could not delete an expired file's bytes"),
            }
        }
        total += gone.len();
        if (due.len() as i64) < BATCH || gone.is_empty() {
            return Ok(total);
        }
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/attachments", post(upload_by_member))
        .route("/widget/attachments", post(upload_by_visitor))
        .route("/attachments/{id}", get(download))
        .layer(DefaultBodyLimit::max(MAX_ATTACHMENT_BYTES + 64 * 1024))
}

/// The kind of a file, from its extension (one of `ATTACHMENT_TYPES`).
pub fn kind_of(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    let ext = if ext == "jpeg" { "jpg".to_string() } else { ext };
    ATTACHMENT_TYPES.iter().find(|(_, e)| *e == ext).map(|(t, _)| *t)
}

/// The content type the sender declared, if it says anything (browsers send
/// `application/octet-stream` when they do not know).
fn declared_kind(declared: Option<&str>) -> Option<String> {
    let d = declared?
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match d.as_str() {
        "" | "application/octet-stream" => None,
        "image/jpg" => Some("image/jpeg".into()),
        _ => Some(d),
    }
}

/// Whether the bytes are what the kind says: the signature of each binary format, and text
/// that is UTF-8 without NULs for text kinds.
pub fn bytes_match(kind: &str, bytes: &[u8]) -> bool {
    const OLE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    match kind {
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/gif" => bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a"),
        "image/webp" => bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP",
        "application/pdf" => bytes.starts_with(b"%PDF-"),
        "application/zip"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => bytes.starts_with(b"PK\x03\x04"),
        "application/msword" | "application/vnd.ms-excel" => bytes.starts_with(&OLE),
        "text/plain" | "text/csv" => !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok(),
        _ => false,
    }
}

/// A kind's name in words, for refusals.
fn kind_in_words(kind: &str) -> &str {
    match kind {
        "image/png" => "PNG image",
        "image/jpeg" => "JPEG image",
        "image/gif" => "GIF image",
        "image/webp" => "WebP image",
        "application/pdf" => "PDF document",
        "text/plain" => "text file",
        "text/csv" => "CSV file",
        "application/zip" => "ZIP archive",
        "application/msword" => "Word document",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "Word document",
        "application/vnd.ms-excel" => "Excel workbook",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "Excel workbook",
        other => other,
    }
}

/// A file name safe to store and show: no folders, no control characters, at most 200 characters.
pub fn clean_name(name: &str) -> Result<String, AppError> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        return Err(AppError::invalid("File name", "is missing"));
    }
    if cleaned.chars().count() > 200 {
        return Err(AppError::invalid("File name", "must be at most 200 characters"));
    }
    Ok(cleaned)
}

/// Checks an upload; its kind on success.
pub fn check_upload(name: &str, declared: Option<&str>, bytes: &[u8]) -> Result<&'static str, AppError> {
    if bytes.is_empty() {
        return Err(AppError::invalid("File", "is empty"));
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(AppError::invalid(
            "File",
            format!("is larger than the limit of {} MB", MAX_ATTACHMENT_BYTES / 1024 / 1024),
        ));
    }
    let allowed = || ATTACHMENT_TYPES.iter().map(|(_, e)| *e).collect::<Vec<_>>().join(", ");
    // The name, the declared type and the bytes must all say the same kind.
    let kind = kind_of(name).ok_or_else(|| {
        AppError::invalid(
            "File",
            format!(
                "\u{201c}{name}\u{201d} is not a kind of file that can be sent ({})",
                allowed()
            ),
        )
    })?;
    if let Some(declared) = declared_kind(declared) {
        if declared != kind {
            return Err(AppError::invalid(
                "File",
                format!(
                    "\u{201c}{name}\u{201d} is named as a {} but sent as {declared}",
                    kind_in_words(kind)
                ),
            ));
        }
    }
    if !bytes_match(kind, bytes) {
        return Err(AppError::invalid(
            "File",
            format!("\u{201c}{name}\u{201d} is not really a {}", kind_in_words(kind)),
        ));
    }
    Ok(kind)
}

#[derive(Deserialize)]
pub struct MemberUpload {
    conversation_id: i64,
    name: String,
}

#[derive(Deserialize)]
pub struct VisitorUpload {
    name: String,
}

/// A visitor's signed link to one file.
#[derive(Deserialize)]
pub struct FileLink {
    expires: Option<i64>,
    sig: Option<String>,
}

/// The visitor token in an `Authorization: Bearer` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

async fn member(state: &AppState, headers: &HeaderMap) -> Result<Me, AppError> {
    let token = app::service::session_token_in(headers).ok_or(AppError::Unauthenticated)?;
    state.sessions.member(&token).await
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn store_file(
    state: &AppState,
    workspace_id: i64,
    conversation_id: i64,
    name: &str,
    kind: &str,
    bytes: &[u8],
    uploaded_by: &str,
    uploader_id: i64,
) -> Result<AttachmentView, AppError> {
    let quota = state.config.attachment_quota_mb.saturating_mul(1024 * 1024);
    if quota > 0 && state.store.attachment_bytes(workspace_id).await? + bytes.len() as u64 > quota {
        return Err(AppError::Conflict(format!(
            "Files cannot be added: this workspace's files fill its {} MB.",
            state.config.attachment_quota_mb
        )));
    }
    let dir = state.config.data_dir.join("attachments");
    let key = crate::auth::new_token();
    let write = async {
        tokio::fs::create_dir_all(&dir).await?;
        let partial = dir.join(format!("{key}.part"));
        tokio::fs::write(&partial, bytes).await?;
        tokio::fs::rename(&partial, dir.join(&key)).await
    };
    if let Err(e) = write.await {
        tracing::error!(error = %e, "could not store an attachment");
        return Err(AppError::Internal);
    }
    let id = state
        .store
        .create_attachment(
            workspace_id,
            conversation_id,
            name,
            kind,
            bytes.len() as i64,
            &key,
            uploaded_by,
            uploader_id,
        )
        .await?;
    Ok(AttachmentView {
        id,
        file_name: name.to_string(),
        content_type: kind.to_string(),
        size_bytes: bytes.len() as i64,
        ..Default::default()
    })
}

async fn upload_by_member(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<MemberUpload>,
    body: Bytes,
) -> Result<Json<AttachmentView>, AppError> {
    let me = member(&state, &headers).await?;
    if !me.can(Scope::OperatorWrite) {
        return Err(AppError::forbidden("send files"));
    }
    let conversation = state.conversations.access(&me, q.conversation_id).await?;
    let name = clean_name(&q.name)?;
    let declared = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let kind = check_upload(&name, declared, &body)?;
    let view = store_file(
        &state,
        me.workspace_id,
        conversation.id,
        &name,
        kind,
        &body,
        "operator",
        me.member_id,
    )
    .await?;
    Ok(Json(view))
}

async fn upload_by_visitor(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<VisitorUpload>,
    body: Bytes,
) -> Result<Json<AttachmentView>, AppError> {
    let token = bearer(&headers).ok_or_else(|| {
        AppError::invalid(
            "Visitor token",
            "is missing: send it as `Authorization: Bearer <token>`",
        )
    })?;
    let visitor = state.tokens.verify(token, unix_now())?.visitor;
    let channel = state
        .store
        .channel(visitor.channel_id)
        .await?
        .ok_or_else(|| AppError::not_found("This chat channel"))?;
    if !state
        .store
        .contact_on_channel(visitor.contact_id, visitor.channel_id)
        .await?
    {
        return Err(AppError::invalid(
            "Visitor token",
            "names no visitor; reload the chat to start again",
        ));
    }
    let name = clean_name(&q.name)?;
    let declared = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let kind = check_upload(&name, declared, &body)?;
    state.limits.visitor_upload(visitor.contact_id)?;
    let conversation_id = state
        .conversations
        .conversation_for(visitor.contact_id, visitor.channel_id)
        .await?;
    let mut view = store_file(
        &state,
        channel.workspace_id,
        conversation_id,
        &name,
        kind,
        &body,
        "contact",
        visitor.contact_id,
    )
    .await?;
    view.link = Some(state.tokens.file_link(view.id, unix_now()));
    Ok(Json(view))
}

/// Whether the caller may fetch the file: a member who may see its conversation (the uploader
/// only, while it is not sent yet), or its conversation's visitor through a signed link (not a
/// note's file: links are given only for what the visitor sees, and checked again here).
async fn allowed(state: &AppState, a: &AttachmentRecord, headers: &HeaderMap, link: &FileLink) -> bool {
    if let (Some(expires), Some(sig)) = (link.expires, link.sig.as_deref()) {
        if !state.tokens.opens_file(a.id, expires, sig, unix_now()) {
            return false;
        }
        return match a.message_seq {
            None => a.uploaded_by == "contact",
            Some(seq) => !state
                .store
                .message_is_internal(a.conversation_id, seq)
                .await
                .unwrap_or(true),
        };
    }
    let Ok(me) = member(state, headers).await else {
        return false;
    };
    if me.workspace_id != a.workspace_id || state.conversations.access(&me, a.conversation_id).await.is_err() {
        return false;
    }
    a.message_seq.is_some() || (a.uploaded_by == "operator" && a.uploader_id == me.member_id)
}

async fn download(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(link): Query<FileLink>,
    headers: HeaderMap,
) -> Response {
    let not_found = || AppError::not_found("That file").into_response();
    let Ok(Some(a)) = state.store.attachment(id).await else {
        return not_found();
    };
    if !allowed(&state, &a, &headers, &link).await {
        return not_found();
    }
    if a.removed {
        return AppError::not_found(format!(
            "\u{201c}{}\u{201d} (deleted after the workspace's retention period)",
            a.file_name
        ))
        .into_response();
    }
    let path = state.config.data_dir.join("attachments").join(&a.storage_key);
    let bytes = match tokio::fs::read(&path).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, attachment = id, "an attachment's file is missing");
            return not_found();
        }
    };
    // Only images are shown in the page; everything else is downloaded, never rendered.
    let inline = AttachmentView {
        id: a.id,
        file_name: a.file_name.clone(),
        content_type: a.content_type.clone(),
        size_bytes: a.size_bytes,
        ..Default::default()
    }
    .is_image();
    let ascii_name: String = a
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "{}; filename=\"{ascii_name}\"",
        if inline { "inline" } else { "attachment" }
    );
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&a.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_are_checked_by_size_kind_and_content() {
        let png = b"\x89PNG\r\n\x1a\n rest of the image";
        assert_eq!(check_upload("shot.png", Some("image/png"), png).unwrap(), "image/png");
        assert_eq!(check_upload("shot.PNG", None, png).unwrap(), "image/png");
        assert!(check_upload("shot.png", Some("image/png"), b"<html><script>")
            .unwrap_err()
            .to_string()
            .contains("not really"));
        assert!(check_upload("run.exe", Some("application/x-msdownload"), b"MZ")
            .unwrap_err()
            .to_string()
            .contains("not a kind of file"));
        assert!(check_upload("page.html", Some("text/html"), b"<p>").is_err());
        assert!(check_upload("empty.txt", Some("text/plain"), b"").is_err());
        // The declared type cannot overrule the name, nor the name the bytes.
        assert_eq!(
            check_upload("invoice.exe", Some("text/plain"), b"MZ\x90\0").unwrap_err().to_string(),
            "File: \u{201c}invoice.exe\u{201d} is not a kind of file that can be sent (png, jpg, gif, webp, pdf, txt, csv, zip, doc, docx, xls, xlsx)"
        );
        assert_eq!(
            check_upload("notes.txt", Some("image/png"), b"hello")
                .unwrap_err()
                .to_string(),
            "File: \u{201c}notes.txt\u{201d} is named as a text file but sent as image/png"
        );
        assert_eq!(
            check_upload("notes.txt", Some("text/plain"), b"MZ\x90\0\0")
                .unwrap_err()
                .to_string(),
            "File: \u{201c}notes.txt\u{201d} is not really a text file"
        );
        assert_eq!(
            check_upload("notes.txt", Some("application/octet-stream"), b"hi").unwrap(),
            "text/plain"
        );
        assert_eq!(
            check_upload("photo.jpeg", Some("image/jpg"), &[0xFF, 0xD8, 0xFF, 0xE0]).unwrap(),
            "image/jpeg"
        );
        assert!(check_upload("report.docx", None, b"PK\x03\x04rest").is_ok());
        assert!(check_upload("report.docx", None, b"<html>").is_err());
        assert!(check_upload("sheet.xls", None, &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]).is_ok());
        let big = vec![b'a'; MAX_ATTACHMENT_BYTES + 1];
        assert!(check_upload("big.txt", Some("text/plain"), &big)
            .unwrap_err()
            .to_string()
            .contains("larger than"));
    }

    #[test]
    fn file_names_lose_folders_and_control_characters() {
        assert_eq!(clean_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(clean_name("C:\\Users\\me\\report.pdf").unwrap(), "report.pdf");
        assert_eq!(clean_name("a\u{0}b\nc.txt").unwrap(), "abc.txt");
        assert!(clean_name("..").is_err());
        assert!(clean_name("   ").is_err());
    }
}
