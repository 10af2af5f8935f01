//! Flush mode and save mode, with Spring Session's meaning.

/// When changes to a session are written to the repository.
///
/// Same meaning as Spring Session's `FlushMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum FlushMode {
    /// Changes are written when the session is saved, normally once at the end of the
    /// request. The default: one write per request at most.
    #[default]
    OnSave,
    /// Every change is written as soon as it is made (the request lifecycle saves after
    /// each change it is told about through [`SessionData::changes`](crate::SessionData::changes)).
    /// Costs one write per change; lets concurrent requests see changes early.
    Immediate,
}

/// Which attributes a save writes.
///
/// Same meaning as Spring Session's `SaveMode`. Whatever the mode, attributes that were
/// removed are removed, and attributes the session did not touch keep the value another
/// request may have written meanwhile (except with [`SaveMode::Always`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SaveMode {
    /// Only attributes set with [`SessionData::insert`](crate::SessionData::insert) are written.
    /// The default, and the safest for concurrent requests of one session.
    #[default]
    OnSetAttribute,
    /// Attributes that were read with [`SessionData::get`](crate::SessionData::get) are written
    /// too (in Java a read object may have been mutated in place; kept for parity).
    OnGetAttribute,
    /// Every attribute of the session is written on every save.
    Always,
}
