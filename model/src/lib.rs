//! The canonical Title IV-D case model of ivd-gateway.
//!
//! Every partner format (CSENet, e-IWO, new hire, tax offset, FIDM, Tribal XML) is an
//! adapter that translates to and from the types in this crate; the gateway stores, queues
//! and audits these types. The crate is pure data: no I/O, nothing async.
//!
//! # Main types
//!
//! - [`Case`]: a IV-D case with its [`Participant`]s (each a [`Person`] in a
//!   [`ParticipantRole`]), [`SupportOrder`]s (with [`Obligation`]s and [`Arrears`]) and
//!   [`Collection`]s. [`Case::validate`] checks the cross-field rules;
//!   [`Case::redacted_for_disclosure`] is what every outbound adapter sends.
//! - Identifier newtypes, valid by construction: [`Ssn`], [`Fein`], [`Fips`],
//!   [`StateFips`], [`CaseId`], [`TribeCode`], [`Money`], and the personal-data types
//!   [`PersonName`], [`BirthDate`], [`Phone`], [`Email`], [`ZipCode`], [`PersonalText`].
//! - Code enums in [`codes`], each with `code()` / `from_code()` for the external code.
//! - Errors: [`IdError`] (one value rejected) and [`ModelError`] (a case rule broken), both
//!   with stable codes and never the offending value.
//!
//! # The decision that matters
//!
//! **Identifiers are valid by construction and masked when printed.** Each newtype has
//! private fields and a single way in, `parse` (which `FromStr`, `TryFrom` and serde
//! deserialization all call), so a `Case` that deserialized holds only well-formed SSNs,
//! FEINs, FIPS codes and amounts. Personal data prints masked in both `Debug` and
//! `Display` (`***-**-6789`, `J*** D***`, `****-**-**`), so an SSN or address cannot reach a
//! log line, a panic message or an error report by accident — even through `{:?}` of a
//! whole `Case`. The clear value comes out only through an explicit `expose()` accessor or
//! through serialization, the deliberate wire format. Identifiers that are not personal
//! (case ids, FIPS codes, Tribe codes) print in clear because operators need them.
//!
//! The JSON form is described by `schemas/case.schema.json` (JSON Schema 2020-12); the
//! committed samples in `schemas/samples/` are checked against it and round-tripped by the
//! tests.
//!
//! # Example
//!
//! ```
//! use ivd_model::{Case, ParticipantRole};
//!
//! let json = include_str!("../../schemas/samples/case-tanf.json");
//! let case: Case = serde_json::from_str(json)?;
//! case.validate().expect("the sample is a valid case");
//!
//! let ncp = case.participants_in(ParticipantRole::NoncustodialParent).next().unwrap();
//! let ssn = ncp.person.ssn.as_ref().unwrap();
//! assert_eq!(ssn.to_string(), "***-**-7890"); // what logs see
//! assert!(!format!("{case:?}").contains("234567890")); // even Debug of the whole case
//! assert_eq!(ssn.expose(), "234567890"); // the one explicit way to the digits
//!
//! // And back to JSON, unchanged in meaning.
//! let again: Case = serde_json::from_str(&serde_json::to_string(&case)?)?;
//! assert_eq!(again, case);
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! # Features
//!
//! - `proptest-support`: exposes the `testing` module, proptest strategies for every newtype and for
//!   whole valid cases (with and without protected persons), for other crates' property
//!   tests.

#![deny(missing_docs)]

mod case;
pub mod codes;
mod date;
mod error;
mod ids;
mod money;
mod order;
mod person;
#[cfg(any(test, feature = "proptest-support"))]
pub mod testing;

pub use case::{Case, Jurisdiction, Participant};
pub use codes::{
    AddressKind, AddressScope, ArrearsType, CaseStatus, CaseType, CollectionType, Frequency,
    FviCode, FviSource, IntergovernmentalRole, JurisdictionKind, ObligationType, ParticipantRole,
    PhoneKind, Sex,
};
pub use error::{IdError, ModelError, ModelErrorKind};
pub use ids::{
    BirthDate, CaseId, CollectionId, CountryCode, Email, Fein, Fips, OrderId, PersonId, PersonName,
    PersonNameParts, PersonalText, Phone, Ssn, StateCode, StateFips, TribeCode, ZipCode,
};
pub use money::Money;
pub use order::{Arrears, Collection, Obligation, SupportOrder};
pub use person::{Address, ContactPhone, Employer, FamilyViolenceIndicator, Person};

#[cfg(test)]
mod case_tests;
#[cfg(test)]
mod prop_tests;
