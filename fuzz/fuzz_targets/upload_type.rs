//! An upload: its name, declared type and bytes must agree.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first line is the file's name, the second its declared type, the rest its bytes.
    let mut parts = data.splitn(3, |b| *b == b'\n');
    let (Some(name), Some(declared), Some(bytes)) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    let (Ok(name), Ok(declared)) = (std::str::from_utf8(name), std::str::from_utf8(declared)) else {
        return;
    };
    let declared = (!declared.is_empty()).then_some(declared);
    if let Ok(clean) = server::attachments::clean_name(name) {
        if let Ok(kind) = server::attachments::check_upload(&clean, declared, bytes) {
            // What is taken is what its bytes say it is.
            assert!(server::attachments::bytes_match(kind, bytes));
        }
    }
    let _ = server::attachments::kind_of(name);
});
