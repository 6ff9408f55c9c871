//! Property tests: every format round-trips what it can carry; no reader panics on
//! any bytes; a huge stream reads without collecting.

use ivd_fixed::Encoding;
use ivd_newhire::generate::{Generator, write_file};
use ivd_newhire::{FORMATS, Format, Rules, read_new_hires, write_new_hires};
use proptest::prelude::*;
use time::Date;
use time::macros::date;

const TODAY: Date = date!(2026 - 03 - 20);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn generated_hires_round_trip_through_every_format(seed in any::<u64>(), n in 1usize..12) {
        let mut g = Generator::new(seed, TODAY);
        let hires: Vec<_> = (0..n).map(|_| g.new_hire()).collect();
        for format in FORMATS {
            let mut w = write_new_hires(format, Vec::new());
            for h in &hires {
                w.push(h).unwrap();
            }
            let bytes = w.finish().unwrap();
            let back: Vec<_> = read_new_hires(format, &bytes[..], &Rules::new(TODAY)).collect();
            prop_assert_eq!(back.len(), n);
            for (o, h) in back.iter().zip(&hires) {
                prop_assert!(o.is_valid(), "{} {}", format, o.verdict());
                prop_assert_eq!(o.new_hire.as_ref().unwrap(), &format.representable(h));
            }
        }
    }

    #[test]
    fn no_reader_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        for format in FORMATS {
            for o in read_new_hires(format, &bytes[..], &Rules::new(TODAY)).take(100) {
                let _ = o.verdict().to_json_line();
            }
        }
        let _ = ivd_newhire::ndnh::read_return(&bytes, Encoding::Ascii);
        let _ = ivd_newhire::ndnh::read_transmission(&bytes, Encoding::Ebcdic037);
    }

    #[test]
    fn no_reader_panics_on_mutated_valid_files(seed in any::<u64>(), flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..20)) {
        for format in FORMATS {
            let mut bytes = Vec::new();
            write_file(format, 3, seed, 0.3, TODAY, &mut bytes, |_| {}).unwrap();
            for (i, b) in &flips {
                let at = i.index(bytes.len());
                bytes[at] = *b;
            }
            for o in read_new_hires(format, &bytes[..], &Rules::new(TODAY)) {
                if o.is_valid() {
                    // Whatever reads valid writes back.
                    write_new_hires(format, Vec::new()).push(o.new_hire.as_ref().unwrap()).ok();
                }
            }
        }
    }
}

/// A `Read` that generates an endless sequence of W4 records on the fly: the test never
/// holds the file.
struct W4Stream {
    generator: Generator,
    left: u64,
    record: Vec<u8>,
    at: usize,
}

impl std::io::Read for W4Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.record.len() {
            if self.left == 0 {
                return Ok(0);
            }
            self.left -= 1;
            let mut w = write_new_hires(Format::W4, std::mem::take(&mut self.record));
            w.push(&self.generator.new_hire()).unwrap();
            self.record = w.finish().unwrap();
            self.record.drain(..self.record.len() - 803);
            self.at = 0;
        }
        let n = buf.len().min(self.record.len() - self.at);
        buf[..n].copy_from_slice(&self.record[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn a_200_000_record_w4_stream_reads_record_by_record() {
    let records = 200_000;
    let stream = W4Stream {
        generator: Generator::new(1, TODAY),
        left: records,
        record: Vec::new(),
        at: 0,
    };
    let input = std::io::BufReader::with_capacity(64 * 1024, stream);
    let mut count = 0u64;
    let mut last = 0;
    for o in read_new_hires(Format::W4, input, &Rules::new(TODAY)) {
        assert!(o.is_valid(), "{}", o.verdict());
        assert_eq!(o.record, last + 1);
        last = o.record;
        count += 1;
    }
    assert_eq!(count, records);
}
