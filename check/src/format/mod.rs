//! The outputs of a check: text for people (grouped by resource, with the fix), JSON for
//! machines, SARIF for code scanning, Markdown for a pull-request comment, and the rule
//! registry's listing.

pub mod json;
pub mod list;
pub mod markdown;
pub mod sarif;
pub mod text;

/// An output format of `harden check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Grouped by file and resource, with the fix.
    Text,
    /// `{"findings": [...]}`.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub-flavoured Markdown, for a pull-request comment.
    Markdown,
}

/// Renders a report in a format.
pub fn render(report: &crate::Report, format: Format, notes: &[String]) -> String {
    match format {
        Format::Text => text::render(report, notes),
        Format::Json => json::render(report, notes),
        Format::Sarif => sarif::render(report, notes),
        Format::Markdown => markdown::render(report, notes),
    }
}
