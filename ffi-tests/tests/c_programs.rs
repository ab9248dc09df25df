//! Runs the C programs of `ffi-tests/c/` against the built libsai.so (see the crate docs).
#![forbid(unsafe_code)]

use ffi_tests::{compile_and_run, scratch};

fn run(src: &str, link: bool, args: &[&str], dir: &std::path::Path) {
    let out = compile_and_run(src, dir, link, args);
    print!("{}", out.stdout);
    eprint!("{}", out.stderr);
    assert!(out.ok, "{src} failed:\n{}\n{}", out.stdout, out.stderr);
}

#[test]
fn syncd_start_sequence_and_discovery() {
    let dir = scratch("start");
    let dump = dir.join("dump.txt");
    run("start_discovery.c", true, &[dump.to_str().unwrap()], &dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn l3_configuration_bulk_100k_and_teardown() {
    let dir = scratch("l3");
    run("l3.c", true, &["100000"], &dir);
    let _ = std::fs::remove_dir_all(&dir);
}
