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
pub trait QualificationsApi: Send + Sync + 'static {
    async fn overview(&self, me: &Me) -> Result<QualificationsOverview, AppError>;
    async fn start(&self, me: &Me, workflow_id: i64) -> Result<PracticeRun, AppError>;
    async fn get(&self, me: &Me, id: i64) -> Result<PracticeRun, AppError>;
    async fn reply(&self, me: &Me, id: i64, body: &str) -> Result<PracticeRun, AppError>;
    async fn submit(&self, me: &Me, id: i64) -> Result<PracticeRun, AppError>;
    /// A reviewer grants (`grant`) or sends the run back with a note.
    async fn decide(&self, me: &Me, id: i64, grant: bool, note: &str) -> Result<PracticeRun, AppError>;
    async fn revoke(&self, me: &Me, member_id: i64, workflow_id: i64) -> Result<(), AppError>;
}

#[server(endpoint = "qualifications/overview")]
pub async fn get_qualifications() -> Result<QualificationsOverview, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorRead),
        "see qualifications",
        |qualifications: Arc<dyn QualificationsApi>, me| async move { qualifications.overview(&me).await },
    )
    .await
}

/// Starts (or continues) practising a workflow's scenario.
#[server(endpoint = "qualifications/start")]
pub async fn start_practice(workflow_id: i64) -> Result<PracticeRun, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorWrite),
        "practise for qualifications",
        |qualifications: Arc<dyn QualificationsApi>, me| async move { qualifications.start(&me, workflow_id).await },
    )
    .await
}

#[server(endpoint = "qualifications/run")]
pub async fn get_practice_run(id: i64) -> Result<PracticeRun, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorRead),
        "see practice runs",
        |qualifications: Arc<dyn QualificationsApi>, me| async move { qualifications.get(&me, id).await },
    )
    .await
}

#[server(endpoint = "qualifications/reply")]
pub async fn practice_reply(id: i64, body: String) -> Result<PracticeRun, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorWrite),
        "practise for qualifications",
        |qualifications: Arc<dyn QualificationsApi>, me| async move { qualifications.reply(&me, id, &body).await },
    )
    .await
}

#[server(endpoint = "qualifications/submit")]
pub async fn submit_practice(id: i64) -> Result<PracticeRun, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorWrite),
        "practise for qualifications",
        |qualifications: Arc<dyn QualificationsApi>, me| async move { qualifications.submit(&me, id).await },
    )
    .await
}

/// A reviewer's decision: `grant` true grants the qualification, false sends the run back.
#[server(endpoint = "qualifications/review")]
pub async fn review_practice(id: i64, grant: bool, note: String) -> Result<PracticeRun, AppError> {
    use crate::service::*;
    serve(Some(Scope::QualificationsWrite), "review qualifications", |qualifications: Arc<dyn QualificationsApi>, me| async move {
        qualifications.decide(&me, id, grant, &note).await
    })
    .await
}

#[server(endpoint = "qualifications/revoke")]
pub async fn revoke_qualification(member_id: i64, workflow_id: i64) -> Result<(), AppError> {
    use crate::service::*;
    serve(
        Some(Scope::QualificationsWrite),
        "review qualifications",
        |qualifications: Arc<dyn QualificationsApi>, me| async move {
            qualifications.revoke(&me, member_id, workflow_id).await
        },
    )
    .await
}
