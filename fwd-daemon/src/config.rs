//! Daemon configuration: a TOML file (documented in README.md) plus command-line overrides.
//!
//! Every value is validated once here; errors name the key (`port[1].devargs`, `daemon.polling`)
//! and the offending value.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// How workers poll their rx queues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PollMode {
    /// Spin forever (benchmarks: one core per worker at 100 %).
    Busy,
    /// After `idle_polls` empty polls in a row, sleep `sleep_us` between polls until a packet
    /// arrives (like VPP's adaptive / poll-sleep mode), so a lab shares a small machine.
    Adaptive {
        /// Empty polls before backing off.
        idle_polls: u32,
        /// Sleep per empty poll once backed off, in microseconds.
        sleep_us: u32,
    },
}

/// Log level names accepted by `daemon.log_level`.
pub const LOG_LEVELS: [&str; 5] = ["error", "warn", "info", "debug", "trace"];

/// One port of the forwarder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortConfig {
    /// SONiC name, also the host interface (TAP) name: `Ethernet0`.
    pub name: String,
    /// DPDK device: a vdev string (`net_af_packet0,iface=veth0,...`, `net_tap0`, `net_ring0`,
    /// `net_pcap0,...`, `net_null0`) or a PCI address (`0000:01:00.0`).
    pub devargs: String,
    /// Rx queues (RSS spreads flows over them; queues are shared out among workers).
    pub rx_queues: u16,
    /// Descriptors per rx / tx queue.
    pub rx_desc: u16,
    /// Descriptors per tx queue.
    pub tx_desc: u16,
    /// MTU to set on the device (None: leave the driver default).
    pub mtu: Option<u16>,
}

impl PortConfig {
    /// True when `devargs` names a PCI device rather than a vdev.
    pub fn is_pci(&self) -> bool {
        is_pci_addr(&self.devargs)
    }

    /// The kernel interface behind an `net_af_packet` / `net_af_xdp` vdev (`iface=`): its carrier
    /// is the port's link state (those PMDs always report "up").
    pub fn kernel_iface(&self) -> Option<&str> {
        let dev = self.dev_name();
        if !(dev.starts_with("net_af_packet") || dev.starts_with("net_af_xdp")) {
            return None;
        }
        self.devargs
            .split(',')
            .skip(1)
            .find_map(|kv| kv.strip_prefix("iface="))
    }

    /// The DPDK device name: the vdev name (before the first comma) or the PCI address.
    pub fn dev_name(&self) -> &str {
        self.devargs.split(',').next().unwrap_or("")
    }
}

/// The validated configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Instance name (used in the default ring path, socket path and EAL file prefix).
    pub name: String,
    /// Shared-memory ring path (created by libsai; the forwarder attaches or creates it).
    pub ring: PathBuf,
    /// Unix socket of the CLI.
    pub cli_socket: PathBuf,
    /// Network namespace (name under /run/netns) for host interfaces; None: the daemon's own.
    pub netns: Option<String>,
    /// Worker threads.
    pub workers: u16,
    /// CPU to pin each worker to (empty: no pinning).
    pub worker_cpus: Vec<usize>,
    /// Polling mode.
    pub poll: PollMode,
    /// Log level.
    pub log_level: String,
    /// Mbufs in the packet pool.
    pub mbufs: u32,
    /// Use hugepages: None = auto (only when some are free), Some(b) = forced.
    pub hugepages: Option<bool>,
    /// EAL memory in MiB when running without hugepages.
    pub memory_mb: u32,
    /// Extra EAL arguments appended verbatim.
    pub eal_args: Vec<String>,
    /// Per-stage TSC clocks in the worker loop (rx burst, rx metadata, graph, tx queueing, tx
    /// burst, the rest), shown by `show runtime`; off by default (costs a few TSC reads per
    /// frame).
    pub profile: bool,
    /// Without hugepages and PCI devices, put the packet pool in anonymous memory on transparent
    /// huge pages instead of EAL's 4 KiB pages (`daemon.pool_thp`, default true).
    pub pool_thp: bool,
    /// Ports, in order: port index i is `ports[i]`.
    pub ports: Vec<PortConfig>,
}

/// A configuration error naming the key and the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// Key path, e.g. `port[0].devargs`.
    pub key: String,
    /// What is wrong.
    pub msg: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "config: {}: {}", self.key, self.msg)
    }
}

impl std::error::Error for ConfigError {}

fn err(key: impl Into<String>, msg: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.into(),
        msg: msg.into(),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    daemon: RawDaemon,
    #[serde(default)]
    port: Vec<RawPort>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDaemon {
    name: Option<String>,
    ring: Option<String>,
    cli_socket: Option<String>,
    netns: Option<String>,
    workers: Option<i64>,
    worker_cpus: Option<Vec<i64>>,
    polling: Option<String>,
    idle_polls: Option<i64>,
    sleep_us: Option<i64>,
    log_level: Option<String>,
    mbufs: Option<i64>,
    hugepages: Option<String>,
    memory_mb: Option<i64>,
    eal_args: Option<Vec<String>>,
    profile: Option<bool>,
    pool_thp: Option<bool>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct RawPort {
    name: Option<String>,
    devargs: Option<String>,
    rx_queues: Option<i64>,
    rx_desc: Option<i64>,
    tx_desc: Option<i64>,
    mtu: Option<i64>,
}

/// Command-line overrides (each `Some` replaces the file's value).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--name`
    pub name: Option<String>,
    /// `--ring`
    pub ring: Option<String>,
    /// `--cli-socket`
    pub cli_socket: Option<String>,
    /// `--netns`
    pub netns: Option<String>,
    /// `--workers`
    pub workers: Option<i64>,
    /// `--polling`
    pub polling: Option<String>,
    /// `--log-level`
    pub log_level: Option<String>,
    /// `--port NAME=DEVARGS` (appended after the file's ports)
    pub ports: Vec<String>,
}

fn ranged<T: TryFrom<i64>>(key: &str, v: i64, lo: i64, hi: i64) -> Result<T, ConfigError> {
    if v < lo || v > hi {
        return Err(err(key, format!("{v} is out of range {lo}..={hi}")));
    }
    T::try_from(v).map_err(|_| err(key, format!("{v} is out of range")))
}

fn is_pci_addr(s: &str) -> bool {
    // dddd:bb:dd.f or bb:dd.f
    let s = s.split(',').next().unwrap_or("");
    let parts: Vec<&str> = s.split(':').collect();
    let hex = |p: &str, n: usize| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit());
    let devfn = |p: &str| {
        let mut it = p.split('.');
        matches!((it.next(), it.next(), it.next()), (Some(d), Some(f), None) if hex(d, 2) && f.len() == 1 && f.chars().all(|c| ('0'..='7').contains(&c)))
    };
    match parts.as_slice() {
        [dom, bus, df] => hex(dom, 4) && hex(bus, 2) && devfn(df),
        [bus, df] => hex(bus, 2) && devfn(df),
        _ => false,
    }
}

/// Vdev drivers the daemon knows how to use (others are rejected with the list).
pub const VDEV_DRIVERS: [&str; 8] = [
    "net_af_packet",
    "net_af_xdp",
    "net_tap",
    "net_ring",
    "net_null",
    "net_pcap",
    "net_memif",
    "net_virtio_user",
];

fn check_devargs(key: &str, devargs: &str) -> Result<(), ConfigError> {
    if devargs.trim().is_empty() {
        return Err(err(key, "empty device"));
    }
    if devargs.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(err(key, format!("{devargs:?} contains whitespace")));
    }
    if is_pci_addr(devargs) {
        return Ok(());
    }
    let dev = devargs.split(',').next().unwrap_or("");
    let Some(drv) = VDEV_DRIVERS.iter().find(|d| dev.starts_with(**d)) else {
        return Err(err(
            key,
            format!(
                "{dev:?} is neither a PCI address (0000:01:00.0) nor a known vdev ({})",
                VDEV_DRIVERS.join(", ")
            ),
        ));
    };
    let suffix = &dev[drv.len()..];
    if suffix.is_empty()
        || !suffix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(err(
            key,
            format!("vdev {dev:?} needs an instance suffix, e.g. {drv}0"),
        ));
    }
    for kv in devargs.split(',').skip(1) {
        if !kv.contains('=') || kv.starts_with('=') {
            return Err(err(key, format!("devarg {kv:?} is not key=value")));
        }
    }
    Ok(())
}

fn check_ifname(key: &str, name: &str) -> Result<(), ConfigError> {
    // Linux IFNAMSIZ is 16 including the NUL.
    if name.is_empty() || name.len() > 15 {
        return Err(err(
            key,
            format!("{name:?}: interface names are 1..=15 bytes"),
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return Err(err(key, format!("{name:?}: only [A-Za-z0-9._-] allowed")));
    }
    Ok(())
}

fn parse_poll(mode: &str, idle: Option<i64>, sleep: Option<i64>) -> Result<PollMode, ConfigError> {
    match mode {
        "busy" => {
            if idle.is_some() || sleep.is_some() {
                return Err(err(
                    "daemon.idle_polls",
                    "idle_polls/sleep_us only apply to polling = \"adaptive\"",
                ));
            }
            Ok(PollMode::Busy)
        }
        "adaptive" => Ok(PollMode::Adaptive {
            idle_polls: ranged("daemon.idle_polls", idle.unwrap_or(1024), 1, 1 << 24)?,
            sleep_us: ranged("daemon.sleep_us", sleep.unwrap_or(250), 1, 100_000)?,
        }),
        other => Err(err(
            "daemon.polling",
            format!("{other:?}: expected \"busy\" or \"adaptive\""),
        )),
    }
}

impl Config {
    /// Parse TOML text and apply overrides.
    pub fn parse(text: &str, ov: &Overrides) -> Result<Config, ConfigError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let msg = e.message().to_string();
            let key = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].lines().count().max(1);
                    format!("line {line}")
                })
                .unwrap_or_else(|| "file".to_string());
            err(key, msg)
        })?;
        Self::from_raw(raw, ov)
    }

    /// Load a file (None: defaults) and apply overrides.
    pub fn load(path: Option<&Path>, ov: &Overrides) -> Result<Config, ConfigError> {
        match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| err(p.display().to_string(), format!("cannot read: {e}")))?;
                Self::parse(&text, ov)
            }
            None => Self::from_raw(RawFile::default(), ov),
        }
    }

    fn from_raw(raw: RawFile, ov: &Overrides) -> Result<Config, ConfigError> {
        let d = raw.daemon;
        let name = ov.name.clone().or(d.name).unwrap_or_else(|| "fwd".into());
        if name.is_empty()
            || name.len() > 32
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(err(
                "daemon.name",
                format!("{name:?}: 1..=32 of [A-Za-z0-9_-]"),
            ));
        }
        let ring = PathBuf::from(
            ov.ring
                .clone()
                .or(d.ring)
                .unwrap_or_else(|| format!("/dev/shm/ferrosai-{name}")),
        );
        if ring.as_os_str().is_empty() {
            return Err(err("daemon.ring", "empty path"));
        }
        let cli_socket = PathBuf::from(
            ov.cli_socket
                .clone()
                .or(d.cli_socket)
                .unwrap_or_else(|| format!("/run/ferrosai/{name}.sock")),
        );
        if cli_socket.as_os_str().len() >= 108 {
            return Err(err(
                "daemon.cli_socket",
                format!(
                    "{}: unix socket paths are < 108 bytes",
                    cli_socket.display()
                ),
            ));
        }
        let netns = ov.netns.clone().or(d.netns).filter(|s| !s.is_empty());
        if let Some(ns) = &netns {
            if ns.contains('/') || ns == "." || ns == ".." {
                return Err(err(
                    "daemon.netns",
                    format!("{ns:?}: a name under /run/netns, not a path"),
                ));
            }
        }
        let workers: u16 = ranged(
            "daemon.workers",
            ov.workers.or(d.workers).unwrap_or(1),
            1,
            64,
        )?;
        let mut worker_cpus = Vec::new();
        for (i, c) in d.worker_cpus.unwrap_or_default().into_iter().enumerate() {
            worker_cpus.push(ranged::<usize>(
                &format!("daemon.worker_cpus[{i}]"),
                c,
                0,
                1023,
            )?);
        }
        if !worker_cpus.is_empty() && worker_cpus.len() != usize::from(workers) {
            return Err(err(
                "daemon.worker_cpus",
                format!(
                    "{} CPUs listed for {workers} workers (list one per worker or none)",
                    worker_cpus.len()
                ),
            ));
        }
        let polling = ov
            .polling
            .clone()
            .or(d.polling)
            .unwrap_or_else(|| "adaptive".into());
        let poll = parse_poll(&polling, d.idle_polls, d.sleep_us)?;
        let log_level = ov
            .log_level
            .clone()
            .or(d.log_level)
            .unwrap_or_else(|| "info".into());
        if !LOG_LEVELS.contains(&log_level.as_str()) {
            return Err(err(
                "daemon.log_level",
                format!("{log_level:?}: expected one of {}", LOG_LEVELS.join(", ")),
            ));
        }
        let mbufs: u32 = ranged("daemon.mbufs", d.mbufs.unwrap_or(8191), 1023, 1 << 24)?;
        let hugepages = match d.hugepages.as_deref().unwrap_or("auto") {
            "auto" => None,
            "yes" | "true" => Some(true),
            "no" | "false" => Some(false),
            other => {
                return Err(err(
                    "daemon.hugepages",
                    format!("{other:?}: expected \"auto\", \"yes\" or \"no\""),
                ))
            }
        };
        let memory_mb: u32 = ranged("daemon.memory_mb", d.memory_mb.unwrap_or(256), 64, 65536)?;
        let eal_args = d.eal_args.unwrap_or_default();
        let profile = d.profile.unwrap_or(false);
        let pool_thp = d.pool_thp.unwrap_or(true);
        for (i, a) in eal_args.iter().enumerate() {
            if a.contains('\0') {
                return Err(err(format!("daemon.eal_args[{i}]"), "contains NUL"));
            }
        }

        let mut raw_ports = raw.port;
        for (i, p) in ov.ports.iter().enumerate() {
            let Some((n, dev)) = p.split_once('=') else {
                return Err(err(
                    format!("--port[{i}]"),
                    format!("{p:?}: expected NAME=DEVARGS"),
                ));
            };
            raw_ports.push(RawPort {
                name: Some(n.to_string()),
                devargs: Some(dev.to_string()),
                ..RawPort::default()
            });
        }
        let mut ports = Vec::new();
        for (i, p) in raw_ports.into_iter().enumerate() {
            let k = |f: &str| format!("port[{i}].{f}");
            let name = p.name.ok_or_else(|| err(k("name"), "missing"))?;
            check_ifname(&k("name"), &name)?;
            let devargs = p.devargs.ok_or_else(|| err(k("devargs"), "missing"))?;
            check_devargs(&k("devargs"), &devargs)?;
            let pc = PortConfig {
                name,
                devargs,
                rx_queues: ranged(&k("rx_queues"), p.rx_queues.unwrap_or(1), 1, 64)?,
                rx_desc: ranged(&k("rx_desc"), p.rx_desc.unwrap_or(1024), 64, 16384)?,
                tx_desc: ranged(&k("tx_desc"), p.tx_desc.unwrap_or(1024), 64, 16384)?,
                mtu: p.mtu.map(|m| ranged(&k("mtu"), m, 68, 9216)).transpose()?,
            };
            if let Some(prev) = ports.iter().position(|q: &PortConfig| q.name == pc.name) {
                return Err(err(
                    k("name"),
                    format!("{:?} already used by port[{prev}]", pc.name),
                ));
            }
            if let Some(prev) = ports
                .iter()
                .position(|q: &PortConfig| q.dev_name() == pc.dev_name())
            {
                return Err(err(
                    k("devargs"),
                    format!("device {:?} already used by port[{prev}]", pc.dev_name()),
                ));
            }
            ports.push(pc);
        }
        if ports.is_empty() {
            return Err(err(
                "port",
                "no ports configured (add [[port]] tables or --port)",
            ));
        }
        Ok(Config {
            name,
            ring,
            cli_socket,
            netns,
            workers,
            worker_cpus,
            poll,
            log_level,
            mbufs,
            hugepages,
            memory_mb,
            eal_args,
            profile,
            pool_thp,
            ports,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[daemon]
name = "r1"
ring = "/dev/shm/ferrosai-r1"
netns = "r1host"
workers = 1
polling = "adaptive"
idle_polls = 256
sleep_us = 50

[[port]]
name = "Ethernet0"
devargs = "net_af_packet0,iface=veth0,framecnt=4096,qdisc_bypass=1"

[[port]]
name = "Ethernet4"
devargs = "0000:01:00.0"
rx_queues = 2
mtu = 9100
"#;

    #[test]
    fn good_file_parses() {
        let c = Config::parse(GOOD, &Overrides::default()).unwrap();
        assert_eq!(c.name, "r1");
        assert_eq!(c.ports.len(), 2);
        assert_eq!(c.ports[0].dev_name(), "net_af_packet0");
        assert!(c.ports[1].is_pci());
        assert_eq!(c.ports[1].mtu, Some(9100));
        assert_eq!(
            c.poll,
            PollMode::Adaptive {
                idle_polls: 256,
                sleep_us: 50
            }
        );
        assert_eq!(c.cli_socket, PathBuf::from("/run/ferrosai/r1.sock"));
    }

    fn bad(text: &str) -> ConfigError {
        Config::parse(text, &Overrides::default()).unwrap_err()
    }

    #[test]
    fn data_path_keys() {
        let port = "[[port]]\nname=\"E0\"\ndevargs=\"net_null0\"\n";
        let c = Config::parse(port, &Overrides::default()).unwrap();
        assert!(c.pool_thp, "huge-page pool by default");
        assert!(!c.profile, "no stage profile by default");
        let text = format!("[daemon]\npool_thp = false\nprofile = true\n{port}");
        let c = Config::parse(&text, &Overrides::default()).unwrap();
        assert!(!c.pool_thp);
        assert!(c.profile);
        let e = bad(&format!("[daemon]\npool_thp = \"yes\"\n{port}"));
        // TOML type errors come from the deserializer: the line and the expected type.
        assert!(
            e.to_string().contains("line 2") && e.to_string().contains("boolean"),
            "{e}"
        );
    }

    #[test]
    fn errors_name_key_and_value() {
        let e = bad("[daemon]\npolling = \"spin\"\n[[port]]\nname=\"E0\"\ndevargs=\"net_null0\"\n");
        assert_eq!(e.key, "daemon.polling");
        assert!(e.msg.contains("spin"));
        let e = bad("[[port]]\nname=\"E0\"\ndevargs=\"net_foo0\"\n");
        assert_eq!(e.key, "port[0].devargs");
        assert!(e.msg.contains("net_foo0"));
        let e = bad("[[port]]\nname=\"E0\"\ndevargs=\"net_null\"\n");
        assert!(e.msg.contains("instance suffix"), "{e}");
        let e = bad("[[port]]\nname=\"E0\"\ndevargs=\"net_null0\"\nrx_queues=0\n");
        assert_eq!(e.key, "port[0].rx_queues");
        let e = bad("[[port]]\nname=\"Ethernet0123456789\"\ndevargs=\"net_null0\"\n");
        assert_eq!(e.key, "port[0].name");
        let e = bad("[[port]]\nname=\"E0\"\ndevargs=\"net_null0\"\n[[port]]\nname=\"E0\"\ndevargs=\"net_null1\"\n");
        assert_eq!(e.key, "port[1].name");
        let e = bad("[[port]]\nname=\"E0\"\ndevargs=\"net_null0\"\n[[port]]\nname=\"E1\"\ndevargs=\"net_null0\"\n");
        assert_eq!(e.key, "port[1].devargs");
        let e = bad("[daemon]\nbogus = 1\n");
        assert!(e.msg.contains("bogus"), "{e}");
        let e = bad("[daemon]\nworkers = 0\n[[port]]\nname=\"E0\"\ndevargs=\"net_null0\"\n");
        assert_eq!(e.key, "daemon.workers");
        let e = bad("[daemon]\nlog_level = \"loud\"\n");
        assert_eq!(e.key, "daemon.log_level");
        let e = bad("");
        assert_eq!(e.key, "port");
        let e = bad("[daemon]\nnetns = \"../x\"\n");
        assert_eq!(e.key, "daemon.netns");
        let e = bad("[[port]]\nname=\"E0\"\ndevargs=\"net_pcap0,rx_pcap\"\n");
        assert!(e.msg.contains("key=value"));
    }

    #[test]
    fn overrides_apply() {
        let ov = Overrides {
            workers: Some(2),
            polling: Some("busy".into()),
            ports: vec!["Ethernet8=net_ring0".into()],
            ..Overrides::default()
        };
        let c = Config::parse("", &ov).unwrap();
        assert_eq!(c.workers, 2);
        assert_eq!(c.poll, PollMode::Busy);
        assert_eq!(c.ports[0].name, "Ethernet8");
        let ov = Overrides {
            ports: vec!["nodevice".into()],
            ..Overrides::default()
        };
        assert_eq!(Config::parse("", &ov).unwrap_err().key, "--port[0]");
    }

    #[test]
    fn example_file_parses() {
        let c = Config::parse(
            include_str!("../config/example.toml"),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(c.ports.len(), 2);
        assert_eq!(c.ports[1].kernel_iface(), Some("veth-r1b"));
        assert_eq!(c.netns.as_deref(), Some("r1host"));
    }

    #[test]
    fn pci_addresses() {
        assert!(is_pci_addr("0000:01:00.0"));
        assert!(is_pci_addr("01:00.1"));
        assert!(!is_pci_addr("01:00.8"));
        assert!(!is_pci_addr("net_null0"));
    }
}
