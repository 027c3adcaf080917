//! A canned response's macros, expanded with a contact's details.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let values = app::macros::MacroValues {
        contact_name: Some("Ada {{contact.name}} Lovelace".into()),
        contact_email: Some("ada@example.com".into()),
        contact_phone: None,
        operator_name: Some("Ben".into()),
    };
    let unknown = app::macros::unknown_macros(text);
    match app::macros::expand(text, &values) {
        Ok(_) => assert!(unknown.is_empty()),
        Err(names) => {
            assert!(!names.is_empty());
            let _ = app::macros::unknown_message(&names);
        }
    }
    let _ = app::macros::has_macros(text);
});
