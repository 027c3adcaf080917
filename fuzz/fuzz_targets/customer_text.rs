//! What a customer writes, as the assistant's escalation rules and the rating reply read it,
//! and a workflow's trigger phrases as an admin types them.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = app::escalation::decide(text, 1, 3, true);
    let _ = app::escalation::asks_for_human(text);
    let _ = app::escalation::shows_frustration(text);
    if let Ok(triggers) = app::escalation::parse_triggers(text) {
        let _ = app::escalation::triggered(text, &triggers);
        let _ = app::escalation::triggered("I'm cancelling my order, travel agent", &triggers);
    }
    if let Some((rating, comment)) = server::conversations::rating::rating_reply(text) {
        assert!((1..=5).contains(&rating));
        assert!(comment.len() <= text.len());
    }
});
