//! Offers routing has open, one per conversation at most: the leader decides in memory and
//! writes each offer here before anyone is told of it, so whoever routes next carries on with
//! the offers already shown. Every write names the leader's term and is refused once another
//! term has begun (a leader frozen past its lease and woken again changes nothing).

use super::{now_ms, Store, StoreError};

dual! {}

/// An open offer as routing keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOffer {
    pub conversation_id: i64,
    pub workflow_id: i64,
    pub offered_to: Vec<i64>,
    pub passed_over: Vec<i64>,
    /// Unix ms; `None` for a pooled offer, which waits until someone accepts.
    pub expires_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct OfferRow {
    conversation_id: i64,
    workflow_id: i64,
    offered_to: String,
    passed_over: String,
    expires_at: Option<i64>,
}

fn ids(json: &str) -> Vec<i64> {
    serde_json::from_str(json).unwrap_or_default()
}

fn json(ids: &[i64]) -> String {
    serde_json::to_string(ids).expect("ids serialise")
}

/// The condition on a routing write decided in the term `$n` (`None`: one node, which nobody
/// can succeed). On PostgreSQL the lease's row is held shared until the write commits, so a
/// new leader's bump of the term waits for it and then reads what it wrote.
fn fenced(n: u8, pg: bool) -> String {
    let hold = if pg { " FOR SHARE" } else { "" };
    format!("(${n} IS NULL OR ${n} = (SELECT term FROM router_lease WHERE id = 1{hold}))")
}

impl Store {
    /// Writes the conversation's open offer as decided in `term`. False when that term has
    /// passed: nothing was written, and the offer must not be made.
    pub async fn save_offer(&self, offer: &OpenOffer, term: Option<i64>) -> Result<bool, StoreError> {
        on_db!(self.db, |read, write| {
            let done = sqlx::query(&format!(
                "INSERT INTO offers (conversation_id, workflow_id, offered_to, passed_over, expires_at, term, offered_at)
                 SELECT $1, $2, $3, $4, $5, COALESCE($6, 0), $7 WHERE {}
                 ON CONFLICT (conversation_id) DO UPDATE SET workflow_id = excluded.workflow_id,
                     offered_to = excluded.offered_to, passed_over = excluded.passed_over,
                     expires_at = excluded.expires_at, term = excluded.term",
                fenced(6, side::PG)
            ))
            .bind(offer.conversation_id)
            .bind(offer.workflow_id)
            .bind(json(&offer.offered_to))
            .bind(json(&offer.passed_over))
            .bind(offer.expires_at)
            .bind(term)
            .bind(now_ms())
            .execute(write)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Closes the conversation's offer (it went back in line), as decided in `term`; a term
    /// that has passed closes nothing.
    pub async fn drop_offer(&self, conversation_id: i64, term: Option<i64>) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query(&format!(
                "DELETE FROM offers WHERE conversation_id = $1 AND {}",
                fenced(2, side::PG)
            ))
            .bind(conversation_id)
            .bind(term)
            .execute(write)
            .await?;
            Ok(())
        })
    }

    /// The offers open now, of conversations still waiting for a person nobody holds.
    pub async fn open_offers(&self) -> Result<Vec<OpenOffer>, StoreError> {
        on_db!(self.db, |read, write| {
            let rows: Vec<OfferRow> = sqlx::query_as(
                "SELECT o.conversation_id, o.workflow_id, o.offered_to, o.passed_over, o.expires_at
                 FROM offers o JOIN conversations c ON c.id = o.conversation_id
                 WHERE c.status = 'waiting' AND c.assignee_id IS NULL ORDER BY o.offered_at",
            )
            .fetch_all(read)
            .await?;
            Ok(rows
                .into_iter()
                .map(|r| OpenOffer {
                    conversation_id: r.conversation_id,
                    workflow_id: r.workflow_id,
                    offered_to: ids(&r.offered_to),
                    passed_over: ids(&r.passed_over),
                    expires_at: r.expires_at,
                })
                .collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::commit::tests::{agent, demo_store};
    use crate::store::engine::Engine;

    #[tokio::test]
    async fn one_offer_per_conversation_written_in_its_term_and_closed_by_the_claim() {
        let dir = tempfile::tempdir().unwrap();
        let (store, channel) = demo_store(&dir).await;
        let operator = agent(&store).await;
        let contact = store.create_visitor(&channel, "Waiting").await.unwrap();
        let chat = store.open_conversation(&channel, contact).await.unwrap();
        store.escalate(chat.id, "A person will be with you.").await.unwrap();

        let offer = OpenOffer {
            conversation_id: chat.id,
            workflow_id: chat.workflow_id,
            offered_to: vec![operator],
            passed_over: vec![],
            expires_at: Some(now_ms() + 30_000),
        };
        assert!(store.save_offer(&offer, None).await.unwrap());
        let passed_on = OpenOffer {
            offered_to: vec![operator + 1],
            passed_over: vec![operator],
            ..offer.clone()
        };
        assert!(
            store.save_offer(&passed_on, Some(0)).await.unwrap(),
            "the lease's own term"
        );
        assert_eq!(
            store.open_offers().await.unwrap(),
            [passed_on.clone()],
            "one per conversation"
        );

        assert!(
            !store.save_offer(&offer, Some(7)).await.unwrap(),
            "a term that is not the lease's writes nothing"
        );
        store.drop_offer(chat.id, Some(7)).await.unwrap();
        assert_eq!(store.open_offers().await.unwrap(), [passed_on]);

        store.take_over(chat.id, operator).await.unwrap();
        let Engine::Sqlite(lite) = &store.db else {
            unreachable!("the test store is SQLite")
        };
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM offers")
            .fetch_one(&lite.read)
            .await
            .unwrap();
        assert_eq!(rows, 0, "the claim closed the offer in its own transaction");
    }
}
