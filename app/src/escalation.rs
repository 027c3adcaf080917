//! Telling when a visitor wants a person: explicit requests for a human, in many phrasings,
//! frustration, and a workflow's own trigger phrases. Pure functions over the message text,
//! shared by the server (which decides) and the workflow editor (whose test box shows what a
//! message would do as the settings are typed).

/// Words and phrases that ask for a person.
const HUMAN_PHRASES: &[&str] = &[
    "human",
    "real person",
    "a person",
    "actual person",
    "live person",
    "someone real",
    "talk to someone",
    "speak to someone",
    "speak with someone",
    "talk with someone",
    "agent",
    "operator",
    "representative",
    "a rep",
    "customer service",
    "customer support",
    "support team",
    "staff",
    "manager",
    "supervisor",
    "live chat",
    "not a bot",
    "no bot",
    "stop the bot",
];

/// Compounds whose words would otherwise read as a request for a person: a travel agent is
/// not the support team, human error is not asking for a human. They are taken out of the text
/// before the phrases above are looked for.
const NOT_A_REQUEST: &[&str] = &[
    "travel agent",
    "real estate agent",
    "estate agent",
    "insurance agent",
    "secret agent",
    "booking agent",
    "shipping agent",
    "customs agent",
    "leasing agent",
    "letting agent",
    "rental agent",
    "ticket agent",
    "free agent",
    "double agent",
    "user agent",
    "tour operator",
    "network operator",
    "mobile operator",
    "human error",
    "human resources",
    "human rights",
    "human nature",
    "staff discount",
];

/// Signs of frustration.
const FRUSTRATION_PHRASES: &[&str] = &[
    "useless",
    "not helpful",
    "unhelpful",
    "doesn't help",
    "does not help",
    "not helping",
    "stupid",
    "ridiculous",
    "terrible",
    "awful",
    "waste of time",
    "wtf",
    "annoying",
    "frustrated",
    "frustrating",
    "angry",
    "fed up",
    "this is a joke",
    "you don't understand",
    "you do not understand",
    "not what i asked",
];

fn normalise(text: &str) -> String {
    let lower = text.to_lowercase().replace('’', "'");
    let cleaned: String = lower
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '\'' { c } else { ' ' })
        .collect();
    format!(" {} ", cleaned.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn contains_phrase(normalised: &str, phrase: &str) -> bool {
    // Whole words only: "agent" matches "an agent" and "agents", not "reagent".
    let p = format!(" {phrase}");
    normalised.match_indices(&p).any(|(i, _)| {
        let rest = &normalised[i + p.len()..];
        rest.starts_with(' ') || rest.starts_with("s ") || rest.starts_with("'s ")
    })
}

/// Whether the message asks to talk to a person.
pub fn asks_for_human(text: &str) -> bool {
    let mut n = normalise(text);
    for compound in NOT_A_REQUEST {
        for form in [format!(" {compound} "), format!(" {compound}s ")] {
            n = n.replace(&form, " ");
        }
    }
    HUMAN_PHRASES.iter().any(|p| contains_phrase(&n, p))
}

/// Whether the message shows frustration: a known phrase, or shouting (mostly capitals with
/// several exclamation marks).
pub fn shows_frustration(text: &str) -> bool {
    let n = normalise(text);
    if FRUSTRATION_PHRASES.iter().any(|p| contains_phrase(&n, p)) {
        return true;
    }
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    letters.len() >= 8 && upper * 10 >= letters.len() * 8 && text.matches('!').count() >= 2
}

/// A workflow's own reason to hand over: any of its phrases, to an operator group if named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trigger {
    pub phrases: Vec<String>,
    pub group: Option<String>,
}

/// The most trigger lines a workflow has.
pub const MAX_TRIGGERS: usize = 50;

/// Reads a workflow's triggers: one intent a line, its phrases separated by commas, and
/// optionally `->` and the operator group to hand to (`cancel, cancelling -> Retention`).
/// Blank lines and lines starting with `#` are skipped. The error says which line and why.
pub fn parse_triggers(text: &str) -> Result<Vec<Trigger>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let n = i + 1;
        let (phrases, group) = match line.split_once("->") {
            Some((p, g)) => {
                let g = g.trim();
                if g.is_empty() {
                    return Err(format!("line {n} names no group after ->"));
                }
                (p, Some(g.to_string()))
            }
            None => (line, None),
        };
        let phrases: Vec<String> = phrases
            .split(',')
            .map(|p| normalise(p).trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
        if phrases.is_empty() {
            return Err(format!("line {n} has no phrase"));
        }
        if let Some(long) = phrases.iter().find(|p| p.chars().count() > 80) {
            return Err(format!("line {n}: “{long}” is longer than 80 characters"));
        }
        out.push(Trigger { phrases, group });
    }
    if out.len() > MAX_TRIGGERS {
        return Err(format!("at most {MAX_TRIGGERS} lines"));
    }
    Ok(out)
}

/// The first trigger a message sets off, with the phrase it matched.
pub fn triggered<'a>(text: &str, triggers: &'a [Trigger]) -> Option<(&'a str, &'a Trigger)> {
    let n = normalise(text);
    triggers.iter().find_map(|t| {
        t.phrases
            .iter()
            .find(|p| contains_phrase(&n, p))
            .map(|p| (p.as_str(), t))
    })
}

/// What a message does on a workflow, in full, for the editor's test box and the logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// One of the workflow's triggers: hand over now (to the group, if it names one).
    Trigger { phrase: String, group: Option<String> },
    /// The customer is frustrated, and the workflow escalates on frustration.
    Frustrated,
    /// A request for a person that reaches the threshold.
    Asked { requests: i64 },
    /// A request for a person below the threshold: the assistant answers, and counts it.
    Counted { requests: i64, threshold: i64 },
    /// The assistant answers.
    Answer,
}

impl Verdict {
    pub fn escalates(&self) -> bool {
        matches!(
            self,
            Verdict::Trigger { .. } | Verdict::Frustrated | Verdict::Asked { .. }
        )
    }

    /// The verdict in words.
    pub fn describe(&self) -> String {
        match self {
            Verdict::Trigger { phrase, group: Some(g) } => {
                format!("Hands over to the group {g} (trigger “{phrase}”).")
            }
            Verdict::Trigger { phrase, group: None } => format!("Hands over to a person (trigger “{phrase}”)."),
            Verdict::Frustrated => "Hands over to a person: the customer sounds frustrated.".into(),
            Verdict::Asked { requests } => {
                format!("Hands over to a person: request {requests} for one reaches the threshold.")
            }
            Verdict::Counted { requests, threshold } => {
                format!("The assistant answers; request {requests} of {threshold} for a person is counted.")
            }
            Verdict::Answer => "The assistant answers.".into(),
        }
    }
}

/// What a customer's message does while the assistant handles the conversation, given how
/// many requests for a person came before it.
pub fn assess(
    text: &str,
    earlier_requests: i64,
    threshold: i64,
    escalate_on_frustration: bool,
    triggers: &[Trigger],
) -> Verdict {
    if let Some((phrase, t)) = triggered(text, triggers) {
        return Verdict::Trigger {
            phrase: phrase.to_string(),
            group: t.group.clone(),
        };
    }
    let requests = earlier_requests + i64::from(asks_for_human(text));
    match decide(text, requests, threshold, escalate_on_frustration) {
        Decision::Escalate if requests >= threshold.max(1) => Verdict::Asked { requests },
        Decision::Escalate => Verdict::Frustrated,
        Decision::Answer if asks_for_human(text) => Verdict::Counted {
            requests,
            threshold: threshold.max(1),
        },
        Decision::Answer => Verdict::Answer,
    }
}

/// What to do with a visitor's message while the assistant handles the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The assistant answers.
    Answer,
    /// Hand off to a person now.
    Escalate,
}

/// Decides, given how many times the visitor has now asked for a human (this message
/// included), the workflow's threshold, and whether frustration escalates.
pub fn decide(text: &str, human_requests: i64, threshold: i64, escalate_on_frustration: bool) -> Decision {
    if human_requests >= threshold.max(1) || (escalate_on_frustration && shows_frustration(text)) {
        Decision::Escalate
    } else {
        Decision::Answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compounds_that_name_someone_else_are_not_requests_for_a_person() {
        assert!(!asks_for_human("I booked it through my travel agent"));
        assert!(!asks_for_human("Our travel agents changed the dates"));
        assert!(!asks_for_human("It was human error on my side"));
        assert!(!asks_for_human("Is there a staff discount?"));
        // The same words still ask for a person where they do.
        assert!(asks_for_human(
            "My travel agent is useless, can I talk to a human agent?"
        ));
        assert!(asks_for_human("agent please"));
        assert!(asks_for_human("I want a human"));
    }

    #[test]
    fn many_phrasings_ask_for_a_human() {
        for text in [
            "I want to talk to a human",
            "Can I speak to someone please?",
            "agent",
            "Get me a real person!",
            "representative please",
            "Is there a live chat with customer service?",
            "I need your support team",
            "HUMAN",
            "Let me talk to an operator.",
            "are there any agents?",
            "I'd like to speak with someone",
        ] {
            assert!(asks_for_human(text), "{text:?} should ask for a human");
        }
    }

    #[test]
    fn ordinary_questions_do_not_ask_for_a_human() {
        for text in [
            "How do I reset my password?",
            "What are your opening hours?",
            "The reagent arrived broken",
            "humanity is great",
        ] {
            assert!(!asks_for_human(text), "{text:?} should not ask for a human");
        }
    }

    #[test]
    fn frustration_is_recognised_in_words_and_in_shouting() {
        assert!(shows_frustration("This is useless"));
        assert!(shows_frustration("you don’t understand"));
        assert!(shows_frustration("WHY IS THIS NOT WORKING!!"));
        assert!(!shows_frustration("Thanks, that helps!"));
        assert!(!shows_frustration("OK!!"));
    }

    #[test]
    fn a_workflow_s_own_triggers_hand_over_at_once_and_may_name_a_group() {
        let triggers = parse_triggers(
            "# intents\ncancel, cancelling, close my account -> Retention\n\nbuy, pricing -> Sales\nlawyer",
        )
        .unwrap();
        assert_eq!(triggers.len(), 3);
        assert_eq!(triggers[0].group.as_deref(), Some("Retention"));
        assert_eq!(
            assess("I'm cancelling my subscription", 0, 3, true, &triggers),
            Verdict::Trigger {
                phrase: "cancelling".into(),
                group: Some("Retention".into())
            }
        );
        assert_eq!(
            assess("Please CLOSE MY ACCOUNT.", 0, 3, true, &triggers),
            Verdict::Trigger {
                phrase: "close my account".into(),
                group: Some("Retention".into())
            }
        );
        assert_eq!(
            assess("I will call my lawyer", 0, 3, false, &triggers),
            Verdict::Trigger {
                phrase: "lawyer".into(),
                group: None
            }
        );
        // Whole words only: "cancellation" is not "cancel".
        assert_eq!(
            assess("What is the cancellation fee?", 0, 3, false, &triggers),
            Verdict::Answer
        );
        assert!(parse_triggers("x -> ").unwrap_err().contains("line 1"));
        assert!(parse_triggers(",, -> Sales").unwrap_err().contains("no phrase"));
    }

    #[test]
    fn the_verdict_counts_requests_towards_the_threshold() {
        assert_eq!(
            assess("agent please", 0, 3, true, &[]),
            Verdict::Counted {
                requests: 1,
                threshold: 3
            }
        );
        assert_eq!(assess("agent please", 2, 3, true, &[]), Verdict::Asked { requests: 3 });
        assert_eq!(assess("this is useless", 0, 3, true, &[]), Verdict::Frustrated);
        assert_eq!(assess("this is useless", 0, 3, false, &[]), Verdict::Answer);
        assert!(Verdict::Frustrated.escalates() && !Verdict::Answer.escalates());
        assert!(assess(
            "I'm cancelling",
            0,
            3,
            true,
            &parse_triggers("cancelling -> Retention").unwrap()
        )
        .describe()
        .contains("Retention"));
    }

    #[test]
    fn escalation_waits_for_the_threshold_unless_the_visitor_is_frustrated() {
        assert_eq!(decide("human please", 1, 3, true), Decision::Answer);
        assert_eq!(decide("human please", 3, 3, true), Decision::Escalate);
        assert_eq!(decide("this is ridiculous", 0, 3, true), Decision::Escalate);
        assert_eq!(decide("this is ridiculous", 0, 3, false), Decision::Answer);
        assert_eq!(
            decide("human", 1, 0, false),
            Decision::Escalate,
            "a threshold below one counts as one"
        );
    }
}
