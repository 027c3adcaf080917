//! Workflows (chatbots): their handoff, routing and assistant settings and the built-in
//! assistant's question/answer pairs. The provider's API key goes in and never comes out.

use app::workflows::{AnswerView, WorkflowSettings, WorkflowSummary};
use app::{AppError, Me, Scope};

use crate::store::workspaces::AuditEntry;
use crate::store::{Store, WorkflowRecord};

pub struct Workflows {
    store: Store,
    router: std::sync::Arc<crate::routing::Router>,
}

fn view(w: WorkflowRecord, answers: Vec<AnswerView>) -> WorkflowSettings {
    WorkflowSettings {
        id: w.id,
        name: w.name,
        live_routing: w.live_routing,
        handoff_mode: w.handoff_mode.to_string(),
        escalation_threshold: w.escalation_threshold,
        escalate_on_frustration: w.escalate_on_frustration,
        route_on_arrival: w.route_on_arrival,
        handoff_message: w.handoff_message,
        silent_handoff: w.silent_handoff,
        handoff_triggers: w.handoff_triggers,
        reassign_after_secs: w.reassign_after_secs,
        alert_after_secs: w.alert_after_secs,
        greeting: w.greeting,
        fallback_answer: w.fallback_answer,
        routing_mode: w.routing_mode,
        accept_timeout_secs: w.accept_timeout_secs,
        requires_qualification: w.requires_qualification,
        practice_script: w.practice_script,
        ai_provider: w.ai_provider,
        openai_base_url: w.openai_base_url,
        openai_model: w.openai_model,
        has_api_key: w.openai_api_key.is_some_and(|k| !k.is_empty()),
        ai_timeout_secs: w.ai_timeout_secs,
        answers,
    }
}

impl Workflows {
    pub fn new(store: Store, router: std::sync::Arc<crate::routing::Router>) -> Self {
        Workflows { store, router }
    }

    fn require(me: &Me) -> Result<(), AppError> {
        if me.can(Scope::WorkflowsWrite) {
            Ok(())
        } else {
            Err(AppError::forbidden("edit workflows"))
        }
    }

    async fn audit(
        &self,
        me: &Me,
        action: &str,
        name: &str,
        before: Option<&WorkflowSettings>,
        after: Option<&WorkflowSettings>,
    ) {
        let entry = AuditEntry {
            workspace_id: me.workspace_id,
            actor_id: Some(me.member_id),
            action,
            target: &format!("workflow {name}"),
            before: before.and_then(|w| serde_json::to_value(w).ok()),
            after: after.and_then(|w| serde_json::to_value(w).ok()),
        };
        self.store.audit(entry).await;
    }
}

#[async_trait::async_trait]
impl app::workflows::WorkflowsApi for Workflows {
    async fn list(&self, me: &Me) -> Result<Vec<WorkflowSummary>, AppError> {
        Ok(self.store.list_workflows(me.workspace_id).await?)
    }

    /// The workflow, if it belongs to the member's workspace.
    async fn get(&self, me: &Me, id: i64) -> Result<WorkflowSettings, AppError> {
        Self::require(me)?;
        let w = self
            .store
            .workflow(id)
            .await?
            .filter(|w| w.workspace_id == me.workspace_id)
            .ok_or_else(|| AppError::not_found("That workflow"))?;
        let answers = self.store.workflow_answers(id).await?;
        Ok(view(w, answers))
    }

    async fn create(&self, me: &Me, name: &str) -> Result<WorkflowSettings, AppError> {
        Self::require(me)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(AppError::invalid("Name", "must be 1 to 80 characters"));
        }
        let id = self.store.create_workflow(me.workspace_id, name).await?;
        let created = self.get(me, id).await?;
        self.audit(me, "workflow.created", name, None, Some(&created)).await;
        Ok(created)
    }

    /// Saves the settings. `api_key`: `None` keeps the stored key, `Some("")` removes it.
    async fn update(
        &self,
        me: &Me,
        mut settings: WorkflowSettings,
        api_key: Option<String>,
    ) -> Result<WorkflowSettings, AppError> {
        let before = self.get(me, settings.id).await?;
        settings.name = settings.name.trim().to_string();
        settings.openai_base_url = settings
            .openai_base_url
            .map(|u| u.trim().trim_end_matches('/').to_string())
            .filter(|u| !u.is_empty());
        settings.openai_model = settings
            .openai_model
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty());
        settings.validate()?;
        // A trigger's group must be one of the workspace's.
        let groups = self.store.list_groups(me.workspace_id).await?;
        for trigger in app::escalation::parse_triggers(&settings.handoff_triggers).unwrap_or_default() {
            if let Some(name) = trigger.group {
                if !groups.iter().any(|g| g.name.eq_ignore_ascii_case(&name)) {
                    return Err(AppError::invalid(
                        "Handoff triggers",
                        format!("there is no operator group named “{name}”"),
                    ));
                }
            }
        }
        if settings.openai_base_url != before.openai_base_url && before.has_api_key && api_key.is_none() {
            return Err(AppError::invalid(
                "API key",
                "must be entered again when the base URL changes (the stored key is never sent to a new address)",
            ));
        }
        if settings.ai_provider == "openai" && settings.openai_model.is_none() {
            return Err(AppError::invalid(
                "Model",
                "is needed for an OpenAI-compatible provider (or set SWITCHBOARD_OPENAI_MODEL)",
            ));
        }
        self.store.update_workflow(&settings, api_key.as_deref()).await?;
        if settings.requires_qualification && !before.requires_qualification {
            self.router.workflows_changed(me.workspace_id).await;
        }
        let after = self.get(me, settings.id).await?;
        self.audit(me, "workflow.updated", &after.name, Some(&before), Some(&after))
            .await;
        Ok(after)
    }

    async fn add_answer(&self, me: &Me, id: i64, question: &str, answer: &str) -> Result<WorkflowSettings, AppError> {
        let before = self.get(me, id).await?;
        let (q, a) = (question.trim(), answer.trim());
        if q.is_empty() || q.chars().count() > 500 {
            return Err(AppError::invalid("Question", "must be 1 to 500 characters"));
        }
        if a.is_empty() || a.chars().count() > 2000 {
            return Err(AppError::invalid("Answer", "must be 1 to 2000 characters"));
        }
        self.store.add_workflow_answer(id, q, a).await?;
        let after = self.get(me, id).await?;
        self.audit(me, "workflow.answer_added", &after.name, Some(&before), Some(&after))
            .await;
        Ok(after)
    }

    async fn delete_answer(&self, me: &Me, id: i64, answer_id: i64) -> Result<WorkflowSettings, AppError> {
        let before = self.get(me, id).await?;
        self.store
            .delete_workflow_answer(id, answer_id)
            .await
            .map_err(|e| match e {
                crate::store::StoreError::NotFound => AppError::not_found("That answer"),
                other => other.into(),
            })?;
        let after = self.get(me, id).await?;
        self.audit(me, "workflow.answer_removed", &after.name, Some(&before), Some(&after))
            .await;
        Ok(after)
    }
}
