//! The binaries' command lines: configuration errors name the key and exit 2 before touching
//! DPDK; `--check` prints the validated configuration; `fwdctl` reports an unreachable daemon.

use std::process::Command;

fn run(bin: &str, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(bin).args(args).output().expect("run binary");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn configuration_errors_and_check() {
    let fwd = env!("CARGO_BIN_EXE_ferrosai-fwd");
    let (code, _, err) = run(fwd, &["--port", "Ethernet0=net_bogus0"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("port[0].devargs") && err.contains("net_bogus0"),
        "{err}"
    );

    let (code, _, err) = run(fwd, &["--port", "Ethernet0=net_null0", "--polling", "spin"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("daemon.polling") && err.contains("spin"),
        "{err}"
    );

    let (code, _, err) = run(fwd, &["--port", "Ethernet0=net_null0", "--workers", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("daemon.workers"), "{err}");

    let dir = std::env::temp_dir().join(format!("fwd-args-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[daemon]\nworkers = 1\nfoo = 2\n").unwrap();
    let (code, _, err) = run(fwd, &["--config", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("foo"), "unknown key named: {err}");
    let (code, _, err) = run(
        fwd,
        &["--config", dir.join("missing.toml").to_str().unwrap()],
    );
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");

    let good = dir.join("good.toml");
    std::fs::write(&good, include_str!("../config/example.toml")).unwrap();
    let (code, out, err) = run(
        fwd,
        &[
            "--config",
            good.to_str().unwrap(),
            "--workers",
            "2",
            "--check",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("workers: 2") && out.contains("Ethernet4"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);

    let ctl = env!("CARGO_BIN_EXE_fwdctl");
    let (code, _, err) = run(ctl, &["-s", "/nonexistent/fwd.sock", "show", "interface"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/fwd.sock"), "{err}");
    let (code, out, _) = run(ctl, &["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("show ip fib"));
}
