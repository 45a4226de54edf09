//! [`Simulator`]: a running fake Cal.com on a local socket, for the CLI and for tests.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::calcom::{self, Calcom};
use crate::config::Config;
use crate::error::Error;
use crate::pull;

/// A fake Cal.com serving on a local port until dropped.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let simulator = calsim::Simulator::start().await.unwrap();
/// let answer = reqwest::Client::new()
///     .post(format!("{}/api/webhook/app-credential", simulator.url()))
///     .send()
///     .await
///     .unwrap();
/// assert_eq!(answer.status(), 403); // no secret header
/// # }
/// ```
#[derive(Debug)]
pub struct Simulator {
    calcom: Arc<Calcom>,
    address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

/// Configures a [`Simulator`] before it starts.
#[derive(Debug, Default)]
pub struct SimulatorBuilder {
    config: Config,
    listener: Option<TcpListener>,
}

impl SimulatorBuilder {
    /// Uses this configuration (default: the embedded defaults).
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Serves on this listener instead of binding `config.host:config.port`.
    pub fn listener(mut self, listener: TcpListener) -> Self {
        self.listener = Some(listener);
        self
    }

    /// Binds and starts serving; the simulator accepts connections when this returns.
    pub async fn start(self) -> Result<Simulator, Error> {
        let listener = match self.listener {
            Some(listener) => listener,
            None => {
                let address = SocketAddr::new(self.config.host, self.config.port);
                TcpListener::bind(address).await.map_err(|source| Error::Io {
                    what: format!("cannot listen on {address} (is another calsim or Cal.com running there? pick another --port)"),
                    source,
                })?
            }
        };
        let address = listener.local_addr().map_err(|source| Error::Io {
            what: "cannot read the listening address".to_owned(),
            source,
        })?;
        let calcom = Calcom::new(self.config);
        let app = calcom::router(Arc::clone(&calcom));
        let refresher = pull::spawn_auto_refresh(Arc::clone(&calcom));
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            refresher.abort();
            if let Err(error) = served {
                tracing::error!("the fake Cal.com stopped: {error}");
            }
        });
        Ok(Simulator {
            calcom,
            address,
            shutdown: Some(shutdown),
        })
    }
}

impl Simulator {
    /// A builder with the embedded defaults on a random loopback port.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default().config(Config {
            port: 0,
            ..Config::default()
        })
    }

    /// Starts with the embedded defaults on a random loopback port.
    pub async fn start() -> Result<Simulator, Error> {
        Simulator::builder().start().await
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The state: store, journal, clock, config.
    pub fn calcom(&self) -> &Arc<Calcom> {
        &self.calcom
    }

    /// Waits until the server stops (it never does on its own; used by `calsim serve`).
    pub async fn wait_for_ctrl_c(mut self) {
        let _ = tokio::signal::ctrl_c().await;
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
