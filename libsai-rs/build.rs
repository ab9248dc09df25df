//! Generates, from `../sai-headers/abi/sai-abi.json`, one `extern "C"` function per slot of every
//! SAI API table and the static tables themselves (`tables.rs` in OUT_DIR), plus the layout facts the
//! value conversion needs for value types without a typed Rust form (`value_types.rs`).
//!
//! Each slot that is an object method (create/remove/set/get, stats, bulk) forwards to the generic
//! operation in `ops.rs` with the object type; the few other slots (mdio, hostif packet I/O, flush,
//! ...) go to `special.rs` when implemented there, else return `SAI_STATUS_NOT_IMPLEMENTED`.

use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

const ABI: &str = "../sai-headers/abi/sai-abi.json";

/// Slots implemented by hand in `special.rs` (same signature as the table slot).
const SPECIAL: &[&str] = &[
    "flush_fdb_entries",
    "remove_all_neighbor_entries",
    "clear_port_all_stats",
];

fn main() {
    println!("cargo:rerun-if-changed={ABI}");
    println!("cargo:rerun-if-changed=build.rs");
    let d: Value = serde_json::from_str(&fs::read_to_string(ABI).expect("read sai-abi.json"))
        .expect("parse sai-abi.json");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    write_if_changed(&out.join("tables.rs"), &gen_tables(&d));
    write_if_changed(&out.join("value_types.rs"), &gen_value_types(&d));
}

fn write_if_changed(p: &Path, s: &str) {
    if fs::read_to_string(p).ok().as_deref() != Some(s) {
        fs::write(p, s).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
    }
}

fn arr(v: &Value) -> &Vec<Value> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected array, got {v}"))
}
fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected string, got {v}"))
}
fn int(v: &Value) -> i64 {
    v.as_i64()
        .unwrap_or_else(|| panic!("expected integer, got {v}"))
}

const RUST_KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

fn rs_ident(n: &str) -> String {
    if RUST_KEYWORDS.contains(&n) {
        format!("r#{n}")
    } else {
        n.to_string()
    }
}

/// Same mapping as sai-headers' generator (the table assignment fails to compile if they differ).
fn rs_type(t: &Value) -> String {
    match s(&t["kind"]) {
        "builtin" => match s(&t["name"]) {
            "bool" | "_Bool" => "c_bool",
            "char" => "::core::ffi::c_char",
            "int8_t" | "signed char" => "i8",
            "uint8_t" | "unsigned char" => "u8",
            "int16_t" | "short" => "i16",
            "uint16_t" | "unsigned short" => "u16",
            "int32_t" | "int" => "i32",
            "uint32_t" | "unsigned int" => "u32",
            "int64_t" | "long" | "long long" => "i64",
            "uint64_t" | "unsigned long" | "unsigned long long" => "u64",
            "size_t" => "usize",
            "void" => "::core::ffi::c_void",
            o => panic!("builtin {o}"),
        }
        .to_string(),
        "typedef" | "struct" | "union" | "enum" => s(&t["name"]).to_string(),
        "pointer" => {
            let p = &t["pointee"];
            let c = if p["const"].as_bool() == Some(true) {
                "const"
            } else {
                "mut"
            };
            format!("*{c} {}", rs_type(p))
        }
        "array" => format!("[{}; {}]", rs_type(&t["element"]), int(&t["length"])),
        k => panic!("type kind {k}"),
    }
}

struct Method {
    ot: u64,
    kind: String,
    key_struct: Option<String>,
}

fn gen_tables(d: &Value) -> String {
    let mut methods: HashMap<(String, String), Method> = HashMap::new();
    for o in arr(&d["object_types"]) {
        let Some(table) = o["api_table"].as_str() else {
            continue;
        };
        let ot = o["value"].as_u64().expect("ot value");
        let key_struct = o["key_struct"].as_str().map(str::to_string);
        for (group, prefix) in [("methods", ""), ("bulk_methods", "bulk_")] {
            if let Some(m) = o[group].as_object() {
                for (kind, name) in m {
                    let prev = methods.insert(
                        (table.to_string(), s(name).to_string()),
                        Method {
                            ot,
                            kind: format!("{prefix}{kind}"),
                            key_struct: key_struct.clone(),
                        },
                    );
                    assert!(prev.is_none(), "{table}.{} claimed twice", s(name));
                }
            }
        }
    }
    let mut api_values: HashMap<&str, i64> = HashMap::new();
    for e in arr(&d["enums"]) {
        if matches!(s(&e["name"]), "sai_api_t" | "sai_api_extensions_t") {
            for m in arr(&e["members"]) {
                api_values.insert(s(&m["name"]), int(&m["value"]));
            }
        }
    }

    let mut o = String::new();
    o.push_str(
        "// Generated by libsai-rs/build.rs from sai-headers/abi/sai-abi.json. Do not edit.\n\n",
    );
    o.push_str("/// Extra slots after each table: a caller built against newer SAI headers whose table has\n");
    o.push_str(
        "/// more members finds a function answering SAI_STATUS_NOT_IMPLEMENTED, not garbage.\n",
    );
    o.push_str("pub(crate) const TAIL_SLOTS: usize = 32;\n\n");
    o.push_str("/// An API table followed by [`TAIL_SLOTS`] spare slots.\n#[repr(C)]\npub(crate) struct Padded<T> {\n    pub table: T,\n    pub tail: [Option<unsafe extern \"C\" fn() -> sai_status_t>; TAIL_SLOTS],\n}\n\n");
    let mut table_info = Vec::new();
    let mut used = BTreeSet::new();
    for t in arr(&d["api_tables"]) {
        let tname = s(&t["name"]);
        let short = tname.trim_start_matches("sai_").trim_end_matches("_api_t");
        let mut slots = Vec::new();
        for m in arr(&t["members"]) {
            let mname = s(&m["name"]);
            let sig = &m["signature"];
            let fname = format!("{short}__{mname}");
            let params: Vec<(String, String)> = arr(&sig["params"])
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let n = p["name"]
                        .as_str()
                        .filter(|n| !n.is_empty())
                        .map(rs_ident)
                        .unwrap_or_else(|| format!("arg{i}"));
                    (n, rs_type(&p["type"]))
                })
                .collect();
            assert!(
                s(&sig["return"]["c"]) == "sai_status_t",
                "{tname}.{mname} does not return sai_status_t"
            );
            let label = format!("{tname}.{mname}");
            let body = match methods.get(&(tname.to_string(), mname.to_string())) {
                Some(meth) => {
                    used.insert((tname.to_string(), mname.to_string()));
                    Some(method_call(meth, &params, &label))
                }
                None if SPECIAL.contains(&mname) => {
                    let args: Vec<&str> = params.iter().map(|p| p.0.as_str()).collect();
                    Some(format!(
                        "crate::guard::run({label:?}, move || {{\n        // SAFETY: the caller's arguments are forwarded unchanged to a function with the same\n        // contract as this slot; it checks every pointer before use.\n        unsafe {{ crate::special::{mname}({}) }}\n    }})",
                        args.join(", ")
                    ))
                }
                None => None,
            };
            let plist: Vec<String> = match body {
                Some(_) => params.iter().map(|(n, t)| format!("{n}: {t}")).collect(),
                None => params
                    .iter()
                    .map(|(n, t)| format!("_{}: {t}", n.trim_start_matches("r#")))
                    .collect(),
            };
            let body = body.unwrap_or_else(|| format!("crate::guard::not_implemented({label:?})"));
            writeln!(
                o,
                "unsafe extern \"C\" fn {fname}({}) -> sai_status_t {{\n    {body}\n}}\n",
                plist.join(", ")
            )
            .unwrap();
            slots.push((mname.to_string(), fname));
        }
        let sname = format!("{}_API", short.to_ascii_uppercase());
        writeln!(
            o,
            "pub(crate) static {sname}: Padded<{tname}> = Padded {{\n    table: {tname} {{"
        )
        .unwrap();
        for (m, f) in &slots {
            writeln!(o, "        {}: Some({f}),", rs_ident(m)).unwrap();
        }
        o.push_str("    },\n    tail: [Some(crate::guard::unknown_slot); TAIL_SLOTS],\n};\n\n");
        let api = s(&t["api"]);
        let apiv = *api_values
            .get(api)
            .unwrap_or_else(|| panic!("api {api} unknown"));
        table_info.push((apiv, api.to_string(), tname.to_string(), sname, slots.len()));
    }
    for k in methods.keys() {
        assert!(used.contains(k), "method {}.{} has no table slot", k.0, k.1);
    }
    o.push_str("/// Address of the API table of `api` (a `sai_api_t` value), if there is one.\n");
    o.push_str("pub(crate) fn api_table(api: u32) -> Option<*const ::core::ffi::c_void> {\n    match api {\n");
    for (v, _, _, sname, _) in &table_info {
        writeln!(
            o,
            "        {v} => Some(::core::ptr::addr_of!({sname}.table).cast()),"
        )
        .unwrap();
    }
    o.push_str("        _ => None,\n    }\n}\n\n");
    o.push_str("/// (api value, api name, table type, slot count) of every API table.\npub const API_TABLES: &[(u32, &str, &str, usize)] = &[\n");
    for (v, api, tname, _, n) in &table_info {
        writeln!(o, "    ({v}, {api:?}, {tname:?}, {n}),").unwrap();
    }
    o.push_str("];\n");
    o
}

fn method_call(m: &Method, params: &[(String, String)], label: &str) -> String {
    let p: Vec<&str> = params.iter().map(|x| x.0.as_str()).collect();
    let ot = m.ot;
    let entry = |name: &str| format!("crate::ops::Target::Entry({name}.cast())");
    let stride = m
        .key_struct
        .as_ref()
        .map(|k| format!("::core::mem::size_of::<{k}>()"));
    let keys = |name: &str| match &stride {
        Some(st) => format!("crate::ops::Keys::Entries({name}.cast(), {st})"),
        None => format!("crate::ops::Keys::Oids({name})"),
    };
    let target = |name: &str| {
        if m.key_struct.is_some() {
            entry(name)
        } else {
            format!("crate::ops::Target::Oid({name})")
        }
    };
    let call = match (m.kind.as_str(), p.len(), m.key_struct.is_some()) {
        ("create", 4, false) => format!(
            "create_oid({ot}, {}, Some({}), {}, {})",
            p[0], p[1], p[2], p[3]
        ),
        ("create", 3, false) => format!("create_oid({ot}, {}, None, {}, {})", p[0], p[1], p[2]),
        ("create", 3, true) => format!("create_entry({ot}, {}.cast(), {}, {})", p[0], p[1], p[2]),
        ("remove", 1, _) => format!("remove({ot}, {})", target(p[0])),
        ("set", 2, _) => format!("set({ot}, {}, {})", target(p[0]), p[1]),
        ("get", 3, _) => format!("get({ot}, {}, {}, {})", target(p[0]), p[1], p[2]),
        ("get_stats", 4, _) => format!(
            "get_stats({ot}, {}, {}, {}, None, {})",
            target(p[0]),
            p[1],
            p[2],
            p[3]
        ),
        ("get_stats_ext", 5, _) => format!(
            "get_stats({ot}, {}, {}, {}, Some({}), {})",
            target(p[0]),
            p[1],
            p[2],
            p[3],
            p[4]
        ),
        ("clear_stats", 3, _) => format!("clear_stats({ot}, {}, {}, {})", target(p[0]), p[1], p[2]),
        ("bulk_create", 7, false) => {
            format!(
                "bulk_create_oid({ot}, {}, {}, {}, {}, {}, {}, {})",
                p[0], p[1], p[2], p[3], p[4], p[5], p[6]
            )
        }
        ("bulk_create", 6, true) => {
            format!(
                "bulk_create_entry({ot}, {}, {}, {}, {}, {}, {})",
                p[0],
                keys(p[1]),
                p[2],
                p[3],
                p[4],
                p[5]
            )
        }
        ("bulk_remove", 4, _) => format!(
            "bulk_remove({ot}, {}, {}, {}, {})",
            p[0],
            keys(p[1]),
            p[2],
            p[3]
        ),
        ("bulk_set", 5, _) => format!(
            "bulk_set({ot}, {}, {}, {}, {}, {})",
            p[0],
            keys(p[1]),
            p[2],
            p[3],
            p[4]
        ),
        ("bulk_get", 6, _) => format!(
            "bulk_get({ot}, {}, {}, {}, {}, {}, {})",
            p[0],
            keys(p[1]),
            p[2],
            p[3],
            p[4],
            p[5]
        ),
        (k, n, e) => panic!("{label}: no generic form for {k} with {n} params (entry: {e})"),
    };
    format!(
        "crate::guard::run({label:?}, move || {{\n        // SAFETY: the caller's pointers and counts are forwarded unchanged; the generic\n        // operation checks every pointer for null and reads only within the counts given.\n        unsafe {{ crate::ops::{call} }}\n    }})"
    )
}

/// For each value type: the `sai_attribute_value_t` member, its size, and where its list (if any)
/// is: (offset of the `{count, list}` struct inside the member, element size, element is flat).
fn gen_value_types(d: &Value) -> String {
    let records: HashMap<&str, &Value> = arr(&d["records"])
        .iter()
        .map(|r| (s(&r["name"]), r))
        .collect();
    let typedefs: HashMap<&str, &Value> = arr(&d["typedefs"])
        .iter()
        .map(|t| (s(&t["name"]), t))
        .collect();
    let enums: BTreeSet<&str> = arr(&d["enums"]).iter().map(|e| s(&e["name"])).collect();
    let avu = records["sai_attribute_value_t"];
    let member_type: HashMap<&str, &Value> = arr(&avu["fields"])
        .iter()
        .map(|f| (s(&f["name"]), &f["type"]))
        .collect();
    let member_size: HashMap<&str, i64> = arr(&avu["fields"])
        .iter()
        .map(|f| (s(&f["name"]), int(&f["size"])))
        .collect();

    fn size_of(
        t: &Value,
        records: &HashMap<&str, &Value>,
        typedefs: &HashMap<&str, &Value>,
        enums: &BTreeSet<&str>,
    ) -> i64 {
        match s(&t["kind"]) {
            "builtin" => match s(&t["name"]) {
                "bool" | "char" | "int8_t" | "uint8_t" => 1,
                "int16_t" | "uint16_t" => 2,
                "int32_t" | "uint32_t" | "int" => 4,
                _ => 8,
            },
            "pointer" => 8,
            "array" => int(&t["length"]) * size_of(&t["element"], records, typedefs, enums),
            _ => {
                let n = s(&t["name"]);
                if let Some(r) = records.get(n) {
                    int(&r["size"])
                } else if let Some(td) = typedefs.get(n) {
                    int(&td["size"])
                } else if enums.contains(n) {
                    4
                } else {
                    panic!("size of {n}")
                }
            }
        }
    }
    fn has_pointer(t: &Value, records: &HashMap<&str, &Value>, depth: u32) -> bool {
        assert!(depth < 16);
        match s(&t["kind"]) {
            "pointer" | "function_pointer" => true,
            "array" => has_pointer(&t["element"], records, depth + 1),
            "typedef" | "struct" | "union" => match records.get(s(&t["name"])) {
                Some(r) => arr(&r["fields"])
                    .iter()
                    .any(|f| has_pointer(&f["type"], records, depth + 1)),
                None => s(&t["name"]) == "sai_pointer_t",
            },
            _ => false,
        }
    }
    /// A `{count, list}` struct: returns the element type.
    fn list_elem<'a>(t: &'a Value, records: &HashMap<&str, &'a Value>) -> Option<&'a Value> {
        let r = records.get(t["name"].as_str()?)?;
        let f = arr(&r["fields"]);
        if f.len() == 2
            && s(&f[0]["name"]) == "count"
            && s(&f[1]["name"]) == "list"
            && s(&f[1]["type"]["kind"]) == "pointer"
        {
            Some(&f[1]["type"]["pointee"])
        } else {
            None
        }
    }

    let mut o = String::new();
    o.push_str(
        "// Generated by libsai-rs/build.rs from sai-headers/abi/sai-abi.json. Do not edit.\n\n",
    );
    o.push_str(
        "/// Raw layout of a value type's union member (for value types kept as raw bytes).\n",
    );
    o.push_str("#[derive(Clone, Copy, Debug)]\npub(crate) struct RawLayout {\n    /// Bytes of the member in `sai_attribute_value_t` (0: the type has no member).\n    pub size: usize,\n    /// (offset of the `{count, list}` struct in the member, element size) for list types.\n    pub list: Option<(usize, usize)>,\n    /// False when the member or its elements hold pointers other than the one list pointer.\n    pub flat: bool,\n}\n\n");
    o.push_str("/// Raw layout of every value type, indexed by `SAI_ATTR_VALUE_TYPE_*` value.\npub(crate) fn raw_layout(vt: u32) -> Option<RawLayout> {\n    match vt {\n");
    for avt in arr(&d["attr_value_types"]) {
        let v = int(&avt["value"]);
        let members = arr(&avt["union_members"]);
        let Some(first) = members.first().map(s) else {
            writeln!(
                o,
                "        {v} => Some(RawLayout {{ size: 0, list: None, flat: false }}),"
            )
            .unwrap();
            continue;
        };
        if first.contains('.') {
            // ACL field/action data: converted by typed code only.
            writeln!(
                o,
                "        {v} => Some(RawLayout {{ size: 0, list: None, flat: false }}),"
            )
            .unwrap();
            continue;
        }
        let t = member_type[first];
        let size = member_size[first];
        let mut list = None;
        let mut flat = true;
        if let Some(el) = list_elem(t, &records) {
            list = Some((0, size_of(el, &records, &typedefs, &enums)));
            flat = !has_pointer(el, &records, 0);
        } else if let Some(r) = t["name"].as_str().and_then(|n| records.get(n)) {
            for f in arr(&r["fields"]) {
                if let Some(el) = list_elem(&f["type"], &records) {
                    assert!(list.is_none(), "two lists in {first}");
                    list = Some((int(&f["offset"]), size_of(el, &records, &typedefs, &enums)));
                    flat &= !has_pointer(el, &records, 0);
                } else {
                    flat &= !has_pointer(&f["type"], &records, 0);
                }
            }
        } else {
            flat = !has_pointer(t, &records, 0) || s(&avt["name"]) == "SAI_ATTR_VALUE_TYPE_POINTER";
        }
        let list = match list {
            Some((off, es)) => format!("Some(({off}, {es}))"),
            None => "None".into(),
        };
        writeln!(
            o,
            "        {v} => Some(RawLayout {{ size: {size}, list: {list}, flat: {flat} }}), // {}",
            s(&avt["name"])
        )
        .unwrap();
    }
    o.push_str("        _ => None,\n    }\n}\n");
    o
}
