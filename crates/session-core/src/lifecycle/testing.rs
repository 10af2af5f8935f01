//! A repository wrapper for adapter tests: counts calls and fails on demand.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::SystemTime;

use async_trait::async_trait;

use crate::error::RepositoryError;
use crate::events::SessionEventStream;
use crate::repository::{IndexedSessionRepository, SessionRepository};
use crate::session::SessionData;

/// Wraps a repository, counts every call and can be switched to fail every call with
/// [`RepositoryError::Backend`] (to test store-failure handling and lazy loading).
#[derive(Debug, Default)]
pub struct CountingRepository<R> {
    inner: R,
    calls: AtomicUsize,
    failing: AtomicBool,
    hanging: AtomicBool,
}

/// The failure [`CountingRepository`] reports when failing.
#[derive(Debug, thiserror::Error)]
#[error("simulated store outage")]
pub struct SimulatedOutage;

impl<R: SessionRepository> CountingRepository<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Arc<Self> {
        Arc::new(Self {
            inner,
            calls: AtomicUsize::new(0),
            failing: AtomicBool::new(false),
            hanging: AtomicBool::new(false),
        })
    }

    /// The wrapped repository.
    pub fn inner(&self) -> &R {
        &self.inner
    }

    /// How many calls (create, save, find, delete, find by principal) were made.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Makes every later call fail (or succeed again).
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// Makes every later call wait forever (a store that does not answer: a silent
    /// member, a black-holed network), or answer again.
    pub fn set_hanging(&self, hanging: bool) {
        self.hanging.store(hanging, Ordering::SeqCst);
    }

    async fn call(&self) -> Result<(), RepositoryError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.hanging.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        if self.failing.load(Ordering::SeqCst) {
            return Err(RepositoryError::backend(SimulatedOutage));
        }
        Ok(())
    }
}

#[async_trait]
impl<R: SessionRepository> SessionRepository for CountingRepository<R> {
    async fn create(&self) -> Result<SessionData, RepositoryError> {
        self.call().await?;
        self.inner.create().await
    }

    async fn save(&self, session: &SessionData) -> Result<(), RepositoryError> {
        self.call().await?;
        self.inner.save(session).await
    }

    async fn find_by_id(&self, id: &str) -> Result<Option<SessionData>, RepositoryError> {
        self.call().await?;
        self.inner.find_by_id(id).await
    }

    async fn delete_by_id(&self, id: &str) -> Result<(), RepositoryError> {
        self.call().await?;
        self.inner.delete_by_id(id).await
    }

    fn subscribe(&self) -> SessionEventStream {
        self.inner.subscribe()
    }

    fn as_indexed(&self) -> Option<&dyn IndexedSessionRepository> {
        self.inner
            .as_indexed()
            .map(|_| self as &dyn IndexedSessionRepository)
    }

    fn may_serve_stale(&self) -> bool {
        self.inner.may_serve_stale()
    }

    async fn find_by_id_written_since(
        &self,
        id: &str,
        since: SystemTime,
    ) -> Result<Option<SessionData>, RepositoryError> {
        self.call().await?;
        self.inner.find_by_id_written_since(id, since).await
    }
}

#[async_trait]
impl<R: SessionRepository> IndexedSessionRepository for CountingRepository<R> {
    async fn find_by_principal_name(
        &self,
        principal_name: &str,
    ) -> Result<HashMap<String, SessionData>, RepositoryError> {
        self.call().await?;
        match self.inner.as_indexed() {
            Some(indexed) => indexed.find_by_principal_name(principal_name).await,
            None => Ok(HashMap::new()),
        }
    }
}
