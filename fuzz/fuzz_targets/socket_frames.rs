//! A socket frame from a visitor or an operator: read as the sockets read it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(command) = serde_json::from_str::<app::events::VisitorCommand>(text) {
        // What was read can be written back and read again the same.
        let again = serde_json::to_string(&command).unwrap();
        let _ = serde_json::from_str::<app::events::VisitorCommand>(&again).unwrap();
    }
    if let Ok(command) = serde_json::from_str::<app::events::OperatorCommand>(text) {
        let again = serde_json::to_string(&command).unwrap();
        let _ = serde_json::from_str::<app::events::OperatorCommand>(&again).unwrap();
    }
});
