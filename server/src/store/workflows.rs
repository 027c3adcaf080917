//! Workflows as the assistant, escalation and routing read them, with the built-in
//! assistant's question-and-answer pairs, and the settings admins change.

use app::lifecycle::HandoffMode;

use super::unique::{self, unique_as};
use super::{Store, StoreError};

dual! {}

/// The workflow settings the assistant, escalation and routing need.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WorkflowRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub handoff_mode: HandoffMode,
    pub escalation_threshold: i64,
    pub escalate_on_frustration: bool,
    pub handoff_message: String,
    pub greeting: String,
    pub fallback_answer: String,
    pub ai_provider: String,
    pub openai_base_url: Option<String>,
    pub openai_model: Option<String>,
    pub openai_api_key: Option<String>,
    pub ai_timeout_secs: i64,
    #[sqlx(skip)]
    pub answers: Vec<(String, String)>,
    pub live_routing: bool,
    pub routing_mode: String,
    pub accept_timeout_secs: i64,
    pub requires_qualification: bool,
    pub practice_script: String,
    /// Every new conversation is escalated with its first message, so routing offers it to a
    /// live operator at once.
    pub route_on_arrival: bool,
    /// The customer is not told of the handoff (no handoff message, no "joined" notice).
    pub silent_handoff: bool,
    /// The workflow's own trigger phrases (`app::escalation::parse_triggers`).
    pub handoff_triggers: String,
    pub reassign_after_secs: i64,
    pub alert_after_secs: i64,
}

impl Store {
    /// An API key as it is kept: sealed, with `""` (take it away) and `None` as they are.
    fn sealed_key(&self, api_key: Option<&str>) -> Result<Option<String>, StoreError> {
        match api_key {
            Some(k) if !k.is_empty() => Ok(Some(self.seal(k)?)),
            other => Ok(other.map(str::to_string)),
        }
    }

    pub async fn workflow(&self, id: i64) -> Result<Option<WorkflowRecord>, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<WorkflowRecord> = sqlx::query_as(
            "SELECT id, workspace_id, name, handoff_mode, escalation_threshold, escalate_on_frustration, handoff_message,
                    greeting, fallback_answer, ai_provider, openai_base_url, openai_model, openai_api_key, ai_timeout_secs,
                    live_routing, routing_mode, accept_timeout_secs, requires_qualification, practice_script,
                    route_on_arrival, silent_handoff, handoff_triggers, reassign_after_secs, alert_after_secs
             FROM workflows WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(read)
        .await?;
            let Some(mut workflow) = row else { return Ok(None) };
            workflow.openai_api_key = self.open_secret(workflow.openai_api_key.take())?;
            workflow.answers =
                sqlx::query_as("SELECT question, answer FROM workflow_answers WHERE workflow_id = $1 ORDER BY id")
                    .bind(id)
                    .fetch_all(read)
                    .await?;
            Ok(Some(workflow))
        })
    }

    /// The built-in assistant's pairs with their ids.
    pub async fn workflow_answers(&self, workflow_id: i64) -> Result<Vec<app::workflows::AnswerView>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(
                sqlx::query_as("SELECT id, question, answer FROM workflow_answers WHERE workflow_id = $1 ORDER BY id")
                    .bind(workflow_id)
                    .fetch_all(read)
                    .await?,
            )
        })
    }

    pub async fn delete_workflow_answer(&self, workflow_id: i64, answer_id: i64) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            let done = sqlx::query("DELETE FROM workflow_answers WHERE id = $2 AND workflow_id = $1")
                .bind(workflow_id)
                .bind(answer_id)
                .execute(write)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
    }

    /// Saves a workflow's settings. `api_key`: `None` keeps the stored key, `Some("")`
    /// removes it, anything else replaces it.
    pub async fn update_workflow(
        &self,
        s: &app::workflows::WorkflowSettings,
        api_key: Option<&str>,
    ) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query(
            "UPDATE workflows SET name = $2, live_routing = $3, handoff_mode = $4, escalation_threshold = $5,
                escalate_on_frustration = $6, handoff_message = $7, greeting = $8, fallback_answer = $9, routing_mode = $10,
                accept_timeout_secs = $11, requires_qualification = $12, ai_provider = $13, openai_base_url = $14,
                openai_model = $15, ai_timeout_secs = $16,
                openai_api_key = CASE WHEN $17 IS NULL THEN openai_api_key WHEN $17 = '' THEN NULL ELSE $17 END,
                practice_script = $18, route_on_arrival = $19, silent_handoff = $20, handoff_triggers = $21,
                reassign_after_secs = $22, alert_after_secs = $23
             WHERE id = $1",
        )
        .bind(s.id)
        .bind(&s.name)
        .bind(s.live_routing)
        .bind(&s.handoff_mode)
        .bind(s.escalation_threshold)
        .bind(s.escalate_on_frustration)
        .bind(&s.handoff_message)
        .bind(&s.greeting)
        .bind(&s.fallback_answer)
        .bind(&s.routing_mode)
        .bind(s.accept_timeout_secs)
        .bind(s.requires_qualification)
        .bind(&s.ai_provider)
        .bind(&s.openai_base_url)
        .bind(&s.openai_model)
        .bind(s.ai_timeout_secs)
        .bind(self.sealed_key(api_key)?)
        .bind(&s.practice_script)
        .bind(s.route_on_arrival)
        .bind(s.silent_handoff)
        .bind(&s.handoff_triggers)
        .bind(s.reassign_after_secs)
        .bind(s.alert_after_secs)
        .execute(write)
        .await
        .map_err(unique_as(unique::WORKFLOW_NAME))?;
            Ok(())
        })
    }

    /// Sets how a workflow routes to people.
    pub async fn set_workflow_routing(
        &self,
        workflow_id: i64,
        live_routing: bool,
        mode: &str,
        accept_timeout_secs: i64,
    ) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query(
                "UPDATE workflows SET live_routing = $2, routing_mode = $3, accept_timeout_secs = $4 WHERE id = $1",
            )
            .bind(workflow_id)
            .bind(live_routing)
            .bind(mode)
            .bind(accept_timeout_secs)
            .execute(write)
            .await?;
            Ok(())
        })
    }

    pub async fn add_workflow_answer(&self, workflow_id: i64, question: &str, answer: &str) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query("INSERT INTO workflow_answers (workflow_id, question, answer) VALUES ($1, $2, $3)")
                .bind(workflow_id)
                .bind(question)
                .bind(answer)
                .execute(write)
                .await?;
            Ok(())
        })
    }

    /// Sets how a workflow hands off and which provider answers for it.
    pub async fn set_workflow_handoff(
        &self,
        workflow_id: i64,
        mode: &str,
        threshold: i64,
        message: &str,
    ) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query(
                "UPDATE workflows SET handoff_mode = $2, escalation_threshold = $3, handoff_message = $4 WHERE id = $1",
            )
            .bind(workflow_id)
            .bind(mode)
            .bind(threshold)
            .bind(message)
            .execute(write)
            .await?;
            Ok(())
        })
    }

    pub async fn set_workflow_provider(
        &self,
        workflow_id: i64,
        provider: &str,
        base_url: Option<&str>,
        model: Option<&str>,
        api_key: Option<&str>,
        timeout_secs: i64,
    ) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query(
            "UPDATE workflows SET ai_provider = $2, openai_base_url = $3, openai_model = $4, openai_api_key = $5, ai_timeout_secs = $6
             WHERE id = $1",
        )
        .bind(workflow_id)
        .bind(provider)
        .bind(base_url)
        .bind(model)
        .bind(self.sealed_key(api_key)?)
        .bind(timeout_secs)
        .execute(write)
        .await?;
            Ok(())
        })
    }
}
