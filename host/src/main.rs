use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    restore_sigpipe();
    kwhost::cli::Cli::parse().execute()
}

/// Rust ignores SIGPIPE, so that writing to a closed pipe (`kwhost test tests/suites | head`)
/// makes `print!` panic. Restored to the default, kwhost ends quietly there, as `cat` or
/// `grep` do.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first in main, before any other thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
