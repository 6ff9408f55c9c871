//! What writing can fail with, and the check every writer runs on what it wrote.

use ivd_fixed::FieldError;

/// Why a record or file was not written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// A value the record cannot hold (too long, not printable ASCII, a balance beyond
    /// six digits) or that the reader would reject (a blank required field, a bad state
    /// code, a balance with indicator `0`). Names record, field, position and code,
    /// never the value. Nothing of that record was written.
    #[error("record not written: {0}")]
    Invalid(FieldError),
    /// The output failed.
    #[error("writing failed: {0}")]
    Io(#[from] std::io::Error),
}

impl WriteError {
    /// The field error, for [`WriteError::Invalid`].
    pub fn field_error(&self) -> Option<&FieldError> {
        match self {
            WriteError::Invalid(e) => Some(e),
            WriteError::Io(_) => None,
        }
    }
}

/// `Ok` when the reader found nothing wrong with record `number`; otherwise its first
/// error.
pub(crate) fn accepted(number: u64, errors: Vec<FieldError>) -> Result<(), WriteError> {
    match errors.into_iter().next() {
        None => Ok(()),
        Some(e) => Err(WriteError::Invalid(e.with_record(number))),
    }
}

/// A setter's error, numbered.
pub(crate) fn invalid(number: u64) -> impl FnOnce(FieldError) -> WriteError {
    move |e| WriteError::Invalid(e.with_record(number))
}
