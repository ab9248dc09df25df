//! Generic calls by object type over a dlopen-ed libsai.so, with attributes as the store's owned
//! [`AttrValue`]s (what a replayer or syncd needs: any object type, any value type).
//!
//! - [`CAttrs`]: C `sai_attribute_t` arrays built from `AttrValue`s by the attribute metadata, with
//!   owned backing storage for every list; read back after a get ([`CAttrs::value`]).
//! - [`CKeys`]: entry keys (route, neighbor, FDB, inseg, NAT, ...) written into the C key structs
//!   at the offsets of `sai_headers::meta` key members.
//! - [`Lib`]: loads the library (reusing the crate's loader and profile service table), resolves
//!   `create_/remove_/set_/get_<ot>` and the bulk methods in the API tables by the ABI's field
//!   names, and calls them.
//! - Notification pointers: [`callback_for`] gives the address of one of our own callbacks of the
//!   right C signature (they count what they receive, see [`notification_count`]).
//!
//! Unsafe code is confined to this module and `raw`; each block names its invariant.
#![allow(
    unsafe_code,
    reason = "the generic half of the FFI boundary lives here"
)]

use std::collections::HashMap;
use std::ffi::c_void;
use std::mem::{offset_of, size_of};
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use libloading::Library;
use sai_headers::ffi as s;
use sai_headers::meta::{self, AttrMeta, AttrValueType as T, ObjectTypeInfo};
use sai_store::{AclData, Attr, AttrValue, EntryKey, IpPrefix};

use crate::raw;

/// A SAI status (`sai_status_t`).
pub type Status = i32;

const SUCCESS: Status = s::SAI_STATUS_SUCCESS;
/// Largest list a get buffer is grown to.
const MAX_LIST: usize = 1 << 20;

fn ranged(base: Status, index: usize) -> Status {
    base - i32::try_from(index.min(0xFFFF)).unwrap_or(0xFFFF)
}

fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

// ------------------------------------------------------------------ QoS maps

/// `sai_qos_map_params_t` (the fields sairedis records).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QosMapParams {
    pub tc: u8,
    pub dscp: u8,
    pub dot1p: u8,
    pub prio: u8,
    pub pg: u8,
    pub queue_index: u8,
    pub color: i32,
    pub mpls_exp: u8,
    pub fc: u8,
}

/// `sai_qos_map_t`: one key -> value mapping.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QosMapEntry {
    pub key: QosMapParams,
    pub value: QosMapParams,
}

fn put_params(b: &mut [u8], base: usize, p: &QosMapParams) {
    type P = s::sai_qos_map_params_t;
    b[base + offset_of!(P, tc)] = p.tc;
    b[base + offset_of!(P, dscp)] = p.dscp;
    b[base + offset_of!(P, dot1p)] = p.dot1p;
    b[base + offset_of!(P, prio)] = p.prio;
    b[base + offset_of!(P, pg)] = p.pg;
    b[base + offset_of!(P, queue_index)] = p.queue_index;
    let c = base + offset_of!(P, color);
    b[c..c + 4].copy_from_slice(&p.color.to_ne_bytes());
    b[base + offset_of!(P, mpls_exp)] = p.mpls_exp;
    b[base + offset_of!(P, fc)] = p.fc;
}

fn get_params(b: &[u8], base: usize) -> QosMapParams {
    type P = s::sai_qos_map_params_t;
    let c = base + offset_of!(P, color);
    let mut color = [0u8; 4];
    color.copy_from_slice(&b[c..c + 4]);
    QosMapParams {
        tc: b[base + offset_of!(P, tc)],
        dscp: b[base + offset_of!(P, dscp)],
        dot1p: b[base + offset_of!(P, dot1p)],
        prio: b[base + offset_of!(P, prio)],
        pg: b[base + offset_of!(P, pg)],
        queue_index: b[base + offset_of!(P, queue_index)],
        color: i32::from_ne_bytes(color),
        mpls_exp: b[base + offset_of!(P, mpls_exp)],
        fc: b[base + offset_of!(P, fc)],
    }
}

/// A `SAI_ATTR_VALUE_TYPE_QOS_MAP_LIST` value in the store's raw form (the `sai_qos_map_t`
/// elements as bytes, as libsai keeps them).
pub fn qos_map_list(items: &[QosMapEntry]) -> AttrValue {
    let es = size_of::<s::sai_qos_map_t>();
    let mut bytes = vec![0u8; items.len() * es];
    for (i, it) in items.iter().enumerate() {
        put_params(
            &mut bytes,
            i * es + offset_of!(s::sai_qos_map_t, key),
            &it.key,
        );
        put_params(
            &mut bytes,
            i * es + offset_of!(s::sai_qos_map_t, value),
            &it.value,
        );
    }
    AttrValue::Other {
        value_type: T::QosMapList as u32,
        flat: vec![0u8; size_of::<s::sai_qos_map_list_t>()],
        list: Some(bytes),
        count: len_u32(items.len()),
    }
}

/// The entries of a QoS map list value built by [`qos_map_list`] or read back from a get.
pub fn qos_map_entries(v: &AttrValue) -> Option<Vec<QosMapEntry>> {
    let AttrValue::Other {
        value_type,
        list: Some(bytes),
        ..
    } = v
    else {
        return None;
    };
    if *value_type != T::QosMapList as u32 {
        return None;
    }
    let es = size_of::<s::sai_qos_map_t>();
    Some(
        bytes
            .chunks_exact(es)
            .map(|c| QosMapEntry {
                key: get_params(c, offset_of!(s::sai_qos_map_t, key)),
                value: get_params(c, offset_of!(s::sai_qos_map_t, value)),
            })
            .collect(),
    )
}

/// A list value of `Other` type `t` from raw element bytes (`elem` bytes each).
fn raw_list_value(t: T, flat_size: usize, bytes: Vec<u8>, count: usize) -> AttrValue {
    AttrValue::Other {
        value_type: t as u32,
        flat: vec![0u8; flat_size],
        list: Some(bytes),
        count: len_u32(count),
    }
}

/// A `SAI_ATTR_VALUE_TYPE_MAP_LIST` value (`sai_map_t` key/value pairs).
pub fn map_list(items: &[(u32, i32)]) -> AttrValue {
    let es = size_of::<s::sai_map_t>();
    let mut b = vec![0u8; items.len() * es];
    for (i, (k, v)) in items.iter().enumerate() {
        let k0 = i * es + offset_of!(s::sai_map_t, key);
        let v0 = i * es + offset_of!(s::sai_map_t, value);
        b[k0..k0 + 4].copy_from_slice(&k.to_ne_bytes());
        b[v0..v0 + 4].copy_from_slice(&v.to_ne_bytes());
    }
    raw_list_value(T::MapList, size_of::<s::sai_map_list_t>(), b, items.len())
}

/// A `SAI_ATTR_VALUE_TYPE_IP_ADDRESS_LIST` value.
pub fn ip_address_list(items: &[IpAddr]) -> AttrValue {
    type A = s::sai_ip_address_t;
    let es = size_of::<A>();
    let mut b = vec![0u8; items.len() * es];
    for (i, ip) in items.iter().enumerate() {
        let f0 = i * es + offset_of!(A, addr_family);
        let a0 = i * es + offset_of!(A, addr);
        let (fam, bytes): (u32, Vec<u8>) = match ip {
            IpAddr::V4(a) => (s::SAI_IP_ADDR_FAMILY_IPV4, a.octets().to_vec()),
            IpAddr::V6(a) => (s::SAI_IP_ADDR_FAMILY_IPV6, a.octets().to_vec()),
        };
        b[f0..f0 + 4].copy_from_slice(&fam.to_ne_bytes());
        b[a0..a0 + bytes.len()].copy_from_slice(&bytes);
    }
    raw_list_value(
        T::IpAddressList,
        size_of::<s::sai_ip_address_list_t>(),
        b,
        items.len(),
    )
}

/// A `SAI_ATTR_VALUE_TYPE_SEGMENT_LIST` value (IPv6 segments).
pub fn segment_list(items: &[[u8; 16]]) -> AttrValue {
    let b: Vec<u8> = items.iter().flatten().copied().collect();
    raw_list_value(
        T::SegmentList,
        size_of::<s::sai_segment_list_t>(),
        b,
        items.len(),
    )
}

// ------------------------------------------------------------------ attribute marshalling

/// The buffer behind one attribute's list member (kept alive and read back after a get).
enum Buf {
    None,
    Oid(Vec<u64>),
    U8(Vec<u8>),
    I8(Vec<i8>),
    U16(Vec<u16>),
    I16(Vec<i16>),
    U32(Vec<u32>),
    I32(Vec<i32>),
    U16Range(Vec<s::sai_u16_range_t>),
    /// Raw elements of `elem` bytes in 8-byte aligned storage.
    Raw(Vec<u64>, usize),
    /// ACL data and mask u8 lists.
    AclU8(Vec<u8>, Vec<u8>),
}

/// Element size of the `Other` list value types this module can carry.
fn raw_list_elem(t: T) -> Option<usize> {
    Some(match t {
        T::QosMapList => size_of::<s::sai_qos_map_t>(),
        T::MapList => size_of::<s::sai_map_t>(),
        T::IpAddressList => size_of::<s::sai_ip_address_t>(),
        T::SegmentList => size_of::<s::sai_ip6_t>(),
        _ => return None,
    })
}

fn ip_to_c(ip: &IpAddr) -> s::sai_ip_address_t {
    match ip {
        IpAddr::V4(a) => s::sai_ip_address_t {
            addr_family: s::SAI_IP_ADDR_FAMILY_IPV4,
            addr: s::sai_ip_addr_t {
                ip6: ip4_padded(a.octets()),
            },
        },
        IpAddr::V6(a) => s::sai_ip_address_t {
            addr_family: s::SAI_IP_ADDR_FAMILY_IPV6,
            addr: s::sai_ip_addr_t { ip6: a.octets() },
        },
    }
}

/// An IPv4 address in a zeroed 16-byte union (no byte left undefined).
fn ip4_padded(o: [u8; 4]) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..4].copy_from_slice(&o);
    b
}

fn ip_from_c(a: &s::sai_ip_address_t) -> Option<IpAddr> {
    // SAFETY: both union members are plain byte arrays / integers; every bit pattern is valid.
    let b = unsafe { a.addr.ip6 };
    match a.addr_family {
        s::SAI_IP_ADDR_FAMILY_IPV4 => Some(IpAddr::from([b[0], b[1], b[2], b[3]])),
        s::SAI_IP_ADDR_FAMILY_IPV6 => Some(IpAddr::from(b)),
        _ => None,
    }
}

fn prefix_to_c(p: &IpPrefix) -> Option<s::sai_ip_prefix_t> {
    let a = ip_to_c(&p.addr);
    let m = ip_to_c(&p.mask);
    (a.addr_family == m.addr_family).then_some(s::sai_ip_prefix_t {
        addr_family: a.addr_family,
        addr: a.addr,
        mask: m.addr,
    })
}

fn prefix_from_c(p: &s::sai_ip_prefix_t) -> Option<IpPrefix> {
    let f = |addr| {
        ip_from_c(&s::sai_ip_address_t {
            addr_family: p.addr_family,
            addr,
        })
    };
    Some(IpPrefix {
        addr: f(p.addr)?,
        mask: f(p.mask)?,
    })
}

fn chardata_to_c(c: &[u8; 32]) -> [std::ffi::c_char; 32] {
    let mut out = [0 as std::ffi::c_char; 32];
    for (d, b) in out.iter_mut().zip(c) {
        *d = std::ffi::c_char::from_ne_bytes([*b]);
    }
    out
}

fn zeroed_value() -> s::sai_attribute_value_t {
    // SAFETY: sai_attribute_value_t is a C union of integers, arrays, raw pointers and structs of
    // those; the all-zero bit pattern is a valid value of every member.
    unsafe { std::mem::zeroed() }
}

fn acl_field_to_c(
    t: T,
    enable: bool,
    data: &AclData,
    mask: &AclData,
    buf: &mut Buf,
) -> Option<s::sai_acl_field_data_t> {
    // SAFETY: plain C struct of integers/unions/pointers; all-zero is valid.
    let mut f: s::sai_acl_field_data_t = unsafe { std::mem::zeroed() };
    f.enable = u8::from(enable);
    if !enable {
        return Some(f);
    }
    match data {
        AclData::None => {}
        AclData::Bool(b) => f.data.booldata = u8::from(*b),
        AclData::U8(x) => f.data.u8 = *x,
        AclData::I8(x) => f.data.s8 = *x,
        AclData::U16(x) => f.data.u16 = *x,
        AclData::I16(x) => f.data.s16 = *x,
        AclData::U32(x) => f.data.u32 = *x,
        AclData::I32(x) => f.data.s32 = *x,
        AclData::U64(x) => f.data.u64 = *x,
        AclData::Mac(x) => f.data.mac = *x,
        AclData::Ipv4(x) => f.data.ip4 = u32::from_ne_bytes(*x),
        AclData::Ipv6(x) => f.data.ip6 = *x,
        AclData::Oid(x) => f.data.oid = *x,
        AclData::OidList(l) => {
            let mut v = l.clone();
            f.data.objlist = s::sai_object_list_t {
                count: len_u32(v.len()),
                list: v.as_mut_ptr(),
            };
            *buf = Buf::Oid(v);
        }
        AclData::U8List(l) => {
            let mut d = l.clone();
            let mut m = match mask {
                AclData::U8List(m) => m.clone(),
                _ => Vec::new(),
            };
            f.data.u8list = s::sai_u8_list_t {
                count: len_u32(d.len()),
                list: d.as_mut_ptr(),
            };
            f.mask.u8list = s::sai_u8_list_t {
                count: len_u32(m.len()),
                list: m.as_mut_ptr(),
            };
            *buf = Buf::AclU8(d, m);
        }
        AclData::IpAddr(_) => return None,
    }
    if t == T::AclFieldDataU8List {
        return Some(f);
    }
    match mask {
        AclData::U8(x) => f.mask.u8 = *x,
        AclData::I8(x) => f.mask.s8 = *x,
        AclData::U16(x) => f.mask.u16 = *x,
        AclData::I16(x) => f.mask.s16 = *x,
        AclData::U32(x) => f.mask.u32 = *x,
        AclData::I32(x) => f.mask.s32 = *x,
        AclData::U64(x) => f.mask.u64 = *x,
        AclData::Mac(x) => f.mask.mac = *x,
        AclData::Ipv4(x) => f.mask.ip4 = u32::from_ne_bytes(*x),
        AclData::Ipv6(x) => f.mask.ip6 = *x,
        _ => {}
    }
    Some(f)
}

fn acl_action_to_c(enable: bool, p: &AclData, buf: &mut Buf) -> s::sai_acl_action_data_t {
    // SAFETY: plain C struct of integers/unions/pointers; all-zero is valid.
    let mut a: s::sai_acl_action_data_t = unsafe { std::mem::zeroed() };
    a.enable = u8::from(enable);
    if !enable {
        return a;
    }
    let q = &mut a.parameter;
    match p {
        AclData::None => {}
        AclData::Bool(b) => q.booldata = u8::from(*b),
        AclData::U8(x) => q.u8 = *x,
        AclData::I8(x) => q.s8 = *x,
        AclData::U16(x) => q.u16 = *x,
        AclData::I16(x) => q.s16 = *x,
        AclData::U32(x) => q.u32 = *x,
        AclData::I32(x) => q.s32 = *x,
        AclData::Mac(x) => q.mac = *x,
        AclData::Ipv4(x) => q.ip4 = u32::from_ne_bytes(*x),
        AclData::Ipv6(x) => q.ip6 = *x,
        AclData::IpAddr(ip) => q.ipaddr = ip_to_c(ip),
        AclData::Oid(x) => q.oid = *x,
        AclData::OidList(l) => {
            let mut v = l.clone();
            q.objlist = s::sai_object_list_t {
                count: len_u32(v.len()),
                list: v.as_mut_ptr(),
            };
            *buf = Buf::Oid(v);
        }
        AclData::U8List(_) | AclData::U64(_) => {}
    }
    a
}

macro_rules! list_in {
    ($v:ident, $member:ident, $cty:ident, $l:expr, $buf:ident, $variant:ident) => {{
        let mut items = $l.clone();
        $v.$member = s::$cty {
            count: len_u32(items.len()),
            list: items.as_mut_ptr(),
        };
        *$buf = Buf::$variant(items);
    }};
}

/// One value into its C union member (lists into `buf`). `None` when the value does not have the
/// shape of the attribute's type.
fn value_to_c(m: &AttrMeta, val: &AttrValue, buf: &mut Buf) -> Option<s::sai_attribute_value_t> {
    use AttrValue as V;
    let mut v = zeroed_value();
    let t = m.value_type;
    match (t, val) {
        (T::Bool, V::Bool(b)) => v.booldata = u8::from(*b),
        (T::Chardata, V::Chardata(c)) => v.chardata = chardata_to_c(c),
        (T::U8, V::U8(x)) => v.u8 = *x,
        (T::I8, V::I8(x)) => v.s8 = *x,
        (T::U16, V::U16(x)) => v.u16 = *x,
        (T::I16, V::I16(x)) => v.s16 = *x,
        (T::U32, V::U32(x)) => v.u32 = *x,
        (T::I32, V::I32(x)) => v.s32 = *x,
        (T::U64, V::U64(x)) => v.u64 = *x,
        (T::I64, V::I64(x)) => v.s64 = *x,
        (T::Pointer, V::Pointer(p)) => v.ptr = std::ptr::without_provenance_mut(*p),
        (T::Mac, V::Mac(x)) => v.mac = *x,
        (T::Ipv4, V::Ipv4(x)) => v.ip4 = u32::from_ne_bytes(*x),
        (T::Ipv6, V::Ipv6(x)) => v.ip6 = *x,
        (T::IpAddress, V::IpAddr(ip)) => v.ipaddr = ip_to_c(ip),
        (T::IpPrefix, V::IpPrefix(p)) => v.ipprefix = prefix_to_c(p)?,
        (T::ObjectId, V::Oid(o)) => v.oid = *o,
        (T::ObjectList, V::OidList(l)) => list_in!(v, objlist, sai_object_list_t, l, buf, Oid),
        (T::U8List, V::U8List(l)) => list_in!(v, u8list, sai_u8_list_t, l, buf, U8),
        (T::I8List, V::I8List(l)) => list_in!(v, s8list, sai_s8_list_t, l, buf, I8),
        (T::U16List, V::U16List(l)) => list_in!(v, u16list, sai_u16_list_t, l, buf, U16),
        (T::I16List, V::I16List(l)) => list_in!(v, s16list, sai_s16_list_t, l, buf, I16),
        (T::U32List, V::U32List(l)) => list_in!(v, u32list, sai_u32_list_t, l, buf, U32),
        (T::I32List, V::I32List(l)) => list_in!(v, s32list, sai_s32_list_t, l, buf, I32),
        (T::VlanList, V::VlanList(l)) => list_in!(v, vlanlist, sai_vlan_list_t, l, buf, U16),
        (T::U32Range, V::U32Range(a, b)) => v.u32range = s::sai_u32_range_t { min: *a, max: *b },
        (T::I32Range, V::I32Range(a, b)) => v.s32range = s::sai_s32_range_t { min: *a, max: *b },
        (T::U16RangeList, V::U16RangeList(l)) => {
            let r: Vec<s::sai_u16_range_t> = l
                .iter()
                .map(|(a, b)| s::sai_u16_range_t { min: *a, max: *b })
                .collect();
            list_in!(v, u16rangelist, sai_u16_range_list_t, r, buf, U16Range);
        }
        (t, V::AclField { enable, data, mask }) if m.is_acl_field || is_acl_field(t) => {
            v.aclfield = acl_field_to_c(t, *enable, data, mask, buf)?;
        }
        (_, V::AclAction { enable, param }) if m.is_acl_action || is_acl_action(t) => {
            v.aclaction = acl_action_to_c(*enable, param, buf);
        }
        (
            t,
            V::Other {
                value_type,
                flat,
                list,
                count,
            },
        ) if *value_type == t as u32 => {
            let n = flat.len().min(size_of::<s::sai_attribute_value_t>());
            // SAFETY: `n` bytes fit in the union (bounded above); the source is a live Vec of at
            // least `n` bytes; the two do not overlap.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    flat.as_ptr(),
                    std::ptr::from_mut(&mut v).cast::<u8>(),
                    n,
                );
            }
            if let Some(bytes) = list {
                let es = raw_list_elem(t)?;
                let want = usize::try_from(*count).ok()?;
                if bytes.len() != want.checked_mul(es)? {
                    return None;
                }
                let mut words: Vec<u64> = vec![0; bytes.len().div_ceil(8).max(1)];
                for (w, c) in words.iter_mut().zip(bytes.chunks(8)) {
                    let mut b = [0u8; 8];
                    b[..c.len()].copy_from_slice(c);
                    *w = u64::from_ne_bytes(b);
                }
                let p = words.as_mut_ptr().cast::<c_void>();
                match t {
                    T::QosMapList => {
                        v.qosmap = s::sai_qos_map_list_t {
                            count: *count,
                            list: p.cast(),
                        }
                    }
                    T::MapList => {
                        v.maplist = s::sai_map_list_t {
                            count: *count,
                            list: p.cast(),
                        }
                    }
                    T::IpAddressList => {
                        v.ipaddrlist = s::sai_ip_address_list_t {
                            count: *count,
                            list: p.cast(),
                        }
                    }
                    T::SegmentList => {
                        v.segmentlist = s::sai_segment_list_t {
                            count: *count,
                            list: p.cast(),
                        }
                    }
                    _ => return None,
                }
                *buf = Buf::Raw(words, es);
            }
        }
        _ => return None,
    }
    Some(v)
}

fn is_acl_field(t: T) -> bool {
    (T::AclFieldDataBool as u32..=T::AclFieldDataU8List as u32).contains(&(t as u32))
}
fn is_acl_action(t: T) -> bool {
    (T::AclActionDataBool as u32..=T::AclActionDataObjectList as u32).contains(&(t as u32))
}

/// The `count` of the list member of `v` for value type `t` (None for non-list types).
fn list_count(t: T, v: &s::sai_attribute_value_t) -> Option<u32> {
    // SAFETY: every `{count, list}` member starts with the u32 count; the member read is the one
    // the value type names, and any bit pattern is a valid u32.
    unsafe {
        Some(match t {
            T::ObjectList => v.objlist.count,
            T::U8List => v.u8list.count,
            T::I8List => v.s8list.count,
            T::U16List => v.u16list.count,
            T::I16List => v.s16list.count,
            T::U32List => v.u32list.count,
            T::I32List => v.s32list.count,
            T::VlanList => v.vlanlist.count,
            T::U16RangeList => v.u16rangelist.count,
            T::QosMapList => v.qosmap.count,
            T::MapList => v.maplist.count,
            T::IpAddressList => v.ipaddrlist.count,
            T::SegmentList => v.segmentlist.count,
            _ => return None,
        })
    }
}

fn take<X: Copy>(v: &[X], count: u32) -> Option<Vec<X>> {
    v.get(..usize::try_from(count).ok()?).map(<[X]>::to_vec)
}

/// Reads the value of attribute `m` back from `v` (after a get), lists from `buf`.
fn value_from_c(m: &AttrMeta, v: &s::sai_attribute_value_t, buf: &Buf) -> Option<AttrValue> {
    use AttrValue as V;
    let t = m.value_type;
    let n = list_count(t, v).unwrap_or(0);
    // SAFETY: each union read is of the member the metadata names, which value_to_c initialised
    // and the library wrote (int/array members accept any bits); lists: our buffers, in bounds.
    unsafe {
        Some(match (t, buf) {
            (T::Bool, _) => V::Bool(v.booldata != 0),
            (T::Chardata, _) => {
                let mut c = [0u8; 32];
                for (d, x) in c.iter_mut().zip(v.chardata.iter()) {
                    *d = x.to_ne_bytes()[0];
                }
                V::Chardata(c)
            }
            (T::U8, _) => V::U8(v.u8),
            (T::I8, _) => V::I8(v.s8),
            (T::U16, _) => V::U16(v.u16),
            (T::I16, _) => V::I16(v.s16),
            (T::U32, _) => V::U32(v.u32),
            (T::I32, _) => V::I32(v.s32),
            (T::U64, _) => V::U64(v.u64),
            (T::I64, _) => V::I64(v.s64),
            (T::Pointer, _) => V::Pointer(v.ptr as usize),
            (T::Mac, _) => V::Mac(v.mac),
            (T::Ipv4, _) => V::Ipv4(v.ip4.to_ne_bytes()),
            (T::Ipv6, _) => V::Ipv6(v.ip6),
            (T::IpAddress, _) => V::IpAddr(ip_from_c(&v.ipaddr)?),
            (T::IpPrefix, _) => V::IpPrefix(prefix_from_c(&v.ipprefix)?),
            (T::ObjectId, _) => V::Oid(v.oid),
            (T::U32Range, _) => V::U32Range(v.u32range.min, v.u32range.max),
            (T::I32Range, _) => V::I32Range(v.s32range.min, v.s32range.max),
            (T::ObjectList, Buf::Oid(b)) => V::OidList(take(b, n)?),
            (T::U8List, Buf::U8(b)) => V::U8List(take(b, n)?),
            (T::I8List, Buf::I8(b)) => V::I8List(take(b, n)?),
            (T::U16List, Buf::U16(b)) => V::U16List(take(b, n)?),
            (T::I16List, Buf::I16(b)) => V::I16List(take(b, n)?),
            (T::U32List, Buf::U32(b)) => V::U32List(take(b, n)?),
            (T::I32List, Buf::I32(b)) => V::I32List(take(b, n)?),
            (T::VlanList, Buf::U16(b)) => V::VlanList(take(b, n)?),
            (T::U16RangeList, Buf::U16Range(b)) => {
                V::U16RangeList(take(b, n)?.into_iter().map(|r| (r.min, r.max)).collect())
            }
            (t, Buf::Raw(words, es)) => {
                let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
                let len = usize::try_from(n).ok()?.checked_mul(*es)?;
                raw_list_value(
                    t,
                    size_of::<s::sai_qos_map_list_t>(),
                    bytes.get(..len)?.to_vec(),
                    usize::try_from(n).ok()?,
                )
            }
            (t, _) if is_acl_field(t) => acl_field_from_c(t, &v.aclfield, buf)?,
            (t, _) if is_acl_action(t) => acl_action_from_c(t, &v.aclaction, buf)?,
            _ => return None,
        })
    }
}

fn acl_field_from_c(t: T, f: &s::sai_acl_field_data_t, buf: &Buf) -> Option<AttrValue> {
    if f.enable == 0 {
        return Some(AttrValue::AclField {
            enable: false,
            data: AclData::None,
            mask: AclData::None,
        });
    }
    let (d, k) = (&f.data, &f.mask);
    // SAFETY: the members read are those the value type names; integers accept any bits; lists
    // come from our own buffers.
    let (data, mask) = unsafe {
        match (t, buf) {
            (T::AclFieldDataBool, _) => (AclData::Bool(d.booldata != 0), AclData::None),
            (T::AclFieldDataU8, _) => (AclData::U8(d.u8), AclData::U8(k.u8)),
            (T::AclFieldDataI8, _) => (AclData::I8(d.s8), AclData::I8(k.s8)),
            (T::AclFieldDataU16, _) => (AclData::U16(d.u16), AclData::U16(k.u16)),
            (T::AclFieldDataI16, _) => (AclData::I16(d.s16), AclData::I16(k.s16)),
            (T::AclFieldDataU32, _) => (AclData::U32(d.u32), AclData::U32(k.u32)),
            (T::AclFieldDataI32, _) => (AclData::I32(d.s32), AclData::I32(k.s32)),
            (T::AclFieldDataU64, _) => (AclData::U64(d.u64), AclData::U64(k.u64)),
            (T::AclFieldDataMac, _) => (AclData::Mac(d.mac), AclData::Mac(k.mac)),
            (T::AclFieldDataIpv4, _) => (
                AclData::Ipv4(d.ip4.to_ne_bytes()),
                AclData::Ipv4(k.ip4.to_ne_bytes()),
            ),
            (T::AclFieldDataIpv6, _) => (AclData::Ipv6(d.ip6), AclData::Ipv6(k.ip6)),
            (T::AclFieldDataObjectId, _) => (AclData::Oid(d.oid), AclData::None),
            (T::AclFieldDataObjectList, Buf::Oid(b)) => {
                (AclData::OidList(take(b, d.objlist.count)?), AclData::None)
            }
            (T::AclFieldDataU8List, Buf::AclU8(bd, bm)) => (
                AclData::U8List(take(bd, d.u8list.count)?),
                AclData::U8List(take(bm, k.u8list.count)?),
            ),
            _ => return None,
        }
    };
    Some(AttrValue::AclField {
        enable: true,
        data,
        mask,
    })
}

fn acl_action_from_c(t: T, a: &s::sai_acl_action_data_t, buf: &Buf) -> Option<AttrValue> {
    if a.enable == 0 {
        return Some(AttrValue::AclAction {
            enable: false,
            param: AclData::None,
        });
    }
    let p = &a.parameter;
    // SAFETY: as in acl_field_from_c.
    let param = unsafe {
        match (t, buf) {
            (T::AclActionDataBool, _) => AclData::Bool(p.booldata != 0),
            (T::AclActionDataU8, _) => AclData::U8(p.u8),
            (T::AclActionDataI8, _) => AclData::I8(p.s8),
            (T::AclActionDataU16, _) => AclData::U16(p.u16),
            (T::AclActionDataI16, _) => AclData::I16(p.s16),
            (T::AclActionDataU32, _) => AclData::U32(p.u32),
            (T::AclActionDataI32, _) => AclData::I32(p.s32),
            (T::AclActionDataMac, _) => AclData::Mac(p.mac),
            (T::AclActionDataIpv4, _) => AclData::Ipv4(p.ip4.to_ne_bytes()),
            (T::AclActionDataIpv6, _) => AclData::Ipv6(p.ip6),
            (T::AclActionDataIpAddress, _) => AclData::IpAddr(ip_from_c(&p.ipaddr)?),
            (T::AclActionDataObjectId, _) => AclData::Oid(p.oid),
            (T::AclActionDataObjectList, Buf::Oid(b)) => {
                AclData::OidList(take(b, p.objlist.count)?)
            }
            _ => return None,
        }
    };
    Some(AttrValue::AclAction {
        enable: true,
        param,
    })
}

/// A C attribute array with owned backing storage for every list it points to.
pub struct CAttrs {
    ot: u32,
    raw: Vec<s::sai_attribute_t>,
    bufs: Vec<Buf>,
}

impl std::fmt::Debug for CAttrs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CAttrs")
            .field("ot", &self.ot)
            .field("len", &self.raw.len())
            .finish()
    }
}

impl CAttrs {
    /// Builds the C attributes of object type `ot`. Errors: `SAI_STATUS_INVALID_OBJECT_TYPE`,
    /// `SAI_STATUS_UNKNOWN_ATTRIBUTE_0 + i` (no such attribute), `SAI_STATUS_INVALID_ATTR_VALUE_0 + i`
    /// (the value does not have the attribute's shape or cannot be carried).
    pub fn new(ot: u32, attrs: &[Attr]) -> Result<CAttrs, Status> {
        let info = meta::object_type(ot).ok_or(s::SAI_STATUS_INVALID_OBJECT_TYPE)?;
        let mut raw = Vec::with_capacity(attrs.len());
        let mut bufs = Vec::with_capacity(attrs.len());
        for (i, a) in attrs.iter().enumerate() {
            let m = info
                .attr(a.id)
                .ok_or(ranged(s::SAI_STATUS_UNKNOWN_ATTRIBUTE_0, i))?;
            let mut b = Buf::None;
            let value = value_to_c(m, &a.value, &mut b)
                .ok_or(ranged(s::SAI_STATUS_INVALID_ATTR_VALUE_0, i))?;
            raw.push(s::sai_attribute_t { id: a.id, value });
            bufs.push(b);
        }
        Ok(CAttrs { ot, raw, bufs })
    }

    pub fn len(&self) -> usize {
        self.raw.len()
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    fn count(&self) -> u32 {
        len_u32(self.raw.len())
    }

    /// The value of attribute `i` as the library left it (after a successful get).
    pub fn value(&self, i: usize) -> Option<AttrValue> {
        let a = self.raw.get(i)?;
        let m = meta::attr(self.ot, a.id)?;
        value_from_c(m, &a.value, self.bufs.get(i)?)
    }

    /// The list count of attribute `i` as the library left it (the needed count after
    /// `SAI_STATUS_BUFFER_OVERFLOW`); None for non-list attributes.
    pub fn list_count(&self, i: usize) -> Option<u32> {
        let a = self.raw.get(i)?;
        list_count(meta::attr(self.ot, a.id)?.value_type, &a.value)
    }
}

// ------------------------------------------------------------------ entry keys

fn record_size(name: &str) -> Option<usize> {
    s::RECORD_LAYOUTS.iter().find(|r| r.0 == name).map(|r| r.1)
}

fn field_offset(record: &str, field: &str) -> Option<usize> {
    s::FIELD_OFFSETS
        .iter()
        .find(|r| r.0 == record && r.1 == field)
        .map(|r| r.2)
}

/// Writes `x` at byte offset `off` of `buf` (bounds checked).
fn put<X: Copy>(buf: &mut [u64], off: usize, x: X) -> Result<(), Status> {
    let end = off
        .checked_add(size_of::<X>())
        .ok_or(s::SAI_STATUS_FAILURE)?;
    if end > buf.len() * 8 {
        return Err(s::SAI_STATUS_FAILURE);
    }
    // SAFETY: `off..end` lies within the buffer (checked above); write_unaligned has no alignment
    // requirement; X is a plain Copy C value.
    unsafe {
        buf.as_mut_ptr()
            .cast::<u8>()
            .add(off)
            .cast::<X>()
            .write_unaligned(x)
    };
    Ok(())
}

fn nat_key(b: &[u8]) -> Option<s::sai_nat_entry_key_t> {
    Some(s::sai_nat_entry_key_t {
        src_ip: u32::from_ne_bytes(b.get(0..4)?.try_into().ok()?),
        dst_ip: u32::from_ne_bytes(b.get(4..8)?.try_into().ok()?),
        proto: *b.get(8)?,
        l4_src_port: u16::from_ne_bytes(b.get(9..11)?.try_into().ok()?),
        l4_dst_port: u16::from_ne_bytes(b.get(11..13)?.try_into().ok()?),
    })
}

/// An array of C entry key structs (one or more, for bulk calls) in aligned storage.
#[derive(Debug)]
pub struct CKeys {
    words: Vec<u64>,
    stride: usize,
    n: usize,
}

impl CKeys {
    /// Writes `keys` (all of the same entry type) into C key structs.
    pub fn new(keys: &[&EntryKey]) -> Result<CKeys, Status> {
        let ot = keys.first().map_or(0, |k| k.ot);
        let info = meta::object_type(ot).ok_or(s::SAI_STATUS_INVALID_OBJECT_TYPE)?;
        let stride = info
            .key_struct
            .and_then(record_size)
            .ok_or(s::SAI_STATUS_INVALID_OBJECT_TYPE)?;
        let mut words = vec![0u64; (stride * keys.len()).div_ceil(8).max(1)];
        for (i, k) in keys.iter().enumerate() {
            if k.ot != ot || k.members.len() != info.key_members.len() {
                return Err(s::SAI_STATUS_INVALID_PARAMETER);
            }
            for (km, v) in info.key_members.iter().zip(&k.members) {
                let off = i * stride + km.offset;
                match v {
                    AttrValue::Oid(o) => put(&mut words, off, *o)?,
                    AttrValue::Mac(m) => put(&mut words, off, *m)?,
                    AttrValue::U8(x) => put(&mut words, off, *x)?,
                    AttrValue::U16(x) => put(&mut words, off, *x)?,
                    AttrValue::U32(x) => put(&mut words, off, *x)?,
                    AttrValue::I32(x) => put(&mut words, off, *x)?,
                    AttrValue::Ipv6(x) => put(&mut words, off, *x)?,
                    AttrValue::U32Range(a, b) => {
                        put(&mut words, off, s::sai_u32_range_t { min: *a, max: *b })?;
                    }
                    AttrValue::IpAddr(ip) => put(&mut words, off, ip_to_c(ip))?,
                    AttrValue::IpPrefix(p) => put(
                        &mut words,
                        off,
                        prefix_to_c(p).ok_or(s::SAI_STATUS_INVALID_PARAMETER)?,
                    )?,
                    AttrValue::Other { flat, .. } if km.value_type == T::NatEntryData => {
                        let key = nat_key(flat).ok_or(s::SAI_STATUS_INVALID_PARAMETER)?;
                        let m = nat_key(flat.get(13..).unwrap_or(&[]))
                            .ok_or(s::SAI_STATUS_INVALID_PARAMETER)?;
                        let mask = s::sai_nat_entry_mask_t {
                            src_ip: m.src_ip,
                            dst_ip: m.dst_ip,
                            proto: m.proto,
                            l4_src_port: m.l4_src_port,
                            l4_dst_port: m.l4_dst_port,
                        };
                        put(&mut words, off, s::sai_nat_entry_data_t { key, mask })?;
                    }
                    _ => return Err(s::SAI_STATUS_INVALID_PARAMETER),
                }
            }
        }
        Ok(CKeys {
            words,
            stride,
            n: keys.len(),
        })
    }

    fn ptr(&self, i: usize) -> *const u8 {
        debug_assert!(i < self.n.max(1));
        self.words
            .as_ptr()
            .cast::<u8>()
            .wrapping_add(i * self.stride)
    }
}

// ------------------------------------------------------------------ notification callbacks

static NOTIFICATIONS: AtomicU64 = AtomicU64::new(0);

/// How many notifications our callbacks have received (all kinds).
pub fn notification_count() -> u64 {
    NOTIFICATIONS.load(Ordering::Relaxed)
}

fn note() {
    NOTIFICATIONS.fetch_add(1, Ordering::Relaxed);
}

unsafe extern "C" fn cb_count_data(_count: u32, _data: *const c_void) {
    note();
}
unsafe extern "C" fn cb_switch(_switch_id: s::sai_object_id_t) {
    note();
}
unsafe extern "C" fn cb_switch_status(_switch_id: s::sai_object_id_t, _status: u32) {
    note();
}
unsafe extern "C" fn cb_packet(
    _switch_id: s::sai_object_id_t,
    _size: s::sai_size_t,
    _buffer: *const c_void,
    _attr_count: u32,
    _attrs: *const s::sai_attribute_t,
) {
    note();
}
unsafe extern "C" fn cb_tx_ready(
    _switch_id: s::sai_object_id_t,
    _port: s::sai_object_id_t,
    _st: u32,
) {
    note();
}

/// The address of our own callback for a notification pointer attribute (by its
/// `sai_switch_pointer_type_t` / notification type in the metadata), or None when we have none of
/// that C signature (the caller should then pass NULL).
pub fn callback_for(m: &AttrMeta) -> Option<usize> {
    // Each arm's function has exactly the C signature of the notification type it is used for
    // (checked by the assignments to the ffi typedefs below).
    let kind = m.pointer_type?;
    let f: usize = match kind {
        s::SAI_SWITCH_POINTER_TYPE_SWITCH_STATE_CHANGE => {
            let f: s::sai_switch_state_change_notification_fn = Some(cb_switch_status);
            f? as usize
        }
        s::SAI_SWITCH_POINTER_TYPE_SWITCH_SHUTDOWN_REQUEST => {
            let f: s::sai_switch_shutdown_request_notification_fn = Some(cb_switch);
            f? as usize
        }
        s::SAI_SWITCH_POINTER_TYPE_PACKET_EVENT => {
            let f: s::sai_packet_event_notification_fn = Some(cb_packet);
            f? as usize
        }
        s::SAI_SWITCH_POINTER_TYPE_PORT_HOST_TX_READY => {
            let f: s::sai_port_host_tx_ready_notification_fn = Some(cb_tx_ready);
            f? as usize
        }
        s::SAI_SWITCH_POINTER_TYPE_FDB_EVENT
        | s::SAI_SWITCH_POINTER_TYPE_PORT_STATE_CHANGE
        | s::SAI_SWITCH_POINTER_TYPE_QUEUE_PFC_DEADLOCK
        | s::SAI_SWITCH_POINTER_TYPE_BFD_SESSION_STATE_CHANGE
        | s::SAI_SWITCH_POINTER_TYPE_IPSEC_SA_STATUS_CHANGE
        | s::SAI_SWITCH_POINTER_TYPE_NAT_EVENT
        | s::SAI_SWITCH_POINTER_TYPE_TWAMP_SESSION_EVENT
        | s::SAI_SWITCH_POINTER_TYPE_ICMP_ECHO_SESSION_STATE_CHANGE => {
            // (count, const T *data): the data pointer's pointee type does not change the ABI.
            let f: unsafe extern "C" fn(u32, *const c_void) = cb_count_data;
            f as usize
        }
        _ => return None,
    };
    Some(f)
}

// ------------------------------------------------------------------ API methods by object type

type OidCreateFn = raw::CreateFn;
type OidRemoveFn = raw::RemoveFn;
type OidSetFn = raw::SetFn;
type OidGetFn = raw::GetFn;
type EntryCreateFn = raw::EntryCreateFn<u8>;
type EntryRemoveFn = raw::EntryRemoveFn<u8>;
type EntrySetFn = raw::EntrySetFn<u8>;
type EntryGetFn = raw::EntryGetFn<u8>;
type BulkOidCreateFn = unsafe extern "C" fn(
    s::sai_object_id_t,
    u32,
    *const u32,
    *mut *const s::sai_attribute_t,
    s::sai_bulk_op_error_mode_t,
    *mut s::sai_object_id_t,
    *mut s::sai_status_t,
) -> s::sai_status_t;
type BulkOidRemoveFn = unsafe extern "C" fn(
    u32,
    *const s::sai_object_id_t,
    s::sai_bulk_op_error_mode_t,
    *mut s::sai_status_t,
) -> s::sai_status_t;
type BulkOidSetFn = unsafe extern "C" fn(
    u32,
    *const s::sai_object_id_t,
    *const s::sai_attribute_t,
    s::sai_bulk_op_error_mode_t,
    *mut s::sai_status_t,
) -> s::sai_status_t;
type BulkEntryCreateFn = unsafe extern "C" fn(
    u32,
    *const u8,
    *const u32,
    *mut *const s::sai_attribute_t,
    s::sai_bulk_op_error_mode_t,
    *mut s::sai_status_t,
) -> s::sai_status_t;
type BulkEntryRemoveFn = unsafe extern "C" fn(
    u32,
    *const u8,
    s::sai_bulk_op_error_mode_t,
    *mut s::sai_status_t,
) -> s::sai_status_t;
type BulkEntrySetFn = unsafe extern "C" fn(
    u32,
    *const u8,
    *const s::sai_attribute_t,
    s::sai_bulk_op_error_mode_t,
    *mut s::sai_status_t,
) -> s::sai_status_t;

type AnyFn = unsafe extern "C" fn();

/// Method slots of one object type in its API table (raw function addresses; NULL = None).
#[derive(Clone, Copy, Debug, Default)]
struct Methods {
    create: Option<AnyFn>,
    remove: Option<AnyFn>,
    set: Option<AnyFn>,
    get: Option<AnyFn>,
    bulk_create: Option<AnyFn>,
    bulk_remove: Option<AnyFn>,
    bulk_set: Option<AnyFn>,
}

/// `route_entry` -> `route_entries`, `next_hop` -> `next_hops`.
fn plural(stem: &str) -> String {
    match stem.strip_suffix("entry") {
        Some(p) => format!("{p}entries"),
        None => format!("{stem}s"),
    }
}

/// Bulk error mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BulkMode {
    StopOnError,
    IgnoreError,
}

impl BulkMode {
    fn c(self) -> s::sai_bulk_op_error_mode_t {
        match self {
            BulkMode::StopOnError => s::SAI_BULK_OP_ERROR_MODE_STOP_ON_ERROR,
            BulkMode::IgnoreError => s::SAI_BULK_OP_ERROR_MODE_IGNORE_ERROR,
        }
    }
}

/// An object to call: by id or by entry key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ObjRef {
    Oid(u64),
    Entry(EntryKey),
}

/// Result of a bulk call: the call's status and one status per object (and the created ids).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkResult {
    pub status: Status,
    pub statuses: Vec<Status>,
    pub oids: Vec<u64>,
}

/// A loaded and initialised SAI library, called generically by object type.
pub struct Lib {
    core: raw::Core,
    object_count: Option<s::sai_get_object_count_sig>,
    methods: Mutex<HashMap<u32, Methods>>,
    initialized: bool,
    // dropped last: every function pointer above points into it
    _lib: Library,
}

impl std::fmt::Debug for Lib {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lib")
            .field("initialized", &self.initialized)
            .finish()
    }
}

impl Lib {
    /// dlopens `path`, installs `profile` as the service table and calls `sai_api_initialize`.
    /// Only one library should be loaded per process (the profile table is process-global).
    pub fn load(path: &Path, profile: &[(String, String)]) -> Result<Lib, String> {
        raw::set_profile(profile)?;
        let (lib, core) = raw::load(path).map_err(|e| format!("dlopen {}: {e}", path.display()))?;
        // SAFETY: the symbol type is the SAI prototype of sai_get_object_count (saiobject.h, from
        // the same ABI data); the fn pointer is copied out and used only while `lib` is alive.
        let object_count = unsafe {
            lib.get::<s::sai_get_object_count_sig>(b"sai_get_object_count\0")
                .ok()
                .map(|f| *f)
        };
        let mut l = Lib {
            core,
            object_count,
            methods: Mutex::new(HashMap::new()),
            initialized: false,
            _lib: lib,
        };
        l.initialize()?;
        Ok(l)
    }

    /// `sai_api_initialize` (again after [`Lib::uninitialize`]).
    pub fn initialize(&mut self) -> Result<(), String> {
        if self.initialized {
            return Ok(());
        }
        let st = raw::initialize(&self.core);
        if st != SUCCESS {
            return Err(format!("sai_api_initialize: {}", meta::status_name(st)));
        }
        self.initialized = true;
        self.methods
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        Ok(())
    }

    /// `sai_api_uninitialize`.
    pub fn uninitialize(&mut self) -> Status {
        if !self.initialized {
            return SUCCESS;
        }
        self.initialized = false;
        self.methods
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        raw::uninitialize(&self.core)
    }

    /// `sai_object_type_query` (SAI_OBJECT_TYPE_NULL when the library lacks it).
    pub fn object_type_query(&self, oid: u64) -> u32 {
        raw::object_type_query(&self.core, oid).unwrap_or(0)
    }

    /// `sai_get_object_count(switch, ot)`.
    pub fn object_count(&self, switch_id: u64, ot: u32) -> Result<u32, Status> {
        let f = self.object_count.ok_or(s::SAI_STATUS_NOT_IMPLEMENTED)?;
        let mut n = 0u32;
        // SAFETY: the library's sai_get_object_count (library alive); `n` is a valid out-pointer.
        let st = unsafe { f(switch_id, ot, &mut n) };
        if st == SUCCESS {
            Ok(n)
        } else {
            Err(st)
        }
    }

    fn methods(&self, ot: u32) -> Result<Methods, Status> {
        let mut cache = self.methods.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = cache.get(&ot) {
            return Ok(*m);
        }
        let info = meta::object_type(ot).ok_or(s::SAI_STATUS_INVALID_OBJECT_TYPE)?;
        let m = self.resolve(info)?;
        cache.insert(ot, m);
        Ok(m)
    }

    fn resolve(&self, info: &ObjectTypeInfo) -> Result<Methods, Status> {
        let mut table: *mut c_void = std::ptr::null_mut();
        // SAFETY: sai_api_query writes one pointer into `table`; library alive.
        let st = unsafe { (self.core.query)(info.api, &mut table) };
        if st != SUCCESS {
            return Err(st);
        }
        if table.is_null() {
            return Err(s::SAI_STATUS_FAILURE);
        }
        let tname = info.api_table;
        let tsize = record_size(tname).ok_or(s::SAI_STATUS_NOT_IMPLEMENTED)?;
        let stem = info
            .name
            .strip_prefix("SAI_OBJECT_TYPE_")
            .unwrap_or(info.name)
            .to_ascii_lowercase();
        let slot = |field: &str| -> Option<AnyFn> {
            let off = field_offset(tname, field)?;
            if off % size_of::<usize>() != 0 || off + size_of::<usize>() > tsize {
                return None;
            }
            // The library returned a non-NULL pointer to its `tname` API table, which lives as long
            // as the library. A NULL slot reads as None.
            // SAFETY: `table` is valid (above); `off` is the offset of a fn-pointer field inside
            // that table (ABI layout data, bounds checked above).
            unsafe { table.cast::<u8>().add(off).cast::<Option<AnyFn>>().read() }
        };
        let p = plural(&stem);
        Ok(Methods {
            create: slot(&format!("create_{stem}")),
            remove: slot(&format!("remove_{stem}")),
            set: slot(&format!("set_{stem}_attribute")),
            get: slot(&format!("get_{stem}_attribute")),
            bulk_create: slot(&format!("create_{p}")),
            bulk_remove: slot(&format!("remove_{p}")),
            bulk_set: slot(&format!("set_{p}_attribute")),
        })
    }

    /// `create_switch`.
    pub fn create_switch(&self, attrs: &[Attr]) -> Result<u64, Status> {
        let ot = s::SAI_OBJECT_TYPE_SWITCH;
        let f = self
            .methods(ot)?
            .create
            .ok_or(s::SAI_STATUS_NOT_IMPLEMENTED)?;
        // The slot is create_switch of sai_switch_api_t, whose C type is sai_create_switch_fn =
        // (sai_object_id_t*, uint32_t, const sai_attribute_t*).
        // SAFETY: CreateSwitchFn matches create_switch's C type sai_create_switch_fn (above).
        let f: raw::CreateSwitchFn =
            unsafe { std::mem::transmute::<AnyFn, raw::CreateSwitchFn>(f) };
        let c = CAttrs::new(ot, attrs)?;
        let (st, oid) = raw::create_switch(f, &c.raw);
        if st == SUCCESS {
            Ok(oid)
        } else {
            Err(st)
        }
    }

    /// `create_<ot>` for an object-id type (`ot` must not be the switch).
    pub fn create(&self, ot: u32, switch_id: u64, attrs: &[Attr]) -> Result<u64, Status> {
        if ot == s::SAI_OBJECT_TYPE_SWITCH {
            return self.create_switch(attrs);
        }
        let info = meta::object_type(ot).ok_or(s::SAI_STATUS_INVALID_OBJECT_TYPE)?;
        if info.is_non_object_id {
            return Err(s::SAI_STATUS_INVALID_OBJECT_TYPE);
        }
        let f = self
            .methods(ot)?
            .create
            .ok_or(s::SAI_STATUS_NOT_IMPLEMENTED)?;
        // SAFETY: for object-id types the create_<ot> slot has the C type
        // (sai_object_id_t*, sai_object_id_t switch, uint32_t, const sai_attribute_t*).
        let f: OidCreateFn = unsafe { std::mem::transmute::<AnyFn, OidCreateFn>(f) };
        let c = CAttrs::new(ot, attrs)?;
        let (st, oid) = raw::create(f, switch_id, &c.raw);
        if st == SUCCESS {
            Ok(oid)
        } else {
            Err(st)
        }
    }

    /// `create_<entry>`.
    pub fn create_entry(&self, key: &EntryKey, attrs: &[Attr]) -> Status {
        let r = (|| {
            let f = self
                .methods(key.ot)?
                .create
                .ok_or(s::SAI_STATUS_NOT_IMPLEMENTED)?;
            entry_type(key.ot)?;
            // SAFETY: for entry types the create slot has the C type
            // (const <entry>_t*, uint32_t, const sai_attribute_t*); the key pointer is cast.
            let f: EntryCreateFn = unsafe { std::mem::transmute::<AnyFn, EntryCreateFn>(f) };
            let c = CAttrs::new(key.ot, attrs)?;
            let k = CKeys::new(&[key])?;
            // SAFETY: see raw::entry_create; k.ptr(0) points to one complete key struct.
            Ok(unsafe { f(k.ptr(0), c.count(), c.raw.as_ptr()) })
        })();
        r.unwrap_or_else(|e| e)
    }

    /// `remove_<ot>` / `remove_<entry>`.
    pub fn remove(&self, ot: u32, obj: &ObjRef) -> Status {
        let r = (|| {
            let f = self
                .methods(ot)?
                .remove
                .ok_or(s::SAI_STATUS_NOT_IMPLEMENTED)?;
            Ok(match obj {
                ObjRef::Oid(o) => {
                    oid_type(ot)?;
                    // SAFETY: for object-id types (and the switch) remove has the C type
                    // (sai_object_id_t).
                    let f: OidRemoveFn = unsafe { std::mem::transmute::<AnyFn, OidRemoveFn>(f) };
                    raw::remove(f, *o)
                }
                ObjRef::Entry(k) => {
                    entry_type(ot)?;
                    // SAFETY: for entry types remove has the C type (const <entry>_t*).
                    let f: EntryRemoveFn =
                        unsafe { std::mem::transmute::<AnyFn, EntryRemoveFn>(f) };
                    let ck = CKeys::new(&[k])?;
                    // SAFETY: the library's remove; ck.ptr(0) is one complete key struct.
                    unsafe { f(ck.ptr(0)) }
                }
            })
        })();
        r.unwrap_or_else(|e| e)
    }

    /// `set_<ot>_attribute` / `set_<entry>_attribute`.
    pub fn set(&self, ot: u32, obj: &ObjRef, attr: &Attr) -> Status {
        let r = (|| {
            let f = self.methods(ot)?.set.ok_or(s::SAI_STATUS_NOT_IMPLEMENTED)?;
            let c = CAttrs::new(ot, std::slice::from_ref(attr))?;
            Ok(match obj {
                ObjRef::Oid(o) => {
                    oid_type(ot)?;
                    // SAFETY: set has the C type (sai_object_id_t, const sai_attribute_t*).
                    let f: OidSetFn = unsafe { std::mem::transmute::<AnyFn, OidSetFn>(f) };
                    raw::set(f, *o, &c.raw[0])
                }
                ObjRef::Entry(k) => {
                    entry_type(ot)?;
                    // SAFETY: set has the C type (const <entry>_t*, const sai_attribute_t*).
                    let f: EntrySetFn = unsafe { std::mem::transmute::<AnyFn, EntrySetFn>(f) };
                    let ck = CKeys::new(&[k])?;
                    // SAFETY: the library's set; one key struct and one attribute, both alive.
                    unsafe { f(ck.ptr(0), &c.raw[0]) }
                }
            })
        })();
        r.unwrap_or_else(|e| e)
    }

    /// `get_<ot>_attribute` / `get_<entry>_attribute`. `req` gives the attribute ids and, for
    /// lists, values whose lengths are the buffer sizes offered. Returns the status and the C
    /// attributes as the library left them (read them with [`CAttrs::value`] /
    /// [`CAttrs::list_count`]).
    pub fn get(&self, ot: u32, obj: &ObjRef, req: &[Attr]) -> (Status, Option<CAttrs>) {
        let mut c = match CAttrs::new(ot, req) {
            Ok(c) => c,
            Err(e) => return (e, None),
        };
        let r = (|| {
            let f = self.methods(ot)?.get.ok_or(s::SAI_STATUS_NOT_IMPLEMENTED)?;
            Ok(match obj {
                ObjRef::Oid(o) => {
                    oid_type(ot)?;
                    // SAFETY: get has the C type (sai_object_id_t, uint32_t, sai_attribute_t*).
                    let f: OidGetFn = unsafe { std::mem::transmute::<AnyFn, OidGetFn>(f) };
                    raw::get(f, *o, &mut c.raw)
                }
                ObjRef::Entry(k) => {
                    entry_type(ot)?;
                    // SAFETY: get has the C type (const <entry>_t*, uint32_t, sai_attribute_t*).
                    let f: EntryGetFn = unsafe { std::mem::transmute::<AnyFn, EntryGetFn>(f) };
                    let ck = CKeys::new(&[k])?;
                    let n = c.count();
                    // SAFETY: the library's get; the attribute lists point into `c`'s buffers of
                    // the advertised counts, alive across the call.
                    unsafe { f(ck.ptr(0), n, c.raw.as_mut_ptr()) }
                }
            })
        })();
        (r.unwrap_or_else(|e| e), Some(c))
    }

    /// Whether the library has the bulk methods of `ot` (create, remove, set).
    pub fn has_bulk(&self, ot: u32) -> (bool, bool, bool) {
        self.methods(ot).map_or((false, false, false), |m| {
            (
                m.bulk_create.is_some(),
                m.bulk_remove.is_some(),
                m.bulk_set.is_some(),
            )
        })
    }

    /// Bulk create: object-id types (`keys` empty, `switch_id` used) or entries (`keys` one per
    /// object). `Err(SAI_STATUS_NOT_IMPLEMENTED)` when the library has no such bulk method.
    pub fn bulk_create(
        &self,
        ot: u32,
        switch_id: u64,
        keys: &[&EntryKey],
        attrs: &[Vec<Attr>],
        mode: BulkMode,
    ) -> Result<BulkResult, Status> {
        let f = self
            .methods(ot)?
            .bulk_create
            .ok_or(s::SAI_STATUS_NOT_IMPLEMENTED)?;
        let n = attrs.len();
        let cs: Vec<CAttrs> = attrs
            .iter()
            .map(|a| CAttrs::new(ot, a))
            .collect::<Result<_, _>>()?;
        let counts: Vec<u32> = cs.iter().map(CAttrs::count).collect();
        let mut lists: Vec<*const s::sai_attribute_t> = cs.iter().map(|c| c.raw.as_ptr()).collect();
        let mut statuses = vec![s::SAI_STATUS_NOT_EXECUTED; n];
        let mut oids = vec![0u64; n];
        let status = if is_entry(ot) {
            if keys.len() != n {
                return Err(s::SAI_STATUS_INVALID_PARAMETER);
            }
            let ck = CKeys::new(keys)?;
            // Entry bulk create has the C type (uint32_t, const <entry>_t*, const uint32_t*,
            // const sai_attribute_t**, mode, sai_status_t*).
            // SAFETY: BulkEntryCreateFn matches the entry bulk create C type (above).
            let f: BulkEntryCreateFn =
                unsafe { std::mem::transmute::<AnyFn, BulkEntryCreateFn>(f) };
            // SAFETY: `n` keys, counts, lists and statuses; each list points to its count of
            // attributes kept alive in `cs`.
            unsafe {
                f(
                    len_u32(n),
                    ck.ptr(0),
                    counts.as_ptr(),
                    lists.as_mut_ptr(),
                    mode.c(),
                    statuses.as_mut_ptr(),
                )
            }
        } else {
            // SAFETY: object bulk create has the C type sai_bulk_object_create_fn.
            let f: BulkOidCreateFn = unsafe { std::mem::transmute::<AnyFn, BulkOidCreateFn>(f) };
            // SAFETY: `n` counts, lists, object ids and statuses, all alive across the call.
            unsafe {
                f(
                    switch_id,
                    len_u32(n),
                    counts.as_ptr(),
                    lists.as_mut_ptr(),
                    mode.c(),
                    oids.as_mut_ptr(),
                    statuses.as_mut_ptr(),
                )
            }
        };
        Ok(BulkResult {
            status,
            statuses,
            oids,
        })
    }

    /// Bulk remove (ids or entry keys).
    pub fn bulk_remove(
        &self,
        ot: u32,
        objs: &[ObjRef],
        mode: BulkMode,
    ) -> Result<BulkResult, Status> {
        let f = self
            .methods(ot)?
            .bulk_remove
            .ok_or(s::SAI_STATUS_NOT_IMPLEMENTED)?;
        let n = objs.len();
        let mut statuses = vec![s::SAI_STATUS_NOT_EXECUTED; n];
        let status = if is_entry(ot) {
            let keys: Vec<&EntryKey> = objs
                .iter()
                .map(|o| match o {
                    ObjRef::Entry(k) => Ok(k),
                    ObjRef::Oid(_) => Err(s::SAI_STATUS_INVALID_PARAMETER),
                })
                .collect::<Result<_, _>>()?;
            let ck = CKeys::new(&keys)?;
            // SAFETY: entry bulk remove has the C type (uint32_t, const <entry>_t*, mode, sai_status_t*).
            let f: BulkEntryRemoveFn =
                unsafe { std::mem::transmute::<AnyFn, BulkEntryRemoveFn>(f) };
            // SAFETY: `n` keys and statuses, alive across the call.
            unsafe { f(len_u32(n), ck.ptr(0), mode.c(), statuses.as_mut_ptr()) }
        } else {
            let ids: Vec<u64> = objs
                .iter()
                .map(|o| match o {
                    ObjRef::Oid(x) => Ok(*x),
                    ObjRef::Entry(_) => Err(s::SAI_STATUS_INVALID_PARAMETER),
                })
                .collect::<Result<_, _>>()?;
            // SAFETY: object bulk remove has the C type sai_bulk_object_remove_fn.
            let f: BulkOidRemoveFn = unsafe { std::mem::transmute::<AnyFn, BulkOidRemoveFn>(f) };
            // SAFETY: `n` ids and statuses, alive across the call.
            unsafe { f(len_u32(n), ids.as_ptr(), mode.c(), statuses.as_mut_ptr()) }
        };
        Ok(BulkResult {
            status,
            statuses,
            oids: Vec::new(),
        })
    }

    /// Bulk set: one attribute per object.
    pub fn bulk_set(
        &self,
        ot: u32,
        objs: &[ObjRef],
        attrs: &[Attr],
        mode: BulkMode,
    ) -> Result<BulkResult, Status> {
        let f = self
            .methods(ot)?
            .bulk_set
            .ok_or(s::SAI_STATUS_NOT_IMPLEMENTED)?;
        let n = objs.len();
        if attrs.len() != n {
            return Err(s::SAI_STATUS_INVALID_PARAMETER);
        }
        let c = CAttrs::new(ot, attrs)?;
        let mut statuses = vec![s::SAI_STATUS_NOT_EXECUTED; n];
        let status = if is_entry(ot) {
            let keys: Vec<&EntryKey> = objs
                .iter()
                .map(|o| match o {
                    ObjRef::Entry(k) => Ok(k),
                    ObjRef::Oid(_) => Err(s::SAI_STATUS_INVALID_PARAMETER),
                })
                .collect::<Result<_, _>>()?;
            let ck = CKeys::new(&keys)?;
            // SAFETY: entry bulk set has the C type (uint32_t, const <entry>_t*, const
            // sai_attribute_t*, mode, sai_status_t*).
            let f: BulkEntrySetFn = unsafe { std::mem::transmute::<AnyFn, BulkEntrySetFn>(f) };
            // SAFETY: `n` keys, attributes and statuses, alive across the call.
            unsafe {
                f(
                    len_u32(n),
                    ck.ptr(0),
                    c.raw.as_ptr(),
                    mode.c(),
                    statuses.as_mut_ptr(),
                )
            }
        } else {
            let ids: Vec<u64> = objs
                .iter()
                .map(|o| match o {
                    ObjRef::Oid(x) => Ok(*x),
                    ObjRef::Entry(_) => Err(s::SAI_STATUS_INVALID_PARAMETER),
                })
                .collect::<Result<_, _>>()?;
            // SAFETY: object bulk set has the C type sai_bulk_object_set_attribute_fn.
            let f: BulkOidSetFn = unsafe { std::mem::transmute::<AnyFn, BulkOidSetFn>(f) };
            // SAFETY: `n` ids, attributes and statuses, alive across the call.
            unsafe {
                f(
                    len_u32(n),
                    ids.as_ptr(),
                    c.raw.as_ptr(),
                    mode.c(),
                    statuses.as_mut_ptr(),
                )
            }
        };
        Ok(BulkResult {
            status,
            statuses,
            oids: Vec::new(),
        })
    }
}

impl Drop for Lib {
    fn drop(&mut self) {
        let _ = self.uninitialize();
    }
}

fn is_entry(ot: u32) -> bool {
    meta::object_type(ot).is_some_and(|i| i.is_non_object_id)
}

fn entry_type(ot: u32) -> Result<(), Status> {
    if is_entry(ot) {
        Ok(())
    } else {
        Err(s::SAI_STATUS_INVALID_OBJECT_TYPE)
    }
}

fn oid_type(ot: u32) -> Result<(), Status> {
    if meta::object_type(ot).is_some_and(|i| !i.is_non_object_id) {
        Ok(())
    } else {
        Err(s::SAI_STATUS_INVALID_OBJECT_TYPE)
    }
}

/// Grows a get request's list buffers to `need` elements (after `SAI_STATUS_BUFFER_OVERFLOW`).
pub fn grown(v: &AttrValue, need: u32) -> Option<AttrValue> {
    let n = usize::try_from(need).ok()?.min(MAX_LIST);
    Some(match v {
        AttrValue::OidList(_) => AttrValue::OidList(vec![0; n]),
        AttrValue::U8List(_) => AttrValue::U8List(vec![0; n]),
        AttrValue::I8List(_) => AttrValue::I8List(vec![0; n]),
        AttrValue::U16List(_) => AttrValue::U16List(vec![0; n]),
        AttrValue::I16List(_) => AttrValue::I16List(vec![0; n]),
        AttrValue::U32List(_) => AttrValue::U32List(vec![0; n]),
        AttrValue::I32List(_) => AttrValue::I32List(vec![0; n]),
        AttrValue::VlanList(_) => AttrValue::VlanList(vec![0; n]),
        AttrValue::U16RangeList(_) => AttrValue::U16RangeList(vec![(0, 0); n]),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(name: &str, v: AttrValue) -> Attr {
        Attr::new(meta::attr_by_name(name).unwrap().id, v)
    }

    #[test]
    fn roundtrip_every_common_shape() {
        let ot = s::SAI_OBJECT_TYPE_ACL_ENTRY;
        let attrs = vec![
            a("SAI_ACL_ENTRY_ATTR_TABLE_ID", AttrValue::Oid(7)),
            a("SAI_ACL_ENTRY_ATTR_PRIORITY", AttrValue::U32(1000)),
            a(
                "SAI_ACL_ENTRY_ATTR_FIELD_DSCP",
                AttrValue::AclField {
                    enable: true,
                    data: AclData::U8(8),
                    mask: AclData::U8(0x3f),
                },
            ),
            a(
                "SAI_ACL_ENTRY_ATTR_FIELD_SRC_IP",
                AttrValue::AclField {
                    enable: true,
                    data: AclData::Ipv4([10, 0, 0, 1]),
                    mask: AclData::Ipv4([255, 255, 255, 0]),
                },
            ),
            a(
                "SAI_ACL_ENTRY_ATTR_ACTION_SET_PACKET_COLOR",
                AttrValue::AclAction {
                    enable: true,
                    param: AclData::I32(1),
                },
            ),
            a(
                "SAI_ACL_ENTRY_ATTR_ACTION_REDIRECT_LIST",
                AttrValue::AclAction {
                    enable: true,
                    param: AclData::OidList(vec![1, 2, 3]),
                },
            ),
        ];
        let c = CAttrs::new(ot, &attrs).unwrap();
        for (i, x) in attrs.iter().enumerate() {
            assert_eq!(c.value(i).as_ref(), Some(&x.value), "{i}");
        }
        let sw = s::SAI_OBJECT_TYPE_SWITCH;
        let attrs = vec![
            a("SAI_SWITCH_ATTR_PORT_LIST", AttrValue::OidList(vec![5; 32])),
            a(
                "SAI_SWITCH_ATTR_SRC_MAC_ADDRESS",
                AttrValue::Mac([0, 1, 2, 3, 4, 5]),
            ),
            a("SAI_SWITCH_ATTR_INIT_SWITCH", AttrValue::Bool(true)),
        ];
        let c = CAttrs::new(sw, &attrs).unwrap();
        for (i, x) in attrs.iter().enumerate() {
            assert_eq!(c.value(i).as_ref(), Some(&x.value));
        }
        assert_eq!(c.list_count(0), Some(32));
        assert_eq!(c.list_count(1), None);
        let q = qos_map_list(&[QosMapEntry {
            key: QosMapParams {
                tc: 3,
                ..Default::default()
            },
            value: QosMapParams {
                pg: 3,
                color: 2,
                ..Default::default()
            },
        }]);
        let c = CAttrs::new(
            s::SAI_OBJECT_TYPE_QOS_MAP,
            &[a("SAI_QOS_MAP_ATTR_MAP_TO_VALUE_LIST", q.clone())],
        )
        .unwrap();
        let back = c.value(0).unwrap();
        assert_eq!(qos_map_entries(&back), qos_map_entries(&q));
        assert_eq!(qos_map_entries(&back).unwrap()[0].value.color, 2);
        // the other raw list types survive a round trip through the C union
        for (ot, name, v) in [
            (
                s::SAI_OBJECT_TYPE_TUNNEL,
                "SAI_TUNNEL_ATTR_ENCAP_SRC_IP",
                AttrValue::IpAddr("10.0.0.1".parse().unwrap()),
            ),
            (
                s::SAI_OBJECT_TYPE_SRV6_SIDLIST,
                "SAI_SRV6_SIDLIST_ATTR_SEGMENT_LIST",
                segment_list(&[[1; 16], [2; 16]]),
            ),
        ] {
            let c = CAttrs::new(ot, &[a(name, v.clone())]).unwrap();
            assert_eq!(c.value(0), Some(v), "{name}");
        }
        let m = map_list(&[(1, -2), (3, 4)]);
        let ip = ip_address_list(&["10.0.0.1".parse().unwrap(), "fe80::1".parse().unwrap()]);
        assert_eq!(m.list_len(), Some(2));
        assert_eq!(ip.list_len(), Some(2));
    }

    #[test]
    fn bad_attributes_get_ranged_statuses() {
        let sw = s::SAI_OBJECT_TYPE_SWITCH;
        let e = CAttrs::new(
            sw,
            &[
                a("SAI_SWITCH_ATTR_INIT_SWITCH", AttrValue::Bool(true)),
                Attr::new(0x7fff_0000, AttrValue::U32(1)),
            ],
        )
        .unwrap_err();
        assert_eq!(e, s::SAI_STATUS_UNKNOWN_ATTRIBUTE_0 - 1);
        let e =
            CAttrs::new(sw, &[a("SAI_SWITCH_ATTR_INIT_SWITCH", AttrValue::U32(1))]).unwrap_err();
        assert_eq!(e, s::SAI_STATUS_INVALID_ATTR_VALUE_0);
        assert_eq!(
            CAttrs::new(0xFFFF_FFF0, &[]).unwrap_err(),
            s::SAI_STATUS_INVALID_OBJECT_TYPE
        );
    }

    #[test]
    fn route_key_layout() {
        let info = meta::object_type(s::SAI_OBJECT_TYPE_ROUTE_ENTRY).unwrap();
        let members = info
            .key_members
            .iter()
            .map(|km| match km.name {
                "switch_id" => AttrValue::Oid(0x21),
                "vr_id" => AttrValue::Oid(0x3000),
                _ => AttrValue::IpPrefix(IpPrefix {
                    addr: "10.1.0.0".parse().unwrap(),
                    mask: "255.255.0.0".parse().unwrap(),
                }),
            })
            .collect();
        let k = EntryKey {
            ot: info.ot,
            members,
        };
        let ck = CKeys::new(&[&k, &k]).unwrap();
        assert_eq!(ck.stride, size_of::<s::sai_route_entry_t>());
        let bytes: Vec<u8> = ck.words.iter().flat_map(|w| w.to_ne_bytes()).collect();
        let r = &bytes[ck.stride..];
        let d = offset_of!(s::sai_route_entry_t, destination);
        assert_eq!(
            &r[offset_of!(s::sai_route_entry_t, vr_id)..][..8],
            &0x3000u64.to_ne_bytes()
        );
        assert_eq!(
            &r[d + offset_of!(s::sai_ip_prefix_t, addr)..][..4],
            &[10, 1, 0, 0]
        );
        assert_eq!(
            &r[d + offset_of!(s::sai_ip_prefix_t, mask)..][..4],
            &[255, 255, 0, 0]
        );
        assert_eq!(plural("route_entry"), "route_entries");
        assert_eq!(plural("next_hop"), "next_hops");
    }

    #[test]
    fn callbacks_have_addresses() {
        let m = meta::attr_by_name("SAI_SWITCH_ATTR_FDB_EVENT_NOTIFY").unwrap();
        assert!(callback_for(m).is_some());
        let m = meta::attr_by_name("SAI_SWITCH_ATTR_SWITCH_SHUTDOWN_REQUEST_NOTIFY").unwrap();
        assert!(callback_for(m).is_some());
        let m = meta::attr_by_name("SAI_SWITCH_ATTR_INIT_SWITCH").unwrap();
        assert!(callback_for(m).is_none());
    }
}
