//! The Reports page's query and arithmetic over 100,000 conversations in one workspace (a
//! month of them, a third escalated, a fifth taken by an operator), on a real SQLite file with
//! the migrations' indexes. Prints a Markdown table for BENCHMARKS.md. Run:
//! `cargo bench -p server --bench reports`.

use std::time::Instant;

use app::reports::ReportsApi;
use app::{Me, Role};
use server::store::Store;
use sqlx::ConnectOptions;

const CONVERSATIONS: i64 = 100_000;
const DAYS: i64 = 30;
const RUNS: usize = 7;
const DAY_MS: i64 = 86_400_000;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.db");
    let store = Store::open(&format!("sqlite://{}", path.display())).await.unwrap();
    store.migrate().await.unwrap();
    server::demo::seed_demo(&store).await.unwrap();
    let supervisor = store
        .member_by_email("supervisor@demo.switchboard.test")
        .await
        .unwrap()
        .expect("the demo supervisor");
    let agent = store
        .member_by_email("agent1@demo.switchboard.test")
        .await
        .unwrap()
        .expect("the demo agent");
    let channel = store
        .channel_by_key(server::demo::DEMO_WEB_CHANNEL)
        .await
        .unwrap()
        .unwrap();
    let contact = store.create_visitor(&channel, "Bench visitor").await.unwrap();

    // A month of conversations, written in one transaction beside the server's store.
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .connect()
        .await
        .unwrap();
    let now = server::store::now_ms();
    let start = now - DAYS * DAY_MS;
    let seeding = Instant::now();
    sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
    let mut rng = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move |n: i64| {
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        (rng.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as i64
    };
    for i in 0..CONVERSATIONS {
        let created = start + next(DAYS * DAY_MS);
        let escalated = (next(3) == 0).then(|| created + 5_000 + next(120_000));
        let taken = escalated.filter(|_| next(5) < 3).map(|e| e + next(300_000));
        let replied = taken.map(|t| t + next(60_000));
        let resolved = (next(10) < 6).then(|| created + 60_000 + next(3_600_000));
        let status = if resolved.is_some() {
            "resolved"
        } else if taken.is_some() {
            "active"
        } else {
            "open"
        };
        let row: (i64,) = sqlx::query_as(
            "INSERT INTO conversations (workspace_id, channel_id, workflow_id, contact_id, status, handler, last_seq,
                 escalated_at, first_human_reply_at, resolved_at, last_activity_at, created_at)
             VALUES (1, $1, $2, $3, $4, $5, 3, $6, $7, $8, $9, $9) RETURNING id",
        )
        .bind(channel.id)
        .bind(channel.workflow_id)
        .bind(contact)
        .bind(status)
        .bind(if taken.is_some() { "human" } else { "ai" })
        .bind(escalated)
        .bind(replied)
        .bind(resolved)
        .bind(created)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        if let Some(taken) = taken {
            sqlx::query(
                "INSERT INTO operator_sessions (workspace_id, conversation_id, member_id, accepted_at, ended_at, outcome)
                 VALUES (1, $1, $2, $3, $4, 'completed')",
            )
            .bind(row.0)
            .bind(agent.id)
            .bind(taken)
            .bind(resolved.unwrap_or(taken + 1))
            .execute(&mut conn)
            .await
            .unwrap();
        }
        let _ = i;
    }
    sqlx::query("COMMIT").execute(&mut conn).await.unwrap();
    sqlx::query("ANALYZE").execute(&mut conn).await.unwrap();
    eprintln!(
        "seeded {CONVERSATIONS} conversations in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    let me = Me {
        member_id: supervisor.id,
        workspace_id: 1,
        workspace_name: "Acme Support".into(),
        name: "Sofia Supervisor".into(),
        email: supervisor.email.clone(),
        role: Role::Supervisor,
        token_scopes: None,
    };
    let reports = server::reports::Reports::new(store.clone());
    let today = app::time::format_date(now);
    let week_ago = app::time::format_date(now - 6 * DAY_MS);
    let month_ago = app::time::format_date(start);
    println!("| period | conversations in it | median of {RUNS} runs | slowest |");
    println!("| --- | ---: | ---: | ---: |");
    for (label, from) in [("7 days", week_ago), ("31 days (all 100,000)", month_ago)] {
        let mut times = Vec::new();
        let mut counted = 0;
        for _ in 0..RUNS {
            let t = Instant::now();
            let report = reports.report(&me, &from, &today).await.unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            counted = report.total.conversations;
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "| {label} | {counted} | {:.0} ms | {:.0} ms |",
            times[RUNS / 2],
            times[RUNS - 1]
        );
    }
}
