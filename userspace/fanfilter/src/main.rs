//! `fanfilter`: watch a filesystem through an in-kernel fanotify filter,
//! guard directories, and inspect filters and their counters.

mod cli;
mod guard;
mod output;
mod run;

use clap::Parser;
use std::io::Write;

fn main() {
    let cli = cli::Cli::parse();
    std::process::exit(match run::run(cli) {
        Ok(()) => 0,
        Err(e) => {
            // Not eprintln!, which panics (exit 101) if stderr is gone.
            let _ = writeln!(std::io::stderr(), "fanfilter: {}", e.message);
            e.code
        }
    });
}
