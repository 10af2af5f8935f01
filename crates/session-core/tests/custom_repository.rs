//! A user-written repository (a `HashMap` behind a mutex, with a principal index by scan)
//! passes the conformance suite; the same repository with one rule broken at a time is
//! caught by the check for that rule. This shows the suite can fail.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use session_core::conformance::{self, Capabilities};
use session_core::{
    EventBus, IndexedSessionRepository, RepositoryError, SaveMode, SessionConfig, SessionData,
    SessionEvent, SessionEventStream, SessionRecord, SessionRepository, is_valid_session_id,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flaw {
    None,
    /// Writes the whole session instead of the delta.
    OverwritesWholeRecord,
    /// Returns sessions past their max inactive interval.
    ReturnsExpired,
    /// Brings a deleted session back when a stale copy is saved.
    Resurrects,
    /// Never publishes created events.
    NoCreatedEvents,
    /// Keeps the old id after a change of id.
    KeepsOldIdAfterChange,
    /// Forgets the principal index on updates.
    IgnoresPrincipalChanges,
    /// Ignores the save mode (always writes only changed attributes).
    IgnoresSaveMode,
    /// Not a flaw: expiry times truncated to the whole second, as a Hazelcast member
    /// stores them, so sessions may disappear up to 1 s early.
    SecondResolution,
}

struct MapRepository {
    config: SessionConfig,
    records: Mutex<HashMap<String, SessionRecord>>,
    events: EventBus,
    flaw: Flaw,
}

impl MapRepository {
    fn new(flaw: Flaw) -> Self {
        Self {
            config: SessionConfig::default(),
            records: Mutex::new(HashMap::new()),
            events: EventBus::default(),
            flaw,
        }
    }

    fn records(&self) -> MutexGuard<'_, HashMap<String, SessionRecord>> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn expired(&self, record: &SessionRecord, now: SystemTime) -> bool {
        match self.flaw {
            Flaw::ReturnsExpired => false,
            Flaw::SecondResolution => record.expires_at().is_some_and(|at| {
                let secs = at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
                now >= UNIX_EPOCH + Duration::from_secs(secs)
            }),
            _ => record.is_expired(now),
        }
    }
}

#[async_trait]
impl SessionRepository for MapRepository {
    async fn create(&self) -> Result<SessionData, RepositoryError> {
        Ok(self.config.new_session(SystemTime::now())?)
    }

    async fn save(&self, session: &SessionData) -> Result<(), RepositoryError> {
        if self.flaw == Flaw::IgnoresSaveMode {
            session.set_save_mode(SaveMode::OnSetAttribute);
        }
        let mut delta = session.delta();
        let now = SystemTime::now();
        let mut events = Vec::new();
        {
            let mut records = self.records();
            records.retain(|_, r| !self.expired(r, now));
            if delta.invalidated {
                if !delta.is_new && records.remove(&delta.original_id).is_some() {
                    events.push(SessionEvent::Deleted {
                        id: delta.original_id.clone(),
                    });
                }
            } else if delta.is_new {
                if records.contains_key(&delta.record.id) {
                    return Err(RepositoryError::IdCollision);
                }
                records.insert(delta.record.id.clone(), delta.record.clone());
                if self.flaw != Flaw::NoCreatedEvents {
                    events.push(SessionEvent::Created {
                        id: delta.record.id.clone(),
                    });
                }
            } else {
                if self.flaw == Flaw::KeepsOldIdAfterChange {
                    delta.record.id.clone_from(&delta.original_id);
                }
                let stored = records.remove(&delta.original_id);
                let stored = match (stored, self.flaw) {
                    (Some(_), Flaw::OverwritesWholeRecord) | (None, Flaw::Resurrects) => {
                        Some(delta.record.clone())
                    }
                    (Some(mut stored), Flaw::IgnoresPrincipalChanges) => {
                        let principal = stored.principal_name.clone();
                        delta.apply_to(&mut stored);
                        stored.principal_name = principal;
                        Some(stored)
                    }
                    (Some(mut stored), _) => {
                        delta.apply_to(&mut stored);
                        Some(stored)
                    }
                    (None, _) => None,
                };
                if let Some(stored) = stored {
                    records.insert(stored.id.clone(), stored);
                }
            }
        }
        for event in events {
            self.events.publish(event);
        }
        session.mark_saved(&delta);
        Ok(())
    }

    async fn find_by_id(&self, id: &str) -> Result<Option<SessionData>, RepositoryError> {
        if !is_valid_session_id(id) {
            return Ok(None);
        }
        let now = SystemTime::now();
        let mut records = self.records();
        match records.get(id) {
            Some(r) if self.expired(r, now) => {
                records.remove(id);
                Ok(None)
            }
            Some(r) => Ok(Some(self.config.load_session(r.clone()))),
            None => Ok(None),
        }
    }

    async fn delete_by_id(&self, id: &str) -> Result<(), RepositoryError> {
        if self.records().remove(id).is_some() {
            self.events
                .publish(SessionEvent::Deleted { id: id.to_owned() });
        }
        Ok(())
    }

    fn subscribe(&self) -> SessionEventStream {
        self.events.subscribe()
    }

    fn as_indexed(&self) -> Option<&dyn IndexedSessionRepository> {
        Some(self)
    }
}

#[async_trait]
impl IndexedSessionRepository for MapRepository {
    async fn find_by_principal_name(
        &self,
        principal_name: &str,
    ) -> Result<HashMap<String, SessionData>, RepositoryError> {
        let now = SystemTime::now();
        Ok(self
            .records()
            .values()
            .filter(|r| !self.expired(r, now))
            .filter(|r| r.principal_name.as_deref() == Some(principal_name))
            .map(|r| (r.id.clone(), self.config.load_session(r.clone())))
            .collect())
    }
}

#[tokio::test]
async fn custom_repository_passes_conformance() {
    let repo = MapRepository::new(Flaw::None);
    conformance::run(&repo, &Capabilities::default()).await;
}

/// Runs `check` against a repository with `flaw` and returns the panic message.
async fn caught<F, Fut>(flaw: Flaw, check: F) -> String
where
    F: FnOnce(&'static MapRepository) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let repo: &'static MapRepository = Box::leak(Box::new(MapRepository::new(flaw)));
    let result = tokio::spawn(check(repo)).await;
    let panic = match result {
        Ok(()) => panic!("the conformance suite did not catch {flaw:?}"),
        Err(e) => e.into_panic(),
    };
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[tokio::test]
async fn whole_record_writes_are_caught() {
    let msg = caught(Flaw::OverwritesWholeRecord, |r| {
        conformance::check_delta_saves(r)
    })
    .await;
    assert!(msg.contains("conformance:"), "{msg}");
    let msg = caught(Flaw::OverwritesWholeRecord, |r| {
        conformance::check_concurrent_saves(r, 4)
    })
    .await;
    assert!(msg.contains("concurrent saves"), "{msg}");
}

#[tokio::test]
async fn returning_expired_sessions_is_caught() {
    let msg = caught(Flaw::ReturnsExpired, |r| async move {
        conformance::check_expiry(r, &Capabilities::default()).await;
    })
    .await;
    assert!(msg.contains("max inactive interval passed"), "{msg}");
}

#[tokio::test]
async fn resurrection_is_caught() {
    let msg = caught(Flaw::Resurrects, |r| conformance::check_no_resurrection(r)).await;
    assert!(msg.contains("must not come back"), "{msg}");
}

#[tokio::test]
async fn missing_created_events_are_caught() {
    let msg = caught(Flaw::NoCreatedEvents, |r| async move {
        let caps = Capabilities::default().with_event_delay(Duration::from_millis(200));
        conformance::check_events(r, &caps).await;
    })
    .await;
    assert!(msg.contains("no created event"), "{msg}");
}

#[tokio::test]
async fn ignored_id_changes_are_caught() {
    let msg = caught(Flaw::KeepsOldIdAfterChange, |r| {
        conformance::check_change_id(r)
    })
    .await;
    assert!(msg.contains("new id"), "{msg}");
}

#[tokio::test]
async fn stale_principal_index_is_caught() {
    let msg = caught(Flaw::IgnoresPrincipalChanges, |r| async move {
        conformance::check_principal_index(r, &Capabilities::default()).await;
    })
    .await;
    assert!(msg.contains("principal"), "{msg}");
}

#[tokio::test]
async fn ignored_save_modes_are_caught() {
    let msg = caught(Flaw::IgnoresSaveMode, |r| conformance::check_save_modes(r)).await;
    assert!(msg.contains("save mode"), "{msg}");
}

#[tokio::test]
async fn second_resolution_expiry_passes_with_its_capability() {
    let repo = MapRepository::new(Flaw::SecondResolution);
    let caps = Capabilities::default().with_expiry_early(Duration::from_secs(1));
    tokio::join!(
        conformance::check_expiry(&repo, &caps),
        conformance::check_principal_index(&repo, &caps),
    );
}
