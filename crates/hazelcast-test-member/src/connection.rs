//! One client connection: preamble, authentication, request loop, events, backup acks.
//!
//! Bad clients get a real member's treatment, a closed connection, while the member keeps
//! serving others: a preamble other than `CP2`, a first message over 4096 bytes or
//! fragmented (`hazelcast.client.protocol.max.message.bytes`), any message other than
//! authentication before authentication, or bytes that do not frame. Failed
//! authentication is answered with its status, then the connection is closed. A client
//! that sends nothing, not even a ping, for the client timeout (300 s by default) is
//! disconnected.

use std::sync::Arc;
use std::time::Duration;

use hazelcast_protocol::codec::client::{
    ClientAuthenticationCustomRequest, ClientAuthenticationCustomResponse,
    ClientAuthenticationRequest, ClientAuthenticationResponse,
    ClientLocalBackupListenerBackupEvent,
};
use hazelcast_protocol::decoder::{DecoderConfig, MessageDecoder};
use hazelcast_protocol::frame::flags;
use hazelcast_protocol::message::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use uuid::Uuid;

use crate::dispatch::{self, AfterResponse, ConnInfo, Handled};
use crate::fault::CrashPoint;
use crate::journal::RequestRecord;
use crate::server::{BackupRoute, MemberShared};
use crate::views;

/// Authentication statuses.
mod status {
    pub(super) const AUTHENTICATED: u8 = 0;
    pub(super) const CREDENTIALS_FAILED: u8 = 1;
    pub(super) const SERIALIZATION_VERSION_MISMATCH: u8 = 2;
    pub(super) const NOT_ALLOWED_IN_CLUSTER: u8 = 3;
}

/// How long a new connection may take to send its preamble.
const PREAMBLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Outgoing messages queued per connection before writers wait.
const OUT_QUEUE: usize = 4096;

/// Cleans up after the connection however it ends (also when its task is aborted).
struct Guard {
    member: Arc<MemberShared>,
    conn_id: u64,
    client: Option<Uuid>,
    registrations: Vec<Uuid>,
    tasks: Vec<AbortHandle>,
    backup_route: bool,
}

impl Drop for Guard {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        for id in &self.registrations {
            self.member.engine.remove_entry_listener(*id);
        }
        if self.backup_route
            && let Some(client) = self.client
        {
            let mut routes = self.member.cluster.routes();
            let key = (self.member.uuid, client);
            if routes.get(&key).is_some_and(|r| r.conn_id == self.conn_id) {
                routes.remove(&key);
            }
        }
        self.member.forget_connection(self.conn_id);
    }
}

/// Serves one accepted connection until it closes.
pub(crate) async fn serve(member: Arc<MemberShared>, stream: TcpStream, conn_id: u64) {
    let (mut rd, mut wr) = stream.into_split();
    let (out, mut out_rx) = mpsc::channel::<Message>(OUT_QUEUE);
    let writer = tokio::spawn(async move {
        while let Some(m) = out_rx.recv().await {
            if wr.write_all(m.as_bytes()).await.is_err() {
                break;
            }
        }
        let _ = wr.shutdown().await;
    });
    let mut guard = Guard {
        member: Arc::clone(&member),
        conn_id,
        client: None,
        registrations: Vec::new(),
        tasks: vec![writer.abort_handle()],
        backup_route: false,
    };

    let mut preamble = [0u8; 3];
    match tokio::time::timeout(PREAMBLE_TIMEOUT, rd.read_exact(&mut preamble)).await {
        Ok(Ok(_)) if &preamble == b"CP2" => {}
        _ => {
            tracing::debug!("closing connection: bad or missing CP2 preamble");
            return;
        }
    }

    let mut decoder = MessageDecoder::new(DecoderConfig::member_before_authentication());
    let mut authenticated = false;
    let mut buf = vec![0u8; 64 * 1024];
    let silent_limit = member.cluster.client_timeout;
    loop {
        let n = match tokio::time::timeout(silent_limit, rd.read(&mut buf)).await {
            Err(_) => {
                tracing::info!("closing connection: client sent nothing for {silent_limit:?}");
                break;
            }
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(n)) => n,
        };
        decoder.feed(&buf[..n]);
        loop {
            let msg = match decoder.next_message() {
                Ok(Some(m)) => m,
                Ok(None) => break,
                Err(e) => {
                    // The guard closes the writer and any event forwarders.
                    tracing::debug!("closing connection: {e}");
                    return;
                }
            };
            member.journal.push(RequestRecord {
                connection: conn_id,
                client: guard.client,
                message_type: msg.message_type(),
                correlation_id: msg.correlation_id(),
                partition_id: msg.partition_id(),
                flags: msg.flags(),
            });
            if !authenticated {
                match authenticate(&member, &msg) {
                    Some((response, client, ok)) => {
                        if out.send(response).await.is_err() {
                            return;
                        }
                        if !ok {
                            drop(out);
                            let _ = writer.await;
                            return;
                        }
                        authenticated = true;
                        guard.client = Some(client);
                        decoder.set_config(DecoderConfig::default());
                    }
                    None => {
                        tracing::debug!(
                            message_type = msg.message_type(),
                            "closing connection: message before authentication"
                        );
                        return;
                    }
                }
                continue;
            }
            if !handle_request(&member, &mut guard, &out, msg).await {
                return;
            }
        }
    }
}

/// Checks an authentication request; returns the response, the client uuid and whether
/// it succeeded, or `None` when the message is not an authentication request.
fn authenticate(member: &MemberShared, msg: &Message) -> Option<(Message, Uuid, bool)> {
    let engine = &member.engine;
    let (status, client, custom) = match msg.message_type() {
        ClientAuthenticationRequest::MESSAGE_TYPE => {
            let r = ClientAuthenticationRequest::decode(msg).ok()?;
            let creds_ok = match &member.cluster.credentials {
                // Without security (every open-source member) a client presenting a
                // username and password is refused, whatever they are, even empty
                // (measured on a real 5.6.0 member).
                None => r.username.is_none() && r.password.is_none(),
                Some((u, p)) => {
                    r.username.as_deref() == Some(u.as_str())
                        && r.password.as_deref() == Some(p.as_str())
                }
            };
            let status = if r.cluster_name != engine.config().cluster_name || !creds_ok {
                status::CREDENTIALS_FAILED
            } else if r.serialization_version != 1 {
                status::SERIALIZATION_VERSION_MISMATCH
            } else if member.faults.denies_clients() {
                status::NOT_ALLOWED_IN_CLUSTER
            } else {
                status::AUTHENTICATED
            };
            (status, r.uuid.unwrap_or_else(Uuid::new_v4), false)
        }
        ClientAuthenticationCustomRequest::MESSAGE_TYPE => {
            let r = ClientAuthenticationCustomRequest::decode(msg).ok()?;
            // Custom credentials need a security realm, which an OSS member lacks.
            (
                status::CREDENTIALS_FAILED,
                r.uuid.unwrap_or_else(Uuid::new_v4),
                true,
            )
        }
        _ => return None,
    };
    let ok = status == status::AUTHENTICATED;
    let table = engine.partition_table();
    let members = views::member_infos(engine);
    let partitions = views::partitions(engine);
    macro_rules! response {
        ($t:ident, $wrap:expr) => {
            $t {
                status,
                address: Some(views::address(member.address)),
                member_uuid: ok.then_some(member.uuid),
                serialization_version: 1,
                server_hazelcast_version: views::SERVER_VERSION.to_string(),
                partition_count: if ok {
                    let count = member
                        .faults
                        .advertised_partition_count()
                        .unwrap_or_else(|| engine.partition_count());
                    i32::try_from(count).unwrap_or(271)
                } else {
                    -1
                },
                cluster_id: engine.cluster_id(),
                failover_supported: false,
                tpc_ports: Some(None),
                tpc_token: Some(None),
                member_list_version: Some(engine.member_list_version()),
                member_infos: Some($wrap(members)),
                partition_list_version: Some(table.version),
                partitions: Some($wrap(partitions)),
                key_value_pairs: Some(Vec::new()),
            }
            .encode()
        };
    }
    let mut response = if custom {
        response!(ClientAuthenticationCustomResponse, Some)
    } else {
        response!(ClientAuthenticationResponse, std::convert::identity)
    };
    if !ok {
        response = without_cluster_id(response);
    }
    response.set_correlation_id(msg.correlation_id());
    Some((response, client, ok))
}

/// A refusal as a real member sends it: no cluster id (measured on 5.6.0: null, although
/// the protocol definition calls the field non-nullable, so the codec cannot write it and
/// it is patched in here), besides no member uuid and partition count -1.
fn without_cluster_id(response: Message) -> Message {
    use hazelcast_protocol::codec::builtin::FixedSize as _;
    // Frame header (6 bytes), then the response header, status (1), member uuid (17),
    // serialization version (1), partition count (4): the cluster id follows.
    let at = 6 + hazelcast_protocol::message::RESPONSE_FIXED_OFFSET + 1 + 17 + 1 + 4;
    let mut null = Vec::with_capacity(17);
    None::<Uuid>.write(&mut null);
    let mut bytes = response.clone().into_bytes();
    match bytes.get_mut(at..at + null.len()) {
        Some(field) => field.copy_from_slice(&null),
        None => return response,
    }
    Message::from_bytes(bytes).unwrap_or(response)
}

/// Handles one authenticated request; false when the connection must end.
async fn handle_request(
    member: &Arc<MemberShared>,
    guard: &mut Guard,
    out: &mpsc::Sender<Message>,
    msg: Message,
) -> bool {
    let correlation_id = msg.correlation_id();
    let message_type = msg.message_type();
    let crash = member.faults.take_crash(message_type);
    if crash == Some(CrashPoint::BeforeExecute) {
        member.crash();
        return false;
    }
    let mut backup_listener = None;
    let result = {
        let mut info = ConnInfo {
            shared: member,
            correlation_id,
            registrations: &mut guard.registrations,
            backup_listener: &mut backup_listener,
        };
        dispatch::handle(&mut info, &msg)
    };
    if crash == Some(CrashPoint::AfterExecute) {
        member.crash();
        return false;
    }
    if let (Some(reg), Some(client)) = (backup_listener, guard.client) {
        member.cluster.routes().insert(
            (member.uuid, client),
            BackupRoute {
                conn_id: guard.conn_id,
                out: out.clone(),
                correlation_id: reg,
                faults: member.faults.clone(),
            },
        );
        guard.backup_route = true;
    }
    let Handled {
        mut response,
        backups,
        then,
    } = match result {
        Ok(h) => h,
        Err(e) => {
            tracing::debug!(code = e.code(), "request failed: {e}");
            Handled {
                response: dispatch::error_message(e.code(), e.class_name(), &e.to_string()),
                backups: Vec::new(),
                then: None,
            }
        }
    };
    response.set_correlation_id(correlation_id);
    if msg.is_backup_aware() && !backups.is_empty() {
        response.set_backup_acks(u8::try_from(backups.len()).unwrap_or(u8::MAX));
        if let Some(client) = guard.client {
            send_backup_acks(member, client, &backups, correlation_id);
        }
    }
    let delay = member.faults.response_delay_for(message_type);
    let faults = member.faults.clone();
    let delayed_out = out.clone();
    let send = async move {
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
        faults.wait_unstalled().await;
        delayed_out.send(response).await.is_ok()
    };
    if delay.is_some() || member.faults.is_stalled() {
        let t = tokio::spawn(async move {
            let _ = send.await;
        });
        guard.tasks.push(t.abort_handle());
    } else if !send.await {
        return false;
    }
    match then {
        None => {}
        Some(AfterResponse::ClusterViews) => {
            let t = tokio::spawn(forward_views(
                Arc::clone(member),
                out.clone(),
                correlation_id,
            ));
            guard.tasks.push(t.abort_handle());
        }
        Some(AfterResponse::EntryEvents { mut rx, kind }) => {
            let out = out.clone();
            let faults = member.faults.clone();
            let t = tokio::spawn(async move {
                while let Some(ev) = rx.recv().await {
                    if let Some(delay) = faults.event_delay() {
                        tokio::time::sleep(delay).await;
                    }
                    let mut m = dispatch::encode_entry_event(kind, ev);
                    m.set_correlation_id(correlation_id);
                    if out.send(m).await.is_err() {
                        break;
                    }
                }
            });
            guard.tasks.push(t.abort_handle());
        }
    }
    guard.tasks.retain(|t| !t.is_finished());
    true
}

/// Sends a backup ack from each backup member to the client, on the connection where the
/// client registered its backup listener with that member. Without such a connection no
/// ack is sent and the client waits for its backup timeout, as with a real member.
fn send_backup_acks(member: &MemberShared, client: Uuid, backups: &[Uuid], correlation_id: i64) {
    let routes = member.cluster.routes();
    for b in backups {
        let Some(route) = routes.get(&(*b, client)) else {
            continue;
        };
        if route.faults.withholds_backup_acks() {
            continue;
        }
        let mut ev = ClientLocalBackupListenerBackupEvent {
            source_invocation_correlation_id: correlation_id,
        }
        .encode();
        ev.set_flag(flags::BACKUP_EVENT, true);
        ev.set_correlation_id(route.correlation_id);
        if route.out.try_send(ev).is_err() {
            tracing::debug!("backup ack dropped: connection queue full or closed");
        }
    }
}

/// Sends MembersView and PartitionsView now and after every change.
/// Sends MembersView and PartitionsView now, then each again when its version changes.
async fn forward_views(member: Arc<MemberShared>, out: mpsc::Sender<Message>, correlation_id: i64) {
    let mut changes = member.engine.subscribe_views();
    let mut sent: (Option<i32>, Option<i32>) = (None, None);
    loop {
        changes.borrow_and_update();
        let versions = (
            Some(member.engine.member_list_version()),
            Some(member.engine.partition_table().version),
        );
        let (mut members, mut partitions) = dispatch::view_events(&member);
        if versions.0 != sent.0 {
            members.set_correlation_id(correlation_id);
            if out.send(members).await.is_err() {
                return;
            }
        }
        if versions.1 != sent.1 {
            partitions.set_correlation_id(correlation_id);
            if out.send(partitions).await.is_err() {
                return;
            }
        }
        sent = versions;
        if changes.changed().await.is_err() {
            return;
        }
    }
}
