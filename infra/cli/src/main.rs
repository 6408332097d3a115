//! `autopilot`: see the library (`autopilot_cli`) for the commands.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use autopilot_shared::domain::SystemClock;

#[tokio::main]
async fn main() -> ExitCode {
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            flag.store(true, Ordering::SeqCst);
            // A second Ctrl-C stops at once.
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    let (mut out, mut err, mut stdin) = (std::io::stdout(), std::io::stderr(), std::io::stdin());
    let tty = out.is_terminal();
    let mut io = autopilot_cli::Io {
        out: &mut out,
        err: &mut err,
        stdin: &mut stdin,
        tty,
        vars: std::env::vars().collect(),
        clock: Arc::new(SystemClock),
        interrupted,
    };
    ExitCode::from(autopilot_cli::run(std::env::args().skip(1).collect(), &mut io).await)
}
