//! Shutting down the way Kubernetes does it — SIGTERM, then a grace period — loses no request:
//! a create whose body is still arriving when the signal comes is finished and answered 201,
//! nothing new is accepted after it, and the process exits by itself, cleanly, well within the
//! default 30 s grace period.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::{Config, Launch, eventually, order_body};

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_the_request_in_flight_and_then_exits() {
    let dir = tempfile::tempdir().unwrap();
    let launch = Launch::new(dir.path(), &Config::for_tests());
    let server = launch.start().await;
    let token = server.api().customer("drain@example.com").await;
    let addr = server.base.trim_start_matches("http://").to_owned();

    // A create whose headers are in and whose body is not: the handler has asked for the body
    // (`100 Continue`) when the signal comes.
    let body = order_body().to_string();
    let mut conn = TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/orders HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {token}\r\n\
         Idempotency-Key: drain-1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let continued = read_until(&mut conn, b"\r\n\r\n").await;
    assert!(
        continued.starts_with("HTTP/1.1 100"),
        "the server waits for the body: {continued}"
    );

    server.terminate();
    // Nothing new is taken once the signal is in.
    eventually(
        "new connections to be refused",
        Duration::from_secs(10),
        || async { TcpStream::connect(&addr).await.is_err().then_some(()) },
    )
    .await;

    conn.write_all(body.as_bytes()).await.unwrap();
    let answer = read_until(&mut conn, b"}").await;
    assert!(
        answer.starts_with("HTTP/1.1 201"),
        "the request in flight is answered: {answer}"
    );
    assert!(answer.contains("\"reference\":\"KS-"), "{answer}");

    let (status, log) = server.wait_exit(Duration::from_secs(20)).await;
    assert!(
        status.is_some_and(|s| s.success()),
        "exits by itself, cleanly ({status:?}):\n{}",
        log.text()
    );
    assert!(log.contains("shutting down"), "{}", log.text());
}

/// Read from `conn` until `end` has arrived (or the connection closes); what was read.
async fn read_until(conn: &mut TcpStream, end: &[u8]) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.windows(end.len()).any(|w| w == end) {
        let n = tokio::time::timeout(Duration::from_secs(30), conn.read(&mut buf))
            .await
            .expect("an answer within 30 s")
            .expect("read");
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}
