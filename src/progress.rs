//! A plain progress bar on standard error for long commands (`reindex`, `import`, `sync`):
//! bar, percentage, count, rate and time left, redrawn at most ten times a second. When
//! standard error is not a terminal it prints a line every tenth of the way instead.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One progress bar.
#[derive(Debug)]
pub struct Progress {
    label: String,
    total: u64,
    started: Instant,
    state: Mutex<(Instant, u64)>,
    terminal: bool,
}

impl Progress {
    /// A bar for `total` items (0 when unknown).
    pub fn new(label: impl Into<String>, total: u64) -> Self {
        Self {
            label: label.into(),
            total,
            started: Instant::now(),
            state: Mutex::new((Instant::now() - Duration::from_secs(1), 0)),
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// Reports `done` items so far.
    pub fn update(&self, done: u64) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let tenth = |n: u64| (n * 10).checked_div(self.total).unwrap_or(0);
        let due = if self.terminal {
            state.0.elapsed() >= Duration::from_millis(100)
        } else if self.total == 0 {
            // Unknown total: a line per second at most.
            state.0.elapsed() >= Duration::from_secs(1)
        } else {
            tenth(done) > tenth(state.1)
        };
        if due || done == self.total {
            state.0 = Instant::now();
            state.1 = done;
            let line = self.line(done);
            let mut err = std::io::stderr().lock();
            let _ = if self.terminal {
                write!(err, "\r{line}\x1b[K")
            } else {
                writeln!(err, "{line}")
            };
            let _ = err.flush();
        }
    }

    /// Ends the bar's line.
    pub fn finish(&self, done: u64) {
        self.update(done);
        if self.terminal {
            eprintln!();
        }
    }

    fn line(&self, done: u64) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = done as f64 / secs;
        if self.total == 0 {
            return format!("{} {done}（{rate:.0}/秒）", self.label);
        }
        let ratio = (done as f64 / self.total as f64).clamp(0.0, 1.0);
        let filled = (ratio * 30.0).round() as usize;
        let left = if rate > 0.0 {
            (self.total.saturating_sub(done)) as f64 / rate
        } else {
            0.0
        };
        format!(
            "{} [{}{}] {:>3.0}% {done}/{} {rate:.0}/秒，剩余 {left:.0} 秒",
            self.label,
            "#".repeat(filled),
            "-".repeat(30 - filled),
            ratio * 100.0,
            self.total
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_share_count_and_rate() {
        let p = Progress::new("reindex", 200);
        let line = p.line(50);
        assert!(line.starts_with("reindex [########"), "{line}");
        assert!(line.contains(" 25% 50/200 "), "{line}");
        assert!(Progress::new("sync", 0).line(7).starts_with("sync 7（"));
    }
}
