//! The committed C headers (`include/`) must be byte-identical to what the build script generates
//! from `abi/sai-abi.json`, so they never drift. Fix: `cargo run -p sai-headers --bin sai-gen-headers`.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

fn headers(dir: &str) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    for e in fs::read_dir(Path::new(dir)).unwrap_or_else(|e| panic!("read {dir}: {e}")) {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "h") {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            m.insert(name, fs::read(&p).unwrap());
        }
    }
    m
}

#[test]
fn committed_headers_match_generated() {
    let generated = headers(sai_headers::GENERATED_INCLUDE_DIR);
    let committed = headers(sai_headers::INCLUDE_DIR);
    assert!(
        generated.len() > 50,
        "generator produced only {} headers",
        generated.len()
    );
    let gen_names: Vec<_> = generated.keys().collect();
    let com_names: Vec<_> = committed.keys().collect();
    assert_eq!(
        gen_names, com_names,
        "header set differs; run `cargo run -p sai-headers --bin sai-gen-headers`"
    );
    for (name, body) in &generated {
        assert!(
            committed[name] == *body,
            "include/{name} differs from the generated one; run `cargo run -p sai-headers --bin sai-gen-headers`"
        );
    }
}
