//! Two states, two gateways, two databases, mutual TLS between them: state 27
//! sends an enforcement request; state 06 accepts it, acknowledges it, and later answers a
//! case-status request; each side's event feed shows the exchange; the same serial sent
//! again is recognised as a duplicate, not applied twice.

mod support;

use ivd_gateway::store::now_ms;
use serde_json::json;
use support::pair::{Peer, Pki};

const TANF: &str = include_str!("../schemas/samples/case-tanf.json");

/// What each state accepts from the other, and where it sends.
const INTERSTATE: &str =
    "interstate = { fips = \"{fips}\", functions = [\"ENF\", \"CSI\", \"MSC\"] }";

fn agreement(me: &Peer, other: &Peer, other_fips: &str) -> support::pair::Agreement {
    me.agreement_with(
        other,
        "state",
        &INTERSTATE.replace("{fips}", other_fips),
        "/partner/v1/csenet",
        20,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_states_exchange_an_enforcement_request_over_mutual_tls() {
    let pki = Pki::new();
    // Each state's client certificate names it; each gateway binds the other's name.
    let mut a = pki.peer("state-27").await;
    let mut b = pki.peer("state-06").await;
    let (a_to_b, b_to_a) = (agreement(&a, &b, "0603701"), agreement(&b, &a, "2712300"));
    a.start("fips = \"2712300\"", &a_to_b).await;
    b.start("fips = \"0603701\"", &b_to_a).await;

    // State 27's case system pushes the case and asks for an enforcement request.
    a.cases().put_case(TANF).await;
    let (status, asked) = a
        .cases()
        .ask(
            "MN-0001234",
            json!({ "partner": "state-06", "format": "csenet", "function": "ENF", "action": "R", "reason": "ERWAG" }),
        )
        .await;
    assert_eq!(status, 202, "{asked}");
    assert_eq!(
        asked["idempotencyKey"], "csenet-2712300-000000000001",
        "{asked}"
    );

    // State 06 accepts it: its case system sees the request with its canonical view.
    assert!(
        b.wait_for_feed("csenet.received", 1).await,
        "state 06 received the request"
    );
    let request = &b.feed("csenet.received").await[0];
    assert_eq!(
        (request["function"].as_str(), request["action"].as_str()),
        (Some("ENF"), Some("R"))
    );
    assert_eq!(request["senderFips"], "2712300");
    assert!(
        request["acknowledgedWithSerial"].is_u64(),
        "state 06 acknowledged at once: {request}"
    );

    // ... and its acknowledgment reaches state 27, answering the deadline it had recorded.
    assert!(
        a.wait_for_feed("csenet.received", 1).await,
        "state 27 received the acknowledgment"
    );
    let ack = &a.feed("csenet.received").await[0];
    assert_eq!(
        (
            ack["function"].as_str(),
            ack["action"].as_str(),
            ack["reason"].as_str()
        ),
        (Some("ENF"), Some("A"), Some("ANOAD"))
    );
    assert_eq!(
        ack["answers"], "000000000001",
        "the acknowledgment satisfies the deadline of serial 1: {ack}"
    );
    let open = ivd_gateway::reconcile::deadlines::for_reference(&a.db, "000000000001")
        .await
        .unwrap();
    assert!(open[0].satisfied_at.is_some());

    // Later, state 06's case system answers with a case-status response.
    b.cases().put_case(TANF).await;
    let (status, answered) = b
        .cases()
        .ask(
            "MN-0001234",
            json!({ "partner": "state-27", "format": "csenet", "function": "CSI", "action": "P", "reason": "FSINF", "otherCaseId": "MN-0001234" }),
        )
        .await;
    assert_eq!(status, 202, "{answered}");
    let csi_message = answered["messageId"].as_i64().expect("queued");
    assert!(
        a.wait_for_feed("csenet.received", 2).await,
        "state 27 received the response"
    );
    let response = &a.feed("csenet.received").await[1];
    assert_eq!(
        (response["function"].as_str(), response["action"].as_str()),
        (Some("CSI"), Some("P"))
    );

    // A request that names a case state 06 does not have is answered MSC P REJCT.
    let (_, wrong) = a
        .cases()
        .ask(
            "MN-0001234",
            json!({ "partner": "state-06", "format": "csenet", "function": "ENF", "action": "R", "reason": "ERARR", "otherCaseId": "CA-9999999" }),
        )
        .await;
    assert!(wrong["messageId"].is_i64(), "{wrong}");
    assert!(
        a.wait_for_feed("csenet.received", 3).await,
        "state 27 received the rejection"
    );
    let rejection = &a.feed("csenet.received").await[2];
    assert_eq!(
        (
            rejection["function"].as_str(),
            rejection["action"].as_str(),
            rejection["reason"].as_str()
        ),
        (Some("MSC"), Some("P"), Some("REJCT")),
        "{rejection}"
    );
    assert_eq!(
        b.feed("csenet.rejected").await.len(),
        1,
        "state 06's case system hears of it too"
    );

    // The same transaction (same serial) sent again is recognised, not applied twice.
    ivd_gateway::outbox::operator::redeliver(
        &b.db,
        csi_message,
        "test: send the same serial again",
        "operator:test",
        &|_| 5,
        now_ms(),
    )
    .await
    .unwrap();
    assert!(
        a.recognises_a_duplicate_from("state-06").await,
        "state 27 recognised the second copy as a duplicate"
    );
    assert_eq!(
        a.feed("csenet.received").await.len(),
        3,
        "and did not apply it again"
    );
    a.stop().await;
    b.stop().await;
}
