//! A Tribal exchange agreement (`tribal = { … }` in a partner's `[[partners]]` table).

use serde::Deserialize;

/// How a Tribal exchange agreement exchanges cases.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TribalFormat {
    /// The gateway's XML documents (`schemas/tribal-exchange.xsd`) on
    /// `POST /partner/v1/tribal`.
    #[default]
    Xml,
    /// CSENet transactions on `POST /partner/v1/csenet`. CSENet validates the state part
    /// of every location code against the IRG, so the locator is then the 7-character
    /// location code CSENet knows the Tribe by.
    Csenet,
}

/// A Tribal exchange agreement.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TribalAgreement {
    /// The partner's locator: for the XML documents a Tribe's 5-digit tribal locator code
    /// (IRG), or a state's 7-digit FIPS code when this gateway speaks for a Tribe; for
    /// CSENet the 7-character location code CSENet routes to.
    pub locator: String,
    /// The functions the agreement enables (`LO1`, `CSI`, `ENF`, `EST`, `PAT`, `MSC`,
    /// `COL`), with CSENet's meaning.
    pub functions: Vec<String>,
    /// XML documents (the default) or CSENet transactions.
    #[serde(default)]
    pub format: TribalFormat,
}

impl TribalAgreement {
    /// True when the agreement covers `function`.
    pub fn allows(&self, function: &str) -> bool {
        self.functions
            .iter()
            .any(|f| f.eq_ignore_ascii_case(function))
    }
}
