//! `log-scan DIR|FILE...`: every `.jsonl` log line under the arguments through
//! `autopilot_tests::log_scan::findings`. Prints each finding as file:line and what it is (never
//! the line itself), then a summary; exits 1 on any finding, 2 when there was nothing to read.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(path).into_iter().flatten().flatten().map(|e| e.path()).collect();
        entries.sort();
        for entry in entries {
            files(&entry, out);
        }
    } else if path.extension().is_some_and(|e| e == "jsonl") {
        out.push(path.to_path_buf());
    }
}

fn main() -> ExitCode {
    let mut paths = Vec::new();
    for arg in std::env::args().skip(1) {
        files(Path::new(&arg), &mut paths);
    }
    let (mut lines, mut found) = (0usize, 0usize);
    for path in &paths {
        let Ok(text) = std::fs::read(path) else {
            eprintln!("log-scan: cannot read {}", path.display());
            return ExitCode::from(2);
        };
        for (n, line) in String::from_utf8_lossy(&text).lines().enumerate() {
            lines += 1;
            for what in autopilot_tests::log_scan::findings(line) {
                found += 1;
                println!("{}:{}: {what}", path.display(), n + 1);
            }
        }
    }
    println!("log scan: {lines} lines in {} files, {found} findings", paths.len());
    if lines == 0 {
        eprintln!("log-scan: no log lines found");
        return ExitCode::from(2);
    }
    if found > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
