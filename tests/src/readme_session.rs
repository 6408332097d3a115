//! README's session blocks against the demo's output: every line README shows between
//! `<!-- demo-session -->` and `<!-- /demo-session -->` (inside its code fences) must appear in
//! what the demo printed, in the same order, so the session README shows is one that ran.
//! A line `...` in README stands for lines left out.

/// The lines of README's session blocks (fences and `...` left out).
pub fn session_lines(readme: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let (mut inside, mut fenced) = (false, false);
    for line in readme.lines() {
        match line.trim() {
            "<!-- demo-session -->" => inside = true,
            "<!-- /demo-session -->" => inside = false,
            t if inside && t.starts_with("```") => fenced = !fenced,
            t if !inside || !fenced || t == "..." || t.is_empty() => {}
            _ => lines.push(line.trim_end()),
        }
    }
    lines
}

/// Checks README's session lines against the demo's output (each output line compared
/// without the demo's three-space indent). Returns how many lines were checked, or the first
/// README line not found after the one before it.
pub fn check(readme: &str, output: &str) -> Result<usize, String> {
    let wanted = session_lines(readme);
    if wanted.is_empty() {
        return Err("README has no <!-- demo-session --> block".into());
    }
    let printed: Vec<&str> = output.lines().map(|l| l.strip_prefix("   ").unwrap_or(l).trim_end()).collect();
    let mut at = 0;
    for (n, line) in wanted.iter().enumerate() {
        match printed[at..].iter().position(|p| p == line) {
            Some(found) => at += found + 1,
            None => {
                let after = if n == 0 { String::new() } else { format!(" after {:?}", wanted[n - 1]) };
                return Err(format!("README's session line {:?} is not in the demo's output{after}", line));
            }
        }
    }
    Ok(wanted.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const README: &str = "intro\n<!-- demo-session -->\n```\n$ autopilot status\nmkt  orders\n...\n```\nprose between\n```\nUS   12\n```\n<!-- /demo-session -->\n$ not checked\n";

    #[test]
    fn a_session_printed_in_order_passes() {
        let output = "== stage\n   $ autopilot status\n   mkt  orders\n   ---\n   US   12\n";
        assert_eq!(check(README, output), Ok(3));
    }

    #[test]
    fn a_changed_or_reordered_line_fails_naming_it() {
        let changed = "   $ autopilot status\n   mkt  orders\n   US   13\n";
        assert!(check(README, changed).unwrap_err().contains("\"US   12\""));
        let reordered = "   mkt  orders\n   $ autopilot status\n   US   12\n";
        assert!(check(README, reordered).unwrap_err().contains("\"mkt  orders\""));
        assert!(check("no block", "anything").is_err());
    }
}
