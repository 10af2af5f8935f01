//! `cargo xtask <command>`: project automation.
#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some(other) => {
            eprintln!("unknown xtask command: {other}");
            usage()
        }
        None => usage(),
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: cargo xtask <command>\n\ncommands:\n  (none yet)");
    ExitCode::FAILURE
}
