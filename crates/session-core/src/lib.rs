//! Framework-agnostic HTTP sessions, following Spring Session's model: the [`SessionData`]
//! handle, the [`SessionRepository`] trait every store implements, and
//! [`MemorySessionRepository`], the embedded store.
//!
//! ```
//! use std::time::Duration;
//! use session_core::{MemorySessionRepository, SessionConfig, SessionRepository};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = SessionConfig::default().with_max_inactive_interval(Some(Duration::from_secs(1800)));
//! let repo = MemorySessionRepository::with_config(config);
//!
//! // A request creates a session and puts a basket in it...
//! let session = repo.create().await?;
//! session.insert("basket", &vec![101u32, 102])?;
//! repo.save(&session).await?;
//!
//! // ...a later request finds it by the id from its cookie and changes one attribute.
//! let id = session.id();
//! let again = repo.find_by_id(&id).await?.expect("stored");
//! assert_eq!(again.get::<Vec<u32>>("basket")?, Some(vec![101, 102]));
//! again.insert("recently_viewed", &[7u32])?;
//! repo.save(&again).await?; // writes only `recently_viewed`
//!
//! // Logout.
//! again.invalidate();
//! repo.save(&again).await?;
//! assert!(repo.find_by_id(&id).await?.is_none());
//! # Ok(())
//! # }
//! ```
//!
//! # The pieces
//!
//! - [`SessionData`]: id, original id, creation and last accessed time, max inactive interval
//!   (`None` = never expires, default 30 minutes as in Spring), principal name and typed
//!   attributes over serde. It records what changed so that a save writes a
//!   [`SessionDelta`], not the whole session. Cheap to clone, `Send + Sync`, synchronous
//!   methods.
//! - [`SessionRepository`] (object-safe, async) and [`IndexedSessionRepository`] (find by
//!   principal name). Events ([`SessionEvent`]) arrive as an async stream from
//!   [`SessionRepository::subscribe`].
//! - [`SessionConfig`]: max inactive interval, [`FlushMode`], [`SaveMode`] (with Spring's
//!   meaning), [`AttributeCodec`] ([`JsonCodec`] by default, [`PostcardCodec`]) and
//!   [`SessionIdGenerator`] ([`RandomIdGenerator`]: Spring-shaped UUID ids from the OS
//!   CSPRNG by default; its docs say why).
//! - [`MemorySessionRepository`]: expiry without any call (a background purge task),
//!   principal index, events, delta saves under one lock (concurrent saves of different
//!   attributes of one session are never lost; for one attribute the last save wins).
//! - `conformance` (feature `testing`): checks any repository against the whole contract.
//!   The [`custom`] module shows a user-written repository that passes it.
//!
//! Timestamps are wall-clock [`SystemTime`](std::time::SystemTime)s, because they are
//! stored and shared across processes and languages (the Hazelcast record keeps seconds and
//! nanoseconds since the epoch, like Java's `Instant`).
#![forbid(unsafe_code)]

mod clock;
mod codec;
mod config;
pub mod custom;
mod decoded;
mod error;
mod events;
mod id;
pub mod lifecycle;
mod memory;
mod modes;
mod record;
mod repository;
mod session;

#[cfg(feature = "testing")]
pub mod conformance;

pub use clock::{Clock, ManualClock, SystemClock};
pub use codec::{AttributeCodec, DecodeFn, JsonCodec, PostcardCodec, decode_value, encode_value};
pub use config::{DEFAULT_MAX_INACTIVE_INTERVAL, SessionConfig};
pub use decoded::{DecodedValues, MAX_DECODED_VALUES};
pub use error::{BoxError, CodecError, IdGenerationError, RepositoryError, SessionDataError};
pub use events::{DEFAULT_EVENT_CAPACITY, EventBus, SessionEvent, SessionEventStream};
pub use id::{
    IdFormat, MAX_SESSION_ID_LEN, RandomIdGenerator, SessionIdGenerator, is_valid_session_id,
};
pub use memory::{DEFAULT_PURGE_INTERVAL, MemoryRepositoryBuilder, MemorySessionRepository};
pub use modes::{FlushMode, SaveMode};
pub use record::{SessionDelta, SessionRecord};
pub use repository::{IndexedSessionRepository, SessionRepository};
pub use session::{MAX_ATTRIBUTE_NAME_LEN, SessionData, Touch};
