//! How the gateway uses the crate, told as stories.

use ivd_fixed::Encoding;
use ivd_newhire::generate::{Generator, write_file};
use ivd_newhire::ndnh::{
    ControlRecord, NdnhCode, ReturnedRecord, TransmissionHeader, TransmissionWriter, read_return,
    read_transmission, write_return,
};
use ivd_newhire::{Format, NewHire, Rules, read_new_hires, write_new_hires};
use time::Date;
use time::macros::date;

const TODAY: Date = date!(2026 - 03 - 20);

fn w4_file(hires: &[NewHire]) -> Vec<u8> {
    let mut w = write_new_hires(Format::W4, Vec::new());
    for h in hires {
        w.push(h).unwrap();
    }
    w.finish().unwrap()
}

fn hires(n: usize) -> Vec<NewHire> {
    let mut g = Generator::new(99, TODAY);
    (0..n).map(|_| g.new_hire()).collect()
}

#[test]
fn employer_uploads_a_w4_file_with_one_bad_ssn() {
    let mut file = w4_file(&hires(3));
    // Record 2's SSN gets a letter (positions 3–11; records are 801 + CR LF).
    file[803 + 2 + 4] = b'X';
    let outcomes: Vec<_> = read_new_hires(Format::W4, &file[..], &Rules::new(TODAY)).collect();
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes[0].is_valid() && outcomes[2].is_valid());
    let bad = &outcomes[1];
    assert!(!bad.is_valid());
    assert_eq!(bad.errors.len(), 1);
    let e = &bad.errors[0];
    assert_eq!(
        (e.record, e.field.as_ref(), e.position),
        (Some(2), "employee_ssn", Some(3))
    );
    assert_eq!(e.code.as_str(), "SSN_FORMAT");
    assert_eq!(ivd_newhire::codes::ndnh_code(e.code), "E001");
    // The message never quotes the SSN.
    let ssn = hires(3)[1].employee.ssn.expose().to_owned();
    assert!(!e.to_string().contains(&ssn[..5]));
    assert!(!bad.verdict().to_json_line().contains(&ssn[..5]));
}

#[test]
fn a_florida_contractor_reports_with_an_itin_only_where_itins_are_allowed() {
    let mut file = w4_file(&hires(1));
    file[2..11].copy_from_slice(b"912701234"); // ITIN: area 9xx, group 70
    let strict = read_new_hires(Format::W4, &file[..], &Rules::new(TODAY))
        .next()
        .unwrap();
    assert_eq!(strict.errors[0].code.as_str(), "SSN_ITIN");
    let florida = Rules::new(TODAY).allow_itin(true);
    let ok = read_new_hires(Format::W4, &file[..], &florida)
        .next()
        .unwrap();
    assert!(ok.is_valid(), "{}", ok.verdict());
    let id = &ok.new_hire.unwrap().employee.ssn;
    assert!(id.is_itin() && id.as_ssn().is_none());
    // 9xx outside the ITIN groups is never valid.
    file[2..11].copy_from_slice(b"912401234");
    let bad = read_new_hires(Format::W4, &file[..], &florida)
        .next()
        .unwrap();
    assert_eq!(bad.errors[0].code.as_str(), "SSN_AREA");
}

#[test]
fn a_payroll_vendor_sends_lower_case_csv_with_a_dashed_ssn_and_gets_upper_case() {
    let csv = "employee_ssn,employee_first_name,employee_last_name,employee_address_line1,employee_city,employee_state,employee_zip,employee_hire_date,employer_fein,employer_name,employer_address_line1,employer_city,employer_state,employer_zip\n\
               123-45-6789,jane,doe-ray,12 elm st,albany,ny,12207,2026-03-02,12-3456789,acme widgets,1 main st,albany,NY,12207\n\
               123-45-6789,jane,o'hara,12 elm st,albany,ny,12207,03/02/2026,12-3456789,acme widgets,1 main st,albany,NY,12207\n";
    let out: Vec<_> = read_new_hires(Format::Csv, csv.as_bytes(), &Rules::new(TODAY)).collect();
    let nh = out[0].new_hire.as_ref().expect("valid");
    assert_eq!(nh.employee.name.expose().last, "DOE-RAY");
    assert_eq!(nh.employee.address.city, "ALBANY");
    assert_eq!(nh.employee.ssn.expose(), "123456789");
    let codes: Vec<_> = out[1]
        .errors
        .iter()
        .map(|e| (e.code.as_str(), e.position))
        .collect();
    // Apostrophe in a name; a US-style date: column numbers as positions.
    assert_eq!(
        codes,
        [("NAME_CHARS", Some(3)), ("HIRE_DATE_INVALID", Some(8))]
    );
}

#[test]
fn a_csv_without_the_required_columns_is_rejected_as_a_whole() {
    let out: Vec<_> = read_new_hires(
        Format::Csv,
        &b"employee_ssn,nickname\n1,2\n"[..],
        &Rules::new(TODAY),
    )
    .collect();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].errors[0].code.as_str(), "CSV_HEADER");
    let out: Vec<_> = read_new_hires(Format::Csv, &b""[..], &Rules::new(TODAY)).collect();
    assert_eq!(out[0].errors[0].code.as_str(), "CSV_HEADER");
}

#[test]
fn an_xml_upload_with_a_doctype_is_refused_before_any_entity_is_expanded() {
    let xml = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
<NewHireReport xmlns="urn:ivd-gateway:new-hire:1"><Employer><Name>&lol2;</Name></Employer></NewHireReport>"#;
    let out: Vec<_> = read_new_hires(Format::Xml, &xml[..], &Rules::new(TODAY)).collect();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].errors[0].code.as_str(), "XML_DOCTYPE");
    // An undeclared entity without a DOCTYPE is refused too.
    let xml = br#"<NewHireReport><Employer><Name>&ext;</Name></Employer></NewHireReport>"#;
    let out: Vec<_> = read_new_hires(Format::Xml, &xml[..], &Rules::new(TODAY)).collect();
    assert_eq!(out[0].errors[0].code.as_str(), "XML_DOCTYPE");
}

#[test]
fn malformed_xml_gives_a_record_level_error_after_the_good_records() {
    let mut w = write_new_hires(Format::Xml, Vec::new());
    for h in hires(2) {
        w.push(&h).unwrap();
    }
    let mut xml = w.finish().unwrap();
    xml.truncate(xml.len() - 30);
    let out: Vec<_> = read_new_hires(Format::Xml, &xml[..], &Rules::new(TODAY)).collect();
    assert_eq!(out.len(), 3);
    assert!(out[0].is_valid() && out[1].is_valid());
    assert_eq!(out[2].record, 3);
    assert_eq!(out[2].errors[0].code.as_str(), "XML_MALFORMED");
    assert_eq!(out[2].errors[0].position, None);
}

#[test]
fn a_file_cut_off_mid_record_reports_the_partial_record() {
    let mut file = w4_file(&hires(2));
    file.truncate(803 + 500);
    let out: Vec<_> = read_new_hires(Format::W4, &file[..], &Rules::new(TODAY)).collect();
    assert_eq!(out.len(), 2);
    assert_eq!(out[1].errors[0].code.as_str(), "PARTIAL_RECORD");
}

#[test]
fn records_without_line_terminators_and_texas_trailers_are_read() {
    let file = w4_file(&hires(3));
    let mut bare: Vec<u8> = file.chunks(803).flat_map(|r| r[..801].to_vec()).collect();
    let mut t4 = format!("T4{:011}", 3).into_bytes();
    t4.resize(801, b' ');
    bare.extend_from_slice(&t4);
    let out: Vec<_> = read_new_hires(Format::W4, &bare[..], &Rules::new(TODAY)).collect();
    assert_eq!(out.len(), 3);
    assert!(out.iter().all(|o| o.is_valid()));
    // A wrong trailer count is reported.
    let n = bare.len();
    bare[n - 801 + 12] = b'4';
    let out: Vec<_> = read_new_hires(Format::W4, &bare[..], &Rules::new(TODAY)).collect();
    assert_eq!(out[3].errors[0].code.as_str(), "TRAILER_COUNT");
}

#[test]
fn the_gateway_sniffs_the_format_of_an_upload() {
    assert_eq!(Format::detect(b"W4123"), Some(Format::W4));
    assert_eq!(Format::detect(b"va Newhire Record1.00"), Some(Format::Xx));
    assert_eq!(Format::detect(b"\xEF\xBB\xBF  <?xml"), Some(Format::Xml));
    assert_eq!(Format::detect(b"\"employee_ssn\",x\n"), Some(Format::Csv));
    assert_eq!(Format::detect(b"hello"), None);
    assert_eq!(
        Format::from_media_type("text/csv; charset=utf-8"),
        Some(Format::Csv)
    );
    assert_eq!(
        Format::from_media_type("Application/XML"),
        Some(Format::Xml)
    );
    assert_eq!(
        Format::from_media_type("application/vnd.ivd.newhire-xx"),
        Some(Format::Xx)
    );
    assert_eq!(Format::from_media_type("application/octet-stream"), None);
    assert_eq!("W4".parse::<Format>(), Ok(Format::W4));
    assert!("pdf".parse::<Format>().is_err());
    for f in ivd_newhire::FORMATS {
        assert_eq!(Format::from_media_type(f.media_type()), Some(f));
        assert_eq!(f.name().parse::<Format>(), Ok(f));
    }
}

#[test]
fn debug_of_a_report_shows_no_personal_data() {
    for nh in hires(20) {
        let shown = format!("{nh:?} {nh:#?}");
        let name = nh.employee.name.expose();
        assert!(!shown.contains(nh.employee.ssn.expose()));
        assert!(!shown.contains(name.last), "{shown}");
        assert!(!shown.contains(nh.employee.address.line1.as_str()));
        assert!(!shown.contains(nh.employer.fein.expose()));
    }
}

#[test]
fn the_sdnh_forwards_accepted_hires_to_ndnh_in_ebcdic_and_reads_its_own_file_back() {
    let header = TransmissionHeader {
        state_fips: 27,
        batch_number: 42,
        date: TODAY,
    };
    for encoding in [Encoding::Ascii, Encoding::Ebcdic037] {
        let hires = hires(5);
        let mut w = TransmissionWriter::new(header, encoding, Vec::new());
        for h in &hires {
            w.push(h).unwrap();
        }
        let (bytes, count) = w.finish().unwrap();
        assert_eq!(count, 5);
        let per = if encoding == Encoding::Ascii {
            803
        } else {
            801
        };
        assert_eq!(bytes.len(), 7 * per);
        let t = read_transmission(&bytes, encoding);
        assert_eq!(t.header, Some(header));
        assert!(t.errors.is_empty(), "{:?}", t.errors);
        let back: Vec<_> = t
            .records
            .iter()
            .map(|o| o.new_hire.clone().unwrap())
            .collect();
        let expected: Vec<_> = hires
            .iter()
            .map(|h| {
                let mut h = Format::W4.representable(h);
                h.salary = None; // NDNH detail records carry no salary
                h
            })
            .collect();
        assert_eq!(back, expected);
    }
}

#[test]
fn ndnh_rejects_a_transmission_without_header_and_with_a_wrong_trailer() {
    let header = TransmissionHeader {
        state_fips: 27,
        batch_number: 1,
        date: TODAY,
    };
    let mut w = TransmissionWriter::new(header, Encoding::Ascii, Vec::new());
    for h in hires(2) {
        w.push(&h).unwrap();
    }
    let (bytes, _) = w.finish().unwrap();
    let headless = &bytes[803..];
    let t = read_transmission(headless, Encoding::Ascii);
    assert_eq!(t.header, None);
    assert_eq!(t.errors[0].code.as_str(), "HEADER_MISSING");
    assert_eq!(t.errors.len(), 1);
    assert!(
        t.records
            .iter()
            .all(|o| o.errors[0].code.as_str() == "HEADER_MISSING")
    );
    // Drop a detail record: the trailer count no longer matches.
    let mut short = bytes[..803].to_vec();
    short.extend_from_slice(&bytes[2 * 803..]);
    let t = read_transmission(&short, Encoding::Ascii);
    assert_eq!(t.errors.len(), 1);
    assert_eq!(t.errors[0].code.as_str(), "TRAILER_COUNT");
    assert_eq!(ivd_newhire::codes::ndnh_code(t.errors[0].code), "E011");
}

#[test]
fn ndnh_returns_a_control_record_and_two_rejected_hires() {
    let hires = hires(2);
    let control = ControlRecord {
        state_fips: 27,
        batch_number: 42,
        date: TODAY,
        received: 4,
        rejected: 1,
        returned: 2,
        posted: 1,
        unverified: 0,
        batch_codes: vec![],
    };
    let returned: Vec<ReturnedRecord> = hires
        .iter()
        .enumerate()
        .map(|(i, h)| ReturnedRecord {
            record: i as u64 + 2,
            ssn: h.employee.ssn.as_ssn(),
            fein: Some(h.employer.fein.clone()),
            hire_date: Some(h.hire_date),
            codes: if i == 0 {
                vec![NdnhCode::new("E002"), NdnhCode::new("W003")]
            } else {
                vec![NdnhCode::new("W001"), NdnhCode::new("Z999")]
            },
        })
        .collect();
    for encoding in [Encoding::Ascii, Encoding::Ebcdic037] {
        let bytes = write_return(&control, &returned, encoding);
        let back = read_return(&bytes, encoding);
        assert!(back.errors.is_empty(), "{:?}", back.errors);
        assert_eq!(back.control.as_ref(), Some(&control));
        assert_eq!(back.returned, returned);
        assert!(back.returned[0].codes[0].rejected);
        assert_eq!(back.returned[1].codes[1].meaning, None); // unknown, kept verbatim
        assert_eq!(back.returned[1].codes[1].code, "Z999");
    }
    let nothing = read_return(b"garbage", Encoding::Ascii);
    assert!(nothing.control.is_none() && !nothing.errors.is_empty());
}

#[test]
fn the_generator_is_deterministic_and_its_invalid_share_is_what_readers_find() {
    for format in ivd_newhire::FORMATS {
        let mut a = Vec::new();
        let mut calls = 0;
        let summary = write_file(format, 300, 5, 0.25, TODAY, &mut a, |_| calls += 1).unwrap();
        assert!(calls >= 1);
        let mut b = Vec::new();
        write_file(format, 300, 5, 0.25, TODAY, &mut b, |_| {}).unwrap();
        assert_eq!(a, b, "{format}");
        assert_eq!(summary.valid + summary.invalid, 300);
        assert!(summary.invalid > 30 && summary.invalid < 120, "{summary:?}");
        let outcomes: Vec<_> = read_new_hires(format, &a[..], &Rules::new(TODAY)).collect();
        assert_eq!(outcomes.len(), 300, "{format}");
        let invalid = outcomes.iter().filter(|o| !o.is_valid()).count() as u64;
        assert_eq!(invalid, summary.invalid, "{format}");
    }
}

#[test]
fn a_stored_detail_record_forwards_byte_for_byte_like_the_report_itself() {
    use ivd_newhire::ndnh::{TransmissionHeader, TransmissionWriter, detail_record};
    let today = time::macros::date!(2026 - 03 - 02);
    let mut generator = ivd_newhire::generate::Generator::new(4, today);
    let reports: Vec<_> = (0..5).map(|_| generator.new_hire()).collect();
    let header = TransmissionHeader {
        state_fips: 27,
        batch_number: 9,
        date: today,
    };
    let mut direct = TransmissionWriter::new(header, ivd_fixed::Encoding::Ebcdic037, Vec::new());
    let mut stored = TransmissionWriter::new(header, ivd_fixed::Encoding::Ebcdic037, Vec::new());
    for report in &reports {
        direct.push(report).unwrap();
        stored.push_record(&detail_record(report).unwrap()).unwrap();
    }
    assert_eq!(direct.finish().unwrap().0, stored.finish().unwrap().0);
    let mut bad = TransmissionWriter::new(header, ivd_fixed::Encoding::Ascii, Vec::new());
    assert!(bad.push_record(b"W4 too short").is_err());
}
