//! The HTTP/1.1 client deliveries use for `http://` URLs, against raw TCP peers that
//! answer byte for byte: framing by length, chunks (with extensions and trailers) and
//! the end of the connection; 1xx skipped; keep-alive reuse and a pooled connection the
//! peer closed; bounds on the body; malformed and missing answers.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue};
use calsim::delivery::{deliver, Outgoing, WebhookClient, JSON};
use calsim::net::http1::{Failure, Pool, Target, MAX_BODY};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Reads one request (head and `content-length` body) off the stream; its bytes.
async fn read_request(stream: &mut TcpStream) -> Vec<u8> {
    let mut request = Vec::new();
    let mut byte = [0u8; 1];
    while !request.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.unwrap() == 0 {
            return request;
        }
        request.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&request).to_string();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length: "))
        .map_or(0, |value| value.trim().parse().unwrap());
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.unwrap();
    request.extend(body);
    request
}

/// A peer that answers the requests of each connection with the scripted bytes in
/// turn (one script per connection), then closes that connection; the requests it got.
async fn peer(
    connections: Vec<Vec<&'static [u8]>>,
) -> (String, tokio::task::JoinHandle<Vec<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook?a=1", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut requests = Vec::new();
        for answers in connections {
            let (mut stream, _) = listener.accept().await.unwrap();
            for answer in answers {
                requests.push(read_request(&mut stream).await);
                stream.write_all(answer).await.unwrap();
            }
        }
        requests
    });
    (url, task)
}

fn headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static(JSON));
    headers.insert("x-cal-signature-256", HeaderValue::from_static("abc"));
    headers
}

async fn post(pool: &Pool, url: &str) -> Result<calsim::net::http1::Answer, Failure> {
    tokio::time::timeout(
        Duration::from_secs(5),
        pool.post(&Target::parse(url).unwrap(), &headers(), b"{\"a\":1}"),
    )
    .await
    .expect("a bounded exchange")
}

#[tokio::test]
async fn the_request_is_one_buffer_with_host_first_and_content_length_last() {
    let (url, peer) = peer(vec![vec![
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
    ]])
    .await;
    let pool = Pool::default();

    let answer = post(&pool, &url).await.unwrap();

    let requests = peer.await.unwrap();
    let authority = url.trim_start_matches("http://").split('/').next().unwrap();
    assert_eq!(
        String::from_utf8(requests[0].clone()).unwrap(),
        format!("POST /hook?a=1 HTTP/1.1\r\nhost: {authority}\r\ncontent-type: application/json\r\nx-cal-signature-256: abc\r\ncontent-length: 7\r\n\r\n{{\"a\":1}}")
    );
    assert_eq!((answer.status, &answer.body[..]), (200, &b"ok"[..]));
}

#[tokio::test]
async fn a_keep_alive_connection_is_reused_for_the_next_request() {
    let (url, peer) = peer(vec![vec![
        b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\na",
        b"HTTP/1.1 201 Created\r\ncontent-length: 1\r\n\r\nb",
    ]])
    .await;
    let pool = Pool::default();

    let first = post(&pool, &url).await.unwrap();
    assert_eq!(pool.idle(), 1);
    let second = post(&pool, &url).await.unwrap();

    assert_eq!((first.status, second.status), (200, 201));
    assert_eq!(&second.body[..], b"b");
    assert_eq!(peer.await.unwrap().len(), 2, "both on one connection");
}

#[tokio::test]
async fn a_pooled_connection_the_peer_closed_is_replaced_by_a_new_one() {
    let (url, peer) = peer(vec![
        vec![b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\na"],
        vec![b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n"],
    ])
    .await;
    let pool = Pool::default();

    post(&pool, &url).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let again = post(&pool, &url).await.unwrap();

    assert_eq!(again.status, 202);
    assert_eq!(peer.await.unwrap().len(), 2);
}

#[tokio::test]
async fn chunks_with_extensions_and_trailers_are_joined_and_the_connection_kept() {
    let (url, _peer) = peer(vec![vec![
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5;name=v\r\nhello\r\n7\r\n, world\r\n0\r\nx-trailer: t\r\n\r\n",
    ]])
    .await;
    let pool = Pool::default();

    let answer = post(&pool, &url).await.unwrap();

    assert_eq!(&answer.body[..], b"hello, world");
    assert_eq!(pool.idle(), 1);
}

#[tokio::test]
async fn a_body_without_length_ends_with_the_connection_which_is_not_kept() {
    let (url, _peer) = peer(vec![vec![b"HTTP/1.1 200 OK\r\n\r\nuntil the end"]]).await;
    let pool = Pool::default();

    let answer = post(&pool, &url).await.unwrap();

    assert_eq!(&answer.body[..], b"until the end");
    assert_eq!(pool.idle(), 0);
}

#[tokio::test]
async fn informational_answers_are_skipped_and_connection_close_is_honoured() {
    let (url, _peer) = peer(vec![vec![
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n",
    ]])
    .await;
    let pool = Pool::default();

    let answer = post(&pool, &url).await.unwrap();

    assert_eq!((answer.status, answer.body.len()), (204, 0));
    assert_eq!(pool.idle(), 0);
}

#[tokio::test]
async fn a_switching_protocols_answer_ends_the_exchange_and_the_connection() {
    let (url, _peer) = peer(vec![vec![
        b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n",
    ]])
    .await;
    let pool = Pool::default();

    let answer = post(&pool, &url).await.unwrap();

    assert_eq!(answer.status, 101);
    assert_eq!(pool.idle(), 0);
}

#[tokio::test]
async fn an_http_1_0_answer_without_keep_alive_closes_the_connection() {
    let (url, _peer) = peer(vec![vec![
        b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok",
    ]])
    .await;
    let pool = Pool::default();

    let answer = post(&pool, &url).await.unwrap();

    assert_eq!(answer.status, 200);
    assert_eq!(pool.idle(), 0);
}

#[tokio::test]
async fn a_body_over_the_bound_is_cut_there_and_the_connection_dropped() {
    static HUGE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let huge = HUGE.get_or_init(|| {
        let mut bytes = format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n",
            MAX_BODY + 10
        )
        .into_bytes();
        bytes.extend(std::iter::repeat_n(b'x', MAX_BODY + 10));
        bytes
    });
    let (url, _peer) = peer(vec![vec![huge.as_slice()]]).await;
    let pool = Pool::default();

    let answer = post(&pool, &url).await.unwrap();

    assert_eq!(answer.body.len(), MAX_BODY);
    assert_eq!(pool.idle(), 0);
}

#[tokio::test]
async fn broken_answers_are_errors_that_say_why() {
    let (garbage, _a) = peer(vec![vec![b"SMTP ready\r\n\r\n"]]).await;
    let (cut, _b) = peer(vec![vec![b"HTTP/1.1 200 OK\r\ncontent-le"]]).await;
    let (short, _c) = peer(vec![vec![
        b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc",
    ]])
    .await;
    let (bad_chunk, _d) = peer(vec![vec![
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
    ]])
    .await;
    let pool = Pool::default();

    let garbage = post(&pool, &garbage).await.unwrap_err();
    let cut = post(&pool, &cut).await.unwrap_err();
    let short = post(&pool, &short).await.unwrap_err();
    let bad_chunk = post(&pool, &bad_chunk).await.unwrap_err();

    assert!(matches!(garbage, Failure::Malformed(_)), "{garbage:?}");
    assert_eq!(cut, Failure::Closed);
    assert_eq!(short, Failure::Closed);
    assert_eq!(bad_chunk, Failure::Malformed("a bad chunk size".to_owned()));
    assert!(garbage.to_string().starts_with("not an HTTP/1.1 answer"));
}

#[tokio::test]
async fn a_peer_that_never_answers_times_out_and_nothing_listening_is_unreachable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent = format!("http://{}/hook", listener.local_addr().unwrap());
    let keep = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(10)).await;
        drop(stream);
    });
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nowhere = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    let client = WebhookClient::new(Duration::from_secs(5));

    let slow = deliver(
        &client,
        &Outgoing::signed(&silent, "{}".to_owned(), JSON, None, true),
        Duration::from_millis(200),
        None,
    )
    .await;
    let down = deliver(
        &client,
        &Outgoing::signed(&nowhere, "{}".to_owned(), JSON, None, true),
        Duration::from_secs(2),
        None,
    )
    .await;

    assert!(
        slow.error
            .as_deref()
            .unwrap()
            .starts_with("no answer within 200 ms"),
        "{slow:?}"
    );
    assert!(
        down.error
            .as_deref()
            .unwrap()
            .starts_with(calsim::http_client::CONNECTION_FAILED),
        "{down:?}"
    );
    keep.abort();
}

#[test]
fn only_plain_http_urls_take_the_fast_path() {
    for url in [
        "http://127.0.0.1:8080/hook?a=1",
        "http://localhost/",
        "http://[::1]:9000/x",
        "http://example.com",
    ] {
        assert!(Target::parse(url).is_some(), "{url}");
    }
    for url in [
        "https://example.com/hook",
        "http://user:pw@example.com/",
        "http://example.com/#frag",
        "ftp://example.com/",
        "http:///nohost",
    ] {
        assert!(Target::parse(url).is_none(), "{url}");
    }
}
