//! A small async HTTP/1.1 client for the live load generator and for
//! `kefusim serve`'s callbacks: one keep-alive connection (hyper), opened
//! on first use and again after a failure or a timeout.

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;

/// Why a request got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// No answer within the timeout (the connection is dropped).
    Timeout,
    /// No connection could be opened (refused, unreachable).
    Connect(String),
    /// The connection failed during the exchange (reset, closed).
    Io(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Timeout => write!(f, "no answer in time"),
            Failure::Connect(e) => write!(f, "cannot connect: {e}"),
            Failure::Io(e) => write!(f, "{e}"),
        }
    }
}

/// One keep-alive connection to `authority` (`HOST:PORT`).
pub(crate) struct Conn {
    authority: String,
    sender: Option<SendRequest<Full<Bytes>>>,
}

/// `http://HOST:PORT/PATH` → (`HOST:PORT`, `/PATH`).
pub(crate) fn split_url(url: &str) -> (String, String) {
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    (authority.to_string(), path.to_string())
}

impl Conn {
    /// A connection to `authority`, opened on the first request.
    pub(crate) fn new(authority: &str) -> Self {
        Self {
            authority: authority.to_string(),
            sender: None,
        }
    }

    async fn connect(&mut self) -> Result<(), Failure> {
        let host = self
            .authority
            .trim_start_matches('[')
            .replace("]:", ":")
            .replace("localhost:", "127.0.0.1:");
        let stream = tokio::net::TcpStream::connect(&host)
            .await
            .map_err(|e| Failure::Connect(e.to_string()))?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| Failure::Connect(e.to_string()))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        self.sender = Some(sender);
        Ok(())
    }

    /// Sends one request and reads the whole answer, within `timeout`
    /// (connecting included). After a failure the connection is dropped
    /// and the next request opens a new one.
    pub(crate) async fn request(
        &mut self,
        method: Method,
        path: &str,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<(StatusCode, Bytes), Failure> {
        match tokio::time::timeout(timeout, self.exchange(method, path, body)).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => {
                self.sender = None;
                Err(e)
            }
            Err(_) => {
                self.sender = None;
                Err(Failure::Timeout)
            }
        }
    }

    async fn exchange(
        &mut self,
        method: Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<(StatusCode, Bytes), Failure> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            self.connect().await?;
        }
        let Some(sender) = self.sender.as_mut() else {
            return Err(Failure::Io("no connection".to_string()));
        };
        sender
            .ready()
            .await
            .map_err(|e| Failure::Io(e.to_string()))?;
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &self.authority)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| Failure::Io(e.to_string()))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| Failure::Io(e.to_string()))?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| Failure::Io(e.to_string()))?
            .to_bytes();
        Ok((status, bytes))
    }
}
