//! An e-mail delivered to a channel: read as the ingest reads it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(server::channels::email::Reading::Customer(inbound)) =
        server::channels::email::read(data, "support@acme.example")
    {
        assert!(!inbound.text.contains('\0'));
        assert!(inbound.text.chars().count() <= app::events::MAX_MESSAGE_CHARS);
        assert!(!inbound.message_id.is_empty());
        let _ = server::channels::email::automatic(&inbound.message);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = server::channels::email::new_text(text);
    }
});
