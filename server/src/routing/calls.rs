//! Routing's calls, as they cross from a node to the routing leader (`crate::cluster`). Every
//! public `Router` method that reads or changes routing's state starts with `forward`: on the
//! leader it goes on, on another node the call is sent to the leader, which runs the same
//! method and answers. So a method is written once and behaves the same wherever the
//! operator's socket or the customer's conversation happens to be.

use app::conversation::HandlingApi;
use app::live::{LiveApi, OperatorStatus};
use app::{AppError, Me};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Router;
use crate::conversations::Change;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Call {
    /// An operator's socket opened on `node`.
    Connect {
        me: Me,
        node: String,
    },
    /// One of their sockets on `node` closed.
    Disconnect {
        member_id: i64,
        node: String,
    },
    /// `node` holds this many of the member's sockets (told to a new leader).
    Attach {
        me: Me,
        node: String,
        sockets: u32,
    },
    SetStatus {
        me: Me,
        status: OperatorStatus,
    },
    GoLive {
        me: Me,
        workflow_ids: Vec<i64>,
    },
    GoOffline {
        me: Me,
    },
    Accept {
        me: Me,
        conversation_id: i64,
    },
    Decline {
        me: Me,
        conversation_id: i64,
    },
    RequireSeat {
        me: Me,
    },
    TakeOver {
        me: Me,
        conversation_id: i64,
    },
    TransferOptions {
        me: Me,
        conversation_id: i64,
    },
    Transfer {
        me: Me,
        conversation_id: i64,
        to_member: Option<i64>,
        to_group: Option<i64>,
        note: String,
    },
    LiveBoard {
        me: Me,
    },
    MyPresence {
        member_id: i64,
    },
    SeatsInUse {
        workspace_id: i64,
    },
    IsHere {
        member_id: i64,
    },
    Change(Change),
    WorkspaceChanged {
        workspace_id: i64,
    },
    FollowPlans,
    MemberStopsHandling {
        member_id: i64,
        note: String,
    },
    RefreshAvailable {
        member_id: i64,
    },
    QualificationsChanged {
        member_id: i64,
    },
    WorkflowsChanged {
        workspace_id: i64,
    },
}

fn value<T: Serialize>(result: Result<T, AppError>) -> Result<Value, AppError> {
    result.and_then(|v| serde_json::to_value(v).map_err(|_| AppError::Internal))
}

impl Router {
    /// `None` on the leader (go on here); elsewhere the leader's answer to `call`.
    pub(super) async fn forward<T: DeserializeOwned>(
        &self,
        call: impl FnOnce() -> Call,
    ) -> Option<Result<T, AppError>> {
        if self.cluster.leads() {
            return None;
        }
        Some(self.cluster.ask(call()).await)
    }

    /// `true` when the call went to the leader on another node (nothing to do here).
    pub(super) fn tell_leader(&self, call: impl FnOnce() -> Call) -> bool {
        if self.cluster.leads() {
            return false;
        }
        self.cluster.tell(call());
        true
    }

    /// Runs a call on the leader (this node), as if it had been made here.
    pub(super) async fn dispatch(&self, call: Call) -> Result<Value, AppError> {
        match call {
            Call::Connect { me, node } => value(self.connect_on(&me, &node).await),
            Call::Disconnect { member_id, node } => {
                self.disconnect_on(member_id, &node);
                Ok(Value::Null)
            }
            Call::Attach { me, node, sockets } => value(self.attach(&me, &node, sockets).await),
            Call::SetStatus { me, status } => value(self.set_status(&me, status).await),
            Call::GoLive { me, workflow_ids } => value(self.go_live(&me, &workflow_ids).await),
            Call::GoOffline { me } => value(self.go_offline(&me).await),
            Call::Accept { me, conversation_id } => value(self.accept(&me, conversation_id).await),
            Call::Decline { me, conversation_id } => value(self.decline(&me, conversation_id).await),
            Call::RequireSeat { me } => value(self.require_seat(&me).await),
            Call::TakeOver { me, conversation_id } => value(self.take_over(&me, conversation_id).await),
            Call::TransferOptions { me, conversation_id } => value(self.transfer_options(&me, conversation_id).await),
            Call::Transfer {
                me,
                conversation_id,
                to_member,
                to_group,
                note,
            } => value(self.transfer(&me, conversation_id, to_member, to_group, &note).await),
            Call::LiveBoard { me } => value(self.live_board(&me).await),
            Call::MyPresence { member_id } => value(Ok(self.presence(member_id))),
            Call::SeatsInUse { workspace_id } => value(Ok(self.seats_in_use(workspace_id).await)),
            Call::IsHere { member_id } => value(Ok(self.is_here(member_id).await)),
            Call::Change(change) => {
                self.on_change(change).await;
                Ok(Value::Null)
            }
            Call::WorkspaceChanged { workspace_id } => {
                self.workspace_changed(workspace_id).await;
                Ok(Value::Null)
            }
            Call::FollowPlans => {
                self.follow_plans().await;
                Ok(Value::Null)
            }
            Call::MemberStopsHandling { member_id, note } => {
                self.member_stops_handling(member_id, &note).await;
                Ok(Value::Null)
            }
            Call::RefreshAvailable { member_id } => {
                self.refresh_available(member_id).await;
                Ok(Value::Null)
            }
            Call::QualificationsChanged { member_id } => {
                self.qualifications_changed(member_id).await;
                Ok(Value::Null)
            }
            Call::WorkflowsChanged { workspace_id } => {
                self.workflows_changed(workspace_id).await;
                Ok(Value::Null)
            }
        }
    }
}
