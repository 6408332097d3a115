//! Tables for people, JSON for scripts.

use std::io::Write;

use crate::CliError;

/// Columns padded to their widest cell, a header row and a rule.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut text = line(headers.to_vec());
    text.push('\n');
    text.push_str(&line(
        widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().iter().map(String::as_str).collect(),
    ));
    for row in rows {
        text.push('\n');
        text.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    text
}

/// Write `value` as pretty JSON.
pub fn json(out: &mut dyn Write, value: &serde_json::Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|err| CliError::Failed(err.to_string()))?;
    writeln!(out, "{text}").map_err(|err| CliError::Failed(format!("writing the output: {err}")))
}

/// Write a line of text.
pub fn line(out: &mut dyn Write, text: impl std::fmt::Display) -> Result<(), CliError> {
    writeln!(out, "{text}").map_err(|err| CliError::Failed(format!("writing the output: {err}")))
}

/// A time as operators read it (UTC, to the minute).
pub fn time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

/// A JSON value as text: a string without its quotes, anything else as JSON.
pub fn text(value: &serde_json::Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_string)
}

/// An RFC 3339 time in a JSON value as operators read it, or `missing` when there is none.
pub fn json_time(value: &serde_json::Value, missing: &str) -> String {
    value
        .as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map_or_else(|| missing.to_string(), |t| time(t.with_timezone(&chrono::Utc)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_values_read_as_text() {
        assert_eq!(super::text(&serde_json::json!("US")), "US");
        assert_eq!(super::text(&serde_json::json!(3)), "3");
        assert_eq!(super::json_time(&serde_json::json!("2026-03-16T07:58:30Z"), "never"), "2026-03-16 07:58");
        assert_eq!(super::json_time(&serde_json::Value::Null, "never"), "never");
    }

    #[test]
    fn columns_line_up() {
        let text = super::table(&["a", "bb"], &[vec!["long".into(), "x".into()]]);
        assert_eq!(text, "a     bb\n----  --\nlong  x");
    }
}
