//! Operator groups: create, edit, delete, members and workflows, with clear refusals.

use app::people::{CreateGroup, DeleteGroup, GroupMember, GroupSummary, GroupWorkflow, ListGroups, UpdateGroup};
use app::{AppError, Role};

use crate::helpers::*;

async fn groups(app: &TestApp) -> Vec<GroupSummary> {
    app.run(ListGroups {}).await.unwrap()
}

fn create_group(name: &str, description: &str) -> CreateGroup {
    CreateGroup {
        name: name.into(),
        description: description.into(),
    }
}

#[tokio::test]
async fn an_admin_creates_edits_staffs_and_deletes_a_group() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let created: GroupSummary = app
        .run(create_group(" Billing ", "Invoices and refunds"))
        .await
        .unwrap();
    assert_eq!(
        (created.name.as_str(), created.description.as_deref()),
        ("Billing", Some("Invoices and refunds"))
    );
    let id = created.id;
    let ava = app.store.member_by_email(AGENT).await.unwrap().unwrap().id;
    let staffed: GroupSummary = app
        .run(GroupMember {
            id,
            member_id: ava,
            add: true,
        })
        .await
        .unwrap();
    assert_eq!(staffed.members, vec!["Ava Agent".to_string()]);
    let with_workflow: GroupSummary = app
        .run(GroupWorkflow {
            id,
            workflow_id: 1,
            assigned: true,
        })
        .await
        .unwrap();
    assert_eq!(with_workflow.workflows, vec!["Support Assistant".to_string()]);
    let renamed: GroupSummary = app
        .run(UpdateGroup {
            id,
            name: "Billing & Refunds".into(),
            description: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.description),
        ("Billing & Refunds", None)
    );
    let res = app.send(&app.client, &DeleteGroup { id }).await;
    assert_eq!(res.status(), 200);
    assert!(groups(&app).await.iter().all(|g| g.id != created.id));
    assert_eq!(app.store.audit_count(1, "group.created").await.unwrap(), 1);
    assert_eq!(app.store.audit_count(1, "group.deleted").await.unwrap(), 1);
}

#[tokio::test]
async fn bad_group_changes_are_refused_in_words_and_change_nothing() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let before = groups(&app).await;
    for (form, message) in [
        (
            create_group("Frontline", ""),
            "An operator group with that name already exists.",
        ),
        (create_group("  ", ""), "Name: must not be empty"),
    ] {
        let res = app.send(&app.client, &form).await;
        assert!(res.status().is_client_error());
        assert_eq!(result::<GroupSummary>(res).await.unwrap_err().to_string(), message);
    }
    let long = "x".repeat(81);
    let res = app.send(&app.client, &create_group(&long, "")).await;
    assert_eq!(
        result::<GroupSummary>(res).await.unwrap_err().to_string(),
        "Name: must be at most 80 characters"
    );

    // An account manager cannot handle conversations, so cannot be in a group.
    let hash = server::auth::hash_password(PASSWORD).unwrap();
    let am = app
        .store
        .create_member(
            1,
            server::store::NewMember {
                email: "am@demo.switchboard.test",
                name: "Alex Manager",
                password_hash: &hash,
                role: Role::AccountManager,
            },
        )
        .await
        .unwrap();
    let frontline = before.iter().find(|g| g.name == "Frontline").unwrap().id;
    let join = GroupMember {
        id: frontline,
        member_id: am,
        add: true,
    };
    let res = app.send(&app.client, &join).await;
    assert_eq!(res.status(), 409);
    assert_eq!(
        result::<GroupSummary>(res).await.unwrap_err(),
        AppError::Conflict(
            "Alex Manager is an Account Manager; only roles that handle conversations can be in an operator group."
                .into()
        )
    );
    assert_eq!(groups(&app).await, before, "nothing changed");
}

#[tokio::test]
async fn leaving_a_group_ends_going_live_on_its_workflows() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let mut op = app.operator(AGENT).await;
    op.send(&app::events::OperatorCommand::GoLive { workflow_ids: vec![1] })
        .await;
    op.wait_for("live", |e| {
        matches!(e, app::events::OperatorEvent::Presence { presence } if !presence.live_workflows.is_empty())
            .then_some(())
    })
    .await;
    let ava = app.store.member_by_email(AGENT).await.unwrap().unwrap().id;
    let leave = GroupMember {
        id: 1,
        member_id: ava,
        add: false,
    };
    let res = app.send(&app.client, &leave).await;
    assert_eq!(res.status(), 200);
    // What Ava may see changed: her socket closes, and the one her console opens again finds
    // her presence without the workflow.
    assert_eq!(op.closed_by_server(crate::sockets::WAIT).await.0, 1012);
    let mut op = app.operator(AGENT).await;
    let after = op
        .wait_for("presence without the workflow", |e| match e {
            app::events::OperatorEvent::Presence { presence } if presence.live_workflows.is_empty() => {
                Some(presence.clone())
            }
            _ => None,
        })
        .await;
    assert!(after.available_workflows.is_empty());
    assert_eq!(after.status, app::live::OperatorStatus::Offline);
}
