//! Errors a member answers with, carrying the real Hazelcast client-protocol error codes.

/// Client-protocol error codes used by this member (`ClientProtocolErrorCodes` in Hazelcast).
pub mod codes {
    /// `HAZELCAST_INSTANCE_NOT_ACTIVE`: the member is shutting down.
    pub const HAZELCAST_INSTANCE_NOT_ACTIVE: i32 = 19;
    /// `HAZELCAST_SERIALIZATION`: bytes that cannot be deserialized (also invalid SQL text).
    pub const HAZELCAST_SERIALIZATION: i32 = 21;
    /// `ILLEGAL_ARGUMENT`.
    pub const ILLEGAL_ARGUMENT: i32 = 23;
    /// `INVALID_CONFIGURATION`: a conflicting dynamic configuration.
    pub const INVALID_CONFIGURATION: i32 = 32;
    /// `QUERY`: a predicate or index cannot read a value.
    pub const QUERY: i32 = 40;
    /// `TARGET_NOT_MEMBER`.
    pub const TARGET_NOT_MEMBER: i32 = 53;
    /// `UNSUPPORTED_OPERATION`: e.g. an unknown message type.
    pub const UNSUPPORTED_OPERATION: i32 = 61;
}

/// An error a member sends back to the client instead of a response.
///
/// Each variant maps to one Hazelcast error code and Java class name, so the official
/// clients raise the same exception type they would raise against a real member.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MemberError {
    /// A dynamic configuration conflicts with an existing one (code 32).
    #[error("{0}")]
    InvalidConfiguration(String),
    /// A query or index could not read a value (code 40).
    #[error("{0}")]
    Query(String),
    /// Bytes that cannot be deserialized, including unparsable SQL predicates (code 21).
    #[error("{0}")]
    Serialization(String),
    /// An argument the member rejects (code 23).
    #[error("{0}")]
    IllegalArgument(String),
    /// An operation the member does not support (code 61).
    #[error("{0}")]
    Unsupported(String),
    /// The member is not running (code 19).
    #[error("Hazelcast instance is not active!")]
    NotActive,
}

impl MemberError {
    /// The client-protocol error code.
    pub fn code(&self) -> i32 {
        match self {
            Self::InvalidConfiguration(_) => codes::INVALID_CONFIGURATION,
            Self::Query(_) => codes::QUERY,
            Self::Serialization(_) => codes::HAZELCAST_SERIALIZATION,
            Self::IllegalArgument(_) => codes::ILLEGAL_ARGUMENT,
            Self::Unsupported(_) => codes::UNSUPPORTED_OPERATION,
            Self::NotActive => codes::HAZELCAST_INSTANCE_NOT_ACTIVE,
        }
    }

    /// The Java class name a real member reports for this error.
    pub fn class_name(&self) -> &'static str {
        match self {
            Self::InvalidConfiguration(_) => "com.hazelcast.config.InvalidConfigurationException",
            Self::Query(_) => "com.hazelcast.query.QueryException",
            Self::Serialization(_) => {
                "com.hazelcast.nio.serialization.HazelcastSerializationException"
            }
            Self::IllegalArgument(_) => "java.lang.IllegalArgumentException",
            Self::Unsupported(_) => "java.lang.UnsupportedOperationException",
            Self::NotActive => "com.hazelcast.core.HazelcastInstanceNotActiveException",
        }
    }
}
