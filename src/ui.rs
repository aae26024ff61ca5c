//! Talking to the person at the terminal, when there is one: whether to ask, asking, and
//! whether colour is welcome (`NO_COLOR`, a terminal on the stream). Meaning never rests on
//! colour: every coloured mark also has words.

use std::io::{BufRead, IsTerminal, Write};

/// Whether a person can be asked: stdin and stderr are terminals and `CI` is not set.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal()
        && std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none()
}

/// Whether to colour what goes to stdout.
pub fn color_stdout() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// Whether to colour what goes to stderr.
pub fn color_stderr() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Asks a yes/no question on the terminal; anything but `y` or `yes` is no, and so is
/// Ctrl-C (so the caller can clean up instead of dying with change sets left behind).
pub async fn confirm(question: &str) -> bool {
    let mut err = std::io::stderr();
    let _ = write!(err, "{question} [y/N] ");
    let _ = err.flush();
    let read = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map(|_| line)
    });
    tokio::select! {
        line = read => matches!(
            line.ok().and_then(|l| l.ok()).map(|l| l.trim().to_ascii_lowercase()).as_deref(),
            Some("y" | "yes")
        ),
        _ = tokio::signal::ctrl_c() => {
            let _ = writeln!(err);
            false
        }
    }
}

/// Whether to draw a progress bar: a person is watching stderr. (Not tied to colour: a bar
/// under `NO_COLOR` is still a bar.)
pub fn progress_bar() -> bool {
    interactive()
}
