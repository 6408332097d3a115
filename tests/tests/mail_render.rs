//! Every kind of seller mail rendered by a real browser (headless Chromium) at phone width:
//! the PNG exists and has content, nothing sticks out sideways, inline images load, and the
//! words the seller acts on are in the DOM.

use autopilot_shared::alerts::mail::escape;
use autopilot_tests::{local_stack, mail_samples};
use mail_preview::{Chromium, PHONE_WIDTH, preview};

#[test]
fn every_mail_kind_renders_on_a_phone_with_its_key_text() {
    local_stack(); // its script installs Chromium when the tests run on their own
    let dir = std::env::temp_dir().join(format!("feedback-autopilot-mail-render-{}", std::process::id()));
    let chromium =
        Chromium::locate(&dir.join("profiles")).expect("headless Chromium (infra/local/stack.sh installs it)");
    let samples = mail_samples::all();
    let mut kinds = Vec::new();
    for sample in &samples {
        let kind = sample.mail.kind.as_str();
        let shown = preview(&chromium, &sample.mail, &dir, kind).unwrap_or_else(|err| panic!("{kind}: {err}"));
        assert!(shown.png.is_file(), "{kind}: a PNG");
        assert_eq!(shown.stats.width, PHONE_WIDTH, "{kind}: rendered at phone width");
        assert!(shown.stats.height >= 400, "{kind}: the whole mail, {}px tall", shown.stats.height);
        assert!(shown.stats.ink > 0.08, "{kind}: the render has content ({:.3} of pixels)", shown.stats.ink);
        assert!(shown.stats.colors > 50, "{kind}: text and colour, {} colours", shown.stats.colors);
        assert!(
            shown.layout.overflowing.is_empty(),
            "{kind}: sticks out at {PHONE_WIDTH}px: {:?}",
            shown.layout.overflowing
        );
        assert_eq!(shown.layout.broken_images, 0, "{kind}: every image loads");
        assert!(shown.dom.contains(&escape(&sample.mail.subject)), "{kind}: the subject is the heading");
        for text in &sample.must_show {
            assert!(shown.dom.contains(&escape(text)), "{kind}: {text:?} not in the DOM");
        }
        assert!(!shown.dom.contains("src=\"http"), "{kind}: nothing remote");
        kinds.push((kind, shown.layout.images));
    }
    assert_eq!(
        kinds,
        [("negative-feedback", 0), ("deadline", 0), ("removed", 0), ("rating-alert", 0), ("digest", 1)],
        "every kind, and the digest's chart is an image that loaded"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_layout_that_breaks_on_a_phone_is_caught() {
    // The check itself must be able to fail: a fixed 700 px table and a missing image.
    local_stack();
    let dir = std::env::temp_dir().join(format!("feedback-autopilot-mail-broken-{}", std::process::id()));
    let chromium = Chromium::locate(&dir.join("profiles")).expect("headless Chromium");
    let mut mail = mail_samples::all().remove(0).mail;
    mail.html = mail.html.replace(
        "</h1>",
        "</h1><table style=\"width:700px\"><tr><td>wide</td></tr></table><img src=\"cid:missing@x\" alt=\"\">",
    );
    let shown = preview(&chromium, &mail, &dir, "broken").expect("rendered");
    assert!(shown.layout.overflowing.iter().any(|e| e.starts_with("table")), "{:?}", shown.layout.overflowing);
    assert_eq!(shown.layout.broken_images, 1);
    let _ = std::fs::remove_dir_all(&dir);
}
