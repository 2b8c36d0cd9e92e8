use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    kwhost::cli::Cli::parse().execute()
}
