//! Harness of the daemon tests: builds `ferrosai-fwd`, `fwdctl` and libsai.so (same profile as the
//! test), compiles the C driver, runs the daemon (in a namespace, or on `net_null` ports), and
//! cleans up everything it made on drop (also when an assertion fails).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub fn sh(cmd: &str) -> (bool, String) {
    let o = Command::new("bash")
        .arg("-c")
        .arg(cmd)
        .output()
        .expect("bash");
    let mut s = String::from_utf8_lossy(&o.stdout).into_owned();
    s.push_str(&String::from_utf8_lossy(&o.stderr));
    (o.status.success(), s)
}

pub fn must(cmd: &str) -> String {
    let (ok, out) = sh(cmd);
    assert!(ok, "command failed: {cmd}\n{out}");
    out
}

pub fn is_root() -> bool {
    sh("id -u").1.trim() == "0"
}

/// `target/<profile>` of this test executable.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// Builds the daemon binaries and libsai.so of this profile (once per test binary).
pub fn build() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = profile_dir();
        let release = dir.file_name().is_some_and(|n| n == "release");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "-p",
            "fwd-daemon",
            "--bins",
            "-p",
            "libsai-rs",
            "--lib",
        ])
        .env("CARGO_TARGET_DIR", dir.parent().unwrap());
        if release {
            cmd.arg("--release");
        }
        assert!(cmd.status().unwrap().success(), "cargo build failed");
        dir
    })
    .clone()
}

/// Compiles `c/<src>` against sai-headers/include, linked with -lsai; returns the executable.
pub fn compile_c(src: &str, out_dir: &Path) -> PathBuf {
    let lib = build();
    let exe = out_dir.join(src.trim_end_matches(".c"));
    let c = Path::new(env!("CARGO_MANIFEST_DIR")).join("c").join(src);
    let out = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-std=gnu11", "-O1", "-g", "-Wall", "-Wextra", "-Werror"])
        .arg("-I")
        .arg(sai_headers::INCLUDE_DIR)
        .arg(&c)
        .arg("-o")
        .arg(&exe)
        .arg(format!("-L{}", lib.display()))
        .arg("-lsai")
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-lpthread")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "compiling {src}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// Removes a path on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("sai-dp-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("FERROSAI_KEEP_SCRATCH").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A running `ferrosai-fwd`.
pub struct Fwd {
    pub name: String,
    pub ring: PathBuf,
    pub socket: PathBuf,
    pub log: PathBuf,
    netns: Option<String>,
    args: Vec<String>,
    child: Option<Child>,
}

impl Fwd {
    /// `ports`: `NAME=DEVARGS`; `netns`: run inside it; `host_ns`: where the TAPs go.
    pub fn new(tag: &str, ports: &[String], netns: Option<&str>, host_ns: Option<&str>) -> Fwd {
        let id = format!("{tag}{}", std::process::id() % 100_000);
        let mut args = vec![
            "--name".to_string(),
            id.clone(),
            "--polling".into(),
            "adaptive".into(),
            "--log-level".into(),
            "info".into(),
        ];
        if let Some(h) = host_ns {
            args.push("--netns".into());
            args.push(h.into());
        }
        for p in ports {
            args.push("--port".into());
            args.push(p.clone());
        }
        let f = Fwd {
            ring: PathBuf::from(format!("/dev/shm/ferrosai-sdp-{id}")),
            socket: PathBuf::from(format!("/tmp/ferrosai-sdp-{id}.sock")),
            log: PathBuf::from(format!("/tmp/ferrosai-sdp-{id}.log")),
            name: id,
            netns: netns.map(str::to_string),
            args,
            child: None,
        };
        let _ = std::fs::remove_file(&f.ring);
        f
    }

    pub fn start(&mut self) {
        let bin = build().join("ferrosai-fwd");
        let _ = std::fs::remove_file(&self.socket);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let mut cmd = match &self.netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns]).arg(&bin);
                c
            }
            None => Command::new(&bin),
        };
        cmd.args(&self.args)
            .arg("--ring")
            .arg(&self.ring)
            .arg("--cli-socket")
            .arg(&self.socket)
            .stdout(Stdio::null())
            .stderr(log);
        self.child = Some(cmd.spawn().expect("spawn ferrosai-fwd"));
        let t0 = Instant::now();
        while self.cli("show hardware").is_err() {
            if let Some(Ok(Some(st))) = self.child.as_mut().map(Child::try_wait) {
                panic!("ferrosai-fwd exited ({st}):\n{}", self.log_text());
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "daemon did not come up:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The daemon's pid (when started without a namespace wrapper, the daemon itself).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn cli(&self, line: &str) -> Result<String, String> {
        let o = Command::new(build().join("fwdctl"))
            .arg("-s")
            .arg(&self.socket)
            .args(line.split_whitespace())
            .output()
            .map_err(|e| e.to_string())?;
        let s = String::from_utf8_lossy(&o.stdout).into_owned();
        if o.status.success() && !s.starts_with("error:") {
            Ok(s)
        } else {
            Err(format!("{s}{}", String::from_utf8_lossy(&o.stderr)))
        }
    }

    pub fn json(&self, line: &str) -> serde_json::Value {
        let s = self
            .cli(&format!("--json {line}"))
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        serde_json::from_str(&s).unwrap_or_else(|e| panic!("{line}: bad JSON ({e})"))
    }

    /// IPv4 FIB rows as (prefix, kind).
    pub fn fib4(&self) -> Vec<(String, String)> {
        let v = self.json("show ip fib");
        v["routes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["prefix"].as_str().unwrap().to_string(),
                    r["kind"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// SIGKILL (a crash).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = sh(&format!("kill -TERM {}", c.id()));
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Fwd {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_file(&self.ring);
        let _ = std::fs::remove_file(&self.socket);
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        } else {
            eprintln!("daemon log:\n{}", self.log_text());
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// Network namespaces removed on drop.
pub struct Netns(pub Vec<String>);

impl Netns {
    pub fn new(names: &[String]) -> Netns {
        let n = Netns(names.to_vec());
        n.clean();
        for ns in names {
            must(&format!("ip netns add {ns}"));
            must(&format!("ip -n {ns} link set lo up"));
        }
        n
    }
    fn clean(&self) {
        for ns in &self.0 {
            let _ = sh(&format!("ip netns del {ns} 2>/dev/null"));
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        self.clean();
    }
}

/// Wait until `f` holds (panics with `what` after `secs`).
pub fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(secs), "timeout: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A lane map with the forwarder's port names, in its order.
pub fn lanemap(dir: &Path, names: &[&str]) -> PathBuf {
    let p = dir.join("lanemap.ini");
    let text: String = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let l = 25 + 4 * i;
            format!("{n}:{},{},{},{}\n", l, l + 1, l + 2, l + 3)
        })
        .collect();
    std::fs::write(&p, text).unwrap();
    p
}

/// User + system CPU seconds of a process so far (`/proc/<pid>/stat`, 100 ticks/s).
pub fn cpu_seconds(pid: &str) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = s.rsplit_once(')').map_or("", |x| x.1);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (t(11) + t(12)) / 100.0
}
