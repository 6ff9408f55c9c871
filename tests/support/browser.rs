//! A real browser for the web-page tests: headless Chromium driven through chromedriver
//! (WebDriver, `fantoccini`), screenshots, and waits that survive navigation.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

/// chromedriver on a free port, stopped with the test.
pub struct Chromedriver {
    process: Child,
    port: u16,
}

impl Chromedriver {
    /// Starts chromedriver on a port it picks itself (`--port=0`) and waits until it says
    /// which.
    pub async fn start() -> Chromedriver {
        use std::io::BufRead as _;
        let mut process = Command::new("chromedriver")
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (Debian packages chromium and chromium-driver)");
        let stdout = process.stdout.take().expect("chromedriver's output");
        // "ChromeDriver was started successfully on port 43059."
        let port = tokio::task::spawn_blocking(move || {
            let mut lines = std::io::BufReader::new(stdout).lines();
            let port = lines.by_ref().map_while(Result::ok).find_map(|line| {
                let (_, rest) = line.split_once("started successfully on port ")?;
                rest.trim_end_matches('.').parse::<u16>().ok()
            });
            // Keep reading what it says, so that it never blocks on a full pipe.
            std::thread::spawn(move || lines.for_each(drop));
            port
        });
        let port = tokio::time::timeout(Duration::from_secs(20), port)
            .await
            .expect("chromedriver says where it listens within 20 s")
            .expect("the reader")
            .expect("chromedriver's port in its output");
        Chromedriver { process, port }
    }

    /// A headless Chromium session, with or without JavaScript.
    pub async fn browser(&self, javascript: bool) -> Client {
        let mut options = serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1000"],
        });
        if !javascript {
            options["prefs"] =
                serde_json::json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".to_string(), options);
        // chromedriver speaks plain HTTP on loopback: no TLS stack is needed to reach it.
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a browser session")
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Saves a screenshot as `<target tmp>/screenshots/<name>.png`.
pub async fn screenshot(browser: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = browser.screenshot().await.expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// The text of the first element matching `css`, once the page holding it has loaded (a
/// click that navigates returns before the next page is there).
pub async fn text_of(browser: &Client, css: &str) -> String {
    for _ in 0..100 {
        if let Ok(element) = browser.find(Locator::Css(css)).await
            && let Ok(text) = element.text().await
        {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {css} on the page");
}

/// Waits until the page's main content contains `expected`; returns it.
pub async fn page_showing(browser: &Client, expected: &str) -> String {
    let mut text = String::new();
    for _ in 0..100 {
        text = text_of(browser, "main").await;
        if text.contains(expected) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {expected:?} on the page: {text}");
}
