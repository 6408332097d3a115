//! GET_SELLER_FEEDBACK_DATA documents as Amazon writes them: tab-separated, a localized header
//! row, six columns in a fixed order (Date, Rating, Comments, Response, Order ID, Rater Email),
//! dates in the marketplace's format.

use autopilot_shared::domain::{FeedbackDateFormat, Marketplace};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// One feedback as the simulator holds it. The rater e-mail is made up by whoever seeds it;
/// it is in the report because Amazon's report has it, so consumers can prove they drop it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FeedbackRow {
    pub date: NaiveDate,
    pub rating: u8,
    pub comment: String,
    #[serde(default)]
    pub response: String,
    pub order_id: String,
    #[serde(default)]
    pub rater_email: String,
}

pub fn header(marketplace: Marketplace) -> [&'static str; 6] {
    match (marketplace.language(), marketplace) {
        (_, Marketplace::Us) => ["Date", "Rating", "Comments", "Your Response", "Order ID", "Rater Email"],
        ("de", _) => {
            ["Datum", "Bewertung", "Kommentare", "Ihre Antwort", "Bestellnummer", "E-Mail-Adresse des Bewerters"]
        }
        ("fr", _) => {
            ["Date", "Évaluation", "Commentaires", "Votre réponse", "Numéro de commande", "E-mail de l'évaluateur"]
        }
        ("it", _) => ["Data", "Valutazione", "Commenti", "La tua risposta", "Numero ordine", "E-mail del valutatore"],
        ("es", _) => [
            "Fecha",
            "Valoración",
            "Comentarios",
            "Tu respuesta",
            "Número de pedido",
            "Correo electrónico del evaluador",
        ],
        ("ja", _) => ["日付", "評価", "コメント", "対応", "注文番号", "評価者のEメール"],
        _ => ["Date", "Rating", "Comments", "Response", "Order ID", "Rater Email"],
    }
}

pub fn format_date(date: NaiveDate, format: FeedbackDateFormat) -> String {
    let (y, m, d) = (date.year(), date.month(), date.day());
    let yy = y.rem_euclid(100);
    match format {
        FeedbackDateFormat::MonthDayYear => format!("{m}/{d}/{yy:02}"),
        FeedbackDateFormat::DayMonthYearDotted => format!("{d}.{m}.{yy:02}"),
        FeedbackDateFormat::YearMonthDay => format!("{yy:02}/{m}/{d}"),
        FeedbackDateFormat::Iso => format!("{y:04}-{m:02}-{d:02}"),
        FeedbackDateFormat::DayMonthYear => format!("{d}/{m}/{yy:02}"),
    }
}

/// A comment as the document carries it. DOMAIN: "A comment can contain characters that break
/// naive TSV splitting": a tab stays a tab (the row then has a column too many). Whether Amazon
/// keeps line breaks is not documented; the simulator flattens them to spaces, so a row stays on
/// one line.
fn cell(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

pub fn render_report(marketplace: Marketplace, rows: &[&FeedbackRow]) -> String {
    let mut out = header(marketplace).join("\t");
    out.push_str("\r\n");
    for row in rows {
        let line = [
            format_date(row.date, marketplace.feedback_date_format()),
            row.rating.to_string(),
            cell(&row.comment),
            cell(&row.response),
            row.order_id.clone(),
            cell(&row.rater_email),
        ];
        out.push_str(&line.join("\t"));
        out.push_str("\r\n");
    }
    out
}

/// The document's bytes in the configured encoding.
pub fn encode(text: &str, marketplace: Marketplace, encoding: crate::state::ReportEncoding) -> Vec<u8> {
    match encoding {
        crate::state::ReportEncoding::Utf8 => text.as_bytes().to_vec(),
        _ => autopilot_shared::reports::encoding::legacy_encoding(marketplace).encode(text).0.into_owned(),
    }
}

/// The download's Content-Type: the charset as SP-API users report it (`Windows-31J`,
/// `Cp1252`), or none.
pub fn content_type(marketplace: Option<Marketplace>, encoding: crate::state::ReportEncoding) -> String {
    use crate::state::ReportEncoding;
    match (encoding, marketplace) {
        (ReportEncoding::Utf8, _) => "text/plain; charset=UTF-8".to_string(),
        (ReportEncoding::LegacyLabelled, Some(Marketplace::Jp)) => "text/plain; charset=Windows-31J".to_string(),
        (ReportEncoding::LegacyLabelled, _) => "text/plain; charset=Cp1252".to_string(),
        (ReportEncoding::LegacyUnlabelled, _) => "application/octet-stream".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_each_marketplace_family() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 7).unwrap();
        assert_eq!(format_date(date, Marketplace::Us.feedback_date_format()), "3/7/26");
        assert_eq!(format_date(date, Marketplace::De.feedback_date_format()), "7.3.26");
        assert_eq!(format_date(date, Marketplace::Jp.feedback_date_format()), "26/3/7");
        assert_eq!(format_date(date, Marketplace::Se.feedback_date_format()), "2026-03-07");
        assert_eq!(format_date(date, Marketplace::Uk.feedback_date_format()), "7/3/26");
    }

    #[test]
    fn report_has_header_and_one_line_per_row() {
        let row = FeedbackRow {
            date: NaiveDate::from_ymd_opt(2026, 3, 7).unwrap(),
            rating: 1,
            comment: "late\r\nand broken".into(),
            response: String::new(),
            order_id: "111-1234567-1234567".into(),
            rater_email: "x@marketplace.amazon.com".into(),
        };
        let text = render_report(Marketplace::De, &[&row]);
        let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("Datum\tBewertung"));
        assert_eq!(lines[1].split('\t').count(), 6);
        assert!(lines[1].contains("late  and broken"), "line breaks flattened: {}", lines[1]);
    }
}
