//! Error types of the session model, the codecs and the repositories.

use std::error::Error as StdError;

/// A boxed error from a lower layer (a storage backend, a serde format), kept as the source.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// An attribute value could not be encoded or decoded by an [`AttributeCodec`].
///
/// [`AttributeCodec`]: crate::AttributeCodec
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The value could not be written in the codec's format.
    #[error("could not encode an attribute value with the {codec} codec")]
    Encode {
        /// Name of the codec.
        codec: &'static str,
        /// What the format reported.
        #[source]
        source: BoxError,
    },
    /// The stored bytes are not a value of the requested type in the codec's format.
    #[error("could not decode an attribute value with the {codec} codec")]
    Decode {
        /// Name of the codec.
        codec: &'static str,
        /// What the format reported.
        #[source]
        source: BoxError,
    },
}

/// The operating system's random number generator failed while making a session id.
#[derive(Debug, thiserror::Error)]
#[error("could not generate a session id: {reason}")]
pub struct IdGenerationError {
    reason: String,
}

impl IdGenerationError {
    /// A generation failure with a human-readable reason (not containing any id).
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// An operation on a [`SessionData`](crate::SessionData) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionDataError {
    /// The attribute value could not be encoded, or the stored value does not decode into
    /// the requested type.
    #[error("attribute `{name}` could not be converted")]
    Attribute {
        /// The attribute name (names are not secret; values are never put in errors).
        name: String,
        /// The codec's error.
        #[source]
        source: CodecError,
    },
    /// The attribute name is empty or longer than [`MAX_ATTRIBUTE_NAME_LEN`](crate::MAX_ATTRIBUTE_NAME_LEN).
    #[error("attribute name is empty or longer than {max} bytes")]
    InvalidAttributeName {
        /// The maximum length in bytes.
        max: usize,
    },
    /// The session was invalidated; it can no longer be changed.
    #[error("the session has been invalidated")]
    Invalidated,
    /// A new id could not be generated for [`SessionData::change_id`](crate::SessionData::change_id).
    #[error(transparent)]
    IdGeneration(#[from] IdGenerationError),
}

/// A [`SessionRepository`](crate::SessionRepository) operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RepositoryError {
    /// The storage backend failed (network, cluster, I/O). The source says why.
    #[error("the session store failed")]
    Backend(#[source] BoxError),
    /// The backend did not answer in time.
    #[error("the session store did not answer in time")]
    Timeout,
    /// A stored record could not be read as a session.
    #[error("a stored session record is malformed")]
    Malformed(#[source] BoxError),
    /// A new session's id is already taken in the store; nothing was overwritten.
    #[error("the new session's id is already in use")]
    IdCollision,
    /// The store holds as many sessions as it is allowed to; the new session was not stored.
    #[error("the session store is full ({limit} sessions)")]
    CapacityExceeded {
        /// The configured limit.
        limit: usize,
    },
    /// A concurrent update could not be merged within the allowed number of attempts.
    #[error(
        "the session was updated concurrently and the change could not be merged after {attempts} attempts"
    )]
    Conflict {
        /// How many attempts were made.
        attempts: u32,
    },
    /// A session id could not be generated.
    #[error(transparent)]
    IdGeneration(#[from] IdGenerationError),
    /// The session could not be encoded for storage.
    #[error(transparent)]
    Session(#[from] SessionDataError),
}

impl RepositoryError {
    /// Wraps a backend failure.
    pub fn backend(error: impl Into<BoxError>) -> Self {
        Self::Backend(error.into())
    }

    /// Wraps a malformed-record failure.
    pub fn malformed(error: impl Into<BoxError>) -> Self {
        Self::Malformed(error.into())
    }
}
