//! History: operator sessions with their outcomes, the team's for supervisors, one's own for
//! everyone else.

use app::history::{HistoryPage, ListSessions};

use crate::helpers::*;

async fn history(app: &TestApp, email: &str, filters: ListSessions) -> HistoryPage {
    let client = TestApp::client_signed_in(app, email).await;
    app.run_as(&client, filters).await.unwrap()
}

/// Every session the caller may see; set the filters a test needs with `..all()`.
fn all() -> ListSessions {
    ListSessions {
        operator: String::new(),
        workflow: String::new(),
        outcome: String::new(),
        before: String::new(),
    }
}

fn outcome(outcome: &str) -> ListSessions {
    ListSessions {
        outcome: outcome.into(),
        ..all()
    }
}

#[tokio::test]
async fn a_takeover_and_its_outcome_are_listed_for_the_team_and_for_the_operator() {
    let app = TestApp::signed_in_as(AGENT).await;
    let mut v = app.visitor().await;
    let first = crate::handoff::escalate(&mut v).await;
    app.take_over(first).await.unwrap();
    app.restore_to_ai(first).await.unwrap();
    let mut w = app.visitor().await;
    let second = crate::handoff::escalate(&mut w).await;
    app.take_over(second).await.unwrap();
    app.resolve(second).await.unwrap();
    // A resolved conversation says when and by whom.
    let resolved = app.store.conversation_summary(second).await.unwrap().unwrap();
    assert_eq!(resolved.resolved_by.as_deref(), Some("Ava Agent"));
    assert!(resolved.resolved_at.is_some());

    let team = history(&app, SUPERVISOR, all()).await;
    let outcomes: Vec<(i64, Option<String>, String)> = team
        .sessions
        .iter()
        .map(|s| (s.conversation_id, s.outcome.clone(), s.operator.clone()))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (second, Some("completed".into()), "Ava Agent".into()),
            (first, Some("returned_to_ai".into()), "Ava Agent".into()),
        ]
    );
    assert!(team
        .sessions
        .iter()
        .all(|s| s.ended_at.is_some_and(|end| end >= s.accepted_at)));
    let completed = history(&app, SUPERVISOR, outcome("completed")).await;
    assert_eq!(completed.sessions.len(), 1);
    assert_eq!(completed.sessions[0].conversation_id, second);
    let workflow = ListSessions {
        workflow: app.demo_workflow().await.to_string(),
        ..all()
    };
    assert_eq!(history(&app, SUPERVISOR, workflow).await.sessions.len(), 2);

    // The agent sees their own; the other agent, asking for the first's, sees only their own.
    assert_eq!(history(&app, AGENT, all()).await.sessions.len(), 2);
    let ava = ListSessions {
        operator: team.sessions[0].member_id.to_string(),
        ..all()
    };
    assert!(history(&app, "agent2@demo.switchboard.test", ava)
        .await
        .sessions
        .is_empty());
    let bad = TestApp::client_signed_in(&app, SUPERVISOR).await;
    let refused = app.run_as(&bad, outcome("lost")).await;
    assert!(matches!(refused, Err(app::AppError::Invalid { field, .. }) if field == "Outcome"));
}
