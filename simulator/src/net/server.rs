//! Serving a `Router` on a local socket until the handle is dropped.

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::protocol::error::Error;

/// A router being served; dropping it stops the server gracefully.
#[derive(Debug)]
pub struct Server {
    address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Server {
    /// Binds `address` (or uses `listener`) and serves `app` in the background.
    pub async fn start(
        listener: Option<TcpListener>,
        address: SocketAddr,
        app: Router,
        on_stop: impl FnOnce() + Send + 'static,
    ) -> Result<Server, Error> {
        let listener = match listener {
            Some(listener) => listener,
            None => TcpListener::bind(address).await.map_err(|source| Error::Io {
                what: format!("cannot listen on {address} (is something else running there? pick another --port)"),
                source,
            })?,
        };
        let address = listener.local_addr().map_err(|source| Error::Io {
            what: "cannot read the listening address".to_owned(),
            source,
        })?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            on_stop();
            if let Err(error) = served {
                tracing::error!("server on {address} stopped: {error}");
            }
        });
        Ok(Server {
            address,
            shutdown: Some(shutdown),
        })
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until Ctrl-C, then stops.
    pub async fn wait_for_ctrl_c(mut self) {
        let _ = tokio::signal::ctrl_c().await;
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
