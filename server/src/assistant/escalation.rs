//! Telling when a visitor wants a person: explicit requests for a human, in many phrasings,
//! and frustration. Pure functions over the message text.

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
