//! Which conversations a member may see, as one rule: every conversation of their workspace
//! with `conversations:read_all`; otherwise those on the workflows of their operator groups and
//! those they hold. Access checks (pages, server functions, files) and the operator socket's
//! event filter ask `Visibility::sees`; queries that list conversations (the inbox, a contact's
//! conversations) use `Visibility::SQL`, the same rule over the same three facts, bound as one
//! value (`Visibility::bind`). A property test holds the two forms to each other.

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

    /// Everything: for the server's own reads, which no member's rights narrow.
    pub fn everything() -> Visibility {
        Visibility {
            member_id: 0,
            all: true,
            workflows: Vec::new(),
        }
    }

    /// Whether a conversation on `workflow_id`, held by `assignee_id`, is visible (the
    /// workspace is checked by the caller: events are published per workspace).
    pub fn sees(&self, workflow_id: i64, assignee_id: Option<i64>) -> bool {
        self.all || assignee_id == Some(self.member_id) || self.workflows.contains(&workflow_id)
    }

    /// `sees` in SQL, over a conversation `c`, with `$V` the bind that carries `bind()`.
    /// Queries put it in with `Visibility::sql("$2", side::PG)`.
    const SQL: &'static str = "(json_extract($V, '$.all') = 1 OR c.assignee_id = json_extract($V, '$.member')
         OR c.workflow_id IN (SELECT value FROM json_each($V, '$.workflows')))";
    /// The same in PostgreSQL's JSON functions.
    const PG_SQL: &'static str = "(($V::jsonb->>'all')::boolean OR c.assignee_id = ($V::jsonb->>'member')::bigint
         OR c.workflow_id IN (SELECT value::bigint FROM jsonb_array_elements_text($V::jsonb->'workflows')))";

    /// The SQL form of the rule with its value at bind `placeholder` (`"$2"`).
    pub fn sql(placeholder: &str, postgres: bool) -> String {
        let sql = if postgres { Visibility::PG_SQL } else { Visibility::SQL };
        sql.replace("$V", placeholder)
    }

    /// The value the SQL form reads: the three facts as one JSON text.
    pub fn bind(&self) -> String {
        serde_json::json!({ "all": self.all, "member": self.member_id, "workflows": self.workflows }).to_string()
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

/// The SQL form of the rule against `sees`, on a real database: random operator groups (who is
/// in them, which workflows they cover) and random conversations (workflow, holder), then every
/// member's inbox listing must be exactly the conversations `sees` lets them see.
#[cfg(test)]
mod conformance {
    use proptest::prelude::*;

    use app::{Me, Role};

    use super::Visibility;
    use crate::store::{InboxFilter, Store};

    const WORKFLOWS: usize = 3;
    const GROUPS: usize = 3;

    struct World {
        runtime: tokio::runtime::Runtime,
        data: Data,
        _dir: tempfile::TempDir,
    }

    /// The workspace every case rearranges.
    struct Data {
        store: Store,
        raw: sqlx::SqlitePool,
        workspace_id: i64,
        members: Vec<(i64, Role)>,
        workflows: Vec<i64>,
        groups: Vec<i64>,
        channel_id: i64,
        contact_id: i64,
    }

    fn world() -> World {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("visibility.db").display());
        let data = runtime.block_on(async {
            let store = Store::open(&url).await.unwrap();
            store.migrate().await.unwrap();
            let crate::demo::Seeded::Created { workspace_id } = crate::demo::seed_demo(&store).await.unwrap() else {
                unreachable!("a new database")
            };
            let raw = sqlx::SqlitePool::connect(&url).await.unwrap();
            let members = store
                .list_members(workspace_id)
                .await
                .unwrap()
                .into_iter()
                .map(|m| (m.id, m.role))
                .collect();
            let mut workflows = store
                .list_workflows(workspace_id)
                .await
                .unwrap()
                .into_iter()
                .map(|w| w.id)
                .collect::<Vec<_>>();
            let mut groups = store
                .list_groups(workspace_id)
                .await
                .unwrap()
                .into_iter()
                .map(|g| g.id)
                .collect::<Vec<_>>();
            for i in workflows.len()..WORKFLOWS {
                workflows.push(
                    store
                        .create_workflow(workspace_id, &format!("Workflow {i}"))
                        .await
                        .unwrap(),
                );
            }
            for i in groups.len()..GROUPS {
                groups.push(
                    store
                        .create_group(workspace_id, &format!("Group {i}"), None)
                        .await
                        .unwrap(),
                );
            }
            let (channel_id,): (i64,) = sqlx::query_as("SELECT id FROM channels WHERE workspace_id = $1")
                .bind(workspace_id)
                .fetch_one(&raw)
                .await
                .unwrap();
            let (contact_id,): (i64,) = sqlx::query_as(
                "INSERT INTO contacts (workspace_id, name, created_at) VALUES ($1, 'Ada', 0) RETURNING id",
            )
            .bind(workspace_id)
            .fetch_one(&raw)
            .await
            .unwrap();
            Data {
                store,
                raw,
                workspace_id,
                members,
                workflows,
                groups,
                channel_id,
                contact_id,
            }
        });
        World {
            runtime,
            data,
            _dir: dir,
        }
    }

    /// Who is in which group, which workflows each group covers, and the conversations as
    /// (workflow, holder: an index into the members or none).
    type Case = (Vec<Vec<bool>>, Vec<Vec<bool>>, Vec<(usize, Option<usize>)>);

    fn case(members: usize) -> impl Strategy<Value = Case> {
        (
            prop::collection::vec(prop::collection::vec(any::<bool>(), GROUPS), members),
            prop::collection::vec(prop::collection::vec(any::<bool>(), WORKFLOWS), GROUPS),
            prop::collection::vec((0..WORKFLOWS, prop::option::of(0..members)), 0..12),
        )
    }

    /// Inserts the pair (`left[i]`, `right[j]`) into `table` wherever `chosen[i][j]`.
    async fn link(w: &Data, table: &str, left: &[i64], right: &[i64], chosen: &[Vec<bool>]) {
        for (i, row) in chosen.iter().enumerate() {
            for (j, _) in row.iter().enumerate().filter(|(_, is)| **is) {
                sqlx::query(&format!("INSERT INTO {table} VALUES ($1, $2)"))
                    .bind(left[i])
                    .bind(right[j])
                    .execute(&w.raw)
                    .await
                    .unwrap();
            }
        }
    }

    async fn set_up(w: &Data, (membership, coverage, conversations): &Case) -> Vec<(i64, i64, Option<i64>)> {
        for sql in [
            "DELETE FROM group_members",
            "DELETE FROM group_workflows",
            "DELETE FROM conversations",
        ] {
            sqlx::query(sql).execute(&w.raw).await.unwrap();
        }
        let members: Vec<i64> = w.members.iter().map(|m| m.0).collect();
        link(
            w,
            "group_members (member_id, group_id)",
            &members,
            &w.groups,
            membership,
        )
        .await;
        link(
            w,
            "group_workflows (group_id, workflow_id)",
            &w.groups,
            &w.workflows,
            coverage,
        )
        .await;
        let mut made = Vec::new();
        for (f, holder) in conversations {
            let workflow_id = w.workflows[*f];
            let assignee = holder.map(|m| w.members[m].0);
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO conversations (workspace_id, channel_id, workflow_id, contact_id, assignee_id,
                                            last_activity_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, 0, 0) RETURNING id",
            )
            .bind(w.workspace_id)
            .bind(w.channel_id)
            .bind(workflow_id)
            .bind(w.contact_id)
            .bind(assignee)
            .fetch_one(&w.raw)
            .await
            .unwrap();
            made.push((id, workflow_id, assignee));
        }
        made
    }

    #[test]
    fn every_members_inbox_lists_exactly_what_sees_allows() {
        let world = world();
        let w = &world.data;
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: 48,
            ..ProptestConfig::default()
        });
        runner
            .run(&case(w.members.len()), |case| {
                world.runtime.block_on(async {
                    let conversations = set_up(w, &case).await;
                    for &(member_id, role) in &w.members {
                        let me = Me {
                            member_id,
                            workspace_id: w.workspace_id,
                            workspace_name: String::new(),
                            name: String::new(),
                            email: String::new(),
                            role,
                            token_scopes: None,
                            managers_handle_chats: false,
                            instance_admin: false,
                            alerts: app::AlertPreferences::default(),
                        };
                        let visibility = Visibility::of(&w.store, &me).await.unwrap();
                        let mut expected: Vec<i64> = conversations
                            .iter()
                            .filter(|(_, workflow_id, assignee)| visibility.sees(*workflow_id, *assignee))
                            .map(|(id, _, _)| *id)
                            .collect();
                        let filter = InboxFilter {
                            visibility: visibility.clone(),
                            ..InboxFilter::workspace(w.workspace_id)
                        };
                        let mut listed: Vec<i64> = w
                            .store
                            .summaries(&filter, 100)
                            .await
                            .unwrap()
                            .into_iter()
                            .map(|s| s.id)
                            .collect();
                        expected.sort_unstable();
                        listed.sort_unstable();
                        prop_assert_eq!(listed, expected, "{:?} as {:?}", role, visibility);
                    }
                    Ok(())
                })
            })
            .unwrap();
    }
}
