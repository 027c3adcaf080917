//! Reports: how conversations went over a period — how many, how many needed a person, how
//! fast people answered and resolved them, how long customers waited in the queue — in total,
//! by day, workflow, channel, operator group and operator.

use serde::{Deserialize, Serialize};

mod api;
pub mod page;

pub use api::*;

/// A spread of durations: the median and the 90th percentile (nearest rank), over `n`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spread {
    pub n: u32,
    pub median_ms: Option<i64>,
    pub p90_ms: Option<i64>,
}

impl Spread {
    /// The spread of these durations (in any order).
    pub fn of(mut values: Vec<i64>) -> Spread {
        values.sort_unstable();
        let rank = |p: f64| -> Option<i64> {
            if values.is_empty() {
                return None;
            }
            let i = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1;
            Some(values[i])
        };
        Spread {
            n: values.len() as u32,
            median_ms: rank(0.5),
            p90_ms: rank(0.9),
        }
    }
}

/// What a set of conversations shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// Conversations started in the period (with at least one message).
    pub conversations: u32,
    /// Of them, those escalated to people.
    pub escalated: u32,
    /// Of them, those a person answered or took on.
    pub handled: u32,
    pub resolved: u32,
    /// From escalation (or the start, when a person stepped in unasked) to a person's first
    /// reply.
    pub first_reply: Spread,
    /// From the start to resolution.
    pub resolution: Spread,
    /// From escalation to an operator taking the conversation.
    pub queue_wait: Spread,
    /// Conversations their customer rated (1 to 5), the ratings' sum, and those rated 4 or 5.
    #[serde(default)]
    pub rated: u32,
    #[serde(default)]
    pub rating_sum: u32,
    #[serde(default)]
    pub satisfied: u32,
}

impl Figures {
    /// `part` of the conversations, as a percentage.
    fn rate(&self, part: u32) -> Option<f64> {
        (self.conversations > 0).then(|| f64::from(part) * 100.0 / f64::from(self.conversations))
    }

    pub fn escalation_rate(&self) -> Option<f64> {
        self.rate(self.escalated)
    }

    pub fn handoff_rate(&self) -> Option<f64> {
        self.rate(self.handled)
    }

    /// The average rating, 1 to 5.
    pub fn csat_average(&self) -> Option<f64> {
        (self.rated > 0).then(|| f64::from(self.rating_sum) / f64::from(self.rated))
    }

    /// The share of ratings that are 4 or 5, as a percentage.
    pub fn satisfied_rate(&self) -> Option<f64> {
        (self.rated > 0).then(|| f64::from(self.satisfied) * 100.0 / f64::from(self.rated))
    }

    /// Customer satisfaction in words: `4.5 / 5`, or `—` without ratings.
    pub fn csat(&self) -> String {
        self.csat_average().map_or("—".into(), |a| format!("{a:.1} / 5"))
    }
}

/// One line of a breakdown.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub label: String,
    pub figures: Figures,
}

/// A period's report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The period, `YYYY-MM-DD` to `YYYY-MM-DD` inclusive (UTC).
    pub from: String,
    pub to: String,
    pub total: Figures,
    /// Every day of the period, in order (empty days included).
    pub days: Vec<Row>,
    pub workflows: Vec<Row>,
    pub channels: Vec<Row>,
    pub groups: Vec<Row>,
    pub operators: Vec<Row>,
}

/// The breakdowns, by their name in `?by=` and in words.
pub const BREAKDOWNS: [(&str, &str); 5] = [
    ("day", "Day"),
    ("workflow", "Workflow"),
    ("channel", "Channel"),
    ("group", "Operator group"),
    ("operator", "Operator"),
];

impl Report {
    /// The breakdown named `by` (`day`, `workflow`, …).
    pub fn rows(&self, by: &str) -> &[Row] {
        match by {
            "workflow" => &self.workflows,
            "channel" => &self.channels,
            "group" => &self.groups,
            "operator" => &self.operators,
            _ => &self.days,
        }
    }
}

/// A percentage in words: `25%`, `33.3%`, `—` when there is nothing to divide.
pub fn percent(rate: Option<f64>) -> String {
    match rate {
        None => "—".into(),
        Some(r) if (r - r.round()).abs() < 0.05 => format!("{}%", r.round() as i64),
        Some(r) => format!("{r:.1}%"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_and_p90_are_nearest_ranks() {
        let s = Spread::of(vec![50, 10, 40, 20, 30]);
        assert_eq!((s.n, s.median_ms, s.p90_ms), (5, Some(30), Some(50)));
        let s = Spread::of(vec![4, 1, 3, 2]);
        assert_eq!((s.median_ms, s.p90_ms), (Some(2), Some(4)));
        assert_eq!(Spread::of(vec![]).median_ms, None);
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(Spread::of(ten).p90_ms, Some(9));
    }

    #[test]
    fn rates_are_shares_of_the_conversations_in_words() {
        let f = Figures {
            conversations: 3,
            escalated: 1,
            handled: 2,
            ..Figures::default()
        };
        assert_eq!(percent(f.escalation_rate()), "33.3%");
        assert_eq!(percent(Figures::default().escalation_rate()), "—");
        assert_eq!(percent(Some(50.0)), "50%");
        assert_eq!(percent(f.handoff_rate()), "66.7%");
        let rated = Figures {
            rated: 4,
            rating_sum: 17,
            satisfied: 3,
            ..Figures::default()
        };
        assert_eq!(rated.csat(), "4.2 / 5");
        assert_eq!(percent(rated.satisfied_rate()), "75%");
        assert_eq!(Figures::default().csat(), "—");
    }
}
