//! Replays the real sairedis recordings against libsai.so (through the C ABI), and a deliberately
//! corrupted recording against libsai.so and the in-process store.
//!
//! The recordings are read from `../shared/sairedis-recordings/` (override: `SAI_RECORDINGS`);
//! where that folder is absent the recording tests print a SKIPPED line and pass.
//! The library is `target/<profile>/libsai.so` of this build (override: `SAI_REPLAY_LIB`).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use sai_replay::backend::Backend;
use sai_replay::player::Player;
use sai_replay::{
    bcm56850_profile, replay, LibBackend, Options, ProblemKind, StoreBackend, Summary,
};
use sai_store::{status, Attr, AttrValue};

fn recordings_dir() -> Option<PathBuf> {
    let d = std::env::var_os("SAI_RECORDINGS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/sairedis-recordings"),
        PathBuf::from,
    );
    d.join("lanemap.ini").is_file().then_some(d)
}

fn profile() -> Vec<(String, String)> {
    match recordings_dir() {
        Some(d) => bcm56850_profile(&d.join("lanemap.ini")),
        None => vec![(
            "SAI_VS_SWITCH_TYPE".into(),
            "SAI_VS_SWITCH_TYPE_BCM56850".into(),
        )],
    }
}

/// libsai.so of the profile this test was built with.
fn lib_path() -> PathBuf {
    if let Some(p) = std::env::var_os("SAI_REPLAY_LIB") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("deps dir");
    let profile_dir = deps.parent().expect("profile dir");
    let candidates = [profile_dir.join("libsai.so"), deps.join("libsai.so")];
    candidates
        .iter()
        .filter_map(|p| Some((std::fs::metadata(p).ok()?.modified().ok()?, p.clone())))
        .max()
        .map(|x| x.1)
        .unwrap_or_else(|| panic!("libsai.so not built: looked for {candidates:?}"))
}

/// One library per process (its profile table is process-global): loaded once, used by one test
/// at a time.
fn lib() -> MutexGuard<'static, LibBackend> {
    static LIB: OnceLock<Mutex<LibBackend>> = OnceLock::new();
    LIB.get_or_init(|| {
        let path = lib_path();
        eprintln!("sai-replay test: loading {}", path.display());
        Mutex::new(LibBackend::load(&path, &profile()).expect("load libsai.so"))
    })
    .lock()
    .unwrap_or_else(PoisonError::into_inner)
}

fn assert_clean(name: &str, s: &Summary) {
    println!("== {name}\n{}", s.report());
    assert_eq!(s.stopped_at, None, "{name}: stopped early\n{}", s.report());
    assert_eq!(s.failed_calls(), 0, "{name}: failed calls\n{}", s.report());
    assert_eq!(
        s.mismatched_gets(),
        0,
        "{name}: mismatched gets\n{}",
        s.report()
    );
    assert_eq!(
        s.count(ProblemKind::Cleanup),
        0,
        "{name}: cleanup / leaks\n{}",
        s.report()
    );
    assert!(
        s.leak_check_types > 0 && s.baseline_objects > 0,
        "{name}: the leak check counted nothing"
    );
}

#[test]
fn replays_every_recording_without_failures_or_leaks() {
    let Some(dir) = recordings_dir() else {
        println!("SKIPPED: sairedis recordings not found (../shared/sairedis-recordings or SAI_RECORDINGS): nothing replayed");
        eprintln!("SKIPPED: sairedis recordings not found: replay test did not run");
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read recordings dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rec"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .rec files in {}", dir.display());
    let mut lib = lib();
    let mut total_gets = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read recording");
        let s = replay(&mut *lib, &text, Options::default());
        assert_clean(&f.display().to_string(), &s);
        total_gets += s.gets_checked;
        if f.file_name().is_some_and(|n| n == "full.rec") {
            // vslib's BCM56850 model: 1481 objects after switch creation (syncd-notes.md)
            assert_eq!(
                s.baseline_objects, 1481,
                "default objects after create_switch"
            );
            assert!(
                s.gets_checked > 2000 && s.discovered > 1000,
                "{}",
                s.report()
            );
            println!(
                "full.rec: {} calls in {:.3} s = {:.0} calls/s",
                s.calls,
                s.elapsed.as_secs_f64(),
                s.calls_per_sec()
            );
            if !cfg!(debug_assertions) {
                assert!(
                    s.elapsed.as_secs_f64() < 1.0,
                    "full.rec took {:?} (target < 1 s in release)",
                    s.elapsed
                );
            }
        }
    }
    assert!(total_gets > 0, "no get was checked");

    // again, reading every created/set attribute back through the C ABI: what libsai returns
    // must be what was written (every value form of the recordings, both marshalling directions)
    let mut checked = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read recording");
        let s = replay(
            &mut *lib,
            &text,
            Options {
                readback: true,
                ..Options::default()
            },
        );
        assert_clean(&f.display().to_string(), &s);
        assert!(
            s.readback_diffs.is_empty(),
            "{}: read back differs\n{}",
            f.display(),
            s.report()
        );
        checked += s.readback_checked;
    }
    assert!(checked > 10_000, "only {checked} attributes read back");
}

/// A recording with four kinds of corruption and one call on a removed object.
const CORRUPTED: &str = "\
2020-01-01.00:00:00.000000|a|INIT_VIEW
2020-01-01.00:00:00.000001|A|SAI_STATUS_SUCCESS
2020-01-01.00:00:00.000002|c|SAI_OBJECT_TYPE_SWITCH:oid:0x21000000000000|SAI_SWITCH_ATTR_INIT_SWITCH=true|SAI_SWITCH_ATTR_FDB_EVENT_NOTIFY=0x417890
2020-01-01.00:00:00.000003|g|SAI_OBJECT_TYPE_SWITCH:oid:0x21000000000000|SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID=oid:0x0
2020-01-01.00:00:00.000004|G|SAI_STATUS_SUCCESS|SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID=oid:0x3000000000022
2020-01-01.00:00:00.000005|c|SAI_OBJECT_TYPE_ROUTER_INTERFACE:oid:0x60000000005b5|SAI_ROUTER_INTERFACE_ATTR_VIRTUAL_ROUTER_ID=oid:0x3000000000999|SAI_ROUTER_INTERFACE_ATTR_TYPE=SAI_ROUTER_INTERFACE_TYPE_LOOPBACK
2020-01-01.00:00:00.000006|c|SAI_OBJECT_TYPE_VIRTUAL_ROUTER:oid:0x3000000000004|SAI_VIRTUAL_ROUTER_ATTR_ADMIN_V4_STATE=true|SAI_VIRTUAL_ROUTER_ATTR_NO_SUCH_THING=true
2020-01-01.00:00:00.000007|c|SAI_OBJECT_TYPE_VIRTUAL_ROUTER:oid:0x3000000000005|SAI_VIRTUAL_ROUTER_ATTR_ADMIN_V4_STATE=maybe
2020-01-01.00:00:00.000008|c|SAI_OBJECT_TYPE_VIRTUAL_ROUTER:oid:0x3000000000006|NULL=NULL
2020-01-01.00:00:00.000009|r|SAI_OBJECT_TYPE_VIRTUAL_ROUTER:oid:0x3000000000006
2020-01-01.00:00:00.000010|s|SAI_OBJECT_TYPE_VIRTUAL_ROUTER:oid:0x3000000000006|SAI_VIRTUAL_ROUTER_ATTR_ADMIN_V4_STATE=false
2020-01-01.00:00:00.000011|c|SAI_OBJECT_TYPE_VIRTUAL_ROUTER:oid:0x3000000000007|SAI_VIRTUAL_ROUTER_ATTR_SRC_MAC_ADDRESS=00:11:22:33:44
this line has no fields at all
2020-01-01.00:00:00.000013|c|SAI_OBJECT_TYPE_VIRTUAL_ROUTER:oid:0x3000000000008|NULL=NULL
2020-01-01.00:00:00.000014|a|APPLY_VIEW
2020-01-01.00:00:00.000015|A|SAI_STATUS_SUCCESS
";

/// (line, kind, status) of every problem in CORRUPTED; `removed_status` is what the backend
/// answers for a set on a removed object.
fn expected(removed_status: i32) -> Vec<(usize, ProblemKind, i32)> {
    vec![
        // bad oid: the router interface names a virtual router that never existed
        (6, ProblemKind::UnknownOid, status::INVALID_OBJECT_ID),
        // unknown attribute: the second attribute of the line
        (7, ProblemKind::Parse, status::unknown_attribute(1)),
        // malformed value: a bool that is not true/false
        (8, ProblemKind::Parse, status::invalid_attr_value(0)),
        // a set on the object removed at line 10: the library's own answer
        (11, ProblemKind::Call, removed_status),
        // a MAC with five bytes
        (12, ProblemKind::Parse, status::invalid_attr_value(0)),
        // no OP field
        (13, ProblemKind::Parse, status::INVALID_PARAMETER),
    ]
}

fn problems(s: &Summary) -> Vec<(usize, ProblemKind, i32)> {
    s.problems
        .iter()
        .map(|p| (p.line, p.kind, p.status))
        .collect()
}

fn check_corrupted<B: Backend>(b: &mut B, what: &str) {
    // stop at the first problem
    let s = replay(b, CORRUPTED, Options::default());
    println!("{what}, stopping:\n{}", s.report());
    assert_eq!(s.stopped_at, Some(6), "{}", s.report());
    assert_eq!(
        problems(&s),
        vec![(6, ProblemKind::UnknownOid, status::INVALID_OBJECT_ID)],
        "{}",
        s.report()
    );

    // skip errors: every problem with its line and status, the rest replayed, nothing leaked
    let s = replay(
        b,
        CORRUPTED,
        Options {
            skip_errors: true,
            cleanup: true,
            readback: false,
        },
    );
    println!("{what}, skipping:\n{}", s.report());
    let got = problems(&s);
    assert_eq!(got.len(), 6, "{}", s.report());
    let removed_status = got[3].2;
    assert!(
        removed_status == status::INVALID_OBJECT_ID || removed_status == status::ITEM_NOT_FOUND,
        "set on a removed object answered {}",
        sai_replay::value::status_name(removed_status)
    );
    assert_eq!(got, expected(removed_status), "{}", s.report());
    assert_eq!(s.stopped_at, None);
    assert_eq!(s.gets_checked, 1);
    assert_eq!(
        s.cleaned_up, 1,
        "the VR of line 14 is removed by the cleanup"
    );
    assert_eq!(s.markers.len(), 2);
}

#[test]
fn corrupted_recording_reports_lines_and_statuses_against_libsai() {
    let mut lib = lib();
    check_corrupted(&mut *lib, "libsai.so");
}

#[test]
fn corrupted_recording_reports_lines_and_statuses_against_the_store() {
    let mut b = StoreBackend::new(&profile()).expect("store");
    check_corrupted(&mut b, "store");
}

/// The leak check is not vacuous: an object created behind the player's back is reported.
#[test]
fn leak_check_detects_a_leftover_object() {
    let text = "\
t|c|SAI_OBJECT_TYPE_SWITCH:oid:0x21000000000000|SAI_SWITCH_ATTR_INIT_SWITCH=true
t|c|SAI_OBJECT_TYPE_VIRTUAL_ROUTER:oid:0x3000000000004|NULL=NULL
";
    let mut lib = lib();
    let mut p = Player::new(
        &mut *lib,
        Options {
            skip_errors: false,
            cleanup: false,
            readback: false,
        },
    );
    p.play(text);
    assert!(p.summary.problems.is_empty(), "{}", p.summary.report());
    assert!(p.mapped(0x3000000000004).is_some());
    let sw = p.switch_id();
    let extra = p
        .backend()
        .create(
            sai_headers::ffi::SAI_OBJECT_TYPE_VIRTUAL_ROUTER,
            sw,
            &[Attr::new(
                sai_headers::ffi::SAI_VIRTUAL_ROUTER_ATTR_ADMIN_V4_STATE,
                AttrValue::Bool(true),
            )],
        )
        .expect("extra VR");
    assert_ne!(extra, 0);
    p.cleanup();
    let leaks: Vec<_> = p
        .summary
        .problems
        .iter()
        .filter(|x| x.kind == ProblemKind::Cleanup)
        .collect();
    assert_eq!(leaks.len(), 1, "{}", p.summary.report());
    assert!(
        leaks[0].msg.contains("SAI_OBJECT_TYPE_VIRTUAL_ROUTER")
            && leaks[0].msg.contains("library has 2, expected 1"),
        "{}",
        leaks[0].msg
    );
}

/// Bad input never panics: every prefix of every line of a recording is parsed (line structure,
/// keys and every typed value), and truncated recordings are replayed against the store.
#[test]
fn truncated_input_never_panics() {
    use sai_replay::rec::{parse_line, Line};
    let sample = recordings_dir()
        .and_then(|d| std::fs::read_to_string(d.join("rif_loopback.rec")).ok())
        .unwrap_or_default();
    let text = format!("{CORRUPTED}{sample}");
    let mut parsed = 0u64;
    for line in text.lines().take(200) {
        for cut in (0..=line.len()).filter(|c| line.is_char_boundary(*c)) {
            let l = &line[..cut];
            let Ok(Line::Single { ot, obj, .. }) = parse_line(l) else {
                continue;
            };
            let Some(info) = sai_headers::meta::object_type_by_name(ot) else {
                continue;
            };
            if info.is_non_object_id {
                let _ = sai_replay::value::parse_entry_key(info, obj.key);
            }
            for (i, a) in obj.attrs.iter().enumerate() {
                if let Some(m) = sai_headers::meta::attr_by_name(a.name) {
                    let _ = sai_replay::value::parse_value(m, a.value, i);
                    parsed += 1;
                }
            }
        }
    }
    assert!(parsed > 100);
    let mut b = StoreBackend::new(&profile()).expect("store");
    for cut in [40usize, 300, 777, 1200, 1500] {
        let mut end = cut.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let s = replay(
            &mut b,
            &text[..end],
            Options {
                skip_errors: true,
                cleanup: true,
                readback: false,
            },
        );
        assert_eq!(s.count(ProblemKind::Cleanup), 0, "{}", s.report());
    }
}

/// The get checks can fail: a wrong list count, an object id mapped twice, a wrong object type
/// and a wrong status are each reported as a mismatch at the `G` line.
#[test]
fn get_answers_that_differ_are_mismatches() {
    let head = "\
t|c|SAI_OBJECT_TYPE_SWITCH:oid:0x21000000000000|SAI_SWITCH_ATTR_INIT_SWITCH=true
";
    let ports = |n: usize, dup: bool| -> String {
        let mut v: Vec<String> = (0..n)
            .map(|i| format!("oid:0x{:x}", 0x1000000000002u64 + i as u64))
            .collect();
        if dup {
            v[1] = v[0].clone();
        }
        format!("{n}:{}", v.join(","))
    };
    let zeros = |n: usize| format!("{n}:{}", vec!["oid:0x0"; n].join(","));
    let cases: Vec<(String, &str)> = vec![
        // the recording says 31 ports; the library has 32 (BUFFER_OVERFLOW for a 31-entry buffer)
        (
            format!(
                "t|g|SAI_OBJECT_TYPE_SWITCH:oid:0x21000000000000|SAI_SWITCH_ATTR_PORT_LIST={}\nt|G|SAI_STATUS_SUCCESS|SAI_SWITCH_ATTR_PORT_LIST={}\n",
                zeros(31),
                ports(31, false)
            ),
            "needs 32",
        ),
        // one recording id for two library ports
        (
            format!(
                "t|g|SAI_OBJECT_TYPE_SWITCH:oid:0x21000000000000|SAI_SWITCH_ATTR_PORT_LIST={}\nt|G|SAI_STATUS_SUCCESS|SAI_SWITCH_ATTR_PORT_LIST={}\n",
                zeros(32),
                ports(32, true)
            ),
            "PORT_LIST[1]",
        ),
        // the default virtual router answered with a port's id
        (
            "t|g|SAI_OBJECT_TYPE_SWITCH:oid:0x21000000000000|SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID=oid:0x0\nt|G|SAI_STATUS_SUCCESS|SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID=oid:0x1000000000002\n".to_string(),
            "is SAI_OBJECT_TYPE_VIRTUAL_ROUTER, recording oid:0x1000000000002 is SAI_OBJECT_TYPE_PORT",
        ),
        // a different status
        (
            "t|g|SAI_OBJECT_TYPE_SWITCH:oid:0x21000000000000|SAI_SWITCH_ATTR_CPU_PORT=oid:0x0\nt|G|SAI_STATUS_FAILURE\n".to_string(),
            "recording SAI_STATUS_FAILURE",
        ),
    ];
    let mut b = StoreBackend::new(&profile()).expect("store");
    for (body, want) in cases {
        let s = replay(&mut b, &format!("{head}{body}"), Options::default());
        assert_eq!(s.mismatched_gets(), 1, "{}", s.report());
        let p = &s.problems[0];
        assert_eq!(p.line, 3, "{p}");
        assert!(p.msg.contains(want), "{p} does not say {want:?}");
        assert_eq!(s.count(ProblemKind::Cleanup), 0, "{}", s.report());
    }
    // and the correct answer passes
    let ok = format!(
        "{head}t|g|SAI_OBJECT_TYPE_SWITCH:oid:0x21000000000000|SAI_SWITCH_ATTR_PORT_LIST={}\nt|G|SAI_STATUS_SUCCESS|SAI_SWITCH_ATTR_PORT_LIST={}\n",
        zeros(32),
        ports(32, false)
    );
    let s = replay(&mut b, &ok, Options::default());
    assert!(s.problems.is_empty(), "{}", s.report());
    assert_eq!(s.discovered, 32);
    // a different primitive value is reported, not failed (saiplayer does not compare them)
    let prim = format!(
        "{head}t|g|SAI_OBJECT_TYPE_SWITCH:oid:0x21000000000000|SAI_SWITCH_ATTR_NUMBER_OF_ACTIVE_PORTS=0\nt|G|SAI_STATUS_SUCCESS|SAI_SWITCH_ATTR_NUMBER_OF_ACTIVE_PORTS=31\n"
    );
    let s = replay(&mut b, &prim, Options::default());
    assert!(s.problems.is_empty(), "{}", s.report());
    assert_eq!(
        s.value_diffs,
        vec![(
            3,
            "SAI_SWITCH_ATTR_NUMBER_OF_ACTIVE_PORTS",
            "31".to_string(),
            "U32(32)".to_string()
        )]
    );
}

/// Bulk calls on object-id types through the C ABI (the recordings only bulk entries): bulk
/// create of next hops (their returned ids are used by a later route), bulk set on default
/// ports, bulk remove.
#[test]
fn oid_bulk_calls_against_libsai() {
    let ports: Vec<String> = (0..32)
        .map(|i| format!("oid:0x{:x}", 0x1000000000002u64 + i))
        .collect();
    let text = format!(
        "\
t|c|SAI_OBJECT_TYPE_SWITCH:oid:0x21000000000000|SAI_SWITCH_ATTR_INIT_SWITCH=true
t|g|SAI_OBJECT_TYPE_SWITCH:oid:0x21000000000000|SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID=oid:0x0
t|G|SAI_STATUS_SUCCESS|SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID=oid:0x3000000000022
t|g|SAI_OBJECT_TYPE_SWITCH:oid:0x21000000000000|SAI_SWITCH_ATTR_PORT_LIST=32:null
t|G|SAI_STATUS_SUCCESS|SAI_SWITCH_ATTR_PORT_LIST=32:{}
t|c|SAI_OBJECT_TYPE_ROUTER_INTERFACE:oid:0x60000000005b5|SAI_ROUTER_INTERFACE_ATTR_VIRTUAL_ROUTER_ID=oid:0x3000000000022|SAI_ROUTER_INTERFACE_ATTR_TYPE=SAI_ROUTER_INTERFACE_TYPE_PORT|SAI_ROUTER_INTERFACE_ATTR_PORT_ID={}
t|C|SAI_OBJECT_TYPE_NEXT_HOP||oid:0x4000000000649|SAI_NEXT_HOP_ATTR_TYPE=SAI_NEXT_HOP_TYPE_IP|SAI_NEXT_HOP_ATTR_IP=10.0.0.1|SAI_NEXT_HOP_ATTR_ROUTER_INTERFACE_ID=oid:0x60000000005b5||oid:0x400000000064a|SAI_NEXT_HOP_ATTR_TYPE=SAI_NEXT_HOP_TYPE_IP|SAI_NEXT_HOP_ATTR_IP=10.0.0.2|SAI_NEXT_HOP_ATTR_ROUTER_INTERFACE_ID=oid:0x60000000005b5
t|c|SAI_OBJECT_TYPE_ROUTE_ENTRY:{{\"dest\":\"20.0.0.0/8\",\"switch_id\":\"oid:0x21000000000000\",\"vr\":\"oid:0x3000000000022\"}}|SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID=oid:0x400000000064a
t|S|SAI_OBJECT_TYPE_PORT||{}|SAI_PORT_ATTR_ADMIN_STATE=true||{}|SAI_PORT_ATTR_MTU=9100
t|r|SAI_OBJECT_TYPE_ROUTE_ENTRY:{{\"dest\":\"20.0.0.0/8\",\"switch_id\":\"oid:0x21000000000000\",\"vr\":\"oid:0x3000000000022\"}}
t|R|SAI_OBJECT_TYPE_NEXT_HOP||oid:0x4000000000649||oid:0x400000000064a
",
        ports.join(","),
        ports[0],
        ports[1],
        ports[2]
    );
    let mut lib = lib();
    let nh = sai_headers::ffi::SAI_OBJECT_TYPE_NEXT_HOP;
    let port = sai_headers::ffi::SAI_OBJECT_TYPE_PORT;
    println!(
        "bulk methods: next hop {:?}, port {:?}",
        lib.lib.has_bulk(nh),
        lib.lib.has_bulk(port)
    );
    let s = replay(&mut *lib, &text, Options::default());
    println!("{}", s.report());
    assert!(s.problems.is_empty(), "{}", s.report());
    assert_eq!(s.bulk_objects, 6);
    assert_eq!(s.discovered, 33);
    assert_eq!(s.cleaned_up, 1, "only the RIF is left for the cleanup");
    // the generic layer reports what the library has; with bulk methods present they were used
    // (one call each), otherwise the player fell back to single calls
    let (c, r, st) = lib.lib.has_bulk(nh);
    let (_, _, pst) = lib.lib.has_bulk(port);
    // switch, 2 gets, RIF, route create and remove: 6 single calls
    let expected_calls =
        6 + if c { 1 } else { 2 } + if r { 1 } else { 2 } + if pst { 1 } else { 2 }; // or 2 single calls each
    let _ = st;
    assert_eq!(s.calls, expected_calls, "{}", s.report());
}

/// A backend without bulk methods (as syncd without `-l`): the player falls back to single calls.
struct NoBulk(StoreBackend);

impl Backend for NoBulk {
    fn create_switch(&mut self, a: &[Attr]) -> Result<u64, i32> {
        self.0.create_switch(a)
    }
    fn create(&mut self, ot: u32, sw: u64, a: &[Attr]) -> Result<u64, i32> {
        self.0.create(ot, sw, a)
    }
    fn create_entry(&mut self, k: &sai_store::EntryKey, a: &[Attr]) -> i32 {
        self.0.create_entry(k, a)
    }
    fn remove(&mut self, ot: u32, o: &sai_client::generic::ObjRef) -> i32 {
        self.0.remove(ot, o)
    }
    fn set(&mut self, ot: u32, o: &sai_client::generic::ObjRef, a: &Attr) -> i32 {
        self.0.set(ot, o, a)
    }
    fn get(
        &mut self,
        ot: u32,
        o: &sai_client::generic::ObjRef,
        r: &[Attr],
    ) -> sai_replay::backend::GetReply {
        self.0.get(ot, o, r)
    }
    fn bulk_create(
        &mut self,
        _: u32,
        _: u64,
        _: &[&sai_store::EntryKey],
        _: &[Vec<Attr>],
    ) -> Option<sai_client::generic::BulkResult> {
        None
    }
    fn bulk_remove(
        &mut self,
        _: u32,
        _: &[sai_client::generic::ObjRef],
    ) -> Option<sai_client::generic::BulkResult> {
        None
    }
    fn bulk_set(
        &mut self,
        _: u32,
        _: &[sai_client::generic::ObjRef],
        _: &[Attr],
    ) -> Option<sai_client::generic::BulkResult> {
        None
    }
    fn object_type_query(&self, o: u64) -> u32 {
        self.0.object_type_query(o)
    }
    fn object_count(&self, sw: u64, ot: u32) -> Result<u32, i32> {
        self.0.object_count(sw, ot)
    }
    fn callback_for(&self, m: &sai_headers::meta::AttrMeta) -> Option<usize> {
        self.0.callback_for(m)
    }
}

#[test]
fn bulk_lines_fall_back_to_single_calls() {
    let text = "\
t|c|SAI_OBJECT_TYPE_SWITCH:oid:0x21000000000000|SAI_SWITCH_ATTR_INIT_SWITCH=true
t|c|SAI_OBJECT_TYPE_VIRTUAL_ROUTER:oid:0x3000000000004
t|C|SAI_OBJECT_TYPE_ROUTE_ENTRY||{\"dest\":\"40.0.0.0/10\",\"switch_id\":\"oid:0x21000000000000\",\"vr\":\"oid:0x3000000000004\"}|SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION=SAI_PACKET_ACTION_DROP||{\"dest\":\"41.0.0.0/10\",\"switch_id\":\"oid:0x21000000000000\",\"vr\":\"oid:0x3000000000004\"}|SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION=SAI_PACKET_ACTION_DROP
t|S|SAI_OBJECT_TYPE_ROUTE_ENTRY||{\"dest\":\"40.0.0.0/10\",\"switch_id\":\"oid:0x21000000000000\",\"vr\":\"oid:0x3000000000004\"}|SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION=SAI_PACKET_ACTION_FORWARD||{\"dest\":\"41.0.0.0/10\",\"switch_id\":\"oid:0x21000000000000\",\"vr\":\"oid:0x3000000000004\"}|SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION=SAI_PACKET_ACTION_FORWARD
t|R|SAI_OBJECT_TYPE_ROUTE_ENTRY||{\"dest\":\"40.0.0.0/10\",\"switch_id\":\"oid:0x21000000000000\",\"vr\":\"oid:0x3000000000004\"}
t|C|SAI_OBJECT_TYPE_VIRTUAL_ROUTER||oid:0x3000000000005|SAI_VIRTUAL_ROUTER_ATTR_ADMIN_V4_STATE=true||oid:0x3000000000006|SAI_VIRTUAL_ROUTER_ATTR_ADMIN_V4_STATE=false
t|R|SAI_OBJECT_TYPE_VIRTUAL_ROUTER||oid:0x3000000000006
";
    let mut nb = NoBulk(StoreBackend::new(&profile()).expect("store"));
    let s = replay(&mut nb, text, Options::default());
    assert!(s.problems.is_empty(), "{}", s.report());
    // 2 singles + (2 + 2 + 1 + 2 + 1) objects of bulk lines, one call each
    assert_eq!(s.calls, 10, "{}", s.report());
    assert_eq!(s.bulk_objects, 8);
    // left for the cleanup: route 41/10, VR 5 and VR 4
    assert_eq!(s.cleaned_up, 3, "{}", s.report());
    let mut b = StoreBackend::new(&profile()).expect("store");
    let s = replay(&mut b, text, Options::default());
    assert!(s.problems.is_empty(), "{}", s.report());
    assert_eq!(s.calls, 2 + 5, "{}", s.report());
    assert_eq!(s.cleaned_up, 3);
}

/// Entry keys of several types (FDB, inseg, NAT) and ACL fields of every mask shape (IPv4, IPv6,
/// MAC, u16, enum with an all-ones int32 mask) and a disabled action, through libsai.so, each
/// read back after it was written.
#[test]
fn entry_keys_and_acl_forms_against_libsai() {
    let bp: Vec<String> = (0..32)
        .map(|i| format!("oid:0x{:x}", 0x3a000000000001u64 + i))
        .collect();
    let text = format!(
        r#"t|c|SAI_OBJECT_TYPE_SWITCH:oid:0x21000000000000|SAI_SWITCH_ATTR_INIT_SWITCH=true
t|g|SAI_OBJECT_TYPE_SWITCH:oid:0x21000000000000|SAI_SWITCH_ATTR_DEFAULT_VLAN_ID=oid:0x0|SAI_SWITCH_ATTR_DEFAULT_1Q_BRIDGE_ID=oid:0x0|SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID=oid:0x0
t|G|SAI_STATUS_SUCCESS|SAI_SWITCH_ATTR_DEFAULT_VLAN_ID=oid:0x26000000000001|SAI_SWITCH_ATTR_DEFAULT_1Q_BRIDGE_ID=oid:0x39000000000001|SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID=oid:0x3000000000022
t|g|SAI_OBJECT_TYPE_BRIDGE:oid:0x39000000000001|SAI_BRIDGE_ATTR_PORT_LIST=32:null
t|G|SAI_STATUS_SUCCESS|SAI_BRIDGE_ATTR_PORT_LIST=32:{}
t|c|SAI_OBJECT_TYPE_FDB_ENTRY:{{"bvid":"oid:0x26000000000001","mac":"00:11:22:33:44:55","switch_id":"oid:0x21000000000000"}}|SAI_FDB_ENTRY_ATTR_TYPE=SAI_FDB_ENTRY_TYPE_STATIC|SAI_FDB_ENTRY_ATTR_BRIDGE_PORT_ID=oid:0x3a000000000001|SAI_FDB_ENTRY_ATTR_PACKET_ACTION=SAI_PACKET_ACTION_FORWARD
t|s|SAI_OBJECT_TYPE_FDB_ENTRY:{{"bvid":"oid:0x26000000000001","mac":"00:11:22:33:44:55","switch_id":"oid:0x21000000000000"}}|SAI_FDB_ENTRY_ATTR_BRIDGE_PORT_ID=oid:0x3a000000000002
t|c|SAI_OBJECT_TYPE_INSEG_ENTRY:{{"label":"1000","switch_id":"oid:0x21000000000000"}}|SAI_INSEG_ENTRY_ATTR_PACKET_ACTION=SAI_PACKET_ACTION_DROP|SAI_INSEG_ENTRY_ATTR_NUM_OF_POP=1
t|c|SAI_OBJECT_TYPE_NAT_ENTRY:{{"nat_data":{{"key":{{"dst_ip":"0.0.0.0","l4_dst_port":"0","l4_src_port":"0","proto":"0","src_ip":"10.0.0.1"}},"mask":{{"dst_ip":"0.0.0.0","l4_dst_port":"0","l4_src_port":"0","proto":"0","src_ip":"255.255.255.255"}}}},"nat_type":"SAI_NAT_TYPE_SOURCE_NAT","switch_id":"oid:0x21000000000000","vr":"oid:0x3000000000022"}}|SAI_NAT_ENTRY_ATTR_SRC_IP=20.0.0.1|SAI_NAT_ENTRY_ATTR_SRC_IP_MASK=255.255.255.255
t|c|SAI_OBJECT_TYPE_ACL_TABLE:oid:0x70000000005a6|SAI_ACL_TABLE_ATTR_ACL_BIND_POINT_TYPE_LIST=1:SAI_ACL_BIND_POINT_TYPE_PORT|SAI_ACL_TABLE_ATTR_ACL_STAGE=SAI_ACL_STAGE_INGRESS|SAI_ACL_TABLE_ATTR_FIELD_SRC_IP=true|SAI_ACL_TABLE_ATTR_FIELD_L4_DST_PORT=true|SAI_ACL_TABLE_ATTR_FIELD_ACL_IP_TYPE=true|SAI_ACL_TABLE_ATTR_FIELD_SRC_MAC=true|SAI_ACL_TABLE_ATTR_FIELD_SRC_IPV6=true
t|c|SAI_OBJECT_TYPE_ACL_ENTRY:oid:0x80000000005a7|SAI_ACL_ENTRY_ATTR_TABLE_ID=oid:0x70000000005a6|SAI_ACL_ENTRY_ATTR_PRIORITY=10|SAI_ACL_ENTRY_ATTR_FIELD_SRC_IP=10.0.0.0&mask:255.0.0.0|SAI_ACL_ENTRY_ATTR_FIELD_L4_DST_PORT=179&mask:0xffff|SAI_ACL_ENTRY_ATTR_FIELD_ACL_IP_TYPE=SAI_ACL_IP_TYPE_IPV4ANY&mask:0xffffffff|SAI_ACL_ENTRY_ATTR_FIELD_SRC_MAC=00:11:22:33:44:55&mask:ff:ff:ff:ff:ff:ff|SAI_ACL_ENTRY_ATTR_FIELD_SRC_IPV6=fc00::1&mask:ffff:ffff::|SAI_ACL_ENTRY_ATTR_ACTION_PACKET_ACTION=SAI_PACKET_ACTION_DROP
t|s|SAI_OBJECT_TYPE_ACL_ENTRY:oid:0x80000000005a7|SAI_ACL_ENTRY_ATTR_ACTION_PACKET_ACTION=disabled
t|r|SAI_OBJECT_TYPE_FDB_ENTRY:{{"bvid":"oid:0x26000000000001","mac":"00:11:22:33:44:55","switch_id":"oid:0x21000000000000"}}
"#,
        bp.join(",")
    );
    let mut lib = lib();
    let s = replay(
        &mut *lib,
        &text,
        Options {
            readback: true,
            ..Options::default()
        },
    );
    println!("{}", s.report());
    assert!(s.problems.is_empty(), "{}", s.report());
    assert!(s.readback_diffs.is_empty(), "{}", s.report());
    assert_eq!(s.readback_checked, 24);
    assert_eq!(s.discovered, 35);
    // FDB removed by the recording; inseg, NAT, ACL entry and table left for the cleanup
    assert_eq!(s.cleaned_up, 4);
}

/// One problem per broken get: a `g` that cannot be parsed does not make its `G` a second problem,
/// and a `g` without answer does not swallow the next line.
#[test]
fn broken_gets_are_one_problem_each() {
    let text = "\
t|c|SAI_OBJECT_TYPE_SWITCH:oid:0x21000000000000|SAI_SWITCH_ATTR_INIT_SWITCH=true
t|g|SAI_OBJECT_TYPE_SWITCH:oid:0x21000000000000|SAI_SWITCH_ATTR_NO_SUCH=oid:0x0
t|G|SAI_STATUS_SUCCESS|SAI_SWITCH_ATTR_NO_SUCH=oid:0x3000000000022
t|g|SAI_OBJECT_TYPE_SWITCH
t|G|SAI_STATUS_SUCCESS|SAI_SWITCH_ATTR_CPU_PORT=oid:0x1000000000001
t|g|SAI_OBJECT_TYPE_SWITCH:oid:0x21000000000000|SAI_SWITCH_ATTR_CPU_PORT=oid:0x0
t|c|SAI_OBJECT_TYPE_VIRTUAL_ROUTER:oid:0x3000000000004|NULL=NULL
t|r|SAI_OBJECT_TYPE_VIRTUAL_ROUTER:oid:0x3000000000004
";
    let mut b = StoreBackend::new(&profile()).expect("store");
    let s = replay(
        &mut b,
        text,
        Options {
            skip_errors: true,
            ..Options::default()
        },
    );
    let got: Vec<(usize, ProblemKind)> = s.problems.iter().map(|p| (p.line, p.kind)).collect();
    assert_eq!(
        got,
        vec![
            (2, ProblemKind::Parse),
            (4, ProblemKind::Parse),
            (7, ProblemKind::Mismatch)
        ],
        "{}",
        s.report()
    );
    // line 7 (after the unanswered get) was still replayed: the VR was created and removed
    assert_eq!(s.calls, 4, "{}", s.report());
    assert_eq!(s.cleaned_up, 0);
}
