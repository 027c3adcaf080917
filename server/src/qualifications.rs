//! Qualifications: an operator practises a workflow's scenario against a scripted customer in a
//! sandbox (no real contact, channel or conversation is touched), a reviewer reads the
//! transcript and grants or sends it back, and routing only lets qualified operators go live on
//! workflows that require it.

use std::sync::Arc;

use app::events::MessageBody;
use app::qualifications::{practice_lines, PracticeRun, PracticeStatus, QualificationsOverview};
use app::{AppError, Me, Scope};

use crate::routing::Router;
use crate::store::workspaces::AuditEntry;
use crate::store::{RunRecord, Store, StoreError};

pub struct Qualifications {
    store: Store,
    router: Arc<Router>,
}

/// What the scripted customer says after the operator's answer at `step` (lines said so far):
/// the next line, or nothing once the script is done.
pub fn next_line(lines: &[String], step: usize) -> Option<&str> {
    lines.get(step).map(String::as_str)
}

/// A review note: optional when granting, required when sending a run back.
pub fn check_note(grant: bool, note: &str) -> Result<Option<String>, AppError> {
    let note = note.trim();
    if note.chars().count() > 1000 {
        return Err(AppError::invalid("Note", "must be at most 1000 characters"));
    }
    if note.is_empty() {
        if grant {
            return Ok(None);
        }
        return Err(AppError::invalid(
            "Note",
            "say what to work on, so the operator knows why it was sent back",
        ));
    }
    Ok(Some(note.to_string()))
}

fn run_gone() -> AppError {
    AppError::not_found("That practice run")
}

impl Qualifications {
    pub fn new(store: Store, router: Arc<Router>) -> Self {
        Qualifications { store, router }
    }

    fn require_write(me: &Me) -> Result<(), AppError> {
        if me.can(Scope::OperatorWrite) {
            Ok(())
        } else {
            Err(AppError::forbidden("practise for qualifications"))
        }
    }

    fn require_reviewer(me: &Me) -> Result<(), AppError> {
        if me.can(Scope::QualificationsWrite) {
            Ok(())
        } else {
            Err(AppError::forbidden("review qualifications"))
        }
    }

    async fn read(&self, run_id: i64) -> Result<PracticeRun, AppError> {
        self.store.practice_run(run_id).await?.ok_or_else(run_gone)
    }

    /// The run's row, if the member may see it: their own, or any of the workspace's for a
    /// reviewer. Otherwise "not found", revealing nothing.
    async fn visible(&self, me: &Me, run_id: i64) -> Result<RunRecord, AppError> {
        let run = self
            .store
            .practice_run_record(run_id)
            .await?
            .filter(|r| r.workspace_id == me.workspace_id)
            .ok_or_else(run_gone)?;
        if run.member_id == me.member_id || me.can(Scope::QualificationsWrite) {
            Ok(run)
        } else {
            Err(run_gone())
        }
    }

    async fn own_in_progress(&self, me: &Me, run_id: i64) -> Result<RunRecord, AppError> {
        Self::require_write(me)?;
        let run = self.visible(me, run_id).await?;
        if run.member_id != me.member_id {
            return Err(AppError::forbidden("answer someone else's practice run"));
        }
        if run.status != PracticeStatus::InProgress {
            return Err(AppError::Conflict(format!(
                "This practice run is {}; start a new one to practise again.",
                run.status.label().to_lowercase()
            )));
        }
        Ok(run)
    }
}

#[async_trait::async_trait]
impl app::qualifications::QualificationsApi for Qualifications {
    async fn overview(&self, me: &Me) -> Result<QualificationsOverview, AppError> {
        let reviewer = me.can(Scope::QualificationsWrite);
        let mine = if me.can(Scope::OperatorWrite) {
            self.store.my_qualifications(me.member_id).await?
        } else {
            vec![]
        };
        let (to_review, granted) = if reviewer {
            (
                self.store.practice_submissions(me.workspace_id).await?,
                self.store.qualification_grants(me.workspace_id).await?,
            )
        } else {
            (vec![], vec![])
        };
        Ok(QualificationsOverview {
            mine,
            reviewer,
            to_review,
            granted,
        })
    }

    /// Starts practising a workflow of one's operator groups, or returns the run already open.
    async fn start(&self, me: &Me, workflow_id: i64) -> Result<PracticeRun, AppError> {
        Self::require_write(me)?;
        let available = self.store.group_workflows(me.member_id).await?;
        if !available.iter().any(|w| w.id == workflow_id) {
            return Err(AppError::not_found("That workflow"));
        }
        if let Some(open) = self.store.open_practice_run(me.member_id, workflow_id).await? {
            return self.read(open).await;
        }
        let workflow = self
            .store
            .workflow(workflow_id)
            .await?
            .filter(|w| w.workspace_id == me.workspace_id)
            .ok_or_else(|| AppError::not_found("That workflow"))?;
        let lines = practice_lines(&workflow.practice_script).map_err(|_| {
            AppError::Conflict(format!(
                "{} has no practice scenario yet; an admin can write one under Workflows.",
                workflow.name
            ))
        })?;
        let id = match self
            .store
            .start_practice_run(
                me.workspace_id,
                workflow_id,
                me.member_id,
                &workflow.practice_script,
                &lines[0],
            )
            .await
        {
            Ok(id) => id,
            // Another tab started it a moment ago: continue that one.
            Err(StoreError::Duplicate { .. }) => self
                .store
                .open_practice_run(me.member_id, workflow_id)
                .await?
                .ok_or_else(run_gone)?,
            Err(e) => return Err(e.into()),
        };
        tracing::info!(member_id = me.member_id, workflow_id, run_id = id, "practice started");
        self.read(id).await
    }

    async fn get(&self, me: &Me, run_id: i64) -> Result<PracticeRun, AppError> {
        self.visible(me, run_id).await?;
        self.read(run_id).await
    }

    /// The operator answers; the scripted customer says its next line, if it has one.
    async fn reply(&self, me: &Me, run_id: i64, body: &str) -> Result<PracticeRun, AppError> {
        let body = MessageBody::parse(body)?;
        let run = self.own_in_progress(me, run_id).await?;
        let lines = practice_lines(&run.script).unwrap_or_default();
        let current = self.read(run_id).await?;
        if current.complete() {
            return Err(AppError::Conflict(
                "The customer has nothing more to say; submit the run for review.".into(),
            ));
        }
        let next = next_line(&lines, run.step.max(0) as usize);
        self.store
            .practice_reply(run_id, run.step, body.as_str(), next)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => {
                    AppError::Conflict("This practice run changed in another tab; reload it to go on.".into())
                }
                other => other.into(),
            })?;
        self.read(run_id).await
    }

    async fn submit(&self, me: &Me, run_id: i64) -> Result<PracticeRun, AppError> {
        self.own_in_progress(me, run_id).await?;
        if !self.read(run_id).await?.complete() {
            return Err(AppError::Conflict(
                "Answer every message of the scenario before submitting it.".into(),
            ));
        }
        self.store.submit_practice_run(run_id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::Conflict("This practice run was already submitted.".into()),
            other => other.into(),
        })?;
        tracing::info!(member_id = me.member_id, run_id, "practice submitted for review");
        self.read(run_id).await
    }

    /// A reviewer grants the qualification the run was for, or sends the run back with a note.
    async fn decide(&self, me: &Me, run_id: i64, grant: bool, note: &str) -> Result<PracticeRun, AppError> {
        Self::require_reviewer(me)?;
        let note = check_note(grant, note)?;
        let run = self.visible(me, run_id).await?;
        if run.member_id == me.member_id {
            return Err(AppError::Conflict(
                "You cannot review your own practice run; ask another reviewer.".into(),
            ));
        }
        if run.status != PracticeStatus::Submitted {
            return Err(AppError::Conflict(format!(
                "This practice run is {}, not waiting for review.",
                run.status.label().to_lowercase()
            )));
        }
        let view = self.read(run_id).await?;
        let target = format!("qualification {} for {}", view.workflow_name, view.member_name);
        let after = serde_json::json!({ "run": run_id, "note": note });
        let audit = AuditEntry {
            workspace_id: me.workspace_id,
            actor_id: Some(me.member_id),
            action: if grant {
                "qualification.granted"
            } else {
                "qualification.returned"
            },
            target: &target,
            before: None,
            after: Some(after),
        };
        self.store
            .decide_practice_run(&run, me.member_id, grant, note.as_deref(), audit)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AppError::Conflict("Another reviewer decided on this run first.".into()),
                other => other.into(),
            })?;
        if grant {
            self.router.qualifications_changed(run.member_id).await;
        }
        tracing::info!(run_id, grant, reviewer = me.member_id, "practice run reviewed");
        self.read(run_id).await
    }

    /// Withdraws a qualification. If the operator is live on that workflow and it requires the
    /// qualification, they stop being live on it at once.
    async fn revoke(&self, me: &Me, member_id: i64, workflow_id: i64) -> Result<(), AppError> {
        Self::require_reviewer(me)?;
        let grants = self.store.qualification_grants(me.workspace_id).await?;
        let grant = grants
            .iter()
            .find(|g| g.member_id == member_id && g.workflow_id == workflow_id)
            .ok_or_else(|| AppError::not_found("That qualification"))?;
        let target = format!("qualification {} for {}", grant.workflow_name, grant.member_name);
        let before = serde_json::to_value(grant).ok();
        let audit = AuditEntry {
            workspace_id: me.workspace_id,
            actor_id: Some(me.member_id),
            action: "qualification.revoked",
            target: &target,
            before,
            after: None,
        };
        self.store
            .revoke_qualification(me.workspace_id, member_id, workflow_id, audit)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AppError::not_found("That qualification"),
                other => other.into(),
            })?;
        self.router.qualifications_changed(member_id).await;
        tracing::info!(member_id, workflow_id, reviewer = me.member_id, "qualification revoked");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scripted_customer_says_each_line_once_then_stops() {
        let lines: Vec<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
        assert_eq!(next_line(&lines, 1), Some("b"));
        assert_eq!(next_line(&lines, 2), None);
        assert_eq!(next_line(&lines, 7), None);
    }

    #[test]
    fn sending_back_needs_a_reason_and_granting_does_not() {
        assert_eq!(check_note(true, "  ").unwrap(), None);
        assert_eq!(check_note(true, " Well done ").unwrap().as_deref(), Some("Well done"));
        assert!(check_note(false, "")
            .unwrap_err()
            .to_string()
            .contains("say what to work on"));
        assert!(check_note(false, &"x".repeat(1001)).is_err());
    }
}
