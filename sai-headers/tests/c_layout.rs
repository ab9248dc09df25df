//! Compiles a C program against the committed `include/` that prints sizeof/alignof/offsetof of
//! every typedef and record, every enum constant and integer define, and checks each number against
//! the JSON and against the Rust FFI side. Also checks that every API table slot has the declared
//! function-pointer type and that every declared function exists with a prototype.
#![forbid(unsafe_code)]

use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::Command;

fn arr(v: &Value) -> &Vec<Value> {
    v.as_array().expect("array")
}
fn s(v: &Value) -> &str {
    v.as_str().expect("string")
}

fn c_program(d: &Value) -> String {
    let mut c = String::new();
    c.push_str("#include <sai.h>\n#include <stdio.h>\n#include <stddef.h>\n\n");
    // Every API table member has exactly its fn_type.
    for t in arr(&d["api_tables"]) {
        for m in arr(&t["members"]) {
            writeln!(
                c,
                "_Static_assert(__builtin_types_compatible_p(__typeof__(((const {t}*)0)->{m}), {ft}), \"{t}.{m}\");",
                t = s(&t["name"]),
                m = s(&m["name"]),
                ft = s(&m["fn_type"])
            )
            .unwrap();
        }
    }
    // Every function is declared (sizeof of its address does not need the definition).
    for f in arr(&d["functions"]) {
        writeln!(
            c,
            "_Static_assert(sizeof(&{0}) == sizeof(void (*)(void)), \"{0}\");",
            s(&f["name"])
        )
        .unwrap();
    }
    c.push_str("\nint main(void)\n{\n");
    for t in arr(&d["typedefs"]) {
        let n = s(&t["name"]);
        writeln!(
            c,
            "    printf(\"S {n} %zu %zu\\n\", sizeof({n}), _Alignof({n}));"
        )
        .unwrap();
    }
    for r in arr(&d["records"]) {
        let n = s(&r["name"]);
        writeln!(
            c,
            "    printf(\"S {n} %zu %zu\\n\", sizeof({n}), _Alignof({n}));"
        )
        .unwrap();
        for f in arr(&r["fields"]) {
            let fname = s(&f["name"]);
            writeln!(
                c,
                "    printf(\"O {n} {fname} %zu\\n\", offsetof({n}, {fname}));"
            )
            .unwrap();
        }
    }
    for e in arr(&d["enums"]) {
        let n = s(&e["name"]);
        writeln!(
            c,
            "    printf(\"S {n} %zu %zu\\n\", sizeof({n}), _Alignof({n}));"
        )
        .unwrap();
        for m in arr(&e["members"]) {
            let mn = s(&m["name"]);
            writeln!(c, "    printf(\"E {mn} %lld\\n\", (long long){mn});").unwrap();
        }
    }
    for x in arr(&d["defines"]) {
        let n = s(&x["name"]);
        match s(&x["kind"]) {
            "integer" => writeln!(
                c,
                "    printf(\"D {n} %lld %zu\\n\", (long long)({n}), sizeof({n}));"
            )
            .unwrap(),
            "string" => writeln!(c, "    printf(\"Q {n} %s\\n\", {n});").unwrap(),
            _ => {}
        }
    }
    // The SAI_STATUS_IS_* helpers accept index 0 of their own range and reject SUCCESS.
    for r in arr(&d["status_code_ranges"]) {
        let rn = s(&r["name"]).trim_start_matches("SAI_STATUS_");
        let first = s(&r["first"]);
        writeln!(
            c,
            "    printf(\"M SAI_STATUS_IS_{rn} %d %d %d\\n\", (int)SAI_STATUS_IS_{rn}({first}), (int)SAI_STATUS_IS_{rn}(SAI_STATUS_SUCCESS), (int)SAI_STATUS_IS_{rn}({first} - 5));"
        )
        .unwrap();
    }
    c.push_str(
        "    printf(\"V %lld\\n\", (long long)SAI_VERSION(SAI_MAJOR, SAI_MINOR, SAI_REVISION));\n",
    );
    c.push_str("    return 0;\n}\n");
    c
}

#[test]
fn c_headers_match_json_and_rust() {
    let d: Value =
        serde_json::from_str(&std::fs::read_to_string(sai_headers::ABI_JSON).unwrap()).unwrap();
    let dir = std::env::temp_dir().join(format!("sai-headers-c-layout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("layout.c");
    let exe = dir.join("layout");
    std::fs::write(&src, c_program(&d)).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(&cc)
        .args([
            "-std=gnu11",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-O0",
            "-I",
            sai_headers::INCLUDE_DIR,
        ])
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("run the C compiler");
    assert!(
        out.status.success(),
        "C compile failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(&exe).output().expect("run layout program");
    assert!(run.status.success());
    let text = String::from_utf8(run.stdout).unwrap();
    let _ = std::fs::remove_dir_all(&dir);

    let mut sizes: HashMap<String, (usize, usize)> = HashMap::new();
    let mut offsets: HashMap<(String, String), usize> = HashMap::new();
    let mut enums: HashMap<String, i64> = HashMap::new();
    let mut defines: HashMap<String, (i64, usize)> = HashMap::new();
    let mut strings: HashMap<String, String> = HashMap::new();
    let mut checked = 0usize;
    for line in text.lines() {
        let w: Vec<&str> = line.splitn(4, ' ').collect();
        match w[0] {
            "S" => {
                sizes.insert(w[1].into(), (w[2].parse().unwrap(), w[3].parse().unwrap()));
            }
            "O" => {
                offsets.insert((w[1].into(), w[2].into()), w[3].parse().unwrap());
            }
            "E" => {
                enums.insert(w[1].into(), w[2].parse().unwrap());
            }
            "D" => {
                defines.insert(w[1].into(), (w[2].parse().unwrap(), w[3].parse().unwrap()));
            }
            "Q" => {
                strings.insert(w[1].into(), line.splitn(3, ' ').nth(2).unwrap_or("").into());
            }
            "M" => {
                // Index 0 and index 5 of the range are recognised (the master form of the macros,
                // correct for every index); SUCCESS is not.
                let rest: Vec<&str> = line.split(' ').skip(2).collect();
                assert_eq!(rest, ["1", "0", "1"], "{line}");
                checked += 1;
            }
            "V" => {
                assert_eq!(
                    w[1].parse::<u64>().unwrap(),
                    d["sai"]["api_version"].as_u64().unwrap()
                );
                assert_eq!(
                    w[1].parse::<u64>().unwrap(),
                    sai_headers::meta::SAI_API_VERSION
                );
            }
            _ => panic!("unexpected line {line}"),
        }
    }
    // JSON vs C
    let num = |v: &Value| usize::try_from(v.as_u64().unwrap()).unwrap();
    for t in arr(&d["typedefs"])
        .iter()
        .chain(arr(&d["records"]))
        .chain(arr(&d["enums"]))
    {
        let n = s(&t["name"]);
        assert_eq!(
            sizes[n],
            (num(&t["size"]), num(&t["align"])),
            "sizeof/alignof {n}: C vs JSON"
        );
        checked += 1;
    }
    for r in arr(&d["records"]) {
        for f in arr(&r["fields"]) {
            let k = (s(&r["name"]).to_string(), s(&f["name"]).to_string());
            assert_eq!(offsets[&k], num(&f["offset"]), "offsetof {k:?}: C vs JSON");
            checked += 1;
        }
    }
    for e in arr(&d["enums"]) {
        for m in arr(&e["members"]) {
            assert_eq!(
                enums[s(&m["name"])],
                m["value"].as_i64().unwrap(),
                "{}",
                s(&m["name"])
            );
            checked += 1;
        }
    }
    for x in arr(&d["defines"]) {
        let n = s(&x["name"]);
        match s(&x["kind"]) {
            "integer" => {
                assert_eq!(
                    defines[n],
                    (x["value"].as_i64().unwrap(), num(&x["c_sizeof"])),
                    "define {n}"
                );
            }
            "string" => assert_eq!(strings[n], s(&x["value"]), "define {n}"),
            _ => continue,
        }
        checked += 1;
    }
    // Rust vs C
    for (n, size, align) in sai_headers::ffi::RECORD_LAYOUTS {
        assert_eq!(sizes[*n], (*size, *align), "sizeof/alignof {n}: C vs Rust");
    }
    for (r, f, off) in sai_headers::ffi::FIELD_OFFSETS {
        assert_eq!(
            offsets[&(r.to_string(), f.to_string())],
            *off,
            "offsetof {r}.{f}: C vs Rust"
        );
    }
    for (n, v) in sai_headers::ffi::ENUM_CONSTANTS {
        assert_eq!(enums[*n], *v, "{n}: C vs Rust");
    }
    assert_eq!(
        sai_headers::ffi::RECORD_LAYOUTS.len(),
        arr(&d["records"]).len()
    );
    assert_eq!(
        i64::from(sai_headers::ffi::SAI_STATUS_OBJECT_IN_USE),
        defines["SAI_STATUS_OBJECT_IN_USE"].0
    );
    assert!(checked > 7000, "only {checked} items checked");
}

/// The headers also compile as C++ (syncd and orchagent are C++), with every header on its own.
#[test]
fn headers_compile_as_cxx_and_standalone() {
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".into());
    let mut src = String::new();
    for e in std::fs::read_dir(sai_headers::INCLUDE_DIR).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".h") {
            src.push_str(&format!("#include <{name}>\n"));
        }
    }
    src.push_str("int main() { sai_attribute_t a{}; a.id = SAI_SWITCH_ATTR_INIT_SWITCH; return (int)a.id * 0; }\n");
    let dir = std::env::temp_dir().join(format!("sai-headers-cxx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("all.cpp");
    std::fs::write(&file, src).unwrap();
    let out = Command::new(&cxx)
        .args([
            "-std=c++17",
            "-fsyntax-only",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-I",
            sai_headers::INCLUDE_DIR,
        ])
        .arg(&file)
        .output()
        .expect("run the C++ compiler");
    assert!(
        out.status.success(),
        "C++ compile failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Each header alone (its includes must be complete).
    for e in std::fs::read_dir(sai_headers::INCLUDE_DIR).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let one = dir.join("one.c");
        std::fs::write(&one, format!("#include <{name}>\nint x;\n")).unwrap();
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
        let out = Command::new(&cc)
            .args([
                "-std=c11",
                "-fsyntax-only",
                "-Wall",
                "-Werror",
                "-I",
                sai_headers::INCLUDE_DIR,
            ])
            .arg(&one)
            .output()
            .expect("run the C compiler");
        assert!(
            out.status.success(),
            "{name} alone:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
