//! Method 1: the all-accounts file (and the account update file), FI → state.
//!
//! Read with [`read_accounts`], a streaming iterator; write with [`write_accounts`].

use std::io::{BufRead, Write};

use ivd_fixed::{Encoding, FieldError, Framing, RecordVerdict};

use crate::codes;
use crate::engine::{Engine, FileFormat, Kind, Step};
use crate::framing::put_record;
use crate::layouts::{RECORD_LEN, T_RECORD};
use crate::records;
use crate::types::{Account, FileIndicator, Institution};
use crate::write::{WriteError, accepted, invalid};

pub(crate) struct Method1;

impl FileFormat for Method1 {
    type Header = Institution;
    type Body = Account;
    const LEN: usize = RECORD_LEN;
    const HEADER: u8 = b'A';
    const BODY: u8 = b'B';
    const TRAILER: &'static ivd_fixed::Layout = &T_RECORD;

    fn header(rec: &[u8], errors: &mut Vec<FieldError>) -> Option<Institution> {
        let i = records::read_institution(rec, errors)?;
        if i.file_indicator == FileIndicator::Match {
            errors.push(FieldError::new(
                codes::FILE_INDICATOR,
                "file_indicator",
                371,
                "a Method 2 match file (M) where a Method 1 accounts file (A or U) is expected",
            ));
            return None;
        }
        Some(i)
    }

    fn body(
        number: u64,
        rec: &[u8],
        header: Option<&Institution>,
        errors: &mut Vec<FieldError>,
    ) -> Option<Account> {
        records::read_account(number, rec, header, errors)
    }
}

/// What reading one record of an accounts file gave: the account, or the errors.
///
/// One outcome per B record (valid or not), plus one for every other record with a
/// problem (an invalid or missing A record, a trailer whose count disagrees, an unknown
/// record type, a framing error) and one, numbered after the last record, when the
/// T record is missing. A valid A or T record gives no outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountOutcome {
    /// 1-based physical record number.
    pub record: u64,
    /// The account, when the record is a valid B record. (It is kept when the only
    /// error is the file-level `MISSING_HEADER`, reported on the first B record of a file
    /// without an A record.)
    pub account: Option<Account>,
    /// Every problem of the record, each numbered; empty when valid.
    pub errors: Vec<FieldError>,
}

impl AccountOutcome {
    /// `true` when there is no error.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// The per-record verdict, as the gateway reports it.
    pub fn verdict(&self) -> RecordVerdict {
        RecordVerdict::new(self.record, self.errors.clone())
    }
}

/// The streaming reader of a Method 1 file; see [`read_accounts`].
pub struct AccountReader<R: BufRead> {
    engine: Engine<R, Method1>,
    pending: Option<Step<Account>>,
    all_records: bool,
}

/// Reads a Method 1 all-accounts or update file, one record at a time: memory does not
/// grow with the file. The A record is read at once and is available from
/// [`AccountReader::institution`]; then the iterator yields one [`AccountOutcome`] per
/// B record, and checks the T record's count (`TRAILER_COUNT`). Records may come back to
/// back or one per line.
///
/// ```
/// use ivd_fidm::{Encoding, read_accounts};
/// let file = include_bytes!("../samples/all-accounts.txt");
/// let mut reader = read_accounts(&file[..], Encoding::Ascii);
/// assert_eq!(reader.institution().unwrap().name, "PRAIRIE SAVINGS BANK");
/// let accounts: Vec<_> = reader.by_ref().filter_map(|o| o.account).collect();
/// assert_eq!(accounts.len(), 3);
/// ```
pub fn read_accounts<R: BufRead>(input: R, encoding: Encoding) -> AccountReader<R> {
    let mut engine = Engine::new(input, encoding);
    let pending = engine.step();
    AccountReader {
        engine,
        pending,
        all_records: false,
    }
}

impl<R: BufRead> AccountReader<R> {
    /// The institution from the A record, when the file starts with a valid one.
    pub fn institution(&self) -> Option<&Institution> {
        self.engine.header()
    }

    /// B records read so far (valid or not).
    pub fn accounts_read(&self) -> u64 {
        self.engine.bodies()
    }

    /// Also yields an outcome for every valid A and T record (one outcome per physical
    /// record), as [`account_verdicts`] does.
    #[must_use]
    pub fn every_record(mut self) -> Self {
        self.all_records = true;
        self
    }
}

impl<R: BufRead> Iterator for AccountReader<R> {
    type Item = AccountOutcome;

    fn next(&mut self) -> Option<AccountOutcome> {
        loop {
            let step = match self.pending.take() {
                Some(s) => s,
                None => self.engine.step()?,
            };
            if self.all_records || step.kind == Kind::Body || !step.errors.is_empty() {
                return Some(AccountOutcome {
                    record: step.record,
                    account: step.body,
                    errors: step.errors,
                });
            }
        }
    }
}

/// One verdict per physical record of a Method 1 file (A, every B, T), plus one for a
/// missing T record: what `ivd-gateway check` prints.
pub fn account_verdicts(
    bytes: &[u8],
    encoding: Encoding,
) -> impl Iterator<Item = RecordVerdict> + '_ {
    read_accounts(bytes, encoding)
        .every_record()
        .map(|o| RecordVerdict::new(o.record, o.errors))
}

/// Writes a Method 1 file: the A record from `institution` (its file indicator must be
/// [`FileIndicator::AllAccounts`] or [`FileIndicator::Update`]), one B record per
/// [`AccountWriter::push`], the T record on [`AccountWriter::finish`]. Records are
/// written back to back (no line terminators) unless [`AccountWriter::framing`] says
/// otherwise. Every record is read back before it is written: an invalid account is an
/// error and nothing of it is written, so the caller may skip it and go on.
pub fn write_accounts<W: Write>(
    institution: &Institution,
    encoding: Encoding,
    out: W,
) -> AccountWriter<W> {
    AccountWriter {
        out,
        institution: institution.clone(),
        encoding,
        framing: Framing::Fixed,
        header_written: false,
        count: 0,
        buf: Vec::with_capacity(RECORD_LEN),
    }
}

/// Writer of a Method 1 file; see [`write_accounts`].
pub struct AccountWriter<W: Write> {
    out: W,
    institution: Institution,
    encoding: Encoding,
    framing: Framing,
    header_written: bool,
    count: u64,
    buf: Vec<u8>,
}

impl<W: Write> AccountWriter<W> {
    /// Line terminators after each record: `Fixed` (none, the default), `Lf` or `CrLf`
    /// (in the file's encoding: EBCDIC `LF` is 0x25).
    #[must_use]
    pub fn framing(mut self, framing: Framing) -> Self {
        self.framing = framing;
        self
    }

    /// Accounts written so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    fn header(&mut self) -> Result<(), WriteError> {
        if self.header_written {
            return Ok(());
        }
        let mut rec = records::write_institution(&self.institution, std::mem::take(&mut self.buf))
            .map_err(invalid(1))?;
        let mut errors = Vec::new();
        Method1::header(&rec, &mut errors);
        accepted(1, errors)?;
        put_record(&mut self.out, &mut rec, self.encoding, self.framing)?;
        self.buf = rec;
        self.header_written = true;
        Ok(())
    }

    /// Writes one B record.
    pub fn push(&mut self, account: &Account) -> Result<(), WriteError> {
        self.header()?;
        let number = self.count + 2;
        let mut rec = records::write_account(
            self.institution.year_month,
            account,
            std::mem::take(&mut self.buf),
        )
        .map_err(invalid(number))?;
        let mut errors = Vec::new();
        records::read_account(number, &rec, Some(&self.institution), &mut errors);
        let checked = accepted(number, errors);
        if checked.is_ok() {
            put_record(&mut self.out, &mut rec, self.encoding, self.framing)?;
            self.count += 1;
        }
        self.buf = rec;
        checked
    }

    /// Writes the T record and returns the output.
    pub fn finish(mut self) -> Result<W, WriteError> {
        self.header()?;
        let mut rec =
            records::write_count(&T_RECORD, self.count).map_err(invalid(self.count + 2))?;
        put_record(&mut self.out, &mut rec, self.encoding, self.framing)?;
        self.out.flush()?;
        Ok(self.out)
    }
}
