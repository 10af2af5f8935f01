//! `cargo xtask <command>`: project automation.
//!
//! Commands:
//! - `codegen`: regenerates the protocol codecs in `crates/hazelcast-protocol/src/codec/`
//!   (and the compatibility-test reference values) from
//!   `../shared/hazelcast/protocol-definitions/*.yaml`.
//! - `codegen --check`: fails when the committed generated files differ from what the
//!   definitions produce.
#![forbid(unsafe_code)]

mod codegen;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("codegen") => {
            let check = args.iter().skip(1).any(|a| a == "--check");
            match codegen::run(&codegen::workspace_root(), check) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("codegen failed: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(other) => {
            eprintln!("unknown xtask command: {other}");
            usage()
        }
        None => usage(),
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: cargo xtask <command>\n\ncommands:\n  codegen [--check]   generate protocol codecs from ../shared/hazelcast/protocol-definitions"
    );
    ExitCode::FAILURE
}
