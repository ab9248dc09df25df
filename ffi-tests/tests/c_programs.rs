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
    ffi_tests::cleanup(&dir);
}

#[test]
fn l3_configuration_bulk_100k_and_teardown() {
    let dir = scratch("l3");
    run("l3.c", true, &["100000"], &dir);
    ffi_tests::cleanup(&dir);
}

#[test]
fn bad_input_exact_statuses() {
    let dir = scratch("bad");
    run("bad_input.c", true, &[], &dir);
    ffi_tests::cleanup(&dir);
}

/// libsai.so and the `libsaivpp.so` name it is installed under (a symlink, as the install step
/// makes it) both load with dlopen and export every declared function.
#[test]
fn dlopen_libsai_and_libsaivpp() {
    let dir = scratch("dlopen");
    let lib = ffi_tests::libsai_dir().join("libsai.so");
    run("dlopen.c", false, &[lib.to_str().unwrap()], &dir);
    let vpp = dir.join("libsaivpp.so");
    std::os::unix::fs::symlink(&lib, &vpp).expect("symlink libsaivpp.so");
    run("dlopen.c", false, &[vpp.to_str().unwrap()], &dir);
    ffi_tests::cleanup(&dir);
}

/// Random create/set/get/remove on every object-id type with random (mostly valid) attributes:
/// every call answers a status, and removing everything created restores the object counts.
#[test]
fn random_calls_never_crash_and_clean_up() {
    let dir = scratch("robust");
    for seed in ["0x9e3779b97f4a7c15", "0x1234567"] {
        run("robust.c", true, &["20000", seed], &dir);
    }
    ffi_tests::cleanup(&dir);
}

#[test]
fn fdb_entries_and_flush() {
    let dir = scratch("fdb");
    run("fdb.c", true, &[], &dir);
    ffi_tests::cleanup(&dir);
}

/// Every API table slot, called with null / garbage arguments, answers an error status.
#[test]
fn every_slot_rejects_null_and_garbage_arguments() {
    let dir = scratch("slots");
    run("all_slots.c", true, &[], &dir);
    ffi_tests::cleanup(&dir);
}
