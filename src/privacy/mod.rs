//! Protecting personal data inside the gateway: look-ups by keyed hash, values sealed at
//! rest ([`sealed`]), files and keys on disk owner-only ([`files`]), and partner-written
//! text masked and bounded before it is stored ([`redact`]).
//!
//! An SSN is never a database key in clear. Where the gateway must find "the same person"
//! (a new hire and the noncustodial parent of a case, two reports of one employee), it
//! compares HMAC-SHA256 digests of the SSN under a secret key: equal SSNs give equal
//! digests, and a stolen table of digests cannot be reversed by hashing all billion
//! possible SSNs without the key.

pub mod files;
pub mod lookup;
pub mod redact;
pub mod rotate;
pub mod sealed;

pub use lookup::{LookupKey, LookupKeyError};
pub use sealed::{DataKeys, SealError};
