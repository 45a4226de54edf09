//! [`Simulator`]: a running fake Cal.com on a local socket, for the CLI and for tests.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::calcom::pull;
use crate::calcom::router::router;
use crate::calcom::state::Calcom;
use crate::config::Config;
use crate::net::server::Server;
use crate::protocol::error::Error;

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
    server: Server,
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
        let address = SocketAddr::new(self.config.host, self.config.port);
        let calcom = Calcom::new(self.config);
        let app = router(Arc::clone(&calcom));
        let refresher = pull::spawn_auto_refresh(Arc::clone(&calcom));
        let ticker = calcom
            .config()
            .scheduler_tick
            .map(|every| crate::calcom::due_work::spawn_ticker(Arc::clone(&calcom), every));
        let server = Server::start(self.listener, address, app, move || {
            refresher.abort();
            if let Some(ticker) = ticker {
                ticker.abort();
            }
        })
        .await?;
        Ok(Simulator { calcom, server })
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
        format!("http://{}", self.server.address())
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.server.address()
    }

    /// The state: store, journal, clock, config.
    pub fn calcom(&self) -> &Arc<Calcom> {
        &self.calcom
    }

    /// Serves until Ctrl-C (used by `calsim serve`).
    pub async fn wait_for_ctrl_c(self) {
        self.server.wait_for_ctrl_c().await;
    }
}
