//! Runs the crate docs' Hazelcast example (`examples/hazelcast.rs`, the same file) against
//! a real Hazelcast member: two instances of the app (two web servers) share a session
//! through the cluster.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed unwrap is a failed test.

#[allow(dead_code)] // its `main` is the example's, not called here
#[path = "../examples/hazelcast.rs"]
mod example;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use hazelcast_real_member::RealCluster;
use session_axum::hazelcast::ClientConfig;
use tower::ServiceExt;

/// A `GET /` with cookie header `cookie`: the `name=value` pairs the response sets (the
/// session cookie, and the read-your-writes cookie after a change), and the body.
async fn get(app: &Router, cookie: Option<&str>) -> (Vec<String>, String) {
    let mut request = Request::get("/");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    let body = axum::body::to_bytes(response.into_body(), 1024)
        .await
        .unwrap();
    (cookie, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_example_keeps_sessions_in_a_real_cluster() {
    let cluster = RealCluster::builder()
        .members(1)
        .cluster_name("axum-example")
        .start_async()
        .await
        .expect("a real member (scripts/setup-hazelcast.sh)");
    let config = || {
        ClientConfig::builder()
            .cluster_name(cluster.cluster_name())
            .addresses(cluster.addresses().iter().map(ToString::to_string))
            .build()
            .unwrap()
    };
    let first_server = example::app(config()).await.expect("the example's app");
    let second_server = example::app(config()).await.expect("the example's app");

    // A browser: it sends back every cookie it was sent.
    let (cookies, body) = get(&first_server, None).await;
    assert_eq!(body, "visit number 1");
    assert!(cookies[0].starts_with("SESSION="), "{cookies:?}");
    assert!(
        cookies[1].starts_with("SESSION_WRITTEN="),
        "the local cache is on: {cookies:?}"
    );
    let (again, body) = get(&second_server, Some(&cookies.join("; "))).await;
    assert_eq!(
        body, "visit number 2",
        "the other server read the cluster's session"
    );
    assert!(
        again.iter().all(|c| !c.starts_with("SESSION=")),
        "same session, no new session cookie: {again:?}"
    );
    let written = again.iter().find(|c| c.starts_with("SESSION_WRITTEN="));
    let jar = format!("{}; {}", cookies[0], written.expect("a new write time"));
    let (_, body) = get(&first_server, Some(&jar)).await;
    assert_eq!(
        body, "visit number 3",
        "the second server's write, seen at once"
    );
}
