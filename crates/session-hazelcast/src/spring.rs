//! Sharing sessions with a Spring application (Spring Session + Hazelcast Spring Session 4.x
//! on the same map): what each side must do so that one login, one basket and one
//! sessions-per-user limit hold across both. `examples/spring-shop` is a complete Spring
//! Boot application doing all of this with the Rust shop (`examples/shop`); the integration
//! suite's scenario "Spring and Rust share a login" walks through it.
//!
//! # Both sides
//!
//! - One map (HSS default `spring:session:sessions`, [`DEFAULT_MAP_NAME`](crate::DEFAULT_MAP_NAME))
//!   and one cookie: Spring's `SESSION`, base64 of the id, path `/` (the adapters' defaults).
//!   Cookies are per host, not per port: two apps on one host share them.
//! - Let one side configure the map: Hazelcast refuses a second, different dynamic
//!   configuration of a map. This repository applies its [`SessionMapConfig`](crate::SessionMapConfig)
//!   (with the `principalName` index HSS queries); on the Spring side set
//!   `@EnableHazelcastHttpSession(disableSessionMapAutoconfiguration = true)`.
//! - The members need no Java code: HSS falls back from its entry processor to
//!   lock/get/set when the members lack its classes (set `setDeployedOnAllMembers(false)` in a
//!   `SessionRepositoryCustomizer` to skip the failed first try).
//! - Typed attribute values shared by both: write them as the Compact type of the Java
//!   class ([`CompactCodec::with_record_types`](crate::CompactCodec::with_record_types),
//!   [`compact_record`](crate::compact_record)); the Java class must **not** be
//!   `Serializable` (else Hazelcast uses Java serialization). Strings, numbers and booleans
//!   need nothing ([`HazelcastCodec`](crate::HazelcastCodec)); JSON values are
//!   `HazelcastJsonValue` on the Java side.
//!
//! # What a Spring app needs to accept Rust logins
//!
//! A Rust login sets the session record's `principalName` (the field HSS indexes), but it
//! cannot write Spring Security's `SPRING_SECURITY_CONTEXT` attribute, which is a
//! Java-serialized `SecurityContext`. HSS exposes the record's principal name as the
//! attribute [`PRINCIPAL_NAME_INDEX_NAME`]. So the Spring app installs a
//! `SecurityContextRepository` that delegates to `HttpSessionSecurityContextRepository` and,
//! when that finds no context, reads [`PRINCIPAL_NAME_INDEX_NAME`] from the session, loads
//! that user from its `UserDetailsService` and returns an authenticated context for it (an
//! unknown name stays anonymous):
//!
//! ```text
//! http.securityContext(c -> c.securityContextRepository(new PrincipalNameSecurityContextRepository(users)));
//! ```
//!
//! (`examples/spring-shop/src/main/java/com/example/shop/PrincipalNameSecurityContextRepository.java`.)
//! A Spring login needs nothing on the Rust side: HSS writes `principalName` into the record,
//! which is what [`SessionData::principal_name`](session_core::SessionData::principal_name) returns.
//!
//! # Sessions ended by either side
//!
//! - Ended by Rust (logout, the concurrent-session limit, "end this session"): the entry is
//!   removed from the map, so Spring no longer finds it.
//! - Ended by Spring's `SpringSessionBackedSessionRegistry` (its `maximumSessions` limit):
//!   Spring does not delete the session but sets the attribute
//!   [`REGISTRY_EXPIRED_ATTRIBUTE`] to `true`, and its `ConcurrentSessionFilter` logs the
//!   session out on its next request. The Rust side must do the same: check
//!   [`expired_by_spring_registry`] and log out.
//!
//! ```
//! use session_core::{MemorySessionRepository, SessionRepository};
//! use session_hazelcast::spring::{REGISTRY_EXPIRED_ATTRIBUTE, expired_by_spring_registry};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let session = MemorySessionRepository::new().create().await?;
//! assert!(!expired_by_spring_registry(&session));
//! // What Spring's registry does to the oldest session of a user over the limit:
//! session.insert(REGISTRY_EXPIRED_ATTRIBUTE, &true)?;
//! assert!(expired_by_spring_registry(&session));
//! # Ok(())
//! # }
//! ```

/// Spring Session's attribute for the principal name
/// (`FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME`); HSS maps it to the record's
/// `principalName`.
pub const PRINCIPAL_NAME_INDEX_NAME: &str =
    "org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME";

/// Spring Security's attribute holding the Java-serialized `SecurityContext`.
pub const SPRING_SECURITY_CONTEXT: &str = "SPRING_SECURITY_CONTEXT";

/// The attribute `SpringSessionBackedSessionInformation.expireNow()` sets to `true` when
/// Spring's session registry ends a session (a `java.lang.Boolean`).
pub const REGISTRY_EXPIRED_ATTRIBUTE: &str =
    "org.springframework.session.security.SpringSessionBackedSessionInformation.EXPIRED";

/// Whether Spring's session registry has ended `session` ([`REGISTRY_EXPIRED_ATTRIBUTE`] is
/// `true`); such a session must be treated as logged out.
pub fn expired_by_spring_registry(session: &session_core::SessionData) -> bool {
    matches!(
        session.get::<bool>(REGISTRY_EXPIRED_ATTRIBUTE),
        Ok(Some(true))
    )
}
