//! Framework-agnostic HTTP sessions: the session model, the repository trait and the
//! in-memory repository.
#![forbid(unsafe_code)]
