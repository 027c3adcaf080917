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
pub trait WorkflowsApi: Send + Sync + 'static {
    async fn list(&self, me: &Me) -> Result<Vec<WorkflowSummary>, AppError>;
    async fn get(&self, me: &Me, id: i64) -> Result<WorkflowSettings, AppError>;
    async fn create(&self, me: &Me, name: &str) -> Result<WorkflowSettings, AppError>;
    /// `api_key`: `None` keeps the stored key, `Some("")` removes it.
    async fn update(
        &self,
        me: &Me,
        settings: WorkflowSettings,
        api_key: Option<String>,
    ) -> Result<WorkflowSettings, AppError>;
    async fn add_answer(&self, me: &Me, id: i64, question: &str, answer: &str) -> Result<WorkflowSettings, AppError>;
    async fn delete_answer(&self, me: &Me, id: i64, answer_id: i64) -> Result<WorkflowSettings, AppError>;
}

#[server(endpoint = "workflows/list")]
pub async fn list_workflows() -> Result<Vec<WorkflowSummary>, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorRead),
        "see workflows",
        |workflows: Arc<dyn WorkflowsApi>, me| async move { workflows.list(&me).await },
    )
    .await
}

#[server(endpoint = "workflows/get")]
pub async fn get_workflow(id: i64) -> Result<WorkflowSettings, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::WorkflowsWrite),
        "edit workflows",
        |workflows: Arc<dyn WorkflowsApi>, me| async move { workflows.get(&me, id).await },
    )
    .await
}

#[server(endpoint = "workflows/create")]
pub async fn create_workflow(name: String) -> Result<WorkflowSettings, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::WorkflowsWrite),
        "edit workflows",
        |workflows: Arc<dyn WorkflowsApi>, me| async move { workflows.create(&me, &name).await },
    )
    .await
}

/// Saves a workflow. An empty `openai_api_key` keeps the stored key; `remove_api_key` removes it.
#[server(endpoint = "workflows/update")]
#[allow(clippy::too_many_arguments)]
pub async fn update_workflow(
    id: i64,
    name: String,
    live_routing: Option<String>,
    handoff_mode: String,
    escalation_threshold: String,
    escalate_on_frustration: Option<String>,
    #[server(default)] route_on_arrival: Option<String>,
    handoff_message: String,
    #[server(default)] silent_handoff: Option<String>,
    #[server(default)] handoff_triggers: String,
    #[server(default)] reassign_after_mins: String,
    #[server(default)] alert_after_mins: String,
    greeting: String,
    fallback_answer: String,
    routing_mode: String,
    accept_timeout_secs: String,
    requires_qualification: Option<String>,
    practice_script: String,
    ai_provider: String,
    openai_base_url: String,
    openai_model: String,
    openai_api_key: String,
    remove_api_key: Option<String>,
    ai_timeout_secs: String,
) -> Result<WorkflowSettings, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::WorkflowsWrite),
        "edit workflows",
        |workflows: Arc<dyn WorkflowsApi>, me| async move {
            let settings = WorkflowSettings {
                id,
                name,
                live_routing: live_routing.is_some(),
                handoff_mode,
                escalation_threshold: parse_number("Escalation threshold", &escalation_threshold)?,
                escalate_on_frustration: escalate_on_frustration.is_some(),
                route_on_arrival: route_on_arrival.is_some(),
                handoff_message,
                silent_handoff: silent_handoff.is_some(),
                handoff_triggers,
                reassign_after_secs: minutes_to_secs("Reassign after", &reassign_after_mins)?,
                alert_after_secs: minutes_to_secs("Alert after", &alert_after_mins)?,
                greeting,
                fallback_answer,
                routing_mode,
                accept_timeout_secs: parse_number("Accept timeout", &accept_timeout_secs)?,
                requires_qualification: requires_qualification.is_some(),
                practice_script,
                ai_provider,
                openai_base_url: Some(openai_base_url),
                openai_model: Some(openai_model),
                has_api_key: false,
                ai_timeout_secs: parse_number("AI timeout", &ai_timeout_secs)?,
                answers: vec![],
            };
            let key = if remove_api_key.is_some() {
                Some(String::new())
            } else {
                Some(openai_api_key.trim().to_string()).filter(|k| !k.is_empty())
            };
            workflows.update(&me, settings, key).await
        },
    )
    .await
}

/// Minutes as typed (`5`, `0.5`) in whole seconds; empty is 0.
pub fn minutes_to_secs(field: &str, text: &str) -> Result<i64, AppError> {
    match text.trim() {
        "" => Ok(0),
        m => match m.parse::<f64>() {
            Ok(v) if v.is_finite() && (0.0..=1440.0).contains(&v) => Ok((v * 60.0).round() as i64),
            _ => Err(AppError::invalid(
                field,
                "must be a number of minutes between 0 (never) and 1440",
            )),
        },
    }
}

/// Seconds as minutes for a form field: `5`, `0.5`, `0.1`.
pub fn secs_to_minutes(secs: i64) -> String {
    let minutes = secs as f64 / 60.0;
    let text = format!("{minutes:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[server(endpoint = "workflows/answer_add")]
pub async fn add_workflow_answer(id: i64, question: String, answer: String) -> Result<WorkflowSettings, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::WorkflowsWrite),
        "edit workflows",
        |workflows: Arc<dyn WorkflowsApi>, me| async move { workflows.add_answer(&me, id, &question, &answer).await },
    )
    .await
}

#[server(endpoint = "workflows/answer_delete")]
pub async fn delete_workflow_answer(id: i64, answer_id: i64) -> Result<WorkflowSettings, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::WorkflowsWrite),
        "edit workflows",
        |workflows: Arc<dyn WorkflowsApi>, me| async move { workflows.delete_answer(&me, id, answer_id).await },
    )
    .await
}
