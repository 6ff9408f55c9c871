#![no_main]
//! Any bytes: `read_message` returns, never panics; whatever it accepts writes and reads back.
//! The same bytes read as the JSON form (what `ivd-gateway convert` takes from an
//! operator): any message that deserialises either writes a document that parses, or is
//! refused with an error — never a panic in redaction or writing.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = ivd_tribal::read_message(data) {
        let bytes = ivd_tribal::write_message(&message).expect("an accepted message writes");
        let again = ivd_tribal::read_message(&bytes).expect("what we write we read");
        assert_eq!(
            ivd_tribal::read_message(&ivd_tribal::write_message(&again).unwrap()).unwrap(),
            again
        );
        let json = ivd_tribal::to_json(&message).expect("an accepted message serialises");
        assert_eq!(
            ivd_tribal::from_json(&json).expect("its JSON reads back"),
            message
        );
    }
    let _ = ivd_tribal::message_verdicts(data).count();
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(message) = ivd_tribal::from_json(text)
        && let Ok(bytes) = ivd_tribal::write_message(&message)
    {
        ivd_tribal::read_message(&bytes).expect("what we write we read");
    }
});
