//! Practice runs (a sandbox: their messages live here, never among real conversations) and the
//! qualifications reviewers grant from them.

use app::qualifications::{
    GrantView, MyQualification, PracticeMessage, PracticeRun, PracticeStatus, PracticeSubmission,
};

use super::unique::{self, unique_as};
use super::workspaces::AuditEntry;
use super::{now_ms, Returning, Store, StoreError};

/// A run's row, before its messages are attached.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub workflow_id: i64,
    pub member_id: i64,
    pub status: PracticeStatus,
    pub script: String,
    pub step: i64,
}

dual! {
pub(in crate::store) async fn add_message(tx: &mut Tx<'_>, run_id: i64, from_customer: bool, body: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO practice_messages (run_id, seq, sender, body, created_at)
         VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM practice_messages WHERE run_id = $1), $2, $3, $4)",
    )
    .bind(run_id)
    .bind(if from_customer { "customer" } else { "operator" })
    .bind(body)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
}

/// A practice run's row, with the names pages show.
#[derive(sqlx::FromRow)]
struct RunView {
    id: i64,
    workflow_id: i64,
    workflow_name: String,
    member_id: i64,
    member_name: String,
    status: PracticeStatus,
    script: String,
    step: i64,
    started_at: i64,
    submitted_at: Option<i64>,
    reviewer: Option<String>,
    reviewed_at: Option<i64>,
    review_note: Option<String>,
}

impl Store {
    pub async fn practice_run_record(&self, run_id: i64) -> Result<Option<RunRecord>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT id, workspace_id, workflow_id, member_id, status, script, step FROM practice_runs WHERE id = $1",
            )
            .bind(run_id)
            .fetch_optional(read)
            .await?)
        })
    }

    /// The member's unfinished run on the workflow (in progress or waiting for review).
    pub async fn open_practice_run(&self, member_id: i64, workflow_id: i64) -> Result<Option<i64>, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<(i64,)> = sqlx::query_as(
                "SELECT id FROM practice_runs WHERE member_id = $1 AND workflow_id = $2
             AND status IN ('in_progress', 'submitted')",
            )
            .bind(member_id)
            .bind(workflow_id)
            .fetch_optional(read)
            .await?;
            Ok(row.map(|r| r.0))
        })
    }

    /// Starts a run: the scripted customer says its first line.
    pub async fn start_practice_run(
        &self,
        workspace_id: i64,
        workflow_id: i64,
        member_id: i64,
        script: &str,
        first_line: &str,
    ) -> Result<i64, StoreError> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO practice_runs (workspace_id, workflow_id, member_id, script, step, started_at)
             VALUES ($1, $2, $3, $4, 1, $5) RETURNING id",
            )
            .bind(workspace_id)
            .bind(workflow_id)
            .bind(member_id)
            .bind(script)
            .bind(now_ms())
            .fetch_written(&mut *tx)
            .await
            .map_err(unique_as(unique::OPEN_PRACTICE_RUN))?;
            side::add_message(&mut tx, id, true, first_line).await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// The operator's answer and, when the script has more, the customer's next line. Only a
    /// run still in progress at `step` takes it, so two tabs cannot skip a line.
    pub async fn practice_reply(
        &self,
        run_id: i64,
        step: i64,
        body: &str,
        next_line: Option<&str>,
    ) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            let moved = sqlx::query(
                "UPDATE practice_runs SET step = step + $3 WHERE id = $1 AND step = $2 AND status = 'in_progress'",
            )
            .bind(run_id)
            .bind(step)
            .bind(i64::from(next_line.is_some()))
            .execute(&mut *tx)
            .await?;
            if moved.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            side::add_message(&mut tx, run_id, false, body).await?;
            if let Some(line) = next_line {
                side::add_message(&mut tx, run_id, true, line).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn submit_practice_run(&self, run_id: i64) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            let done = sqlx::query(
            "UPDATE practice_runs SET status = 'submitted', submitted_at = $2 WHERE id = $1 AND status = 'in_progress'",
        )
        .bind(run_id)
        .bind(now_ms())
        .execute(write)
        .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
    }

    /// A reviewer's decision on a submitted run: grant (the qualification is held from now) or
    /// send back with a note. Audited in the same transaction.
    pub async fn decide_practice_run(
        &self,
        run: &RunRecord,
        reviewer_id: i64,
        grant: bool,
        note: Option<&str>,
        audit: AuditEntry<'_>,
    ) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            let now = now_ms();
            let done = sqlx::query(
                "UPDATE practice_runs SET status = $2, reviewer_id = $3, reviewed_at = $4, review_note = $5
             WHERE id = $1 AND status = 'submitted'",
            )
            .bind(run.id)
            .bind(if grant { "granted" } else { "returned" })
            .bind(reviewer_id)
            .bind(now)
            .bind(note)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            if grant {
                sqlx::query(
                    "INSERT INTO qualifications (workspace_id, member_id, workflow_id, granted_by, granted_at, run_id)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (member_id, workflow_id) DO UPDATE SET granted_by = $4, granted_at = $5, run_id = $6",
                )
                .bind(run.workspace_id)
                .bind(run.member_id)
                .bind(run.workflow_id)
                .bind(reviewer_id)
                .bind(now)
                .bind(run.id)
                .execute(&mut *tx)
                .await?;
            }
            side::workspaces::insert_audit(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Withdraws a qualification; the run that earned it is marked revoked. Audited.
    pub async fn revoke_qualification(
        &self,
        workspace_id: i64,
        member_id: i64,
        workflow_id: i64,
        audit: AuditEntry<'_>,
    ) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            let row: Option<(Option<i64>,)> = sqlx::query_as(
            "DELETE FROM qualifications WHERE workspace_id = $1 AND member_id = $2 AND workflow_id = $3 RETURNING run_id",
        )
        .bind(workspace_id)
        .bind(member_id)
        .bind(workflow_id)
        .fetch_written_optional(&mut *tx)
        .await?;
            let Some((run_id,)) = row else {
                return Err(StoreError::NotFound);
            };
            if let Some(run_id) = run_id {
                sqlx::query("UPDATE practice_runs SET status = 'revoked' WHERE id = $1 AND status = 'granted'")
                    .bind(run_id)
                    .execute(&mut *tx)
                    .await?;
            }
            side::workspaces::insert_audit(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The workflows the member holds a qualification for.
    pub async fn qualified_workflows(&self, member_id: i64) -> Result<Vec<i64>, StoreError> {
        on_db!(self.db, |read, write| {
            let rows: Vec<(i64,)> = sqlx::query_as("SELECT workflow_id FROM qualifications WHERE member_id = $1")
                .bind(member_id)
                .fetch_all(read)
                .await?;
            Ok(rows.into_iter().map(|r| r.0).collect())
        })
    }

    /// The workflows of a workspace that need a qualification to go live on.
    pub async fn workflows_requiring_qualification(&self, workspace_id: i64) -> Result<Vec<i64>, StoreError> {
        on_db!(self.db, |read, write| {
            let rows: Vec<(i64,)> =
                sqlx::query_as("SELECT id FROM workflows WHERE workspace_id = $1 AND requires_qualification = TRUE")
                    .bind(workspace_id)
                    .fetch_all(read)
                    .await?;
            Ok(rows.into_iter().map(|r| r.0).collect())
        })
    }

    /// A run with its transcript, as pages show it.
    pub async fn practice_run(&self, run_id: i64) -> Result<Option<PracticeRun>, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<RunView> = sqlx::query_as(
            "SELECT r.id, r.workflow_id, w.name AS workflow_name, r.member_id, m.name AS member_name, r.status, r.script,
                    r.step, r.started_at, r.submitted_at, rv.name AS reviewer, r.reviewed_at, r.review_note
             FROM practice_runs r
             JOIN workflows w ON w.id = r.workflow_id
             JOIN members m ON m.id = r.member_id
             LEFT JOIN members rv ON rv.id = r.reviewer_id
             WHERE r.id = $1",
        )
        .bind(run_id)
        .fetch_optional(read)
        .await?;
            let Some(r) = row else { return Ok(None) };
            let messages: Vec<PracticeMessage> = sqlx::query_as(
                "SELECT seq, sender = 'customer' AS from_customer, body, created_at
                 FROM practice_messages WHERE run_id = $1 ORDER BY seq",
            )
            .bind(run_id)
            .fetch_all(read)
            .await?;
            let total = app::qualifications::practice_lines(&r.script)
                .map(|l| l.len())
                .unwrap_or(0) as u32;
            Ok(Some(PracticeRun {
                id: r.id,
                workflow_id: r.workflow_id,
                workflow_name: r.workflow_name,
                member_id: r.member_id,
                member_name: r.member_name,
                status: r.status,
                step: r.step.max(0) as u32,
                total,
                messages,
                started_at: r.started_at,
                submitted_at: r.submitted_at,
                reviewer: r.reviewer,
                reviewed_at: r.reviewed_at,
                review_note: r.review_note,
            }))
        })
    }

    /// Every workflow of the member's operator groups, with their qualification and latest run.
    pub async fn my_qualifications(&self, member_id: i64) -> Result<Vec<MyQualification>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT w.id AS workflow_id, w.name AS workflow_name, w.requires_qualification AS required,
                    q.granted_at, r.id AS latest_run, r.status AS latest_status, r.review_note
             FROM workflows w
             LEFT JOIN qualifications q ON q.workflow_id = w.id AND q.member_id = $1
             LEFT JOIN practice_runs r ON r.id = (
                 SELECT MAX(id) FROM practice_runs WHERE member_id = $1 AND workflow_id = w.id)
             WHERE w.id IN (SELECT gw.workflow_id FROM group_workflows gw
                            JOIN group_members gm ON gm.group_id = gw.group_id WHERE gm.member_id = $1)
             ORDER BY w.requires_qualification DESC, w.name",
            )
            .bind(member_id)
            .fetch_all(read)
            .await?)
        })
    }

    /// Runs of the workspace waiting for a reviewer, oldest first.
    pub async fn practice_submissions(&self, workspace_id: i64) -> Result<Vec<PracticeSubmission>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT r.id AS run_id, m.name AS member_name, w.name AS workflow_name, r.submitted_at
             FROM practice_runs r
             JOIN members m ON m.id = r.member_id JOIN workflows w ON w.id = r.workflow_id
             WHERE r.workspace_id = $1 AND r.status = 'submitted' ORDER BY r.submitted_at, r.id",
            )
            .bind(workspace_id)
            .fetch_all(read)
            .await?)
        })
    }

    /// Every qualification held in the workspace.
    pub async fn qualification_grants(&self, workspace_id: i64) -> Result<Vec<GrantView>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT q.member_id, m.name AS member_name, q.workflow_id, w.name AS workflow_name,
                    g.name AS granted_by, q.granted_at, q.run_id
             FROM qualifications q
             JOIN members m ON m.id = q.member_id JOIN workflows w ON w.id = q.workflow_id
             LEFT JOIN members g ON g.id = q.granted_by
             WHERE q.workspace_id = $1 ORDER BY m.name, w.name",
            )
            .bind(workspace_id)
            .fetch_all(read)
            .await?)
        })
    }
}
