//! The HTTP server loop. `axum::serve` reads headers and bodies without a time limit and
//! accepts connections without a cap, so a client that sends a byte now and then holds a
//! connection forever, and enough of them exhaust the process. Here each connection is served
//! by hyper with a time limit on its headers and on each piece of a body, and at most
//! `max_connections` are open at once, WebSockets included (the next ones wait in the
//! kernel's queue).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceBuilder;
use tower_http::add_extension::AddExtensionLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// How the server treats connections.
#[derive(Clone, Copy, Debug)]
pub struct ServeLimits {
    /// The longest wait for a request's headers, and between two pieces of its body.
    pub read_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
}

/// A connection's stream holding its place among `max_connections`: the place is given back
/// when the stream is dropped, which for a WebSocket is when the socket closes (the upgraded
/// connection keeps this stream).
struct Counted {
    tcp: TcpStream,
    _place: OwnedSemaphorePermit,
}

impl AsyncRead for Counted {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets open requests finish
/// (for at most `drain`; sockets are told the server is stopping by their own loops).
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain: Duration,
) {
    let places = Arc::new(Semaphore::new(limits.max_connections));
    let (stopping, stop) = tokio::sync::watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.read_timeout);
    let mut requests = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let place = tokio::select! {
            p = places.clone().acquire_owned() => p.expect("the semaphore is never closed"),
            _ = &mut shutdown => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // Small frames go out at once: Nagle's algorithm would hold them back by tens of ms.
        let _ = tcp.set_nodelay(true);
        let service = ServiceBuilder::new()
            .layer(RequestBodyTimeoutLayer::new(limits.read_timeout))
            .layer(AddExtensionLayer::new(ConnectInfo(peer)))
            .service(router.clone());
        let connection = http
            .serve_connection(
                TokioIo::new(Counted { tcp, _place: place }),
                TowerToHyperService::new(service),
            )
            .with_upgrades();
        let mut stop = stop.clone();
        requests.spawn(async move {
            tokio::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                _ = async { let _ = stop.wait_for(|s| *s).await; } => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(error = %e, %peer, "a connection ended with an error");
            }
        });
        // Forget the connections that are done.
        while requests.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = stopping.send(true);
    let finished = async { while requests.join_next().await.is_some() {} };
    if tokio::time::timeout(drain, finished).await.is_err() {
        tracing::warn!("some requests were still running when the server stopped");
    }
}
