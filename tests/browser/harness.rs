//! One headless Chromium per test, behind its own chromedriver on a free port, with a fresh
//! profile; helpers to fill forms, read what is shown, check accessibility (axe-core, vendored)
//! and save screenshots.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// axe-core 4.11.0 (MPL-2.0), vendored so the check needs no download.
const AXE: &str = include_str!("vendor/axe-4.11.0.min.js");

pub const DESKTOP: (u32, u32) = (1280, 900);
pub const PHONE: (u32, u32) = (390, 844);

/// How a browser is set up for one test.
pub struct Options {
    /// The browser's preferred language (`Accept-Language`): `zh-CN` or `en`.
    pub language: &'static str,
    pub javascript: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            language: "zh-CN",
            javascript: true,
        }
    }
}

pub struct Browser {
    pub client: Client,
    base: String,
    _driver: Child,
    _profile: tempfile::TempDir,
}

fn chromedriver() -> Option<PathBuf> {
    std::env::var_os("CHROMEDRIVER")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/usr/bin/chromedriver")))
        .filter(|p| p.exists())
}

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// A browser pointed at `base`, or `None` (with the reason printed) when this machine has no
/// chromedriver and this is not CI.
pub async fn open(base: &str, options: Options) -> Option<Browser> {
    let Some(driver_path) = chromedriver() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI needs Debian's chromium and chromium-driver (/usr/bin/chromedriver); .ci/run installs them"
        );
        eprintln!(
            "skipped: no chromedriver (install Debian's chromium and chromium-driver, or set CHROMEDRIVER)"
        );
        return None;
    };
    let port = free_port();
    let mut driver = Command::new(driver_path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start chromedriver");
    // chromedriver says when it listens: wait for that line, not for a fixed time.
    let stdout = driver.stdout.take().expect("chromedriver stdout");
    let mut lines = BufReader::new(stdout).lines();
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("started successfully") {
                return;
            }
        }
        panic!("chromedriver ended before it was ready");
    })
    .await
    .expect("chromedriver did not start within 30 s");
    // Keep draining its output so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    let profile = tempfile::tempdir().expect("profile dir");
    let mut prefs = json!({ "intl.accept_languages": options.language });
    if !options.javascript {
        prefs["profile.managed_default_content_settings.javascript"] = json!(2);
    }
    let args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        format!("--lang={}", options.language),
        format!("--accept-lang={}", options.language),
        format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
        format!("--user-data-dir={}", profile.path().display()),
    ];
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": chromium(), "args": args, "prefs": prefs }),
    );
    // fantoccini's TLS stack (unused for loopback, but built) needs a crypto provider named.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = ClientBuilder::rustls()
        .expect("rustls")
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("start a Chromium session");
    Some(Browser {
        client,
        base: base.trim_end_matches('/').to_owned(),
        _driver: driver,
        _profile: profile,
    })
}

/// Wait until `done` says the page reached the state wanted (polling what is shown, for up
/// to a minute).
pub async fn until(browser: &Browser, what: &str, mut done: impl AsyncFnMut(&Browser) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !done(browser).await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// The grants of a full consent to a machine-made likeness, and the read box: what the flow
/// tests tick on a signing form.
pub const FULL_GRANT: [&str; 5] = [
    "#modality-face",
    "#modality-voice",
    "#purpose-training",
    "#purpose-avatar",
    "#read",
];

impl Browser {
    /// Click each of `css`, in order (e.g. [`FULL_GRANT`]).
    pub async fn click_all(&self, css: &[&str]) {
        for one in css {
            self.click(one).await;
        }
    }

    /// Follow the page's download link `href` as this browser's session: the page answers
    /// with a redirect to a short-lived store URL, whose bytes are returned.
    pub async fn download(&self, href: &str) -> Vec<u8> {
        let cookies = self.client.get_all_cookies().await.expect("cookies");
        let cookie = cookies
            .iter()
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect::<Vec<_>>()
            .join("; ");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let hop = client
            .get(format!("{}{href}", self.base))
            .header("cookie", cookie)
            .send()
            .await
            .expect("the page's link");
        assert_eq!(hop.status(), reqwest::StatusCode::SEE_OTHER);
        let store = hop.headers()["location"]
            .to_str()
            .expect("a location")
            .to_owned();
        reqwest::get(&store)
            .await
            .expect("the store")
            .bytes()
            .await
            .expect("the bytes")
            .to_vec()
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("navigate");
    }

    /// Sign in on the sign-in page as `email` (with the tests' password).
    pub async fn sign_in(&self, email: &str) {
        self.goto("/signin").await;
        self.fill("#email", email).await;
        self.fill("#password", crate::helpers::TEST_PASSWORD).await;
        self.submit("form[action='/signin'] button[type=submit]")
            .await;
    }

    /// The path of the page shown now.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("url");
        url.path().to_owned()
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.client.find(Locator::Css(css)).await.expect(css);
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    /// Set a field's value directly — for the pickers (`datetime-local`) whose typing depends
    /// on the browser's locale. The form is still submitted as a person would.
    pub async fn set_value(&self, css: &str, value: &str) {
        self.client
            .execute(
                "document.querySelector(arguments[0]).value = arguments[1];",
                vec![serde_json::json!(css), serde_json::json!(value)],
            )
            .await
            .expect("set the value");
    }

    /// Type `keys` into whatever has the focus (the page itself when nothing does).
    pub async fn press(&self, keys: &str) {
        self.client
            .active_element()
            .await
            .expect("the focused element")
            .send_keys(keys)
            .await
            .expect("keys");
    }

    /// The `href` of the focused element, if it is a link.
    pub async fn focused_href(&self) -> Option<String> {
        self.client
            .execute(
                "const a = document.activeElement; return a ? a.getAttribute('href') : null;",
                vec![],
            )
            .await
            .expect("the focused element")
            .as_str()
            .map(str::to_owned)
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .expect(css)
            .click()
            .await
            .expect("click");
    }

    /// Submit the form `css` is in by clicking it, and wait until the next page has replaced
    /// this one (the old document's root goes stale — a WebDriver-level check that needs no
    /// script in the page, so it works with JavaScript off too).
    pub async fn submit(&self, css: &str) {
        let old_root = self.client.find(Locator::Css("html")).await.expect("html");
        self.click(css).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while old_root.tag_name().await.is_ok() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{css} led to no new page"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        self.client
            .wait()
            .for_element(Locator::Css("body"))
            .await
            .expect("next page");
    }

    /// The visible text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("no {css} on {}", self.base))
            .text()
            .await
            .expect("text")
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find")
            .is_empty()
    }

    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.client
            .find(Locator::Css(css))
            .await
            .expect(css)
            .attr(name)
            .await
            .expect("attr")
    }

    /// The current value of a form field (what is typed in it now).
    pub async fn value(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .expect(css)
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    pub async fn html_lang(&self) -> String {
        self.attr("html", "lang").await.unwrap_or_default()
    }

    /// axe-core's serious and critical violations on the page shown now, as readable lines.
    pub async fn accessibility_violations(&self) -> Vec<String> {
        self.client
            .execute(&format!("{AXE}\n;return true;"), vec![])
            .await
            .expect("load axe-core");
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] }).then(r => done(
                   r.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' at ' +
                         v.nodes.map(n => n.target.join(' ')).join(', '))));",
                vec![],
            )
            .await
            .expect("run axe-core");
        match found {
            Value::Array(items) => items
                .into_iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect(),
            other => panic!("axe-core answered {other}"),
        }
    }

    /// Resize to `width` and save the whole page (its full height) as `<dir>/<name>.png`.
    pub async fn screenshot(&self, dir: &std::path::Path, name: &str, width: u32) {
        self.client
            .set_window_size(width, DESKTOP.1)
            .await
            .expect("resize");
        let height = self
            .client
            .execute("return document.documentElement.scrollHeight;", vec![])
            .await
            .expect("height")
            .as_u64()
            .unwrap_or(u64::from(DESKTOP.1));
        let height = u32::try_from(height).unwrap_or(DESKTOP.1).clamp(400, 6000);
        self.client
            .set_window_size(width, height)
            .await
            .expect("resize");
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::create_dir_all(dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
        self.client
            .set_window_size(DESKTOP.0, DESKTOP.1)
            .await
            .expect("resize back");
    }

    /// Slow this tab's uploads to `bytes_per_sec` (chromedriver's network conditions), so a
    /// test can act in the middle of a transfer.
    pub async fn throttle_uploads(&self, bytes_per_sec: u64) {
        self.client
            .issue_cmd(NetworkConditions {
                upload: bytes_per_sec,
            })
            .await
            .expect("network conditions");
    }

    /// Choose `paths` in the file input `css` (as a person picking several files would).
    pub async fn choose_files(&self, css: &str, paths: &[PathBuf]) {
        let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        self.client
            .find(Locator::Css(css))
            .await
            .expect(css)
            .send_keys(&list.join("\n"))
            .await
            .expect("choose files");
    }

    /// Reload the page shown now (as a person pressing reload would).
    pub async fn reload(&self) {
        self.client.refresh().await.expect("reload");
    }

    /// End the browser session (Chromium exits; chromedriver is killed on drop).
    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// chromedriver's `POST /session/{id}/chromium/network_conditions`.
#[derive(Debug)]
struct NetworkConditions {
    upload: u64,
}

impl fantoccini::wd::WebDriverCompatibleCommand for NetworkConditions {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/chromium/network_conditions",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "network_conditions": {
            "offline": false, "latency": 5,
            "download_throughput": 50_000_000, "upload_throughput": self.upload,
        }});
        (http::Method::POST, Some(body.to_string()))
    }
}
