//! A mail as a seller's phone shows it: rendered in headless Chromium (Debian's `chromium`,
//! installed by `infra/local/stack.sh`), checked and kept as a PNG.
//!
//! - [`browser_html`] turns the mail's `cid:` images into `data:` URIs, as a mail client shows
//!   the inline parts; nothing remote is loaded either way.
//! - [`Chromium::inspect`] loads the page with a probe script that lays it out at phone width
//!   and reports elements that stick out, images that did not load, and the page height. (The
//!   probe constrains the root element's width, because headless Chromium's `--dump-dom` keeps
//!   a viewport of at least 500 px; screenshots honour the window size.)
//! - [`Chromium::screenshot`] renders it to PNG; [`PngStats`] says whether the image has content.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use autopilot_shared::alerts::mail::Mail;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use thiserror::Error;

/// A phone's CSS width.
pub const PHONE_WIDTH: u32 = 390;
/// The tallest screenshot taken.
const MAX_HEIGHT: u32 = 6000;
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Error)]
pub enum PreviewError {
    #[error("no Chromium: set AUTOPILOT_CHROMIUM or install Debian's `chromium` (infra/local/stack.sh up does it)")]
    NoChromium,
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("chromium {what} failed: {message}")]
    Browser { what: &'static str, message: String },
    #[error("the layout probe did not report: {0}")]
    Probe(String),
    #[error("PNG {path}: {message}")]
    Png { path: String, message: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PreviewError + '_ {
    move |source| PreviewError::Io { path: path.display().to_string(), source }
}

/// The HTML part with its inline images as `data:` URIs.
pub fn browser_html(mail: &Mail) -> String {
    let mut html = mail.html.clone();
    for image in &mail.images {
        html = html.replace(
            &format!("cid:{}", image.content_id),
            &format!("data:image/png;base64,{}", STANDARD.encode(&image.png)),
        );
    }
    html
}

const PROBE_MARK: &str = "data-mail-preview-layout";

/// `html` with a script that, once loaded, lays the page out `width` px wide and writes what
/// it found into an attribute of `<html>`, for `--dump-dom` to show.
pub fn with_layout_probe(html: &str, width: u32) -> String {
    let script = format!(
        r#"<script>window.addEventListener('load', function () {{
  var root = document.documentElement;
  root.style.width = '{width}px';
  root.style.overflowX = 'visible';
  var limit = {width} + 0.5, overflowing = [];
  document.querySelectorAll('body *').forEach(function (e) {{
    var r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > limit) overflowing.push(e.tagName.toLowerCase() + ' ' + Math.round(r.right) + 'px');
  }});
  var broken = Array.from(document.images).filter(function (i) {{ return !i.complete || i.naturalWidth === 0; }}).length;
  root.setAttribute('{PROBE_MARK}', JSON.stringify({{
    overflowing: overflowing, broken_images: broken, images: document.images.length,
    height: Math.ceil(document.body.scrollHeight)
  }}));
}});</script>"#
    );
    match html.rfind("</body>") {
        Some(at) => format!("{}{script}{}", &html[..at], &html[at..]),
        None => format!("{html}{script}"),
    }
}

/// What the probe found.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Layout {
    /// Elements reaching past the phone's width (`tag right-edge`).
    pub overflowing: Vec<String>,
    pub broken_images: u32,
    pub images: u32,
    /// The page's height at that width, in CSS px.
    pub height: u32,
}

/// What the browser made of a page: the layout probe's findings and the DOM it ended with.
#[derive(Debug, Clone)]
pub struct Inspection {
    pub layout: Layout,
    pub dom: String,
}

fn unescape_attribute(text: &str) -> String {
    text.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

pub struct Chromium {
    binary: PathBuf,
    scratch: PathBuf,
}

impl Chromium {
    /// `AUTOPILOT_CHROMIUM`, else `chromium` on the PATH. `scratch` holds fresh profiles.
    pub fn locate(scratch: &Path) -> Result<Self, PreviewError> {
        let binary = match std::env::var_os("AUTOPILOT_CHROMIUM") {
            Some(path) => PathBuf::from(path),
            None => std::env::var_os("PATH")
                .into_iter()
                .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
                .map(|dir| dir.join("chromium"))
                .find(|candidate| candidate.is_file())
                .ok_or(PreviewError::NoChromium)?,
        };
        if !binary.is_file() {
            return Err(PreviewError::NoChromium);
        }
        std::fs::create_dir_all(scratch).map_err(io(scratch))?;
        Ok(Self { binary, scratch: scratch.to_path_buf() })
    }

    /// Run Chromium headless with a fresh profile, no network chatter, on `page`.
    fn run(&self, what: &'static str, args: &[String], page: &Path) -> Result<Vec<u8>, PreviewError> {
        let profile = self.scratch.join(format!(
            "profile-{}-{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
        ));
        let page = std::fs::canonicalize(page).map_err(io(page))?;
        let mut child = Command::new(&self.binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--virtual-time-budget=3000",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(args)
            .arg(format!("file://{}", page.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|err| PreviewError::Browser { what, message: format!("{}: {err}", self.binary.display()) })?;
        // Both pipes are drained while Chromium runs, so neither can fill up and stall it.
        fn drain(pipe: Option<impl std::io::Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
            std::thread::spawn(move || {
                let mut out = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut out);
                }
                out
            })
        }
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() > RUN_TIMEOUT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let _ = std::fs::remove_dir_all(&profile);
                    return Err(PreviewError::Browser { what, message: format!("no answer in {RUN_TIMEOUT:?}") });
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                Err(err) => return Err(PreviewError::Browser { what, message: err.to_string() }),
            }
        };
        let out = stdout.join().unwrap_or_default();
        let errors = String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned();
        let _ = std::fs::remove_dir_all(&profile);
        if !status.success() {
            let tail: String = errors.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
            return Err(PreviewError::Browser { what, message: format!("{status}: {tail}") });
        }
        Ok(out)
    }

    /// Load `html` with the layout probe at `width` and return the probe's findings and DOM.
    pub fn inspect(&self, html: &str, width: u32, work: &Path) -> Result<Inspection, PreviewError> {
        let page = work.with_extension("probe.html");
        std::fs::write(&page, with_layout_probe(html, width)).map_err(io(&page))?;
        let dom = String::from_utf8_lossy(&self.run("dump-dom", &["--dump-dom".into()], &page)?).into_owned();
        let _ = std::fs::remove_file(&page);
        let start =
            dom.find(&format!("{PROBE_MARK}=\"")).ok_or_else(|| PreviewError::Probe("no report in the DOM".into()))?
                + PROBE_MARK.len()
                + 2;
        let end = dom[start..].find('"').ok_or_else(|| PreviewError::Probe("unterminated report".into()))? + start;
        let layout = serde_json::from_str(&unescape_attribute(&dom[start..end]))
            .map_err(|err| PreviewError::Probe(err.to_string()))?;
        Ok(Inspection { layout, dom })
    }

    /// Render the page file `html` to `png`, `width` x `height` px.
    pub fn screenshot(&self, html: &Path, png: &Path, width: u32, height: u32) -> Result<(), PreviewError> {
        let args = [format!("--window-size={width},{height}"), format!("--screenshot={}", png.display())];
        self.run("screenshot", &args, html)?;
        if png.is_file() {
            Ok(())
        } else {
            Err(PreviewError::Browser { what: "screenshot", message: format!("{} was not written", png.display()) })
        }
    }
}

/// Whether a PNG has content: its size, how much of it differs from its background (the most
/// common colour), and how many colours it uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PngStats {
    pub width: u32,
    pub height: u32,
    pub ink: f64,
    pub colors: usize,
}

pub fn png_stats(path: &Path) -> Result<PngStats, PreviewError> {
    let bad = |message: String| PreviewError::Png { path: path.display().to_string(), message };
    let file = std::fs::File::open(path).map_err(io(path))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|err| bad(err.to_string()))?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or_else(|| bad("too large".into()))?];
    let info = reader.next_frame(&mut buf).map_err(|err| bad(err.to_string()))?;
    let channels = info.color_type.samples();
    let mut counts = std::collections::HashMap::<&[u8], usize>::new();
    for pixel in buf[..info.buffer_size()].chunks(channels) {
        *counts.entry(&pixel[..channels.min(3)]).or_default() += 1;
    }
    let total = (info.width as usize * info.height as usize).max(1);
    let background = counts.values().copied().max().unwrap_or(0);
    Ok(PngStats {
        width: info.width,
        height: info.height,
        ink: (total - background) as f64 / total as f64,
        colors: counts.len(),
    })
}

/// A mail rendered: where its files are and what the browser found.
#[derive(Debug, Clone)]
pub struct Preview {
    pub html: PathBuf,
    pub png: PathBuf,
    pub layout: Layout,
    pub dom: String,
    pub stats: PngStats,
}

/// Write `{stem}.html` (images inline) and `{stem}.png` (the render at phone width, the page's
/// full height) into `dir`.
pub fn preview(chromium: &Chromium, mail: &Mail, dir: &Path, stem: &str) -> Result<Preview, PreviewError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let html = browser_html(mail);
    let html_path = dir.join(format!("{stem}.html"));
    std::fs::write(&html_path, &html).map_err(io(&html_path))?;
    let inspection = chromium.inspect(&html, PHONE_WIDTH, &dir.join(stem))?;
    let png = dir.join(format!("{stem}.png"));
    let height = inspection.layout.height.clamp(200, MAX_HEIGHT);
    chromium.screenshot(&html_path, &png, PHONE_WIDTH, height)?;
    let stats = png_stats(&png)?;
    Ok(Preview { html: html_path, png, layout: inspection.layout, dom: inspection.dom, stats })
}

#[cfg(test)]
mod tests {
    use super::*;
    use autopilot_shared::alerts::mail::InlineImage;

    #[test]
    fn inline_images_become_data_uris_and_the_probe_goes_before_the_body_ends() {
        let mail = Mail {
            kind: autopilot_shared::alerts::mail::MailKind::Digest,
            subject: "s".into(),
            text: "t".into(),
            html: "<html><body><img src=\"cid:a@x\"></body></html>".into(),
            images: vec![InlineImage { content_id: "a@x".into(), png: vec![1, 2, 3] }],
        };
        let html = browser_html(&mail);
        assert!(html.contains("src=\"data:image/png;base64,AQID\""), "{html}");
        let probed = with_layout_probe(&html, 390);
        assert!(probed.find("<script>").unwrap() < probed.find("</body>").unwrap());
        assert!(probed.contains("'390px'"));
    }
}
