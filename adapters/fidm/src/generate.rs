//! Synthetic Method 1 all-accounts files: seeded, deterministic (ChaCha8), streaming,
//! constant memory, never real people.
//!
//! Owners' names are common English words; SSNs are random but valid in form (area
//! 001–899 except 666, group and serial never zero); account numbers are unique within a
//! file; balances, trust-fund codes, account types and birth dates vary. A test that
//! needs to know exactly which matches to expect **plants** SSNs: each planted SSN owns
//! the account at the given position, and no random owner ever has a planted SSN.
//!
//! ```
//! use ivd_fidm::{Encoding, generate, read_accounts};
//! let ours: ivd_fidm::Ssn = "123456789".parse()?;
//! let mut file = Vec::new();
//! generate::write_all_accounts(50, 7, &[(17, ours.clone())], Encoding::Ascii, &mut file, |_| {})?;
//! let owners: Vec<_> = read_accounts(&file[..], Encoding::Ascii)
//!     .filter_map(|o| o.account)
//!     .filter(|a| a.ssn == ours)
//!     .map(|a| a.record)
//!     .collect();
//! assert_eq!(owners, [18]); // account 17 is physical record 18, after the A record
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufRead, Read, Write};

use ivd_fixed::{Encoding, Framing};
use ivd_model::{BirthDate, Fein, Ssn};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::{Date, Month};

use crate::framing::put_record;
use crate::layouts::{RECORD_LEN, T_RECORD};
use crate::records;
use crate::types::{
    Account, AccountType, BalanceIndicator, FileIndicator, Institution, PostalAddress, TrustFund,
    name_control,
};

const FIRST: &[&str] = &[
    "MAPLE", "RIVER", "STONE", "ASPEN", "BROOK", "CEDAR", "DAWN", "EMBER", "FERN", "GROVE",
    "HAZEL", "IRIS", "JUNIPER", "LARK", "MEADOW", "OAK", "PEARL", "QUILL", "ROBIN", "SAGE",
];
const LAST: &[&str] = &[
    "TABLE",
    "LANTERN",
    "HARBOR",
    "MARKET",
    "GARDEN",
    "BRIDGE",
    "CANYON",
    "FOREST",
    "VALLEY",
    "ORCHARD",
    "PEBBLE",
    "SUMMIT",
    "THICKET",
    "WINDOW",
    "KETTLE",
    "MITTEN",
    "PARCEL",
    "RIBBON",
    "SADDLE",
    "TIMBER",
    "HILL-SIDE",
    "O'MEADOW",
];
const STREETS: &[&str] = &["MAIN", "OAK", "ELM", "PINE", "LAKE", "HILL", "PARK", "MILL"];
const SUFFIXES: &[&str] = &["ST", "AVE", "RD", "LN", "BLVD", "CT"];
/// (state, city, first 3 digits of its ZIPs)
const PLACES: &[(&str, &str, &str)] = &[
    ("KS", "TOPEKA", "666"),
    ("KS", "WICHITA", "672"),
    ("MO", "KANSAS CITY", "641"),
    ("MN", "SAINT PAUL", "551"),
    ("CA", "SACRAMENTO", "958"),
    ("TX", "AUSTIN", "787"),
    ("NY", "ALBANY", "122"),
    ("PR", "SAN JUAN", "009"),
];
const BANKS: &[&str] = &[
    "PRAIRIE SAVINGS BANK",
    "BLUESTEM CREDIT UNION",
    "FLINT HILLS TRUST",
    "SUNFLOWER NATIONAL BANK",
];

/// When a generated file says it was created: March 2026.
pub const YEAR_MONTH: (u16, u8) = (2026, 3);

/// A synthetic institution for `seed`: an all-accounts file of [`YEAR_MONTH`], a random
/// valid TIN, a Kansas address, no transmitter.
pub fn institution(seed: u64) -> Institution {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x00F1_D0F1);
    let tin = format!("48{:07}", rng.random_range(0..10_000_000));
    Institution {
        tin: Fein::parse(&tin).unwrap_or_else(|_| unreachable!("48 is an issued prefix")),
        name_control: String::new(),
        name: BANKS[rng.random_range(0..BANKS.len())].to_owned(),
        second_name: String::new(),
        address: PostalAddress {
            street: format!("{} MAIN ST", rng.random_range(1..1000)),
            city: "TOPEKA".into(),
            state: "KS".into(),
            zip: "66603".into(),
        },
        transmitter_tin: None,
        transmitter_name: String::new(),
        transmitter_address: PostalAddress::default(),
        year_month: YEAR_MONTH,
        file_indicator: FileIndicator::AllAccounts,
        media_sequence: None,
        test: true,
        service_bureau: false,
        foreign: false,
        transfer_agent: false,
    }
}

/// A deterministic source of synthetic accounts.
pub struct AccountGenerator {
    rng: ChaCha8Rng,
    planted: BTreeMap<u64, Ssn>,
    reserved: BTreeSet<Ssn>,
}

impl AccountGenerator {
    /// A generator for `seed`; `planted` as in [`write_all_accounts`] (positions are not
    /// checked here).
    pub fn new(seed: u64, planted: &[(u64, Ssn)]) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            planted: planted.iter().cloned().collect(),
            reserved: planted.iter().map(|(_, s)| s.clone()).collect(),
        }
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.rng.random_range(0..list.len())]
    }

    fn random_ssn(&mut self) -> Ssn {
        loop {
            let mut area = self.rng.random_range(1..900u32);
            if area == 666 {
                area = 667;
            }
            let s = format!(
                "{area:03}{:02}{:04}",
                self.rng.random_range(1..100),
                self.rng.random_range(1..10_000)
            );
            let ssn = Ssn::parse(&s).unwrap_or_else(|_| unreachable!("valid by construction"));
            if !self.reserved.contains(&ssn) {
                return ssn;
            }
        }
    }

    /// The account at 1-based position `n` of the file (its B record is physical record
    /// `n + 1`).
    pub fn account(&mut self, n: u64) -> Account {
        let random = self.random_ssn();
        let ssn = self.planted.get(&n).cloned().unwrap_or(random);
        let first = self.pick(FIRST);
        let last = self.pick(LAST);
        let payee_name = format!("{first} {last}");
        let joint = self.rng.random_bool(0.25);
        let second_payee_name = if joint {
            format!("{} {last}", self.pick(FIRST))
        } else {
            String::new()
        };
        let title = if joint {
            format!("{payee_name} OR {second_payee_name}")
        } else {
            payee_name.clone()
        };
        let (state, city, zip3) = PLACES[self.rng.random_range(0..PLACES.len())];
        let zip = if self.rng.random_bool(0.3) {
            format!(
                "{zip3}{:02}{:04}",
                self.rng.random_range(1..100),
                self.rng.random_range(1..10_000)
            )
        } else {
            format!("{zip3}{:02}", self.rng.random_range(1..100))
        };
        let address = PostalAddress {
            street: format!(
                "{} {} {}",
                self.rng.random_range(1..10_000),
                self.pick(STREETS),
                self.pick(SUFFIXES)
            ),
            city: city.to_owned(),
            state: state.to_owned(),
            zip,
        };
        let (balance_indicator, balance_dollars) = match self.rng.random_range(0..20) {
            0..=13 => (
                BalanceIndicator::Current,
                if self.rng.random_bool(0.1) {
                    -self.rng.random_range(1..500)
                } else {
                    let cap = self.rng.random_range(1..1_000_000);
                    self.rng.random_range(0..cap)
                },
            ),
            14..=16 => (BalanceIndicator::Average, self.rng.random_range(0..50_000)),
            _ => (BalanceIndicator::NotProvided, 0),
        };
        let trust_fund = if self.rng.random_bool(0.9) {
            TrustFund::NotTrust
        } else {
            TrustFund::ALL[self.rng.random_range(1..TrustFund::ALL.len())]
        };
        let account_type = Some(AccountType::ALL[self.rng.random_range(0..AccountType::ALL.len())]);
        let birth_date = self.rng.random_bool(0.7).then(|| {
            let year = self.rng.random_range(1940..2008);
            let month = Month::try_from(self.rng.random_range(1..=12u8)).unwrap_or(Month::January);
            let day = self.rng.random_range(1..=28);
            BirthDate::from_date(
                Date::from_calendar_date(year, month, day)
                    .unwrap_or_else(|_| unreachable!("day 1-28 exists in every month")),
            )
        });
        Account {
            record: n + 1,
            ssn,
            last_name_control: name_control(last),
            account_number: format!("{:04}{n:010}", self.rng.random_range(1000..10_000)),
            title,
            foreign: false,
            payee_name,
            second_payee_name,
            address,
            balance_dollars,
            balance_indicator,
            trust_fund,
            account_type,
            update: None,
            birth_date,
        }
    }
}

/// The records of a synthetic file, one at a time.
struct Source {
    generator: AccountGenerator,
    institution: Institution,
    encoding: Encoding,
    records: u64,
    /// 0: A record next; 1..=records: that account next; records + 1: T next; beyond: done.
    next: u64,
    buf: Vec<u8>,
}

impl Source {
    fn new(
        records: u64,
        seed: u64,
        planted: &[(u64, Ssn)],
        encoding: Encoding,
    ) -> io::Result<Self> {
        let mut seen = BTreeSet::new();
        for (at, _) in planted {
            if !(1..=records).contains(at) || !seen.insert(*at) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "planted positions must be distinct and within 1..=records",
                ));
            }
        }
        Ok(Self {
            generator: AccountGenerator::new(seed, planted),
            institution: institution(seed),
            encoding,
            records,
            next: 0,
            buf: Vec::with_capacity(RECORD_LEN),
        })
    }

    /// Puts the next record (encoded, no terminator) in `out`; `false` at the end.
    fn next_record(&mut self, out: &mut Vec<u8>) -> io::Result<bool> {
        let n = self.next;
        let to_io = |e: ivd_fixed::FieldError| io::Error::other(e.to_string());
        let rec = if n == 0 {
            records::write_institution(&self.institution, std::mem::take(&mut self.buf))
        } else if n <= self.records {
            let a = self.generator.account(n);
            records::write_account(
                self.institution.year_month,
                &a,
                std::mem::take(&mut self.buf),
            )
        } else if n == self.records + 1 {
            records::write_count(&T_RECORD, self.records)
        } else {
            return Ok(false);
        };
        let mut rec = rec.map_err(to_io)?;
        self.next += 1;
        out.clear();
        put_record(out, &mut rec, self.encoding, Framing::Fixed)?;
        self.buf = rec;
        Ok(true)
    }
}

/// Writes a synthetic all-accounts file of `records` accounts (A, `records` B, T), back
/// to back in `encoding`, to `out`. `planted` puts each SSN on the account at its 1-based
/// position (physical record position + 1); positions must be distinct and within
/// `1..=records`. Calls `progress(n)` every 10,000 accounts and at the end. Streaming,
/// constant memory; the same arguments give the same bytes.
pub fn write_all_accounts<W: Write>(
    records: u64,
    seed: u64,
    planted: &[(u64, Ssn)],
    encoding: Encoding,
    mut out: W,
    mut progress: impl FnMut(u64),
) -> io::Result<()> {
    let mut source = Source::new(records, seed, planted, encoding)?;
    let mut rec = Vec::with_capacity(RECORD_LEN);
    while source.next_record(&mut rec)? {
        out.write_all(&rec)?;
        let written = source.next.saturating_sub(1);
        if written > 0 && written <= records && written % 10_000 == 0 {
            progress(written);
        }
    }
    out.flush()?;
    progress(records);
    Ok(())
}

/// The same file as [`write_all_accounts`], as a reader that makes each record when it
/// is asked for: a test can stream a file of any size without holding it.
pub fn all_accounts_reader(
    records: u64,
    seed: u64,
    planted: &[(u64, Ssn)],
    encoding: Encoding,
) -> io::Result<AllAccountsReader> {
    Ok(AllAccountsReader {
        source: Source::new(records, seed, planted, encoding)?,
        rec: Vec::with_capacity(RECORD_LEN),
        pos: 0,
    })
}

/// See [`all_accounts_reader`].
pub struct AllAccountsReader {
    source: Source,
    rec: Vec<u8>,
    pos: usize,
}

impl Read for AllAccountsReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for AllAccountsReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.rec.len() {
            self.pos = 0;
            if !self.source.next_record(&mut self.rec)? {
                self.rec.clear();
            }
        }
        Ok(&self.rec[self.pos..])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.rec.len());
    }
}
