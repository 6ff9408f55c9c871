//! Acknowledgments, responses and timeframes (spec §1.8).
//!
//! CSENet itself enforces no clock (Due-Date and Response-Date are reserved, Overdue-Ind
//! is always `0`); the clocks come from 45 CFR 303.7 and the IGD usage notes. This module
//! turns them into data:
//!
//! * [`acknowledgment`] — the `A` transaction a responding state sends for a received
//!   PAT, EST or ENF request (`AADIN` when more information is needed, `ANOAD` when not);
//! * [`rejection`] — the `MSC P REJCT` answer to a transaction whose Other-Case-ID we do
//!   not recognise;
//! * [`deadlines`] — what the partner owes us for a transaction we send;
//! * [`our_deadlines`] — what we owe for a transaction we receive.

use time::Date;

use crate::codes::{ActionCode, FunctionCode};
use crate::layout::{CaseData, Information};
use crate::transaction::{Header, HeaderKind, Transaction};

/// What a deadline is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeadlineKind {
    /// Acknowledge receipt of a PAT/EST/ENF request (`A AADIN` / `A ANOAD`):
    /// 10 working days, 45 CFR 303.7(a)(2).
    Acknowledgment,
    /// Answer a CSI request (`CSI P FSINF` / `FUINF`): 7 days (IGD-D CSI page).
    CaseStatusResponse,
    /// Do not repeat a CSI request for the same case before 30 days (IGD-D).
    NoRepeatedCaseStatusRequest,
    /// Provide order and payment records for a controlling-order determination:
    /// 30 working days, 45 CFR 303.7(a)(5).
    OrderAndPaymentRecords,
    /// Tell the partner about new information on the case: 10 working days,
    /// 45 CFR 303.7(a)(7).
    NewInformationNotice,
    /// Refer the case to the NCP's state: 20 calendar days after learning the NCP is
    /// there, 45 CFR 303.7(b)(2).
    Referral,
}

/// How a deadline's days are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Clock {
    /// Working days (the gateway's holiday calendar decides which).
    WorkingDays,
    /// Calendar days.
    CalendarDays,
}

/// A timeframe started by a transaction, counted from its Transaction-Date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Deadline {
    /// What is due.
    pub kind: DeadlineKind,
    /// How many days.
    pub days: u16,
    /// How they are counted.
    pub clock: Clock,
}

impl Deadline {
    const fn working(kind: DeadlineKind, days: u16) -> Self {
        Deadline {
            kind,
            days,
            clock: Clock::WorkingDays,
        }
    }
    const fn calendar(kind: DeadlineKind, days: u16) -> Self {
        Deadline {
            kind,
            days,
            clock: Clock::CalendarDays,
        }
    }

    /// The number of working days, when the deadline is counted in working days.
    pub fn working_days(&self) -> Option<u16> {
        (self.clock == Clock::WorkingDays).then_some(self.days)
    }
}

/// True when a received transaction must be acknowledged (a PAT, EST or ENF request),
/// i.e. when [`acknowledgment`] returns one.
pub fn needs_acknowledgment(received: &Transaction) -> bool {
    is_referral(received)
}

fn is_referral(t: &Transaction) -> bool {
    matches!(
        t.header.function,
        FunctionCode::Pat | FunctionCode::Est | FunctionCode::Enf
    ) && t.header.action == ActionCode::Request
}

/// The timeframes the partner owes us for a transaction we **send**.
pub fn deadlines(sent: &Transaction) -> Vec<Deadline> {
    let h = &sent.header;
    let mut out = Vec::new();
    if is_referral(sent) {
        out.push(Deadline::working(DeadlineKind::Acknowledgment, 10));
    }
    if h.function == FunctionCode::Csi && h.action == ActionCode::Request {
        out.push(Deadline::calendar(DeadlineKind::CaseStatusResponse, 7));
        out.push(Deadline::calendar(
            DeadlineKind::NoRepeatedCaseStatusRequest,
            30,
        ));
    }
    if h.function == FunctionCode::Msc && h.action == ActionCode::Request && h.reason == "GRPOC" {
        out.push(Deadline::working(DeadlineKind::OrderAndPaymentRecords, 30));
    }
    out
}

/// The timeframes we owe for a transaction we **receive**.
pub fn our_deadlines(received: &Transaction) -> Vec<Deadline> {
    let h = &received.header;
    let mut out = Vec::new();
    if is_referral(received) {
        out.push(Deadline::working(DeadlineKind::Acknowledgment, 10));
    }
    if h.function == FunctionCode::Csi && h.action == ActionCode::Request {
        out.push(Deadline::calendar(DeadlineKind::CaseStatusResponse, 7));
    }
    if h.function == FunctionCode::Msc && h.action == ActionCode::Request && h.reason == "GRPOC" {
        out.push(Deadline::working(DeadlineKind::OrderAndPaymentRecords, 30));
    }
    // A locate response saying the NCP was found (reason `LS…`) starts the referral clock.
    if h.function == FunctionCode::Lo1
        && h.action == ActionCode::Provide
        && h.reason.starts_with("LS")
    {
        out.push(Deadline::calendar(DeadlineKind::Referral, 20));
    }
    // Any provision of information about a case we share obliges us to pass on what we
    // learn from it: the new-information clock.
    if h.action == ActionCode::Provide && h.function != FunctionCode::Lo1 {
        out.push(Deadline::working(DeadlineKind::NewInformationNotice, 10));
    }
    out
}

/// Our decision on a received PAT/EST/ENF request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckDecision {
    /// `ANOAD`: request received, nothing further needed.
    NoFurtherInformation,
    /// `AADIN`: more information needed; the Information block says what.
    AdditionalInformationNeeded(Information),
}

/// What we need to build an acknowledgment that the received transaction cannot give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckContext {
    /// Our next serial number.
    pub serial_number: u64,
    /// Transaction-Date of the acknowledgment.
    pub transaction_date: Date,
    /// Our Case Data block (our office, our case type and status).
    pub case_data: CaseData,
}

/// The acknowledgment a received transaction requires, if any: for PAT, EST and ENF
/// requests, `A AADIN` or `A ANOAD` of the same function within 10 working days
/// (45 CFR 303.7(a)(2); IGD-D "Transmittal #1 acknowledgment"). Other transactions need
/// none (their answer is a `P` response, see [`our_deadlines`]).
///
/// The acknowledgment goes back to the sender: its header keeps our FIPS and case id
/// as Local (the received inbound header already has them there, §1.3) and the partner's
/// as Other. It echoes the NCP-ID and Participant blocks we received (the matrix requires
/// them; echoing discloses nothing new) and carries our Case Data.
pub fn acknowledgment(
    received: &Transaction,
    decision: AckDecision,
    ctx: &AckContext,
) -> Option<Transaction> {
    if !is_referral(received) {
        return None;
    }
    let r = &received.header;
    let reason = match decision {
        AckDecision::NoFurtherInformation => "ANOAD",
        AckDecision::AdditionalInformationNeeded(_) => "AADIN",
    };
    let mut header = Header::new(
        HeaderKind::Outbound,
        r.function.clone(),
        ActionCode::Acknowledge,
        reason,
        ctx.serial_number,
        ctx.transaction_date,
    );
    header.local_fips = r.local_fips.clone();
    header.other_fips = r.other_fips.clone();
    header.case_id = r.case_id.clone();
    header.other_case_id = r.other_case_id.clone();
    let mut t = Transaction::new(header);
    t.case_data = Some(Box::new(ctx.case_data.clone()));
    t.ncp_identification = received.ncp_identification.clone();
    t.participants = received.participants.clone();
    if let AckDecision::AdditionalInformationNeeded(info) = decision {
        t.information = Some(Box::new(info));
    }
    Some(t)
}

/// The `MSC P REJCT` answer to a received transaction whose Other-Case-ID (our case id,
/// after the server's swap) we do not recognise (Release 04-01). Information text line 1
/// repeats the rejected transaction: serial (12), action (1), function (3), date (8) and
/// reason (5), concatenated (spec §1.5).
pub fn rejection(
    received: &Transaction,
    serial_number: u64,
    transaction_date: Date,
) -> Transaction {
    let r = &received.header;
    let mut header = Header::new(
        HeaderKind::Outbound,
        FunctionCode::Msc,
        ActionCode::Provide,
        "REJCT",
        serial_number,
        transaction_date,
    );
    header.local_fips = r.local_fips.clone();
    header.other_fips = r.other_fips.clone();
    header.other_case_id = r.other_case_id.clone();
    let d = r.transaction_date;
    let line = format!(
        "{:012}{:<1}{:<3}{:04}{:02}{:02}{}",
        r.serial_number,
        r.action.code(),
        r.function.code(),
        d.year(),
        u8::from(d.month()),
        d.day(),
        r.reason
    );
    let mut t = Transaction::new(header);
    t.information = Some(Box::new(Information {
        information_text_line_1: line.into(),
        ..Default::default()
    }));
    t
}
