//! What a member answers on the wire to an authentication it refuses, read field by field
//! without our client's decoder, on the test member and on real members.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "test bodies shared by two #[test]s: clippy's allow-*-in-tests covers only #[test] fns"
)]

#[macro_use]
mod common;

use std::time::Duration;

use common::Backend;
use hazelcast_protocol::codec::builtin::fixed;
use hazelcast_protocol::codec::client::ClientAuthenticationRequest;
use hazelcast_protocol::message::{Message, RESPONSE_FIXED_OFFSET};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use uuid::Uuid;

fn request(cluster_name: &str, credentials: Option<(&str, &str)>) -> Message {
    ClientAuthenticationRequest {
        cluster_name: cluster_name.into(),
        username: credentials.map(|c| c.0.to_owned()),
        password: credentials.map(|c| c.1.to_owned()),
        uuid: Some(Uuid::new_v4()),
        client_type: "RST".into(),
        serialization_version: 1,
        client_hazelcast_version: "5.6.0".into(),
        client_name: "auth-probe".into(),
        labels: Vec::new(),
        routing_mode: Some(1),
        cp_direct_to_leader_routing: Some(false),
    }
    .encode()
}

/// The fixed part of an authentication response, read leniently.
#[derive(Debug, PartialEq)]
struct Fixed {
    status: u8,
    member_uuid: Option<Uuid>,
    cluster_id: Option<Uuid>,
    partition_count: i32,
}

/// Sends one authentication and reads the fixed fields of the answer.
async fn exchange(address: std::net::SocketAddr, msg: &Message) -> Fixed {
    let mut s = TcpStream::connect(address).await.expect("connect");
    s.write_all(b"CP2").await.expect("preamble");
    s.write_all(msg.as_bytes()).await.expect("request");
    // Frames until one has the final flag (0x2000): 4-byte length, 2-byte flags.
    let mut buf = Vec::new();
    let mut at = 0;
    loop {
        while buf.len() < at + 6 {
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut chunk))
                .await
                .expect("answer in time")
                .expect("read");
            assert!(n > 0, "the member closed before answering");
            buf.extend_from_slice(&chunk[..n]);
        }
        let len = i32::from_le_bytes(buf[at..at + 4].try_into().unwrap()) as usize;
        let flags = u16::from_le_bytes(buf[at + 4..at + 6].try_into().unwrap());
        while buf.len() < at + len {
            let mut chunk = [0u8; 4096];
            let n = s.read(&mut chunk).await.expect("read");
            assert!(n > 0, "closed mid-frame");
            buf.extend_from_slice(&chunk[..n]);
        }
        at += len;
        if flags & 0x2000 != 0 {
            break;
        }
    }
    let m = Message::from_bytes(buf[..at].to_vec()).expect("a message");
    let p = m.initial_frame().payload;
    let o = RESPONSE_FIXED_OFFSET;
    Fixed {
        status: fixed::<u8>(p, o).expect("status"),
        member_uuid: fixed::<Option<Uuid>>(p, o + 1).expect("member uuid"),
        cluster_id: fixed::<Option<Uuid>>(p, o + 23).expect("cluster id"),
        partition_count: fixed::<i32>(p, o + 19).expect("partition count"),
    }
}

/// An accepted client gets the member uuid, the cluster id and the partition count; a
/// refused one (wrong cluster name; any username and password, even empty ones, since an
/// open-source member has no security to check them with) gets status CREDENTIALS_FAILED
/// with no member uuid, a null cluster id (which the protocol definition calls
/// non-nullable) and partition count -1. Measured on a real 5.6.0 member.
async fn refused_authentication_on_the_wire(backend: Backend) {
    let members = backend.shared(1).await;
    let address = members.addresses()[0];
    let name = members.cluster_name();
    let ok = exchange(address, &request(name, None)).await;
    assert_eq!(ok.status, 0, "{backend:?}: {ok:?}");
    assert!(
        ok.member_uuid.is_some() && ok.cluster_id.is_some(),
        "{ok:?}"
    );
    assert_eq!(ok.partition_count, 271);
    let refused = Fixed {
        status: 1,
        member_uuid: None,
        cluster_id: None,
        partition_count: -1,
    };
    for (what, msg) in [
        ("wrong cluster name", request("not-this-cluster", None)),
        (
            "username and password",
            request(name, Some(("someone", "anything"))),
        ),
        ("empty username and password", request(name, Some(("", "")))),
    ] {
        let got = exchange(address, &msg).await;
        assert_eq!(got, refused, "{backend:?}: {what}");
    }
}

on_both_backends!(
    refused_authentication_on_the_wire => refused_authentication_test_member,
    refused_authentication_real_member
);
