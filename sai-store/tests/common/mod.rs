#![allow(dead_code)]
use sai_store::value::vt;
use sai_store::{md, Attr, AttrValue, Profile, Sai};
use std::collections::{BTreeMap, BTreeSet};

pub fn ot(name: &str) -> u32 {
    md::ot_id(name).unwrap_or_else(|| panic!("no object type {name}"))
}

pub fn id(name: &str) -> u32 {
    md::attr_id(name).unwrap_or_else(|| panic!("no attribute {name}"))
}

pub fn ev(attr: &str, member: &str) -> AttrValue {
    AttrValue::I32(md::enum_value(attr, member).unwrap_or_else(|| panic!("no {member}")))
}

pub fn a(name: &str, v: AttrValue) -> Attr {
    Attr::new(id(name), v)
}

/// Create a switch as syncd does.
pub fn new_switch(profile: Profile) -> (Sai, u64) {
    let sai = Sai::new(&profile).expect("profile");
    let sw = sai
        .create(
            ot("SAI_OBJECT_TYPE_SWITCH"),
            0,
            vec![
                a("SAI_SWITCH_ATTR_INIT_SWITCH", AttrValue::Bool(true)),
                a(
                    "SAI_SWITCH_ATTR_FDB_EVENT_NOTIFY",
                    AttrValue::Pointer(0x1000),
                ),
                a(
                    "SAI_SWITCH_ATTR_PORT_STATE_CHANGE_NOTIFY",
                    AttrValue::Pointer(0x2000),
                ),
                a(
                    "SAI_SWITCH_ATTR_SWITCH_SHUTDOWN_REQUEST_NOTIFY",
                    AttrValue::Pointer(0x3000),
                ),
                a(
                    "SAI_SWITCH_ATTR_SRC_MAC_ADDRESS",
                    AttrValue::Mac([0x52, 0x54, 0, 0x12, 0x34, 0x56]),
                ),
            ],
        )
        .expect("create switch");
    (sai, sw)
}

pub fn get1(sai: &Sai, o: u64, attr: &str) -> Result<AttrValue, i32> {
    let t = sai.object_type_query(o);
    sai.get(t, o, &[id(attr)]).map(|mut v| v.remove(0))
}

/// syncd's discovery: from the switch, get every OBJECT_ID / OBJECT_LIST attribute once, recurse
/// into every non-null id. Returns objects per type name and the number of gets.
pub fn discover(sai: &Sai, sw: u64) -> (BTreeMap<String, usize>, usize) {
    let mut seen = BTreeSet::new();
    let mut stack = vec![sw];
    let mut gets = 0;
    while let Some(o) = stack.pop() {
        if !seen.insert(o) {
            continue;
        }
        let t = sai.object_type_query(o);
        assert_ne!(t, 0, "object_type_query({o:#x}) gave NULL");
        let info = md::ot_info(t).unwrap();
        for m in info.attrs {
            let vt = m.value_type as u32;
            if vt != vt::OBJECT_ID && vt != vt::OBJECT_LIST {
                continue;
            }
            if matches!(
                m.name,
                "SAI_STP_ATTR_BRIDGE_ID"
                    | "SAI_BRIDGE_PORT_ATTR_TUNNEL_ID"
                    | "SAI_BRIDGE_PORT_ATTR_RIF_ID"
            ) {
                continue;
            }
            gets += 1;
            if let Ok(v) = sai.get(t, o, &[m.id]) {
                for r in v[0].oids().filter(|r| *r != 0) {
                    stack.push(r);
                }
            }
        }
    }
    let mut by_type = BTreeMap::new();
    for o in seen {
        let n = md::ot_info(sai.object_type_query(o))
            .unwrap()
            .name
            .to_string();
        *by_type.entry(n).or_insert(0) += 1;
    }
    (by_type, gets)
}
