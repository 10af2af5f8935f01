//! Typed errors and the retry classification of Hazelcast's invocation service.

use std::time::Duration;

use hazelcast_protocol::codec::error_response::ErrorResponse;
use hazelcast_protocol::error::DecodeError;
use hazelcast_protocol::serialization::SerializationError;

/// Why a member refused the authentication (the `status` byte of the response).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthFailure {
    /// Status 1: wrong cluster name, username or password.
    CredentialsFailed,
    /// Status 2: the member uses another serialization version.
    SerializationVersionMismatch,
    /// Status 3: the member does not allow this client (or, client-side, the cluster has a
    /// different partition count than the clusters seen before).
    NotAllowedInCluster,
    /// A status this client does not know.
    Unknown(u8),
}

impl AuthFailure {
    /// The failure for a non-zero status byte.
    pub fn from_status(status: u8) -> Self {
        match status {
            1 => Self::CredentialsFailed,
            2 => Self::SerializationVersionMismatch,
            3 => Self::NotAllowedInCluster,
            other => Self::Unknown(other),
        }
    }
}

impl std::fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::CredentialsFailed => {
                f.write_str("credentials failed (wrong cluster name, username or password)")
            }
            Self::SerializationVersionMismatch => f.write_str("serialization version mismatch"),
            Self::NotAllowedInCluster => f.write_str("client not allowed in cluster"),
            Self::Unknown(s) => write!(f, "unknown authentication status {s}"),
        }
    }
}

/// One element of the member's error cause chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerCause {
    /// Hazelcast's `ClientProtocolErrorCodes` value.
    pub code: i32,
    /// The Java exception class.
    pub class_name: String,
    /// The exception message.
    pub message: Option<String>,
}

/// An error the member reported: the exception thrown and its causes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    /// The outermost exception first, then its causes.
    pub chain: Vec<ServerCause>,
}

impl ServerError {
    /// Builds the error from a decoded error response.
    pub fn from_response(response: &ErrorResponse) -> Self {
        Self {
            chain: response
                .errors
                .iter()
                .map(|e| ServerCause {
                    code: e.error_code,
                    class_name: e.class_name.clone(),
                    message: e.message.clone(),
                })
                .collect(),
        }
    }

    /// The outermost error code (0 when the chain is empty, which members never send).
    pub fn code(&self) -> i32 {
        self.chain.first().map_or(0, |c| c.code)
    }

    /// The outermost exception class.
    pub fn class_name(&self) -> &str {
        self.chain.first().map_or("", |c| c.class_name.as_str())
    }
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, c) in self.chain.iter().enumerate() {
            if i > 0 {
                f.write_str(" <- caused by ")?;
            }
            write!(f, "{} (code {})", c.class_name, c.code)?;
            if let Some(m) = &c.message {
                write!(f, ": {m}")?;
            }
        }
        Ok(())
    }
}

/// Hazelcast error codes the client treats specially (`ClientProtocolErrorCodes`).
pub mod codes {
    /// `CallerNotMemberException`.
    pub const CALLER_NOT_MEMBER: i32 = 8;
    /// `HazelcastInstanceNotActiveException`.
    pub const INSTANCE_NOT_ACTIVE: i32 = 19;
    /// `MemberLeftException`.
    pub const MEMBER_LEFT: i32 = 33;
    /// `PartitionMigratingException`.
    pub const PARTITION_MIGRATING: i32 = 39;
    /// `RetryableHazelcastException`.
    pub const RETRYABLE_HAZELCAST: i32 = 46;
    /// `RetryableIOException`.
    pub const RETRYABLE_IO: i32 = 47;
    /// `TargetDisconnectedException`.
    pub const TARGET_DISCONNECTED: i32 = 52;
    /// `TargetNotMemberException`.
    pub const TARGET_NOT_MEMBER: i32 = 53;
    /// `UnsupportedOperationException`.
    pub const UNSUPPORTED_OPERATION: i32 = 61;
    /// `WrongTargetException`.
    pub const WRONG_TARGET: i32 = 62;
    /// `TargetNotReplicaException`.
    pub const TARGET_NOT_REPLICA: i32 = 82;
    /// `CannotReplicateException`.
    pub const CANNOT_REPLICATE: i32 = 90;
}

/// Whether a member error code is always retryable (Hazelcast's `RetryableException`
/// subclasses and `HazelcastInstanceNotActiveException`).
pub fn is_retryable_code(code: i32) -> bool {
    matches!(
        code,
        codes::CALLER_NOT_MEMBER
            | codes::INSTANCE_NOT_ACTIVE
            | codes::MEMBER_LEFT
            | codes::PARTITION_MIGRATING
            | codes::RETRYABLE_HAZELCAST
            | codes::RETRYABLE_IO
            | codes::TARGET_NOT_MEMBER
            | codes::WRONG_TARGET
            | codes::TARGET_NOT_REPLICA
            | codes::CANNOT_REPLICATE
    )
}

/// Everything that can go wrong in the client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A member refused the authentication; the client does not retry this cluster.
    #[error("authentication at {address} failed: {reason}")]
    Authentication {
        /// The member's address.
        address: String,
        /// Why.
        reason: AuthFailure,
    },
    /// A member announced another partition count than the cluster the client is
    /// connected to (a member configured differently). The connection is dropped and
    /// retried like any failed connection; the client keeps working with the others.
    #[error(
        "{address} announced {announced} partitions but the cluster has {expected}: \
         connection refused (retried)"
    )]
    PartitionCountMismatch {
        /// The member's address.
        address: String,
        /// The partition count of the cluster the client uses.
        expected: u32,
        /// The partition count the member announced.
        announced: u32,
    },
    /// The invocation did not complete within the invocation timeout.
    #[error("invocation timed out after {elapsed:?}")]
    Timeout {
        /// Time since the invocation started.
        elapsed: Duration,
        /// The last retryable failure, if the time was spent retrying.
        #[source]
        last_error: Option<Box<ClientError>>,
    },
    /// The client was shut down (pending calls fail with this).
    #[error("the client is shut down")]
    ClientShutdown,
    /// The member answered with an error.
    #[error("member error: {0}")]
    Member(ServerError),
    /// The connection closed after the request was written; the outcome is unknown.
    #[error("connection to {address} closed while the request was pending: {reason}")]
    TargetDisconnected {
        /// The member's address.
        address: String,
        /// Why the connection closed.
        reason: String,
    },
    /// No connection could take the request (never written).
    #[error("no connection to the cluster: {0}")]
    NoConnection(String),
    /// The client has no connection to any member and is reconnecting in the background;
    /// the call failed at once without being sent (see
    /// [`ClientConfig::offline_wait`](crate::ClientConfig::offline_wait)). Retrying later
    /// is safe.
    #[error("the client is offline (reconnecting to the cluster)")]
    Offline,
    /// No cluster of the configuration could be reached.
    #[error("unable to connect to any cluster: {0}")]
    ClusterUnreachable(String),
    /// A connection-level I/O error.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// A malformed message from a member.
    #[error("protocol error: {0}")]
    Protocol(#[from] DecodeError),
    /// A value could not be serialized or deserialized.
    #[error("serialization error: {0}")]
    Serialization(#[from] SerializationError),
    /// The configuration is unusable.
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl ClientError {
    /// Whether Hazelcast's retry rules (§5.1 of the protocol brief) allow another attempt.
    ///
    /// `request_retryable` is the message's `retryable` flag; `redo_operation` is the client
    /// setting that allows re-sending non-idempotent requests after a disconnect.
    pub fn is_retryable(&self, request_retryable: bool, redo_operation: bool) -> bool {
        match self {
            // Never written or client-side I/O: safe to send again.
            ClientError::NoConnection(_) | ClientError::Io(_) | ClientError::Offline => true,
            ClientError::Member(e) => {
                let code = e.code();
                if code == codes::TARGET_DISCONNECTED {
                    request_retryable || redo_operation
                } else {
                    is_retryable_code(code)
                }
            }
            // Written, outcome unknown: only idempotent requests, or when configured.
            ClientError::TargetDisconnected { .. } => request_retryable || redo_operation,
            _ => false,
        }
    }

    /// Whether the call certainly did not reach a member (it may be sent again without
    /// risk of applying it twice).
    pub fn is_unsent(&self) -> bool {
        matches!(self, ClientError::NoConnection(_) | ClientError::Offline)
    }

    /// Whether the failure says the cluster (or the member the call needed) is not
    /// available right now, rather than that the request was wrong: connection losses,
    /// timeouts, being offline, retryable member errors.
    pub fn is_unavailable(&self) -> bool {
        match self {
            ClientError::NoConnection(_)
            | ClientError::Offline
            | ClientError::Io(_)
            | ClientError::TargetDisconnected { .. }
            | ClientError::Timeout { .. }
            | ClientError::ClusterUnreachable(_)
            | ClientError::ClientShutdown => true,
            ClientError::Member(e) => {
                is_retryable_code(e.code()) || e.code() == codes::TARGET_DISCONNECTED
            }
            _ => false,
        }
    }

    /// The member error code, when the member reported one.
    pub fn server_code(&self) -> Option<i32> {
        match self {
            ClientError::Member(e) => Some(e.code()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(code: i32) -> ClientError {
        ClientError::Member(ServerError {
            chain: vec![ServerCause {
                code,
                class_name: "x".into(),
                message: None,
            }],
        })
    }

    #[test]
    fn retry_classification_follows_the_java_rules() {
        for code in [8, 19, 33, 39, 46, 47, 53, 62, 82, 90] {
            assert!(member(code).is_retryable(false, false), "code {code}");
        }
        for code in [0, 1, 61, 70] {
            assert!(!member(code).is_retryable(true, true), "code {code}");
        }
        assert!(!member(52).is_retryable(false, false));
        assert!(member(52).is_retryable(true, false));
        assert!(member(52).is_retryable(false, true));
        let td = ClientError::TargetDisconnected {
            address: "a".into(),
            reason: "r".into(),
        };
        assert!(!td.is_retryable(false, false));
        assert!(td.is_retryable(true, false));
        assert!(ClientError::NoConnection("x".into()).is_retryable(false, false));
        assert!(!ClientError::ClientShutdown.is_retryable(true, true));
        let auth = ClientError::Authentication {
            address: "a".into(),
            reason: AuthFailure::CredentialsFailed,
        };
        assert!(!auth.is_retryable(true, true));
    }

    #[test]
    fn auth_status_mapping() {
        assert_eq!(AuthFailure::from_status(1), AuthFailure::CredentialsFailed);
        assert_eq!(
            AuthFailure::from_status(2),
            AuthFailure::SerializationVersionMismatch
        );
        assert_eq!(
            AuthFailure::from_status(3),
            AuthFailure::NotAllowedInCluster
        );
        assert_eq!(AuthFailure::from_status(9), AuthFailure::Unknown(9));
    }

    #[test]
    fn server_error_display_shows_the_chain() {
        let e = ServerError {
            chain: vec![
                ServerCause {
                    code: 33,
                    class_name: "MemberLeft".into(),
                    message: Some("gone".into()),
                },
                ServerCause {
                    code: 1,
                    class_name: "Cause".into(),
                    message: None,
                },
            ],
        };
        assert_eq!(
            e.to_string(),
            "MemberLeft (code 33): gone <- caused by Cause (code 1)"
        );
        assert_eq!(e.code(), 33);
    }
}
