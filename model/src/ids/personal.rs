//! Personal data: masked in `Debug` and `Display`, read with `expose()`.

use super::string_newtype;
use crate::IdError;
use core::fmt;
use time::Date;

/// Masks a name part as its first character followed by `***` (`Jane` → `J***`).
fn initial_mask(s: &str) -> String {
    match s.chars().next() {
        Some(c) => format!("{c}***"),
        None => "***".to_owned(),
    }
}

/// What the text rules need to know of a string, gathered in one pass.
struct Measure {
    /// Characters (not bytes).
    chars: usize,
    /// Whether any character is a control character.
    control: bool,
    /// Whether it is empty or all whitespace.
    blank: bool,
}

/// Measures `s`. Printable ASCII (nearly all partner data) has no control characters,
/// its only whitespace is the space, and it is counted by bytes.
fn measure(s: &str) -> Measure {
    if is_printable_ascii(s.as_bytes()) {
        Measure {
            chars: s.len(),
            control: false,
            // Names and addresses rarely start with a space: this stops at once.
            blank: s.bytes().all(|b| b == b' '),
        }
    } else {
        measure_unicode(s)
    }
}

/// [`measure`] of text that is not all printable ASCII: kept out of line, so the
/// common case does not pay for its registers.
#[cold]
#[inline(never)]
fn measure_unicode(s: &str) -> Measure {
    Measure {
        chars: s.chars().count(),
        control: s.chars().any(char::is_control),
        blank: s.trim().is_empty(),
    }
}

/// Whether every byte is printable ASCII (0x20–0x7E), eight at a time: names and
/// address lines are short, too short for the compiler's vectorised loop to pay off.
fn is_printable_ascii(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    // Any byte below 0x20, or above 0x7E (bit tricks exact for these bounds).
    let bad = |w: u64| {
        let below = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        // Adding 1 sets the high bit of a 0x7F byte (127 - 0x7E = 1).
        let above = (w.wrapping_add(ONES) | w) & HIGH;
        (below | above) != 0
    };
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        if bad(word.try_into().map_or(u64::MAX, u64::from_ne_bytes)) {
            return false;
        }
    }
    words
        .remainder()
        .iter()
        .all(|&b| b.wrapping_sub(0x20) < 0x5F)
}

/// Checks one name part; whether it is blank.
fn check_part(s: &str) -> Result<bool, IdError> {
    let m = measure(s);
    if m.chars > 64 || m.control {
        return Err(IdError::NameChars);
    }
    Ok(m.blank)
}

/// A person's name: first, middle, last, suffix.
///
/// Rules: first or last must be non-blank; every part at most 64 characters and free of
/// control characters; a blank middle name or suffix is treated as absent. Letters are not
/// restricted (partner formats that need `A`–`Z` only transliterate in their adapter).
///
/// `Debug` and `Display` print initials only: `J*** D***`. [`expose`](PersonName::expose)
/// returns the clear parts.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PersonName {
    first: compact_str::CompactString,
    middle: Option<compact_str::CompactString>,
    last: compact_str::CompactString,
    suffix: Option<compact_str::CompactString>,
}

/// The clear parts of a [`PersonName`], borrowed. Returned only by [`PersonName::expose`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PersonNameParts<'a> {
    /// First (given) name; may be empty when `last` is not.
    pub first: &'a str,
    /// Middle name, if any.
    pub middle: Option<&'a str>,
    /// Last (family) name; may be empty when `first` is not.
    pub last: &'a str,
    /// Suffix such as `JR` or `III`, if any.
    pub suffix: Option<&'a str>,
}

impl fmt::Debug for PersonNameParts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PersonNameParts({} {})",
            initial_mask(self.first),
            initial_mask(self.last)
        )
    }
}

impl PersonName {
    /// Builds a name from its parts.
    pub fn new(
        first: &str,
        middle: Option<&str>,
        last: &str,
        suffix: Option<&str>,
    ) -> Result<Self, IdError> {
        let first_blank = check_part(first)?;
        let last_blank = check_part(last)?;
        // A blank middle name or suffix is absent.
        let optional = |p: Option<&str>| -> Result<Option<compact_str::CompactString>, IdError> {
            match p {
                Some(p) if !check_part(p)? => Ok(Some(p.into())),
                _ => Ok(None),
            }
        };
        let (middle, suffix) = (optional(middle)?, optional(suffix)?);
        if first_blank && last_blank {
            return Err(IdError::NameBlank);
        }
        Ok(PersonName {
            first: first.into(),
            middle,
            last: last.into(),
            suffix,
        })
    }

    /// The clear name parts. The only accessor that reveals the name.
    pub fn expose(&self) -> PersonNameParts<'_> {
        PersonNameParts {
            first: &self.first,
            middle: self.middle.as_deref(),
            last: &self.last,
            suffix: self.suffix.as_deref(),
        }
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            initial_mask(&self.first),
            initial_mask(&self.last)
        )
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonName({self})")
    }
}

#[derive(serde::Serialize)]
struct NameRef<'a> {
    first: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    middle: Option<&'a str>,
    last: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    suffix: Option<&'a str>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NameOwned {
    first: String,
    #[serde(default)]
    middle: Option<String>,
    last: String,
    #[serde(default)]
    suffix: Option<String>,
}

impl serde::Serialize for PersonName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.expose();
        NameRef {
            first: p.first,
            middle: p.middle,
            last: p.last,
            suffix: p.suffix,
        }
        .serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for PersonName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = NameOwned::deserialize(d)?;
        PersonName::new(&n.first, n.middle.as_deref(), &n.last, n.suffix.as_deref()).map_err(|e| {
            <D::Error as serde::de::Error>::custom(format_args!("name: {e} ({})", e.code()))
        })
    }
}

/// A date of birth. `Debug` and `Display` print `****-**-**`; [`expose`](BirthDate::expose)
/// returns the date. Serialized as `YYYY-MM-DD`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BirthDate(Date);

impl BirthDate {
    /// Wraps a date.
    pub fn from_date(date: Date) -> Self {
        BirthDate(date)
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        crate::date::parse_iso(s).map(BirthDate)
    }

    /// The clear date. The only accessor that reveals it.
    pub fn expose(&self) -> Date {
        self.0
    }

    fn iso(&self) -> String {
        crate::date::format_iso(self.0)
    }
}

impl fmt::Display for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****-**-**")
    }
}

impl fmt::Debug for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BirthDate(****-**-**)")
    }
}

impl serde::Serialize for BirthDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.iso())
    }
}

impl<'de> serde::Deserialize<'de> for BirthDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(super::ParseVisitor::new("date of birth", BirthDate::parse))
    }
}

impl core::str::FromStr for BirthDate {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::parse(s)
    }
}

/// A North American (NANP) phone number: 10 digits, area code and exchange starting 2–9.
///
/// Accepts separators `' '`, `-`, `.`, `(`, `)` between digits (`(612) 555-0134`); stores
/// and serializes the 10 digits. `Debug`/`Display`: `***-***-0134`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(compact_str::CompactString);

impl Phone {
    /// Parses a 10-digit NANP number.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        // Collected as bytes: a `char` push per digit cost more than the rest.
        let mut digits = [0u8; 10];
        let mut count = 0;
        for b in s.bytes() {
            match b {
                b'0'..=b'9' => {
                    *digits.get_mut(count).ok_or(IdError::PhoneFormat)? = b;
                    count += 1;
                }
                b' ' | b'-' | b'.' | b'(' | b')' => {}
                _ => return Err(IdError::PhoneFormat),
            }
        }
        if count != 10 {
            return Err(IdError::PhoneFormat);
        }
        if digits[0] < b'2' || digits[3] < b'2' {
            return Err(IdError::PhoneNanp);
        }
        let digits = std::str::from_utf8(&digits).map_err(|_| IdError::PhoneFormat)?;
        Ok(Phone(digits.into()))
    }

    /// The clear 10 digits. The only accessor that reveals the number.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

string_newtype!(Phone, expose, "phone number");

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "***-***-{}", &self.0[6..])
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone(***-***-{})", &self.0[6..])
    }
}

/// An email address, checked for shape only: `local@domain.tld`, at most 254 characters,
/// no whitespace or control characters, one `@`, a dot inside the domain.
/// `Debug`/`Display`: `j***@***`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(compact_str::CompactString);

impl Email {
    /// Parses an email address.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let shape_ok = || {
            if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return false;
            }
            let Some((local, domain)) = s.split_once('@') else {
                return false;
            };
            !local.is_empty()
                && local.len() <= 64
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
        };
        if shape_ok() {
            Ok(Email(s.into()))
        } else {
            Err(IdError::EmailFormat)
        }
    }

    /// The clear address. The only accessor that reveals it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

string_newtype!(Email, expose, "email");

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@***", initial_mask(&self.0))
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({self})")
    }
}

/// Free text that is personal data or can locate a person: address lines, city, province,
/// employer name. 1–100 characters, not blank, no control characters.
/// `Debug`/`Display`: `***` (not even the length shows).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonalText(compact_str::CompactString);

impl PersonalText {
    /// Parses the text.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let m = measure(s);
        if m.chars > 100 || m.control || m.blank {
            return Err(IdError::Text);
        }
        Ok(PersonalText(s.into()))
    }

    /// The clear text. The only accessor that reveals it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

string_newtype!(PersonalText, expose, "text");

impl fmt::Display for PersonalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Debug for PersonalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonalText(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn name_rules_and_mask() {
        let n = PersonName::new("Jane", Some("Q"), "Doe", None).unwrap();
        assert_eq!(n.to_string(), "J*** D***");
        assert_eq!(format!("{n:?}"), "PersonName(J*** D***)");
        assert!(!format!("{n:?}{n}{:?}", n.expose()).contains("Jane"));
        assert_eq!(n.expose().first, "Jane");
        assert_eq!(n.expose().middle, Some("Q"));
        assert_eq!(
            PersonName::new("", None, " ", None),
            Err(IdError::NameBlank)
        );
        assert!(PersonName::new("", None, "Doe", None).is_ok());
        assert!(PersonName::new("Cher", None, "", None).is_ok());
        assert_eq!(
            PersonName::new("Ja\nne", None, "Doe", None),
            Err(IdError::NameChars)
        );
        assert_eq!(
            PersonName::new(&"A".repeat(65), None, "Doe", None),
            Err(IdError::NameChars)
        );
        let blank_middle = PersonName::new("Jane", Some(" "), "Doe", Some("")).unwrap();
        assert_eq!(blank_middle.expose().middle, None);
        assert_eq!(blank_middle.expose().suffix, None);
    }

    #[test]
    fn name_serde() {
        let n: PersonName =
            serde_json::from_str(r#"{"first":"Jane","last":"Doe","suffix":"JR"}"#).unwrap();
        assert_eq!(n.expose().suffix, Some("JR"));
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(json, r#"{"first":"Jane","last":"Doe","suffix":"JR"}"#);
        assert!(serde_json::from_str::<PersonName>(r#"{"first":"","last":""}"#).is_err());
        assert!(serde_json::from_str::<PersonName>(r#"{"first":"A","last":"B","x":1}"#).is_err());
    }

    #[test]
    fn birth_date() {
        let d = BirthDate::parse("2015-03-09").unwrap();
        assert_eq!(d.expose(), date!(2015 - 03 - 09));
        assert_eq!(d.to_string(), "****-**-**");
        assert_eq!(format!("{d:?}"), "BirthDate(****-**-**)");
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"2015-03-09\"");
        assert_eq!(
            serde_json::from_str::<BirthDate>("\"2015-03-09\"").unwrap(),
            d
        );
        for bad in [
            "2015-02-30",
            "2015-3-9",
            "20150309",
            "",
            "2015-03-09T00:00:00",
        ] {
            assert_eq!(BirthDate::parse(bad), Err(IdError::DateFormat), "{bad}");
        }
    }

    #[test]
    fn phone() {
        for good in [
            "6125550134",
            "612-555-0134",
            "(612) 555-0134",
            "612.555.0134",
        ] {
            assert_eq!(Phone::parse(good).unwrap().expose(), "6125550134", "{good}");
        }
        for bad in [
            "",
            "612555013",
            "61255501345",
            "+1 612 555 0134",
            "612-555-013x",
        ] {
            assert_eq!(Phone::parse(bad), Err(IdError::PhoneFormat), "{bad}");
        }
        assert_eq!(Phone::parse("1125550134"), Err(IdError::PhoneNanp));
        assert_eq!(Phone::parse("6120550134"), Err(IdError::PhoneNanp));
        let p = Phone::parse("612-555-0134").unwrap();
        assert_eq!(p.to_string(), "***-***-0134");
        assert!(!format!("{p:?}{p}").contains("612"));
    }

    #[test]
    fn email() {
        let e = Email::parse("jane.doe@example.org").unwrap();
        assert_eq!(e.to_string(), "j***@***");
        assert!(!format!("{e:?}{e}").contains("example"));
        for bad in [
            "",
            "jane",
            "@example.org",
            "jane@",
            "jane@org",
            "jane@.org",
            "jane@example.",
            "a b@c.d",
            "a@b@c.d",
            "a@b..c",
        ] {
            assert_eq!(Email::parse(bad), Err(IdError::EmailFormat), "{bad:?}");
        }
    }

    #[test]
    fn personal_text() {
        let t = PersonalText::parse("100 Main St").unwrap();
        assert_eq!(t.to_string(), "***");
        assert_eq!(format!("{t:?}"), "PersonalText(***)");
        assert_eq!(t.expose(), "100 Main St");
        for bad in ["", "   ", "a\nb", &"x".repeat(101)] {
            assert_eq!(PersonalText::parse(bad), Err(IdError::Text), "{bad:?}");
        }
    }

    #[test]
    fn the_word_check_of_printable_ascii_agrees_with_a_byte_check() {
        for b in 0..=u8::MAX {
            for len in 1..=17 {
                for at in 0..len {
                    let mut bytes = vec![b'A'; len];
                    bytes[at] = b;
                    assert_eq!(
                        is_printable_ascii(&bytes),
                        (0x20..=0x7E).contains(&b),
                        "byte {b:#04x} at {at} of {len}"
                    );
                }
            }
        }
        assert!(is_printable_ascii(b""));
        assert!(is_printable_ascii(b" ~"));
    }

    #[test]
    fn text_length_counts_characters_and_every_control_character_is_refused() {
        // 100 characters are allowed whatever their bytes; ASCII text takes a byte path.
        assert!(PersonalText::parse(&"x".repeat(100)).is_ok());
        assert!(PersonalText::parse(&"é".repeat(100)).is_ok());
        assert_eq!(PersonalText::parse(&"é".repeat(101)), Err(IdError::Text));
        for bad in ["a\u{7f}b", "tab\there", "é\u{85}", "\u{0}"] {
            assert_eq!(PersonalText::parse(bad), Err(IdError::Text), "{bad:?}");
            assert_eq!(
                PersonName::new(bad, None, "Doe", None),
                Err(IdError::NameChars),
                "{bad:?}"
            );
        }
        assert!(PersonName::new(&"é".repeat(64), None, "Doe", None).is_ok());
        assert_eq!(
            PersonName::new(&"e".repeat(65), None, "Doe", None),
            Err(IdError::NameChars)
        );
    }
}
