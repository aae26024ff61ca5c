//! Diagnostics: the one shape of an error a user can cause and fix. A message that names the
//! real failure, the place in a file with the line and a caret under the culprit when there is
//! one, what is allowed there, and a `hint:` with the fix; rendered like `rustc`, `just` or
//! `miette`:
//!
//! ```text
//! error: unknown key `regoin` in an environment
//!  --> harden.yaml:5:5
//!   |
//! 5 |     regoin: us-east-1
//!   |     ^^^^^^
//!   = allowed: account, region, tier, approval, allow_data_loss, allow_broadening, profile, deploy_role, params
//! hint: did you mean `region`?
//! ```
//!
//! A diagnostic travels inside `anyhow::Error` like any other error ([`crate::exit::report`]
//! renders it); the clean-up notes of a failure stay `note:` lines after it, never the headline.

use std::fmt;

/// Where in a file a diagnostic points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The file, as the user would type it.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// How many characters to underline (at least one).
    pub len: usize,
    /// The text of that line.
    pub text: String,
}

impl Place {
    /// The place at `line:column` (1-based) of `source`, underlining `len` characters.
    pub fn in_source(file: &str, source: &str, line: usize, column: usize, len: usize) -> Place {
        let text = source
            .lines()
            .nth(line.saturating_sub(1))
            .unwrap_or("")
            .trim_end_matches('\r')
            .to_string();
        Place {
            file: file.to_string(),
            line: line.max(1),
            column: column.max(1),
            len: len.max(1),
            text,
        }
    }
}

/// An error a user can cause, with what they need to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong, in one line.
    pub message: String,
    /// Where, if it is in a file.
    pub place: Option<Box<Place>>,
    /// What is allowed there (the keys of a map, the values of a choice).
    pub allowed: Option<String>,
    /// How to fix it.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with only a message.
    pub fn new(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            place: None,
            allowed: None,
            hint: None,
        }
    }

    /// Points it at a place.
    pub fn at(mut self, place: Place) -> Diagnostic {
        self.place = Some(Box::new(place));
        self
    }

    /// Says what is allowed.
    pub fn allowed(mut self, allowed: impl Into<String>) -> Diagnostic {
        self.allowed = Some(allowed.into());
        self
    }

    /// Adds the fix.
    pub fn hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    /// The lines after the `error:` headline: the place with its snippet, what is allowed,
    /// the hint.
    pub fn detail_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(p) = &self.place {
            let num = p.line.to_string();
            let pad = " ".repeat(num.len());
            out.push(format!("{pad}--> {}:{}:{}", p.file, p.line, p.column));
            out.push(format!("{pad} |"));
            out.push(format!("{num} | {}", p.text).trim_end().to_string());
            let lead: String = p
                .text
                .chars()
                .take(p.column - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let room = p.text.chars().count().saturating_sub(p.column - 1).max(1);
            out.push(format!("{pad} | {lead}{}", "^".repeat(p.len.min(room))));
        }
        if let Some(a) = &self.allowed {
            let pad = self.place.as_ref().map_or(0, |p| p.line.to_string().len());
            out.push(format!("{} = allowed: {a}", " ".repeat(pad)));
        }
        if let Some(h) = &self.hint {
            out.push(format!("hint: {h}"));
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

/// The closest of `candidates` to `word`, if one is close enough to be what was meant.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.88)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_shows_the_line_and_a_caret_under_the_culprit() {
        let src = "project: demo\nenvironments:\n  dev:\n    regoin: us-east-1\n";
        let d = Diagnostic::new("unknown key `regoin` in an environment")
            .at(Place::in_source("harden.yaml", src, 4, 5, 6))
            .allowed("account, region")
            .hint("did you mean `region`?");
        assert_eq!(
            d.detail_lines(),
            [
                " --> harden.yaml:4:5",
                "  |",
                "4 |     regoin: us-east-1",
                "  |     ^^^^^^",
                "  = allowed: account, region",
                "hint: did you mean `region`?",
            ]
        );
    }

    #[test]
    fn close_words_are_suggested_and_far_ones_not() {
        assert_eq!(
            did_you_mean("regoin", ["account", "region"]),
            Some("region")
        );
        assert_eq!(
            did_you_mean("sagemaker-vcp", ["sagemaker-vpc", "batch-fargate"]),
            Some("sagemaker-vpc")
        );
        assert_eq!(did_you_mean("zzz", ["account", "region"]), None);
    }
}
