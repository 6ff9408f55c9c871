#![no_main]
//! Any bytes, as ASCII and as EBCDIC: reading a return file or a transmission never panics.
//!
//! What reads also writes back: the control record and returned records of a return file
//! written again (as NDNH would, `write_return`) read as the same values, and the valid
//! reports of a transmission written again under its header (`TransmissionWriter`) read
//! as the same reports with a trailer that counts them.

use ivd_fixed::Encoding;
use ivd_newhire::ndnh::{TransmissionWriter, read_return, read_transmission, write_return};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for encoding in [Encoding::Ascii, Encoding::Ebcdic037] {
        let r = read_return(data, encoding);
        for e in &r.errors {
            let _ = e.to_string();
        }
        // Codes are cut to 4 bytes as read; only printable ones can be written back
        // (`write_return` leaves a field it cannot write blank, as documented).
        let printable = |codes: &[ivd_newhire::ndnh::NdnhCode]| {
            codes
                .iter()
                .all(|c| c.code.bytes().all(|b| b.is_ascii_graphic() || b == b' '))
        };
        if let Some(control) = &r.control
            && printable(&control.batch_codes)
            && r.returned.iter().all(|x| printable(&x.codes))
        {
            let bytes = write_return(control, &r.returned, encoding);
            let again = read_return(&bytes, encoding);
            assert_eq!(again.control.as_ref(), Some(control));
            let renumbered: Vec<_> = r
                .returned
                .iter()
                .zip(2u64..)
                .map(|(x, n)| {
                    let mut x = x.clone();
                    x.record = n;
                    x
                })
                .collect();
            assert_eq!(again.returned, renumbered);
        }

        let t = read_transmission(data, encoding);
        for o in &t.records {
            let _ = o.verdict().to_json_line();
        }
        if let Some(header) = t.header {
            let hires: Vec<_> = t
                .records
                .iter()
                .filter_map(|o| o.new_hire.clone())
                .collect();
            let mut w = TransmissionWriter::new(header, encoding, Vec::new());
            for hire in &hires {
                w.push(hire)
                    .expect("a report read from a transmission writes");
            }
            let (bytes, count) = w.finish().expect("writing to a Vec cannot fail");
            assert_eq!(count, hires.len() as u64);
            let again = read_transmission(&bytes, encoding);
            assert_eq!(again.header, Some(header));
            assert!(
                again.errors.is_empty(),
                "our own transmission has file errors"
            );
            let reread: Vec<_> = again
                .records
                .iter()
                .filter_map(|o| o.new_hire.clone())
                .collect();
            assert_eq!(reread, hires);
        }
    }
});
