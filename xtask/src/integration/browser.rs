//! Scenario 6: A real browser: headless Debian Chromium, driven through chromedriver (W3C
//! WebDriver), signs in, adds to the basket, the shop restarts, the basket is still shown.
//! Screenshots go to `target/integration/`.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use super::http::{self, Jar};
use super::scenarios::{OrFail, start_shop, until};
use super::{Outcome, Suite, ms};

/// The W3C element reference key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn which(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

fn find_tools() -> Option<(PathBuf, PathBuf)> {
    Some((
        which(&["chromium", "chromium-browser"])?,
        which(&["chromedriver"])?,
    ))
}

/// Installs Debian's `chromium` and `chromium-driver` with apt-get when they are missing.
pub(super) fn ensure_tools() -> Result<(PathBuf, PathBuf), String> {
    if let Some(found) = find_tools() {
        return Ok(found);
    }
    if which(&["apt-get"]).is_none() {
        return Err("chromium/chromedriver missing and no apt-get to install them".into());
    }
    eprintln!("integration: installing chromium and chromium-driver with apt-get");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let run = |args: &[&str]| -> Result<(), String> {
        let mut command = if root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.args(["-n", "apt-get"]);
            c
        };
        let status = command
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("apt-get: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("apt-get {} failed ({status})", args.join(" ")))
        }
    };
    let install = [
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
        "chromium",
        "chromium-driver",
    ];
    if run(&install).is_err() {
        run(&["update", "-q"])?;
        run(&install)?;
    }
    find_tools().ok_or_else(|| "apt-get ran but chromium/chromedriver are still missing".into())
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// A chromedriver process and one browser session in it.
pub(super) struct Driver {
    child: Child,
    address: SocketAddr,
    session: String,
}

impl Driver {
    pub(super) fn start(
        chromium: &Path,
        chromedriver: &Path,
        profile: &Path,
    ) -> Result<Self, String> {
        let port = free_port()?;
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start chromedriver: {e}"))?;
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let mut driver = Self {
            child,
            address,
            session: String::new(),
        };
        until(Duration::from_secs(20), || {
            http::get(address, "/status", &mut Jar::default()).map(|_| ())
        })
        .map_err(|e| format!("chromedriver did not answer: {e}"))?;
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": chromium.to_string_lossy(),
                    "args": [
                        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        "--window-size=1000,800",
                        format!("--user-data-dir={}", profile.display()),
                    ]
                }
            }}
        });
        let v = driver.call("POST", "/session", Some(capabilities))?;
        driver.session = v["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session id in {v}"))?
            .to_owned();
        Ok(driver)
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let body = body.map(|b| b.to_string());
        let r = http::request(
            self.address,
            method,
            path,
            body.as_deref().map(|b| ("application/json", b)),
            &mut Jar::default(),
            Duration::from_secs(60),
        )?;
        let v: Value = serde_json::from_str(&r.body)
            .map_err(|e| format!("{method} {path}: not JSON ({e})"))?;
        if r.status != 200 {
            return Err(format!(
                "{method} {path}: {} {}",
                r.status, v["value"]["message"]
            ));
        }
        Ok(v["value"].clone())
    }

    fn session_path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    pub(super) fn go(&self, url: &str) -> Result<(), String> {
        self.call(
            "POST",
            &self.session_path("/url"),
            Some(json!({ "url": url })),
        )
        .map(|_| ())
    }

    fn element(&self, css: &str) -> Result<String, String> {
        let v = self.call(
            "POST",
            &self.session_path("/element"),
            Some(json!({ "using": "css selector", "value": css })),
        )?;
        v[ELEMENT]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no element {css}: {}", truncate(&v.to_string())))
    }

    pub(super) fn type_into(&self, css: &str, text: &str) -> Result<(), String> {
        let id = self.element(css)?;
        self.call(
            "POST",
            &self.session_path(&format!("/element/{id}/value")),
            Some(json!({ "text": text })),
        )
        .map(|_| ())
    }

    pub(super) fn click(&self, css: &str) -> Result<(), String> {
        let id = self.element(css)?;
        self.call(
            "POST",
            &self.session_path(&format!("/element/{id}/click")),
            Some(json!({})),
        )
        .map(|_| ())
    }

    /// Clicks `css` (a form's submit button) and waits until the page it leads to
    /// contains `marker`: the click returns once the form is submitted, and a navigation
    /// started right after it could overtake the form's own (its redirect then lands
    /// last). Fails after 15 s.
    pub(super) fn submit(&self, css: &str, marker: &str) -> Result<(), String> {
        self.click(css)?;
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            if self.source()?.contains(marker) {
                return Ok(());
            }
            if std::time::Instant::now() >= deadline {
                return Err(format!("after submitting {css}: no {marker:?} within 15 s"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub(super) fn source(&self) -> Result<String, String> {
        let v = self.call("GET", &self.session_path("/source"), None)?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    pub(super) fn screenshot(&self, path: &Path) -> Result<(), String> {
        let v = self.call("GET", &self.session_path("/screenshot"), None)?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .map_err(|e| format!("screenshot: {e}"))?;
        std::fs::write(path, png).map_err(|e| format!("{}: {e}", path.display()))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.call("DELETE", &self.session_path(""), None);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh, empty browser profile directory, removed when dropped.
pub(super) struct Profile(pub(super) PathBuf);

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Scenario 6.
pub(crate) fn scenario(suite: &mut Suite) -> Outcome {
    (|| {
        let cluster = suite.cluster(1).or_fail("cluster")?;
        let env = suite.shop_env(&cluster);
        let shop = start_shop(suite, "shop", &env)?;
        let (chromium, chromedriver) = ensure_tools().or_fail("browser")?;
        let shots = suite.target_dir.join("integration");
        std::fs::create_dir_all(&shots)
            .map_err(|e| Outcome::failed(format!("{}: {e}", shots.display())))?;
        let profile = Profile(shots.join(format!("chromium-profile-{}", std::process::id())));
        let _ = std::fs::remove_dir_all(&profile.0);
        std::fs::create_dir_all(&profile.0)
            .map_err(|e| Outcome::failed(format!("{}: {e}", profile.0.display())))?;
        let driver = Driver::start(&chromium, &chromedriver, &profile.0).or_fail("browser")?;
        let base = format!("http://{}", shop.address);
        let steps = (|| -> Result<(String, Duration), String> {
            driver.go(&format!("{base}/login"))?;
            driver.type_into("input[name=username]", "user")?;
            driver.type_into("input[name=password]", "password")?;
            driver.submit("form[action='/login'] button", "Sign out")?;
            driver.screenshot(&shots.join("browser-1-signed-in.png"))?;
            driver.go(&format!("{base}/basket/add?items=1,2"))?;
            let before = driver.source()?;
            driver.screenshot(&shots.join("browser-2-basket.png"))?;
            let killed = Instant::now();
            shop.kill();
            let shop = start_shop(suite, "shop", &env).map_err(|o| o.figures)?;
            let restart = killed.elapsed();
            driver.go(&format!("http://{}/basket", shop.address))?;
            let after = driver.source()?;
            driver.screenshot(&shots.join("browser-3-basket-after-restart.png"))?;
            let ok = before.contains("class=\"total\"")
                && after.contains("class=\"total\"")
                && after.contains("Sign out")
                && total(&before) == total(&after);
            if ok {
                Ok((total(&after).unwrap_or_default(), restart))
            } else {
                Err(format!(
                    "basket total before {:?}, after restart {:?}; signed in after: {}",
                    total(&before),
                    total(&after),
                    after.contains("Sign out")
                ))
            }
        })();
        drop(driver);
        drop(profile);
        match steps {
            Ok((total, restart)) => Ok(Outcome::passed(format!(
                "signed in, basket total {total} shown before and after the restart (shop back in {} ms); screenshots in {}",
                ms(restart),
                shots.display()
            ))),
            Err(e) => Ok(Outcome::failed(format!("{e}; screenshots in {}", shots.display()))),
        }
    })()
    .unwrap_or_else(|o: Outcome| o)
}

/// At most 200 characters of `s`.
fn truncate(s: &str) -> String {
    s.chars().take(200).collect()
}

/// The basket total cell's text.
pub(super) fn total(page: &str) -> Option<String> {
    let start = page.find("class=\"total\">")? + "class=\"total\">".len();
    let end = page[start..].find('<')? + start;
    Some(page[start..end].to_owned())
}
