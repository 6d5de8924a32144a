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

    /// The reader of stdout went away (`unicrm … | head -1`): the command ends quietly with
    /// exit 0, as a Unix filter does.
    pub fn stdout_closed() -> Self {
        CliError {
            code: 0,
            message: String::new(),
        }
    }

    /// Whether this is [`CliError::stdout_closed`].
    pub fn is_stdout_closed(&self) -> bool {
        self.code == 0
    }

    /// Prints the message on one line and returns the exit code (nothing for a closed stdout).
    pub fn report(&self) -> ExitCode {
        if self.is_stdout_closed() {
            return ExitCode::SUCCESS;
        }
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
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return CliError::stdout_closed();
        }
        CliError::runtime(format!("I/O error: {e}"))
    }
}

impl From<serde_json::Error> for CliError {
    fn from(e: serde_json::Error) -> Self {
        if e.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe) {
            return CliError::stdout_closed();
        }
        CliError::runtime(format!("JSON error: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_pipe_is_a_quiet_success() {
        let e: CliError = std::io::Error::from(std::io::ErrorKind::BrokenPipe).into();
        assert!(e.is_stdout_closed());
        assert_eq!(e.report(), ExitCode::SUCCESS);
        let j: CliError =
            serde_json::Error::io(std::io::Error::from(std::io::ErrorKind::BrokenPipe)).into();
        assert!(j.is_stdout_closed());
        let other: CliError = std::io::Error::from(std::io::ErrorKind::PermissionDenied).into();
        assert_eq!((other.code, other.is_stdout_closed()), (1, false));
        assert!(!CliError::runtime("x").is_stdout_closed());
        assert!(!CliError::usage("x").is_stdout_closed());
    }
}
