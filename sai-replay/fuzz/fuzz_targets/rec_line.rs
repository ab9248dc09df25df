//! Arbitrary text through sai-replay's recording parser never panics: the input (UTF-8, lossily
//! where it is not) is split into lines as a `.rec` file is, each line goes through
//! `rec::parse_line`, and what parses goes on as the player takes it: the status of a `G` through
//! `value::parse_status`; the object type by name, the key through `value::parse_oid` or
//! `value::parse_entry_key`, and every attribute through its metadata and `value::parse_value`.
//! Seeds (`seed.sh`): lines of the shared sairedis recordings, when present.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sai_headers::meta;
use sai_replay::rec::{parse_line, Line, RawAttr, RawObject};
use sai_replay::value::{parse_entry_key, parse_oid, parse_status, parse_value};

fn attrs(list: &[RawAttr<'_>]) {
    for (i, a) in list.iter().enumerate() {
        if let Some(m) = meta::attr_by_name(a.name) {
            let _ = parse_value(m, a.value, i);
        }
    }
}

fn object(ot: &str, obj: &RawObject<'_>) {
    if let Some(info) = meta::object_type_by_name(ot) {
        if info.is_non_object_id {
            let _ = parse_entry_key(info, obj.key);
        } else {
            let _ = parse_oid(obj.key);
        }
    }
    attrs(&obj.attrs);
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for line in text.split_inclusive('\n') {
        match parse_line(line) {
            Ok(Line::Single { ot, obj, .. }) => object(ot, &obj),
            Ok(Line::Bulk { ot, objs, .. }) => objs.iter().for_each(|o| object(ot, o)),
            Ok(Line::GetResponse { status, attrs: a }) => {
                let _ = parse_status(status);
                attrs(&a);
            }
            Ok(_) | Err(_) => {}
        }
    }
});
