//! Pre-created sessions for the sweep of live sessions: `serve --sessions N` creates N
//! sessions through the stack's own repository before it listens, many saves in flight,
//! and writes their cookie values to a file the load generator picks from.

use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use base64::Engine as _;
use futures::StreamExt as _;
use session_axum::session_core::SessionRepository;

use super::{Backends, ServeError};
use crate::basket::{BASKET_ATTRIBUTE, Basket, distinct_item};

/// Items in the basket of every pre-created session.
pub const SWEEP_BASKET_ITEMS: usize = 4;

/// Saves in flight while pre-creating (pipelined on the client's connection).
const IN_FLIGHT: usize = 256;

/// Creates `backends.sessions` sessions (each with a basket of [`SWEEP_BASKET_ITEMS`]
/// items) in `repository` and writes their cookie values (standard base64 of the id, the
/// default cookie encoding of our layers) to `backends.session_file`, one a line. Nothing
/// happens when `backends.sessions` is 0.
///
/// # Errors
/// When a save fails, no session file was named, or the file cannot be written.
pub async fn populate(
    repository: &dyn SessionRepository,
    backends: &Backends,
) -> Result<(), ServeError> {
    if backends.sessions == 0 {
        return Ok(());
    }
    let path = backends
        .session_file
        .as_deref()
        .ok_or_else(|| ServeError::Store("--sessions needs --session-file".into()))?;
    let file_error = |source| ServeError::SessionFile {
        path: path.to_owned(),
        source,
    };
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(file_error)?);
    let started = Instant::now();
    let mut created = futures::stream::iter(0..backends.sessions)
        .map(|_| create_one(repository))
        .buffer_unordered(IN_FLIGHT);
    let mut done = 0usize;
    while let Some(id) = created.next().await {
        let id = id?;
        writeln!(
            out,
            "{}",
            base64::engine::general_purpose::STANDARD.encode(id)
        )
        .map_err(file_error)?;
        done += 1;
        if done.is_multiple_of(100_000) {
            eprintln!("bench-tool: {done} sessions created");
        }
    }
    out.flush().map_err(file_error)?;
    write_done(path, done, started)
}

fn write_done(path: &Path, done: usize, started: Instant) -> Result<(), ServeError> {
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "bench-tool: created {done} sessions in {secs:.1} s ({:.0}/s), cookies in {}",
        done as f64 / secs.max(1e-9),
        path.display()
    );
    Ok(())
}

async fn create_one(repository: &dyn SessionRepository) -> Result<String, ServeError> {
    let store = |e: &dyn std::fmt::Display| ServeError::Store(e.to_string());
    let session = repository.create().await.map_err(|e| store(&e))?;
    let mut basket = Basket::default();
    for _ in 0..SWEEP_BASKET_ITEMS {
        basket.add(&distinct_item());
    }
    session
        .insert(BASKET_ATTRIBUTE, &basket)
        .map_err(|e| store(&e))?;
    repository.save(&session).await.map_err(|e| store(&e))?;
    Ok(session.id())
}
