//! `sai-replay [--lib libsai.so] [--lanemap lanemap.ini] [--profile K=V]... [--skip-errors]
//! [--no-cleanup] [--store] FILE.rec...`
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use sai_replay::{bcm56850_profile, replay, Backend, LibBackend, Options, StoreBackend};

/// Replays sairedis recordings against a SAI library (like saiplayer) and checks the answers.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// The SAI library to dlopen.
    #[arg(long, default_value = "target/release/libsai.so")]
    lib: PathBuf,
    /// Lane map file; sets the BCM56850 profile keys (SAI_VS_SWITCH_TYPE, SAI_VS_INTERFACE_LANE_MAP_FILE).
    #[arg(long)]
    lanemap: Option<PathBuf>,
    /// Extra profile keys, KEY=VALUE.
    #[arg(long = "profile", value_name = "KEY=VALUE")]
    profile: Vec<String>,
    /// Continue after unparsable lines, failed calls and mismatched gets.
    #[arg(long)]
    skip_errors: bool,
    /// Do not remove the created objects and the switch at the end.
    #[arg(long)]
    no_cleanup: bool,
    /// After every create and set, read the attributes back and report differences.
    #[arg(long)]
    readback: bool,
    /// Replay against the in-process object store instead of the library (no C ABI).
    #[arg(long)]
    store: bool,
    /// Recordings.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

fn run<B: Backend>(b: &mut B, args: &Args) -> bool {
    let mut ok = true;
    for f in &args.files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{}: {e}", f.display());
                ok = false;
                continue;
            }
        };
        let s = replay(
            b,
            &text,
            Options {
                skip_errors: args.skip_errors,
                cleanup: !args.no_cleanup,
                readback: args.readback,
            },
        );
        println!("== {}", f.display());
        print!("{}", s.report());
        ok &= s.problems.is_empty();
    }
    ok
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut profile = args
        .lanemap
        .as_deref()
        .map(bcm56850_profile)
        .unwrap_or_default();
    for kv in &args.profile {
        let Some((k, v)) = kv.split_once('=') else {
            eprintln!("--profile {kv:?}: expected KEY=VALUE");
            return ExitCode::from(2);
        };
        profile.push((k.to_string(), v.to_string()));
    }
    let ok = if args.store {
        match StoreBackend::new(&profile) {
            Ok(mut b) => run(&mut b, &args),
            Err(e) => {
                eprintln!("store: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        match LibBackend::load(&args.lib, &profile) {
            Ok(mut b) => run(&mut b, &args),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        }
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
