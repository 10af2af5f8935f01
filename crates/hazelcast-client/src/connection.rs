//! One TCP connection to a member: preamble and authentication handshake, a writer task
//! that batches queued messages into one write, and a reader task with the incremental
//! decoder.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hazelcast_protocol::decoder::{DecoderConfig, MessageDecoder};
use hazelcast_protocol::message::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use uuid::Uuid;

use crate::error::ClientError;

/// The protocol preamble sent once after connecting.
pub(crate) const PREAMBLE: &[u8; 3] = b"CP2";
/// Messages queued per connection before senders wait.
const QUEUE: usize = 4096;
/// Bytes gathered into one write at most.
const BATCH_BYTES: usize = 64 * 1024;
/// Read buffer size.
const READ_CHUNK: usize = 64 * 1024;

/// Called on an event from the member.
pub(crate) type EventHandler = Arc<dyn Fn(&Message) + Send + Sync>;

/// Receives what a connection reads and learns when it closes.
pub(crate) trait ConnectionSink: Send + Sync {
    /// A whole message arrived.
    fn on_message(&self, conn: &Arc<Connection>, message: Message);
    /// The connection closed (called once).
    fn on_closed(&self, conn: &Arc<Connection>, reason: &str);
}

/// A live, authenticated connection.
pub(crate) struct Connection {
    pub(crate) id: u64,
    pub(crate) member_uuid: Uuid,
    pub(crate) address: String,
    tx: mpsc::Sender<Message>,
    closed: AtomicBool,
    base: Instant,
    last_read_ms: AtomicU64,
    last_write_ms: AtomicU64,
    handlers: Mutex<HashMap<i64, EventHandler>>,
    tasks: Mutex<Vec<AbortHandle>>,
    sink: Arc<dyn ConnectionSink>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.id)
            .field("member", &self.member_uuid)
            .field("address", &self.address)
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Connects, sends the preamble and `auth`, and reads the first message (the response).
/// Returns the stream, the decoder (holding any bytes read past the response) and it.
pub(crate) async fn handshake(
    address: &str,
    connect_timeout: Duration,
    auth: &Message,
    auth_timeout: Duration,
) -> Result<(TcpStream, MessageDecoder, Message), ClientError> {
    let mut stream = tokio::time::timeout(connect_timeout, TcpStream::connect(address))
        .await
        .map_err(|_| {
            ClientError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("connect to {address} timed out"),
            ))
        })??;
    stream.set_nodelay(true)?;
    let mut out = Vec::with_capacity(PREAMBLE.len() + auth.len());
    out.extend_from_slice(PREAMBLE);
    out.extend_from_slice(auth.as_bytes());
    let read = async {
        stream.write_all(&out).await?;
        let mut decoder = MessageDecoder::new(DecoderConfig::default());
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            if let Some(m) = decoder.next_message()? {
                return Ok::<_, ClientError>((decoder, m));
            }
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                return Err(ClientError::Io(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("{address} closed the connection during authentication"),
                )));
            }
            decoder.feed(buf.get(..n).unwrap_or_default());
        }
    };
    let (decoder, response) = tokio::time::timeout(auth_timeout, read)
        .await
        .map_err(|_| {
            ClientError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("authentication at {address} timed out"),
            ))
        })??;
    Ok((stream, decoder, response))
}

impl Connection {
    /// Starts the reader and writer tasks over an authenticated stream.
    pub(crate) fn start(
        id: u64,
        member_uuid: Uuid,
        address: String,
        stream: TcpStream,
        decoder: MessageDecoder,
        sink: Arc<dyn ConnectionSink>,
    ) -> Arc<Self> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let conn = Arc::new(Self {
            id,
            member_uuid,
            address,
            tx,
            closed: AtomicBool::new(false),
            base: Instant::now(),
            last_read_ms: AtomicU64::new(0),
            last_write_ms: AtomicU64::new(0),
            handlers: Mutex::new(HashMap::new()),
            tasks: Mutex::new(Vec::new()),
            sink,
        });
        let (rd, wr) = stream.into_split();
        let reader = tokio::spawn(read_loop(Arc::clone(&conn), rd, decoder));
        let writer = tokio::spawn(write_loop(Arc::clone(&conn), wr, rx));
        {
            let mut t = conn.tasks.lock().unwrap_or_else(PoisonError::into_inner);
            t.push(reader.abort_handle());
            t.push(writer.abort_handle());
        }
        // A close that raced with the spawn above must still stop the tasks.
        if conn.is_closed() {
            conn.abort_tasks();
        }
        conn
    }

    /// Whether the connection is closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Queues a message for the writer.
    pub(crate) async fn send(&self, message: Message) -> Result<(), ClientError> {
        if self.is_closed() {
            return Err(ClientError::NoConnection(format!(
                "connection to {} is closed",
                self.address
            )));
        }
        self.tx.send(message).await.map_err(|_| {
            ClientError::NoConnection(format!("connection to {} is closed", self.address))
        })
    }

    /// Queues a message without waiting (heartbeats); false when the queue is full or closed.
    pub(crate) fn try_send(&self, message: Message) -> bool {
        !self.is_closed() && self.tx.try_send(message).is_ok()
    }

    /// Closes the connection; the first call stops the tasks and tells the sink.
    pub(crate) fn close(self: &Arc<Self>, reason: &str) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        tracing::debug!(conn = self.id, address = %self.address, reason, "connection closed");
        self.abort_tasks();
        self.handlers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.sink.on_closed(self, reason);
    }

    fn abort_tasks(&self) {
        for t in self
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
        {
            t.abort();
        }
    }

    /// Installs the handler for events carrying `correlation_id`.
    pub(crate) fn add_handler(&self, correlation_id: i64, handler: EventHandler) {
        self.handlers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(correlation_id, handler);
    }

    /// Removes an event handler.
    pub(crate) fn remove_handler(&self, correlation_id: i64) {
        self.handlers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&correlation_id);
    }

    /// The handler for events carrying `correlation_id`.
    pub(crate) fn handler(&self, correlation_id: i64) -> Option<EventHandler> {
        self.handlers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&correlation_id)
            .cloned()
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Time since the last read.
    pub(crate) fn since_read(&self) -> Duration {
        Duration::from_millis(
            self.now_ms()
                .saturating_sub(self.last_read_ms.load(Ordering::Relaxed)),
        )
    }

    /// Time since the last write.
    pub(crate) fn since_write(&self) -> Duration {
        Duration::from_millis(
            self.now_ms()
                .saturating_sub(self.last_write_ms.load(Ordering::Relaxed)),
        )
    }
}

async fn read_loop(conn: Arc<Connection>, mut rd: OwnedReadHalf, mut decoder: MessageDecoder) {
    let mut buf = vec![0u8; READ_CHUNK];
    // Bytes read together with the authentication response come first.
    let reason = 'outer: loop {
        loop {
            match decoder.next_message() {
                Ok(Some(m)) => conn.sink.on_message(&conn, m),
                Ok(None) => break,
                Err(e) => break 'outer format!("malformed message from member: {e}"),
            }
        }
        match rd.read(&mut buf).await {
            Ok(0) => break "closed by the member".to_owned(),
            Ok(n) => {
                conn.last_read_ms.store(conn.now_ms(), Ordering::Relaxed);
                decoder.feed(buf.get(..n).unwrap_or_default());
            }
            Err(e) => break format!("read failed: {e}"),
        }
    };
    conn.close(&reason);
}

/// Puts `first` and whatever else is queued (up to [`BATCH_BYTES`]) into `buf`: one write
/// for many small messages under load. Returns the number of messages.
fn fill_batch(first: &Message, rx: &mut mpsc::Receiver<Message>, buf: &mut Vec<u8>) -> usize {
    buf.clear();
    buf.extend_from_slice(first.as_bytes());
    let mut n = 1;
    while buf.len() < BATCH_BYTES {
        match rx.try_recv() {
            Ok(m) => {
                buf.extend_from_slice(m.as_bytes());
                n += 1;
            }
            Err(_) => break,
        }
    }
    n
}

async fn write_loop(
    conn: Arc<Connection>,
    mut wr: OwnedWriteHalf,
    mut rx: mpsc::Receiver<Message>,
) {
    let mut buf: Vec<u8> = Vec::with_capacity(BATCH_BYTES);
    let reason = loop {
        let Some(first) = rx.recv().await else {
            break "writer queue closed".to_owned();
        };
        fill_batch(&first, &mut rx, &mut buf);
        if let Err(e) = wr.write_all(&buf).await {
            break format!("write failed: {e}");
        }
        conn.last_write_ms.store(conn.now_ms(), Ordering::Relaxed);
    };
    conn.close(&reason);
}

#[cfg(test)]
mod tests {
    use super::*;
    use hazelcast_protocol::codec::client::ClientPingRequest;

    fn ping(id: i64) -> Message {
        let mut m = ClientPingRequest {}.encode();
        m.set_correlation_id(id);
        m
    }

    #[test]
    fn queued_messages_are_batched_up_to_the_limit() {
        let (tx, mut rx) = mpsc::channel(QUEUE);
        let one = ping(0).len();
        let count = BATCH_BYTES / one + 100;
        for i in 0..count {
            tx.try_send(ping(i as i64)).expect("queue");
        }
        let mut buf = Vec::new();
        let n = fill_batch(&ping(-1), &mut rx, &mut buf);
        assert_eq!(n, BATCH_BYTES.div_ceil(one), "stops once the batch is full");
        assert_eq!(buf.len(), n * one);
        // The bytes are the messages back to back, in order.
        let mut d = MessageDecoder::new(DecoderConfig::default());
        d.feed(&buf);
        let mut ids = Vec::new();
        while let Some(m) = d.next_message().expect("valid") {
            ids.push(m.correlation_id());
        }
        assert_eq!(ids.len(), n);
        assert_eq!(ids.first(), Some(&-1));
        assert!(ids.windows(2).all(|w| w[1] == w[0] + 1));
        // The rest forms the next batch.
        let first = rx.try_recv().expect("left");
        let n2 = fill_batch(&first, &mut rx, &mut buf);
        assert_eq!(n + n2, count + 1);
    }
}
