//! Qualifications: practice runs an operator takes before handling a workflow, and their review.

use serde::{Deserialize, Serialize};

mod api;
pub mod page;

pub use api::*;

/// The most lines a practice scenario may have, and the longest line.
pub const MAX_PRACTICE_LINES: usize = 20;

pub const MAX_PRACTICE_LINE_CHARS: usize = 500;

/// The customer's messages of a practice scenario: its non-blank lines, trimmed.
pub fn practice_lines(script: &str) -> Result<Vec<String>, crate::AppError> {
    use crate::AppError;
    let lines: Vec<String> = script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    if lines.is_empty() {
        return Err(AppError::invalid(
            "Practice scenario",
            "needs at least one line for the customer to say",
        ));
    }
    if lines.len() > MAX_PRACTICE_LINES {
        return Err(AppError::invalid(
            "Practice scenario",
            format!("has {} lines; at most {MAX_PRACTICE_LINES} are allowed", lines.len()),
        ));
    }
    if let Some((i, _)) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| l.chars().count() > MAX_PRACTICE_LINE_CHARS)
    {
        return Err(AppError::invalid(
            "Practice scenario",
            format!("line {} is longer than {MAX_PRACTICE_LINE_CHARS} characters", i + 1),
        ));
    }
    Ok(lines)
}

/// Where a practice run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(rename_all = "snake_case", type_name = "text"))]
pub enum PracticeStatus {
    /// The operator is answering the scripted customer.
    InProgress,
    /// Finished and waiting for a reviewer.
    Submitted,
    /// A reviewer granted the qualification.
    Granted,
    /// A reviewer sent it back; the operator may practise again.
    Returned,
    /// The qualification it earned was revoked later.
    Revoked,
}

impl PracticeStatus {
    pub const ALL: [PracticeStatus; 5] = [
        PracticeStatus::InProgress,
        PracticeStatus::Submitted,
        PracticeStatus::Granted,
        PracticeStatus::Returned,
        PracticeStatus::Revoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PracticeStatus::InProgress => "in_progress",
            PracticeStatus::Submitted => "submitted",
            PracticeStatus::Granted => "granted",
            PracticeStatus::Returned => "returned",
            PracticeStatus::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<PracticeStatus> {
        PracticeStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            PracticeStatus::InProgress => "In progress",
            PracticeStatus::Submitted => "Waiting for review",
            PracticeStatus::Granted => "Granted",
            PracticeStatus::Returned => "Sent back",
            PracticeStatus::Revoked => "Revoked",
        }
    }
}

/// One message of a practice run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct PracticeMessage {
    pub seq: i64,
    /// Said by the scripted customer (else by the operator).
    pub from_customer: bool,
    pub body: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A practice run with its transcript.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PracticeRun {
    pub id: i64,
    pub workflow_id: i64,
    pub workflow_name: String,
    pub member_id: i64,
    pub member_name: String,
    pub status: PracticeStatus,
    /// Customer lines said so far, and in all.
    pub step: u32,
    pub total: u32,
    pub messages: Vec<PracticeMessage>,
    pub started_at: i64,
    pub submitted_at: Option<i64>,
    pub reviewer: Option<String>,
    pub reviewed_at: Option<i64>,
    pub review_note: Option<String>,
}

impl PracticeRun {
    /// Every scripted line was said and answered: the run can go to a reviewer.
    pub fn complete(&self) -> bool {
        self.step >= self.total && self.messages.last().is_some_and(|m| !m.from_customer)
    }
}

/// One workflow an operator can qualify for, and where they stand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct MyQualification {
    pub workflow_id: i64,
    pub workflow_name: String,
    /// Going live on it needs a granted qualification.
    pub required: bool,
    /// When it was granted (Unix ms), if it is held now.
    pub granted_at: Option<i64>,
    /// Their latest practice run on it, if any.
    pub latest_run: Option<i64>,
    pub latest_status: Option<PracticeStatus>,
    pub review_note: Option<String>,
}

/// A practice run waiting for a reviewer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct PracticeSubmission {
    pub run_id: i64,
    pub member_name: String,
    pub workflow_name: String,
    pub submitted_at: i64,
}

/// A qualification someone holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct GrantView {
    pub member_id: i64,
    pub member_name: String,
    pub workflow_id: i64,
    pub workflow_name: String,
    pub granted_by: Option<String>,
    pub granted_at: i64,
    pub run_id: Option<i64>,
}

/// The qualifications page: one's own, and for reviewers what waits and who holds what.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualificationsOverview {
    pub mine: Vec<MyQualification>,
    pub reviewer: bool,
    pub to_review: Vec<PracticeSubmission>,
    pub granted: Vec<GrantView>,
}

#[cfg(test)]
mod practice_tests {
    use super::*;

    #[test]
    fn a_practice_scenario_is_its_non_blank_lines_within_limits() {
        assert_eq!(practice_lines(" Hi \n\n  Help me \n").unwrap(), vec!["Hi", "Help me"]);
        assert!(practice_lines(" \n ")
            .unwrap_err()
            .to_string()
            .contains("at least one line"));
        let many = "x\n".repeat(MAX_PRACTICE_LINES + 1);
        assert!(practice_lines(&many).unwrap_err().to_string().contains("at most 20"));
        let long = format!("ok\n{}", "y".repeat(MAX_PRACTICE_LINE_CHARS + 1));
        assert!(practice_lines(&long).unwrap_err().to_string().contains("line 2"));
    }

    #[test]
    fn a_run_is_complete_once_the_last_scripted_line_is_answered() {
        let msg = |seq, from_customer| PracticeMessage {
            seq,
            from_customer,
            body: "x".into(),
            created_at: 0,
        };
        let mut run = PracticeRun {
            id: 1,
            workflow_id: 1,
            workflow_name: "W".into(),
            member_id: 1,
            member_name: "M".into(),
            status: PracticeStatus::InProgress,
            step: 2,
            total: 2,
            messages: vec![msg(1, true), msg(2, false), msg(3, true)],
            started_at: 0,
            submitted_at: None,
            reviewer: None,
            reviewed_at: None,
            review_note: None,
        };
        assert!(!run.complete(), "the last line is not answered yet");
        run.messages.push(msg(4, false));
        assert!(run.complete());
        run.step = 1;
        assert!(!run.complete(), "lines remain");
    }
}
