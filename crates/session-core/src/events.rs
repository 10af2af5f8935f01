//! SessionData lifecycle events and their broadcast stream.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

/// The default number of events buffered per subscriber.
pub const DEFAULT_EVENT_CAPACITY: usize = 1024;

/// Something that happened to a stored session.
///
/// The `Debug` output contains the session id: log events at debug level or below only.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SessionEvent {
    /// A new session was saved for the first time.
    Created {
        /// The session id.
        id: String,
    },
    /// A session was deleted (explicitly, or by saving an invalidated session).
    Deleted {
        /// The session id.
        id: String,
    },
    /// A session reached its max inactive interval and was removed.
    Expired {
        /// The session id.
        id: String,
    },
    /// Events were lost: this subscriber fell behind and `missed` events were dropped for
    /// it (the buffer is bounded; the stream continues with the oldest event still
    /// buffered), or the repository lost events on its side (a full listener buffer, a
    /// reconnect, a failover to another cluster). Subscribers that keep state built from
    /// events should rebuild it.
    Lagged {
        /// How many events were lost; 0 when the number is unknown (a reconnect or
        /// failover).
        missed: u64,
    },
}

impl SessionEvent {
    /// The session id the event is about (`None` for [`SessionEvent::Lagged`]).
    pub fn session_id(&self) -> Option<&str> {
        match self {
            Self::Created { id } | Self::Deleted { id } | Self::Expired { id } => Some(id),
            Self::Lagged { .. } => None,
        }
    }
}

/// Publishes [`SessionEvent`]s to any number of subscribers.
///
/// Each subscriber has a bounded buffer (`capacity` events). Publishing never waits: a
/// subscriber that does not keep up loses the oldest events and then receives one
/// [`SessionEvent::Lagged`] saying how many. Memory stays bounded whatever subscribers do.
/// Repository implementations embed one and hand out [`EventBus::subscribe`].
#[derive(Debug, Clone)]
pub struct EventBus {
    sender: broadcast::Sender<SessionEvent>,
}

impl EventBus {
    /// A bus buffering up to `capacity` events per subscriber (at least 1).
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Self { sender }
    }

    /// Sends `event` to every current subscriber; returns how many there were.
    pub fn publish(&self, event: SessionEvent) -> usize {
        self.sender.send(event).unwrap_or(0)
    }

    /// A stream of the events published from now on.
    pub fn subscribe(&self) -> SessionEventStream {
        SessionEventStream {
            inner: BroadcastStream::new(self.sender.subscribe()),
        }
    }

    /// The number of live subscribers.
    pub fn subscriber_count(&self) -> usize {
        self.sender.receiver_count()
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new(DEFAULT_EVENT_CAPACITY)
    }
}

/// An async stream of [`SessionEvent`]s from one repository. It ends when the repository
/// (every handle of its event bus) is dropped.
pub struct SessionEventStream {
    inner: BroadcastStream<SessionEvent>,
}

impl std::fmt::Debug for SessionEventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionEventStream").finish_non_exhaustive()
    }
}

impl Stream for SessionEventStream {
    type Item = SessionEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<SessionEvent>> {
        Pin::new(&mut self.inner).poll_next(cx).map(|item| {
            item.map(|result| match result {
                Ok(event) => event,
                Err(BroadcastStreamRecvError::Lagged(missed)) => SessionEvent::Lagged { missed },
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    #[tokio::test]
    async fn every_subscriber_gets_every_event() {
        let bus = EventBus::new(8);
        let mut a = bus.subscribe();
        let mut b = bus.subscribe();
        assert_eq!(bus.publish(SessionEvent::Created { id: "x".into() }), 2);
        assert_eq!(a.next().await.unwrap().session_id(), Some("x"));
        assert_eq!(b.next().await.unwrap().session_id(), Some("x"));
    }

    #[tokio::test]
    async fn slow_subscriber_is_told_how_many_it_missed() {
        let bus = EventBus::new(2);
        let mut slow = bus.subscribe();
        for i in 0..5 {
            bus.publish(SessionEvent::Deleted { id: i.to_string() });
        }
        assert_eq!(slow.next().await, Some(SessionEvent::Lagged { missed: 3 }));
        assert_eq!(slow.next().await.unwrap().session_id(), Some("3"));
        assert_eq!(slow.next().await.unwrap().session_id(), Some("4"));
        drop(bus);
        assert_eq!(slow.next().await, None);
    }
}
