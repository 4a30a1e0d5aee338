//! The `simnode` binary: a thin wrapper over [`simnode::cli`].

use clap::Parser;

/// An LND-wire-compatible simulated Lightning node.
#[derive(Debug, Parser)]
#[command(name = "simnode", version, about)]
struct Args {
    #[command(subcommand)]
    command: simnode::cli::Command,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    match simnode::cli::run(args.command).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}
