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

    /// A failed CRM call, as one line naming the vendor, the resource, the operation and the
    /// id, with a hint where one is known (see [`crate::hints`]). Exit 1.
    pub fn crm(e: unicrm_core::Error, op: &crate::hints::Op<'_>) -> Self {
        CliError::runtime(crate::hints::line(&e, op))
    }

    /// The line printed on stderr: one line, secrets from the environment masked.
    pub fn line(&self) -> String {
        let secrets: Vec<String> = SECRET_VARS
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .collect();
        format!(
            "unicrm: error: {}",
            one_line(&self.message, secrets.iter().map(String::as_str))
        )
    }

    /// Prints the message on one line and returns the exit code (nothing for a closed stdout).
    pub fn report(&self) -> ExitCode {
        if self.is_stdout_closed() {
            return ExitCode::SUCCESS;
        }
        eprintln!("{}", self.line());
        ExitCode::from(self.code)
    }
}

/// Environment variables whose values are secrets: never printed, even if a vendor echoes one.
pub const SECRET_VARS: &[&str] = &[
    "CAPSULE_TOKEN",
    "CAPSULE_CLIENT_SECRET",
    "INSIGHTLY_API_KEY",
    "HIGHLEVEL_TOKEN",
    "HIGHLEVEL_CLIENT_SECRET",
];

/// `message` on one line, with each secret (of 4 characters or more) replaced by `[redacted]`.
pub fn one_line<'a>(message: &str, secrets: impl IntoIterator<Item = &'a str>) -> String {
    let mut s = message.replace(['\n', '\r'], " ");
    for secret in secrets {
        let secret = secret.trim();
        if secret.len() >= 4 {
            s = s.replace(secret, "[redacted]");
        }
    }
    s
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

    #[test]
    fn the_line_is_one_line_without_secrets() {
        assert_eq!(
            one_line(
                "bad token s3cr3t-t0ken\nsaid s3cr3t-t0ken\r",
                ["s3cr3t-t0ken", "", "ab"]
            ),
            "bad token [redacted] said [redacted] "
        );
        // Short values are not secrets worth masking (they would mask ordinary words).
        assert_eq!(one_line("a b", ["a"]), "a b");
        assert_eq!(one_line("abcd", ["abcd"]), "[redacted]");
        assert!(CliError::usage("x").line().starts_with("unicrm: error: x"));
        assert_eq!(CliError::runtime("x").report(), ExitCode::from(1));
        assert_eq!(CliError::usage("x").report(), ExitCode::from(2));
    }
}
