//! The dashboard's HTML: one layout, small components, an inline SVG chart. Markup is
//! built with `maud`, which escapes every value it is given.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use time::OffsetDateTime;

/// The pages of the navigation bar.
pub const NAV: [(&str, &str); 6] = [
    ("/", "Exchange health"),
    ("/dead-letters", "Dead letters"),
    ("/receipts", "Inbound receipts"),
    ("/reconciliation", "Reconciliation"),
    ("/audit", "Audit trail"),
    ("/employer-accounts", "Employer accounts"),
];

/// Who is signed in, for the page header.
pub struct Viewer<'a> {
    /// Their name.
    pub name: &'a str,
    /// The CSRF token forms carry.
    pub csrf: &'a str,
}

/// A whole page: header, navigation (the current page marked), content.
pub fn page(
    title: &str,
    current: &str,
    viewer: Option<&Viewer<'_>>,
    refresh: Option<u32>,
    content: Markup,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(seconds) = refresh {
                    meta http-equiv="refresh" content=(seconds);
                }
                title { (title) " · ivd-gateway" }
                link rel="stylesheet" href="/assets/app.css";
            }
            body {
                header.top {
                    a href="/" { "ivd-gateway" }
                    @if let Some(viewer) = viewer {
                        nav aria-label="Main" {
                            @for (href, label) in NAV {
                                @if href == current {
                                    a href=(href) aria-current="page" { (label) } " "
                                } @else {
                                    a href=(href) { (label) } " "
                                }
                            }
                        }
                        div.who {
                            span { "Signed in as " (viewer.name) }
                            form method="post" action="/sign-out" {
                                input type="hidden" name="csrf" value=(viewer.csrf);
                                button type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main id="main" {
                    h1 { (title) }
                    (content)
                }
            }
        }
    }
}

/// A time as `2026-11-28 09:12:03 UTC`; a dash when there is none.
pub fn when(at_ms: Option<i64>) -> String {
    at_ms
        .and_then(|ms| OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok())
        .map(|t| {
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        })
        .unwrap_or_else(|| "—".to_string())
}

/// An age in plain words: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`.
pub fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// A coloured health word.
pub fn badge(health: &str) -> Markup {
    html! { span class=(format!("badge {health}")) { (health) } }
}

/// Delivered (green) and failed (red) attempts per bucket as stacked bars, with a text
/// alternative for screen readers.
pub fn throughput_chart(
    buckets: &[(i64, i64, i64)],
    from: i64,
    bucket_ms: i64,
    count: usize,
) -> Markup {
    let (width, height, top, bottom) = (720.0_f64, 170.0_f64, 10.0_f64, 24.0_f64);
    let mut series = vec![(0i64, 0i64); count];
    for (start, delivered, failed) in buckets {
        let index = (start - from) / bucket_ms;
        if let Some(slot) = usize::try_from(index).ok().and_then(|i| series.get_mut(i)) {
            *slot = (*delivered, *failed);
        }
    }
    let peak = series.iter().map(|(d, f)| d + f).max().unwrap_or(0).max(1);
    let (delivered, failed): (i64, i64) =
        series.iter().fold((0, 0), |(d, f), (a, b)| (d + a, f + b));
    let slot = width / count as f64;
    let scale = (height - top - bottom) / peak as f64;
    let label = format!(
        "Delivery attempts over the last {} hours: {delivered} delivered, {failed} failed; busiest interval {peak}.",
        (bucket_ms * count as i64) / 3_600_000
    );
    let mut bars = String::new();
    for (i, (ok, bad)) in series.iter().enumerate() {
        let x = i as f64 * slot + 1.0;
        let ok_h = *ok as f64 * scale;
        let bad_h = *bad as f64 * scale;
        let base = height - bottom;
        if *ok > 0 {
            bars.push_str(&format!(
                r##"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{ok_h:.1}" fill="#116329"/>"##,
                base - ok_h,
                slot - 2.0
            ));
        }
        if *bad > 0 {
            bars.push_str(&format!(
                r##"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{bad_h:.1}" fill="#a40e26"/>"##,
                base - ok_h - bad_h,
                slot - 2.0
            ));
        }
    }
    html! {
        svg.chart role="img" aria-label=(label) width=(width) height=(height) viewBox=(format!("0 0 {width} {height}")) {
            title { (label) }
            line x1="0" y1=(height - bottom) x2=(width) y2=(height - bottom) stroke="#8c959f" {}
            (PreEscaped(bars))
            text x="0" y=(height - 6.0) { (when(Some(from))) }
            text x=(width) y=(height - 6.0) text-anchor="end" { "now" }
            text x="4" y="12" { "peak " (peak) " per " (bucket_ms / 60_000) " min" }
        }
        p.muted { span.up { "■ delivered" } " " span.down { "■ failed" } }
    }
}

/// The sign-in page.
pub fn sign_in(error: Option<&str>, name: &str, form_token: &str) -> Markup {
    let content = html! {
        div.signin {
            p { "Sign in with your operator name and the token State IT issued you "
                "(" code { "ivd-gateway token issue --role operator" } ")." }
            @if let Some(error) = error {
                p.error role="alert" id="sign-in-error" { (error) }
            }
            form method="post" action="/sign-in" {
                input type="hidden" name="form_token" value=(form_token);
                div.field {
                    label for="name" { "Name" }
                    input type="text" id="name" name="name" value=(name) autocomplete="username" required;
                }
                div.field {
                    label for="token" { "Token" }
                    input type="password" id="token" name="token" autocomplete="current-password" required
                        aria-describedby=[error.map(|_| "sign-in-error")];
                }
                button.action type="submit" { "Sign in" }
            }
        }
    };
    page("Sign in", "", None, None, content)
}
