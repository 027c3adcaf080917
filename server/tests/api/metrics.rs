//! `/metrics` parses as Prometheus text and moves when messages flow. The counters are the
//! process's (tests share it), so the checks are on growth, never on exact totals.

use std::collections::BTreeMap;
use std::time::Duration;

use app::events::{SenderKind, VisitorCommand, VisitorEvent};

use crate::helpers::*;

const TOKEN: &str = "a metrics token long enough";

/// Every sample of the exposition, `name{labels}` → value; panics on a line that is not
/// Prometheus text.
async fn scrape(app: &TestApp) -> BTreeMap<String, f64> {
    let text = app.text_of("/metrics", Some(TOKEN)).await;
    let mut samples = BTreeMap::new();
    let mut typed = std::collections::BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("a TYPE line names a type");
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            typed.insert(name.to_string());
            continue;
        }
        if line.starts_with("# HELP ") || line.is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {line}"));
        let name = series.split('{').next().unwrap();
        // A histogram's samples are its name with _bucket, _sum and _count.
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix).filter(|f| typed.contains(*f)))
            .unwrap_or(name);
        assert!(typed.contains(family), "{name} has no TYPE line");
        if let Some(labels) = series.strip_prefix(name) {
            assert!(
                labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')),
                "{line}"
            );
        }
        samples.insert(
            series.to_string(),
            value.parse::<f64>().unwrap_or_else(|_| panic!("{line}")),
        );
    }
    samples
}

fn get(samples: &BTreeMap<String, f64>, series: &str) -> f64 {
    samples.get(series).copied().unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_may_have_an_address_of_their_own() {
    // Without a token: served there, not on the main address.
    let app = spawn_app_with(&[("SWITCHBOARD_METRICS_LISTEN", "127.0.0.1:0")]).await;
    let own = app.metrics_base.clone().expect("an address of its own");
    let res = new_client().get(format!("{own}/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("switchboard_messages_stored"));
    let main = new_client().get(format!("{}/metrics", app.base)).send().await.unwrap();
    assert_eq!(main.status(), 404);
    // With a token, it is asked for there too.
    let app = spawn_app_with(&[
        ("SWITCHBOARD_METRICS_LISTEN", "127.0.0.1:0"),
        ("SWITCHBOARD_METRICS_TOKEN", TOKEN),
    ])
    .await;
    let own = app.metrics_base.clone().unwrap();
    let res = new_client().get(format!("{own}/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = new_client()
        .get(format!("{own}/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_move_when_messages_flow() {
    let app = spawn_app_with(&[("SWITCHBOARD_METRICS_TOKEN", TOKEN)]).await;
    let before = scrape(&app).await;
    assert!(before.contains_key("switchboard_outbox_pending"));
    assert!(before.contains_key(r#"switchboard_sockets_open{kind="visitor"}"#));

    let mut v = app.visitor().await;
    v.send(&VisitorCommand::Send {
        body: "How do I reset my password?".into(),
        idempotency_key: "m1".into(),
        attachments: vec![],
    })
    .await;
    v.wait_for("the assistant's answer", |e| match e {
        VisitorEvent::Message { message } if message.sender_kind == SenderKind::Ai => Some(()),
        _ => None,
    })
    .await;
    let after = scrape(&app).await;
    let web = r#"switchboard_messages_received_total{channel="web"}"#;
    assert!(get(&after, web) >= get(&before, web) + 1.0, "{after:?}");
    assert!(get(&after, r#"switchboard_sockets_open{kind="visitor"}"#) >= 1.0);
    let ok_api = r#"switchboard_http_requests_total{route="api",status="200"}"#;
    assert!(
        get(&after, ok_api) >= get(&before, ok_api) + 1.0,
        "the visitor's start is counted"
    );
    assert!(get(&after, "switchboard_messages_stored") >= 2.0);
    // The visitor's message and the answer were published, and the assistant took its turn.
    let published = "switchboard_message_publish_seconds_count";
    assert!(get(&after, published) >= get(&before, published) + 2.0, "{after:?}");
    assert!(get(&after, r#"switchboard_message_publish_seconds_bucket{le="+Inf"}"#) >= get(&after, published));
    // Both reached the visitor's socket; stores waited for the writer; the pools are shown.
    let delivered = "switchboard_message_delivery_seconds_count";
    assert!(get(&after, delivered) >= get(&before, delivered) + 2.0, "{after:?}");
    let waits = "switchboard_db_write_wait_seconds_count";
    assert!(get(&after, waits) > get(&before, waits), "{after:?}");
    // Both went through the group commit: each waited for a batch, and batches were committed.
    let queued = "switchboard_commit_queue_seconds_count";
    let committed = "switchboard_commit_messages_total";
    assert!(get(&after, queued) >= get(&before, queued) + 2.0, "{after:?}");
    assert!(get(&after, committed) >= get(&before, committed) + 2.0, "{after:?}");
    let batches = "switchboard_commit_batch_seconds_count";
    assert!(get(&after, batches) > get(&before, batches), "{after:?}");
    // The visitor's text and the assistant's answer take SQLite's common path, stepped on the
    // commit task's thread; PostgreSQL has none.
    let direct = "switchboard_commit_direct_messages_total";
    if on_postgres() {
        assert_eq!(get(&after, direct), 0.0, "{after:?}");
    } else {
        assert!(get(&after, direct) >= get(&before, direct) + 2.0, "{after:?}");
    }
    if on_postgres() {
        // One pool of connections to PostgreSQL, some of them open.
        assert!(
            get(
                &after,
                r#"switchboard_db_pool_connections{pool="postgres",state="idle"}"#
            ) + get(
                &after,
                r#"switchboard_db_pool_connections{pool="postgres",state="busy"}"#
            ) >= 1.0
        );
    } else {
        // SQLite's own heap is told apart from the server's, and is part of what is allocated.
        assert!(get(&after, "switchboard_sqlite_memory_bytes") > 0.0, "{after:?}");
        assert!(
            get(&after, "switchboard_heap_allocated_bytes") > get(&after, "switchboard_sqlite_memory_bytes"),
            "{after:?}"
        );
        // SQLite's readers, and its one writer.
        assert!(after.contains_key(r#"switchboard_db_pool_connections{pool="read",state="idle"}"#));
        assert!(
            get(&after, r#"switchboard_db_pool_connections{pool="write",state="idle"}"#)
                + get(&after, r#"switchboard_db_pool_connections{pool="write",state="busy"}"#)
                == 1.0
        );
    }
    let turns = r#"switchboard_assistant_turns_total{outcome="answered"}"#;
    assert!(get(&after, turns) >= get(&before, turns) + 1.0, "{after:?}");
    // The answered turn no longer counts as one in flight (nothing is kept per conversation).
    eventually(
        "the assistant's turn to leave the replies in flight",
        Duration::from_secs(10),
        || async { (get(&scrape(&app).await, "switchboard_assistant_replies_in_flight") == 0.0).then_some(()) },
    )
    .await;
    assert!(after.contains_key(r#"switchboard_operators{status="online"}"#));
}
