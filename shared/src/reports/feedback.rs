//! GET_SELLER_FEEDBACK_DATA: tab-separated text with a localized header row and the columns
//! Date, Rating, Comments, Response, Order ID, Rater Email (older files add Arrived on Time,
//! Item as Described, Customer Service). Dates follow the marketplace's format.
//!
//! Columns are found by their (localized) header names when they are known, by position
//! otherwise. The Rater Email column is never read into anything. A malformed row is reported
//! with its line number and the rest of the report is kept.

use chrono::NaiveDate;
use thiserror::Error;

use crate::domain::feedback::Feedback;
use crate::domain::{FeedbackDateFormat, Marketplace, OrderId};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReportError {
    #[error("the report is empty (no header row)")]
    Empty,
    #[error("line 1: the header has {0} column(s); a feedback report has at least 5")]
    Header(usize),
}

/// A row that could not be read, with its 1-based line number in the document.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {message}")]
pub struct RowError {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedReport {
    pub feedback: Vec<Feedback>,
    pub rejected: Vec<RowError>,
}

#[derive(Debug, Clone, Copy)]
struct Columns {
    date: usize,
    rating: usize,
    comment: usize,
    response: Option<usize>,
    order_id: usize,
}

/// Header names per column, lower-cased, across the marketplaces' languages.
const DATE: &[&str] = &["date", "datum", "data", "fecha", "日付", "tarih", "datum van"];
const RATING: &[&str] = &[
    "rating",
    "bewertung",
    "évaluation",
    "evaluation",
    "valutazione",
    "valoración",
    "valoracion",
    "評価",
    "beoordeling",
    "betyg",
    "ocena",
    "puan",
];
const COMMENT: &[&str] = &[
    "comments",
    "comment",
    "kommentare",
    "kommentar",
    "commentaires",
    "commenti",
    "comentarios",
    "コメント",
    "opmerkingen",
    "kommentarer",
    "komentarze",
    "yorumlar",
];
const RESPONSE: &[&str] = &[
    "your response",
    "response",
    "ihre antwort",
    "antwort",
    "votre réponse",
    "réponse",
    "la tua risposta",
    "risposta",
    "tu respuesta",
    "respuesta",
    "対応",
    "antwoord",
    "svar",
    "odpowiedź",
    "yanıt",
];
const ORDER_ID: &[&str] = &[
    "order id",
    "order-id",
    "bestellnummer",
    "numéro de commande",
    "numero ordine",
    "número de pedido",
    "注文番号",
    "bestelnummer",
    "ordernummer",
    "numer zamówienia",
    "sipariş numarası",
];

fn find(header: &[String], names: &[&str]) -> Option<usize> {
    header.iter().position(|h| names.contains(&h.as_str()))
}

fn columns(header: &[String]) -> Columns {
    match (find(header, DATE), find(header, RATING), find(header, COMMENT), find(header, ORDER_ID)) {
        (Some(date), Some(rating), Some(comment), Some(order_id)) => {
            Columns { date, rating, comment, response: find(header, RESPONSE), order_id }
        }
        // Unknown language: Amazon's column order is fixed.
        _ => Columns { date: 0, rating: 1, comment: 2, response: Some(3), order_id: 4 },
    }
}

/// Parse a whole document (already decompressed).
pub fn parse_feedback_report(text: &str, marketplace: Marketplace) -> Result<ParsedReport, ReportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // LF or CRLF; a document with only CRs (old Mac line ends) has them as its line breaks.
    let separator = if text.contains('\n') { '\n' } else { '\r' };
    let mut lines = text.split(separator).enumerate().map(|(n, line)| (n + 1, line.strip_suffix('\r').unwrap_or(line)));
    let (_, header_line) = lines.by_ref().find(|(_, line)| !line.trim().is_empty()).ok_or(ReportError::Empty)?;
    let header: Vec<String> = header_line.split('\t').map(|h| h.trim().to_lowercase()).collect();
    if header.len() < 5 {
        return Err(ReportError::Header(header.len()));
    }
    let columns = columns(&header);
    let mut report = ParsedReport::default();
    for (line, row) in lines {
        if row.trim().is_empty() {
            continue;
        }
        // A stray tab in a comment would shift every later cell into the wrong column: such a
        // row is rejected whole (its cells are not echoed: they may hold the rater's e-mail).
        let width = row.split('\t').count();
        if width != header.len() {
            let message = format!("the row has {width} columns, the header {}", header.len());
            report.rejected.push(RowError { line, message });
            continue;
        }
        match parse_row(row, columns, marketplace) {
            Ok(feedback) => report.feedback.push(feedback),
            Err(message) => report.rejected.push(RowError { line, message }),
        }
    }
    Ok(report)
}

fn parse_row(row: &str, columns: Columns, marketplace: Marketplace) -> Result<Feedback, String> {
    let cells: Vec<&str> = row.split('\t').collect();
    let cell = |index: usize, name: &str| -> Result<&str, String> {
        cells
            .get(index)
            .map(|c| c.trim())
            .ok_or_else(|| format!("{name}: missing (the row has {} column(s))", cells.len()))
    };
    let date_text = cell(columns.date, "Date")?;
    // Reasons name the column and what was expected, never the cell: a shifted cell can be
    // the rater's e-mail or the buyer's words.
    let date = parse_date(date_text, marketplace.feedback_date_format())
        .ok_or_else(|| format!("Date: not a {} date", format_name(marketplace.feedback_date_format())))?;
    let rating_text = cell(columns.rating, "Rating")?;
    let rating = rating_text
        .parse::<u8>()
        .ok()
        .filter(|r| (1..=5).contains(r))
        .ok_or_else(|| "Rating: not a number from 1 to 5".to_string())?;
    let order_text = cell(columns.order_id, "Order ID")?;
    let order_id = OrderId::parse(order_text).map_err(|_| "Order ID: not a 3-7-7 digit order id".to_string())?;
    let comment = normalize(cell(columns.comment, "Comments").unwrap_or(""));
    let response = columns.response.and_then(|i| cells.get(i)).map(|r| normalize(r)).filter(|r| !r.is_empty());
    Ok(Feedback { marketplace, order_id, date, rating, comment, response })
}

/// Runs of white space (including non-breaking spaces) become one space.
fn normalize(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '\u{a0}').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

fn format_name(format: FeedbackDateFormat) -> &'static str {
    match format {
        FeedbackDateFormat::MonthDayYear => "M/D/YY",
        FeedbackDateFormat::DayMonthYearDotted => "D.M.YY",
        FeedbackDateFormat::YearMonthDay => "YY/M/D",
        FeedbackDateFormat::Iso => "YYYY-MM-DD",
        FeedbackDateFormat::DayMonthYear => "D/M/YY",
    }
}

/// Digits only (no sign, no spaces), one or two of them for a day or month.
fn number(text: &str, max_len: usize) -> Option<u32> {
    (!text.is_empty() && text.len() <= max_len && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// A two-digit year is 20YY; a four-digit one must be a year feedback can have (2000-2199).
fn year(text: &str) -> Option<i32> {
    let value = i32::try_from(number(text, 4)?).ok()?;
    match text.len() {
        2 => Some(2000 + value),
        4 if (2000..2200).contains(&value) => Some(value),
        _ => None,
    }
}

/// A date in the marketplace's format (two- or four-digit years).
pub fn parse_date(text: &str, format: FeedbackDateFormat) -> Option<NaiveDate> {
    let separator = match format {
        FeedbackDateFormat::DayMonthYearDotted => '.',
        FeedbackDateFormat::Iso => '-',
        _ => '/',
    };
    let parts: Vec<&str> = text.split(separator).collect();
    let [a, b, c] = parts.as_slice() else { return None };
    let (y, m, d) = match format {
        FeedbackDateFormat::MonthDayYear => (year(c)?, number(a, 2)?, number(b, 2)?),
        FeedbackDateFormat::DayMonthYearDotted | FeedbackDateFormat::DayMonthYear => {
            (year(c)?, number(b, 2)?, number(a, 2)?)
        }
        FeedbackDateFormat::YearMonthDay | FeedbackDateFormat::Iso => (year(a)?, number(b, 2)?, number(c, 2)?),
    };
    NaiveDate::from_ymd_opt(y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn every_date_family_parses() {
        assert_eq!(parse_date("3/7/26", FeedbackDateFormat::MonthDayYear), Some(d(2026, 3, 7)));
        assert_eq!(parse_date("7.3.26", FeedbackDateFormat::DayMonthYearDotted), Some(d(2026, 3, 7)));
        assert_eq!(parse_date("26/3/7", FeedbackDateFormat::YearMonthDay), Some(d(2026, 3, 7)));
        assert_eq!(parse_date("2026-03-07", FeedbackDateFormat::Iso), Some(d(2026, 3, 7)));
        assert_eq!(parse_date("7/3/26", FeedbackDateFormat::DayMonthYear), Some(d(2026, 3, 7)));
        assert_eq!(parse_date("13/13/26", FeedbackDateFormat::DayMonthYear), None);
        assert_eq!(parse_date("2026-03-07", FeedbackDateFormat::MonthDayYear), None);
    }

    #[test]
    fn bom_crlf_extra_legacy_columns_and_odd_whitespace() {
        let text = "\u{feff}Date\tRating\tComments\tArrived on Time\tItem as Described\tCustomer Service\tYour Response\tOrder ID\tRater Email\r\n\
                    3/7/26\t1\t  Never   arrived\u{a0}at all \tNo\tNo\tNo\t\t111-1234567-1234567\tabc@marketplace.amazon.com\r\n\
                    \r\n\
                    3/8/26\t3\t\tYes\tYes\tYes\tSorry!\t111-1234567-7654321\tdef@marketplace.amazon.com\r\n";
        let report = parse_feedback_report(text, Marketplace::Us).unwrap();
        assert!(report.rejected.is_empty(), "{:?}", report.rejected);
        assert_eq!(report.feedback.len(), 2);
        assert_eq!(report.feedback[0].comment, "Never arrived at all");
        assert_eq!(report.feedback[0].response, None);
        assert_eq!(report.feedback[1].comment, "");
        assert_eq!(report.feedback[1].response.as_deref(), Some("Sorry!"));
        assert_eq!(report.feedback[1].order_id.as_str(), "111-1234567-7654321");
    }

    #[test]
    fn a_bad_row_names_its_line_and_the_rest_is_kept() {
        let text = "Datum\tBewertung\tKommentare\tIhre Antwort\tBestellnummer\tE-Mail-Adresse des Bewerters\n\
                    7.3.26\t1\tKaputt\t\t302-1234567-1234567\tx@y.de\n\
                    32.3.26\t1\tKaputt\t\t302-1234567-1234568\tx@y.de\n\
                    7.3.26\t9\tKaputt\t\t302-1234567-1234569\tx@y.de\n\
                    7.3.26\t2\tKaputt\t\t302-12345\tx@y.de\n\
                    8.3.26\t2\tSpät\t\t302-1234567-1234570\tx@y.de\n";
        let report = parse_feedback_report(text, Marketplace::De).unwrap();
        assert_eq!(report.feedback.len(), 2);
        let lines: Vec<usize> = report.rejected.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4, 5]);
        assert!(report.rejected[0].message.contains("Date") && report.rejected[0].message.contains("D.M.YY"));
        assert!(report.rejected[1].message.contains("Rating"));
        assert!(report.rejected[2].message.contains("Order ID"));
    }

    #[test]
    fn a_row_whose_column_count_differs_from_the_header_is_rejected_not_shifted() {
        // a stray tab inside the comment: six cells would become seven
        let text = "Date\tRating\tComments\tYour Response\tOrder ID\tRater Email\n\
                    3/7/26\t1\tBroken\tand late\t\t111-1234567-1234567\trater@example.com\n\
                    3/7/26\t2\tLate\t\t111-1234567-1234568\n\
                    3/8/26\t2\tLate\t\t111-1234567-1234569\tr@example.com\n";
        let report = parse_feedback_report(text, Marketplace::Us).unwrap();
        assert_eq!(report.feedback.len(), 1);
        assert_eq!(report.feedback[0].order_id.as_str(), "111-1234567-1234569");
        let rejected: Vec<(usize, &str)> = report.rejected.iter().map(|e| (e.line, e.message.as_str())).collect();
        assert_eq!(
            rejected,
            vec![(2, "the row has 7 columns, the header 6"), (3, "the row has 5 columns, the header 6")]
        );
        assert!(report.rejected.iter().all(|e| !e.to_string().contains("rater@")), "no cell is echoed");
    }

    #[test]
    fn impossible_dates_are_rejected() {
        for text in ["11/3/-1", "11/3/0026", "11/3/2260", "+1/3/26", "1/ 3/26", "11/3/026", "111/3/26", "3/7/26x"] {
            assert_eq!(parse_date(text, FeedbackDateFormat::MonthDayYear), None, "{text}");
        }
        assert_eq!(parse_date("11/3/2026", FeedbackDateFormat::MonthDayYear), Some(d(2026, 11, 3)));
    }

    #[test]
    fn cr_only_line_endings_are_line_breaks() {
        let text = "Date\tRating\tComments\tYour Response\tOrder ID\tRater Email\r\
                    3/7/26\t1\tBroken\t\t111-1234567-1234567\ta@b.c\r\
                    3/8/26\t2\tLate\t\t111-1234567-1234568\ta@b.c\r";
        let report = parse_feedback_report(text, Marketplace::Us).unwrap();
        assert_eq!(report.feedback.len(), 2, "{report:?}");
        assert_eq!(report.feedback[1].comment, "Late");
    }

    #[test]
    fn a_rejection_never_quotes_the_cell() {
        let text = "Date\tRating\tComments\tYour Response\tOrder ID\tRater Email\n\
                    x@y.example\t1\tBroken\t\t111-1234567-1234567\ta@b.c\n\
                    3/7/26\tjane.doe@example.com\tBroken\t\t111-1234567-1234567\ta@b.c\n\
                    3/7/26\t1\tBroken\t\t+1 555 0100 call me\ta@b.c\n";
        let report = parse_feedback_report(text, Marketplace::Us).unwrap();
        assert_eq!(report.rejected.len(), 3);
        for error in &report.rejected {
            let shown = error.to_string();
            assert!(!shown.contains('@') && !shown.contains("555"), "{shown}");
        }
    }

    #[test]
    fn no_header_is_an_error() {
        assert_eq!(parse_feedback_report("\r\n  \n", Marketplace::Us), Err(ReportError::Empty));
        assert_eq!(parse_feedback_report("a\tb\n", Marketplace::Us), Err(ReportError::Header(2)));
    }
}
