//! The seller's e-mails, rendered from feedback events: pure functions, no AWS. Every mail has
//! a plain-text and an HTML part; the HTML is one narrow column with inline styles (phones,
//! webmail), escapes everything that came from a buyer, and loads nothing remote.

use std::fmt::Write as _;

use crate::domain::feedback::DeadlineKind;
use crate::domain::ratings::{Crossing, Ratings};
use crate::domain::triage::{Ground, Verdict};
use crate::domain::{Marketplace, SellerAccount};
use crate::events::{
    DeadlineStatus, FeedbackDeadlineApproaching, FeedbackRef, FeedbackRemoved, NegativeFeedbackReceived,
    RatingThresholdCrossed,
};

/// A rendered mail, before addressing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Which kind of mail (for file names and logs).
    pub kind: MailKind,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Images the HTML shows through `cid:` links; they travel in the mail itself.
    pub images: Vec<InlineImage>,
}

/// The kinds of mail sellers get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    NegativeFeedback,
    Deadline,
    Removed,
    RatingAlert,
    Digest,
}

impl MailKind {
    /// The name in file names and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::NegativeFeedback => "negative-feedback",
            MailKind::Deadline => "deadline",
            MailKind::Removed => "removed",
            MailKind::RatingAlert => "rating-alert",
            MailKind::Digest => "digest",
        }
    }
}

impl std::fmt::Display for MailKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A PNG inside the mail, shown by the HTML as `cid:{content_id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineImage {
    pub content_id: String,
    pub png: Vec<u8>,
}

/// Seller Central's feedback manager for a marketplace.
pub fn feedback_manager_url(marketplace: Marketplace) -> String {
    format!("https://{}/feedback-manager/index.html", marketplace.seller_central_host())
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn ground_text(ground: Ground) -> &'static str {
    match ground {
        Ground::Obscene => "contains obscene or profane language",
        Ground::PersonalInfo => "contains personal information (an e-mail address or phone number)",
        Ground::ProductReview => "is entirely a product review, not about you as a seller",
        Ground::Promotional => "contains promotional content or a link to another site",
        Ground::FbaDelivery => "is entirely about delivery of an order Amazon fulfilled (FBA)",
    }
}

pub(super) fn deadline_text(kind: DeadlineKind) -> &'static str {
    match kind {
        DeadlineKind::BuyerRemoval => "Last day the buyer can remove it",
        DeadlineKind::RemovalRequest => "Last day to ask Amazon to remove it",
    }
}

pub(super) fn stars(rating: u8) -> String {
    let full = usize::from(rating.min(5));
    format!("{}{}", "★".repeat(full), "☆".repeat(5 - full))
}

pub(super) fn days(n: i64) -> String {
    match n {
        0 => "today".into(),
        1 => "1 day left".into(),
        n => format!("{n} days left"),
    }
}

pub(super) fn verdict_line(verdict: &Verdict) -> String {
    if verdict.removable {
        "Removable: Amazon's guidelines allow removing it.".into()
    } else if verdict.strike_through {
        "Strike-through: Amazon keeps it visible but stops counting it, on request.".into()
    } else {
        "Not removable under Amazon's guidelines: answer it publicly and help the buyer.".into()
    }
}

/// The text a seller can paste into Seller Central's removal request: the grounds and the
/// evidence, nothing speculative.
pub fn removal_request_draft(feedback: &FeedbackRef, verdict: &Verdict) -> Option<String> {
    if !verdict.removable && !verdict.strike_through {
        return None;
    }
    let mut text = format!(
        "Hello Seller Support,\n\nPlease review the feedback left on {} for order {}. It {}",
        feedback.feedback_date,
        feedback.order_id,
        verdict.reasons.iter().map(|g| ground_text(*g)).collect::<Vec<_>>().join(", and it ")
    );
    if !verdict.evidence.is_empty() {
        let _ = write!(text, " ({})", verdict.evidence.join("; "));
    }
    text.push_str(
        ", which Amazon's feedback guidelines do not allow. We ask that it be removed (or struck through) accordingly.\n\nThank you.",
    );
    Some(text)
}

/// A message to the buyer that offers help. Amazon's rules: no incentive, no pressure, no
/// request conditioned on the feedback.
pub fn buyer_follow_up_draft(feedback: &FeedbackRef, seller: &SellerAccount) -> String {
    format!(
        "Hello,\n\nThank you for your order {} and for taking the time to tell us about it. We are sorry it did not go as it should have. We would like to put it right: please reply to this message and tell us what happened, and we will do our best to help.\n\nKind regards,\n{}",
        feedback.order_id, seller.display_name
    )
}

/// Common layout: a title bar, sections, a footer. `body` is HTML already escaped.
pub(super) fn page(title: &str, preheader: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body style="margin:0;padding:0;background:#f3f4f6;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#111827;">
<div style="display:none;max-height:0;overflow:hidden;">{preheader}</div>
<div id="mail" style="max-width:600px;margin:0 auto;padding:16px;">
<div style="background:#111827;color:#ffffff;padding:14px 18px;border-radius:8px 8px 0 0;font-size:14px;">Feedback Autopilot</div>
<div style="background:#ffffff;padding:18px;border-radius:0 0 8px 8px;font-size:16px;line-height:1.5;">
<h1 style="font-size:20px;line-height:1.3;margin:0 0 12px 0;">{title}</h1>
{body}
</div>
<p style="font-size:12px;color:#6b7280;margin:12px 4px;">You get this because you are an alert recipient for this seller account in Feedback Autopilot. Buyer e-mail addresses are never kept.</p>
</div></body></html>
"#,
        title = escape(title),
        preheader = escape(preheader),
    )
}

pub(super) fn section(heading: &str, inner: &str) -> String {
    format!(r#"<h2 style="font-size:16px;margin:18px 0 6px 0;">{}</h2>{inner}"#, escape(heading))
}

pub(super) fn quote(text: &str) -> String {
    let shown = if text.trim().is_empty() { "(no comment)" } else { text };
    format!(
        r#"<blockquote style="margin:8px 0;padding:10px 12px;background:#f9fafb;border-left:4px solid #d1d5db;font-style:italic;overflow-wrap:anywhere;">{}</blockquote>"#,
        escape(shown)
    )
}

pub(super) fn pre(text: &str) -> String {
    format!(
        r#"<pre style="white-space:pre-wrap;overflow-wrap:anywhere;background:#f9fafb;border:1px solid #e5e7eb;border-radius:6px;padding:10px;font-size:14px;font-family:inherit;">{}</pre>"#,
        escape(text)
    )
}

pub(super) fn button(url: &str, label: &str) -> String {
    format!(
        r#"<p style="margin:18px 0;"><a href="{}" style="display:inline-block;background:#2563eb;color:#ffffff;text-decoration:none;padding:10px 16px;border-radius:6px;font-weight:600;">{}</a></p>"#,
        escape(url),
        escape(label)
    )
}

pub(super) fn feedback_summary(f: &FeedbackRef) -> (String, String) {
    let text = format!(
        "{} ({} stars) on {} for order {} in {}\n\"{}\"",
        stars(f.rating),
        f.rating,
        f.feedback_date,
        f.order_id,
        f.marketplace.code(),
        f.comment
    );
    let html = format!(
        r#"<p style="margin:0;"><span style="color:#b45309;font-size:18px;" aria-label="{r} of 5 stars">{s}</span> <strong>{r} of 5</strong> &middot; {date} &middot; order <strong>{order}</strong> &middot; {mkt}</p>{quote}"#,
        r = f.rating,
        s = stars(f.rating),
        date = f.feedback_date,
        order = escape(f.order_id.as_str()),
        mkt = f.marketplace.code(),
        quote = quote(&f.comment)
    );
    (text, html)
}

fn verdict_parts(verdict: &Verdict) -> (String, String) {
    let mut text = verdict_line(verdict);
    let mut html = format!("<p style=\"margin:0 0 6px 0;\"><strong>{}</strong></p>", escape(&verdict_line(verdict)));
    if !verdict.reasons.is_empty() {
        html.push_str("<ul style=\"margin:0;padding-left:20px;\">");
        for ground in &verdict.reasons {
            let _ = write!(text, "\n- It {}", ground_text(*ground));
            let _ = write!(html, "<li>It {}</li>", escape(ground_text(*ground)));
        }
        html.push_str("</ul>");
        let evidence = verdict.evidence.join("; ");
        let _ = write!(text, "\nEvidence: {evidence}");
        let _ = write!(
            html,
            "<p style=\"margin:6px 0 0 0;font-size:14px;color:#374151;\">Evidence: {}</p>",
            escape(&evidence)
        );
    }
    (text, html)
}

fn deadline_parts(deadlines: &[DeadlineStatus]) -> (String, String) {
    let mut text = String::new();
    let mut html =
        String::from("<table role=\"presentation\" style=\"width:100%;border-collapse:collapse;font-size:15px;\">");
    for d in deadlines {
        let _ = writeln!(text, "- {}: {} ({})", deadline_text(d.kind), d.date, days(d.days_left));
        let urgent = d.days_left <= 3;
        let _ = write!(
            html,
            r#"<tr><td style="padding:6px 0;border-bottom:1px solid #e5e7eb;">{}</td><td style="padding:6px 0;border-bottom:1px solid #e5e7eb;text-align:right;white-space:nowrap;"><strong>{}</strong><br><span style="color:{};">{}</span></td></tr>"#,
            escape(deadline_text(d.kind)),
            d.date,
            if urgent { "#b91c1c" } else { "#374151" },
            days(d.days_left)
        );
    }
    html.push_str("</table>");
    (text, html)
}

pub fn negative_feedback_mail(seller: &SellerAccount, event: &NegativeFeedbackReceived) -> Mail {
    let f = &event.feedback;
    let verdict = &event.triage;
    let tag = if verdict.removable {
        "removable"
    } else if verdict.strike_through {
        "can be struck through"
    } else {
        "not removable"
    };
    let subject = format!("{}-star feedback on order {} ({}): {tag}", f.rating, f.order_id, f.marketplace.code());
    let (f_text, f_html) = feedback_summary(f);
    let (v_text, v_html) = verdict_parts(verdict);
    let (d_text, d_html) = deadline_parts(&event.deadlines);
    let url = feedback_manager_url(f.marketplace);
    let mut text = format!(
        "{} received new {} feedback.\n\n{f_text}\n\nVerdict\n{v_text}\n\nDeadlines\n{d_text}",
        seller.display_name,
        if f.rating == 3 { "neutral" } else { "negative" }
    );
    let mut body = section("The feedback", &f_html);
    body.push_str(&section("Can it be removed?", &v_html));
    body.push_str(&section("Deadlines", &d_html));
    if let Some(draft) = removal_request_draft(f, verdict) {
        let _ = write!(
            text,
            "\nAsk Amazon: Seller Central > Feedback Manager > order {} > Request removal. Suggested text:\n\n{draft}\n",
            f.order_id
        );
        body.push_str(&section(
            "Ask Amazon to remove it",
            &format!(
                "<p style=\"margin:0;\">In Feedback Manager, find order {} and choose <em>Request removal</em>. Suggested text:</p>{}",
                escape(f.order_id.as_str()),
                pre(&draft)
            ),
        ));
    }
    let follow_up = buyer_follow_up_draft(f, seller);
    let _ = write!(
        text,
        "\nOffer the buyer help (no incentives, no pressure; Amazon's rules):\n\n{follow_up}\n\nFeedback Manager: {url}\n"
    );
    body.push_str(&section(
        "Offer the buyer help",
        &format!(
            "<p style=\"margin:0;\">Through Buyer-Seller Messaging. No refund or gift in exchange for feedback, and no pressure: Amazon forbids both.</p>{}",
            pre(&follow_up)
        ),
    ));
    body.push_str(&button(&url, "Open Feedback Manager"));
    Mail {
        kind: MailKind::NegativeFeedback,
        html: page(&subject, &f.comment, &body),
        subject,
        text,
        images: Vec::new(),
    }
}

pub fn deadline_mail(seller: &SellerAccount, event: &FeedbackDeadlineApproaching) -> Mail {
    let f = &event.feedback;
    let d = &event.deadline;
    let subject =
        format!("{} for order {} ({}): {}", deadline_text(d.kind), f.order_id, f.marketplace.code(), days(d.days_left));
    let (f_text, f_html) = feedback_summary(f);
    let (v_text, v_html) = verdict_parts(&event.triage);
    let (d_text, d_html) = deadline_parts(std::slice::from_ref(d));
    let url = feedback_manager_url(f.marketplace);
    let action = match d.kind {
        DeadlineKind::BuyerRemoval => "After this day the buyer can no longer remove the feedback.",
        DeadlineKind::RemovalRequest => "After this day Amazon no longer takes removal requests for it.",
    };
    let mut text = format!("Reminder for {}: {action}\n\n{d_text}\n{f_text}\n\n{v_text}\n", seller.display_name);
    let mut body = format!("<p style=\"margin:0 0 8px 0;\">{}</p>", escape(action));
    body.push_str(&d_html);
    body.push_str(&section("The feedback", &f_html));
    body.push_str(&section("Can it be removed?", &v_html));
    if d.kind == DeadlineKind::RemovalRequest
        && let Some(draft) = removal_request_draft(f, &event.triage)
    {
        let _ = write!(text, "\nSuggested removal request:\n\n{draft}\n");
        body.push_str(&section("Suggested removal request", &pre(&draft)));
    }
    let _ = write!(text, "\nFeedback Manager: {url}\n");
    body.push_str(&button(&url, "Open Feedback Manager"));
    Mail { kind: MailKind::Deadline, html: page(&subject, action, &body), subject, text, images: Vec::new() }
}

pub fn removed_mail(seller: &SellerAccount, event: &FeedbackRemoved) -> Mail {
    let f = &event.feedback;
    let subject =
        format!("Feedback removed: {}-star feedback on order {} ({})", f.rating, f.order_id, f.marketplace.code());
    let (f_text, f_html) = feedback_summary(f);
    let note = if event.had_grounds {
        "It met Amazon's removal grounds, so this is most likely your removal request succeeding."
    } else {
        "The buyer most likely removed it."
    };
    let text = format!(
        "Good news for {}: this feedback no longer appears in Amazon's report (noticed {}). It stops counting in your rating.\n{note}\n\n{f_text}\n",
        seller.display_name,
        event.removed_at.format("%Y-%m-%d")
    );
    let body = format!(
        "<p style=\"margin:0 0 8px 0;\">This feedback no longer appears in Amazon's report (noticed {}). It stops counting in your rating. {}</p>{}",
        event.removed_at.format("%Y-%m-%d"),
        escape(note),
        section("The feedback", &f_html)
    );
    Mail { kind: MailKind::Removed, html: page(&subject, note, &body), subject, text, images: Vec::new() }
}

pub(super) fn crossing_text(crossing: &Crossing) -> String {
    match crossing {
        Crossing::PositiveShareBelow { threshold, value } => format!(
            "Your 365-day positive feedback share fell to {:.1} % (your alert is below {:.1} %).",
            value * 100.0,
            threshold * 100.0
        ),
        Crossing::NegativesAtLeast { threshold, value } => {
            format!("{value} negative feedback in the last 30 days (your alert is at {threshold}).")
        }
        Crossing::OdrNegativeRateAtLeast { threshold, value } => format!(
            "Negative feedback now affects {:.2} % of your orders of the last 60 days (your alert is at {:.2} %; Amazon's Order Defect Rate target is under 1 % for all defects together).",
            value * 100.0,
            threshold * 100.0
        ),
    }
}

/// The ratings per window as text lines and an HTML table.
pub(super) fn ratings_table(r: &Ratings) -> (String, String) {
    let rows = [("30 days", &r.days_30), ("90 days", &r.days_90), ("365 days", &r.days_365), ("Lifetime", &r.lifetime)];
    let mut text = String::new();
    let mut table = String::from(
        "<table role=\"presentation\" style=\"width:100%;border-collapse:collapse;font-size:15px;\"><tr><th style=\"text-align:left;padding:4px 0;\">Window</th><th style=\"text-align:right;padding:4px 0 4px 8px;\">Negative</th><th style=\"text-align:right;padding:4px 0 4px 8px;\">Neutral</th><th style=\"text-align:right;padding:4px 0 4px 8px;\">Positive share</th></tr>",
    );
    for (name, w) in rows {
        let share = w.positive_share.map_or("n/a".to_string(), |s| format!("{:.1} %", s * 100.0));
        let _ = writeln!(
            text,
            "- {name}: {} negative, {} neutral, positive share {share}",
            w.counts.negative, w.counts.neutral
        );
        let _ = write!(
            table,
            "<tr><td style=\"padding:4px 0;border-top:1px solid #e5e7eb;\">{name}</td><td style=\"text-align:right;border-top:1px solid #e5e7eb;\">{}</td><td style=\"text-align:right;border-top:1px solid #e5e7eb;\">{}</td><td style=\"text-align:right;border-top:1px solid #e5e7eb;\">{share}</td></tr>",
            w.counts.negative, w.counts.neutral
        );
    }
    table.push_str("</table>");
    (text, table)
}

pub fn threshold_mail(seller: &SellerAccount, event: &RatingThresholdCrossed) -> Mail {
    let subject = format!(
        "Rating alert for {} ({}): {}",
        seller.display_name,
        event.marketplace.code(),
        match &event.crossing {
            Crossing::PositiveShareBelow { .. } => "positive share below your threshold",
            Crossing::NegativesAtLeast { .. } => "negative feedback piling up",
            Crossing::OdrNegativeRateAtLeast { .. } => "negative feedback rate too high",
        }
    );
    let what = crossing_text(&event.crossing);
    let r = &event.snapshot.ratings;
    let (table_text, table) = ratings_table(r);
    let mut text = format!("{what}\n\nRatings on {}:\n{table_text}", r.as_of);
    let url = feedback_manager_url(event.marketplace);
    let _ = write!(text, "\nFeedback Manager: {url}\n");
    let body = format!(
        "<p style=\"margin:0 0 8px 0;\"><strong>{}</strong></p>{}{}",
        escape(&what),
        section("Your ratings", &table),
        button(&url, "Open Feedback Manager")
    );
    Mail { kind: MailKind::RatingAlert, html: page(&subject, &what, &body), subject, text, images: Vec::new() }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::{OrderId, SellerId};
    use chrono::NaiveDate;

    pub(crate) fn feedback(comment: &str) -> FeedbackRef {
        FeedbackRef {
            marketplace: Marketplace::Us,
            order_id: OrderId::parse("111-1234567-1234567").unwrap(),
            feedback_date: NaiveDate::from_ymd_opt(2026, 4, 4).unwrap(),
            rating: 1,
            star_class: crate::domain::feedback::StarClass::Negative,
            comment: comment.into(),
            response: None,
        }
    }

    pub(crate) fn seller(name: &str) -> SellerAccount {
        SellerAccount {
            seller_id: SellerId::parse("A2DEMOSELLER01").unwrap(),
            display_name: name.into(),
            marketplaces: vec![Marketplace::Us],
            alert_recipients: vec![],
            alert_delivery: Default::default(),
            digest: Default::default(),
            review_requests: crate::domain::ReviewRequestPolicy::for_marketplaces(&[Marketplace::Us]),
            credentials_secret: "x".into(),
            feedback: Default::default(),
            paused: false,
        }
    }

    #[test]
    fn buyer_text_is_escaped_and_nothing_remote_is_loaded() {
        let seller = seller("Demo & Co");
        let event = NegativeFeedbackReceived {
            event_id: "e".into(),
            seller_id: seller.seller_id.clone(),
            feedback: feedback("<script>alert(1)</script> <img src=\"http://x\">"),
            order_date: None,
            fulfillment: None,
            triage: Verdict::default(),
            deadlines: vec![],
        };
        let mail = negative_feedback_mail(&seller, &event);
        assert!(!mail.html.contains("<script"));
        assert!(!mail.html.contains("<img"));
        assert!(mail.html.contains("&lt;script&gt;"));
        assert!(!mail.html.contains("src=\"http"), "no remote resources");
        assert!(!mail.html.contains("<link") && !mail.html.contains("@import"));
        assert!(mail.text.contains("<script>"), "the plain-text part shows the words as written");
    }

    #[test]
    fn drafts_follow_amazons_rules() {
        let f = feedback("shit seller");
        let verdict = Verdict {
            removable: true,
            strike_through: false,
            reasons: vec![Ground::Obscene],
            evidence: vec!["obscene word \"shit\"".into()],
        };
        let draft = removal_request_draft(&f, &verdict).unwrap();
        assert!(draft.contains("111-1234567-1234567") && draft.contains("obscene"));
        assert!(removal_request_draft(&f, &Verdict::default()).is_none(), "no request without grounds");
        let seller = seller("Demo");
        let follow_up = buyer_follow_up_draft(&f, &seller).to_lowercase();
        for forbidden in ["refund", "gift", "discount", "remove", "change your feedback", "update your feedback"] {
            assert!(!follow_up.contains(forbidden), "{forbidden:?} in {follow_up}");
        }
    }
}
