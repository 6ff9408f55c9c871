//! Synthetic new-hire data: seeded, deterministic (ChaCha8), never real people.
//!
//! Names are common English words, SSNs are random but valid in form (area 001–899 except
//! 666, group and serial never zero), FEINs have issued prefixes, dates are real calendar
//! dates (hire within the 20 days before `today`, age 16–70 at hire), states are USPS codes
//! with a ZIP of that state's range.

use std::io::Write;

use ivd_model::{Fein, PersonName};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::{Date, Duration};

use crate::Format;
use crate::fields::{self as f, RawOwned, addr};
use crate::types::{
    Employee, EmployerInfo, NewHire, PostalAddress, Salary, SalaryFrequency, TaxpayerId,
};
use crate::write::{fill_raw, write_new_hires};

const FIRST: &[&str] = &[
    "MAPLE", "RIVER", "STONE", "ASPEN", "BROOK", "CEDAR", "DAWN", "EMBER", "FERN", "GROVE",
    "HAZEL", "IRIS", "JUNIPER", "LARK", "MEADOW", "OAK", "PEARL", "QUILL", "ROBIN", "SAGE",
    "TULIP", "WILLOW", "WREN", "SKY",
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
    "LAKE-SHORE",
];
const STREETS: &[&str] = &[
    "MAIN", "OAK", "ELM", "PINE", "LAKE", "HILL", "PARK", "MILL", "RIVER", "CHURCH", "SPRING",
];
const SUFFIXES: &[&str] = &["ST", "AVE", "RD", "LN", "BLVD", "CT"];
const COMPANY: &[&str] = &[
    "ACME",
    "NORTHWIND",
    "BLUE SKY",
    "GOOD HARVEST",
    "TRIANGLE",
    "SUMMIT",
    "PRAIRIE",
    "HARBOR",
];
const COMPANY_KIND: &[&str] = &[
    "WIDGETS INC",
    "FOODS LLC",
    "LOGISTICS",
    "BUILDERS CO",
    "HEALTH",
];
/// (state, city, first 3 digits of its ZIPs)
const PLACES: &[(&str, &str, &str)] = &[
    ("MN", "SAINT PAUL", "551"),
    ("CA", "SACRAMENTO", "958"),
    ("TX", "AUSTIN", "787"),
    ("NY", "ALBANY", "122"),
    ("FL", "TALLAHASSEE", "323"),
    ("IL", "SPRINGFIELD", "627"),
    ("WA", "OLYMPIA", "985"),
    ("GA", "ATLANTA", "303"),
    ("DC", "WASHINGTON", "200"),
    ("PR", "SAN JUAN", "009"),
    ("OH", "COLUMBUS", "432"),
    ("AE", "APO", "090"),
];
const FEIN_PREFIXES: &[u8] = &[
    1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 15, 16, 20, 21, 22, 23, 24, 25, 26, 27, 30, 31, 32, 33,
    34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 50, 51, 52, 53, 54, 55, 56, 57, 58,
    59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 71, 72, 73, 74, 75, 76, 77, 80, 81, 82, 83, 84, 85, 86,
    87, 88, 90, 91, 92, 93, 94, 95, 98, 99,
];

/// A deterministic source of synthetic reports.
pub struct Generator {
    rng: ChaCha8Rng,
    today: Date,
    employer: Option<EmployerInfo>,
    left: u32,
    fein: Option<Fein>,
}

impl Generator {
    /// A generator for `seed`; hire dates fall in the 20 days before `today`.
    pub fn new(seed: u64, today: Date) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            today,
            employer: None,
            left: 0,
            fein: None,
        }
    }

    /// Every employer this generator makes reports for has `fein` (one company's
    /// locations, or a payroll agent's test upload within its token's scope).
    #[must_use]
    pub fn with_fein(mut self, fein: Fein) -> Self {
        self.fein = Some(fein);
        self
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.rng.random_range(0..list.len())]
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn address(&mut self) -> PostalAddress {
        let (state, city, zip3) = PLACES[self.rng.random_range(0..PLACES.len())];
        let line1 = format!(
            "{} {} {}",
            self.rng.random_range(1..10_000),
            self.pick(STREETS),
            self.pick(SUFFIXES)
        );
        let line2 = self
            .chance(0.2)
            .then(|| format!("APT {}", self.rng.random_range(1..500)));
        let zip4 = self
            .chance(0.3)
            .then(|| format!("{:04}", self.rng.random_range(1..10_000)));
        PostalAddress {
            line1: line1.into(),
            line2: line2.map(Into::into),
            line3: None,
            city: city.into(),
            state: Some(state.into()),
            zip5: Some(format!("{zip3}{:02}", self.rng.random_range(1..100)).into()),
            zip4: zip4.map(Into::into),
            country_code: None,
            country_name: None,
            postal_code: None,
        }
    }

    /// A random employer.
    pub fn employer(&mut self) -> EmployerInfo {
        let prefix = FEIN_PREFIXES[self.rng.random_range(0..FEIN_PREFIXES.len())];
        let fein = format!("{prefix:02}{:07}", self.rng.random_range(0..10_000_000));
        let fein = match &self.fein {
            Some(fixed) => fixed.clone(),
            None => {
                Fein::parse(&fein).unwrap_or_else(|_| unreachable!("valid prefix by construction"))
            }
        };
        let name = format!("{} {}", self.pick(COMPANY), self.pick(COMPANY_KIND));
        let address = self.address();
        let optional_address = self.chance(0.2).then(|| self.address());
        let state_ein = self
            .chance(0.6)
            .then(|| format!("{:010}", self.rng.random_range(0..10_000_000_000u64)));
        let phone = self.chance(0.5).then(|| {
            format!(
                "{}{:09}",
                self.rng.random_range(2..10),
                self.rng.random_range(0..1_000_000_000)
            )
        });
        let phone_extension = (phone.is_some() && self.chance(0.2))
            .then(|| self.rng.random_range(1..10_000).to_string());
        let contact = self
            .chance(0.4)
            .then(|| format!("{} {}", self.pick(FIRST), self.pick(LAST)));
        let multistate = self.chance(0.3).then(|| self.chance(0.5));
        EmployerInfo {
            fein,
            state_ein: state_ein.map(Into::into),
            name: name.into(),
            address,
            optional_address,
            phone: phone.map(Into::into),
            phone_extension: phone_extension.map(Into::into),
            contact: contact.map(Into::into),
            multistate,
        }
    }

    /// A random, valid report. Consecutive reports often share an employer.
    pub fn new_hire(&mut self) -> NewHire {
        if self.left == 0 || self.employer.is_none() {
            self.employer = Some(self.employer());
            self.left = self.rng.random_range(1..20);
        }
        self.left -= 1;
        let employer = self.employer.clone().unwrap_or_else(|| self.employer());
        let mut area = self.rng.random_range(1..900u32);
        if area == 666 {
            area = 667;
        }
        let ssn = format!(
            "{area:03}{:02}{:04}",
            self.rng.random_range(1..100),
            self.rng.random_range(1..10_000)
        );
        let ssn = TaxpayerId::parse(&ssn, false)
            .unwrap_or_else(|_| unreachable!("valid SSN by construction"));
        let first = self.pick(FIRST);
        let middle = self.chance(0.5).then(|| self.pick(FIRST));
        let last = self.pick(LAST);
        let name = PersonName::new(first, middle, last, None)
            .unwrap_or_else(|_| unreachable!("non-blank name"));
        let hire_date = self.today - Duration::days(self.rng.random_range(0..20));
        let birth_date = self.chance(0.8).then(|| {
            let age_days = self.rng.random_range(17 * 366..70 * 365);
            hire_date - Duration::days(age_days)
        });
        let state_of_hire = self
            .chance(0.7)
            .then(|| employer.address.state.clone())
            .flatten();
        let medical_insurance = self.chance(0.4).then(|| self.chance(0.7));
        let salary = self.chance(0.4).then(|| {
            let frequency = [
                SalaryFrequency::Hourly,
                SalaryFrequency::Weekly,
                SalaryFrequency::Biweekly,
                SalaryFrequency::SemiMonthly,
                SalaryFrequency::Monthly,
                SalaryFrequency::Annually,
            ][self.rng.random_range(0..6)];
            Salary {
                amount_cents: self.rng.random_range(1_000..20_000_000),
                frequency,
            }
        });
        NewHire {
            employee: Employee {
                ssn,
                name,
                address: self.address(),
                birth_date,
            },
            hire_date,
            state_of_hire,
            employer,
            medical_insurance,
            salary,
        }
    }

    /// Makes a valid record invalid in one realistic way; returns what was done.
    fn corrupt(&mut self, raw: &mut RawOwned) -> &'static str {
        let set = |raw: &mut RawOwned, i: usize, v: &str| {
            raw.v[i].clear();
            raw.v[i].push_str(v);
        };
        match self.rng.random_range(0..9) {
            0 => {
                let area = ["000", "666", "999"][self.rng.random_range(0..3)];
                raw.v[f::SSN].replace_range(0..3, area);
                "bad SSN area"
            }
            1 => {
                raw.v[f::SSN].replace_range(5..9, "0000");
                "bad SSN serial"
            }
            2 => {
                let p = ["00", "07", "17", "69", "89", "97"][self.rng.random_range(0..6)];
                raw.v[f::FEIN].replace_range(0..2, p);
                "bad FEIN prefix"
            }
            3 => {
                let y = self.today.year();
                set(raw, f::DOH, &format!("{y:04}0230"));
                "impossible hire date"
            }
            4 => {
                set(raw, f::FIRST, "");
                set(raw, f::MIDDLE, "");
                set(raw, f::LAST, "");
                "blank names"
            }
            5 => {
                set(raw, f::EMP_ADDR + addr::ZIP, "55A01");
                "bad ZIP"
            }
            6 => {
                let d = self.today + Duration::days(self.rng.random_range(45..400));
                set(
                    raw,
                    f::DOH,
                    &format!("{:04}{:02}{:02}", d.year(), d.month() as u8, d.day()),
                );
                "hire date in the future"
            }
            7 => {
                set(raw, f::ER_NAME, "");
                "blank employer name"
            }
            _ => {
                set(raw, f::EMP_ADDR + addr::LINE1, "");
                "blank address"
            }
        }
    }
}

/// Counts of what [`write_file`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GenerateSummary {
    /// Records written valid.
    pub valid: u64,
    /// Records made invalid.
    pub invalid: u64,
}

/// Writes `records` synthetic reports in `format` to `out`, a fraction `invalid_rate`
/// (0.0..=1.0, clamped) of them made invalid in a realistic way (bad SSN, bad FEIN prefix,
/// impossible or future hire date, blank names, bad ZIP, blank employer name or address).
/// Calls `progress(n)` every 10,000 records and at the end. Streaming, constant memory.
/// The same arguments give the same bytes.
pub fn write_file<W: Write>(
    format: Format,
    records: u64,
    seed: u64,
    invalid_rate: f64,
    today: Date,
    out: W,
    progress: impl FnMut(u64),
) -> std::io::Result<GenerateSummary> {
    write_file_with(
        Generator::new(seed, today),
        format,
        records,
        invalid_rate,
        out,
        progress,
    )
}

/// Like [`write_file`], with a generator set up by the caller (for example
/// [`Generator::with_fein`]).
pub fn write_file_with<W: Write>(
    mut generator: Generator,
    format: Format,
    records: u64,
    invalid_rate: f64,
    out: W,
    mut progress: impl FnMut(u64),
) -> std::io::Result<GenerateSummary> {
    let rate = if invalid_rate.is_nan() {
        0.0
    } else {
        invalid_rate.clamp(0.0, 1.0)
    };
    let mut w = write_new_hires(format, out);
    let mut raw = RawOwned::new();
    let mut summary = GenerateSummary::default();
    let to_io = |e: crate::WriteError| match e {
        crate::WriteError::Io(e) => e,
        other => std::io::Error::other(other.to_string()),
    };
    for n in 1..=records {
        let nh = generator.new_hire();
        fill_raw(&nh, &mut raw);
        if generator.chance(rate) {
            generator.corrupt(&mut raw);
            summary.invalid += 1;
        } else {
            summary.valid += 1;
        }
        w.push_raw(&raw).map_err(to_io)?;
        if n % 10_000 == 0 {
            progress(n);
        }
    }
    w.finish().map_err(to_io)?;
    progress(records);
    Ok(summary)
}
