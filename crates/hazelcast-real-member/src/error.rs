//! Errors of the member launcher.

use std::time::Duration;

/// What can go wrong when starting or steering real members.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MemberError {
    /// Java, Maven or the Hazelcast artifact is missing; the message says what to install.
    #[error("cannot install the Hazelcast member: {0}")]
    Setup(String),
    /// A process could not be started.
    #[error("cannot start {what}")]
    Spawn {
        /// The command.
        what: String,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A file (config, log) could not be written or read.
    #[error("{what}")]
    Io {
        /// What was being done.
        what: String,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A member did not reach the expected state in time.
    #[error("{what} not within {timeout:?}; last log lines of {log}:\n{tail}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long it was awaited.
        timeout: Duration,
        /// The member's log file.
        log: String,
        /// Its last lines.
        tail: String,
    },
    /// A member process ended by itself.
    #[error("member {slot} exited ({status}); last log lines:\n{tail}")]
    Exited {
        /// The member's slot.
        slot: usize,
        /// How it ended.
        status: String,
        /// Its last log lines.
        tail: String,
    },
    /// No member has this slot, or the operation does not fit its state.
    #[error("member {slot}: {reason}")]
    BadSlot {
        /// The slot asked for.
        slot: usize,
        /// Why it cannot be done.
        reason: &'static str,
    },
    /// Sending a signal failed.
    #[error("cannot signal member process {pid}")]
    Signal {
        /// The process id.
        pid: u32,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
}
