//! A run's report as CSV: one row per discrepancy, with a header row. Operators download
//! the report without the discrepancies that are federal tax information; the `fti-reader`
//! role downloads the whole of it (see [`super::report`]).
//!
//! Cells are quoted by the `csv` writer where needed; a cell that starts with `=`, `+`,
//! `-`, `@`, a tab or a carriage return is prefixed with `'` so that a spreadsheet shows
//! it as text instead of running it as a formula.

use super::report::Findings;
use super::runs::Run;

/// The header row.
pub const HEADER: [&str; 12] = [
    "run",
    "job",
    "code",
    "what",
    "partner",
    "reference",
    "case_id",
    "person",
    "since",
    "since_ms",
    "action",
    "action_taken",
];

/// Defuses a cell a spreadsheet would read as a formula.
pub fn defuse(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

fn rfc3339(ms: i64) -> String {
    crate::store::rfc3339_of_ms(ms).unwrap_or_default()
}

/// The CSV text of `findings` from `run`.
pub fn report_csv(run: &Run, findings: &Findings) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    writer.write_record(HEADER)?;
    for d in &findings.discrepancies {
        let since = d.since.map(rfc3339).unwrap_or_default();
        let since_ms = d.since.map(|s| s.to_string()).unwrap_or_default();
        let row = [
            run.id.to_string(),
            run.job.clone(),
            d.code.clone(),
            d.what.clone(),
            d.partner.clone().unwrap_or_default(),
            d.reference.clone().unwrap_or_default(),
            d.case_id.clone().unwrap_or_default(),
            d.person.clone().unwrap_or_default(),
            since,
            since_ms,
            d.action.clone(),
            d.action_taken.to_string(),
        ];
        writer.write_record(row.iter().map(|cell| defuse(cell)))?;
    }
    writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_defused_and_commas_quoted() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("-1"), "'-1");
        assert_eq!(defuse("plain"), "plain");
        let run = Run {
            id: 7,
            job: "outbox-health".into(),
            triggered_by: "manual".into(),
            scheduled_for: None,
            status: "succeeded".into(),
            dry_run: false,
            started_at: 0,
            finished_at: Some(0),
            worker: "w".into(),
            heartbeat_at: 0,
            discrepancies: Some(1),
            counts: None,
            report: None,
            fti_report: None,
            error: None,
            retry_of: None,
        };
        let mut findings = Findings::default();
        findings.push(
            crate::reconcile::report::Discrepancy::new("X", "a, \"b\"", "@SUM(A1)")
                .partner("state-27")
                .since(0),
        );
        let text = String::from_utf8(report_csv(&run, &findings).unwrap()).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next().unwrap(), HEADER.join(","));
        assert_eq!(
            lines.next().unwrap(),
            "7,outbox-health,X,\"a, \"\"b\"\"\",state-27,,,,1970-01-01T00:00:00Z,0,'@SUM(A1),false"
        );
    }
}
