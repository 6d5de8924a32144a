//! Exit codes and the one-line error report.

use std::process::ExitCode;

/// A failure, with the exit code it maps to: 1 runtime, 2 usage.
#[derive(Debug)]
pub struct CliError {
    /// Exit code.
    pub code: u8,
    /// One line for stderr.
    pub message: String,
}

impl CliError {
    /// A runtime failure (exit 1).
    pub fn runtime(message: impl Into<String>) -> Self {
        CliError {
            code: 1,
            message: message.into(),
        }
    }

    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            code: 2,
            message: message.into(),
        }
    }

    /// Prints the message on one line and returns the exit code.
    pub fn report(&self) -> ExitCode {
        let one_line = self.message.replace(['\n', '\r'], " ");
        eprintln!("unicrm: error: {one_line}");
        ExitCode::from(self.code)
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

impl From<unicrm_core::Error> for CliError {
    fn from(e: unicrm_core::Error) -> Self {
        CliError::runtime(e.to_string())
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::runtime(format!("I/O error: {e}"))
    }
}

impl From<serde_json::Error> for CliError {
    fn from(e: serde_json::Error) -> Self {
        CliError::runtime(format!("JSON error: {e}"))
    }
}
