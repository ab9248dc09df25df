//! `sai_dbg_generate_dump`: a readable text dump of every stored object, values written the way
//! sairedis serializes them (`oid:0x..`, MACs as `aa:bb:..`, enum values by name).

use sai_headers::meta::{self, AttrMeta};
use sai_store::{AclData, AttrValue, Change, ObjectKey, Sai};
use std::fmt::Write as _;

fn mac(m: &[u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn list<T>(l: &[T], f: impl Fn(&T) -> String) -> String {
    format!(
        "{}:[{}]",
        l.len(),
        l.iter().map(f).collect::<Vec<_>>().join(",")
    )
}

fn acl(d: &AclData) -> String {
    match d {
        AclData::None => "-".into(),
        AclData::Bool(b) => b.to_string(),
        AclData::U8(x) => x.to_string(),
        AclData::I8(x) => x.to_string(),
        AclData::U16(x) => x.to_string(),
        AclData::I16(x) => x.to_string(),
        AclData::U32(x) => x.to_string(),
        AclData::I32(x) => x.to_string(),
        AclData::U64(x) => x.to_string(),
        AclData::Mac(m) => mac(m),
        AclData::Ipv4(a) => std::net::Ipv4Addr::from(*a).to_string(),
        AclData::Ipv6(a) => std::net::Ipv6Addr::from(*a).to_string(),
        AclData::IpAddr(a) => a.to_string(),
        AclData::Oid(o) => format!("oid:0x{o:x}"),
        AclData::OidList(l) => list(l, |o| format!("oid:0x{o:x}")),
        AclData::U8List(l) => list(l, u8::to_string),
    }
}

/// One value in text form; enum values by name when the attribute has an enum.
pub(crate) fn value_text(m: Option<&AttrMeta>, v: &AttrValue) -> String {
    let enum_name = |x: i32| m.and_then(|m| m.enum_info).and_then(|e| e.name_of(x));
    match v {
        AttrValue::Bool(b) => b.to_string(),
        AttrValue::Chardata(c) => {
            let end = c.iter().position(|b| *b == 0).unwrap_or(c.len());
            format!("{:?}", String::from_utf8_lossy(&c[..end]))
        }
        AttrValue::U8(x) => x.to_string(),
        AttrValue::I8(x) => x.to_string(),
        AttrValue::U16(x) => x.to_string(),
        AttrValue::I16(x) => x.to_string(),
        AttrValue::U32(x) => x.to_string(),
        AttrValue::I32(x) => enum_name(*x).map_or_else(|| x.to_string(), str::to_string),
        AttrValue::U64(x) => x.to_string(),
        AttrValue::I64(x) => x.to_string(),
        AttrValue::Pointer(p) => format!("ptr:0x{p:x}"),
        AttrValue::Mac(m) => mac(m),
        AttrValue::Ipv4(a) => std::net::Ipv4Addr::from(*a).to_string(),
        AttrValue::Ipv6(a) => std::net::Ipv6Addr::from(*a).to_string(),
        AttrValue::IpAddr(a) => a.to_string(),
        AttrValue::IpPrefix(p) => match p.prefix_len() {
            Some(l) => format!("{}/{l}", p.addr),
            None => format!("{}/{}", p.addr, p.mask),
        },
        AttrValue::Oid(o) => format!("oid:0x{o:x}"),
        AttrValue::OidList(l) => list(l, |o| format!("oid:0x{o:x}")),
        AttrValue::U8List(l) => list(l, u8::to_string),
        AttrValue::I8List(l) => list(l, i8::to_string),
        AttrValue::U16List(l) => list(l, u16::to_string),
        AttrValue::I16List(l) => list(l, i16::to_string),
        AttrValue::U32List(l) => list(l, u32::to_string),
        AttrValue::I32List(l) => list(l, |x| {
            enum_name(*x).map_or_else(|| x.to_string(), str::to_string)
        }),
        AttrValue::U32Range(a, b) => format!("{a},{b}"),
        AttrValue::I32Range(a, b) => format!("{a},{b}"),
        AttrValue::U16RangeList(l) => list(l, |(a, b)| format!("{a},{b}")),
        AttrValue::VlanList(l) => list(l, u16::to_string),
        AttrValue::AclField { enable, data, mask } => {
            if *enable {
                format!("{}&mask:{}", acl(data), acl(mask))
            } else {
                "disabled".into()
            }
        }
        AttrValue::AclAction { enable, param } => {
            if *enable {
                acl(param)
            } else {
                "disabled".into()
            }
        }
        AttrValue::Other {
            flat, list, count, ..
        } => {
            let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
            match list {
                Some(l) => format!("raw:{} list:{count}:{}", hex(flat), hex(l)),
                None => format!("raw:{}", hex(flat)),
            }
        }
    }
}

/// The whole dump.
pub(crate) fn dump_text(sai: &Sai) -> String {
    let mut s = String::new();
    let changes = sai.snapshot_for_replay();
    let _ = writeln!(
        s,
        "# ferrosai libsai.so state dump (SAI {}): {} objects",
        meta::SAI_API_VERSION,
        changes.len()
    );
    for ch in changes {
        let Change::Create { ot, key, attrs } = ch else {
            continue;
        };
        let info = meta::object_type(ot);
        let oname = info.map_or("?", |i| i.name);
        let key = match key {
            ObjectKey::Route(r) => ObjectKey::Entry(r.to_entry()),
            k => k,
        };
        match key {
            ObjectKey::Route(_) => {}
            ObjectKey::Oid(o) => {
                let _ = writeln!(s, "{oname} oid:0x{o:x}");
            }
            ObjectKey::Entry(k) => {
                let members: Vec<String> = info
                    .map(|i| {
                        i.key_members
                            .iter()
                            .zip(&k.members)
                            .map(|(km, v)| format!("{}={}", km.name, value_text(None, v)))
                            .collect()
                    })
                    .unwrap_or_default();
                let _ = writeln!(s, "{oname} {{{}}}", members.join(", "));
            }
        }
        for a in attrs.iter() {
            let m = meta::attr(ot, a.id);
            let _ = writeln!(
                s,
                "    {} = {}",
                m.map_or("?", |m| m.name),
                value_text(m, &a.value)
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_like_sairedis() {
        let m = meta::attr_by_name("SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION").unwrap();
        let drop = m
            .enum_info
            .unwrap()
            .value_of("SAI_PACKET_ACTION_DROP")
            .unwrap();
        assert_eq!(
            value_text(Some(m), &AttrValue::I32(drop)),
            "SAI_PACKET_ACTION_DROP"
        );
        assert_eq!(
            value_text(None, &AttrValue::Mac([2, 0x42, 0xac, 0x11, 0, 2])),
            "02:42:ac:11:00:02"
        );
        assert_eq!(
            value_text(None, &AttrValue::OidList(vec![1, 0x20])),
            "2:[oid:0x1,oid:0x20]"
        );
        let p = sai_store::IpPrefix {
            addr: "10.0.0.0".parse().unwrap(),
            mask: "255.0.0.0".parse().unwrap(),
        };
        assert_eq!(value_text(None, &AttrValue::IpPrefix(p)), "10.0.0.0/8");
    }
}
