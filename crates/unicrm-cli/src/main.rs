//! `unicrm`: the command line of unicrm.
#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("demo") => {
            eprintln!(
                "unicrm demo: not available yet — the demo arrives with the CLI issue (#8), after the simulators and adapters"
            );
            ExitCode::from(1)
        }
        _ => {
            eprintln!("usage: unicrm demo");
            ExitCode::from(2)
        }
    }
}
