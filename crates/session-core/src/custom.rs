//! How to write your own repository, with an example that passes the conformance suite.
//!
//! A repository stores [`SessionRecord`](crate::SessionRecord)s. The session hands it
//! everything it needs through [`SessionData::delta`](crate::SessionData::delta):
//!
//! - a new session (`delta.is_new`): store `delta.record` unless its id is taken;
//! - an invalidated one: delete `delta.original_id`;
//! - otherwise read the stored record under `delta.original_id`, and if it is still there
//!   and unexpired, [`apply_to`](crate::SessionDelta::apply_to) it and store it under
//!   `delta.record.id` (which differs after a change of id). Doing this read-modify-write
//!   atomically (a lock, a transaction, a compare-and-set loop) is what keeps concurrent
//!   saves of different attributes from losing each other.
//!
//! then call [`SessionData::mark_saved`](crate::SessionData::mark_saved). Sessions are built with
//! [`SessionConfig::new_session`](crate::SessionConfig::new_session) and
//! [`SessionConfig::load_session`](crate::SessionConfig::load_session); events go
//! through an [`EventBus`](crate::EventBus).
//!
//! This repository keeps records in a `HashMap` behind a mutex, purges expired sessions on
//! every save, and has no principal index. Running the conformance suite against it (feature
//! `testing`) is the last lines of the example:
//!
//! ```
//! use std::collections::HashMap;
//! use std::sync::Mutex;
//! use std::time::SystemTime;
//!
//! use async_trait::async_trait;
//! use session_core::{
//!     EventBus, RepositoryError, SessionData, SessionConfig, SessionEvent, SessionEventStream,
//!     SessionRecord, SessionRepository, is_valid_session_id,
//! };
//!
//! #[derive(Default)]
//! struct MapRepository {
//!     config: SessionConfig,
//!     records: Mutex<HashMap<String, SessionRecord>>,
//!     events: EventBus,
//! }
//!
//! impl MapRepository {
//!     fn records(&self) -> std::sync::MutexGuard<'_, HashMap<String, SessionRecord>> {
//!         self.records.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
//!     }
//! }
//!
//! #[async_trait]
//! impl SessionRepository for MapRepository {
//!     async fn create(&self) -> Result<SessionData, RepositoryError> {
//!         Ok(self.config.new_session(SystemTime::now())?)
//!     }
//!
//!     async fn save(&self, session: &SessionData) -> Result<(), RepositoryError> {
//!         let delta = session.delta();
//!         let now = SystemTime::now();
//!         let mut events = Vec::new();
//!         {
//!             let mut records = self.records();
//!             records.retain(|_, record| !record.is_expired(now));
//!             if delta.invalidated {
//!                 if !delta.is_new && records.remove(&delta.original_id).is_some() {
//!                     events.push(SessionEvent::Deleted { id: delta.original_id.clone() });
//!                 }
//!             } else if delta.is_new {
//!                 if records.contains_key(&delta.record.id) {
//!                     return Err(RepositoryError::IdCollision);
//!                 }
//!                 records.insert(delta.record.id.clone(), delta.record.clone());
//!                 events.push(SessionEvent::Created { id: delta.record.id.clone() });
//!             } else if let Some(mut stored) = records.remove(&delta.original_id) {
//!                 // Gone (deleted or expired) means the changes are dropped.
//!                 delta.apply_to(&mut stored);
//!                 records.insert(stored.id.clone(), stored);
//!             }
//!         }
//!         for event in events {
//!             self.events.publish(event);
//!         }
//!         session.mark_saved(&delta);
//!         Ok(())
//!     }
//!
//!     async fn find_by_id(&self, id: &str) -> Result<Option<SessionData>, RepositoryError> {
//!         if !is_valid_session_id(id) {
//!             return Ok(None);
//!         }
//!         let mut records = self.records();
//!         match records.get(id) {
//!             Some(record) if record.is_expired(SystemTime::now()) => {
//!                 records.remove(id);
//!                 Ok(None)
//!             }
//!             Some(record) => Ok(Some(self.config.load_session(record.clone()))),
//!             None => Ok(None),
//!         }
//!     }
//!
//!     async fn delete_by_id(&self, id: &str) -> Result<(), RepositoryError> {
//!         if self.records().remove(id).is_some() {
//!             self.events.publish(SessionEvent::Deleted { id: id.to_owned() });
//!         }
//!         Ok(())
//!     }
//!
//!     fn subscribe(&self) -> SessionEventStream {
//!         self.events.subscribe()
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use session_core::conformance::{self, Capabilities};
//!
//! let repo = MapRepository::default();
//! conformance::run(&repo, &Capabilities::default().with_principal_index(false)).await;
//! # }
//! ```
