//! The values of FIDM records: the institution (A record), an account (Method 1 B), an
//! inquiry (Method 2 I) and a match (Method 2 B), and the §B.6 code tables.
//!
//! Every struct is `serde` (de)serializable for `ivd-gateway convert` (the JSON shape is
//! in `README.md`). The structs that hold personal data — [`Account`], [`Inquiry`],
//! [`Match`] — have a `Debug` that prints only codes, the masked SSN and the last 4 digits
//! of the account number.

use std::fmt;

use ivd_model::{BirthDate, Fein, Ssn, code_enum};
use serde::{Deserialize, Serialize};

code_enum! {
    serde("snake_case");
    /// Which file an A record heads (A record position 371, the Data Match File
    /// Indicator). `M` is verified (tcc-02-06a); the Method 1 values were not found and
    /// are \[P\].
    FileIndicator {
        /// `M`: Method 2 match file (and MSFIDM response) \[V\].
        Match = "M",
        /// `A`: Method 1 all-accounts file \[P\].
        AllAccounts = "A",
        /// `U`: Method 1 account update file \[P\].
        Update = "U",
    }
}

code_enum! {
    serde("snake_case");
    /// Account type (§B.6, 2 digits) \[V-KS\]. An IRA or ERISA plan holding other types is
    /// reported only as IRA/ERISA.
    AccountType {
        /// `00` not applicable.
        NotApplicable = "00",
        /// `01` savings.
        Savings = "01",
        /// `04` checking / demand deposit.
        Checking = "04",
        /// `05` term deposit certificate.
        TermDeposit = "05",
        /// `06` collateral payee account (FCR release 12/2005).
        Collateral = "06",
        /// `11` money market.
        MoneyMarket = "11",
        /// `12` IRA / Keogh.
        Ira = "12",
        /// `14` ERISA plan.
        Erisa = "14",
        /// `16` cash balances.
        Cash = "16",
        /// `17` compound account (mixed funds).
        Compound = "17",
        /// `18` other.
        Other = "18",
    }
}

code_enum! {
    serde("snake_case");
    /// Trust fund indicator (§B.6) \[V\].
    TrustFund {
        /// `0` not a trust account, or a closed account.
        NotTrust = "0",
        /// `1` UTMA / UGMA.
        Utma = "1",
        /// `2` IOLTA.
        Iolta = "2",
        /// `3` mortgage escrow.
        MortgageEscrow = "3",
        /// `4` security deposits (real estate included).
        SecurityDeposit = "4",
        /// `5` other trust or escrow.
        OtherTrust = "5",
        /// `6` information not available.
        NotAvailable = "6",
    }
}

code_enum! {
    serde("snake_case");
    /// Account balance indicator (§B.6) \[V\].
    BalanceIndicator {
        /// `0` balance not provided: the balance must be zeros.
        NotProvided = "0",
        /// `1` average balance.
        Average = "1",
        /// `2` current balance (as of file creation).
        Current = "2",
    }
}

code_enum! {
    serde("snake_case");
    /// Match flag (§B.6, Method 2 and MSFIDM only) \[V\].
    MatchFlag {
        /// `0` no last-name match attempted.
        NotAttempted = "0",
        /// `1` the first 4 letters of the last name agree.
        NameMatches = "1",
        /// `2` they differ.
        NameDiffers = "2",
    }
}

code_enum! {
    serde("snake_case");
    /// Payee indicator (§B.6) \[V-KS\].
    PayeeIndicator {
        /// `0` the matched person is the sole owner.
        SoleOwner = "0",
        /// `1` the matched person is a secondary owner (primary SSN optional).
        SecondaryOwner = "1",
        /// `2` the matched person is the primary owner and others exist (second SSN
        /// optional).
        PrimaryWithOthers = "2",
    }
}

code_enum! {
    serde("snake_case");
    /// Account status indicator (§B.6, MSFIDM "closed account indicator") \[V-KS\]. A
    /// blank reads as `None`.
    AccountStatus {
        /// `0` open at the time of the match.
        Open = "0",
        /// `1` closed at the time of the match.
        Closed = "1",
        /// `2` not provided.
        NotProvided = "2",
    }
}

code_enum! {
    serde("snake_case");
    /// Account update file indicator (§B.6, Method 1 update files only) \[V\].
    UpdateIndicator {
        /// `0` delete (account closed).
        Delete = "0",
        /// `1` add (new account).
        Add = "1",
        /// `2` change (name or address).
        Change = "2",
    }
}

/// A street address as FIDM records hold it: street 40, city 29, state 2, ZIP 9 (5 or 9
/// digits, left-justified). Blank parts are empty strings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PostalAddress {
    /// Street address (40).
    pub street: String,
    /// City (29).
    pub city: String,
    /// USPS state code (2).
    pub state: String,
    /// ZIP: 5 or 9 digits (9).
    pub zip: String,
}

/// `CCYYMM` in JSON: `"2026-03"`.
pub(crate) mod year_month_serde {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(ym: &(u16, u8), s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{:04}-{:02}", ym.0, ym.1))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<(u16, u8), D::Error> {
        let s = String::deserialize(d)?;
        let b = s.as_bytes();
        let ok = b.len() == 7
            && b[4] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || c.is_ascii_digit());
        let parsed = ok
            .then(|| Some((s[..4].parse().ok()?, s[5..].parse().ok()?)))
            .flatten();
        match parsed {
            Some((y, m)) if (1..=12).contains(&m) => Ok((y, m)),
            _ => Err(D::Error::custom("year_month must be YYYY-MM")),
        }
    }
}

/// The financial institution and its transmitter: the A record (§B.1), heading every
/// Method 1 and Method 2 match file. Not personal data, so `Debug` is derived (the
/// [`Fein`]s print masked anyway).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Institution {
    /// Institution TIN (007–015), required.
    pub tin: Fein,
    /// Institution name control (016–019), optional.
    #[serde(default)]
    pub name_control: String,
    /// Institution name (050–089): the name to use for levy service. Required.
    pub name: String,
    /// Second institution name or the transfer agent's name (090–129).
    #[serde(default)]
    pub second_name: String,
    /// Where to send a levy (131–210).
    pub address: PostalAddress,
    /// Reporting agent / transmitter TIN (211–219); MSFIs always fill it.
    #[serde(default)]
    pub transmitter_tin: Option<Fein>,
    /// Transmitter name (220–290).
    #[serde(default)]
    pub transmitter_name: String,
    /// Transmitter address (291–370; state and ZIP positions \[I\]).
    #[serde(default)]
    pub transmitter_address: PostalAddress,
    /// `CCYYMM` (020–025): Method 1 the creation month; Method 2 copied from the
    /// inquiry's D record. JSON `"2026-03"`.
    #[serde(with = "year_month_serde")]
    pub year_month: (u16, u8),
    /// Which file this is (371).
    pub file_indicator: FileIndicator,
    /// Media sequence number (004–006), optional.
    #[serde(default)]
    pub media_sequence: Option<u16>,
    /// Test file (`T` at 032).
    #[serde(default)]
    pub test: bool,
    /// A service bureau was used (`1` at 033).
    #[serde(default)]
    pub service_bureau: bool,
    /// Foreign corporation (`1` at 049).
    #[serde(default)]
    pub foreign: bool,
    /// The second name is a transfer agent's (`1` at 130; written `0` otherwise).
    #[serde(default)]
    pub transfer_agent: bool,
}

/// One account of a Method 1 all-accounts or update file (the B record, §B.2).
///
/// `Debug` prints the record number, the codes, the masked SSN and the last 4 digits of
/// the account number only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// 1-based record number in the file it was read from (0 when built in code;
    /// ignored when writing).
    #[serde(default)]
    pub record: u64,
    /// Primary owner's SSN (015–023).
    pub ssn: Ssn,
    /// First 4 letters of the primary owner's last name, no blanks (008–011); see
    /// [`crate::name_control`].
    pub last_name_control: String,
    /// Account number (024–043), required.
    pub account_number: String,
    /// Account full legal title (061–160).
    #[serde(default)]
    pub title: String,
    /// Foreign country address (`1` at 161).
    #[serde(default)]
    pub foreign: bool,
    /// First payee name (162–201), required.
    pub payee_name: String,
    /// Second payee name (202–241).
    #[serde(default)]
    pub second_payee_name: String,
    /// First payee address (242–321).
    #[serde(default)]
    pub address: PostalAddress,
    /// Balance in whole dollars (351–357, 6 digits and a trailing sign): -999,999 to
    /// 999,999. Zero when the indicator is [`BalanceIndicator::NotProvided`].
    pub balance_dollars: i64,
    /// What the balance is (361).
    pub balance_indicator: BalanceIndicator,
    /// Trust fund indicator (359), required (`0` for closed accounts).
    pub trust_fund: TrustFund,
    /// Account type (371–380: the 10-byte field of FTB's Method 1 B layout, its name \[P\]).
    #[serde(default)]
    pub account_type: Option<AccountType>,
    /// Update files only (362): delete, add or change.
    #[serde(default)]
    pub update: Option<UpdateIndicator>,
    /// Date of birth (363–370), blank if not known.
    #[serde(default)]
    pub birth_date: Option<BirthDate>,
}

/// The last 4 characters of an account number, for `Debug` output.
fn last4(s: &str) -> String {
    let n = s.chars().count();
    format!(
        "****{}",
        s.chars().skip(n.saturating_sub(4)).collect::<String>()
    )
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("record", &self.record)
            .field("ssn", &self.ssn)
            .field("account_number", &last4(&self.account_number))
            .field("names_and_address", &format_args!("<redacted>"))
            .field("balance_dollars", &format_args!("<redacted>"))
            .field("balance_indicator", &self.balance_indicator)
            .field("trust_fund", &self.trust_fund)
            .field("account_type", &self.account_type)
            .field("update", &self.update)
            .field("birth_date", &self.birth_date)
            .finish()
    }
}

/// One person to match: the I record of a Method 2 inquiry file, state → FI (§B.3;
/// offsets \[I\], from the Kansas writer \[V-KS\]).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inquiry {
    /// SSN (2–10).
    pub ssn: Ssn,
    /// Last name (11–30), required.
    pub last_name: String,
    /// First name (31–46).
    #[serde(default)]
    pub first_name: String,
    /// State pass-back (47–61, 15): a case or person id; it comes back on the match.
    #[serde(default)]
    pub passback: String,
    /// FIPS code (62–66): state (2) and county (3), e.g. `20000`.
    pub fips: String,
}

impl fmt::Debug for Inquiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inquiry")
            .field("ssn", &self.ssn)
            .field("names", &format_args!("<redacted>"))
            .field("passback", &self.passback)
            .field("fips", &self.fips)
            .finish()
    }
}

/// One matched account: the B record of a Method 2 match file, FI → state (§B.4).
/// Positions 015–023, 162–201, 322–349 and 351–357 are verified; the rest is the
/// proposed layout in `README.md` (\[I\] / \[P\]), so every field from 358 on is optional.
///
/// `Debug` prints the record number, the codes, the masked SSN and the last 4 digits of
/// the account number only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Match {
    /// 1-based record number in the file it was read from (0 when built in code).
    #[serde(default)]
    pub record: u64,
    /// The SSN from the inquiry file (015–023) \[V\].
    pub ssn: Ssn,
    /// First 4 letters of the matched name's last name (008–011) \[I\].
    #[serde(default)]
    pub last_name_control: String,
    /// The name on the FI's account, not the inquiry's (162–201) \[V\]. Required.
    pub matched_name: String,
    /// Second payee name (202–241) \[I\].
    #[serde(default)]
    pub second_payee_name: String,
    /// Account number (024–043) \[I\], required.
    pub account_number: String,
    /// Account full legal title (061–160) \[I\].
    #[serde(default)]
    pub title: String,
    /// Foreign country address (`1` at 161) \[I\].
    #[serde(default)]
    pub foreign: bool,
    /// Payee address (242–321) \[I\].
    #[serde(default)]
    pub address: PostalAddress,
    /// FIPS code pass-back (322–326) \[V\]: the inquiry's FIPS (state Method 2), or the
    /// state where the account is held (MSFIDM).
    #[serde(default)]
    pub fips_passback: String,
    /// Additional state pass-back (327–349, 23) \[V\]: the inquiry's case/person id \[I\].
    #[serde(default)]
    pub passback: String,
    /// Balance in whole dollars (351–357) \[V\]; zeros if ≤ $0, so never negative.
    pub balance_dollars: i64,
    /// Match flag (358) \[P\].
    #[serde(default)]
    pub match_flag: Option<MatchFlag>,
    /// Trust fund indicator (359, as Method 1) \[P\].
    #[serde(default)]
    pub trust_fund: Option<TrustFund>,
    /// Payee indicator (360) \[P\].
    #[serde(default)]
    pub payee_indicator: Option<PayeeIndicator>,
    /// Balance indicator (361, as Method 1) \[P\].
    #[serde(default)]
    pub balance_indicator: Option<BalanceIndicator>,
    /// Account status (362) \[P\].
    #[serde(default)]
    pub account_status: Option<AccountStatus>,
    /// Date of birth (363–370, as Method 1) \[P\].
    #[serde(default)]
    pub birth_date: Option<BirthDate>,
    /// Account type (371–372, as Method 1) \[P\].
    #[serde(default)]
    pub account_type: Option<AccountType>,
    /// Primary owner's SSN when the matched person is a secondary owner (373–381) \[P\].
    #[serde(default)]
    pub primary_ssn: Option<Ssn>,
    /// Second payee's SSN (382–390) \[P\].
    #[serde(default)]
    pub second_payee_ssn: Option<Ssn>,
}

impl Match {
    /// A match with only the required fields; every optional field blank.
    pub fn new(ssn: Ssn, matched_name: &str, account_number: &str) -> Self {
        Self {
            record: 0,
            ssn,
            last_name_control: String::new(),
            matched_name: matched_name.to_owned(),
            second_payee_name: String::new(),
            account_number: account_number.to_owned(),
            title: String::new(),
            foreign: false,
            address: PostalAddress::default(),
            fips_passback: String::new(),
            passback: String::new(),
            balance_dollars: 0,
            match_flag: None,
            trust_fund: None,
            payee_indicator: None,
            balance_indicator: None,
            account_status: None,
            birth_date: None,
            account_type: None,
            primary_ssn: None,
            second_payee_ssn: None,
        }
    }
}

impl fmt::Debug for Match {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Match")
            .field("record", &self.record)
            .field("ssn", &self.ssn)
            .field("account_number", &last4(&self.account_number))
            .field("names_and_address", &format_args!("<redacted>"))
            .field("balance_dollars", &format_args!("<redacted>"))
            .field("passback", &self.passback)
            .field("fips_passback", &self.fips_passback)
            .field("match_flag", &self.match_flag)
            .field("account_type", &self.account_type)
            .field("payee_indicator", &self.payee_indicator)
            .field("account_status", &self.account_status)
            .finish()
    }
}

/// The name control of a last name: its first 4 letters or digits, upper case, with
/// blanks and punctuation other than `-` and `&` dropped (`"O'Brien"` → `"OBRI"`,
/// `"De La Cruz"` → `"DELA"`).
pub fn name_control(last_name: &str) -> String {
    last_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '&')
        .map(|c| c.to_ascii_uppercase())
        .take(4)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_are_none() {
        for t in AccountType::ALL {
            assert_eq!(AccountType::from_code(t.code()), Some(*t));
        }
        assert_eq!(AccountType::ALL.len(), 11);
        assert_eq!(AccountType::from_code("02"), None);
        assert_eq!(TrustFund::from_code("7"), None);
        assert_eq!(FileIndicator::from_code("M"), Some(FileIndicator::Match));
    }

    #[test]
    fn name_controls() {
        assert_eq!(name_control("O'Brien"), "OBRI");
        assert_eq!(name_control("De La Cruz"), "DELA");
        assert_eq!(name_control("Ng"), "NG");
    }
}
