//! The AI assistant behind each workflow. Two providers: the built-in one answers from the
//! workflow's question/answer pairs (works offline; the default), and an OpenAI-compatible
//! chat-completions client. Escalation detection (`escalation`) works for both.

pub use app::escalation;

use std::time::Duration;

use app::events::{MessageView, SenderKind};
use serde::{Deserialize, Serialize};

use crate::store::WorkflowRecord;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AssistantError {
    #[error("the AI provider did not answer within {0} seconds")]
    Timeout(u64),
    #[error("the AI provider could not be reached: {0}")]
    Unreachable(String),
    #[error("the AI provider answered with HTTP {status}: {detail}")]
    Status { status: u16, detail: String },
    #[error("the AI provider's answer could not be read: {0}")]
    Malformed(String),
    #[error("the workflow's AI provider is not configured: {0}")]
    NotConfigured(&'static str),
}

/// Server-wide defaults for the OpenAI-compatible provider; a workflow's own settings win.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct OpenAiDefaults {
    pub base_url: Option<String>,
    pub api_key: Option<String>,
    pub model: Option<String>,
}

impl std::fmt::Debug for OpenAiDefaults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiDefaults")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "****"))
            .field("model", &self.model)
            .finish()
    }
}

impl OpenAiDefaults {
    /// Fills what the workflow leaves unset. The server-wide key goes only to the server-wide
    /// base URL: a workflow with an address of its own and no key of its own gets no key.
    pub fn apply(&self, workflow: &mut WorkflowRecord) {
        if workflow.openai_base_url.is_none() {
            workflow.openai_base_url = self.base_url.clone();
        }
        if workflow.openai_api_key.is_none() && workflow.openai_base_url == self.base_url {
            workflow.openai_api_key = self.api_key.clone();
        }
        if workflow.openai_model.is_none() {
            workflow.openai_model = self.model.clone();
        }
    }
}

/// What the assistant does with its turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// An answer for the customer.
    Text(String),
    /// The model asked for a person (its `request_human` tool): why, and the operator group
    /// it chose, if any.
    RequestHuman { reason: String, group: Option<String> },
}

/// What an answer needs to read first: how many of the conversation's latest messages, and
/// whether the workspace's groups (a chat model may name one when it asks for a person).
/// A chat model reads the thread; the built-in assistant only the visitor's last message, so
/// it reads a few messages and no groups (it answers every message: reading a hundred each
/// time was most of what a stored message cost under load).
pub struct Needs {
    pub history: i64,
    pub groups: bool,
}

pub fn needs(workflow: &WorkflowRecord) -> Needs {
    match workflow.ai_provider.as_str() {
        "openai" => Needs {
            history: 100,
            groups: true,
        },
        _ => Needs {
            history: 10,
            groups: false,
        },
    }
}

/// Answers a conversation whose history (oldest first, the visitor's last message at the end)
/// is given, as the workflow is configured. `groups`: the workspace's operator groups, which
/// an OpenAI-compatible model may name when it asks for a person.
pub async fn reply(
    http: &reqwest::Client,
    workflow: &WorkflowRecord,
    history: &[MessageView],
    groups: &[String],
) -> Result<Reply, AssistantError> {
    match workflow.ai_provider.as_str() {
        "openai" => openai_reply(http, workflow, history, groups).await,
        _ => Ok(Reply::Text(builtin_reply(workflow, history))),
    }
}

/// The `request_human` tool, offered to OpenAI-compatible models: they call it to hand the
/// conversation to a person, naming one of the workspace's groups when one fits.
pub fn request_human_tool(groups: &[String]) -> serde_json::Value {
    let mut properties = serde_json::json!({
        "reason": { "type": "string", "description": "Why a person is needed, in a sentence for the team." }
    });
    if !groups.is_empty() {
        properties["group"] = serde_json::json!({
            "type": "string",
            "enum": groups,
            "description": "The team best placed to help, when one clearly is."
        });
    }
    serde_json::json!({
        "type": "function",
        "function": {
            "name": "request_human",
            "description": "Hand the conversation to a person on the team, when the customer asks for one or you cannot help. The customer is told that a person will take over.",
            "parameters": { "type": "object", "properties": properties, "required": ["reason"] }
        }
    })
}

/// Words too common to tell questions apart.
const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "i", "my", "me", "you", "your", "is", "are", "do", "does", "can", "could", "how", "what", "when",
    "where", "why", "to", "of", "in", "on", "for", "and", "or", "it", "be", "with", "please", "there", "any", "have",
    "has", "we", "our", "this", "that", "at", "from", "would", "like", "want", "need", "get", "about", "hi", "hello",
];

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !STOP_WORDS.contains(w))
        .map(|w| w.trim_end_matches('s').to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

/// The built-in assistant: the answer whose question shares the most words with the
/// visitor's last message, or the workflow's fallback when none shares enough.
pub fn builtin_reply(workflow: &WorkflowRecord, history: &[MessageView]) -> String {
    let Some(last) = history.iter().rev().find(|m| m.sender_kind == SenderKind::Contact) else {
        return workflow.greeting.clone();
    };
    let asked = words(&last.body);
    let best = workflow
        .answers
        .iter()
        .map(|(question, answer)| {
            let q = words(question);
            let shared = q.iter().filter(|w| asked.contains(w)).count();
            let score = if q.is_empty() {
                0.0
            } else {
                shared as f64 / q.len().min(asked.len().max(1)) as f64
            };
            (score, shared, answer)
        })
        .filter(|(score, shared, _)| *shared > 0 && *score >= 0.5)
        .max_by(|a, b| {
            a.0.partial_cmp(&b.0)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.1.cmp(&b.1))
        });
    match best {
        Some((_, _, answer)) => answer.clone(),
        None => workflow.fallback_answer.clone(),
    }
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: Vec<ChatMessage>,
    tools: Vec<serde_json::Value>,
}

#[derive(Serialize, Deserialize)]
struct ChatMessage {
    role: String,
    content: String,
}

#[derive(Deserialize)]
struct ChatResponse {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: AnswerMessage,
}

/// The model's message: text, or calls of the tools it was offered.
#[derive(Deserialize)]
struct AnswerMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<ToolCall>,
}

#[derive(Deserialize)]
struct ToolCall {
    function: FunctionCall,
}

#[derive(Deserialize)]
struct FunctionCall {
    name: String,
    /// JSON, as a string.
    #[serde(default)]
    arguments: String,
}

#[derive(Deserialize)]
struct RequestHumanArguments {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    group: Option<String>,
}

/// The conversation as chat-completion messages: the visitor is `user`, the assistant
/// `assistant`, operators and visible system notices are given as context lines.
fn chat_messages(workflow: &WorkflowRecord, history: &[MessageView]) -> Vec<ChatMessage> {
    let mut system = format!(
        "You are {}, a customer support assistant. Answer briefly and politely. If you cannot help, say that the visitor can ask for a human.",
        workflow.name
    );
    if !workflow.answers.is_empty() {
        system.push_str("\nKnown answers:\n");
        for (q, a) in &workflow.answers {
            system.push_str(&format!("Q: {q}\nA: {a}\n"));
        }
    }
    let mut out = vec![ChatMessage {
        role: "system".into(),
        content: system,
    }];
    for m in history.iter().filter(|m| !m.internal) {
        let (role, content) = match m.sender_kind {
            SenderKind::Contact => ("user", m.body.clone()),
            SenderKind::Ai => ("assistant", m.body.clone()),
            SenderKind::Operator => ("assistant", format!("(human agent {}) {}", m.sender_name, m.body)),
            SenderKind::System => ("system", m.body.clone()),
        };
        out.push(ChatMessage {
            role: role.into(),
            content,
        });
    }
    out
}

async fn openai_reply(
    http: &reqwest::Client,
    workflow: &WorkflowRecord,
    history: &[MessageView],
    groups: &[String],
) -> Result<Reply, AssistantError> {
    let base = workflow
        .openai_base_url
        .as_deref()
        .ok_or(AssistantError::NotConfigured("no base URL"))?;
    let model = workflow
        .openai_model
        .as_deref()
        .ok_or(AssistantError::NotConfigured("no model"))?;
    let timeout = workflow.ai_timeout_secs.clamp(1, 300) as u64;
    let url = format!("{}/chat/completions", base.trim_end_matches('/'));
    let mut request = http.post(url).timeout(Duration::from_secs(timeout)).json(&ChatRequest {
        model,
        messages: chat_messages(workflow, history),
        tools: vec![request_human_tool(groups)],
    });
    if let Some(key) = workflow.openai_api_key.as_deref().filter(|k| !k.is_empty()) {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.map_err(|e| {
        if e.is_timeout() {
            AssistantError::Timeout(timeout)
        } else {
            AssistantError::Unreachable(e.to_string())
        }
    })?;
    let status = response.status();
    if !status.is_success() {
        let detail: String = response.text().await.unwrap_or_default().chars().take(200).collect();
        return Err(AssistantError::Status {
            status: status.as_u16(),
            detail,
        });
    }
    let body: ChatResponse = response.json().await.map_err(|e| {
        if e.is_timeout() {
            AssistantError::Timeout(timeout)
        } else {
            AssistantError::Malformed(e.to_string())
        }
    })?;
    let Some(message) = body.choices.into_iter().next().map(|c| c.message) else {
        return Err(AssistantError::Malformed("the answer had no choices".into()));
    };
    if let Some(call) = message.tool_calls.iter().find(|c| c.function.name == "request_human") {
        let args: RequestHumanArguments = serde_json::from_str(&call.function.arguments)
            .map_err(|e| AssistantError::Malformed(format!("request_human's arguments: {e}")))?;
        let group = args
            .group
            .map(|g| g.trim().to_string())
            .filter(|g| groups.iter().any(|known| known.eq_ignore_ascii_case(g)));
        let reason = args.reason.trim();
        return Ok(Reply::RequestHuman {
            reason: if reason.is_empty() {
                "no reason given".into()
            } else {
                reason.chars().take(500).collect()
            },
            group,
        });
    }
    let text = message.content.unwrap_or_default();
    let text = text.trim();
    if text.is_empty() {
        return Err(AssistantError::Malformed("the answer was empty".into()));
    }
    Ok(Reply::Text(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_wide_key_goes_only_to_the_server_wide_address() {
        let defaults = OpenAiDefaults {
            base_url: Some("https://api.openai.com/v1".into()),
            api_key: Some("sk-server".into()),
            model: Some("gpt-4o-mini".into()),
        };
        let mut plain = workflow();
        defaults.apply(&mut plain);
        assert_eq!(plain.openai_base_url.as_deref(), Some("https://api.openai.com/v1"));
        assert_eq!(plain.openai_api_key.as_deref(), Some("sk-server"));

        let mut elsewhere = workflow();
        elsewhere.openai_base_url = Some("https://collector.evil.example/v1".into());
        defaults.apply(&mut elsewhere);
        assert_eq!(
            elsewhere.openai_api_key, None,
            "no key for an address of the workflow's own"
        );

        let mut own_key = workflow();
        own_key.openai_base_url = Some("http://127.0.0.1:8080/v1".into());
        own_key.openai_api_key = Some("sk-local".into());
        defaults.apply(&mut own_key);
        assert_eq!(own_key.openai_api_key.as_deref(), Some("sk-local"));
    }

    #[test]
    fn the_request_human_tool_offers_the_workspace_s_groups() {
        let tool = request_human_tool(&["Sales".into(), "Retention".into()]);
        assert_eq!(tool["function"]["name"], "request_human");
        assert_eq!(
            tool["function"]["parameters"]["required"],
            serde_json::json!(["reason"])
        );
        assert_eq!(
            tool["function"]["parameters"]["properties"]["group"]["enum"],
            serde_json::json!(["Sales", "Retention"])
        );
        let lone = request_human_tool(&[]);
        assert!(lone["function"]["parameters"]["properties"].get("group").is_none());
    }

    pub fn workflow() -> WorkflowRecord {
        WorkflowRecord {
            id: 1,
            workspace_id: 1,
            name: "Support Assistant".into(),
            handoff_mode: app::lifecycle::HandoffMode::AutoEscalation,
            escalation_threshold: 3,
            escalate_on_frustration: true,
            handoff_message: "A human agent will be with you shortly.".into(),
            greeting: "Hi!".into(),
            fallback_answer: "I'm not sure.".into(),
            ai_provider: "builtin".into(),
            openai_base_url: None,
            openai_model: None,
            openai_api_key: None,
            ai_timeout_secs: 5,
            live_routing: true,
            routing_mode: "assigned".into(),
            accept_timeout_secs: 30,
            requires_qualification: false,
            practice_script: String::new(),
            route_on_arrival: false,
            silent_handoff: false,
            handoff_triggers: String::new(),
            reassign_after_secs: 0,
            alert_after_secs: 0,
            answers: vec![
                (
                    "How do I reset my password?".into(),
                    "Use the Forgot password link on the sign-in page.".into(),
                ),
                (
                    "What are your opening hours?".into(),
                    "We are open 9:00 to 17:00, Monday to Friday.".into(),
                ),
                (
                    "Where is my invoice?".into(),
                    "Invoices are under Billing → Invoices.".into(),
                ),
            ],
        }
    }

    fn visitor(body: &str) -> MessageView {
        MessageView {
            sender_id: None,
            attachments: vec![],
            delivery: None,
            conversation_id: 1,
            seq: 1,
            sender_kind: SenderKind::Contact,
            sender_name: "Visitor".into(),
            body: body.into(),
            internal: false,
            idempotency_key: None,
            created_at: 0,
        }
    }

    #[test]
    fn the_builtin_assistant_answers_from_the_closest_question() {
        let w = workflow();
        assert_eq!(
            builtin_reply(&w, &[visitor("I forgot my password, how can I reset it?")]),
            "Use the Forgot password link on the sign-in page."
        );
        assert_eq!(
            builtin_reply(&w, &[visitor("when are you open? opening hours?")]),
            "We are open 9:00 to 17:00, Monday to Friday."
        );
        assert_eq!(
            builtin_reply(&w, &[visitor("invoices")]),
            "Invoices are under Billing → Invoices."
        );
    }

    #[test]
    fn the_builtin_assistant_falls_back_when_nothing_matches() {
        assert_eq!(
            builtin_reply(&workflow(), &[visitor("Do you sell bicycles?")]),
            "I'm not sure."
        );
    }

    #[test]
    fn the_whole_thread_goes_to_the_chat_model_without_internal_notes() {
        let mut note = visitor("internal");
        note.internal = true;
        note.sender_kind = SenderKind::System;
        let msgs = chat_messages(&workflow(), &[visitor("hello"), note, visitor("again")]);
        assert_eq!(msgs.len(), 3);
        assert_eq!(msgs[0].role, "system");
        assert!(msgs[0].content.contains("Q: How do I reset my password?"));
        assert_eq!((msgs[1].role.as_str(), msgs[2].content.as_str()), ("user", "again"));
    }
}
