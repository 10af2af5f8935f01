//! One TCP connection to a member: preamble and authentication handshake, a writer task
//! that sends every queued message with one vectored write (no copy into a batch buffer),
//! and a reader task that reads straight into the incremental decoder's buffer.
//!
//! A call that is alone on its connection (nothing else in flight, nothing queued) skips
//! the writer task: the caller writes its request to the socket itself (a non-blocking
//! write, falling back to the queue when the socket is full), which saves the hand-off to
//! another task when there is nothing to batch. Under load the queue and its batching stay:
//! a direct write never overtakes a queued message (both take the write half's lock, and a
//! caller writes directly only when nothing is queued).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::IoSlice;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
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
use crate::pending::Call;

/// The protocol preamble sent once after connecting.
pub(crate) const PREAMBLE: &[u8; 3] = b"CP2";
/// Messages queued per connection before senders wait.
const QUEUE: usize = 4096;
/// Messages sent with one vectored write at most (below the kernel's `IOV_MAX` of 1024).
const BATCH_MESSAGES: usize = 512;
/// Bytes sent with one vectored write at most (more waits for the next write).
const BATCH_BYTES: usize = 256 * 1024;
/// Room the decoder's buffer grows by when less than [`MIN_READ_ROOM`] is left.
const READ_CHUNK: usize = 64 * 1024;
/// Below this much spare room, the decoder's buffer grows before a read. Far below
/// [`READ_CHUNK`], so that one buffer serves many reads: growing allocates a new buffer
/// whenever a message read earlier is still alive (it shares the old one).
const MIN_READ_ROOM: usize = 4 * 1024;

/// A message queued for the writer: the request of a call, shared with its caller (which
/// keeps it for a retry without copying it for the first attempt) and the pending table.
pub(crate) type Outgoing = Arc<Call>;

/// Wire counters shared by the connections of one client.
#[derive(Debug, Default)]
pub(crate) struct WireStats {
    /// Messages written.
    pub(crate) messages_sent: AtomicU64,
    /// Write system calls (each sends one or more messages).
    pub(crate) write_calls: AtomicU64,
    /// Bytes written.
    pub(crate) bytes_sent: AtomicU64,
    /// Messages read.
    pub(crate) messages_received: AtomicU64,
    /// Read system calls that returned data.
    pub(crate) read_calls: AtomicU64,
}

/// The live connections by member uuid, looked up on every invocation.
pub(crate) type ConnectionMap = HashMap<Uuid, Arc<Connection>, BuildHasherDefault<UuidHasher>>;

/// A cheap hasher for member uuids (random, and a handful of them: no flooding to fear),
/// instead of SipHash on every invocation's connection lookup.
#[derive(Debug, Default)]
pub(crate) struct UuidHasher(u64);

impl Hasher for UuidHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(29) ^ u64::from_le_bytes(b))
                .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
}

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
    /// The local end of the socket, as `host:port` (for the client statistics).
    pub(crate) local_address: String,
    /// When the connection was opened, in milliseconds since the Unix epoch.
    pub(crate) connected_at_ms: i64,
    tx: mpsc::Sender<Outgoing>,
    /// The socket's write half, shared by the writer task and direct writes; `None` once
    /// the connection is closed.
    writer: tokio::sync::Mutex<Option<OwnedWriteHalf>>,
    /// Messages queued for the writer task and not written yet. A direct write happens
    /// only when it is zero (checked under the write half's lock), so that it never
    /// overtakes a queued message.
    queued: AtomicUsize,
    /// Calls sent on this connection and not finished ([`Connection::begin_call`]).
    in_flight: AtomicUsize,
    wire: Arc<WireStats>,
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
        wire: Arc<WireStats>,
    ) -> Arc<Self> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let local_address = stream
            .local_addr()
            .map_or_else(|_| String::new(), |a| a.to_string());
        let (rd, wr) = stream.into_split();
        let conn = Arc::new(Self {
            id,
            member_uuid,
            address,
            local_address,
            connected_at_ms: crate::statistics::epoch_millis(std::time::SystemTime::now()),
            tx,
            writer: tokio::sync::Mutex::new(Some(wr)),
            queued: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            wire,
            closed: AtomicBool::new(false),
            base: Instant::now(),
            last_read_ms: AtomicU64::new(0),
            last_write_ms: AtomicU64::new(0),
            handlers: Mutex::new(HashMap::new()),
            tasks: Mutex::new(Vec::new()),
            sink,
        });
        let reader = tokio::spawn(read_loop(Arc::clone(&conn), rd, decoder));
        let writer = tokio::spawn(write_loop(Arc::clone(&conn), rx));
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

    /// Counts a call in flight on this connection until the returned guard is dropped.
    /// [`CallSlot::alone`] tells whether it is the only one.
    pub(crate) fn begin_call(&self) -> CallSlot<'_> {
        let before = self.in_flight.fetch_add(1, Ordering::Relaxed);
        CallSlot {
            conn: self,
            alone: before == 0,
        }
    }

    fn closed_error(&self) -> ClientError {
        ClientError::NoConnection(format!("connection to {} is closed", self.address))
    }

    /// Sends a message: written to the socket at once by the caller when `direct` is set
    /// and nothing is queued or being written, else queued for the writer task.
    pub(crate) async fn send(
        self: &Arc<Self>,
        message: Outgoing,
        direct: bool,
    ) -> Result<(), ClientError> {
        if self.is_closed() {
            return Err(self.closed_error());
        }
        if direct && self.queued.load(Ordering::Acquire) == 0 {
            match self.try_write_direct(&message).await {
                Direct::Written => return Ok(()),
                Direct::Failed(e) => return Err(e),
                Direct::Busy => {}
            }
        }
        // Reserving first keeps the count right if this future is dropped while waiting.
        // A free slot is taken without building the waiting future (the usual case).
        let permit = match self.tx.try_reserve() {
            Ok(permit) => permit,
            Err(mpsc::error::TrySendError::Closed(())) => return Err(self.closed_error()),
            Err(mpsc::error::TrySendError::Full(())) => {
                self.tx.reserve().await.map_err(|_| self.closed_error())?
            }
        };
        self.queued.fetch_add(1, Ordering::AcqRel);
        permit.send(message);
        Ok(())
    }

    /// Writes `message` with a non-blocking write if the write half is free and nothing is
    /// queued. A partial write is finished here, under the lock, so that no other message
    /// lands in the middle; a caller dropped mid-message closes the connection.
    async fn try_write_direct(self: &Arc<Self>, message: &Outgoing) -> Direct {
        let Ok(mut guard) = self.writer.try_lock() else {
            return Direct::Busy;
        };
        if self.queued.load(Ordering::Acquire) != 0 {
            return Direct::Busy;
        }
        let Some(wr) = guard.as_mut() else {
            return Direct::Failed(self.closed_error());
        };
        let bytes = message.request().as_bytes();
        let written = match wr.try_write(bytes) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Direct::Busy,
            Err(e) => {
                drop(guard);
                self.close(&format!("write failed: {e}"));
                return Direct::Failed(self.closed_error());
            }
        };
        let mut calls = 1;
        if written < bytes.len() {
            let mut unfinished = CloseUnlessFinished {
                conn: self,
                finished: false,
            };
            let rest = bytes.get(written..).unwrap_or_default();
            let r = wr.write_all(rest).await;
            unfinished.finished = true;
            if let Err(e) = r {
                drop(guard);
                self.close(&format!("write failed: {e}"));
                return Direct::Failed(self.closed_error());
            }
            calls += 1;
        }
        drop(guard);
        let w = &self.wire;
        w.messages_sent.fetch_add(1, Ordering::Relaxed);
        w.write_calls.fetch_add(calls, Ordering::Relaxed);
        w.bytes_sent
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        self.last_write_ms.store(self.now_ms(), Ordering::Relaxed);
        Direct::Written
    }

    /// Queues a message without waiting (heartbeats); false when the queue is full or closed.
    pub(crate) fn try_send(&self, message: Message) -> bool {
        if self.is_closed() {
            return false;
        }
        match self.tx.try_reserve() {
            Ok(permit) => {
                self.queued.fetch_add(1, Ordering::AcqRel);
                permit.send(Arc::new(Call::new(message)));
                true
            }
            Err(_) => false,
        }
    }

    /// Closes the connection; the first call stops the tasks and tells the sink.
    pub(crate) fn close(self: &Arc<Self>, reason: &str) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        tracing::debug!(conn = self.id, address = %self.address, reason, "connection closed");
        self.abort_tasks();
        // Dropping the write half shuts the socket's sending side down. When a writer holds
        // it right now, it goes with the connection.
        if let Ok(mut w) = self.writer.try_lock() {
            w.take();
        }
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

/// A call counted in flight on a connection (see [`Connection::begin_call`]).
pub(crate) struct CallSlot<'a> {
    conn: &'a Connection,
    /// Whether no other call was in flight on the connection when this one began: its
    /// request is then written directly (nothing to batch it with).
    pub(crate) alone: bool,
}

impl Drop for CallSlot<'_> {
    fn drop(&mut self) {
        self.conn.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What a direct write did.
enum Direct {
    /// The whole message is on the socket.
    Written,
    /// The write half is busy, messages are queued or the socket is full: queue it.
    Busy,
    /// The connection failed.
    Failed(ClientError),
}

/// Closes the connection if dropped before a started message is written whole (the stream
/// would be corrupt).
struct CloseUnlessFinished<'a> {
    conn: &'a Arc<Connection>,
    finished: bool,
}

impl Drop for CloseUnlessFinished<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.conn
                .close("a request was cancelled in the middle of its write");
        }
    }
}

async fn read_loop(conn: Arc<Connection>, mut rd: OwnedReadHalf, mut decoder: MessageDecoder) {
    // Bytes read together with the authentication response come first.
    let reason = 'outer: loop {
        let mut n = 0u64;
        loop {
            match decoder.next_message() {
                Ok(Some(m)) => {
                    n += 1;
                    conn.sink.on_message(&conn, m);
                }
                Ok(None) => break,
                Err(e) => break 'outer format!("malformed message from member: {e}"),
            }
        }
        if n > 0 {
            conn.wire.messages_received.fetch_add(n, Ordering::Relaxed);
        }
        let room = {
            let b = decoder.buffer_for_read(0);
            b.capacity() - b.len()
        };
        let grow = if room < MIN_READ_ROOM { READ_CHUNK } else { 0 };
        match rd.read_buf(decoder.buffer_for_read(grow)).await {
            Ok(0) => break "closed by the member".to_owned(),
            Ok(_) => {
                conn.wire.read_calls.fetch_add(1, Ordering::Relaxed);
                conn.last_read_ms.store(conn.now_ms(), Ordering::Relaxed);
            }
            Err(e) => break format!("read failed: {e}"),
        }
    };
    conn.close(&reason);
}

/// Adds to `batch` (which holds at least one message) whatever else is queued, up to
/// [`BATCH_MESSAGES`] messages or [`BATCH_BYTES`] bytes. Returns the batch's byte count.
fn fill_batch(rx: &mut mpsc::Receiver<Outgoing>, batch: &mut Vec<Outgoing>) -> usize {
    let mut bytes: usize = batch.iter().map(|m| m.request().len()).sum();
    while batch.len() < BATCH_MESSAGES && bytes < BATCH_BYTES {
        match rx.try_recv() {
            Ok(m) => {
                bytes += m.request().len();
                batch.push(m);
            }
            Err(_) => break,
        }
    }
    bytes
}

/// Writes every message of `batch` with as few vectored writes as the socket allows (no
/// copy into a batch buffer). Returns the number of write calls.
async fn write_batch(wr: &mut OwnedWriteHalf, batch: &[Outgoing]) -> std::io::Result<u64> {
    let mut slices: Vec<IoSlice<'_>> = batch
        .iter()
        .map(|m| IoSlice::new(m.request().as_bytes()))
        .collect();
    let mut rest: &mut [IoSlice<'_>] = &mut slices;
    let mut calls = 0u64;
    while !rest.is_empty() {
        let n = wr.write_vectored(rest).await?;
        calls += 1;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut rest, n);
    }
    Ok(calls)
}

async fn write_loop(conn: Arc<Connection>, mut rx: mpsc::Receiver<Outgoing>) {
    let mut batch: Vec<Outgoing> = Vec::with_capacity(BATCH_MESSAGES);
    let reason = loop {
        if rx.recv_many(&mut batch, BATCH_MESSAGES).await == 0 {
            break "writer queue closed".to_owned();
        }
        if batch.len() < BATCH_MESSAGES {
            // Let the tasks woken by the responses just read queue their next requests
            // first: under load, one write then carries many requests (one TCP segment
            // instead of one per request); alone, it costs a trip through the scheduler.
            tokio::task::yield_now().await;
            fill_batch(&mut rx, &mut batch);
        }
        let bytes: usize = batch.iter().map(|m| m.request().len()).sum();
        let mut guard = conn.writer.lock().await;
        let Some(wr) = guard.as_mut() else {
            break "connection closed".to_owned();
        };
        match write_batch(wr, &batch).await {
            Ok(calls) => {
                // Under the lock: a direct write sees the queue empty only once these
                // messages are on the socket.
                conn.queued.fetch_sub(batch.len(), Ordering::AcqRel);
                drop(guard);
                let w = &conn.wire;
                w.messages_sent
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                w.write_calls.fetch_add(calls, Ordering::Relaxed);
                w.bytes_sent.fetch_add(bytes as u64, Ordering::Relaxed);
            }
            Err(e) => break format!("write failed: {e}"),
        }
        batch.clear();
        conn.last_write_ms.store(conn.now_ms(), Ordering::Relaxed);
    };
    conn.close(&reason);
}

#[cfg(test)]
mod tests {
    use super::*;
    use hazelcast_protocol::codec::client::ClientPingRequest;

    fn ping(id: i64) -> Outgoing {
        let mut m = ClientPingRequest {}.encode();
        m.set_correlation_id(id);
        Arc::new(Call::new(m))
    }

    #[test]
    fn connection_map_finds_every_member() {
        use std::hash::BuildHasher;
        let ids: Vec<Uuid> = (0..64u128)
            .map(|i| Uuid::from_u128(i.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)))
            .collect();
        let hasher = BuildHasherDefault::<UuidHasher>::default();
        let hashes: std::collections::HashSet<u64> =
            ids.iter().map(|u| hasher.hash_one(u)).collect();
        assert_eq!(hashes.len(), ids.len(), "no collisions among 64 uuids");
        let mut m: HashMap<Uuid, usize, BuildHasherDefault<UuidHasher>> = HashMap::default();
        for (i, u) in ids.iter().enumerate() {
            m.insert(*u, i);
        }
        assert!(ids.iter().enumerate().all(|(i, u)| m.get(u) == Some(&i)));
    }

    #[test]
    fn queued_messages_are_batched_up_to_the_limits() {
        let (tx, mut rx) = mpsc::channel(QUEUE);
        let count = BATCH_MESSAGES + 100;
        for i in 0..count {
            tx.try_send(ping(i as i64)).expect("queue");
        }
        let mut batch = vec![ping(-1)];
        let bytes = fill_batch(&mut rx, &mut batch);
        assert_eq!(batch.len(), BATCH_MESSAGES, "stops at the message limit");
        assert_eq!(
            bytes,
            batch.iter().map(|m| m.request().len()).sum::<usize>()
        );
        let ids: Vec<i64> = batch.iter().map(|m| m.request().correlation_id()).collect();
        assert_eq!(ids.first(), Some(&-1));
        assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "in queue order");
        // The rest forms the next batch.
        let mut next = Vec::new();
        assert!(rx.try_recv().map(|m| next.push(m)).is_ok());
        fill_batch(&mut rx, &mut next);
        assert_eq!(batch.len() + next.len(), count + 1);

        // Large messages stop at the byte limit.
        let big = Arc::new(Call::new(
            Message::from_bytes({
                let mut w = hazelcast_protocol::message::MessageWriter::request(1, 0);
                w.frame(0, &vec![0u8; BATCH_BYTES / 4]);
                w.finish().into_bytes()
            })
            .expect("valid"),
        ));
        for _ in 0..10 {
            tx.try_send(Arc::clone(&big)).expect("queue");
        }
        let mut batch = vec![Arc::clone(&big)];
        let bytes = fill_batch(&mut rx, &mut batch);
        assert_eq!(batch.len(), 4);
        assert!(bytes >= BATCH_BYTES);
    }

    #[tokio::test]
    async fn a_batch_arrives_whole_and_in_order() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let client = TcpStream::connect(addr).await.expect("connect");
        let (mut server, _) = listener.accept().await.expect("accept");
        let (_rd, mut wr) = client.into_split();
        let batch: Vec<Outgoing> = (0..300).map(ping).collect();
        let calls = write_batch(&mut wr, &batch).await.expect("write");
        assert!(calls >= 1);
        drop(wr);
        let mut got = Vec::new();
        server.read_to_end(&mut got).await.expect("read");
        let mut d = MessageDecoder::new(DecoderConfig::default());
        d.feed(&got);
        let mut ids = Vec::new();
        while let Some(m) = d.next_message().expect("valid") {
            ids.push(m.correlation_id());
        }
        assert_eq!(ids, (0..300).collect::<Vec<i64>>());
    }
}
