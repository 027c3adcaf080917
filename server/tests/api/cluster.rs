//! Several `switchboard serve` processes on one PostgreSQL database, killed, frozen and stopped
//! the way machines fail (SCALE-OUT.md §6.2): routing's lead moves to a surviving node, which
//! carries on from the database; a dead node's operators go offline. Each scenario runs on both
//! buses, in the PostgreSQL pass, with short timers (a beat of 100 ms, dead after a second).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use app::events::{OperatorCommand, OperatorEvent, SenderKind};
use app::live::OperatorStatus;
use sqlx::Connection;

use crate::handoff::{escalate, from};
use crate::helpers::*;
use crate::nodes::{on_each_bus, Bus};
use crate::process::{serve_with, switchboard, Served};
use crate::sockets::*;

const AGENT2: &str = "agent2@demo.switchboard.test";

/// What every node logs: enough of the cluster's own log to see who leads.
const LOG: &str = "warn,server::cluster=info,server::routing=info";
/// The short timers of these tests.
const FAST: [(&str, &str); 2] = [
    ("SWITCHBOARD_CLUSTER_BEAT_MS", "100"),
    ("SWITCHBOARD_CLUSTER_DEAD_AFTER_MS", "1000"),
];

struct Node {
    served: Served,
    log: PathBuf,
}

impl Node {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the node's log has said `what` `times` times in all.
    async fn says(&self, what: &str, times: usize) {
        eventually(&format!("the node to log “{what}”"), WAIT, || async {
            (self.log().matches(what).count() >= times).then_some(())
        })
        .await
    }
}

/// Nodes of one Switchboard on one database: a data directory (the demo seeded in it, live
/// routing on, offers held 30 s, operators gone after a second) and the settings they share.
struct Nodes {
    dir: tempfile::TempDir,
    settings: Vec<(&'static str, String)>,
    started: usize,
}

impl Nodes {
    async fn new(bus: Bus, timers: &[(&'static str, &'static str)]) -> Option<Nodes> {
        if !on_postgres() {
            eprintln!("several nodes share a PostgreSQL database: this runs in the PostgreSQL pass");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let seeded = switchboard(dir.path(), &["seed-demo"]).output().unwrap();
        assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
        let mut db = connect_to(dir.path()).await;
        sqlx::query("UPDATE workflows SET live_routing = TRUE, routing_mode = 'assigned', accept_timeout_secs = 30")
            .execute(&mut db)
            .await
            .unwrap();
        sqlx::query("UPDATE workspaces SET disconnect_timeout_secs = 1")
            .execute(&mut db)
            .await
            .unwrap();
        db.close().await.unwrap();
        let mut settings: Vec<(&'static str, String)> = vec![("SWITCHBOARD_LOG", LOG.into())];
        settings.extend(timers.iter().map(|(k, v)| (*k, v.to_string())));
        match bus {
            Bus::Postgres => settings.push(("SWITCHBOARD_BUS", "postgres".into())),
            Bus::Nats => {
                settings.push(("SWITCHBOARD_BUS", "nats".into()));
                settings.push(("SWITCHBOARD_NATS_URL", crate::nats::url().into()));
            }
        }
        Some(Nodes {
            dir,
            settings,
            started: 0,
        })
    }

    fn start(&mut self) -> Node {
        self.started += 1;
        let log = self.dir.path().join(format!("node-{}.log", self.started));
        let settings: Vec<(&str, &str)> = self.settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Node {
            served: serve_with(self.dir.path(), &log, &settings),
            log,
        }
    }

    /// A first node that leads, and a second that follows.
    async fn leader_and_follower(&mut self) -> (Node, Node) {
        let leader = self.start();
        leader.says("this node leads routing", 1).await;
        let follower = self.start();
        (leader, follower)
    }

    /// The routing lead's term, as the database has it.
    async fn term(&self) -> i64 {
        let mut db = connect_to(self.dir.path()).await;
        let term: i64 = sqlx::query_scalar("SELECT term FROM router_lease WHERE id = 1")
            .fetch_one(&mut db)
            .await
            .unwrap();
        db.close().await.unwrap();
        term
    }

    /// Runs a statement on the nodes' database.
    async fn sql(&self, statement: &str) {
        let mut db = connect_to(self.dir.path()).await;
        sqlx::query(statement).execute(&mut db).await.unwrap();
        db.close().await.unwrap();
    }

    /// The number a `SELECT COUNT(*) …` gives (0 when it gives no row).
    async fn count(&self, query: &str) -> i64 {
        let mut db = connect_to(self.dir.path()).await;
        let n: Option<i64> = sqlx::query_scalar(query).fetch_optional(&mut db).await.unwrap();
        db.close().await.unwrap();
        n.unwrap_or(0)
    }

    /// The member's id.
    async fn member(&self, email: &str) -> i64 {
        let mut db = connect_to(self.dir.path()).await;
        let id: i64 = sqlx::query_scalar("SELECT id FROM members WHERE email = $1")
            .bind(email)
            .fetch_one(&mut db)
            .await
            .unwrap();
        db.close().await.unwrap();
        id
    }

    /// Waits until the leader has saved `email` as live (what the next leader carries on from).
    async fn saved_live(&self, email: &str) {
        let member = self.member(email).await;
        let query = format!("SELECT COUNT(*) FROM operator_presence WHERE member_id = {member} AND live_ids <> '[]'");
        eventually("the operator's presence to be saved", WAIT, || async {
            (self.count(&query).await == 1).then_some(())
        })
        .await
    }

    /// Ava accepts the conversation's offer, which she was shown once in all, and holds it.
    async fn accepted_once(&self, ava: &mut OperatorSocket, conversation: i64, nodes: &[&Node]) {
        let seen = accept_offer(ava, conversation).await;
        assert_eq!(offers_of(&seen, conversation), 1, "{seen:#?}");
        self.assert_held_by(conversation, AGENT, nodes).await;
    }

    /// Asserts that `member` holds the conversation, showing the nodes' logs when not.
    async fn assert_held_by(&self, conversation: i64, email: &str, nodes: &[&Node]) {
        let held = self.holder(conversation).await;
        let expected = ("active".to_string(), Some(self.member(email).await));
        if held != expected {
            let logs: Vec<String> = nodes.iter().map(|n| n.log()).collect();
            panic!(
                "conversation {conversation} is {held:?}, not {expected:?}; the nodes' logs:\n{}",
                logs.join("\n---\n")
            );
        }
    }

    /// The conversation's status and assignee's id, as the database has them.
    async fn holder(&self, conversation: i64) -> (String, Option<i64>) {
        let mut db = connect_to(self.dir.path()).await;
        let row: (String, Option<i64>) = sqlx::query_as("SELECT status, assignee_id FROM conversations WHERE id = $1")
            .bind(conversation)
            .fetch_one(&mut db)
            .await
            .unwrap();
        db.close().await.unwrap();
        row
    }
}

/// Connects `email` to `node` and takes them live on the demo workflow.
async fn live_on(node: &Served, email: &str) -> OperatorSocket {
    let mut op = node.operator(email).await;
    let workflow = op
        .wait_for("the workflows one may go live on", |e| match e {
            OperatorEvent::Presence { presence } => presence.available_workflows.first().map(|w| w.id),
            _ => None,
        })
        .await;
    crate::routing::go_live(&mut op, workflow).await;
    op
}

/// Waits for an offer of `conversation`, accepts it, and returns every event seen until the
/// operator's console answered a ping after that (to count offers).
async fn accept_offer(op: &mut OperatorSocket, conversation: i64) -> Vec<OperatorEvent> {
    let mut seen = offered(op, conversation).await;
    seen.extend(accept(op, conversation).await);
    seen
}

/// Waits for an offer of `conversation`; returns every event seen until then.
async fn offered(op: &mut OperatorSocket, conversation: i64) -> Vec<OperatorEvent> {
    let mut seen = Vec::new();
    op.wait_for("the offer", |e| {
        seen.push(e.clone());
        matches!(e, OperatorEvent::Offer { offer } if offer.conversation.id == conversation).then_some(())
    })
    .await;
    seen
}

/// Accepts the offer of `conversation`; returns every event seen until the console answered a
/// ping after the offer closed.
async fn accept(op: &mut OperatorSocket, conversation: i64) -> Vec<OperatorEvent> {
    let mut seen = Vec::new();
    op.send(&OperatorCommand::Accept {
        conversation_id: conversation,
    })
    .await;
    op.wait_for("the offer to close", |e| {
        seen.push(e.clone());
        if let OperatorEvent::Error { message, .. } = e {
            panic!("the accept was refused: {message}");
        }
        matches!(e, OperatorEvent::OfferClosed { .. }).then_some(())
    })
    .await;
    op.send(&OperatorCommand::Ping).await;
    op.wait_for("the console to answer", |e| {
        seen.push(e.clone());
        matches!(e, OperatorEvent::Pong).then_some(())
    })
    .await;
    seen
}

fn offers_of(seen: &[OperatorEvent], conversation: i64) -> usize {
    seen.iter()
        .filter(|e| matches!(e, OperatorEvent::Offer { offer } if offer.conversation.id == conversation))
        .count()
}

on_each_bus!(
    an_operator_on_the_follower_is_offered_a_conversation_and_takes_it,
    conversations_started_on_both_nodes_at_once_are_each_offered_and_assigned_once,
    a_customer_whose_node_dies_resumes_on_another_with_every_reply,
    after_every_node_restarts_the_lead_is_taken_at_the_next_term_and_dead_nodes_are_forgotten,
    when_the_leader_is_killed_another_node_leads_and_routes_from_the_database,
    a_frozen_leader_is_replaced_and_steps_down_when_it_wakes,
    a_node_that_dies_takes_its_operators_offline_for_everyone,
    a_leader_that_stops_hands_the_lead_over_at_once,
    an_offer_outlives_the_leader_that_made_it,
);

/// Routing runs on the leader; the operator's console and the customer's chat are both on the
/// other node, so everything routing hears and says crosses the bus.
async fn an_operator_on_the_follower_is_offered_a_conversation_and_takes_it(bus: Bus) {
    let Some(mut nodes) = Nodes::new(bus, &FAST).await else {
        return;
    };
    let (leader, follower) = nodes.leader_and_follower().await;
    let mut ava = live_on(&follower.served, AGENT).await;
    let mut v = follower.served.visitor().await;
    let conversation = escalate(&mut v).await;
    nodes.accepted_once(&mut ava, conversation, &[&leader, &follower]).await;
    ava.say(conversation, "Hello, Ava here", "ava-1", false).await;
    let reply = v.wait_for("Ava's reply", from(SenderKind::Operator)).await;
    assert_eq!(reply.body, "Hello, Ava here");
}

/// SIGKILL of the leader: the other node takes the lead at the next term, carries on with the
/// operators' presence as the dead leader saved it, and routes a new escalation.
async fn when_the_leader_is_killed_another_node_leads_and_routes_from_the_database(bus: Bus) {
    let Some(mut nodes) = Nodes::new(bus, &FAST).await else {
        return;
    };
    let (leader, follower) = nodes.leader_and_follower().await;
    let mut ava = live_on(&follower.served, AGENT).await;
    nodes.saved_live(AGENT).await;
    let term = nodes.term().await;
    drop(leader); // SIGKILL
    follower.says("this node leads routing", 1).await;
    assert_eq!(nodes.term().await, term + 1, "one new term");
    let mut v = follower.served.visitor().await;
    let conversation = escalate(&mut v).await;
    nodes.accepted_once(&mut ava, conversation, &[&follower]).await;
}

/// An offer outlives the leader that made it: the next leader carries it on (the same operator,
/// the time it had left) rather than offering the conversation again, and the operator accepts it.
async fn an_offer_outlives_the_leader_that_made_it(bus: Bus) {
    let Some(mut nodes) = Nodes::new(bus, &FAST).await else {
        return;
    };
    let (leader, follower) = nodes.leader_and_follower().await;
    let mut ava = live_on(&follower.served, AGENT).await;
    let mut v = follower.served.visitor().await;
    let conversation = escalate(&mut v).await;
    let mut seen = offered(&mut ava, conversation).await;
    nodes.saved_live(AGENT).await;
    drop(leader); // SIGKILL
    follower.says("an open offer carried on", 1).await;
    seen.extend(accept(&mut ava, conversation).await);
    assert_eq!(offers_of(&seen, conversation), 1, "offered once in all: {seen:#?}");
    nodes.assert_held_by(conversation, AGENT, &[&follower]).await;
}

/// Routing's writes are fenced by the leader's term. A leader whose term has passed without its
/// knowing (as a frozen one's has, before its next look at the lease) makes no offer: the write
/// is refused, the node gives up the lead at once, and the next leader offers the conversation,
/// once. The beat here is long, so only the refused write can tell the old leader in time.
#[tokio::test]
async fn a_leader_whose_term_has_passed_makes_no_offer() {
    let slow = [
        ("SWITCHBOARD_CLUSTER_BEAT_MS", "30000"),
        ("SWITCHBOARD_CLUSTER_DEAD_AFTER_MS", "90000"),
    ];
    let Some(mut nodes) = Nodes::new(Bus::Postgres, &slow).await else {
        return;
    };
    let (leader, follower) = nodes.leader_and_follower().await;
    let mut ava = live_on(&follower.served, AGENT).await;
    let term = nodes.term().await;
    // Another term begins behind the leader's back.
    nodes.sql("UPDATE router_lease SET term = term + 1").await;
    let mut v = follower.served.visitor().await;
    let conversation = escalate(&mut v).await;
    leader.says("offer not made: another node's term has begun", 1).await;
    leader.says("stale term, stepping down", 1).await;
    follower.says("this node leads routing", 1).await;
    nodes.accepted_once(&mut ava, conversation, &[&leader, &follower]).await;
    assert_eq!(
        nodes.term().await,
        term + 2,
        "the bump behind its back, then the follower's"
    );
}

/// SIGSTOP of the leader for longer than a node may be silent: the other node takes the lead
/// (the frozen one's connection ends when idle that long); woken with SIGCONT, the old leader
/// finds it lost the lead and steps down, and an escalation is offered once.
async fn a_frozen_leader_is_replaced_and_steps_down_when_it_wakes(bus: Bus) {
    let Some(mut nodes) = Nodes::new(bus, &FAST).await else {
        return;
    };
    let (leader, follower) = nodes.leader_and_follower().await;
    let mut ava = live_on(&follower.served, AGENT).await;
    let term = nodes.term().await;
    leader.served.signal("STOP");
    follower.says("this node leads routing", 1).await;
    assert_eq!(nodes.term().await, term + 1);
    leader.served.signal("CONT");
    leader.says("stepping down", 1).await;
    // A customer on the woken node is routed by the new leader, once.
    let mut v = leader.served.visitor().await;
    let conversation = escalate(&mut v).await;
    nodes.accepted_once(&mut ava, conversation, &[&leader, &follower]).await;
    assert_eq!(
        nodes.term().await,
        term + 1,
        "the woken node did not take the lead back"
    );
}

/// SIGKILL of the node an operator is connected to: their socket closes with no word to the
/// leader, which finds the node silent, counts the socket closed, and after the workspace's
/// timeout (a second here) shows them offline on the supervisors' live board.
async fn a_node_that_dies_takes_its_operators_offline_for_everyone(bus: Bus) {
    let Some(mut nodes) = Nodes::new(bus, &FAST).await else {
        return;
    };
    let (leader, follower) = nodes.leader_and_follower().await;
    let ava_id = nodes.member(AGENT).await;
    let mut boss = leader.served.operator(SUPERVISOR).await;
    let _ava = live_on(&follower.served, AGENT).await;
    boss.wait_for("Ava live on the board", |e| match e {
        OperatorEvent::Board { board } => board
            .operators
            .iter()
            .any(|o| o.member_id == ava_id && o.connected && o.status == OperatorStatus::Online)
            .then_some(()),
        _ => None,
    })
    .await;
    drop(follower); // SIGKILL
    boss.wait_for("Ava offline on the board", |e| match e {
        OperatorEvent::Board { board } => board
            .operators
            .iter()
            .any(|o| o.member_id == ava_id && !o.connected && o.status == OperatorStatus::Offline)
            .then_some(()),
        _ => None,
    })
    .await;
    leader.says("a node stopped beating", 1).await;
}

/// SIGTERM of the leader: it gives the lead up first thing, while it still lets its open
/// requests finish (one here is still sending its body, which keeps the process up to ten
/// seconds), and the other node leads before the old leader's process has even ended.
async fn a_leader_that_stops_hands_the_lead_over_at_once(bus: Bus) {
    use tokio::io::AsyncWriteExt;
    let Some(mut nodes) = Nodes::new(bus, &FAST).await else {
        return;
    };
    let (mut leader, follower) = nodes.leader_and_follower().await;
    let host = leader.served.base.trim_start_matches("http://").to_string();
    let mut unfinished = tokio::net::TcpStream::connect(&host).await.unwrap();
    // A sign-in whose body never finishes arriving.
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=",
        <app::auth::SignIn as leptos::server_fn::ServerFn>::PATH
    );
    unfinished.write_all(head.as_bytes()).await.unwrap();
    let term = nodes.term().await;
    leader.served.signal("TERM");
    leader.says("gave up the routing lead on leaving", 1).await;
    follower.says("this node leads routing", 1).await;
    assert_eq!(nodes.term().await, term + 1);
    assert!(
        leader.served.child.try_wait().unwrap().is_none(),
        "the lead moved while the old leader was still finishing its requests"
    );
}

/// Many customers escalate at once, half through each node, while an operator on each node
/// accepts every offer: every conversation is offered once and assigned once, never to two
/// operators (one router decides, whichever node the customer or the operator is on).
async fn conversations_started_on_both_nodes_at_once_are_each_offered_and_assigned_once(bus: Bus) {
    const EACH: usize = 100;
    let Some(mut nodes) = Nodes::new(bus, &FAST).await else {
        return;
    };
    nodes
        .settings
        .push(("SWITCHBOARD_CHAT_STARTS_PER_MINUTE", "1000".into()));
    nodes.sql("UPDATE workspaces SET default_chat_limit = 500").await;
    let (leader, follower) = nodes.leader_and_follower().await;
    let offers: Arc<Mutex<HashMap<i64, Vec<&'static str>>>> = Arc::default();
    let done = Arc::new(tokio::sync::Notify::new());
    let mut accepting = Vec::new();
    for (node, email, name) in [(&leader, AGENT, "Ava"), (&follower, AGENT2, "Ben")] {
        let mut op = live_on(&node.served, email).await;
        let (offers, done) = (offers.clone(), done.clone());
        accepting.push(tokio::spawn(async move {
            loop {
                let event = tokio::select! {
                    e = op.next_within(WAIT) => e,
                    _ = done.notified() => return,
                };
                if let Some(OperatorEvent::Offer { offer }) = event {
                    let id = offer.conversation.id;
                    offers.lock().unwrap().entry(id).or_default().push(name);
                    op.send(&OperatorCommand::Accept { conversation_id: id }).await;
                }
            }
        }));
    }
    let customers = (0..EACH * 2).map(|i| {
        let served = if i % 2 == 0 { &leader.served } else { &follower.served };
        async move {
            let mut v = served.visitor().await;
            escalate(&mut v).await
        }
    });
    let conversations: Vec<i64> = futures_util::future::join_all(customers).await;
    let all = conversations.len() as i64;
    let held = eventually("every conversation assigned", WAIT * 6, || async {
        let held = nodes
            .count("SELECT COUNT(*) FROM conversations WHERE status = 'active' AND assignee_id IS NOT NULL")
            .await;
        (held == all).then_some(held)
    })
    .await;
    done.notify_waiters();
    for task in accepting {
        task.abort();
    }
    assert_eq!(held, all);
    let offers = offers.lock().unwrap().clone();
    for id in &conversations {
        assert_eq!(
            offers.get(id).map(Vec::len),
            Some(1),
            "conversation {id} was offered {:?}",
            offers.get(id)
        );
    }
    // One operator session each: nobody took a conversation another already had.
    assert_eq!(
        nodes
            .count("SELECT COUNT(*) FROM operator_sessions GROUP BY conversation_id HAVING COUNT(*) > 1")
            .await,
        0
    );
}

/// The customer's node dies (SIGKILL) while the operator on the other node answers five times;
/// the customer's chat reconnects to the other node and gets exactly those five, in order,
/// and the conversation stays with the operator.
async fn a_customer_whose_node_dies_resumes_on_another_with_every_reply(bus: Bus) {
    let Some(mut nodes) = Nodes::new(bus, &FAST).await else {
        return;
    };
    let (leader, follower) = nodes.leader_and_follower().await;
    let mut ava = live_on(&leader.served, AGENT).await;
    let token = follower.served.visitor_token().await;
    let mut v = follower.served.resume(&token, 0).await;
    let conversation = escalate(&mut v).await;
    accept_offer(&mut ava, conversation).await;
    let joined = v.wait_for("the operator joining", from(SenderKind::System)).await;
    drop(v);
    drop(follower); // SIGKILL
    ava.watch(conversation).await;
    for i in 1..=5 {
        ava.say(conversation, &format!("Answer {i}"), &format!("ans-{i}"), false)
            .await;
    }
    ava.wait_for("the fifth answer stored", |e| match e {
        OperatorEvent::Message { message } if message.body == "Answer 5" => Some(()),
        _ => None,
    })
    .await;
    let mut v = leader.served.resume(&token, joined.seq).await;
    let mut got = Vec::new();
    while got.len() < 5 {
        let m = v.wait_for("the answers", from(SenderKind::Operator)).await;
        got.push((m.seq, m.body));
    }
    let bodies: Vec<&str> = got.iter().map(|(_, b)| b.as_str()).collect();
    assert_eq!(bodies, ["Answer 1", "Answer 2", "Answer 3", "Answer 4", "Answer 5"]);
    assert!(got.windows(2).all(|w| w[0].0 < w[1].0), "in order: {got:?}");
    nodes.assert_held_by(conversation, AGENT, &[&leader]).await;
}

/// Every node stops at once (SIGKILL) and new ones start on the same database: one of them
/// leads at the very next term, and the dead nodes' rows are swept.
async fn after_every_node_restarts_the_lead_is_taken_at_the_next_term_and_dead_nodes_are_forgotten(bus: Bus) {
    let Some(mut nodes) = Nodes::new(bus, &FAST).await else {
        return;
    };
    let (leader, follower) = nodes.leader_and_follower().await;
    let term = nodes.term().await;
    // The follower first: killed second, it could take the lead for the moment it outlives
    // the leader.
    drop((follower, leader));
    let (leader, _follower) = nodes.leader_and_follower().await;
    assert_eq!(nodes.term().await, term + 1);
    eventually("only the new nodes alive", WAIT, || async {
        (nodes.count("SELECT COUNT(*) FROM cluster_nodes").await == 2).then_some(())
    })
    .await;
    // The new leader routes as the old one did.
    let mut ava = live_on(&leader.served, AGENT).await;
    let mut v = leader.served.visitor().await;
    let conversation = escalate(&mut v).await;
    accept_offer(&mut ava, conversation).await;
    nodes.assert_held_by(conversation, AGENT, &[&leader]).await;
}

/// The bus goes away for a while (NATS stopped; PostgreSQL's notifications cannot be held back
/// that long while the database is up, so this runs on NATS) while five customers on the
/// follower escalate: the leader hears none of it, and when the bus is back the consoles
/// reconnect (their node closed them to resume) and the leader's rescan offers every one of
/// the five to the operator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_escalated_while_the_bus_is_down_are_offered_once_it_is_back() {
    let Some(mut nodes) = Nodes::new(Bus::Nats, &FAST).await else {
        return;
    };
    let port = crate::postgres::free_port().unwrap();
    let (url, stop) = crate::nats::start(port).unwrap();
    nodes.settings.push(("SWITCHBOARD_NATS_URL", url));
    // Ava's console is away while the bus is: she stays present meanwhile.
    nodes
        .sql("UPDATE workspaces SET default_chat_limit = 10, disconnect_timeout_secs = 60")
        .await;
    let (leader, follower) = nodes.leader_and_follower().await;
    let ava = live_on(&leader.served, AGENT).await;
    stop.now();
    let mut escalated = Vec::new();
    for _ in 0..5 {
        let mut v = follower.served.visitor().await;
        escalated.push(escalate(&mut v).await);
    }
    let _back = crate::nats::start(port).unwrap();
    for node in [&leader, &follower] {
        let readyz = format!("{}/readyz", node.served.base);
        eventually("the nodes to hear each other again", WAIT, || async {
            let res = new_client().get(&readyz).send().await.ok()?;
            (res.status() == 200).then_some(())
        })
        .await;
    }
    // Ava's console connects again (as the browser does when its node closes it to resume)
    // and is offered each of them.
    drop(ava);
    let mut ava = leader.served.operator(AGENT).await;
    let mut offered = std::collections::BTreeSet::new();
    while offered.len() < escalated.len() {
        let id = ava
            .wait_for("the offers", |e| match e {
                OperatorEvent::Offer { offer } => Some(offer.conversation.id),
                _ => None,
            })
            .await;
        offered.insert(id);
    }
    assert_eq!(offered, escalated.iter().copied().collect());
}
