//! What the employer-facing tests share: the state's e-IWO issuer, an order as the issuer
//! leaves it after sending, synthetic W4 new-hire files, and the multipart form a browser
//! posts when a payroll clerk uploads one from the employer pages.

use ivd_gateway::config::IwoIssuerSettings;
use ivd_gateway::store::{Db, DbTx, StoreError, now_ms};
use ivd_model::Fein;

/// A synthetic state's e-IWO issuer (Minnesota's payment centre, a fictional officer).
pub fn iwo_issuer() -> IwoIssuerSettings {
    IwoIssuerSettings {
        issuing_state: "MINNESOTA".into(),
        issuing_jurisdiction: "RAMSEY COUNTY".into(),
        official_name: "PAT EXAMPLE".into(),
        official_title: "CHILD SUPPORT OFFICER".into(),
        payee_name: "MINNESOTA CHILD SUPPORT PAYMENT CENTER".into(),
        payee_address: "PO BOX 64326".into(),
        payee_city: "ST PAUL".into(),
        payee_state: "MN".into(),
        payee_zip: "55164".into(),
        remittance_fips: "2700000".into(),
        begin_within_days: 14,
        send_within_days: 7,
        ccpa_percent: 50,
        contact_name: Some("EMPLOYER SERVICES".into()),
        contact_phone: Some("6515550199".into()),
    }
}

/// An income withholding order `tracking` on `case_id`, sent to `fein` through the
/// partner `employer-acme`, as the e-IWO issuer leaves it (acknowledgment due in 7 days).
pub async fn order_sent(db: &Db, tracking: &str, case_id: &str, fein: &str) {
    async fn insert(
        tx: &mut DbTx,
        tracking: &str,
        case_id: &str,
        fein: &str,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let control = format!("27F{tracking:0>19}");
        ivd_gateway::on_tx!(tx, c => {
            sqlx::query(
                "INSERT INTO withholding_orders (tracking_number, case_id, employer_fein, partner, action, \
                 file_control, created_at, ack_due_at, status) VALUES ($1, $2, $3, 'employer-acme', 'ORG', $4, $5, $6, 'sent')",
            )
            .bind(tracking)
            .bind(case_id)
            .bind(fein)
            .bind(&control)
            .bind(now)
            .bind(now + 7 * 86_400_000)
            .execute(c)
            .await?
            .rows_affected()
        });
        Ok(())
    }
    let mut tx = db.begin().await.expect("a transaction");
    insert(&mut tx, tracking, case_id, fein)
        .await
        .expect("the order is stored");
    tx.commit().await.expect("committed");
}

/// A W4 file of `count` synthetic new hires of `fein` (generated from `seed`); the first
/// one's SSN is `ssn` when given.
pub fn w4_file(fein: &str, count: usize, seed: u64, ssn: Option<&str>) -> Vec<u8> {
    let today = time::OffsetDateTime::now_utc().date();
    let mut generator =
        ivd_newhire::generate::Generator::new(seed, today).with_fein(Fein::parse(fein).unwrap());
    let mut writer = ivd_newhire::write_new_hires(ivd_newhire::Format::W4, Vec::new());
    for i in 0..count {
        let mut report = generator.new_hire();
        if i == 0
            && let Some(ssn) = ssn
        {
            report.employee.ssn = ivd_model::Ssn::parse(ssn).unwrap().into();
        }
        writer.push(&report).unwrap();
    }
    writer.finish().unwrap()
}

/// The upload form of the employer pages as a browser posts it (multipart: the form's
/// `csrf` token, `format=auto`, and `file` as `hires.w4`): the content type and the body.
pub fn upload_form(csrf: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----ivd-test-boundary-7d1f";
    let mut body = Vec::new();
    for (name, value) in [("csrf", csrf), ("format", "auto")] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"hires.w4\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A new token of an employer account `name` holding `fein`, issued on `db`.
pub async fn employer_token(db: &Db, name: &str, fein: &str) -> String {
    ivd_gateway::store::tokens::issue_scoped(
        db,
        name,
        ivd_gateway::store::tokens::Role::Employer,
        &[Fein::parse(fein).expect("a FEIN")],
        now_ms(),
    )
    .await
    .expect("an employer token")
}
