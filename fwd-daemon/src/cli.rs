//! The vppctl-like CLI: command parsing, the unix-socket server and the client side used by
//! `fwdctl`.
//!
//! Protocol: the client connects, writes one command line (`[--json] show interface`) terminated
//! by `\n`, and reads the answer until EOF. Errors start with `error: `.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::IpAddr;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::time::Duration;

/// A parsed CLI command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CliCmd {
    /// `show interface [NAME]`
    ShowInterface(Option<String>),
    /// `show hardware`
    ShowHardware,
    /// `show ip fib [ADDR[/LEN]]`
    ShowIpFib(Option<IpAddr>),
    /// `show ip6 fib [ADDR[/LEN]]`
    ShowIp6Fib(Option<IpAddr>),
    /// `show ip neighbors`
    ShowNeighbors,
    /// `show runtime`
    ShowRuntime,
    /// `show errors`
    ShowErrors,
    /// `trace add N` (the optional input-node name VPP takes is accepted and ignored)
    TraceAdd(u32),
    /// `show trace`
    ShowTrace,
    /// `clear trace`
    ClearTrace,
    /// `pcap trace [rx] [tx] max N file F`
    PcapTrace {
        /// Capture rx.
        rx: bool,
        /// Capture tx.
        tx: bool,
        /// Stop after this many packets.
        max: u64,
        /// Output file.
        file: PathBuf,
    },
    /// `pcap trace off`
    PcapOff,
    /// `pcap trace status`
    PcapStatus,
    /// `clear counters`
    ClearCounters,
    /// `show hostif`
    ShowHostif,
    /// `show ring`
    ShowRing,
}

/// Help text.
pub const HELP: &str = "commands:
  show interface [NAME]        port counters
  show hardware                device information and link state
  show ip fib [PREFIX]         IPv4 routes (those covering PREFIX)
  show ip6 fib [PREFIX]        IPv6 routes
  show ip neighbors            neighbors (IPv4 and IPv6)
  show runtime                 per-node runtime counters
  show errors                  non-zero error counters
  show hostif                  host interfaces (TAPs)
  show ring                    ring status and counters
  trace add N                  trace the next N packets
  show trace | clear trace
  pcap trace [rx] [tx] max N file F | pcap trace off | pcap trace status
  clear counters
options: --json (machine-readable output)";

fn parse_addr(s: &str) -> Result<IpAddr, String> {
    let a = s.split('/').next().unwrap_or(s);
    a.parse::<IpAddr>()
        .map_err(|_| format!("bad address {s:?}"))
}

/// Parse one command line; returns the command and whether JSON was asked for.
pub fn parse(line: &str) -> Result<(CliCmd, bool), String> {
    let mut json = false;
    let words: Vec<&str> = line
        .split_whitespace()
        .filter(|w| {
            if *w == "--json" || *w == "json" {
                json = true;
                false
            } else {
                true
            }
        })
        .collect();
    let cmd = match words.as_slice() {
        ["show", "interface" | "interfaces" | "int"] => CliCmd::ShowInterface(None),
        ["show", "interface" | "interfaces" | "int", n] => {
            CliCmd::ShowInterface(Some((*n).to_string()))
        }
        ["show", "hardware" | "hardware-interfaces" | "hard"] => CliCmd::ShowHardware,
        ["show", "ip", "fib"] => CliCmd::ShowIpFib(None),
        ["show", "ip", "fib", a] => {
            let ip = parse_addr(a)?;
            if !ip.is_ipv4() {
                return Err(format!("{a} is not an IPv4 address (use show ip6 fib)"));
            }
            CliCmd::ShowIpFib(Some(ip))
        }
        ["show", "ip6", "fib"] => CliCmd::ShowIp6Fib(None),
        ["show", "ip6", "fib", a] => {
            let ip = parse_addr(a)?;
            if !ip.is_ipv6() {
                return Err(format!("{a} is not an IPv6 address"));
            }
            CliCmd::ShowIp6Fib(Some(ip))
        }
        ["show", "ip" | "ip6", "neighbors" | "neighbor" | "arp"] => CliCmd::ShowNeighbors,
        ["show", "runtime" | "run"] => CliCmd::ShowRuntime,
        ["show", "errors" | "error" | "err"] => CliCmd::ShowErrors,
        ["show", "trace"] => CliCmd::ShowTrace,
        ["show", "hostif"] => CliCmd::ShowHostif,
        ["show", "ring"] => CliCmd::ShowRing,
        ["clear", "trace"] => CliCmd::ClearTrace,
        ["clear", "counters" | "interfaces" | "errors" | "runtime"] => CliCmd::ClearCounters,
        ["trace", "add", rest @ ..] => {
            let n = rest
                .iter()
                .rev()
                .find_map(|w| w.parse::<u32>().ok())
                .ok_or_else(|| "trace add: expected a packet count".to_string())?;
            if n == 0 || n > 10_000 {
                return Err(format!("trace add: count {n} outside 1..=10000"));
            }
            CliCmd::TraceAdd(n)
        }
        ["pcap", "trace", "off"] => CliCmd::PcapOff,
        ["pcap", "trace", "status"] => CliCmd::PcapStatus,
        ["pcap", "trace", rest @ ..] => {
            let (mut rx, mut tx, mut max, mut file) = (false, false, 100u64, None);
            let mut it = rest.iter();
            while let Some(w) = it.next() {
                match *w {
                    "rx" => rx = true,
                    "tx" => tx = true,
                    "max" => {
                        let v = it.next().ok_or("pcap trace: max needs a value")?;
                        max = v
                            .parse()
                            .map_err(|_| format!("pcap trace: bad max {v:?}"))?;
                        if max == 0 || max > 10_000_000 {
                            return Err(format!("pcap trace: max {max} outside 1..=10000000"));
                        }
                    }
                    "file" => {
                        let v = it.next().ok_or("pcap trace: file needs a path")?;
                        file = Some(PathBuf::from(*v));
                    }
                    other => return Err(format!("pcap trace: unknown word {other:?}")),
                }
            }
            if !rx && !tx {
                rx = true;
                tx = true;
            }
            let file = file.ok_or("pcap trace: file F is required")?;
            let file = if file.is_absolute() {
                file
            } else {
                // VPP writes relative names under /tmp.
                Path::new("/tmp").join(file)
            };
            CliCmd::PcapTrace { rx, tx, max, file }
        }
        [] => return Err(HELP.to_string()),
        ["help"] | ["?"] => return Err(HELP.to_string()),
        _ => return Err(format!("unknown command {:?}\n{HELP}", words.join(" "))),
    };
    Ok((cmd, json))
}

/// A request from the CLI server to the control thread.
pub struct CliRequest {
    /// The command.
    pub cmd: CliCmd,
    /// JSON output.
    pub json: bool,
    /// Where the answer goes.
    pub reply: Sender<String>,
}

/// Serve the CLI on `path` until `stop` is set; requests go to the control thread.
pub fn serve(listener: UnixListener, to_control: Sender<CliRequest>, stop: Arc<AtomicBool>) {
    if let Err(e) = listener.set_nonblocking(true) {
        tracing::error!("cli: set_nonblocking: {e}");
        return;
    }
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((s, _)) => {
                let _ = s.set_nonblocking(false);
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
                handle_conn(s, &to_control);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => {
                tracing::warn!("cli: accept: {e}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

fn handle_conn(s: UnixStream, to_control: &Sender<CliRequest>) {
    let mut line = String::new();
    let mut r = BufReader::new(match s.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    if r.read_line(&mut line).is_err() {
        return;
    }
    let answer = match parse(line.trim()) {
        Err(e) => format!("error: {e}\n"),
        Ok((cmd, json)) => {
            let (tx, rx) = mpsc::channel();
            if to_control
                .send(CliRequest {
                    cmd,
                    json,
                    reply: tx,
                })
                .is_err()
            {
                "error: daemon is stopping\n".to_string()
            } else {
                rx.recv_timeout(Duration::from_secs(10))
                    .unwrap_or_else(|_| "error: no answer from the control thread\n".to_string())
            }
        }
    };
    let mut s = s;
    let _ = s.write_all(answer.as_bytes());
}

/// Client side: send `line` to the daemon at `socket` and return its answer.
pub fn request(socket: &Path, line: &str) -> std::io::Result<String> {
    let mut s = UnixStream::connect(socket)?;
    s.set_read_timeout(Some(Duration::from_secs(15)))?;
    s.write_all(line.as_bytes())?;
    s.write_all(b"\n")?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vpp_style_commands() {
        assert_eq!(
            parse("show interface").unwrap(),
            (CliCmd::ShowInterface(None), false)
        );
        assert_eq!(
            parse("--json show int Ethernet0").unwrap(),
            (CliCmd::ShowInterface(Some("Ethernet0".into())), true)
        );
        assert_eq!(
            parse("show ip fib 10.0.2.0/24").unwrap().0,
            CliCmd::ShowIpFib(Some("10.0.2.0".parse().unwrap()))
        );
        assert!(parse("show ip fib 2001:db8::1").is_err());
        assert_eq!(
            parse("trace add dpdk-input 50").unwrap().0,
            CliCmd::TraceAdd(50)
        );
        assert_eq!(
            parse("pcap trace rx tx max 10 file x.pcap").unwrap().0,
            CliCmd::PcapTrace {
                rx: true,
                tx: true,
                max: 10,
                file: PathBuf::from("/tmp/x.pcap")
            }
        );
        assert!(parse("pcap trace rx max 10").is_err());
        assert!(parse("pcap trace max 0 file /tmp/a").is_err());
        assert!(parse("show bogus").unwrap_err().contains("unknown command"));
        assert_eq!(parse("clear counters").unwrap().0, CliCmd::ClearCounters);
    }
}
