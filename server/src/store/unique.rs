//! The uniqueness rules a person can break by what they type, each matched by the name of the
//! constraint that holds it, so a conflict is told in words only when it is that rule.
//!
//! PostgreSQL names the violated constraint; SQLite names the columns instead ("UNIQUE
//! constraint failed: members.email", or "index 'name'" for an index over expressions), so each
//! rule carries both. Any other violation — an invitation's hash drawn twice, a message's
//! sequence number taken — is not the person's doing and stays a database error.

use super::StoreError;

/// One uniqueness constraint of the schema and how a broken one is told.
#[derive(Debug, Clone, Copy)]
pub(super) struct Unique {
    /// The constraint's or unique index's name in both schemas.
    name: &'static str,
    /// What SQLite's message names after "UNIQUE constraint failed: ".
    columns: &'static str,
    /// The thing that exists already, as a sentence's subject.
    what: &'static str,
}

pub(super) const MEMBER_EMAIL: Unique =
    Unique::new("members_email_key", "members.email", "A team member with that email");
pub(super) const WORKFLOW_NAME: Unique = Unique::new(
    "workflows_name_key",
    "workflows.workspace_id, workflows.name",
    "A workflow with that name",
);
pub(super) const GROUP_NAME: Unique = Unique::new(
    "operator_groups_name_key",
    "operator_groups.workspace_id, operator_groups.name",
    "An operator group with that name",
);
pub(super) const GROUP_MEMBER: Unique = Unique::new(
    "group_members_pkey",
    "group_members.group_id, group_members.member_id",
    "That group membership",
);
pub(super) const GROUP_WORKFLOW: Unique = Unique::new(
    "group_workflows_pkey",
    "group_workflows.group_id, group_workflows.workflow_id",
    "That workflow assignment",
);
pub(super) const CATEGORY_NAME: Unique = Unique::new(
    "categories_name_key",
    "categories.workspace_id, categories.name",
    "A category with that name",
);
pub(super) const CANNED_SHORTCUT: Unique = Unique::new(
    "canned_responses_shortcut_key",
    "index 'canned_responses_shortcut_key'",
    "A canned response with that shortcut",
);
pub(super) const CHANNEL_KEY: Unique = Unique::new(
    "channels_public_key_key",
    "channels.public_key",
    "A channel with that key",
);
pub(super) const OPEN_PRACTICE_RUN: Unique = Unique::new(
    "practice_runs_one_open",
    "practice_runs.member_id, practice_runs.workflow_id",
    "An unfinished practice run on this workflow",
);

impl Unique {
    const fn new(name: &'static str, columns: &'static str, what: &'static str) -> Unique {
        Unique { name, columns, what }
    }

    /// Whether `e` is this rule broken.
    fn broken_by(&self, e: &sqlx::Error) -> bool {
        let sqlx::Error::Database(db) = e else { return false };
        if db.kind() != sqlx::error::ErrorKind::UniqueViolation {
            return false;
        }
        match db.constraint() {
            Some(name) => name == self.name,
            None => db
                .message()
                .strip_prefix("UNIQUE constraint failed: ")
                .is_some_and(|columns| columns == self.columns),
        }
    }
}

/// Turns `rule` broken into `Duplicate` in its words, leaving every other error as it is.
pub(super) fn unique_as(rule: Unique) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| {
        if rule.broken_by(&e) {
            StoreError::Duplicate { what: rule.what }
        } else {
            StoreError::Database(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::commit::tests::{agent, demo_store};
    use crate::store::Store;

    fn told(result: Result<i64, StoreError>) -> String {
        match result {
            Err(StoreError::Duplicate { what }) => what.to_string(),
            Err(other) => format!("not in words: {other}"),
            Ok(_) => "accepted".to_string(),
        }
    }

    #[tokio::test]
    async fn each_rule_is_told_in_words_when_broken_and_only_then() {
        let dir = tempfile::tempdir().unwrap();
        let (store, channel) = demo_store(&dir).await;
        let ws = channel.workspace_id;
        let member = agent(&store).await;
        let invite = |email: &'static str, hash: &'static str| {
            let store = store.clone();
            async move {
                store
                    .invite_member(ws, email, "Sam", app::Role::Agent, hash, i64::MAX)
                    .await
            }
        };

        assert_eq!(told(invite("sam@example.test", "hash-1").await), "accepted");
        assert_eq!(told(invite("sam@example.test", "hash-2").await), MEMBER_EMAIL.what);
        // The same invitation hash drawn twice is not the person's doing: an error, not words.
        let repeated = invite("kim@example.test", "hash-1").await;
        assert!(matches!(repeated, Err(StoreError::Database(_))), "{repeated:?}");

        assert_eq!(told(store.create_workflow(ws, "Billing").await), "accepted");
        assert_eq!(told(store.create_workflow(ws, "Billing").await), WORKFLOW_NAME.what);

        let group = store.create_group(ws, "Tier 2", None).await.unwrap();
        assert_eq!(told(store.create_group(ws, "Tier 2", None).await), GROUP_NAME.what);
        store.add_group_member(ws, group, member).await.unwrap();
        let again = store.add_group_member(ws, group, member).await;
        assert!(matches!(again, Err(StoreError::Duplicate { what }) if what == GROUP_MEMBER.what));
        store.add_group_workflow(ws, group, channel.workflow_id).await.unwrap();
        let again = store.add_group_workflow(ws, group, channel.workflow_id).await;
        assert!(matches!(again, Err(StoreError::Duplicate { what }) if what == GROUP_WORKFLOW.what));

        assert_eq!(told(store.create_category(ws, "Refunds").await), "accepted");
        assert_eq!(told(store.create_category(ws, "Refunds").await), CATEGORY_NAME.what);

        let canned = |shortcut: &'static str| {
            let store = store.clone();
            async move {
                store
                    .create_canned(ws, None, None, shortcut, "Hi", "Hello", member)
                    .await
            }
        };
        assert_eq!(told(canned("hi").await), "accepted");
        assert_eq!(told(canned("hi").await), CANNED_SHORTCUT.what);

        let key = channel.public_key.as_str();
        let another = store
            .create_channel(ws, channel.workflow_id, "web", "Site", "#0f766e", key)
            .await;
        assert_eq!(told(another), CHANNEL_KEY.what);

        let run = |store: Store| async move {
            store
                .start_practice_run(ws, channel.workflow_id, member, "refund", "Hello?")
                .await
        };
        assert_eq!(told(run(store.clone()).await), "accepted");
        assert_eq!(told(run(store.clone()).await), OPEN_PRACTICE_RUN.what);
    }
}
