//! sairedis text forms -> typed values ([`AttrValue`], [`EntryKey`]), by the attribute's type in
//! the generated SAI metadata. Object ids are parsed as written in the recording; mapping them to
//! the library's is a separate step ([`map_oids`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use sai_client::generic::{
    ip_address_list, map_list, qos_map_list, segment_list, QosMapEntry, QosMapParams,
};
use sai_headers::meta::{self, AttrMeta, AttrValueType as T, EnumInfo, KeyMember, ObjectTypeInfo};
use sai_store::{AclData, AttrValue, EntryKey, IpPrefix};
use serde_json::Value as Json;

use crate::rec::ParseError;

pub const INVALID_PARAMETER: i32 = -5;
pub const INVALID_OBJECT_TYPE: i32 = -18;
pub const INVALID_OBJECT_ID: i32 = -19;
pub const INVALID_ATTRIBUTE_0: i32 = -0x1_0000;
pub const INVALID_ATTR_VALUE_0: i32 = -0x2_0000;
pub const UNKNOWN_ATTRIBUTE_0: i32 = -0x4_0000;
pub const ATTR_NOT_SUPPORTED_0: i32 = -0x5_0000;

/// Largest list count accepted from a recording.
pub const MAX_LIST: usize = 1 << 20;

fn ranged(base: i32, index: usize) -> i32 {
    base - i32::try_from(index.min(0xFFFF)).unwrap_or(0xFFFF)
}

/// Name of a status code (`SAI_STATUS_*`).
pub fn status_name(st: i32) -> String {
    meta::status_name(st)
}

/// Parses a status name (`SAI_STATUS_SUCCESS`, `SAI_STATUS_INVALID_ATTRIBUTE_0+3`,
/// `SAI_STATUS_INVALID_ATTRIBUTE_3`) or a number.
pub fn parse_status(s: &str) -> Option<i32> {
    if let Some((_, v)) = meta::STATUS_CODES.iter().find(|x| x.0 == s) {
        return Some(*v);
    }
    for (name, first) in meta::STATUS_RANGES {
        if let Some(rest) = s.strip_prefix(name).and_then(|r| r.strip_prefix('_')) {
            let idx = rest.strip_prefix("0+").unwrap_or(rest);
            let i: i32 = idx.parse().ok()?;
            return (0..=0xFFFF).contains(&i).then(|| first - i);
        }
    }
    s.parse().ok()
}

/// `oid:0x1234` -> 0x1234.
pub fn parse_oid(s: &str) -> Option<u64> {
    let h = s.strip_prefix("oid:0x")?;
    if h.is_empty() || h.len() > 16 {
        return None;
    }
    u64::from_str_radix(h, 16).ok()
}

/// A decimal or `0x` hexadecimal integer (negative decimals allowed).
fn parse_int(s: &str) -> Option<i128> {
    let s = s.trim();
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return i128::from_str_radix(h, 16).ok();
    }
    if s.is_empty() || s.len() > 40 {
        return None;
    }
    s.parse().ok()
}

fn int<X: TryFrom<i128>>(s: &str) -> Option<X> {
    X::try_from(parse_int(s)?).ok()
}

/// A signed integer that may be written as the hex bit pattern of its width (`0xffffffff` for
/// an `int32_t` mask of all ones, as sairedis prints masks).
fn signed_bits<X: TryFrom<i128>>(s: &str, width: u32) -> Option<X> {
    let v = parse_int(s)?;
    if let Ok(x) = X::try_from(v) {
        return Some(x);
    }
    let is_hex = s.trim().starts_with("0x") || s.trim().starts_with("0X");
    let top = 1i128 << width;
    if is_hex && (0..top).contains(&v) {
        X::try_from(v - top).ok()
    } else {
        None
    }
}

fn enum_or_int(e: Option<&EnumInfo>, s: &str) -> Option<i32> {
    if let Some(e) = e {
        if let Some(v) = e.value_of(s) {
            return Some(v);
        }
    }
    int(s)
}

pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut m = [0u8; 6];
    let mut n = 0;
    for p in s.split(':') {
        if n == 6 || p.is_empty() || p.len() > 2 {
            return None;
        }
        m[n] = u8::from_str_radix(p, 16).ok()?;
        n += 1;
    }
    (n == 6).then_some(m)
}

/// `10.0.0.0/24`, `fc00::/7` -> address and mask.
pub fn parse_prefix(s: &str) -> Option<IpPrefix> {
    let (a, l) = s.split_once('/')?;
    let addr: IpAddr = a.parse().ok()?;
    let len: u32 = l.parse().ok()?;
    let mask = match addr {
        IpAddr::V4(_) if len <= 32 => {
            IpAddr::V4(Ipv4Addr::from(u32::MAX.checked_shl(32 - len).unwrap_or(0)))
        }
        IpAddr::V6(_) if len <= 128 => IpAddr::V6(Ipv6Addr::from(
            u128::MAX.checked_shl(128 - len).unwrap_or(0),
        )),
        _ => return None,
    };
    Some(IpPrefix { addr, mask })
}

/// sairedis chardata: printable characters as they are, `\\` for a backslash, `\xHH` otherwise.
fn parse_chardata(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    let b = s.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < b.len() {
        let c = if b[i] == b'\\' {
            match b.get(i + 1) {
                Some(b'\\') => {
                    i += 2;
                    b'\\'
                }
                Some(b'x') => {
                    let h = s.get(i + 2..i + 4)?;
                    i += 4;
                    u8::from_str_radix(h, 16).ok()?
                }
                _ => return None,
            }
        } else {
            i += 1;
            b[i - 1]
        };
        *out.get_mut(n)? = c;
        n += 1;
    }
    // NUL-terminated within the 32 bytes, like the C field
    (n < 32).then_some(out)
}

/// `COUNT:item,item` (or `COUNT:null`): the items, parsed by `f`; a `null` list gives `COUNT`
/// default items (a get buffer of that size).
fn parse_list<X: Default + Clone>(
    s: &str,
    f: impl Fn(&str) -> Option<X>,
) -> Result<Vec<X>, String> {
    let (c, items) = s
        .split_once(':')
        .ok_or_else(|| format!("list {s:?} is not COUNT:ITEMS"))?;
    let n: usize = c.parse().map_err(|_| format!("bad list count {c:?}"))?;
    if n > MAX_LIST {
        return Err(format!("list count {n} too large"));
    }
    if items == "null" {
        return Ok(vec![X::default(); n]);
    }
    if n == 0 {
        return if items.is_empty() {
            Ok(Vec::new())
        } else {
            Err(format!("list of count 0 with items {items:?}"))
        };
    }
    let v: Vec<X> = items
        .split(',')
        .map(|it| f(it).ok_or_else(|| format!("bad list item {it:?}")))
        .collect::<Result<_, _>>()?;
    if v.len() != n {
        return Err(format!("list count {n} but {} items", v.len()));
    }
    Ok(v)
}

fn parse_range<X>(s: &str, f: impl Fn(&str) -> Option<X>) -> Option<(X, X)> {
    let (a, b) = s.split_once(',')?;
    Some((f(a)?, f(b)?))
}

fn ip4(s: &str) -> Option<[u8; 4]> {
    s.parse::<Ipv4Addr>().ok().map(|a| a.octets())
}
fn ip6(s: &str) -> Option<[u8; 16]> {
    s.parse::<Ipv6Addr>().ok().map(|a| a.octets())
}

fn oid_list(s: &str) -> Result<Vec<u64>, String> {
    parse_list(s, parse_oid)
}

/// Data of an ACL field or action parameter of value type `t` (the ACL_*_DATA_* type).
fn acl_data(t: T, e: Option<&EnumInfo>, s: &str, is_mask: bool) -> Result<AclData, String> {
    let bad = || format!("bad ACL data {s:?} for {}", t.c_name());
    use T::*;
    Ok(match t {
        AclFieldDataBool | AclActionDataBool => AclData::Bool(match s {
            "true" => true,
            "false" => false,
            _ => return Err(bad()),
        }),
        AclFieldDataU8 | AclActionDataU8 => AclData::U8(int(s).ok_or_else(bad)?),
        AclFieldDataI8 | AclActionDataI8 => AclData::I8(signed_bits(s, 8).ok_or_else(bad)?),
        AclFieldDataU16 | AclActionDataU16 => AclData::U16(int(s).ok_or_else(bad)?),
        AclFieldDataI16 | AclActionDataI16 => AclData::I16(signed_bits(s, 16).ok_or_else(bad)?),
        AclFieldDataU32 | AclActionDataU32 => AclData::U32(int(s).ok_or_else(bad)?),
        AclFieldDataI32 | AclActionDataI32 => AclData::I32(if is_mask {
            signed_bits(s, 32).ok_or_else(bad)?
        } else {
            e.and_then(|e| e.value_of(s))
                .or_else(|| signed_bits(s, 32))
                .ok_or_else(bad)?
        }),
        AclFieldDataU64 => AclData::U64(int(s).ok_or_else(bad)?),
        AclFieldDataMac | AclActionDataMac => AclData::Mac(parse_mac(s).ok_or_else(bad)?),
        AclFieldDataIpv4 | AclActionDataIpv4 => AclData::Ipv4(ip4(s).ok_or_else(bad)?),
        AclFieldDataIpv6 | AclActionDataIpv6 => AclData::Ipv6(ip6(s).ok_or_else(bad)?),
        AclActionDataIpAddress => AclData::IpAddr(s.parse().map_err(|_| bad())?),
        AclFieldDataObjectId | AclActionDataObjectId => AclData::Oid(parse_oid(s).ok_or_else(bad)?),
        AclFieldDataObjectList | AclActionDataObjectList => AclData::OidList(oid_list(s)?),
        AclFieldDataU8List => AclData::U8List(parse_list(s, int)?),
        _ => return Err(format!("ACL data type {} is not supported", t.c_name())),
    })
}

fn has_mask(t: T) -> bool {
    !matches!(
        t,
        T::AclFieldDataBool | T::AclFieldDataObjectId | T::AclFieldDataObjectList
    )
}

fn is_acl_field(t: T) -> bool {
    (T::AclFieldDataBool as u32..=T::AclFieldDataU8List as u32).contains(&(t as u32))
}
fn is_acl_action(t: T) -> bool {
    (T::AclActionDataBool as u32..=T::AclActionDataObjectList as u32).contains(&(t as u32))
}

fn json_u8(v: &Json, k: &str) -> Result<u8, String> {
    match v.get(k) {
        None => Ok(0),
        Some(Json::Number(n)) => n
            .as_u64()
            .and_then(|x| u8::try_from(x).ok())
            .ok_or_else(|| format!("QoS map field {k}={n} out of range")),
        Some(Json::String(s)) => int(s).ok_or_else(|| format!("QoS map field {k}={s:?}")),
        Some(other) => Err(format!("QoS map field {k}={other}")),
    }
}

fn qos_params(v: &Json) -> Result<QosMapParams, String> {
    let color = match v.get("color") {
        None => 0,
        Some(Json::String(s)) => meta::enum_by_name("sai_packet_color_t")
            .and_then(|e| e.value_of(s))
            .or_else(|| int(s))
            .ok_or_else(|| format!("unknown packet color {s:?}"))?,
        Some(Json::Number(n)) => n
            .as_i64()
            .and_then(|x| i32::try_from(x).ok())
            .ok_or_else(|| format!("bad color {n}"))?,
        Some(o) => return Err(format!("bad color {o}")),
    };
    Ok(QosMapParams {
        tc: json_u8(v, "tc")?,
        dscp: json_u8(v, "dscp")?,
        dot1p: json_u8(v, "dot1p")?,
        prio: json_u8(v, "prio")?,
        pg: json_u8(v, "pg")?,
        queue_index: json_u8(v, "qidx")?,
        color,
        mpls_exp: json_u8(v, "mpls_exp")?,
        fc: json_u8(v, "fc")?,
    })
}

/// `{"count":N,"list":[{"key":{...},"value":{...}},...]}`.
fn parse_qos_map_list(s: &str) -> Result<AttrValue, String> {
    let j: Json = serde_json::from_str(s).map_err(|e| format!("QoS map list is not JSON: {e}"))?;
    let count = j
        .get("count")
        .and_then(Json::as_u64)
        .ok_or("QoS map list without a count")?;
    let list = match j.get("list") {
        Some(Json::Array(a)) => a.as_slice(),
        Some(Json::Null) | None => &[],
        Some(_) => return Err("QoS map list: \"list\" is not an array".into()),
    };
    if usize::try_from(count).ok() != Some(list.len()) && !list.is_empty() {
        return Err(format!("QoS map count {count} but {} items", list.len()));
    }
    let mut items = Vec::with_capacity(list.len());
    for it in list {
        items.push(QosMapEntry {
            key: qos_params(it.get("key").ok_or("QoS map item without a key")?)?,
            value: qos_params(it.get("value").ok_or("QoS map item without a value")?)?,
        });
    }
    if list.is_empty() && count > 0 {
        let n = usize::try_from(count).unwrap_or(usize::MAX).min(MAX_LIST);
        items.resize(n, QosMapEntry::default());
    }
    Ok(qos_map_list(&items))
}

/// `{"count":N,"list":[{"key":K,"value":V},...]}` (sai_map_t pairs).
fn parse_map_list(s: &str) -> Result<AttrValue, String> {
    let j: Json = serde_json::from_str(s).map_err(|e| format!("map list is not JSON: {e}"))?;
    let list = match j.get("list") {
        Some(Json::Array(a)) => a.as_slice(),
        Some(Json::Null) | None => &[],
        Some(_) => return Err("map list: \"list\" is not an array".into()),
    };
    let num = |v: Option<&Json>| -> Option<i64> {
        match v? {
            Json::Number(n) => n.as_i64(),
            Json::String(s) => int(s),
            _ => None,
        }
    };
    let mut items = Vec::with_capacity(list.len());
    for it in list {
        let k = num(it.get("key")).and_then(|x| u32::try_from(x).ok());
        let v = num(it.get("value")).and_then(|x| i32::try_from(x).ok());
        match (k, v) {
            (Some(k), Some(v)) => items.push((k, v)),
            _ => return Err(format!("bad map list item {it}")),
        }
    }
    Ok(map_list(&items))
}

/// Parses the text form of a value of attribute `m` (`index`: the attribute's position on the
/// line, for the ranged status of an error).
pub fn parse_value(m: &AttrMeta, s: &str, index: usize) -> Result<AttrValue, ParseError> {
    parse_value_inner(m, s).map_err(|msg| {
        ParseError::new(
            ranged(INVALID_ATTR_VALUE_0, index),
            format!("{}={s:?}: {msg}", m.name),
        )
    })
}

fn parse_value_inner(m: &AttrMeta, s: &str) -> Result<AttrValue, String> {
    let bad = || format!("not a valid {}", m.value_type.c_name());
    let e = m.enum_info;
    Ok(match m.value_type {
        T::Bool => AttrValue::Bool(match s {
            "true" => true,
            "false" => false,
            _ => return Err(bad()),
        }),
        T::Chardata => AttrValue::Chardata(parse_chardata(s).ok_or_else(bad)?),
        T::U8 => AttrValue::U8(int(s).ok_or_else(bad)?),
        T::I8 => AttrValue::I8(int(s).ok_or_else(bad)?),
        T::U16 => AttrValue::U16(int(s).ok_or_else(bad)?),
        T::I16 => AttrValue::I16(int(s).ok_or_else(bad)?),
        T::U32 => AttrValue::U32(int(s).ok_or_else(bad)?),
        T::I32 => AttrValue::I32(enum_or_int(e, s).ok_or_else(|| {
            e.map_or_else(bad, |e| format!("{s:?} is not a member of {}", e.name))
        })?),
        T::U64 => AttrValue::U64(int(s).ok_or_else(bad)?),
        T::I64 => AttrValue::I64(int(s).ok_or_else(bad)?),
        T::Pointer => AttrValue::Pointer(if s == "NULL" || s == "null" {
            0
        } else {
            int(s).ok_or_else(bad)?
        }),
        T::Mac => AttrValue::Mac(parse_mac(s).ok_or_else(bad)?),
        T::Ipv4 => AttrValue::Ipv4(ip4(s).ok_or_else(bad)?),
        T::Ipv6 => AttrValue::Ipv6(ip6(s).ok_or_else(bad)?),
        T::IpAddress => AttrValue::IpAddr(s.parse().map_err(|_| bad())?),
        T::IpPrefix => AttrValue::IpPrefix(parse_prefix(s).ok_or_else(bad)?),
        T::ObjectId => AttrValue::Oid(parse_oid(s).ok_or_else(bad)?),
        T::ObjectList => AttrValue::OidList(oid_list(s)?),
        T::U8List => AttrValue::U8List(parse_list(s, int)?),
        T::I8List => AttrValue::I8List(parse_list(s, int)?),
        T::U16List => AttrValue::U16List(parse_list(s, int)?),
        T::I16List => AttrValue::I16List(parse_list(s, int)?),
        T::U32List => AttrValue::U32List(parse_list(s, int)?),
        T::I32List => AttrValue::I32List(parse_list(s, |x| enum_or_int(e, x))?),
        T::VlanList => AttrValue::VlanList(parse_list(s, int)?),
        T::U32Range => {
            let (a, b) = parse_range(s, int).ok_or_else(bad)?;
            AttrValue::U32Range(a, b)
        }
        T::I32Range => {
            let (a, b) = parse_range(s, int).ok_or_else(bad)?;
            AttrValue::I32Range(a, b)
        }
        T::U16RangeList => {
            let flat: Vec<u16> = parse_list(s, int).or_else(|_| {
                // COUNT counts ranges: `N:a,b,c,d` has 2N numbers
                let (c, items) = s.split_once(':').ok_or_else(bad)?;
                let n: usize = c.parse().map_err(|_| bad())?;
                let v: Vec<u16> = items
                    .split(',')
                    .map(|x| int(x).ok_or_else(bad))
                    .collect::<Result<_, _>>()?;
                if v.len() == 2 * n {
                    Ok(v)
                } else {
                    Err(bad())
                }
            })?;
            let pairs = flat.chunks_exact(2);
            if !pairs.remainder().is_empty() {
                return Err(bad());
            }
            AttrValue::U16RangeList(pairs.map(|c| (c[0], c[1])).collect())
        }
        T::QosMapList => parse_qos_map_list(s)?,
        T::MapList => parse_map_list(s)?,
        T::IpAddressList => ip_address_list(
            &parse_list(s, |x| x.parse::<IpAddr>().ok().map(Some))?
                .into_iter()
                .map(|x| x.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)))
                .collect::<Vec<_>>(),
        ),
        T::SegmentList => segment_list(&parse_list(s, ip6)?),
        t if is_acl_field(t) => {
            if s == "disabled" {
                AttrValue::AclField {
                    enable: false,
                    data: AclData::None,
                    mask: AclData::None,
                }
            } else {
                let (d, k) = match s.split_once("&mask:") {
                    Some((d, k)) => (d, Some(k)),
                    None => (s, None),
                };
                let data = acl_data(t, e, d, false)?;
                let mask = match k {
                    Some(k) if has_mask(t) => acl_data(t, e, k, true)?,
                    Some(_) => return Err(format!("{} takes no mask", t.c_name())),
                    None => AclData::None,
                };
                AttrValue::AclField {
                    enable: true,
                    data,
                    mask,
                }
            }
        }
        t if is_acl_action(t) => {
            if s == "disabled" {
                AttrValue::AclAction {
                    enable: false,
                    param: AclData::None,
                }
            } else {
                AttrValue::AclAction {
                    enable: true,
                    param: acl_data(t, e, s, false)?,
                }
            }
        }
        t => {
            return Err(format!(
                "value type {} is not supported by the replayer",
                t.c_name()
            ))
        }
    })
}

/// Rewrites every object id in `v` through `f` (which may fail).
pub fn map_oids<E>(v: &mut AttrValue, f: &mut impl FnMut(u64) -> Result<u64, E>) -> Result<(), E> {
    fn acl<E>(d: &mut AclData, f: &mut impl FnMut(u64) -> Result<u64, E>) -> Result<(), E> {
        match d {
            AclData::Oid(o) => *o = f(*o)?,
            AclData::OidList(l) => {
                for o in l {
                    *o = f(*o)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
    match v {
        AttrValue::Oid(o) => *o = f(*o)?,
        AttrValue::OidList(l) => {
            for o in l {
                *o = f(*o)?;
            }
        }
        AttrValue::AclField { data, mask, .. } => {
            acl(data, f)?;
            acl(mask, f)?;
        }
        AttrValue::AclAction { param, .. } => acl(param, f)?,
        _ => {}
    }
    Ok(())
}

/// JSON names sairedis uses for key members whose C name differs.
fn key_json_names(member: &str) -> &'static [&'static str] {
    match member {
        "vr_id" => &["vr", "vr_id"],
        "destination" => &["dest", "destination"],
        "rif_id" => &["rif", "rif_id"],
        "ip_address" => &["ip", "ip_address"],
        "bv_id" => &["bvid", "bv_id"],
        "mac_address" => &["mac", "mac_address"],
        "src_ip" => &["src_ip", "source"],
        "dst_ip" => &["dst_ip", "destination"],
        "data" => &["nat_data", "data"],
        _ => &[],
    }
}

fn json_str(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn nat_key_bytes(v: &Json, out: &mut Vec<u8>) -> Result<(), String> {
    let get = |k: &str| v.get(k).and_then(json_str).unwrap_or_else(|| "0".into());
    let ip = |k: &str| -> Result<[u8; 4], String> {
        let s = get(k);
        if s == "0" {
            return Ok([0; 4]);
        }
        ip4(&s).ok_or_else(|| format!("NAT key {k}={s:?}"))
    };
    out.extend_from_slice(&ip("src_ip")?);
    out.extend_from_slice(&ip("dst_ip")?);
    out.push(int(&get("proto")).ok_or("NAT key proto")?);
    let p = |k: &str| int::<u16>(&get(k)).ok_or_else(|| format!("NAT key {k}"));
    out.extend_from_slice(&p("l4_src_port")?.to_ne_bytes());
    out.extend_from_slice(&p("l4_dst_port")?.to_ne_bytes());
    Ok(())
}

fn key_member(km: &KeyMember, v: &Json) -> Result<AttrValue, String> {
    if km.value_type == T::NatEntryData {
        let mut flat = Vec::with_capacity(26);
        nat_key_bytes(v.get("key").ok_or("nat_data without key")?, &mut flat)?;
        nat_key_bytes(v.get("mask").ok_or("nat_data without mask")?, &mut flat)?;
        return Ok(AttrValue::Other {
            value_type: T::NatEntryData as u32,
            flat,
            list: None,
            count: 0,
        });
    }
    let s = json_str(v).ok_or_else(|| format!("key member {} is not a string", km.name))?;
    let bad = || {
        format!(
            "key member {}={s:?}: not a valid {}",
            km.name,
            km.value_type.c_name()
        )
    };
    Ok(match km.value_type {
        T::ObjectId => AttrValue::Oid(parse_oid(&s).ok_or_else(bad)?),
        T::Mac => AttrValue::Mac(parse_mac(&s).ok_or_else(bad)?),
        T::U8 => AttrValue::U8(int(&s).ok_or_else(bad)?),
        T::U16 => AttrValue::U16(int(&s).ok_or_else(bad)?),
        T::U32 => AttrValue::U32(int(&s).ok_or_else(bad)?),
        T::I32 => AttrValue::I32(enum_or_int(km.enum_info, &s).ok_or_else(bad)?),
        T::Ipv6 => AttrValue::Ipv6(ip6(&s).ok_or_else(bad)?),
        T::IpAddress => AttrValue::IpAddr(s.parse().map_err(|_| bad())?),
        T::IpPrefix => AttrValue::IpPrefix(parse_prefix(&s).ok_or_else(bad)?),
        T::U32Range => {
            let (a, b) = parse_range(&s, int).ok_or_else(bad)?;
            AttrValue::U32Range(a, b)
        }
        t => return Err(format!("key member type {} not supported", t.c_name())),
    })
}

/// A JSON entry key (`{"dest":"10.0.0.0/24","switch_id":"oid:0x...","vr":"oid:0x..."}`) of entry
/// type `info`, member by member in metadata order.
pub fn parse_entry_key(info: &ObjectTypeInfo, s: &str) -> Result<EntryKey, ParseError> {
    let err = |m: String| ParseError::new(INVALID_PARAMETER, format!("{} key {s}: {m}", info.name));
    let j: Json = serde_json::from_str(s).map_err(|e| err(format!("not JSON: {e}")))?;
    let obj = j
        .as_object()
        .ok_or_else(|| err("not a JSON object".into()))?;
    let mut members = Vec::with_capacity(info.key_members.len());
    for km in info.key_members {
        let names = key_json_names(km.name);
        let v = names
            .iter()
            .chain(std::iter::once(&km.name))
            .find_map(|n| obj.get(*n))
            .ok_or_else(|| err(format!("member {} missing", km.name)))?;
        members.push(key_member(km, v).map_err(err)?);
    }
    Ok(EntryKey {
        ot: info.ot,
        members,
    })
}

/// Object type of a sairedis virtual id (bits 48..55; extension types flagged in bit 55 of older
/// layouts are not decoded).
pub fn vid_object_type(vid: u64) -> u32 {
    u32::try_from((vid >> 48) & 0xFF).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(name: &str, s: &str) -> Result<AttrValue, ParseError> {
        parse_value(meta::attr_by_name(name).expect(name), s, 0)
    }

    #[test]
    fn scalars_and_enums() {
        assert_eq!(
            v("SAI_SWITCH_ATTR_INIT_SWITCH", "true").unwrap(),
            AttrValue::Bool(true)
        );
        assert_eq!(
            v("SAI_PORT_ATTR_MTU", "9100").unwrap(),
            AttrValue::U32(9100)
        );
        assert_eq!(
            v(
                "SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION",
                "SAI_PACKET_ACTION_FORWARD"
            )
            .unwrap(),
            AttrValue::I32(1)
        );
        assert_eq!(
            v("SAI_SWITCH_ATTR_SRC_MAC_ADDRESS", "00:11:11:11:11:1f").unwrap(),
            AttrValue::Mac([0, 0x11, 0x11, 0x11, 0x11, 0x1f])
        );
        assert_eq!(
            v("SAI_NEXT_HOP_ATTR_IP", "fe80::1").unwrap(),
            AttrValue::IpAddr("fe80::1".parse().unwrap())
        );
        assert_eq!(
            v("SAI_SWITCH_ATTR_FDB_EVENT_NOTIFY", "0x417890").unwrap(),
            AttrValue::Pointer(0x417890)
        );
        let AttrValue::Chardata(c) = v("SAI_HOSTIF_ATTR_NAME", "Ethernet0").unwrap() else {
            panic!()
        };
        assert_eq!(&c[..10], b"Ethernet0\0");
        assert!(v("SAI_HOSTIF_ATTR_NAME", &"x".repeat(32)).is_err());
        let e = v(
            "SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION",
            "SAI_PACKET_ACTION_FLY",
        )
        .unwrap_err();
        assert_eq!(e.status, INVALID_ATTR_VALUE_0);
        assert!(v("SAI_PORT_ATTR_MTU", "12x").is_err());
        assert!(v("SAI_PORT_ATTR_ADMIN_STATE", "yes").is_err());
    }

    #[test]
    fn lists_and_oids() {
        assert_eq!(
            v(
                "SAI_SWITCH_ATTR_PORT_LIST",
                "2:oid:0x1000000000002,oid:0x1000000000003"
            )
            .unwrap(),
            AttrValue::OidList(vec![0x1000000000002, 0x1000000000003])
        );
        assert_eq!(
            v("SAI_SWITCH_ATTR_PORT_LIST", "3:null").unwrap(),
            AttrValue::OidList(vec![0; 3])
        );
        assert_eq!(
            v("SAI_SWITCH_ATTR_PORT_LIST", "0:null").unwrap(),
            AttrValue::OidList(vec![])
        );
        assert!(v("SAI_SWITCH_ATTR_PORT_LIST", "3:oid:0x1").is_err());
        assert_eq!(
            v("SAI_PORT_ATTR_HW_LANE_LIST", "4:29,30,31,32").unwrap(),
            AttrValue::U32List(vec![29, 30, 31, 32])
        );
        assert_eq!(
            v(
                "SAI_ACL_TABLE_ATTR_ACL_BIND_POINT_TYPE_LIST",
                "1:SAI_ACL_BIND_POINT_TYPE_PORT"
            )
            .unwrap(),
            AttrValue::I32List(vec![0])
        );
        let mut x = AttrValue::OidList(vec![1, 2]);
        map_oids(&mut x, &mut |o| Ok::<_, ()>(o + 10)).unwrap();
        assert_eq!(x, AttrValue::OidList(vec![11, 12]));
        assert_eq!(parse_oid("oid:0x0"), Some(0));
        assert_eq!(parse_oid("0x12"), None);
        assert_eq!(vid_object_type(0x21000000000000), 0x21);
    }

    #[test]
    fn acl_fields_and_actions() {
        assert_eq!(
            v("SAI_ACL_ENTRY_ATTR_FIELD_DSCP", "8&mask:0x3f").unwrap(),
            AttrValue::AclField {
                enable: true,
                data: AclData::U8(8),
                mask: AclData::U8(0x3f)
            }
        );
        assert_eq!(
            v(
                "SAI_ACL_ENTRY_ATTR_FIELD_SRC_IP",
                "10.0.0.1&mask:255.255.255.0"
            )
            .unwrap(),
            AttrValue::AclField {
                enable: true,
                data: AclData::Ipv4([10, 0, 0, 1]),
                mask: AclData::Ipv4([255, 255, 255, 0])
            }
        );
        assert_eq!(
            v(
                "SAI_ACL_ENTRY_ATTR_ACTION_SET_PACKET_COLOR",
                "SAI_PACKET_COLOR_YELLOW"
            )
            .unwrap(),
            AttrValue::AclAction {
                enable: true,
                param: AclData::I32(1)
            }
        );
        assert_eq!(
            v("SAI_ACL_ENTRY_ATTR_FIELD_DSCP", "disabled").unwrap(),
            AttrValue::AclField {
                enable: false,
                data: AclData::None,
                mask: AclData::None
            }
        );
        assert!(v("SAI_ACL_ENTRY_ATTR_FIELD_DSCP", "8&mask:zz").is_err());
        assert_eq!(
            v(
                "SAI_ACL_ENTRY_ATTR_FIELD_ACL_IP_TYPE",
                "SAI_ACL_IP_TYPE_IPV4ANY&mask:0xffffffff"
            )
            .unwrap(),
            AttrValue::AclField {
                enable: true,
                data: AclData::I32(
                    meta::enum_by_name("sai_acl_ip_type_t")
                        .unwrap()
                        .value_of("SAI_ACL_IP_TYPE_IPV4ANY")
                        .unwrap()
                ),
                mask: AclData::I32(-1)
            }
        );
        assert!(v("SAI_ACL_ENTRY_ATTR_FIELD_ACL_IP_TYPE", "1&mask:0x1ffffffff").is_err());
    }

    #[test]
    fn qos_map_and_keys() {
        let q = v(
            "SAI_QOS_MAP_ATTR_MAP_TO_VALUE_LIST",
            r#"{"count":1,"list":[{"key":{"color":"SAI_PACKET_COLOR_GREEN","dot1p":0,"dscp":0,"pg":0,"prio":0,"qidx":0,"tc":1},"value":{"color":"SAI_PACKET_COLOR_GREEN","dot1p":0,"dscp":0,"pg":1,"prio":0,"qidx":0,"tc":0}}]}"#,
        )
        .unwrap();
        assert_eq!(q.list_len(), Some(1));
        assert!(v("SAI_QOS_MAP_ATTR_MAP_TO_VALUE_LIST", "{nope").is_err());
        assert_eq!(
            v("SAI_SRV6_SIDLIST_ATTR_SEGMENT_LIST", "2:fc00::1,fc00::2")
                .unwrap()
                .list_len(),
            Some(2)
        );

        let info = meta::object_type_by_name("SAI_OBJECT_TYPE_ROUTE_ENTRY").unwrap();
        let k = parse_entry_key(
            info,
            r#"{"dest":"10.0.0.0/24","switch_id":"oid:0x21000000000000","vr":"oid:0x3000000000022"}"#,
        )
        .unwrap();
        assert!(k.members.contains(&AttrValue::Oid(0x3000000000022)));
        assert!(k
            .members
            .contains(&AttrValue::IpPrefix(parse_prefix("10.0.0.0/24").unwrap())));
        assert!(parse_entry_key(info, r#"{"dest":"10.0.0.0/24"}"#).is_err());
        let info = meta::object_type_by_name("SAI_OBJECT_TYPE_NEIGHBOR_ENTRY").unwrap();
        parse_entry_key(
            info,
            r#"{"ip":"10.0.0.1","rif":"oid:0x6000000000001","switch_id":"oid:0x21000000000000"}"#,
        )
        .unwrap();
        assert_eq!(parse_status("SAI_STATUS_SUCCESS"), Some(0));
        assert_eq!(
            parse_status("SAI_STATUS_INVALID_ATTRIBUTE_0+3"),
            Some(-0x10003)
        );
        assert_eq!(parse_status("SAI_STATUS_NOPE"), None);
    }
}
