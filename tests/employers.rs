//! Employers' whole path, on both backends: an employer uploads a new-hire file; each
//! record gets its verdict; the accepted ones reach NDNH exactly once and NDNH's return is
//! matched back; a new hire who is a noncustodial parent becomes a "new employer" event
//! and an income withholding order that reaches the employer, whose acknowledgment lands
//! on the state feed.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use ivd_eiwo::{
    AckAction, AckBatch, Acknowledgment, Disposition, DispositionReason, FileHeaderInfo,
};
use ivd_fixed::Encoding;
use ivd_gateway::channels::employers::iwo;
use ivd_gateway::channels::employers::ndnh::NdnhForwarder;
use ivd_gateway::config::{
    EmployerPartnerSettings, FileEncoding, PartnerKind, PartnerSettings, PickupSettings, Settings,
    TransportSettings,
};
use ivd_gateway::reconcile::deadlines;
use ivd_gateway::store::now_ms;
use ivd_gateway::store::tokens::Role;
use ivd_model::{CaseId, Fein, Ssn};
use ivd_newhire::generate::Generator;
use ivd_newhire::ndnh::{ControlRecord, NdnhCode, ReturnedRecord};
use ivd_newhire::{Format, NewHire};
use serde_json::Value;
use support::app::TestApp;
use support::{Behaviour, MockPartner, TestDb, gateway_settings, http_partner, wait_until};

on_both_backends!(
    an_employer_file_ends_in_ndnh_and_an_acknowledged_withholding_order,
    the_same_file_twice_is_one_receipt_and_another_employers_fein_is_refused,
    an_upload_cut_off_by_a_crash_is_finished_at_the_next_start,
    another_person_whose_hash_shares_the_index_prefix_is_not_a_duplicate,
);

const TANF: &str = include_str!("../schemas/samples/case-tanf.json");
/// The noncustodial parent of the TANF sample case.
const NCP_SSN: &str = "234567890";
const CASE_ID: &str = "MN-0001234";
const OUR_FEIN: &str = "411234567";
const OTHER_FEIN: &str = "527654321";

struct Employers {
    gateway: TestApp,
    http: reqwest::Client,
    state_token: String,
    employer_token: String,
    ndnh_out: PathBuf,
    ndnh_in: PathBuf,
}

fn settings(t: &TestDb, employer: &MockPartner) -> (Settings, PathBuf, PathBuf) {
    let scratch = t.scratch_dir();
    let (ndnh_out, ndnh_in) = (scratch.join("ndnh-out"), scratch.join("ndnh-in"));
    std::fs::create_dir_all(&ndnh_in).unwrap();
    // A drop directory must exist: the transport never creates one (an unmounted share
    // must be noticed, not papered over).
    std::fs::create_dir_all(&ndnh_out).unwrap();
    let mut ndnh: PartnerSettings = http_partner("ndnh", "http://127.0.0.1:9/unused", 5);
    ndnh.kind = PartnerKind::Federal;
    ndnh.transport = Some(TransportSettings::FileDrop {
        directory: ndnh_out.clone(),
    });
    ndnh.pickup = Some(PickupSettings {
        directory: ndnh_in.clone(),
        channel: "ndnh-returns".into(),
        interval_secs: 1,
        settle_secs: 0,
    });
    let mut acme = http_partner("employer-acme", &employer.endpoint(), 5);
    acme.kind = PartnerKind::Employer;
    acme.employer = Some(EmployerPartnerSettings {
        feins: vec!["41-1234567".into()],
    });
    let mut settings = gateway_settings(t, vec![ndnh, acme]);
    settings.state.fips = Some("2700000".into());
    settings.employers.ndnh_partner = Some("ndnh".into());
    settings.employers.ndnh_encoding = FileEncoding::Ascii;
    // The test forwards by hand; the schedule must not race it.
    settings.employers.forward_interval_secs = 3600;
    settings.employers.ndnh_batch_size = 1000;
    settings.employers.iwo = Some(support::employers::iwo_issuer());
    (settings, ndnh_out, ndnh_in)
}

impl Employers {
    async fn start(t: &TestDb, employer: &MockPartner) -> Employers {
        let (settings, ndnh_out, ndnh_in) = settings(t, employer);
        let gateway = TestApp::spawn_with(settings).await;
        let state_token = support::issue_token(&t.db, "case-system", Role::StateSystem).await;
        let employer_token =
            support::employers::employer_token(&t.db, "acme-payroll", OUR_FEIN).await;
        Employers {
            gateway,
            http: reqwest::Client::new(),
            state_token,
            employer_token,
            ndnh_out,
            ndnh_in,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.gateway.api_addr)
    }

    async fn put_case(&self, body: &str) {
        let response = self
            .http
            .put(self.url(&format!("/state/v1/cases/{CASE_ID}")))
            .bearer_auth(&self.state_token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{}",
            response.text().await.unwrap()
        );
    }

    async fn upload(&self, body: Vec<u8>, content_type: &str) -> (u16, Value) {
        let response = self
            .http
            .post(self.url("/employer/v1/new-hires"))
            .bearer_auth(&self.employer_token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The per-record report of a receipt, as the employer reads it.
    async fn report(&self, receipt_id: &str) -> Value {
        self.http
            .get(self.url(&format!("/employer/v1/new-hires/{receipt_id}")))
            .bearer_auth(&self.employer_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn events(&self) -> Vec<Value> {
        let response = self
            .http
            .get(self.url("/state/v1/events?after=0&limit=1000"))
            .bearer_auth(&self.state_token)
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        body["events"].as_array().cloned().unwrap_or_default()
    }

    async fn events_of(&self, kind: &str) -> Vec<Value> {
        self.events()
            .await
            .into_iter()
            .filter(|e| e["kind"] == kind)
            .collect()
    }
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// `n` synthetic reports for our employer; the `ncp_at`-th (0-based) is the case's
/// noncustodial parent.
fn reports(n: usize, ncp_at: usize, seed: u64) -> Vec<NewHire> {
    let mut generator = Generator::new(seed, today());
    let employer = {
        let mut e = generator.employer();
        e.fein = Fein::parse(OUR_FEIN).unwrap();
        e
    };
    (0..n)
        .map(|i| {
            let mut report = generator.new_hire();
            report.employer = employer.clone();
            if i == ncp_at {
                report.employee.ssn = Ssn::parse(NCP_SSN).unwrap().into();
            }
            report
        })
        .collect()
}

fn w4_file(reports: &[NewHire]) -> Vec<u8> {
    let mut writer = ivd_newhire::write_new_hires(Format::W4, Vec::new());
    for report in reports {
        writer.push(report).unwrap();
    }
    writer.finish().unwrap()
}

/// Runs a statement of the test's own (text parameters) in its own transaction, on either
/// backend; returns the rows it changed.
async fn execute(t: &TestDb, sql: &str, params: &[&str]) -> u64 {
    let mut tx = t.db.begin().await.unwrap();
    let changed = match &mut tx {
        ivd_gateway::store::DbTx::Sqlite(c, _) => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
            for param in params {
                query = query.bind(param.to_string());
            }
            query
                .execute(c.connection().await.unwrap())
                .await
                .unwrap()
                .rows_affected()
        }
        ivd_gateway::store::DbTx::Postgres(c, ..) => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
            for param in params {
                query = query.bind(param.to_string());
            }
            query.execute(&mut **c).await.unwrap().rows_affected()
        }
    };
    tx.commit().await.unwrap();
    changed
}

/// Replaces the SSN of the `record`-th (1-based) W4 record of a CR LF file.
fn spoil_ssn(file: &mut [u8], record: usize) {
    let start = (record - 1) * 803 + 2;
    file[start..start + 9].copy_from_slice(b"000000000");
}

async fn an_employer_file_ends_in_ndnh_and_an_acknowledged_withholding_order(t: TestDb) {
    let employer = MockPartner::start(Behaviour::default()).await;
    let session = Employers::start(&t, &employer).await;
    session.put_case(TANF).await;

    // Six reports: the NCP is the second; the fifth repeats the first (same employee,
    // employer and hire date); the fourth has an SSN that cannot be one.
    let mut batch = reports(5, 1, 7);
    batch.insert(4, batch[0].clone());
    let mut file = w4_file(&batch);
    spoil_ssn(&mut file, 4);

    let (status, receipt) = session.upload(file, "application/vnd.ivd.newhire-w4").await;
    assert_eq!(status, 201, "{receipt}");
    let summary = &receipt["summary"];
    assert_eq!(summary["records"], 6, "{receipt}");
    assert_eq!(summary["accepted"], 4, "{receipt}");
    assert_eq!(summary["invalid"], 1, "{receipt}");
    assert_eq!(summary["duplicate"], 1, "{receipt}");
    // Whether a new hire is a noncustodial parent is never told to the employer; the
    // match shows on the state feed below.
    assert!(summary.get("matched").is_none(), "{receipt}");
    let receipt_id = receipt["receiptId"].as_str().unwrap().to_string();
    let metrics = session
        .http
        .get(session.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "ivd_new_hire_records{status=\"accepted\"} 4",
        "ivd_new_hire_records{status=\"invalid\"} 1",
        "ivd_new_hires_awaiting_ndnh 4",
        "ivd_withholding_orders{status=\"sent\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }

    // The receipt names the bad record, its field, position and code — never the value.
    let report = session.report(&receipt_id).await;
    let records = report["records"].as_array().unwrap();
    assert_eq!(records.len(), 6);
    let bad = &records[3];
    assert_eq!(bad["record"], 4);
    assert_eq!(bad["status"], "invalid");
    assert_eq!(bad["problems"][0]["field"], "employee_ssn");
    assert_eq!(bad["problems"][0]["position"], 3);
    assert_eq!(bad["problems"][0]["code"], "SSN_AREA");
    assert!(!report.to_string().contains("000000000"));
    assert_eq!(records[4]["status"], "duplicate");
    assert_eq!(records[4]["duplicateOf"], format!("{receipt_id}/1"));
    let csv = session
        .http
        .get(session.url(&format!("/employer/v1/new-hires/{receipt_id}")))
        .bearer_auth(&session.employer_token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.starts_with("record,status,field,position,code"),
        "{csv}"
    );
    assert!(
        csv.contains("4,invalid,employee_ssn,3,SSN_AREA,error,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 7, "{csv}");

    // The match: a new-employer event without the SSN, and an e-IWO to the employer.
    let matched = session.events_of("case.new_employer").await;
    assert_eq!(matched.len(), 1);
    let text = matched[0].to_string();
    assert!(text.contains("7890") && !text.contains(NCP_SSN), "{text}");
    assert!(
        wait_until(Duration::from_secs(10), || async {
            !employer
                .server
                .received_requests()
                .await
                .unwrap_or_default()
                .is_empty()
        })
        .await,
        "the e-IWO reaches the employer"
    );
    let delivered = employer.server.received_requests().await.unwrap();
    let file = ivd_eiwo::read_iwo_file(&delivered[0].body);
    assert!(
        file.envelope_errors.is_empty(),
        "{:?}",
        file.envelope_errors
    );
    let orders: Vec<&ivd_eiwo::Iwo> = file.batches.iter().flat_map(|b| &b.iwos).collect();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].case_id.as_str(), CASE_ID);
    assert_eq!(orders[0].employee.ssn.expose(), NCP_SSN);
    let tracking = orders[0].tracking_number.clone();
    let issued = iwo::orders_for_case(&t.db, CASE_ID).await.unwrap();
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].status, "sent");
    // Unanswered past its deadline, the order is what reconciliation reports.
    let overdue = deadlines::overdue(&t.db, issued[0].ack_due_at + 1)
        .await
        .unwrap();
    assert!(
        overdue
            .iter()
            .any(|d| d.reference == tracking && d.kind == iwo::ACK_KIND),
        "{overdue:?}"
    );

    // The employer answers: rejected, no longer employed.
    let created = time::OffsetDateTime::now_utc();
    let answer = ivd_eiwo::write_acknowledgments(
        &FileHeaderInfo {
            control_number: "41A0000000000000000001".into(),
            state_fips: None,
            ein: Fein::parse(OUR_FEIN).unwrap(),
            primary_ein: None,
            created: time::PrimitiveDateTime::new(created.date(), created.time()),
        },
        &[AckBatch {
            control_number: "41B0000000000000000001".into(),
            fein: Fein::parse(OUR_FEIN).unwrap(),
            acknowledgments: vec![Acknowledgment::answer(
                AckAction::Original,
                CaseId::parse(CASE_ID).unwrap(),
                Fein::parse(OUR_FEIN).unwrap(),
                &tracking,
                Disposition::rejected(DispositionReason::NoLongerEmployed),
            )],
        }],
    )
    .unwrap();
    let response = session
        .http
        .post(session.url("/employer/v1/iwo-acknowledgments"))
        .bearer_auth(&session.employer_token)
        .body(answer.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        201,
        "{}",
        response.text().await.unwrap()
    );
    let rejected = session.events_of("eiwo.rejected").await;
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["caseId"], CASE_ID);
    assert_eq!(rejected[0]["payload"]["reason"], "N");
    let answered = iwo::orders_for_case(&t.db, CASE_ID).await.unwrap();
    assert_eq!(answered[0].status, "rejected");
    let deadline = deadlines::for_reference(&t.db, &tracking).await.unwrap();
    assert!(deadline[0].satisfied_at.is_some());
    // The same acknowledgment file again changes nothing.
    let again = session
        .http
        .post(session.url("/employer/v1/iwo-acknowledgments"))
        .bearer_auth(&session.employer_token)
        .body(answer)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 200);
    assert_eq!(session.events_of("eiwo.rejected").await.len(), 1);

    // NDNH: every accepted record once, in one transmission; a second run sends nothing.
    let forwarder = NdnhForwarder {
        db: t.db.clone(),
        settings: session.gateway.state.settings.clone(),
        dispatcher_wake: session.gateway.state.dispatcher_wake.clone(),
    };
    let sent = forwarder.forward_pending(now_ms()).await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].records, 4);
    assert!(
        forwarder
            .forward_pending(now_ms())
            .await
            .unwrap()
            .is_empty()
    );
    // The empty run took no batch number: the next transmission follows without a gap.
    let mut tx = t.db.begin().await.unwrap();
    let counter_sql = "SELECT last_value FROM serial_counters WHERE name = 'ndnh-batch'";
    let (last_batch,): (i64,) = match &mut tx {
        ivd_gateway::store::DbTx::Sqlite(c, _) => sqlx::query_as(counter_sql)
            .fetch_one(c.connection().await.unwrap())
            .await
            .unwrap(),
        ivd_gateway::store::DbTx::Postgres(c, ..) => sqlx::query_as(counter_sql)
            .fetch_one(&mut **c)
            .await
            .unwrap(),
    };
    tx.commit().await.unwrap();
    assert_eq!(last_batch, sent[0].batch_number);
    assert!(
        wait_until(Duration::from_secs(10), || async {
            !support::published_files(&session.ndnh_out).is_empty()
        })
        .await,
        "the transmission is dropped for NDNH: {:?}",
        ivd_gateway::outbox::store::list(&t.db, &Default::default())
            .await
            .unwrap()
    );
    let dropped = std::fs::read(&support::published_files(&session.ndnh_out)[0]).unwrap();
    let transmission = ivd_newhire::ndnh::read_transmission(&dropped, Encoding::Ascii);
    assert!(transmission.errors.is_empty(), "{:?}", transmission.errors);
    assert_eq!(
        transmission.header.as_ref().unwrap().batch_number as i64,
        sent[0].batch_number
    );
    let mut ssns: Vec<String> = transmission
        .records
        .iter()
        .map(|r| {
            r.new_hire
                .as_ref()
                .unwrap()
                .employee
                .ssn
                .expose()
                .to_string()
        })
        .collect();
    assert_eq!(ssns.len(), 4);
    ssns.sort();
    ssns.dedup();
    assert_eq!(ssns.len(), 4, "no employee twice");

    // NDNH returns the batch with one record rejected.
    let first = &batch[0];
    let control = ControlRecord {
        state_fips: 27,
        batch_number: sent[0].batch_number as u32,
        date: today(),
        received: 6,
        rejected: 1,
        returned: 1,
        posted: 3,
        unverified: 0,
        batch_codes: Vec::new(),
    };
    let returned = ReturnedRecord {
        record: 2,
        ssn: first.employee.ssn.as_ssn(),
        fein: Some(Fein::parse(OUR_FEIN).unwrap()),
        hire_date: Some(first.hire_date),
        codes: vec![NdnhCode::new("E002")],
    };
    let return_file = ivd_newhire::ndnh::write_return(&control, &[returned], Encoding::Ascii);
    std::fs::write(session.ndnh_in.join("R4.B1.dat"), return_file).unwrap();
    assert!(
        wait_until(Duration::from_secs(15), || async {
            !session.events_of("newhire.ndnh_returned").await.is_empty()
        })
        .await,
        "the NDNH return is picked up"
    );
    let ndnh_rejected = session.events_of("newhire.ndnh_rejected").await;
    assert_eq!(ndnh_rejected.len(), 1);
    assert_eq!(
        ndnh_rejected[0]["payload"]["newHire"],
        format!("{receipt_id}/1")
    );
    let report: Value = session
        .http
        .get(session.url(&format!("/employer/v1/new-hires/{receipt_id}")))
        .bearer_auth(&session.employer_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let statuses: Vec<Value> = report["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ndnhStatus"].clone())
        .collect();
    assert_eq!(statuses[0], "rejected");
    assert_eq!(statuses[1], "posted");
    assert_eq!(
        statuses[3],
        Value::Null,
        "an invalid record never went to NDNH"
    );
    assert_eq!(statuses[4], Value::Null, "a duplicate never went to NDNH");
    let return_deadline = deadlines::for_reference(&t.db, &sent[0].batch_number.to_string())
        .await
        .unwrap();
    assert!(return_deadline[0].satisfied_at.is_some());

    // Past retention the raw upload goes; the verdicts stay.
    let spooled = support::published_files(&t.scratch_dir().join("spool"));
    assert_eq!(spooled.len(), 1, "{spooled:?}");
    let purged = ivd_gateway::channels::employers::newhire::purge_before(&t.db, now_ms() + 1)
        .await
        .unwrap();
    assert_eq!(purged, 1);
    assert!(support::published_files(&t.scratch_dir().join("spool")).is_empty());
    let after: Value = session
        .http
        .get(session.url(&format!("/employer/v1/new-hires/{receipt_id}")))
        .bearer_auth(&session.employer_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(after["records"].as_array().unwrap().len(), 6);

    session.gateway.stop().await;
    t.cleanup().await;
}

async fn the_same_file_twice_is_one_receipt_and_another_employers_fein_is_refused(t: TestDb) {
    let employer = MockPartner::start(Behaviour::default()).await;
    let session = Employers::start(&t, &employer).await;
    let batch = reports(3, usize::MAX, 11);

    // CSV, named by Content-Type.
    let mut writer = ivd_newhire::write_new_hires(Format::Csv, Vec::new());
    for report in &batch {
        writer.push(report).unwrap();
    }
    let csv = writer.finish().unwrap();
    let (status, first) = session.upload(csv.clone(), "text/csv").await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["summary"]["accepted"], 3);
    let (status, second) = session.upload(csv, "text/csv").await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["status"], "duplicate");
    assert_eq!(second["receiptId"], first["receiptId"]);

    // XML, recognised from the content, for an employer outside the token's scope.
    let mut foreign = reports(2, usize::MAX, 12);
    for report in &mut foreign {
        report.employer.fein = Fein::parse(OTHER_FEIN).unwrap();
    }
    let mut writer = ivd_newhire::write_new_hires(Format::Xml, Vec::new());
    for report in &foreign {
        writer.push(report).unwrap();
    }
    let (status, refused) = session
        .upload(writer.finish().unwrap(), "application/octet-stream")
        .await;
    assert_eq!(status, 403, "{refused}");
    assert!(refused["detail"].as_str().unwrap().contains("FEIN"));

    // Another employer cannot read our receipt; an operator can.
    let other = support::employers::employer_token(&t.db, "other-payroll", OTHER_FEIN).await;
    let receipt_url = session.url(&format!(
        "/employer/v1/new-hires/{}",
        first["receiptId"].as_str().unwrap()
    ));
    let status = session
        .http
        .get(&receipt_url)
        .bearer_auth(&other)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 404);
    let operator = support::issue_token(&t.db, "ops", Role::Operator).await;
    let status = session
        .http
        .get(&receipt_url)
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 200);
    // A state-system token is not an employer's.
    let (status, _) = {
        let response = session
            .http
            .post(session.url("/employer/v1/new-hires"))
            .bearer_auth(&session.state_token)
            .body("W4")
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), ())
    };
    assert_eq!(status, 403);

    session.gateway.stop().await;
    t.cleanup().await;
}

/// The gateway stored an upload (spooled, fsynced, receipt committed) and then died: half
/// of its records were judged (a committed chunk and its checkpoint), the rest not. The
/// next start finishes it from the checkpoint; nothing is judged twice or lost.
async fn an_upload_cut_off_by_a_crash_is_finished_at_the_next_start(t: TestDb) {
    use ivd_gateway::channels::employers::newhire::{self, NewHireIntake};
    use ivd_gateway::intake::spool::{self, SpooledUpload};

    let employer = MockPartner::start(Behaviour::default()).await;
    let (settings, _, _) = settings(&t, &employer);
    let batch = reports(3_000, usize::MAX, 21);
    let file = w4_file(&batch);
    let now = now_ms();
    let stream = futures::stream::iter(
        file.chunks(64 * 1024)
            .map(|c| Ok::<_, std::io::Error>(bytes::Bytes::copy_from_slice(c)))
            .collect::<Vec<_>>(),
    );
    let spooled = spool::receive_stream(
        &t.db,
        &settings.employers.spool_dir,
        &SpooledUpload {
            partner: "acme-payroll",
            channel: newhire::CHANNEL,
            content_type: "application/vnd.ivd.newhire-w4",
        },
        stream,
        u64::MAX,
        now,
    )
    .await
    .unwrap();
    let receipt_id = spooled.received.receipt_id().to_string();
    let intake = NewHireIntake {
        db: t.db.clone(),
        settings: std::sync::Arc::new(settings.clone()),
        key: settings.privacy.lookup_key().unwrap(),
    };
    intake
        .register(
            &receipt_id,
            ivd_gateway::channels::employers::newhire::Submitter {
                account_id: None,
                name: "acme-payroll",
            },
            &[OUR_FEIN.to_string()],
            Format::W4,
            now,
        )
        .await
        .unwrap();
    // What a run that died after its first chunk left: 2,000 records judged and the
    // checkpoint, the receipt still processing.
    let first_chunk = w4_file(&batch[..2_000]);
    let probe = spool::spool_path(&t.db, &receipt_id)
        .await
        .unwrap()
        .unwrap();
    let full = std::fs::read(&probe).unwrap();
    std::fs::write(&probe, &first_chunk).unwrap();
    intake.process(&receipt_id, now).await.unwrap();
    // Undo the "complete" so that the state is the one a crash leaves, and restore the file.
    std::fs::write(&probe, &full).unwrap();
    for sql in [
        "UPDATE new_hire_receipts SET state = 'processing', completed_at = NULL",
        "UPDATE inbound_receipts SET state = 'stored', processed_at = NULL, outcome = NULL",
        "DELETE FROM events WHERE kind = 'newhire.received'",
    ] {
        execute(&t, sql, &[]).await;
    }
    let before = newhire::summary(&t.db, &receipt_id).await.unwrap().unwrap();
    assert_eq!(
        (before.state.as_str(), before.records),
        ("processing", 2_000)
    );

    let gateway = TestApp::spawn_with(settings).await;
    assert!(
        wait_until(Duration::from_secs(30), || async {
            newhire::summary(&t.db, &receipt_id)
                .await
                .unwrap()
                .is_some_and(|s| s.state == "complete")
        })
        .await,
        "the interrupted upload is finished at start"
    );
    let after = newhire::summary(&t.db, &receipt_id).await.unwrap().unwrap();
    assert_eq!(after.records, 3_000);
    assert_eq!(after.accepted + after.duplicate + after.invalid, 3_000);
    let rows = newhire::records(&t.db, &receipt_id, 0, 10_000)
        .await
        .unwrap();
    assert_eq!(rows.len(), 3_000, "every record judged exactly once");
    assert!(rows.iter().zip(1..).all(|(r, n)| r.record_no == n));
    gateway.stop().await;
    t.cleanup().await;
}

/// The duplicate check finds earlier reports through an index keyed by the first 16
/// characters of the keyed SSN hash (migration 0016). An earlier report of another person
/// whose hash shares them (planted here: a real one takes billions of people) does not
/// make a new report a duplicate; an earlier report of the same person still does.
async fn another_person_whose_hash_shares_the_index_prefix_is_not_a_duplicate(t: TestDb) {
    let employer = MockPartner::start(Behaviour::default()).await;
    let session = Employers::start(&t, &employer).await;
    let key = settings(&t, &employer).0.privacy.lookup_key().unwrap();
    let batch = reports(2, usize::MAX, 31);
    let (status, first) = session
        .upload(w4_file(&batch), "application/vnd.ivd.newhire-w4")
        .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["summary"]["accepted"], 2, "{first}");
    let first_id = first["receiptId"].as_str().unwrap().to_string();

    // The first report now stands for a stranger who shares the person's prefix.
    let hash = key.taxpayer_id_hash(batch[0].employee.ssn.expose());
    let stranger = format!("{}{}", &hash[..16], "0".repeat(hash.len() - 16));
    assert_ne!(stranger, hash);
    let changed = execute(
        &t,
        "UPDATE new_hire_records SET ssn_hash = $1 WHERE receipt_id = $2 AND record_no = 1",
        &[&stranger, &first_id],
    )
    .await;
    assert_eq!(changed, 1);

    // Both people again, in another order (another file).
    let again = vec![batch[1].clone(), batch[0].clone()];
    let (status, second) = session
        .upload(w4_file(&again), "application/vnd.ivd.newhire-w4")
        .await;
    assert_eq!(status, 201, "{second}");
    let second_id = second["receiptId"].as_str().unwrap();
    let report = session.report(second_id).await;
    let records = report["records"].as_array().unwrap();
    assert_eq!(records[0]["status"], "duplicate", "{report}");
    assert_eq!(records[0]["duplicateOf"], format!("{first_id}/2"));
    assert_eq!(records[1]["status"], "accepted", "{report}");

    session.gateway.stop().await;
    t.cleanup().await;
}
