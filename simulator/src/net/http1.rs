//! A small HTTP/1.1 client for webhook deliveries to plain `http://` URLs: the request
//! line, headers and body go out as one buffer in one write, the answer is read and
//! parsed (httparse) in the sending task, and keep-alive connections are pooled per
//! host. reqwest hands each request to a separate connection task and back (two
//! cross-task wake-ups per delivery); the load benchmark showed that hand-off, not
//! calsim's own work, to be most of a delivery's cost (`benches/webhooks.rs`).
//!
//! Only what a delivery needs: `POST` with a `Content-Length` body; answers framed by
//! `Content-Length`, `chunked` or the end of the connection; 1xx answers skipped; no
//! redirects (Cal.com follows none). URLs it cannot take as they are (https, user
//! info, fragments, non-ASCII hosts) are left to the caller's general client
//! ([`Target::parse`] says `None`). Everything is bounded: the head at 64 KiB, the
//! body read at [`MAX_BODY`], idle connections at 64 per host and 256 hosts.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Uri};
use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The most of an answer's body that is read and kept; the rest is not read and the
/// connection is closed.
pub const MAX_BODY: usize = 1024 * 1024;
const MAX_HEAD: usize = 64 * 1024;
const MAX_HEADERS: usize = 128;
const IDLE_PER_HOST: usize = 64;
const IDLE_HOSTS: usize = 256;

/// Where a request goes: the address to connect to, the `Host` header and the request
/// target (path and query, as stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    address: String,
    host: String,
    path: String,
}

impl Target {
    /// A plain `http://` URL this client can send to as it is; `None` for anything else.
    ///
    /// ```
    /// use calsim::net::http1::Target;
    /// assert!(Target::parse("http://127.0.0.1:8080/hook?a=1").is_some());
    /// assert!(Target::parse("https://example.com/hook").is_none());
    /// assert!(Target::parse("http://user:pw@example.com/").is_none());
    /// ```
    pub fn parse(url: &str) -> Option<Target> {
        if !url.starts_with("http://") || url.contains('#') {
            return None;
        }
        let uri: Uri = url.parse().ok()?;
        let authority = uri.authority()?;
        if authority.as_str().contains('@') || authority.host().is_empty() {
            return None;
        }
        let port = authority.port_u16().unwrap_or(80);
        let host = authority.host();
        Some(Target {
            address: format!("{host}:{port}"),
            host: authority.as_str().to_owned(),
            path: uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |path| path.as_str().to_owned()),
        })
    }
}

/// An answer: status, headers (copied out of the read buffer) and up to [`MAX_BODY`]
/// bytes of body.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The headers, in order.
    pub headers: HeaderMap,
    /// The body (truncated at [`MAX_BODY`]).
    pub body: Bytes,
}

/// Why an exchange failed.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// No connection could be made.
    Connect(String),
    /// Reading or writing failed.
    Io(String),
    /// The peer closed the connection before a whole answer.
    Closed,
    /// The answer is not HTTP/1.x as this client reads it.
    Malformed(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Connect(error) => write!(formatter, "{error}"),
            Failure::Io(error) => write!(formatter, "the connection failed: {error}"),
            Failure::Closed => write!(
                formatter,
                "the peer closed the connection before a whole answer"
            ),
            Failure::Malformed(why) => write!(formatter, "not an HTTP/1.1 answer: {why}"),
        }
    }
}

/// How an exchange ended badly: before any byte of the answer (a pooled connection
/// the peer had closed may be retried on a new one) or after.
enum Broken {
    BeforeAnswer(Failure),
    AfterAnswer(Failure),
}

/// Idle keep-alive connections per host.
#[derive(Debug, Default)]
pub struct Pool {
    idle: Mutex<HashMap<String, Vec<TcpStream>>>,
}

impl Pool {
    /// POSTs `body` with `headers` (then `Host` first and `Content-Length` last) and
    /// reads the answer. A pooled connection that the peer closed without answering is
    /// replaced by a new connection once.
    pub async fn post(
        &self,
        target: &Target,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Answer, Failure> {
        let request = encode(target, headers, body);
        if let Some(mut stream) = self.checkout(&target.address) {
            match exchange(&mut stream, &request).await {
                Ok((answer, reusable)) => {
                    if reusable {
                        self.checkin(&target.address, stream);
                    }
                    return Ok(answer);
                }
                Err(Broken::AfterAnswer(failure)) => return Err(failure),
                Err(Broken::BeforeAnswer(_)) => {}
            }
        }
        let mut stream = TcpStream::connect(&target.address)
            .await
            .map_err(|error| Failure::Connect(error.to_string()))?;
        let _ = stream.set_nodelay(true);
        match exchange(&mut stream, &request).await {
            Ok((answer, reusable)) => {
                if reusable {
                    self.checkin(&target.address, stream);
                }
                Ok(answer)
            }
            Err(Broken::BeforeAnswer(failure) | Broken::AfterAnswer(failure)) => Err(failure),
        }
    }

    /// An idle connection to `address` that is still open and has nothing unread.
    fn checkout(&self, address: &str) -> Option<TcpStream> {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let streams = idle.get_mut(address)?;
        while let Some(stream) = streams.pop() {
            let mut probe = [0u8; 1];
            match stream.try_read(&mut probe) {
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                    return Some(stream)
                }
                _ => continue,
            }
        }
        None
    }

    fn checkin(&self, address: &str, stream: TcpStream) {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if !idle.contains_key(address) && idle.len() >= IDLE_HOSTS {
            return;
        }
        let streams = idle.entry(address.to_owned()).or_default();
        if streams.len() < IDLE_PER_HOST {
            streams.push(stream);
        }
    }

    /// How many idle connections are kept, for tests.
    pub fn idle(&self) -> usize {
        self.idle
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .values()
            .map(Vec::len)
            .sum()
    }
}

fn encode(target: &Target, headers: &HeaderMap, body: &[u8]) -> Vec<u8> {
    let head: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    let mut request =
        Vec::with_capacity(64 + target.path.len() + target.host.len() + head + body.len());
    request.extend_from_slice(b"POST ");
    request.extend_from_slice(target.path.as_bytes());
    request.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    request.extend_from_slice(target.host.as_bytes());
    request.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        request.extend_from_slice(name.as_str().as_bytes());
        request.extend_from_slice(b": ");
        request.extend_from_slice(value.as_bytes());
        request.extend_from_slice(b"\r\n");
    }
    let _ = write!(request, "content-length: {}\r\n\r\n", body.len());
    request.extend_from_slice(body);
    request
}

/// How the body of an answer ends.
enum Framing {
    Empty,
    Length(usize),
    Chunked,
    UntilClose,
}

struct Head {
    status: u16,
    headers: HeaderMap,
    framing: Framing,
    keep_alive: bool,
}

async fn exchange(stream: &mut TcpStream, request: &[u8]) -> Result<(Answer, bool), Broken> {
    stream
        .write_all(request)
        .await
        .map_err(|error| Broken::BeforeAnswer(Failure::Io(error.to_string())))?;
    let mut buffer = BytesMut::with_capacity(4096);
    let head = read_head(stream, &mut buffer).await?;
    let after = Broken::AfterAnswer;
    let (body, complete) = match head.framing {
        Framing::Empty => (Bytes::new(), true),
        Framing::Length(length) => {
            let keep = length.min(MAX_BODY);
            fill(stream, &mut buffer, keep).await.map_err(after)?;
            (buffer.split_to(keep).freeze(), length <= MAX_BODY)
        }
        Framing::Chunked => read_chunked(stream, &mut buffer).await.map_err(after)?,
        Framing::UntilClose => {
            while buffer.len() < MAX_BODY {
                let read = stream
                    .read_buf(&mut buffer)
                    .await
                    .map_err(|error| Broken::AfterAnswer(Failure::Io(error.to_string())))?;
                if read == 0 {
                    break;
                }
            }
            buffer.truncate(MAX_BODY);
            (buffer.split().freeze(), false)
        }
    };
    let reusable = complete && head.keep_alive && buffer.is_empty();
    Ok((
        Answer {
            status: head.status,
            headers: head.headers,
            body,
        },
        reusable,
    ))
}

/// Reads until the buffer holds `wanted` bytes.
async fn fill(stream: &mut TcpStream, buffer: &mut BytesMut, wanted: usize) -> Result<(), Failure> {
    buffer.reserve(wanted.saturating_sub(buffer.len()));
    while buffer.len() < wanted {
        let read = stream
            .read_buf(buffer)
            .await
            .map_err(|error| Failure::Io(error.to_string()))?;
        if read == 0 {
            return Err(Failure::Closed);
        }
    }
    Ok(())
}

async fn read_head(stream: &mut TcpStream, buffer: &mut BytesMut) -> Result<Head, Broken> {
    let mut answered = false;
    loop {
        let read = stream.read_buf(buffer).await.map_err(|error| {
            let failure = Failure::Io(error.to_string());
            if answered || !buffer.is_empty() {
                Broken::AfterAnswer(failure)
            } else {
                Broken::BeforeAnswer(failure)
            }
        })?;
        if read == 0 {
            return Err(if answered || !buffer.is_empty() {
                Broken::AfterAnswer(Failure::Closed)
            } else {
                Broken::BeforeAnswer(Failure::Closed)
            });
        }
        loop {
            match parse_head(buffer).map_err(Broken::AfterAnswer)? {
                Some(head) if (100..200).contains(&head.status) && head.status != 101 => {
                    answered = true;
                }
                Some(head) => return Ok(head),
                None if buffer.len() > MAX_HEAD => {
                    return Err(Broken::AfterAnswer(Failure::Malformed(
                        "the head is over 64 KiB".to_owned(),
                    )))
                }
                None => break,
            }
        }
    }
}

/// Parses (and takes off the buffer) one complete head, if the buffer holds one.
fn parse_head(buffer: &mut BytesMut) -> Result<Option<Head>, Failure> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut slots);
    let length = match response.parse(buffer) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(error) => return Err(Failure::Malformed(error.to_string())),
    };
    let status = response.code.unwrap_or_default();
    let version = response.version.unwrap_or_default();
    let mut headers = HeaderMap::with_capacity(response.headers.len());
    let (mut length_header, mut chunked, mut close) = (None, false, version == 0);
    for header in response.headers.iter() {
        let name = HeaderName::from_bytes(header.name.as_bytes())
            .map_err(|error| Failure::Malformed(format!("header {:?}: {error}", header.name)))?;
        let value = HeaderValue::from_bytes(header.value)
            .map_err(|error| Failure::Malformed(format!("header {name}: {error}")))?;
        let text = std::str::from_utf8(header.value).unwrap_or_default();
        if name == axum::http::header::CONTENT_LENGTH {
            let parsed = text
                .trim()
                .parse::<usize>()
                .map_err(|_| Failure::Malformed(format!("content-length {text:?}")))?;
            if length_header.is_some_and(|known| known != parsed) {
                return Err(Failure::Malformed(
                    "two different content-lengths".to_owned(),
                ));
            }
            length_header = Some(parsed);
        } else if name == axum::http::header::TRANSFER_ENCODING {
            chunked = text
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
        } else if name == axum::http::header::CONNECTION {
            let tokens = text.split(',').map(str::trim);
            if version == 0 {
                close = !tokens
                    .clone()
                    .any(|token| token.eq_ignore_ascii_case("keep-alive"));
            } else {
                close |= tokens
                    .clone()
                    .any(|token| token.eq_ignore_ascii_case("close"));
            }
        }
        headers.append(name, value);
    }
    buffer.advance(length);
    let framing = if (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::Empty
    } else if chunked {
        Framing::Chunked
    } else if let Some(length) = length_header {
        Framing::Length(length)
    } else {
        Framing::UntilClose
    };
    Ok(Some(Head {
        status,
        headers,
        framing,
        keep_alive: !close && status != 101,
    }))
}

/// A chunked body: the data (at most [`MAX_BODY`] kept) and whether it ended properly
/// within the bound (only then is the connection reusable).
async fn read_chunked(
    stream: &mut TcpStream,
    buffer: &mut BytesMut,
) -> Result<(Bytes, bool), Failure> {
    let mut body = BytesMut::new();
    loop {
        let (start, size) = loop {
            match httparse::parse_chunk_size(buffer) {
                Ok(httparse::Status::Complete(found)) => break found,
                Ok(httparse::Status::Partial) if buffer.len() > MAX_HEAD => {
                    return Err(Failure::Malformed(
                        "a chunk size line over 64 KiB".to_owned(),
                    ))
                }
                Ok(httparse::Status::Partial) => {
                    let wanted = buffer.len() + 1;
                    fill(stream, buffer, wanted).await?;
                }
                Err(_) => return Err(Failure::Malformed("a bad chunk size".to_owned())),
            }
        };
        buffer.advance(start);
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if size == 0 {
            return finish_trailers(stream, buffer)
                .await
                .map(|()| (body.freeze(), true));
        }
        if body.len().saturating_add(size) > MAX_BODY {
            let keep = MAX_BODY - body.len();
            fill(stream, buffer, keep).await?;
            body.extend_from_slice(&buffer[..keep]);
            return Ok((body.freeze(), false));
        }
        fill(stream, buffer, size + 2).await?;
        body.extend_from_slice(&buffer[..size]);
        if &buffer[size..size + 2] != b"\r\n" {
            return Err(Failure::Malformed("a chunk without its CRLF".to_owned()));
        }
        buffer.advance(size + 2);
    }
}

/// Reads the trailer section after the last chunk, up to its empty line.
async fn finish_trailers(stream: &mut TcpStream, buffer: &mut BytesMut) -> Result<(), Failure> {
    loop {
        if buffer.starts_with(b"\r\n") {
            buffer.advance(2);
            return Ok(());
        }
        if let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            buffer.advance(end + 4);
            return Ok(());
        }
        if buffer.len() > MAX_HEAD {
            return Err(Failure::Malformed("trailers over 64 KiB".to_owned()));
        }
        let wanted = buffer.len() + 1;
        fill(stream, buffer, wanted).await?;
    }
}
