//! Criterion benchmarks of the workspace live in `benches/benches/`; run them with
//! `cargo bench -p benches`. The HTTP and client comparisons run through `cargo xtask bench`.
#![forbid(unsafe_code)]
