#![no_main]
//! Any bytes: `parse` returns, never panics; whatever it accepts writes and reads back.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = ivd_tribal::parse(data) {
        let bytes = ivd_tribal::write(&message).expect("an accepted message writes");
        let again = ivd_tribal::parse(&bytes).expect("what we write we read");
        assert_eq!(ivd_tribal::parse(&ivd_tribal::write(&again).unwrap()).unwrap(), again);
    }
    let _ = ivd_tribal::verdicts(data).count();
});
