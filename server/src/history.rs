//! History: operator sessions as the History page lists them. Supervisors (and up) see the
//! team's; everyone else only their own, whatever they ask for.

use app::history::{HistoryPage, HistoryQuery, SessionView, OUTCOMES};
use app::service::parse_number;
use app::{AppError, Me, Scope};

use crate::store::Store;

/// Sessions a page shows.
const PAGE: i64 = 50;

pub struct History {
    store: Store,
}

impl History {
    pub fn new(store: Store) -> Self {
        History { store }
    }
}

#[async_trait::async_trait]
impl app::history::HistoryApi for History {
    async fn sessions(&self, me: &Me, q: &HistoryQuery) -> Result<HistoryPage, AppError> {
        if !me.can(Scope::OperatorRead) {
            return Err(AppError::forbidden("see the history"));
        }
        let number = |field: &str, v: &str| match v.trim() {
            "" => Ok(None),
            v => parse_number(field, v).map(Some),
        };
        let operator = if me.can(Scope::ConversationsReadAll) {
            number("Operator", &q.operator)?
        } else {
            Some(me.member_id)
        };
        let workflow = number("Workflow", &q.workflow)?;
        let before = number("Page", &q.before)?;
        let outcome = match q.outcome.trim() {
            "" => None,
            o if OUTCOMES.iter().any(|(k, _)| *k == o) => Some(o.to_string()),
            o => return Err(AppError::invalid("Outcome", format!("“{o}” is not an outcome"))),
        };
        let mut sessions: Vec<SessionView> = self
            .store
            .session_history(
                me.workspace_id,
                operator,
                workflow,
                outcome.as_deref(),
                before,
                PAGE + 1,
            )
            .await?;
        let next = if sessions.len() as i64 > PAGE {
            sessions.truncate(PAGE as usize);
            sessions.last().map(|s| s.id.to_string())
        } else {
            None
        };
        Ok(HistoryPage { sessions, next })
    }
}
