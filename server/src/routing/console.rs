//! What the console asks of routing: taking a conversation over (a seat first), transferring
//! it, and the live view's board.

use app::conversation::{GroupChoice, TransferOperator, TransferOptions};
use app::inbox::ConversationSummary;
use app::live::{BoardOperator, LiveBoard, OperatorStatus};
use app::{AppError, Me};

use super::Router;

#[async_trait::async_trait]
impl app::conversation::HandlingApi for Router {
    async fn take_over(&self, me: &Me, id: i64) -> Result<ConversationSummary, AppError> {
        self.require_seat(me).await?;
        self.conversations.take_over(me, id).await
    }

    /// The operators (those who could take it now first) and groups a conversation may go to.
    async fn transfer_options(&self, me: &Me, id: i64) -> Result<TransferOptions, AppError> {
        let c = self.conversations.access(me, id).await?;
        let board = self.board(me.workspace_id);
        let mut operators: Vec<TransferOperator> = self
            .store
            .list_operators(me.workspace_id)
            .await?
            .into_iter()
            .filter(|o| o.member_id != me.member_id)
            .map(|o| TransferOperator {
                available: board
                    .operators
                    .iter()
                    .any(|b| b.member_id == o.member_id && b.status == OperatorStatus::Online && b.load < b.limit)
                    && self.is_live_on(o.member_id, c.workflow_id),
                member_id: o.member_id,
                name: o.name,
            })
            .collect();
        operators.sort_by(|a, b| b.available.cmp(&a.available).then(a.name.cmp(&b.name)));
        let groups = self
            .store
            .list_groups(me.workspace_id)
            .await?
            .into_iter()
            .map(|g| GroupChoice { id: g.id, name: g.name })
            .collect();
        Ok(TransferOptions { operators, groups })
    }

    async fn transfer(
        &self,
        me: &Me,
        id: i64,
        to_member: Option<i64>,
        to_group: Option<i64>,
        note: &str,
    ) -> Result<(), AppError> {
        Router::transfer(self, me, id, to_member, to_group, note).await
    }
}

#[async_trait::async_trait]
impl app::live::LiveApi for Router {
    /// Every operator of the workspace, by name; those who have not connected since the
    /// server started are offline.
    async fn live_board(&self, me: &Me) -> Result<LiveBoard, AppError> {
        let mut board = self.board(me.workspace_id);
        for o in self.store.list_operators(me.workspace_id).await? {
            if !board.operators.iter().any(|b| b.member_id == o.member_id) {
                board.operators.push(BoardOperator {
                    member_id: o.member_id,
                    name: o.name,
                    status: OperatorStatus::Offline,
                    since_ms: 0,
                    workflows: vec![],
                    load: 0,
                    limit: 0,
                    connected: false,
                });
            }
        }
        board.operators.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(board)
    }
}
