//! `cargo xtask <command>`: project automation.
//!
//! Commands:
//! - `codegen`: regenerates the protocol codecs in `crates/hazelcast-protocol/src/codec/`
//!   (and the compatibility-test reference values) from
//!   `../shared/hazelcast/protocol-definitions/*.yaml`.
//! - `codegen --check`: fails when the committed generated files differ from what the
//!   definitions produce.
//! - `bench [--quick] [--runs N] [--only client|http|sweep|instructions] [--connections C]
//!   [--test-member] [--member-heap 3g] [--sweep 1k,10k,100k,1M]`: client, HTTP and
//!   live-session sweep benchmarks on a real member, and instructions per request under
//!   callgrind (issues 9, 16); results in `target/bench/` (see `benches/README.md`).
//! - `docker-config [--check]`: renders the member YAML under `docker/` from the session
//!   map's typed configuration (see `docker/README.md`).
//! - `integration [--test-member | --docker] [--only N,N] [--failure-detection sessions|hazelcast]`:
//!   the resilience scenarios against the shop (issues 8, 12), on real Hazelcast members the
//!   xtask starts by default; see `docker/README.md` (also `HZ_MEMBERS`, `HZ_FAILOVER_MEMBERS`).
#![forbid(unsafe_code)]

mod bench;
mod codegen;
mod docker_config;
mod integration;
mod spring_shop;

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
        Some("bench") => match bench::run(&codegen::workspace_root(), &args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench failed: {e}");
                ExitCode::FAILURE
            }
        },
        Some("docker-config") => {
            let check = args.iter().skip(1).any(|a| a == "--check");
            match docker_config::run(&codegen::workspace_root(), check) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("docker-config failed: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some("integration") => integration::main(&codegen::workspace_root(), &args[1..]),
        Some("spring-shop") => spring_shop::main(&codegen::workspace_root(), &args[1..]),
        Some(integration::CLUSTER_COMMAND) => integration::cluster_process::main(&args[1..]),
        Some(other) => {
            eprintln!("unknown xtask command: {other}");
            usage()
        }
        None => usage(),
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: cargo xtask <command>\n\ncommands:\n  codegen [--check]   generate protocol codecs from ../shared/hazelcast/protocol-definitions\n  bench [--quick] [--runs N] [--only client|http|sweep|instructions] [--connections C] [--test-member] [--member-heap 3g] [--sweep 1k,10k,100k,1M]   client, HTTP, sweep and callgrind instruction-count benchmarks (real member by default)\n  docker-config [--check]   render docker/ member YAML from SessionMapConfig\n  integration [--test-member|--docker] [--only N,N] [--failure-detection sessions|hazelcast]   resilience scenarios against the shop (real members by default, the test member, HZ_MEMBERS or docker)\n  spring-shop [--port N] [--members ..] [--cluster-name ..] [--scenario]   run the Spring Boot shop (builds it with Maven), or the Spring/Rust scenario"
    );
    ExitCode::FAILURE
}
