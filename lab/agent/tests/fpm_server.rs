//! The agent's FPM server and control socket over real sockets (loopback, a temp dir), with the
//! recording data plane: zebra-captured frames are programmed, a withdrawal is followed, a malformed
//! frame is rejected and counted and its connection dropped, a reconnect replay is reconciled.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use ferrosai_agent::config_db::ConfigDb;
use ferrosai_agent::dp_log::LogDataplane;
use ferrosai_agent::runtime::{self, Options};
use ferrosai_agent::state::Agent;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

// zebra 8.4.4 frames: NH 10 = 10.0.1.2 dev 18, route 10.20.2.0/24 nhid 10, its withdrawal
const NH10: &str = "01010034300000006800010500000000f469dc9502000b0000000000080001000a000000080006000a0001020800050012000000";
const RT: &str = "01010038340000001800010500000000f469dc9502180000feba000100000000080001000a140200080006001400000008001e000a000000";
const DEL: &str = "010100302c0000001900010400000000f469dc9502180000feba000000000000080001000a1402000800060014000000";

fn ask(ctl: &Path, cmd: &str) -> String {
    let words: Vec<String> = cmd.split(' ').map(String::from).collect();
    runtime::client(ctl, &words).unwrap_or_else(|e| e)
}

fn wait_for(ctl: &Path, cmd: &str, want: impl Fn(&str) -> bool) -> String {
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        let out = ask(ctl, cmd);
        if want(&out) || Instant::now() > end {
            return out;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn fpm_frames_over_tcp() {
    let dir = std::env::temp_dir().join(format!("ferrosai-agent-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ctl = dir.join("agent.sock");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = ConfigDb::parse(
        r#"{"DEVICE_METADATA":{"localhost":{"mac":"02:fe:00:00:01:00"}},
        "PORT":{"Ethernet0":{"lanes":"25"},"Ethernet4":{"lanes":"29"}},
        "INTERFACE":{"Ethernet0|10.0.1.1/30":{}}}"#,
    )
    .unwrap();
    let mut agent = Agent::new(LogDataplane::default(), &cfg);
    agent.apply_config(&cfg).unwrap();
    // no kernel netdevs here: map zebra's ifindex 18 to the port by hand
    agent.set_ifindex(18, "Ethernet0");
    let opts = Options {
        fpm: format!("127.0.0.1:{port}"),
        ctl: ctl.clone(),
        kernel: false,
        neighbors: false,
        dump_fpm: None,
    };
    std::thread::spawn(move || runtime::run(agent, opts));
    let end = Instant::now() + Duration::from_secs(5);
    let mut zebra = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => break s,
            Err(e) if Instant::now() < end => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("connect: {e}"),
        }
    };
    zebra.write_all(&hex(NH10)).unwrap();
    zebra.write_all(&hex(RT)).unwrap();
    let routes = wait_for(&ctl, "show routes", |o| o.contains("10.20.2.0/24"));
    assert!(
        routes.contains("10.20.2.0/24 via 10.0.1.2 Ethernet0\n"),
        "{routes}"
    );
    assert!(routes.contains("10.0.1.1/32 ip2me Ethernet0"), "{routes}");

    // withdrawal
    zebra.write_all(&hex(DEL)).unwrap();
    let routes = wait_for(&ctl, "show routes", |o| !o.contains("10.20.2.0/24"));
    assert!(!routes.contains("10.20.2.0/24"), "{routes}");

    // route back, then a malformed frame (bad FPM version): counted, connection dropped
    zebra.write_all(&hex(RT)).unwrap();
    wait_for(&ctl, "show routes", |o| o.contains("10.20.2.0/24"));
    zebra.write_all(&[7, 1, 0, 20]).unwrap();
    let c = wait_for(&ctl, "show counters", |o| o.contains("fpm_bad_frames: 1"));
    assert!(c.contains("fpm_bad_frames: 1"), "{c}");
    // the route stays programmed while zebra is away (no blackhole)
    assert!(ask(&ctl, "show routes").contains("10.20.2.0/24 via 10.0.1.2"));

    // reconnect and replay only the next hop: the route is stale, then swept after the quiet time
    let mut zebra = TcpStream::connect(("127.0.0.1", port)).unwrap();
    zebra.write_all(&hex(NH10)).unwrap();
    let c = wait_for(&ctl, "show counters", |o| o.contains("fpm_connections: 2"));
    assert!(c.contains("fpm_connections: 2"), "{c}");
    assert!(ask(&ctl, "show routes").contains("10.20.2.0/24 via 10.0.1.2 Ethernet0 (stale)"));
    std::thread::sleep(runtime::RESYNC_QUIET + Duration::from_millis(400));
    let routes = ask(&ctl, "show routes");
    assert!(!routes.contains("10.20.2.0/24"), "{routes}");
    assert!(ask(&ctl, "show counters").contains("routes_swept: 1"));

    // control-socket errors are precise, not fatal
    assert!(ask(&ctl, "interface ip add Ethernet9 10.9.9.9/24").starts_with("ERR"));
    assert!(ask(&ctl, "interface ip add Ethernet4 10.9.9.9/99").starts_with("ERR"));
    assert!(ask(&ctl, "frobnicate").starts_with("ERR unknown command"));
    assert_eq!(ask(&ctl, "interface ip add Ethernet4 10.20.1.254/24"), "");
    assert!(ask(&ctl, "show routes").contains("10.20.1.0/24 connected Ethernet4"));
    let _ = std::fs::remove_dir_all(&dir);
}
