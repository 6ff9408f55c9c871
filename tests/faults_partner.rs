//! Fault suite: a partner goes out again and again while the state system keeps
//! enqueueing — answering 503, refusing connections (its listener closed), hanging until the
//! gateway times out, and applying a message but losing the response — and is slow for a
//! while without being down. On both backends. Every message is applied exactly once at
//! the receiver, in per-case order; each outage is one "partner down" and one "partner
//! back" alert (in the alerts table and at the webhook), not one per failed attempt.

mod support;

use std::time::Duration;

use support::app::TestApp;
use support::faults::{
    FaultPartner, Load, Mode, Scale, assert_exactly_once, delivered, partner_down_changes,
    stuck_leases, wait_alert_changes, wait_applied, wait_failed_attempts, webhook_alert_keys,
};
use support::{Behaviour, MockPartner, TestDb, gateway_settings, http_partner, wait_until};

on_both_backends!(a_partner_that_fails_in_every_way_gets_everything_once_and_one_alert_per_outage);

const KEYS: u64 = 20;

async fn a_partner_that_fails_in_every_way_gets_everything_once_and_one_alert_per_outage(
    t: TestDb,
) {
    let scale = Scale::from_env();
    let rounds = scale.pick(1, 4);
    let partner = FaultPartner::start(Mode::Up).await;
    let webhook = MockPartner::start(Behaviour::default()).await;
    let mut state_27 = http_partner("state-27", &partner.endpoint(), 100_000);
    if let Some(ivd_gateway::config::TransportSettings::Https { timeout_secs, .. }) =
        &mut state_27.transport
    {
        // A hung partner costs a second per attempt, not the default thirty.
        *timeout_secs = 1;
    }
    state_27.circuit.failure_threshold = 5;
    state_27.circuit.cooldown_secs = 1;
    let mut settings = gateway_settings(
        &t,
        vec![
            state_27,
            http_partner("ops-alerts", &webhook.endpoint(), 100),
        ],
    );
    settings.alerts.webhook_partners = vec!["ops-alerts".to_string()];
    let gateway = TestApp::spawn_with(settings).await;
    let load = Load::start(
        t.db.clone(),
        "state-27",
        KEYS,
        5,
        Duration::from_millis(50),
        100_000,
    );

    let outages = [
        Mode::Unavailable,
        Mode::Refused,
        Mode::Hang,
        Mode::LoseResponse,
    ];
    let mut outage_count = 0i64;
    for round in 0..rounds {
        for outage in outages {
            // Deliveries flow before each outage.
            let target = partner.applied_count() + 20;
            wait_applied(
                || partner.applied_count(),
                target,
                Duration::from_secs(60),
                &format!("round {round}, before {outage:?}"),
            )
            .await;
            partner.set_mode(outage);
            outage_count += 1;
            wait_alert_changes(
                &t.db,
                "state-27",
                2 * outage_count - 1,
                &format!("{outage:?} opens the circuit"),
            )
            .await;
            // Down for a few cool-downs: half-open probes fail and must not alert again.
            wait_failed_attempts(&t.db, "state-27", 3, &format!("{outage:?} probes")).await;
            partner.set_mode(Mode::Up);
            wait_alert_changes(
                &t.db,
                "state-27",
                2 * outage_count,
                &format!("the partner is back after {outage:?}"),
            )
            .await;
        }
        // Slow but answering: not an outage, no alert.
        partner.set_mode(Mode::Slow(Duration::from_millis(300)));
        let target = partner.applied_count() + 5;
        wait_applied(
            || partner.applied_count(),
            target,
            Duration::from_secs(60),
            &format!("round {round}, slow"),
        )
        .await;
        partner.set_mode(Mode::Up);
        assert_eq!(
            partner_down_changes(&t.db, "state-27").await,
            (2 * outage_count, Some("resolved".to_string())),
            "a slow partner is not down"
        );
    }
    let total = load.stop().await;
    let all = wait_until(Duration::from_secs(120), || async {
        delivered(&t.db, "state-27").await == total
    })
    .await;
    assert!(
        all,
        "{} of {total} delivered",
        delivered(&t.db, "state-27").await
    );
    let duplicates = assert_exactly_once(&t.db, "state-27", &partner.log, total, KEYS).await;
    assert!(
        duplicates > 0,
        "responses lost after applying were followed by redeliveries the receiver absorbed"
    );

    // One down and one back per outage: in the table, and at the webhook.
    assert_eq!(
        partner_down_changes(&t.db, "state-27").await,
        (2 * outage_count, Some("resolved".to_string())),
        "one partner-down and one partner-back per outage"
    );
    let expected: Vec<String> = {
        let mut keys: Vec<String> = (1..=2 * outage_count)
            .map(|n| format!("alert:partner-down:state-27:{n}"))
            .collect();
        keys.sort();
        keys
    };
    let reached = wait_until(Duration::from_secs(30), || async {
        webhook_alert_keys(&webhook).await.len() >= expected.len()
    })
    .await;
    assert!(reached, "alerts reach the webhook");
    assert_eq!(
        webhook_alert_keys(&webhook).await,
        expected,
        "the webhook heard each change once"
    );
    let other_alerts: Vec<String> = ivd_gateway::alerts::list(&t.db, None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.key)
        .filter(|k| k != "partner-down:state-27")
        .collect();
    assert!(other_alerts.is_empty(), "no dead letters: {other_alerts:?}");
    gateway.stop().await;
    assert_eq!(stuck_leases(&t.db, Duration::ZERO).await, 0);
    eprintln!(
        "FAULTS partner {:?} scale={}: {outage_count} outages (503, refused, hung, response lost) and {rounds} slow spells, {total} messages, {} raw POSTs, {duplicates} duplicates absorbed by the receiver, {} alert changes",
        t.backend,
        scale.name(),
        partner.raw_arrivals(),
        2 * outage_count
    );
    t.cleanup().await;
}
