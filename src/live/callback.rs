//! The callback endpoint of a live run with asynchronous decisions: the
//! routing service POSTs each [`Answer`] to
//! `http://127.0.0.1:PORT/v1/callback/{replication}`, and it goes to that
//! replication's pacer as it arrives.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::pacer::Inbound;
use crate::remote::{Answer, ErrorBody};

type Inboxes = Arc<Mutex<HashMap<u32, mpsc::Sender<Inbound>>>>;

/// The endpoint, while it runs (it stops when dropped).
pub(crate) struct Callbacks {
    base: Option<String>,
    inboxes: Inboxes,
    _stop: Option<tokio::sync::oneshot::Sender<()>>,
}

fn error(status: StatusCode, message: String) -> Response {
    (status, axum::Json(ErrorBody { error: message })).into_response()
}

async fn callback(State(inboxes): State<Inboxes>, Path(r): Path<u32>, body: Bytes) -> Response {
    let received = Instant::now();
    let answer: Answer = match serde_json::from_slice(&body) {
        Ok(a) => a,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("the body is not an Answer: {e}"),
            );
        }
    };
    let inbox = inboxes.lock().ok().and_then(|m| m.get(&r).cloned());
    match inbox {
        Some(inbox) if inbox.send(Inbound::Callback { answer, received }).is_ok() => {
            StatusCode::NO_CONTENT.into_response()
        }
        _ => error(
            StatusCode::NOT_FOUND,
            format!("no live session for replication {r} (it is over, or never started)"),
        ),
    }
}

impl Callbacks {
    /// No endpoint: decisions come back in the responses.
    pub(crate) fn none() -> Self {
        Self {
            base: None,
            inboxes: Arc::default(),
            _stop: None,
        }
    }

    /// Listens on `listen` (port 0: any free port) on `runtime`.
    pub(crate) fn start(
        runtime: &tokio::runtime::Runtime,
        listen: SocketAddr,
    ) -> std::io::Result<Self> {
        let inboxes: Inboxes = Arc::default();
        let listener = runtime.block_on(tokio::net::TcpListener::bind(listen))?;
        let addr = listener.local_addr()?;
        let app = axum::Router::new()
            .route("/v1/callback/{r}", axum::routing::post(callback))
            .layer(DefaultBodyLimit::max(32 << 20))
            .with_state(inboxes.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Self {
            base: Some(format!("http://{addr}/v1/callback")),
            inboxes,
            _stop: Some(stop),
        })
    }

    /// Routes replication `r`'s callbacks to `inbox`; returns the URL the
    /// service is to call (`None` without an endpoint).
    pub(crate) fn register(&self, r: u32, inbox: mpsc::Sender<Inbound>) -> Option<String> {
        let base = self.base.as_ref()?;
        if let Ok(mut m) = self.inboxes.lock() {
            m.insert(r, inbox);
        }
        Some(format!("{base}/{r}"))
    }

    /// Stops routing replication `r`'s callbacks (later ones get 404).
    pub(crate) fn unregister(&self, r: u32) {
        if let Ok(mut m) = self.inboxes.lock() {
            m.remove(&r);
        }
    }
}
