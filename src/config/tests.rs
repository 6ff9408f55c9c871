use super::*;

#[test]
fn the_committed_default_configuration_parses() {
    let text = include_str!("../../config/gateway.toml");
    let settings = Settings::from_toml(text).expect("config/gateway.toml is valid");
    assert!(settings.database.url.starts_with("sqlite://"));
    assert_eq!(settings.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(settings.server.partner_listen.to_string(), "127.0.0.1:8443");
    assert!(settings.reconcile.schedule_of("ack-deadlines").is_some());
    assert!(settings.reconcile.schedule_of("outbox-health").is_some());
}

#[test]
fn reconcile_jobs_schedules_and_parameters_are_checked() {
    let error = |text: &str| Settings::from_toml(text).unwrap_err().to_string();
    let unknown = error("[reconcile.jobs.no-such-job]\nschedule = \"0 * * * * *\"\n");
    assert!(unknown.contains("no such job"), "{unknown}");
    let schedule = error("[reconcile.jobs.outbox-health]\nschedule = \"daily\"\n");
    assert!(schedule.contains("not a cron schedule"), "{schedule}");
    let parameter = error("[reconcile.jobs.outbox-health]\ndead_letter_dayz = 3\n");
    assert!(parameter.contains("dead_letter_dayz"), "{parameter}");
    let typed = error("[reconcile.jobs.outbox-health]\ndead_letter_days = \"x\"\n");
    assert!(typed.contains("outbox-health"), "{typed}");
    let ok = Settings::from_toml(
            "[reconcile.jobs.outbox-health]\nschedule = \"*/5 * * * * *\"\nenabled = false\ndead_letter_days = 7\n",
        )
        .unwrap();
    assert!(ok.reconcile.schedule_of("outbox-health").is_none());
    assert_eq!(
        ok.reconcile.job("outbox-health").parameters["dead_letter_days"],
        7
    );
}

#[test]
fn the_example_partner_configuration_parses() {
    let text = include_str!("../../config/partners.example.toml");
    let settings = Settings::from_toml(text).expect("config/partners.example.toml is valid");
    assert!(!settings.partners.is_empty());
}

#[test]
fn plaintext_partners_must_be_allowed_explicitly() {
    let text = r#"
            [[partners]]
            id = "county"
            kind = "local"
            transport = { type = "https", endpoint = "http://127.0.0.1:9000/in" }
        "#;
    let error = Settings::from_toml(text).unwrap_err().to_string();
    assert!(error.contains("plaintext"), "{error}");
}

#[test]
fn a_certificate_is_bound_to_one_partner_only() {
    let partners = |a: &str, b: &str| {
        format!(
            r#"
                [[partners]]
                id = "state-27"
                kind = "state"
                {a}
                transport = {{ type = "file-drop", directory = "/tmp/a" }}
                [[partners]]
                id = "state-55"
                kind = "state"
                {b}
                transport = {{ type = "file-drop", directory = "/tmp/b" }}
                "#
        )
    };
    let one = format!("sha256:{}", "ab".repeat(32));
    let other = format!("sha256:{}", "cd".repeat(32));
    let same_with_colons = format!("SHA256:{}", ["AB"; 32].join(":"));
    let error = Settings::from_toml(&partners(
        &format!("certificate_fingerprint = [\"{other}\", \"{one}\"]"),
        &format!("certificate_fingerprint = \"{same_with_colons}\""),
    ))
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("two partners, state-27 and state-55"),
        "{error}"
    );
    let pinned = "certificate_subject = \"CN=x, O=Example State\"\n\
                      certificate_issuer = \"CN=Partner CA\"";
    let reversed = "certificate_subject = \"O=Example State,CN=x\"\n\
                        certificate_issuer = \"cn=Partner CA\"";
    let error = Settings::from_toml(&partners(pinned, reversed))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("two partners, state-27 and state-55"),
        "{error}"
    );
    let settings = Settings::from_toml(&partners(
        &format!("certificate_fingerprint = \"{one}\""),
        &format!("certificate_fingerprint = \"{other}\"\n{pinned}"),
    ))
    .unwrap();
    assert_eq!(settings.partners[1].certificate_fingerprint.len(), 1);
    let error = Settings::from_toml(&partners("certificate_subject = \"CN=x\"", ""))
        .unwrap_err()
        .to_string();
    assert!(error.contains("go together"), "{error}");
    let error = Settings::from_toml(&partners("certificate_fingerprint = \"ab\"", ""))
        .unwrap_err()
        .to_string();
    assert!(error.contains("not a certificate fingerprint"), "{error}");
}

#[test]
fn a_certificate_named_by_identity_is_refused_with_the_way_to_bind_it() {
    let error = Settings::from_toml(
        r#"
            [[partners]]
            id = "state-27"
            kind = "state"
            certificate_identity = "csenet.example-state.test"
            transport = { type = "file-drop", directory = "/tmp/a" }
            "#,
    )
    .unwrap_err()
    .to_string();
    for needed in [
        "partner state-27",
        "no longer accepted",
        "certificate_fingerprint",
        "certificate_subject",
        "certificate_issuer",
    ] {
        assert!(error.contains(needed), "{needed}: {error}");
    }
}

#[test]
fn a_certificate_binds_by_fingerprint_or_subject_and_issuer_never_by_name() {
    let peer = |cn: &str, fingerprint: &str, issuer: &str| crate::tls::PeerIdentity {
        common_name: Some(cn.into()),
        subject: format!("CN={cn}, O=Example").parse().unwrap(),
        issuer: issuer.parse().unwrap(),
        fingerprint_sha256: fingerprint.repeat(32),
    };
    let settings = Settings::from_toml(&format!(
        r#"
            [[partners]]
            id = "by-fingerprint"
            kind = "state"
            certificate_fingerprint = "sha256:{}"
            [[partners]]
            id = "by-subject"
            kind = "tribe"
            certificate_subject = "CN=tribe, O=Example"
            certificate_issuer = "CN=Partner CA"
            "#,
        "ab".repeat(32)
    ))
    .unwrap();
    let (fingerprint, subject) = (&settings.partners[0], &settings.partners[1]);
    let pinned = peer("anyone", "ab", "CN=Other CA");
    assert!(fingerprint.binds(&pinned) && !subject.binds(&pinned));
    let renewed = peer("tribe", "01", "CN=Partner CA");
    assert!(subject.binds(&renewed) && !fingerprint.binds(&renewed));
    assert!(!subject.binds(&peer("tribe", "01", "CN=Other CA")));
    assert!(!subject.binds(&peer("by-subject", "01", "CN=Partner CA")));
    assert!(!fingerprint.binds(&peer("by-fingerprint", "01", "CN=Partner CA")));
}

#[test]
fn a_timeout_longer_than_the_lease_is_refused() {
    let text = r#"
            [outbox]
            lease_secs = 20
            [[partners]]
            id = "slow"
            kind = "state"
            transport = { type = "https", endpoint = "https://example.invalid/", timeout_secs = 30 }
        "#;
    let error = Settings::from_toml(text).unwrap_err().to_string();
    assert!(error.contains("lease_secs"), "{error}");
}

#[test]
fn a_tribal_agreement_names_the_tribe_by_its_locator() {
    let tribe = |locator: &str, format: &str| {
        format!(
            r#"
                [state]
                fips = "2700000"
                [[partners]]
                id = "tribe"
                kind = "tribe"
                tribal = {{ locator = "{locator}", functions = ["CSI", "ENF"], format = "{format}" }}
                "#
        )
    };
    let settings = Settings::from_toml(&tribe("90830", "xml")).expect("a Tribe on XML");
    let partner = settings.partner("tribe").unwrap();
    assert!(partner.tribal_xml_agreement().is_some());
    assert!(partner.csenet_agreement().is_none());
    let settings = Settings::from_toml(&tribe("5599901", "csenet")).expect("a Tribe on CSENet");
    let partner = settings.partner("tribe").unwrap();
    assert_eq!(partner.csenet_agreement().unwrap().fips, "5599901");
    assert!(partner.tribal_xml_agreement().is_none());
    for (locator, format, expected) in [
        ("9083", "xml", "5 digits"),
        ("90830", "csenet", "7 digits"),
        ("9990830", "csenet", "CSENet location code"),
    ] {
        let error = Settings::from_toml(&tribe(locator, format))
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{locator} {format}: {error}");
    }
    let error = Settings::from_toml(&tribe("90830", "xml").replace("\"ENF\"", "\"XYZ\""))
        .unwrap_err()
        .to_string();
    assert!(error.contains("not a CSENet function"), "{error}");
}

#[test]
fn a_tribes_gateway_speaks_as_the_tribe() {
    let text = r#"
            [state]
            tribe_code = "90830"
            [[partners]]
            id = "state-27"
            kind = "state"
            tribal = { locator = "2700000", functions = ["CSI"] }
        "#;
    let settings = Settings::from_toml(text).expect("a Tribe's gateway");
    assert_eq!(settings.state.tribe_code.as_deref(), Some("90830"));
    let both = text.replace("[state]", "[state]\nfips = \"2700000\"");
    let error = Settings::from_toml(&both).unwrap_err().to_string();
    assert!(error.contains("not both"), "{error}");
}

#[test]
fn plain_cookies_are_refused_off_loopback() {
    for listen in ["0.0.0.0:8080", "10.1.2.3:8080", "[::]:8080"] {
        let text = format!("[server]\nlisten = \"{listen}\"\n");
        let error = Settings::from_toml(&text).unwrap_err().to_string();
        assert!(error.contains("server.secure_cookies"), "{listen}: {error}");
        Settings::from_toml(&format!("{text}secure_cookies = true\n"))
            .expect("secure cookies behind HTTPS");
    }
    for listen in ["127.0.0.1:8080", "[::1]:8080"] {
        Settings::from_toml(&format!("[server]\nlisten = \"{listen}\"\n"))
            .expect("plain cookies on loopback");
    }
}

#[test]
fn listener_bounds_must_be_positive() {
    for key in [
        "max_connections",
        "handshake_timeout_secs",
        "header_read_timeout_secs",
        "idle_timeout_secs",
        "keep_alive_timeout_secs",
        "max_concurrent_streams",
    ] {
        let error = Settings::from_toml(&format!("[server]\n{key} = 0\n"))
            .unwrap_err()
            .to_string();
        assert!(error.contains(&format!("server.{key}")), "{error}");
    }
    Settings::from_toml("[server]\nkeep_alive_interval_secs = 0\n")
        .expect("no HTTP/2 pings is a choice");
    let error = Settings::from_toml("[server]\nmetrics_listen = \"127.0.0.1:8080\"\n").unwrap_err();
    assert!(
        error.to_string().contains("server.metrics_listen"),
        "{error}"
    );
}

#[test]
fn unknown_keys_are_refused() {
    let error = Settings::from_toml("[database]\nurll = \"x\"\n")
        .unwrap_err()
        .to_string();
    assert!(error.contains("urll"), "{error}");
}

#[test]
fn a_mistyped_key_is_named_once_with_the_keys_the_table_has() {
    let error = Settings::from_toml("[outbox]\nlease_sec = 5\n")
        .unwrap_err()
        .to_string();
    assert_eq!(error.matches("key outbox.lease_sec:").count(), 1, "{error}");
    assert!(error.contains("unknown key `lease_sec`"), "{error}");
    assert!(
        error.contains("lease_secs, poll_interval_ms"),
        "the table's keys are listed: {error}"
    );
    assert!(!error.contains("default."), "no profile name: {error}");
    assert!(!error.contains("``"), "no doubled backticks: {error}");
}

#[test]
fn a_bad_address_says_the_form_expected_once() {
    let error = Settings::from_toml("[server]\nlisten = \"nonsense\"\n")
        .unwrap_err()
        .to_string();
    assert!(error.contains("key server.listen"), "{error}");
    assert!(error.contains("\"127.0.0.1:8080\""), "{error}");
    assert_eq!(
        error.matches("invalid socket address syntax").count(),
        1,
        "{error}"
    );
}

#[test]
fn a_file_error_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gateway.toml");
    std::fs::write(&file, "[outbox]\nbatch_size = \"many\"\n").unwrap();
    let error = Settings::load(Some(&file)).unwrap_err().to_string();
    assert!(
        error.contains(&format!("{}, key outbox.batch_size", file.display())),
        "{error}"
    );
    assert!(error.contains("expected"), "{error}");
}
