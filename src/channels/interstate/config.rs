//! A CSENet partner's exchange agreement (`interstate = { … }` in its `[[partners]]`
//! table).

use serde::Deserialize;

/// A CSENet partner: who it is and what the exchange agreement covers.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterstateSettings {
    /// The partner's FIPS (or Tribal locator) code, 7 characters: the Other-FIPS of
    /// transactions we send it, and what its own transactions must say they come from.
    pub fips: String,
    /// The CSENet functions the agreement enables (`LO1`, `CSI`, `ENF`, `EST`, `PAT`,
    /// `MSC`, `COL`).
    pub functions: Vec<String>,
}

impl InterstateSettings {
    /// True when the agreement covers `function`.
    pub fn allows(&self, function: &str) -> bool {
        self.functions
            .iter()
            .any(|f| f.eq_ignore_ascii_case(function))
    }
}
