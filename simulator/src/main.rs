//! The `calsim` binary: parse the command line, run, turn errors into exit codes.

mod cli;

/// jemalloc: the push route under wrk serves about a third more requests than with
/// glibc's allocator, whose arena locks the two runtime threads fight over when one
/// frees what the other allocated (`benches/load.rs`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    cli::logging::init(cli.verbose);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return std::process::ExitCode::from(cli::EXIT_ERROR);
        }
    };
    match runtime.block_on(cli.run()) {
        Ok(code) => std::process::ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::from(cli::EXIT_ERROR)
        }
    }
}
