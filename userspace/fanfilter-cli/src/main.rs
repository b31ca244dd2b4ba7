//! `fanfilter`: watch a filesystem through an in-kernel fanotify filter,
//! guard directories, and inspect filters and their counters.

mod cli;
mod guard;
mod output;
mod run;

use clap::Parser;
use std::io::Write;

fn main() {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version (exit 0) must not succeed quietly when
            // their output cannot be written.
            // Usage errors: sysexits' EX_USAGE (2 is --timeout's, as in
            // inotifywait).
            let code = match e.exit_code() {
                2 => 64,
                c => c,
            };
            if let Err(w) = e.print() {
                let _ = writeln!(std::io::stderr(), "fanfilter: writing: {w}");
                std::process::exit(if code == 0 { 1 } else { code });
            }
            std::process::exit(code);
        }
    };
    std::process::exit(match run::run(cli) {
        Ok(()) => 0,
        Err(e) => {
            // Not eprintln!, which panics (exit 101) if stderr is gone.
            let _ = writeln!(std::io::stderr(), "fanfilter: {}", e.message);
            e.code
        }
    });
}
