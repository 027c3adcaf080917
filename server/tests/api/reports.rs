//! Reports over a scenario whose figures the test works out itself from the rows it made.

use app::reports::{GetReport, Report};

use crate::handoff::{escalate, from, send};
use crate::helpers::*;
use app::events::SenderKind;

#[tokio::test]
async fn a_report_counts_and_times_what_happened_and_exports_it() {
    let app = TestApp::signed_in_as(ADMIN).await;
    // Handed over, taken, answered and resolved.
    let mut a = app.visitor().await;
    let handled = escalate(&mut a).await;
    app.take_over(handled).await.unwrap();
    let mut admin = app.operator(ADMIN).await;
    admin
        .send(&app::events::OperatorCommand::Send {
            conversation_id: handled,
            body: "Adam here, let me look.".into(),
            idempotency_key: "r1".into(),
            internal: false,
            attachments: vec![],
        })
        .await;
    a.wait_for("the reply", from(SenderKind::Operator)).await;
    // Not resolved yet: nothing to rate.
    a.send(&app::events::VisitorCommand::Rate {
        rating: 5,
        comment: String::new(),
    })
    .await;
    a.wait_for("the refusal", |e| {
        matches!(e, app::events::VisitorEvent::Error { .. }).then_some(())
    })
    .await;
    app.resolve(handled).await.unwrap();
    // Resolved: the customer is asked, rates, and is thanked; a second rating is refused.
    a.wait_for("the request to rate", |e| {
        matches!(e, app::events::VisitorEvent::RatingRequested).then_some(())
    })
    .await;
    a.send(&app::events::VisitorCommand::Rate {
        rating: 4,
        comment: "Quick and kind".into(),
    })
    .await;
    a.wait_for("the thanks", |e| {
        matches!(e, app::events::VisitorEvent::Rated { rating: 4 }).then_some(())
    })
    .await;
    a.send(&app::events::VisitorCommand::Rate {
        rating: 1,
        comment: String::new(),
    })
    .await;
    let again = a.refusal().await;
    assert!(again.contains("rated already"), "{again}");
    let noted = app
        .texts(&format!(
            "SELECT body FROM messages WHERE conversation_id = {handled} AND internal = TRUE"
        ))
        .await;
    assert!(
        noted.iter().any(|n| n.contains("★★★★☆ (4/5): “Quick and kind”")),
        "{noted:?}"
    );
    // Answered by the assistant alone.
    let mut b = app.visitor().await;
    b.send(&send("How do I reset my password?", "b1")).await;
    b.wait_for("the answer", from(SenderKind::Ai)).await;
    // Waiting for a person, nobody took it.
    let mut c = app.visitor().await;
    escalate(&mut c).await;

    let supervisor = TestApp::client_signed_in(&app, SUPERVISOR).await;
    let period = |from: &str, to: &str| GetReport {
        from: from.into(),
        to: to.into(),
    };
    let report: Report = app.run_as(&supervisor, period("", "")).await.unwrap();
    let t = &report.total;
    assert_eq!((t.conversations, t.escalated, t.handled, t.resolved), (3, 2, 1, 1));
    assert_eq!(app::reports::percent(t.escalation_rate()), "66.7%");
    assert_eq!(app::reports::percent(t.handoff_rate()), "33.3%");
    assert_eq!((t.rated, t.csat()), (1, "4.0 / 5".to_string()));
    // The times are the rows' own.
    let row = |column: &str| {
        let sql = format!("SELECT {column} FROM conversations WHERE id = {handled}");
        let app = &app;
        async move { app.count(&sql).await }
    };
    let (created, escalated, replied, resolved) = (
        row("created_at").await,
        row("escalated_at").await,
        row("first_human_reply_at").await,
        row("resolved_at").await,
    );
    assert_eq!(t.first_reply.median_ms, Some(replied - escalated));
    assert_eq!(t.resolution.median_ms, Some(resolved - created));
    let accepted = app
        .count(&format!(
            "SELECT MIN(accepted_at) FROM operator_sessions WHERE conversation_id = {handled}"
        ))
        .await;
    assert_eq!(t.queue_wait.median_ms, Some(accepted - escalated));
    // By day (all seven, today's holding all three), workflow, group and operator.
    assert_eq!(report.days.len(), 7);
    assert_eq!(report.days.last().unwrap().figures.conversations, 3);
    assert_eq!(report.days.iter().map(|d| d.figures.conversations).sum::<u32>(), 3);
    assert_eq!(report.workflows.len(), 1);
    assert_eq!(report.workflows[0].figures.conversations, 3);
    assert_eq!(
        report
            .groups
            .iter()
            .find(|g| g.label == "Frontline")
            .unwrap()
            .figures
            .conversations,
        3
    );
    assert_eq!(report.operators.len(), 1);
    assert_eq!(
        (
            report.operators[0].label.as_str(),
            report.operators[0].figures.conversations
        ),
        ("Adam Admin", 1)
    );

    // As CSV.
    let csv = supervisor
        .get(format!("{}/api/reports/export?by=workflow", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[1].starts_with("Support Assistant,3,2,66.7,1,33.3,1,"), "{text}");
    assert!(lines[1].ends_with(",1,4.00,100.0"), "{text}");
    assert!(lines[2].starts_with("Total,3,2,66.7,1,33.3,1,"), "{text}");

    // A period the test names, and words for one that is not a period.
    let today = app::time::format_date(server::store::now_ms());
    let day: Report = app.run_as(&supervisor, period(&today, &today)).await.unwrap();
    assert_eq!((day.days.len(), day.total.conversations), (1, 3));
    let refused = app.run_as(&supervisor, period("yesterday", "")).await;
    assert!(matches!(refused, Err(app::AppError::Invalid { field, .. }) if field == "From"));
}
