//! Character encodings: ASCII and EBCDIC code page 037 (US/Canada).
//!
//! Layouts and the reader/writer work on ASCII bytes. An EBCDIC record is translated to
//! ASCII first (one table look-up per byte, into a reused buffer or in place), read, and
//! a written record is translated back. CP037 maps the 256 EBCDIC bytes one-to-one onto
//! ISO-8859-1 (Latin-1), so the translation is a bijection: every byte round-trips, and
//! EBCDIC bytes with no ASCII meaning become Latin-1 bytes >= 0x80, which the reader then
//! rejects as `NOT_TEXT` / `NOT_NUMERIC` instead of silently mangling them.
//!
//! Zoned-decimal overpunch survives translation: EBCDIC `0xC0`–`0xC9` (zone C, positive)
//! are `{` and `A`–`I`, `0xD0`–`0xD9` (zone D, negative) are `}` and `J`–`R`, and
//! `0xF0`–`0xF9` (zone F, unsigned) are `0`–`9`.

use std::borrow::Cow;

/// The character encoding of a partner's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Encoding {
    /// ASCII (bytes >= 0x80 are taken as Latin-1 and rejected by text fields).
    #[default]
    Ascii,
    /// IBM EBCDIC code page 037 (US/Canada), as federal mainframe files use.
    Ebcdic037,
}

/// CP037 to Latin-1/ASCII, indexed by the EBCDIC byte (the IBM/Unicode mapping table).
pub const EBCDIC037_TO_ASCII: [u8; 256] = [
    0x00, 0x01, 0x02, 0x03, 0x9C, 0x09, 0x86, 0x7F, 0x97, 0x8D, 0x8E, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
    0x10, 0x11, 0x12, 0x13, 0x9D, 0x85, 0x08, 0x87, 0x18, 0x19, 0x92, 0x8F, 0x1C, 0x1D, 0x1E, 0x1F,
    0x80, 0x81, 0x82, 0x83, 0x84, 0x0A, 0x17, 0x1B, 0x88, 0x89, 0x8A, 0x8B, 0x8C, 0x05, 0x06, 0x07,
    0x90, 0x91, 0x16, 0x93, 0x94, 0x95, 0x96, 0x04, 0x98, 0x99, 0x9A, 0x9B, 0x14, 0x15, 0x9E, 0x1A,
    0x20, 0xA0, 0xE2, 0xE4, 0xE0, 0xE1, 0xE3, 0xE5, 0xE7, 0xF1, 0xA2, 0x2E, 0x3C, 0x28, 0x2B, 0x7C,
    0x26, 0xE9, 0xEA, 0xEB, 0xE8, 0xED, 0xEE, 0xEF, 0xEC, 0xDF, 0x21, 0x24, 0x2A, 0x29, 0x3B, 0xAC,
    0x2D, 0x2F, 0xC2, 0xC4, 0xC0, 0xC1, 0xC3, 0xC5, 0xC7, 0xD1, 0xA6, 0x2C, 0x25, 0x5F, 0x3E, 0x3F,
    0xF8, 0xC9, 0xCA, 0xCB, 0xC8, 0xCD, 0xCE, 0xCF, 0xCC, 0x60, 0x3A, 0x23, 0x40, 0x27, 0x3D, 0x22,
    0xD8, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0xAB, 0xBB, 0xF0, 0xFD, 0xFE, 0xB1,
    0xB0, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70, 0x71, 0x72, 0xAA, 0xBA, 0xE6, 0xB8, 0xC6, 0xA4,
    0xB5, 0x7E, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0xA1, 0xBF, 0xD0, 0xDD, 0xDE, 0xAE,
    0x5E, 0xA3, 0xA5, 0xB7, 0xA9, 0xA7, 0xB6, 0xBC, 0xBD, 0xBE, 0x5B, 0x5D, 0xAF, 0xA8, 0xB4, 0xD7,
    0x7B, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0xAD, 0xF4, 0xF6, 0xF2, 0xF3, 0xF5,
    0x7D, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F, 0x50, 0x51, 0x52, 0xB9, 0xFB, 0xFC, 0xF9, 0xFA, 0xFF,
    0x5C, 0xF7, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0xB2, 0xD4, 0xD6, 0xD2, 0xD3, 0xD5,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0xB3, 0xDB, 0xDC, 0xD9, 0xDA, 0x9F,
];

/// ASCII/Latin-1 to CP037, the inverse of [`EBCDIC037_TO_ASCII`] (computed at compile
/// time, so the two tables cannot disagree).
pub const ASCII_TO_EBCDIC037: [u8; 256] = invert(&EBCDIC037_TO_ASCII);

const fn invert(table: &[u8; 256]) -> [u8; 256] {
    let mut out = [0u8; 256];
    let mut seen = [false; 256];
    let mut i = 0;
    while i < 256 {
        let a = table[i] as usize;
        if seen[a] {
            panic!("code page table is not a bijection");
        }
        seen[a] = true;
        out[a] = i as u8;
        i += 1;
    }
    out
}

impl Encoding {
    /// Translates `bytes` in this encoding to ASCII, in place.
    pub fn decode_in_place(self, bytes: &mut [u8]) {
        if let Self::Ebcdic037 = self {
            translate(bytes, &EBCDIC037_TO_ASCII);
        }
    }

    /// Translates ASCII `bytes` to this encoding, in place.
    pub fn encode_in_place(self, bytes: &mut [u8]) {
        if let Self::Ebcdic037 = self {
            translate(bytes, &ASCII_TO_EBCDIC037);
        }
    }

    /// `bytes` as ASCII: borrowed for ASCII, translated copy for EBCDIC.
    pub fn decode(self, bytes: &[u8]) -> Cow<'_, [u8]> {
        match self {
            Self::Ascii => Cow::Borrowed(bytes),
            Self::Ebcdic037 => Cow::Owned(
                bytes
                    .iter()
                    .map(|&b| EBCDIC037_TO_ASCII[b as usize])
                    .collect(),
            ),
        }
    }

    /// ASCII `bytes` in this encoding: borrowed for ASCII, translated copy for EBCDIC.
    pub fn encode(self, bytes: &[u8]) -> Cow<'_, [u8]> {
        match self {
            Self::Ascii => Cow::Borrowed(bytes),
            Self::Ebcdic037 => Cow::Owned(
                bytes
                    .iter()
                    .map(|&b| ASCII_TO_EBCDIC037[b as usize])
                    .collect(),
            ),
        }
    }

    /// Decodes `src` into the reused buffer `dst` (cleared first) and returns it as a
    /// slice: the allocation-free way to read EBCDIC records one after another.
    ///
    /// ```
    /// # use ivd_fixed::Encoding;
    /// let mut buf = Vec::new();
    /// assert_eq!(Encoding::Ebcdic037.decode_into(&[0xE6, 0xF4], &mut buf), b"W4");
    /// ```
    pub fn decode_into<'b>(self, src: &[u8], dst: &'b mut Vec<u8>) -> &'b [u8] {
        dst.clear();
        dst.extend_from_slice(src);
        self.decode_in_place(dst);
        dst
    }

    /// Encodes ASCII `src` into the reused buffer `dst` (cleared first).
    pub fn encode_into<'b>(self, src: &[u8], dst: &'b mut Vec<u8>) -> &'b [u8] {
        dst.clear();
        dst.extend_from_slice(src);
        self.encode_in_place(dst);
        dst
    }
}

fn translate(bytes: &mut [u8], table: &[u8; 256]) {
    for b in bytes {
        *b = table[*b as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_code_points() {
        let pairs: &[(u8, u8)] = &[
            (b'A', 0xC1),
            (b'I', 0xC9),
            (b'J', 0xD1),
            (b'R', 0xD9),
            (b'S', 0xE2),
            (b'Z', 0xE9),
            (b'a', 0x81),
            (b'z', 0xA9),
            (b'0', 0xF0),
            (b'9', 0xF9),
            (b' ', 0x40),
            (b'{', 0xC0),
            (b'}', 0xD0),
            (b'-', 0x60),
            (b'+', 0x4E),
            (b'.', 0x4B),
            (b'$', 0x5B),
            (b'&', 0x50),
            (b'@', 0x7C),
            (b'/', 0x61),
            (b',', 0x6B),
            (b'*', 0x5C),
            (b'#', 0x7B),
            (b'\'', 0x7D),
            (b'\\', 0xE0),
            (b'|', 0x4F),
            (b'!', 0x5A),
            (b'[', 0xBA),
            (b']', 0xBB),
            (b'^', 0xB0),
            (b'\n', 0x25),
            (b'\r', 0x0D),
            (0x00, 0x00),
        ];
        for &(ascii, ebcdic) in pairs {
            assert_eq!(
                ASCII_TO_EBCDIC037[ascii as usize], ebcdic,
                "ascii {ascii:#04x}"
            );
            assert_eq!(
                EBCDIC037_TO_ASCII[ebcdic as usize], ascii,
                "ebcdic {ebcdic:#04x}"
            );
        }
    }

    #[test]
    fn all_256_bytes_round_trip_both_ways() {
        let all: Vec<u8> = (0..=255).collect();
        for enc in [Encoding::Ascii, Encoding::Ebcdic037] {
            let mut v = all.clone();
            enc.encode_in_place(&mut v);
            let mut sorted = v.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, all, "{enc:?} encode is a bijection");
            enc.decode_in_place(&mut v);
            assert_eq!(v, all);
            assert_eq!(enc.encode(&enc.decode(&all)), all);
            assert_eq!(enc.decode(&enc.encode(&all)), all);
        }
    }

    #[test]
    fn printable_ascii_stays_in_ebcdic_graphics() {
        // every printable ASCII character maps to an EBCDIC byte >= 0x40 (not a control)
        for a in 0x20u8..=0x7E {
            assert!(ASCII_TO_EBCDIC037[a as usize] >= 0x40, "{a:#04x}");
        }
    }

    #[test]
    fn buffers() {
        let mut buf = vec![1, 2, 3];
        assert_eq!(
            Encoding::Ebcdic037.encode_into(b"W4 0{", &mut buf),
            [0xE6, 0xF4, 0x40, 0xF0, 0xC0]
        );
        assert_eq!(Encoding::Ascii.decode_into(b"xy", &mut buf), b"xy");
        assert!(matches!(Encoding::Ascii.decode(b"x"), Cow::Borrowed(_)));
    }
}
