//! A message's text, formatted as the console, the widget and e-mail replies show it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = app::format::parse(text);
    let _ = app::format::plain(text);
    let _ = app::format::plain_lines(text);
    let html = app::format::html(text);
    // Whatever the text, the HTML for e-mail never carries a tag the customer wrote.
    assert!(!html.to_ascii_lowercase().contains("<script"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    for line in text.lines().take(50) {
        let _ = app::format::parse_inline(line);
    }
});
