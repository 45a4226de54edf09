//! The command line: `Cli`, the `Command` enum, exit codes. One file per subcommand.

mod booking;
mod check;
mod clock;
mod control;
mod decrypt;
mod encrypt;
mod journal;
pub mod logging;
mod partner;
mod providers;
mod proxy;
mod push_credential;
mod receive;
mod replay;
mod run;
mod serve;
mod trigger;
mod vectors;

use clap::{Parser, Subcommand};

/// Everything went as expected.
pub const EXIT_OK: u8 = 0;
/// A conformance check failed, or the peer refused what was sent.
pub const EXIT_CHECK_FAILED: u8 = 1;
/// calsim could not do what was asked (bad input, unreachable peer, bad config).
pub const EXIT_ERROR: u8 = 2;

/// A mock Cal.com and partner platform: credential sync and conformance checks.
#[derive(Debug, Parser)]
#[command(name = "calsim", version, about)]
pub struct Cli {
    /// More log output (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a fake Cal.com on 127.0.0.1 (default port 3000).
    Serve(serve::Serve),
    /// Encrypt a plaintext as Cal.com's symmetricEncrypt does (AES-256-CBC).
    Encrypt(encrypt::Encrypt),
    /// Decrypt a `<iv hex>:<ciphertext hex>` text as Cal.com's symmetricDecrypt does.
    Decrypt(decrypt::Decrypt),
    /// Run conformance checks against your implementation of either side.
    Check(check::CheckCommand),
    /// Run a fake partner sync endpoint on 127.0.0.1 (default port 5100).
    Partner(partner::PartnerCommand),
    /// Encrypt a token and push it to Cal.com, as a partner does.
    PushCredential(push_credential::PushCredential),
    /// Send one signed webhook of a trigger to a URL, exactly as Cal.com would.
    Trigger(trigger::Trigger),
    /// Send Cal.com's test delivery (PING) to a URL.
    Ping(trigger::Ping),
    /// Receive webhooks on 127.0.0.1 (default port 4000), verifying like Nango.
    Receive(receive::Receive),
    /// Create and change bookings on a running fake Cal.com (fires their webhooks).
    Booking(booking::BookingCommand),
    /// Run scenario files (and built-in suites) against your implementation, for CI.
    Run(run::RunCommand),
    /// List the built-in suites.
    Suites(run::SuitesCommand),
    /// Review snapshots written by `calsim run --update-snapshots`.
    Snapshots(run::SnapshotsCommand),
    /// Forward requests to a real consumer unchanged and record every exchange.
    Proxy(proxy::ProxyCommand),
    /// Send recorded deliveries to a URL again (re-signed, time-shifted, fresh uids).
    Replay(replay::ReplayCommand),
    /// Export a running fake Cal.com's journal (HAR 1.2).
    Journal(journal::JournalCommand),
    /// Write calsim's test vectors (JSON) for implementations in other languages.
    Vectors(vectors::VectorsCommand),
    /// Show or move a running fake Cal.com's virtual clock.
    Clock(clock::ClockCommand),
    /// List, create and delete webhook subscriptions of a running fake Cal.com.
    Subscriptions(control::SubscriptionsCommand),
    /// List, show, refresh, expire and delete stored credentials.
    Credentials(control::CredentialsCommand),
    /// List and add users of a running fake Cal.com.
    Users(control::UsersCommand),
    /// List the apps of a running fake Cal.com.
    Apps(control::AppsCommand),
    /// Show or change a running fake Cal.com's configuration (no restart, state kept).
    Config(control::ConfigCommand),
    /// Make a fake provider fail (revoked token, outage, slowness) and see its records.
    Providers(providers::ProvidersCommand),
    /// List event types and set the apps their bookings use (location, calendar, CRM,
    /// price).
    EventTypes(providers::EventTypesCommand),
}

impl Cli {
    /// Runs the chosen command and returns the exit code.
    pub async fn run(self) -> anyhow::Result<u8> {
        match self.command {
            Command::Serve(command) => command.run().await,
            Command::Encrypt(command) => command.run(),
            Command::Decrypt(command) => command.run(),
            Command::Check(command) => command.run().await,
            Command::Partner(command) => command.run().await,
            Command::PushCredential(command) => command.run().await,
            Command::Trigger(command) => command.run().await,
            Command::Ping(command) => command.run().await,
            Command::Receive(command) => command.run().await,
            Command::Booking(command) => command.run().await,
            Command::Run(command) => command.run().await,
            Command::Suites(command) => command.run(),
            Command::Snapshots(command) => command.run(),
            Command::Proxy(command) => command.run().await,
            Command::Replay(command) => command.run().await,
            Command::Journal(command) => command.run().await,
            Command::Vectors(command) => command.run(),
            Command::Clock(command) => command.run().await,
            Command::Subscriptions(command) => command.run().await,
            Command::Credentials(command) => command.run().await,
            Command::Users(command) => command.run().await,
            Command::Apps(command) => command.run().await,
            Command::Config(command) => command.run().await,
            Command::Providers(command) => command.run().await,
            Command::EventTypes(command) => command.run().await,
        }
    }
}

/// The key flags `encrypt` and `decrypt` share.
#[derive(Debug, clap::Args)]
struct KeyArgs {
    /// The key string, exactly 32 characters (CALCOM_APP_CREDENTIAL_ENCRYPTION_KEY).
    #[arg(
        long,
        env = "CALCOM_APP_CREDENTIAL_ENCRYPTION_KEY",
        hide_env_values = true
    )]
    key: String,
    /// Use the opt-in AES-256-GCM variant (not Cal.com mainline).
    #[arg(long)]
    gcm: bool,
}

impl KeyArgs {
    fn key(&self) -> anyhow::Result<calsim::protocol::crypto::EncryptionKey> {
        Ok(calsim::protocol::crypto::EncryptionKey::from_env_string(
            &self.key,
        )?)
    }
}

/// Reads the argument, or stdin when it is absent or `-`.
fn argument_or_stdin(argument: Option<String>) -> anyhow::Result<String> {
    match argument.as_deref() {
        Some("-") | None => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
            Ok(text.trim_end_matches(['\n', '\r']).to_owned())
        }
        Some(_) => Ok(argument.unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for argument in command.get_arguments() {
            let id = argument.get_id().as_str();
            if id != "help" && id != "version" && argument.get_help().is_none() {
                missing.push(format!("{path} <{id}>"));
            }
        }
        for subcommand in command.get_subcommands() {
            let name = format!("{path} {}", subcommand.get_name());
            if subcommand.get_name() != "help" && subcommand.get_about().is_none() {
                missing.push(format!("{name} (no about)"));
            }
            walk(subcommand, &name, missing);
        }
    }

    /// `--help` explains every subcommand and every argument.
    #[test]
    fn every_subcommand_and_argument_has_help_text() {
        let mut missing = Vec::new();
        walk(&super::Cli::command(), "calsim", &mut missing);
        assert!(missing.is_empty(), "without help text: {missing:#?}");
    }
}
