//! The one output sink: everything harden shows goes through a [`Console`] that the command
//! line makes once and passes to the operations. Data (a plan in `--format json`, status,
//! lists) goes to stdout; what people read (the plan of a deploy, progress, notes, prompts)
//! to stderr. Whether a person can be asked, whether to colour, whether to draw a progress
//! bar and how often to poll are decided here, once, from the environment (`CI`, `NO_COLOR`,
//! `HARDEN_POLL_MS`) and the terminals: the operations never read the environment. Tests make
//! a [`Console::captured`] and read back everything a person would have seen. Meaning never
//! rests on colour: every coloured mark also has words.

use std::collections::VecDeque;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where a stream goes.
enum Sink {
    Stdout,
    Stderr,
    Buffer(Vec<u8>),
}

struct Inner {
    out: Mutex<Sink>,
    err: Mutex<Sink>,
    color_out: bool,
    color_err: bool,
    interactive: bool,
    progress_bar: bool,
    poll: Duration,
    /// Answers a captured console gives to prompts, in order (none left: no).
    answers: Mutex<VecDeque<bool>>,
}

/// The output sink and what is known about the person in front of it.
#[derive(Clone)]
pub struct Console {
    inner: Arc<Inner>,
}

/// A writer to one of the console's streams.
pub struct Stream {
    console: Console,
    err: bool,
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let m = if self.err {
            &self.console.inner.err
        } else {
            &self.console.inner.out
        };
        let mut sink = m.lock().unwrap_or_else(|p| p.into_inner());
        match &mut *sink {
            Sink::Stdout => std::io::stdout().lock().write(buf),
            Sink::Stderr => std::io::stderr().lock().write(buf),
            Sink::Buffer(b) => {
                b.extend_from_slice(buf);
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.err {
            std::io::stderr().flush()
        } else {
            std::io::stdout().flush()
        }
    }
}

/// How often to poll CloudFormation when nothing says otherwise.
const DEFAULT_POLL: Duration = Duration::from_secs(2);

impl Console {
    /// The process's stdout and stderr, decided from the environment and the terminals:
    /// a person can be asked when stdin and stderr are terminals and `CI` is not set; colour
    /// when `NO_COLOR` is unset or empty and the stream is a terminal; a progress bar when a
    /// person is watching; `HARDEN_POLL_MS` sets the polling interval (tests against an
    /// emulator).
    pub fn from_env() -> Console {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let ci = std::env::var_os("CI").is_some();
        let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal() && !ci;
        let poll = std::env::var("HARDEN_POLL_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_millis)
            .unwrap_or(DEFAULT_POLL);
        Console::new(Inner {
            out: Mutex::new(Sink::Stdout),
            err: Mutex::new(Sink::Stderr),
            color_out: !no_color && std::io::stdout().is_terminal(),
            color_err: !no_color && std::io::stderr().is_terminal(),
            interactive,
            progress_bar: interactive,
            poll,
            answers: Mutex::new(VecDeque::new()),
        })
    }

    /// A console that keeps what is written, for tests: no colour, no progress bar, fast
    /// polling; with `answers`, a person is there and gives them to the prompts in order.
    pub fn captured(answers: &[bool]) -> Console {
        Console::new(Inner {
            out: Mutex::new(Sink::Buffer(Vec::new())),
            err: Mutex::new(Sink::Buffer(Vec::new())),
            color_out: false,
            color_err: false,
            interactive: !answers.is_empty(),
            progress_bar: false,
            poll: Duration::from_millis(10),
            answers: Mutex::new(answers.iter().copied().collect()),
        })
    }

    fn new(inner: Inner) -> Console {
        Console {
            inner: Arc::new(inner),
        }
    }

    /// Data: what a script reads.
    pub fn out(&self) -> Stream {
        Stream {
            console: self.clone(),
            err: false,
        }
    }

    /// What people read: plans of a deploy, progress, notes, prompts.
    pub fn err(&self) -> Stream {
        Stream {
            console: self.clone(),
            err: true,
        }
    }

    /// What a captured console's stdout received.
    pub fn stdout_text(&self) -> String {
        captured(&self.inner.out)
    }

    /// What a captured console's stderr received.
    pub fn stderr_text(&self) -> String {
        captured(&self.inner.err)
    }

    /// Whether a person can be asked.
    pub fn interactive(&self) -> bool {
        self.inner.interactive
    }

    /// Whether to colour what goes to stdout.
    pub fn color_stdout(&self) -> bool {
        self.inner.color_out
    }

    /// Whether to colour what goes to stderr.
    pub fn color_stderr(&self) -> bool {
        self.inner.color_err
    }

    /// Whether to draw a progress bar (a person is watching stderr; not tied to colour).
    pub fn progress_bar(&self) -> bool {
        self.inner.progress_bar
    }

    /// How often to poll a running operation.
    pub fn poll(&self) -> Duration {
        self.inner.poll
    }

    /// Asks a yes/no question; anything but `y` or `yes` is no, and so is Ctrl-C (so the
    /// caller can clean up instead of dying with change sets left behind).
    pub async fn confirm(&self, question: &str) -> bool {
        let mut err = self.err();
        let _ = write!(err, "{question} [y/N] ");
        let _ = err.flush();
        let captured = matches!(
            *self.inner.err.lock().unwrap_or_else(|p| p.into_inner()),
            Sink::Buffer(_)
        );
        if captured {
            let yes = self
                .inner
                .answers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop_front()
                .unwrap_or(false);
            let _ = writeln!(err, "{}", if yes { "y" } else { "n" });
            return yes;
        }
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
}

fn captured(m: &Mutex<Sink>) -> String {
    match &*m.lock().unwrap_or_else(|p| p.into_inner()) {
        Sink::Buffer(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    }
}

/// A progress bar of `total` `unit` (resources, instances) named `prefix`, drawn on stderr:
/// `total` unknown (`None`), a spinner with the count done.
pub fn progress_bar(prefix: &str, total: Option<u64>, unit: &str) -> indicatif::ProgressBar {
    let (bar, template) = match total {
        Some(n) => (
            indicatif::ProgressBar::new(n.max(1)),
            format!("{{prefix}} [{{bar:30}}] {{pos}}/{{len}} {unit}  {{wide_msg}}"),
        ),
        None => (
            indicatif::ProgressBar::new_spinner(),
            format!("{{prefix}} {{spinner}} {{pos}} {unit} done  {{wide_msg}}"),
        ),
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix(prefix.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
