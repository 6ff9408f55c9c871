#![no_main]
//! Any bytes, either encoding: reading a submission file never panics, and every
//! submission that reads writes back to a file that reads as the same submissions. The
//! field parsers the records use (the SSN field, the exclusion list) take any text, and
//! what they accept writes back to text they read as the same value.

use ivd_offset::{
    Encoding, Exclusion, OffsetSsn, read_submission_file, submission_verdicts,
    write_submission_file,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for enc in [Encoding::Ascii, Encoding::Ebcdic037] {
        let file = read_submission_file(data, enc);
        if let Some(first) = file.submissions.first() {
            let state = first.key().state.clone();
            let same: Vec<_> = file
                .submissions
                .iter()
                .filter(|s| s.key().state == state)
                .cloned()
                .collect();
            let written =
                write_submission_file(&state, &same, enc).expect("a valid submission writes");
            assert_eq!(read_submission_file(&written, enc).submissions, same);
        }
        for v in submission_verdicts(data, enc) {
            let _ = v.to_json_line();
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(ssn) = OffsetSsn::parse(text) {
            assert_eq!(OffsetSsn::parse(ssn.expose()), Ok(ssn.clone()));
            let _ = (ssn.kind(), ssn.last4(), ssn.is_certifiable());
        }
        if let Ok(set) = Exclusion::parse_list(text) {
            assert_eq!(Exclusion::parse_list(&Exclusion::join(&set)), Ok(set));
        }
    }
});
