//! The demo's story, driven through the gateways' own HTTP APIs, as a state's case system,
//! an employer and an operator would.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use ivd_gateway::app::RunningGateway;
use ivd_gateway::config::Settings;
use ivd_gateway::store::now_ms;
use ivd_gateway::store::tokens::{self, Role};

const TANF: &str = include_str!("../../../schemas/samples/case-tanf.json");
const PROTECTED: &str = include_str!("../../../schemas/samples/case-protected.json");
/// The TANF sample's case id and its noncustodial parent's (synthetic) SSN.
const CASE: &str = "MN-0001234";
const NCP_SSN: &str = "234567890";
const ACME_FEIN: &str = "411234567";

/// Who says what to which gateway.
pub struct Scenario {
    dir: PathBuf,
    http: Client<HttpConnector, Full<Bytes>>,
    minnesota: String,
    tribe: String,
    wisconsin: String,
    minnesota_system: String,
    minnesota_operator: String,
    acme: String,
    tribe_system: String,
    wisconsin_system: String,
}

impl Scenario {
    /// Issues the tokens the story uses.
    pub async fn new(
        dir: &Path,
        minnesota: &RunningGateway,
        wisconsin: &RunningGateway,
        tribe: &RunningGateway,
    ) -> anyhow::Result<Scenario> {
        let now = now_ms();
        let mn = &minnesota.state.db;
        Ok(Scenario {
            dir: dir.to_path_buf(),
            http: Client::builder(TokioExecutor::new()).build(HttpConnector::new()),
            minnesota: format!("http://{}", minnesota.api_addr),
            tribe: format!("http://{}", tribe.api_addr),
            wisconsin: format!("http://{}", wisconsin.api_addr),
            minnesota_system: tokens::issue(mn, "mn-case-system", Role::StateSystem, now).await?,
            minnesota_operator: tokens::issue(mn, "demo-scheduler", Role::Operator, now).await?,
            acme: tokens::issue_scoped(
                mn,
                "acme-payroll",
                Role::Employer,
                &[ivd_model::Fein::parse(ACME_FEIN).map_err(|e| anyhow::anyhow!("{e}"))?],
                now,
            )
            .await?,
            tribe_system: tokens::issue(
                &tribe.state.db,
                "tribe-case-system",
                Role::StateSystem,
                now,
            )
            .await?,
            wisconsin_system: tokens::issue(
                &wisconsin.state.db,
                "wi-case-system",
                Role::StateSystem,
                now,
            )
            .await?,
        })
    }

    async fn call(
        &self,
        method: Method,
        url: &str,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> anyhow::Result<(u16, Value)> {
        let request = Request::builder()
            .method(method)
            .uri(url)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", content_type)
            .body(Full::new(Bytes::from(body)))?;
        let response = self
            .http
            .request(request)
            .await
            .with_context(|| format!("calling {url}"))?;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await?.to_bytes();
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    async fn put_case(&self, api: &str, token: &str, body: &str) -> anyhow::Result<()> {
        let id = serde_json::from_str::<Value>(body)?["id"]
            .as_str()
            .unwrap_or(CASE)
            .to_string();
        let (status, answer) = self
            .call(
                Method::PUT,
                &format!("{api}/state/v1/cases/{id}"),
                token,
                "application/json",
                body.as_bytes().to_vec(),
            )
            .await?;
        anyhow::ensure!(status < 300, "storing case {id}: {status} {answer}");
        Ok(())
    }

    async fn transaction(&self, api: &str, token: &str, request: Value) -> anyhow::Result<Value> {
        let (status, answer) = self
            .call(
                Method::POST,
                &format!("{api}/state/v1/cases/{CASE}/transactions"),
                token,
                "application/json",
                serde_json::to_vec(&request)?,
            )
            .await?;
        anyhow::ensure!(status < 300, "{request}: {status} {answer}");
        Ok(answer)
    }

    /// Plays the story; returns Wisconsin's gateway (restarted after its outage).
    pub async fn play(
        self,
        wisconsin: RunningGateway,
        wisconsin_settings: Settings,
        outage: Duration,
    ) -> anyhow::Result<RunningGateway> {
        step("The case systems push their cases (synthetic people) to their gateways.");
        self.put_case(&self.minnesota, &self.minnesota_system, TANF)
            .await?;
        self.put_case(&self.minnesota, &self.minnesota_system, PROTECTED)
            .await?;
        self.put_case(&self.wisconsin, &self.wisconsin_system, TANF)
            .await?;
        self.put_case(&self.tribe, &self.tribe_system, TANF).await?;

        step("Minnesota asks Wisconsin to enforce its order (CSENet ENF R, mutual TLS).");
        self.transaction(&self.minnesota, &self.minnesota_system, json!({
            "partner": "state-55", "format": "csenet", "function": "ENF", "action": "R", "reason": "ERWAG"
        }))
        .await?;

        step("Minnesota asks the Tribe for the status of the case (Tribal XML, CSI R).");
        let asked = self
            .transaction(&self.minnesota, &self.minnesota_system, json!({
                "partner": "tribe-90830", "format": "tribal", "function": "CSI", "action": "R", "reason": "FRINF"
            }))
            .await?;
        let tribal_request = asked["idempotencyKey"]
            .as_str()
            .unwrap_or_default()
            .to_string();

        step(
            "Acme Payroll uploads a new-hire file: 200 hires, a few with mistakes, one a parent who owes support.",
        );
        let file = new_hire_file()?;
        super::write_private(&self.dir.join("acme-new-hires.w4"), &file)?;
        let (status, receipt) = self
            .call(
                Method::POST,
                &format!("{}/employer/v1/new-hires?format=w4", self.minnesota),
                &self.acme,
                "application/octet-stream",
                file,
            )
            .await?;
        anyhow::ensure!(status < 300, "new-hire upload: {status} {receipt}");
        println!(
            "  receipt {}: {}",
            receipt["receiptId"].as_str().unwrap_or("?"),
            receipt["summary"]
        );

        step("The weekly tax refund offset certification and the quarterly FIDM inquiry run.");
        for job in ["offset/cycle", "fidm/inquiry"] {
            let (status, outcome) = self
                .call(
                    Method::POST,
                    &format!("{}/operator/v1/{job}", self.minnesota),
                    &self.minnesota_operator,
                    "application/json",
                    Vec::new(),
                )
                .await?;
            println!("  {job}: {status} {outcome}");
        }

        step(
            "Minnesota sends the case to a county office that refuses it: a dead letter, and an alert.",
        );
        self.transaction(
            &self.minnesota,
            &self.minnesota_system,
            json!({ "partner": "county-9", "format": "case-json" }),
        )
        .await?;

        tokio::time::sleep(Duration::from_secs(3)).await;
        if !tribal_request.is_empty() {
            step("The Tribe answers Minnesota's case-status request (Tribal CSI P).");
            self.transaction(&self.tribe, &self.tribe_system, json!({
                "partner": "state-27", "format": "tribal", "function": "CSI", "action": "P", "reason": "FSINF",
                "otherCaseId": CASE, "inReplyTo": tribal_request
            }))
            .await?;
        }

        step(&format!(
            "Wisconsin goes down for {} seconds while Minnesota asks it for case status.",
            outage.as_secs()
        ));
        wisconsin.stop().await;
        self.transaction(&self.minnesota, &self.minnesota_system, json!({
            "partner": "state-55", "format": "csenet", "function": "CSI", "action": "R", "reason": "FRINF"
        }))
        .await?;
        tokio::time::sleep(outage).await;
        let wisconsin = RunningGateway::start(wisconsin_settings)
            .await
            .context("restarting Wisconsin")?;
        step("Wisconsin is back: the waiting request is delivered.");

        tokio::time::sleep(Duration::from_secs(5)).await;
        step("Wisconsin answers with the case status (CSENet CSI P).");
        self.transaction(&self.wisconsin, &self.wisconsin_system, json!({
            "partner": "state-27", "format": "csenet", "function": "CSI", "action": "P", "reason": "FSINF", "otherCaseId": CASE
        }))
        .await?;
        step("The story is told; the gateways stay up for the dashboard. Ctrl-C stops them.");
        Ok(wisconsin)
    }
}

fn step(text: &str) {
    println!("- {text}");
}

/// A W4 file from Acme Payroll: generated hires (4% with realistic mistakes) and one hire
/// of the TANF sample's noncustodial parent.
fn new_hire_file() -> anyhow::Result<Vec<u8>> {
    use ivd_newhire::generate::{Generator, write_file_with};
    let today = time::OffsetDateTime::now_utc().date();
    let fein = ivd_model::Fein::parse(ACME_FEIN).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut file = Vec::new();
    write_file_with(
        Generator::new(20261128, today).with_fein(fein.clone()),
        ivd_newhire::Format::W4,
        200,
        0.04,
        &mut file,
        |_| {},
    )?;
    let mut parent = Generator::new(7, today).with_fein(fein).new_hire();
    parent.employee.ssn = ivd_newhire::TaxpayerId::parse(NCP_SSN, false)
        .map_err(|code| anyhow::anyhow!("the sample SSN: {}", code.as_str()))?;
    let mut writer = ivd_newhire::write_new_hires(ivd_newhire::Format::W4, Vec::new());
    writer.push(&parent).map_err(|e| anyhow::anyhow!("{e}"))?;
    file.extend(writer.finish().map_err(|e| anyhow::anyhow!("{e}"))?);
    Ok(file)
}
