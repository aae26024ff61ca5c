//! Exit codes: a documented contract for CI (see the README), in the convention of
//! `terraform plan -detailed-exitcode`; and the error types that carry more than a message:
//! a refusal (its own exit code) and the clean-up notes that follow a failure.

use std::fmt;

/// Success, or nothing to change.
pub const SUCCESS: u8 = 0;
/// An error: bad input, a failed call, a template that cannot be rendered.
pub const ERROR: u8 = 1;
/// `plan --detailed-exitcode`: changes are present.
pub const CHANGES: u8 = 2;
/// A change needs approval and nobody gave it (no terminal and no `--yes`).
pub const APPROVAL_NEEDED: u8 = 3;
/// A deploy failed and the stack rolled back.
pub const ROLLED_BACK: u8 = 4;
/// Refused for safety before anything changed: a stack harden does not own (or of another
/// blueprint), a name that is already taken in the account, a parameter that would switch off
/// a control of the chosen tier without a waiver.
pub const REFUSED: u8 = 5;

/// A refusal to protect what exists or what the tier promises. Nothing was changed.
#[derive(Debug)]
pub struct Refusal(pub String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

/// `Err(Refusal)` as an `anyhow` error.
pub fn refuse<T>(message: impl Into<String>) -> anyhow::Result<T> {
    Err(Refusal(message.into()).into())
}

/// A failure and what harden did about it afterwards (change sets deleted, an empty stack
/// removed). The failure is the headline; each note is a `note:` line after it.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong.
    pub error: anyhow::Error,
    /// What was cleaned up, or is left for the user, one line each.
    pub notes: Vec<String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// Adds clean-up notes (lines of `notes`; empty adds nothing) to an error, keeping the error
/// as the headline.
pub fn with_notes(error: anyhow::Error, notes: &str) -> anyhow::Error {
    let lines: Vec<String> = notes
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    if lines.is_empty() {
        return error;
    }
    match error.downcast::<Failure>() {
        Ok(mut f) => {
            f.notes.extend(lines);
            f.into()
        }
        Err(error) => Failure {
            error,
            notes: lines,
        }
        .into(),
    }
}

/// The exit code and the lines to print for an error. A closed pipe on stdout (`harden
/// controls | head -1`) is a normal end: exit 0, nothing printed.
pub fn report(error: anyhow::Error, verbose: bool) -> (u8, Vec<String>) {
    let (error, notes) = match error.downcast::<Failure>() {
        Ok(f) => (f.error, f.notes),
        Err(e) => (e, Vec::new()),
    };
    let broken_pipe = error.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return (SUCCESS, Vec::new());
    }
    let code = if error.chain().any(|c| c.is::<Refusal>()) {
        REFUSED
    } else {
        ERROR
    };
    let mut lines = Vec::new();
    let mut chain = error.chain();
    if let Some(top) = chain.next() {
        lines.push(format!("error: {top}"));
        if let Some(d) = top.downcast_ref::<crate::diag::Diagnostic>() {
            lines.extend(d.detail_lines());
        }
    }
    for cause in chain {
        lines.push(format!("caused by: {cause}"));
        if let Some(d) = cause.downcast_ref::<crate::diag::Diagnostic>() {
            lines.extend(d.detail_lines());
        }
    }
    if verbose {
        for c in error.chain() {
            if let Some(raw) = c.downcast_ref::<crate::deploy::aws::AwsError>() {
                lines.push(format!("raw error: {}", raw.raw));
            }
        }
    }
    for n in notes {
        lines.push(format!("note: {n}"));
    }
    (code, lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_failure_is_the_headline_and_clean_up_a_note() {
        let e = with_notes(
            anyhow::anyhow!("writing the plan to `/nonexistent/plan.json`"),
            "deleted the unexecuted change set of stack `app`",
        );
        let (code, lines) = report(e, false);
        assert_eq!(code, ERROR);
        assert_eq!(
            lines,
            [
                "error: writing the plan to `/nonexistent/plan.json`",
                "note: deleted the unexecuted change set of stack `app`"
            ]
        );
    }

    #[test]
    fn a_refusal_exits_5_even_with_notes() {
        let e = with_notes(Refusal("not harden's".into()).into(), "a\nb");
        let (code, lines) = report(e, false);
        assert_eq!(code, REFUSED);
        assert_eq!(lines, ["error: not harden's", "note: a", "note: b"]);
    }

    #[test]
    fn a_closed_pipe_is_a_normal_end() {
        let e = anyhow::Error::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert_eq!(report(e, false), (SUCCESS, Vec::new()));
    }
}
