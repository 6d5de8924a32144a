//! `unicrm`: the command line of unicrm. See the `unicrm_cli` library for the commands.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    unicrm_cli::main()
}
