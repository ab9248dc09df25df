//! `ferrosai-fwd`: the forwarder daemon. See README.md for the configuration file.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use clap::Parser;
use fwd_daemon::config::{Config, Overrides};

/// ferrosai forwarder: DPDK ports, vector graph, host interfaces, driven by the libsai ring.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Configuration file (TOML).
    #[arg(short, long)]
    config: Option<PathBuf>,
    /// Instance name (default ring /dev/shm/ferrosai-NAME, socket /run/ferrosai/NAME.sock).
    #[arg(long)]
    name: Option<String>,
    /// Shared-memory ring path.
    #[arg(long)]
    ring: Option<String>,
    /// CLI unix socket path.
    #[arg(long)]
    cli_socket: Option<String>,
    /// Network namespace for host interfaces (name under /run/netns).
    #[arg(long)]
    netns: Option<String>,
    /// Worker threads.
    #[arg(long)]
    workers: Option<i64>,
    /// busy | adaptive.
    #[arg(long)]
    polling: Option<String>,
    /// error | warn | info | debug | trace.
    #[arg(long)]
    log_level: Option<String>,
    /// A port: NAME=DEVARGS (repeatable), e.g. Ethernet0=net_af_packet0,iface=veth0.
    #[arg(long = "port")]
    ports: Vec<String>,
    /// Check the configuration and print it, then exit.
    #[arg(long)]
    check: bool,
}

fn main() {
    let a = Args::parse();
    let ov = Overrides {
        name: a.name,
        ring: a.ring,
        cli_socket: a.cli_socket,
        netns: a.netns,
        workers: a.workers,
        polling: a.polling,
        log_level: a.log_level,
        ports: a.ports,
    };
    let cfg = match Config::load(a.config.as_deref(), &ov) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ferrosai-fwd: {e}");
            std::process::exit(2);
        }
    };
    if a.check {
        println!("{cfg:#?}");
        return;
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(cfg.log_level.clone()));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let stop = Arc::new(AtomicBool::new(false));
    if let Err(e) = fwd_daemon::daemon::run(&cfg, stop) {
        eprintln!("ferrosai-fwd: {e}");
        std::process::exit(1);
    }
}
