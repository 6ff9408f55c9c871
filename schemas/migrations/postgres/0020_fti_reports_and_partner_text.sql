-- Federal tax information out of reconciliation reports, and partner-written error text
-- masked and bounded. Keep in step with ../sqlite/0020_fti_reports_and_partner_text.sql.
--
-- A run's discrepancies that are federal tax information (the offset job's) are stored
-- apart from its report, sealed with the data keys under `reconcile_runs:<id>:fti`, and
-- read by the fti-reader role only. Reports stored before held them in clear: the offset
-- job's reports are dropped (its runs keep their status and counts; run the job again for
-- a report).
ALTER TABLE reconcile_runs ADD COLUMN fti_report TEXT;
UPDATE reconcile_runs SET report = NULL WHERE job = 'offset';

-- A partner's error text was kept unmasked (up to 512 characters). Text holding a run of
-- nine digits or an SSN shape is replaced by a note; everything is cut to 512 characters.
-- The gateway masks such runs itself from now on (privacy::redact).
UPDATE outbox_messages
   SET last_error = '(partner text removed by migration 0020: it held a nine-digit number)'
 WHERE last_error ~ '[0-9]{9}' OR last_error ~ '[0-9]{3}[- ][0-9]{2}[- ][0-9]{4}';
UPDATE outbox_messages SET last_error = substr(last_error, 1, 512) WHERE length(last_error) > 512;
UPDATE outbox_attempts
   SET detail = '(partner text removed by migration 0020: it held a nine-digit number)'
 WHERE detail ~ '[0-9]{9}' OR detail ~ '[0-9]{3}[- ][0-9]{2}[- ][0-9]{4}';
UPDATE outbox_attempts SET detail = substr(detail, 1, 512) WHERE length(detail) > 512;
UPDATE alerts
   SET summary = '(alert text removed by migration 0020: it held a nine-digit number)'
 WHERE summary ~ '[0-9]{9}' OR summary ~ '[0-9]{3}[- ][0-9]{2}[- ][0-9]{4}';
