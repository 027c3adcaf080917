//! Customer satisfaction on channels without a widget (SMS, e-mail): after a conversation is
//! resolved the customer is asked, in the thread, to answer with a number from 1 to 5, and a
//! reply that starts with one is their rating (the rest is their comment) instead of a new
//! message that reopens the conversation.

/// The question sent to the customer of a resolved SMS or e-mail conversation.
pub const QUESTION: &str =
    "How did we do? Reply with a number from 1 (poor) to 5 (excellent), and a comment if you like.";

/// How long after the resolution a number counts as the rating (later, it is a new message).
pub const ANSWER_WITHIN_MS: i64 = 7 * 24 * 3600 * 1000;

/// The rating and comment in a reply to `QUESTION`: it starts with a digit 1–5 standing alone
/// ("4", "5 thanks!", "3/5 slow but fine", "4 stars", "5 - great"), or it is not a rating
/// ("15 minutes late", "2nd time I ask", "3.5").
pub fn rating_reply(text: &str) -> Option<(u8, String)> {
    let text = text.trim_start();
    let mut chars = text.chars();
    let digit = chars.next()?;
    let rating = match digit {
        '1'..='5' => digit as u8 - b'0',
        _ => return None,
    };
    let mut rest = chars.as_str();
    // The digit must stand alone: not part of a longer number ("15", "3.5", "5,000") or a
    // word ("2nd"), though "5stars" is fine.
    let mut next = rest.chars();
    match (next.next(), next.next()) {
        (Some('.' | ','), Some(d)) if d.is_ascii_digit() => return None,
        (Some(c), _) if c.is_alphanumeric() && !rest.to_lowercase().starts_with("star") => return None,
        _ => {}
    }
    rest = rest.trim_start();
    for scale in ["/5", "/ 5", "out of 5"] {
        if let Some(r) = rest.strip_prefix(scale) {
            rest = r.trim_start();
        }
    }
    for word in ["stars", "star"] {
        if rest.to_lowercase().starts_with(word) {
            rest = rest[word.len()..].trim_start();
        }
    }
    let comment = rest
        .trim_start_matches(|c: char| matches!(c, '-' | '–' | '—' | ':' | ',' | '.' | '!' | ')') || c.is_whitespace())
        .trim();
    Some((rating, comment.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_starting_with_a_lone_digit_from_1_to_5_is_a_rating_with_its_comment() {
        assert_eq!(rating_reply("4"), Some((4, String::new())));
        assert_eq!(
            rating_reply("  5 thanks, very quick!"),
            Some((5, "thanks, very quick!".into()))
        );
        assert_eq!(rating_reply("3/5 slow but fine"), Some((3, "slow but fine".into())));
        assert_eq!(
            rating_reply("2 stars - nobody answered"),
            Some((2, "nobody answered".into()))
        );
        assert_eq!(rating_reply("5stars"), Some((5, String::new())));
        assert_eq!(rating_reply("1. rude"), Some((1, "rude".into())));
        assert_eq!(rating_reply("4 out of 5"), Some((4, String::new())));
    }

    #[test]
    fn numbers_that_are_not_a_rating_are_a_new_message() {
        for text in [
            "15 minutes late",
            "2nd time I ask",
            "3.5",
            "0",
            "6",
            "my order 5512",
            "",
            "5,000 charged",
        ] {
            assert_eq!(rating_reply(text), None, "{text:?}");
        }
    }
}
