//! `readme-session README OUTPUT`: README's session blocks must appear in the demo's output
//! (`autopilot_tests::readme_session`). Exits 1 naming the first line that does not.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [readme, output] = args.as_slice() else {
        eprintln!("usage: readme-session README.md DEMO_OUTPUT");
        return ExitCode::from(2);
    };
    let read = |path: &str| std::fs::read_to_string(path).map_err(|err| format!("{path}: {err}"));
    match read(readme).and_then(|r| Ok((r, read(output)?))) {
        Ok((readme, output)) => match autopilot_tests::readme_session::check(&readme, &output) {
            Ok(lines) => {
                println!("readme-session: {lines} lines of README's session are in the demo's output");
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("readme-session: {err}");
                ExitCode::FAILURE
            }
        },
        Err(err) => {
            eprintln!("readme-session: {err}");
            ExitCode::from(2)
        }
    }
}
