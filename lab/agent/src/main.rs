//! `ferrosai-agent`: the lab's control agent (stands in for SONiC's swss + syncd).
//!
//! `ferrosai-agent run ...` runs the agent inside a router namespace; `ferrosai-agent config ...`
//! is the small CLI (`config interface ip add Ethernet0 10.0.1.1/30`, `config interface startup
//! Ethernet0`, `config show routes`) that talks to a running agent over its control socket.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ferrosai_agent::config_db::ConfigDb;
use ferrosai_agent::dp_log::LogDataplane;
use ferrosai_agent::runtime::{self, Options};
use ferrosai_agent::state::Agent;

#[derive(Parser)]
#[command(version, about = "ferrosai lab control agent")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the agent (inside the router namespace).
    Run {
        /// SONiC-style config_db.json.
        #[arg(long)]
        config: PathBuf,
        /// FPM listen address (zebra's `fpm address`).
        #[arg(long, default_value = "127.0.0.1:2620")]
        fpm: String,
        /// Control socket.
        #[arg(long)]
        ctl: PathBuf,
        /// libsai.so to dlopen.
        #[arg(long, conflicts_with = "no_sai")]
        libsai: Option<PathBuf>,
        /// SAI profile entries KEY=VALUE passed to sai_api_initialize.
        #[arg(long = "profile", value_name = "KEY=VALUE")]
        profile: Vec<String>,
        /// Development mode: no libsai; decode and log what would be programmed (nothing forwards).
        #[arg(long)]
        no_sai: bool,
        /// Do not touch kernel interfaces (addresses, link state).
        #[arg(long)]
        no_kernel: bool,
        /// Append every FPM frame (hex, one per line) to this file.
        #[arg(long)]
        dump_fpm: Option<PathBuf>,
    },
    /// Send a command to a running agent (`interface ip add|remove PORT ADDR/LEN`,
    /// `interface startup|shutdown PORT`, `show routes|neighbors|interfaces|counters`).
    Config {
        /// Control socket of the agent.
        #[arg(long)]
        ctl: PathBuf,
        /// The command words.
        #[arg(trailing_var_arg = true, required = true)]
        words: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Config { ctl, words } => match runtime::client(&ctl, &words) {
            Ok(out) => {
                print!("{out}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("config: {e}");
                ExitCode::FAILURE
            }
        },
        Cmd::Run {
            config,
            fpm,
            ctl,
            libsai,
            profile,
            no_sai,
            no_kernel,
            dump_fpm,
        } => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "info".into()),
                )
                .init();
            let text = match std::fs::read_to_string(&config) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("agent: {}: {e}", config.display());
                    return ExitCode::FAILURE;
                }
            };
            let cfg = match ConfigDb::parse(&text) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("agent: {}: {e}", config.display());
                    return ExitCode::FAILURE;
                }
            };
            let opts = Options {
                fpm,
                ctl,
                kernel: !no_kernel,
                neighbors: true,
                dump_fpm,
            };
            let res = if no_sai {
                tracing::warn!(
                    "--no-sai: development mode, nothing is programmed into a data plane"
                );
                start(Agent::new(LogDataplane::default(), &cfg), &cfg, opts)
            } else {
                let Some(lib) = libsai else {
                    eprintln!("agent: --libsai PATH or --no-sai is required");
                    return ExitCode::FAILURE;
                };
                match ferrosai_agent::dp_sai::SaiDataplane::open(&lib, &profile, &cfg) {
                    Ok(dp) => start(Agent::new(dp, &cfg), &cfg, opts),
                    Err(e) => Err(format!("libsai {}: {e}", lib.display())),
                }
            };
            match res {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("agent: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn start<D: ferrosai_agent::state::Dataplane>(
    mut agent: Agent<D>,
    cfg: &ConfigDb,
    opts: Options,
) -> Result<(), String> {
    agent.apply_config(cfg).map_err(|e| e.to_string())?;
    runtime::run(agent, opts).map_err(|e| e.to_string())
}
