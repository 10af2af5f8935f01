//! Every Client, Map and DynamicConfig request of the official protocol compatibility files
//! (2.0, 2.5, 2.10, with and without nulls) is sent to a member on an authenticated
//! connection. Each must get its own response type or an error response; the member must
//! never close the connection or stop serving.
//!
//! The files are read from `../shared/hazelcast/compat/` relative to the workspace root.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use hazelcast_protocol::codec::client::{ClientAuthenticationRequest, ClientPingRequest};
use hazelcast_protocol::codec::error_response::ErrorResponse;
use hazelcast_protocol::decoder::{DecoderConfig, MessageDecoder};
use hazelcast_protocol::message::Message;
use hazelcast_test_member::server::TestCluster;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use uuid::Uuid;

fn compat_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/hazelcast/compat")
}

fn load(name: &str) -> Vec<Message> {
    let path = compat_dir().join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the protocol compatibility file {} ({e}); it must be at \
             ../shared/hazelcast/compat/{name} relative to the workspace root",
            path.display()
        )
    });
    let mut decoder = MessageDecoder::new(DecoderConfig::default());
    decoder.feed(&bytes);
    let mut out = Vec::new();
    while let Some(m) = decoder.next_message().expect("compatibility file decodes") {
        out.push(m);
    }
    out
}

struct Conn {
    stream: TcpStream,
    decoder: MessageDecoder,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Self {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(b"CP2").await.expect("preamble");
        let mut c = Self {
            stream,
            decoder: MessageDecoder::new(DecoderConfig::default()),
        };
        let mut auth = ClientAuthenticationRequest {
            cluster_name: "dev".into(),
            username: None,
            password: None,
            uuid: Some(Uuid::new_v4()),
            client_type: "RST".into(),
            serialization_version: 1,
            client_hazelcast_version: "5.4.0".into(),
            client_name: "compat".into(),
            labels: vec![],
            routing_mode: None,
            cp_direct_to_leader_routing: None,
        }
        .encode();
        auth.set_correlation_id(1);
        c.stream.write_all(auth.as_bytes()).await.expect("auth");
        let r = c.response_to(1).await.expect("auth response");
        assert_eq!(r.message_type(), 0x000101);
        c
    }

    /// The response with this correlation id (events skipped), or None if the member
    /// closed the connection.
    async fn response_to(&mut self, correlation_id: i64) -> Option<Message> {
        let mut buf = vec![0u8; 65536];
        loop {
            while let Some(m) = self.decoder.next_message().expect("member output decodes") {
                if !m.is_event() && m.correlation_id() == correlation_id {
                    return Some(m);
                }
            }
            let n = tokio::time::timeout(Duration::from_secs(5), self.stream.read(&mut buf))
                .await
                .expect("member answers in time")
                .unwrap_or(0);
            if n == 0 {
                return None;
            }
            self.decoder.feed(&buf[..n]);
        }
    }
}

#[tokio::test]
async fn every_request_of_the_compatibility_files_is_answered() {
    let cluster = TestCluster::start(2).await.expect("cluster");
    let addr = cluster.address(0).expect("addr");
    let mut total = 0;
    for version in ["2.0", "2.5", "2.10"] {
        for null in ["", ".null"] {
            let name = format!("{version}.protocol.compatibility{null}.binary");
            let mut conn = Conn::open(addr).await;
            let mut correlation = 10;
            let mut answered = 0;
            let mut errors = 0;
            for mut m in load(&name) {
                let t = m.message_type();
                let service = t >> 16;
                let is_request = t & 0xff == 0;
                // Authentication is only valid as the first message of a connection.
                if !is_request || ![0, 1, 0x1b].contains(&service) || t == 0x000100 || t == 0x000200
                {
                    continue;
                }
                correlation += 1;
                m.set_correlation_id(correlation);
                if hazelcast_protocol::codec::request_info(t)
                    .is_some_and(|i| i.partition_identifier != "-1")
                {
                    m.set_partition_id(0);
                }
                conn.stream.write_all(m.as_bytes()).await.expect("write");
                let Some(r) = conn.response_to(correlation).await else {
                    panic!("{name}: the member closed the connection on request {t:#08x}");
                };
                assert!(
                    r.message_type() == t + 1 || ErrorResponse::matches(&r),
                    "{name}: request {t:#08x} got message type {:#08x}",
                    r.message_type()
                );
                if ErrorResponse::matches(&r) {
                    let e = ErrorResponse::decode(&r).expect("error response decodes");
                    assert!(e.error_code().is_some(), "{name}: empty error for {t:#08x}");
                    errors += 1;
                    if std::env::var_os("COMPAT_DEBUG").is_some() {
                        eprintln!(
                            "{name} {t:#08x} {:?} {:?}",
                            e.error_code(),
                            e.errors[0].message
                        );
                    }
                }
                answered += 1;
            }
            assert!(answered > 100, "{name}: only {answered} requests");
            eprintln!(
                "{name}: {answered} requests, {} answered normally, {errors} with errors",
                answered - errors
            );
            total += answered;
            // Still serving.
            let mut ping = ClientPingRequest {}.encode();
            ping.set_correlation_id(1_000_000);
            conn.stream.write_all(ping.as_bytes()).await.expect("ping");
            assert!(conn.response_to(1_000_000).await.is_some());
        }
    }
    assert!(total > 600, "answered {total}");
    assert!(cluster.is_alive(0) && cluster.is_alive(1));
}
