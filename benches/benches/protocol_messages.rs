//! Encode and decode of the hot-path messages: Map.get and Map.set requests and their
//! responses, as the client and the test member run them per operation.
//!
//! `cargo bench -p benches --bench protocol_messages`
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hazelcast_protocol::codec::map::{
    MapGetRequest, MapGetResponse, MapSetRequest, MapSetResponse,
};
use hazelcast_protocol::data::Data;
use hazelcast_protocol::decoder::{DecoderConfig, MessageDecoder};

const MAP: &str = "spring:session:sessions";

fn key() -> Data {
    // A String key: 36-character session id.
    let id = b"5b0e1c8a-4f6e-4c39-9a57-2b1d7c3e8f10";
    let mut b = vec![0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5];
    b.extend((id.len() as i32).to_be_bytes());
    b.extend(id);
    Data::from_bytes(b)
}

fn value(len: usize) -> Data {
    let mut b = vec![0, 0, 0, 0, 0xff, 0xff, 0xff, 0xc9];
    b.extend((0..len).map(|i| i as u8));
    Data::from_bytes(b)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("map_get");
    let get = MapGetRequest {
        name: MAP,
        key: key(),
        thread_id: 1,
    };
    g.bench_function("request_encode", |b| {
        b.iter(|| {
            let mut m = black_box(&get).encode();
            m.set_correlation_id(black_box(42));
            m.set_partition_id(black_box(17));
            m
        })
    });
    let get_msg = get.encode();
    g.bench_function("request_decode", |b| {
        b.iter(|| MapGetRequest::decode(black_box(&get_msg)))
    });
    for len in [100usize, 1024, 16 * 1024] {
        let resp = MapGetResponse {
            response: Some(value(len)),
        };
        let msg = resp.encode();
        g.throughput(Throughput::Bytes(msg.len() as u64));
        g.bench_function(format!("response_encode_{len}B"), |b| {
            b.iter(|| black_box(&resp).encode())
        });
        g.bench_function(format!("response_decode_{len}B"), |b| {
            b.iter(|| MapGetResponse::decode(black_box(&msg)))
        });
        // The reader's path: bytes off the socket -> whole message -> typed response.
        let bytes = msg.as_bytes().to_vec();
        let mut decoder = MessageDecoder::new(DecoderConfig::default());
        g.bench_function(format!("response_stream_decode_{len}B"), |b| {
            b.iter(|| {
                decoder.feed(black_box(&bytes));
                let m = decoder.next_message().ok().flatten();
                m.map(|m| MapGetResponse::decode(&m))
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("map_set");
    for len in [100usize, 1024, 16 * 1024] {
        let set = MapSetRequest {
            name: MAP,
            key: key(),
            value: value(len),
            thread_id: 1,
            ttl: 1_800_000,
        };
        let msg = set.encode();
        g.throughput(Throughput::Bytes(msg.len() as u64));
        g.bench_function(format!("request_encode_{len}B"), |b| {
            b.iter(|| {
                let mut m = black_box(&set).encode();
                m.set_correlation_id(black_box(42));
                m.set_partition_id(black_box(17));
                m
            })
        });
        g.bench_function(format!("request_decode_{len}B"), |b| {
            b.iter(|| MapSetRequest::decode(black_box(&msg)))
        });
    }
    let resp = MapSetResponse {}.encode();
    g.bench_function("response_decode", |b| {
        b.iter(|| MapSetResponse::decode(black_box(&resp)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
