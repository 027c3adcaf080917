//! A Twilio webhook: its form body, signature and words.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first line is the signature header, the rest the form body.
    let (given, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let given = String::from_utf8_lossy(given);
    let fields: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let url = "https://chat.acme.example:443/webhooks/twilio/sms-key/inbound?x=1";
    let expected = server::channels::sms::signature("token", url, &fields);
    assert!(server::channels::sms::signed("token", url, &fields, &expected));
    let _ = server::channels::sms::signed("token", url, &fields, &given);
    for (name, value) in &fields {
        if name == "Body" {
            let _ = server::channels::sms::opt_out_of(value, None);
            let _ = server::conversations::rating::rating_reply(value);
        }
        if name == "OptOutType" {
            let _ = server::channels::sms::opt_out_of("", Some(value));
        }
        if name == "MessageStatus" {
            let _ = server::channels::sms::status_of(value);
        }
        if name == "ErrorCode" {
            let _ = server::channels::sms::error_words(value);
        }
    }
});
