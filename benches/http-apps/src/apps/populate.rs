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
        .map(|_| create_with_retries(repository))
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

/// Attempts per pre-created session before the sweep point is given up.
const ATTEMPTS: u32 = 4;

/// Creates one session, with a fresh session for each new attempt after a failure: a
/// member pausing for a full collection while it takes hundreds of thousands of new
/// records can miss the store's deadline for a few saves, which must not cost the whole
/// sweep point. A save that timed out but landed leaves a session nobody uses (it expires).
async fn create_with_retries(repository: &dyn SessionRepository) -> Result<String, ServeError> {
    let mut attempt = 1;
    loop {
        match create_one(repository).await {
            Ok(id) => return Ok(id),
            Err(e) if attempt < ATTEMPTS => {
                eprintln!("bench-tool: creating a session failed ({e}); trying again");
                tokio::time::sleep(std::time::Duration::from_millis(250 * u64::from(attempt)))
                    .await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use async_trait::async_trait;
    use session_axum::session_core::{
        MemorySessionRepository, RepositoryError, SessionData, SessionEventStream,
    };

    use super::*;

    /// The in-memory store, failing its first `failures` saves with a timeout.
    struct Flaky {
        inner: MemorySessionRepository,
        failures: AtomicU32,
    }

    #[async_trait]
    impl SessionRepository for Flaky {
        async fn create(&self) -> Result<SessionData, RepositoryError> {
            self.inner.create().await
        }
        async fn save(&self, session: &SessionData) -> Result<(), RepositoryError> {
            let left = self.failures.load(Ordering::SeqCst);
            if left > 0 {
                self.failures.store(left - 1, Ordering::SeqCst);
                return Err(RepositoryError::Timeout);
            }
            self.inner.save(session).await
        }
        async fn find_by_id(&self, id: &str) -> Result<Option<SessionData>, RepositoryError> {
            self.inner.find_by_id(id).await
        }
        async fn delete_by_id(&self, id: &str) -> Result<(), RepositoryError> {
            self.inner.delete_by_id(id).await
        }
        fn subscribe(&self) -> SessionEventStream {
            self.inner.subscribe()
        }
    }

    fn flaky(failures: u32) -> Flaky {
        Flaky {
            inner: MemorySessionRepository::new(),
            failures: AtomicU32::new(failures),
        }
    }

    #[tokio::test]
    async fn a_failed_save_is_retried_with_a_fresh_session() {
        let repo = flaky(ATTEMPTS - 1);
        let id = create_with_retries(&repo).await.expect("created");
        let stored = repo.find_by_id(&id).await.unwrap().expect("stored");
        let basket: Basket = stored.get(BASKET_ATTRIBUTE).unwrap().expect("basket");
        assert_eq!(basket.items.len(), SWEEP_BASKET_ITEMS);
    }

    #[tokio::test]
    async fn a_store_that_keeps_failing_fails_the_point() {
        let repo = flaky(ATTEMPTS);
        assert!(create_with_retries(&repo).await.is_err());
    }
}
