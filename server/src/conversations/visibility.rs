//! Which conversations a member may see, as one rule: every conversation of their workspace
//! with `conversations:read_all`; otherwise those on the workflows of their operator groups and
//! those they hold. Access checks (pages, server functions, files) and the operator socket's
//! event filter ask `Visibility::sees`; the inbox's query (`store/inbox.rs`) states the same rule
//! in SQL for listing, from the same three facts.

use app::{Me, Scope};

use crate::store::{Store, StoreError};

/// What a member may see, for filtering conversations and their events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Visibility {
    pub member_id: i64,
    /// Every conversation of the workspace (`conversations:read_all`).
    pub all: bool,
    /// The workflows of the member's operator groups.
    pub workflows: Vec<i64>,
}

impl Visibility {
    /// The member's visibility as it stands now.
    pub async fn of(store: &Store, me: &Me) -> Result<Visibility, StoreError> {
        let all = me.can(Scope::ConversationsReadAll);
        let workflows = if all {
            Vec::new()
        } else {
            store.visible_workflows(me.member_id).await?
        };
        Ok(Visibility {
            member_id: me.member_id,
            all,
            workflows,
        })
    }

    /// Whether a conversation on `workflow_id`, held by `assignee_id`, is visible (the
    /// workspace is checked by the caller: events are published per workspace).
    pub fn sees(&self, workflow_id: i64, assignee_id: Option<i64>) -> bool {
        self.all || assignee_id == Some(self.member_id) || self.workflows.contains(&workflow_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(workflows: Vec<i64>) -> Visibility {
        Visibility {
            member_id: 5,
            all: false,
            workflows,
        }
    }

    #[test]
    fn an_agent_sees_their_groups_workflows_and_what_they_hold() {
        let v = agent(vec![1, 2]);
        assert!(v.sees(1, None));
        assert!(v.sees(2, Some(9)));
        assert!(!v.sees(3, None), "another group's workflow");
        assert!(!v.sees(3, Some(9)), "held by someone else there");
        assert!(v.sees(3, Some(5)), "but what they hold, wherever it is");
    }

    #[test]
    fn read_all_sees_everything() {
        let v = Visibility {
            all: true,
            ..agent(vec![])
        };
        assert!(v.sees(42, Some(7)));
    }
}
