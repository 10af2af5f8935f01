//! Invocation spans and client logs carry no keys, values or session ids, even at TRACE.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::config_for;
use hazelcast_client::{Client, EntryListenerOptions};
use hazelcast_test_member::server::TestCluster;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn client_traces_hold_no_keys_or_values() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("hazelcast_client=trace"))
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let cluster = TestCluster::start(2).await.expect("cluster");
    let client = Client::connect(config_for(&cluster, "dev").build().expect("config"))
        .await
        .expect("connect");
    let m = client.map::<String, String>("private");
    let mut events = m
        .entry_events(EntryListenerOptions::default())
        .await
        .expect("listen");
    let key = "SESSION-ID-7f3a9c".to_owned();
    let value = "ATTRIBUTE-VALUE-42".to_owned();
    m.set(&key, &value).await.expect("set");
    assert_eq!(m.get(&key).await.expect("get"), Some(value.clone()));
    let _ = events.next_event().await;
    client.shutdown().await;

    let text =
        String::from_utf8_lossy(&buffer.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
    assert!(text.contains("hz.invoke"), "invocation spans are recorded");
    assert!(!text.contains("SESSION-ID"), "key leaked into traces");
    assert!(
        !text.contains("ATTRIBUTE-VALUE"),
        "value leaked into traces"
    );
}
