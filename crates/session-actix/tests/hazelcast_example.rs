//! Runs the crate docs' Hazelcast example (`examples/hazelcast.rs`, the same file) against
//! a real Hazelcast member: two instances of the app (two web servers) share a session
//! through the cluster.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed unwrap is a failed test.

#[allow(dead_code)] // its `main` is the example's, not called here
#[path = "../examples/hazelcast.rs"]
mod example;

use actix_web::{App, test};
use hazelcast_real_member::RealCluster;
use session_actix::hazelcast::ClientConfig;

#[actix_web::test]
async fn the_docs_example_keeps_sessions_in_a_real_cluster() {
    let cluster = RealCluster::builder()
        .members(1)
        .cluster_name("actix-example")
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
    let first = example::sessions(config())
        .await
        .expect("the example's middleware");
    let second = example::sessions(config())
        .await
        .expect("the example's middleware");
    let first_server = test::init_service(App::new().wrap(first).configure(example::routes)).await;
    let second_server =
        test::init_service(App::new().wrap(second).configure(example::routes)).await;

    let response = test::call_service(
        &first_server,
        test::TestRequest::get().uri("/").to_request(),
    )
    .await;
    assert_eq!(response.status(), 200);
    // A browser: it sends back every cookie it was sent (the session's, and with the
    // local cache on, the read-your-writes cookie after each change).
    let cookies = set_cookies(&response);
    assert!(cookies[0].starts_with("SESSION="), "{cookies:?}");
    assert!(cookies[1].starts_with("SESSION_WRITTEN="), "{cookies:?}");
    assert_eq!(test::read_body(response).await, "visit number 1");

    let request = |cookie: String| {
        test::TestRequest::get()
            .uri("/")
            .insert_header(("cookie", cookie))
            .to_request()
    };
    let response = test::call_service(&second_server, request(cookies.join("; "))).await;
    let again = set_cookies(&response);
    assert!(
        again.iter().all(|c| !c.starts_with("SESSION=")),
        "same session, no new session cookie: {again:?}"
    );
    assert_eq!(
        test::read_body(response).await,
        "visit number 2",
        "the other server read the cluster's session"
    );
    let written = again.iter().find(|c| c.starts_with("SESSION_WRITTEN="));
    let jar = format!("{}; {}", cookies[0], written.expect("a new write time"));
    let body = test::call_and_read_body(&first_server, request(jar)).await;
    assert_eq!(
        body, "visit number 3",
        "the second server's write, seen at once"
    );
}

/// The `name=value` pairs a response sets.
fn set_cookies<B>(response: &actix_web::dev::ServiceResponse<B>) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect()
}
