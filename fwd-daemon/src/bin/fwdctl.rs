//! `fwdctl`: the CLI client of ferrosai-fwd (like vppctl).
//!
//! `fwdctl [-s SOCKET] [--json] show interface` sends the command to the daemon's unix socket and
//! prints the answer; the exit status is 1 when the daemon answers with an error.
#![forbid(unsafe_code)]

use std::path::PathBuf;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut socket = PathBuf::from("/run/ferrosai/fwd.sock");
    if let Ok(s) = std::env::var("FWDCTL_SOCKET") {
        socket = PathBuf::from(s);
    }
    let mut i = 0;
    while i < args.len() {
        if args[i] == "-s" || args[i] == "--socket" {
            if i + 1 >= args.len() {
                eprintln!("fwdctl: {} needs a path", args[i]);
                std::process::exit(2);
            }
            socket = PathBuf::from(args.remove(i + 1));
            args.remove(i);
        } else if args[i] == "-h" || args[i] == "--help" {
            println!(
                "usage: fwdctl [-s SOCKET] [--json] COMMAND...\n{}",
                fwd_daemon::cli::HELP
            );
            return;
        } else {
            i += 1;
        }
    }
    let line = args.join(" ");
    match fwd_daemon::cli::request(&socket, &line) {
        Ok(ans) => {
            print!("{ans}");
            if ans.starts_with("error:") {
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("fwdctl: {}: {e}", socket.display());
            std::process::exit(2);
        }
    }
}
