//! C `sai_attribute_t` values <-> the store's owned [`AttrValue`], by the attribute's metadata value
//! type. Lists are deep-copied on the way in; on the way out values are copied into the caller's
//! buffers, and a short list gets the needed count and `SAI_STATUS_BUFFER_OVERFLOW`.
//!
//! The union member read is always chosen by the metadata, never by the data: an unknown attribute
//! id is rejected before the union is touched.

use crate::value_types::{raw_layout, RawLayout};
use sai_headers::ffi::*;
use sai_headers::meta::{self, AttrMeta, AttrValueType as T};
use sai_store::{AclData, Attr, AttrValue, IpPrefix};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Largest list accepted from a caller (protects against garbage counts).
pub(crate) const MAX_LIST: u32 = 1 << 20;

/// Why a value could not be converted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConvError {
    /// Null list pointer with a non-zero count, absurd count: `SAI_STATUS_INVALID_PARAMETER`.
    InvalidParameter,
    /// Malformed value (bad address family, ...): `SAI_STATUS_INVALID_ATTR_VALUE_0 - index`.
    InvalidValue,
    /// A value type we cannot carry: `SAI_STATUS_ATTR_NOT_SUPPORTED_0 - index`.
    NotSupported,
}

impl ConvError {
    pub(crate) fn status(self, index: usize) -> sai_status_t {
        match self {
            ConvError::InvalidParameter => SAI_STATUS_INVALID_PARAMETER,
            ConvError::InvalidValue => ranged(SAI_STATUS_INVALID_ATTR_VALUE_0, index),
            ConvError::NotSupported => ranged(SAI_STATUS_ATTR_NOT_SUPPORTED_0, index),
        }
    }
}

/// `<range>_0 - index` (the SAI encoding of per-attribute statuses), saturating at the range end.
pub(crate) fn ranged(base: sai_status_t, index: usize) -> sai_status_t {
    base - i32::try_from(index.min(0xFFFF)).unwrap_or(0xFFFF)
}

/// Why a value could not be written back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OutError {
    /// The caller's list was too short; its count now holds the needed count.
    Overflow,
    /// Null list pointer with a non-zero count.
    InvalidParameter,
    /// The stored value does not have the attribute's shape (a store bug).
    Mismatch,
}

fn count_of(n: u32) -> Result<usize, ConvError> {
    if n > MAX_LIST {
        return Err(ConvError::InvalidParameter);
    }
    usize::try_from(n).map_err(|_| ConvError::InvalidParameter)
}

/// Deep copy of a C list.
///
/// # Safety
/// When `count > 0` and `list` is not null, `list` must point to `count` readable elements.
pub(crate) unsafe fn read_list<E: Copy>(count: u32, list: *const E) -> Result<Vec<E>, ConvError> {
    let n = count_of(count)?;
    if n == 0 {
        return Ok(Vec::new());
    }
    if list.is_null() {
        return Err(ConvError::InvalidParameter);
    }
    let mut v = Vec::with_capacity(n);
    for i in 0..n {
        // SAFETY: the caller guarantees `count` elements at `list`; read_unaligned tolerates any
        // alignment the C side used.
        v.push(unsafe { list.add(i).read_unaligned() });
    }
    Ok(v)
}

/// Copies `items` into a caller's `{count, list}`.
///
/// # Safety
/// When `*count > 0` and `list` is not null, `list` must point to `*count` writable elements.
pub(crate) unsafe fn write_list<E: Copy>(
    count: &mut u32,
    list: *mut E,
    items: &[E],
) -> Result<(), OutError> {
    let need = u32::try_from(items.len()).map_err(|_| OutError::Mismatch)?;
    if *count < need {
        *count = need;
        return Err(OutError::Overflow);
    }
    if need > 0 && list.is_null() {
        return Err(OutError::InvalidParameter);
    }
    for (i, it) in items.iter().enumerate() {
        // SAFETY: i < need <= *count, and the caller guarantees *count writable elements.
        unsafe { list.add(i).write_unaligned(*it) };
    }
    *count = need;
    Ok(())
}

pub(crate) fn ip_from_c(a: &sai_ip_address_t) -> Option<IpAddr> {
    match a.addr_family {
        SAI_IP_ADDR_FAMILY_IPV4 => {
            // SAFETY: every bit pattern of the union is a valid u32.
            let v4 = unsafe { a.addr.ip4 };
            Some(IpAddr::V4(Ipv4Addr::from(v4.to_ne_bytes())))
        }
        SAI_IP_ADDR_FAMILY_IPV6 => {
            // SAFETY: every bit pattern of the union is a valid [u8; 16].
            let v6 = unsafe { a.addr.ip6 };
            Some(IpAddr::V6(Ipv6Addr::from(v6)))
        }
        _ => None,
    }
}

fn addr_to_c(ip: &IpAddr) -> (sai_ip_addr_family_t, sai_ip_addr_t) {
    match ip {
        IpAddr::V4(v4) => (
            SAI_IP_ADDR_FAMILY_IPV4,
            sai_ip_addr_t {
                ip6: ip4_padded(u32::from_ne_bytes(v4.octets())),
            },
        ),
        IpAddr::V6(v6) => (SAI_IP_ADDR_FAMILY_IPV6, sai_ip_addr_t { ip6: v6.octets() }),
    }
}

/// An IPv4 address in a zeroed 16-byte union (so no byte of the union is left undefined).
fn ip4_padded(ip4: u32) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..4].copy_from_slice(&ip4.to_ne_bytes());
    b
}

pub(crate) fn ip_to_c(ip: &IpAddr) -> sai_ip_address_t {
    let (addr_family, addr) = addr_to_c(ip);
    sai_ip_address_t { addr_family, addr }
}

pub(crate) fn prefix_from_c(p: &sai_ip_prefix_t) -> Option<IpPrefix> {
    let (addr, mask) = match p.addr_family {
        SAI_IP_ADDR_FAMILY_IPV4 => {
            // SAFETY: every bit pattern of the unions is a valid u32.
            let (a, m) = unsafe { (p.addr.ip4, p.mask.ip4) };
            (
                IpAddr::V4(Ipv4Addr::from(a.to_ne_bytes())),
                IpAddr::V4(Ipv4Addr::from(m.to_ne_bytes())),
            )
        }
        SAI_IP_ADDR_FAMILY_IPV6 => {
            // SAFETY: every bit pattern of the unions is a valid [u8; 16].
            let (a, m) = unsafe { (p.addr.ip6, p.mask.ip6) };
            (IpAddr::V6(Ipv6Addr::from(a)), IpAddr::V6(Ipv6Addr::from(m)))
        }
        _ => return None,
    };
    Some(IpPrefix { addr, mask })
}

pub(crate) fn prefix_to_c(p: &IpPrefix) -> sai_ip_prefix_t {
    let (addr_family, addr) = addr_to_c(&p.addr);
    let (_, mask) = addr_to_c(&p.mask);
    sai_ip_prefix_t {
        addr_family,
        addr,
        mask,
    }
}

fn ip4_bytes(v: sai_ip4_t) -> [u8; 4] {
    v.to_ne_bytes()
}
fn ip4_from(b: [u8; 4]) -> sai_ip4_t {
    u32::from_ne_bytes(b)
}

fn chardata_in(c: &[::core::ffi::c_char; 32]) -> [u8; 32] {
    let mut b = [0u8; 32];
    for (d, s) in b.iter_mut().zip(c.iter()) {
        *d = s.to_ne_bytes()[0];
    }
    b
}

/// Reads the value of one attribute whose metadata is `m`.
///
/// # Safety
/// `v` must be the value of a `sai_attribute_t` from the caller; list pointers in the member chosen
/// by `m.value_type` must point to as many elements as their counts say.
pub(crate) unsafe fn value_from_c(
    m: &AttrMeta,
    v: &sai_attribute_value_t,
) -> Result<AttrValue, ConvError> {
    // SAFETY: for every union read below, the member read is the one the metadata names for this
    // attribute; every bit pattern of the integer/array members is valid (C bool is an integer here).
    unsafe {
        Ok(match m.value_type {
            T::Bool => AttrValue::Bool(v.booldata != 0),
            T::Chardata => AttrValue::Chardata(chardata_in(&v.chardata)),
            T::U8 => AttrValue::U8(v.u8),
            T::I8 => AttrValue::I8(v.s8),
            T::U16 => AttrValue::U16(v.u16),
            T::I16 => AttrValue::I16(v.s16),
            T::U32 => AttrValue::U32(v.u32),
            T::I32 => AttrValue::I32(v.s32),
            T::U64 => AttrValue::U64(v.u64),
            T::I64 => AttrValue::I64(v.s64),
            T::Pointer => AttrValue::Pointer(v.ptr as usize),
            T::Mac => AttrValue::Mac(v.mac),
            T::Ipv4 => AttrValue::Ipv4(ip4_bytes(v.ip4)),
            T::Ipv6 => AttrValue::Ipv6(v.ip6),
            T::IpAddress => AttrValue::IpAddr(ip_from_c(&v.ipaddr).ok_or(ConvError::InvalidValue)?),
            T::IpPrefix => {
                AttrValue::IpPrefix(prefix_from_c(&v.ipprefix).ok_or(ConvError::InvalidValue)?)
            }
            T::ObjectId => AttrValue::Oid(v.oid),
            T::ObjectList => AttrValue::OidList(read_list(v.objlist.count, v.objlist.list)?),
            T::U8List => AttrValue::U8List(read_list(v.u8list.count, v.u8list.list)?),
            T::I8List => AttrValue::I8List(read_list(v.s8list.count, v.s8list.list)?),
            T::U16List => AttrValue::U16List(read_list(v.u16list.count, v.u16list.list)?),
            T::I16List => AttrValue::I16List(read_list(v.s16list.count, v.s16list.list)?),
            T::U32List => AttrValue::U32List(read_list(v.u32list.count, v.u32list.list)?),
            T::I32List => AttrValue::I32List(read_list(v.s32list.count, v.s32list.list)?),
            T::U32Range => AttrValue::U32Range(v.u32range.min, v.u32range.max),
            T::I32Range => AttrValue::I32Range(v.s32range.min, v.s32range.max),
            T::U16RangeList => {
                let l = read_list(v.u16rangelist.count, v.u16rangelist.list)?;
                AttrValue::U16RangeList(l.into_iter().map(|r| (r.min, r.max)).collect())
            }
            T::VlanList => AttrValue::VlanList(read_list(v.vlanlist.count, v.vlanlist.list)?),
            t if is_acl_field(t) => acl_field_from_c(t, &v.aclfield)?,
            t if is_acl_action(t) => acl_action_from_c(t, &v.aclaction)?,
            t => raw_from_c(t, v)?,
        })
    }
}

pub(crate) fn is_acl_field(t: T) -> bool {
    (T::AclFieldDataBool as u32..=T::AclFieldDataU8List as u32).contains(&(t as u32))
}
pub(crate) fn is_acl_action(t: T) -> bool {
    (T::AclActionDataBool as u32..=T::AclActionDataObjectList as u32).contains(&(t as u32))
}

/// # Safety
/// List pointers in the member chosen by `t` must be valid for their counts.
unsafe fn acl_field_from_c(t: T, f: &sai_acl_field_data_t) -> Result<AttrValue, ConvError> {
    let enable = f.enable != 0;
    if !enable {
        // A disabled field carries no data; its pointers are not read.
        return Ok(AttrValue::AclField {
            enable,
            data: AclData::None,
            mask: AclData::None,
        });
    }
    let (d, k) = (&f.data, &f.mask);
    // SAFETY: the members read are the ones value type `t` names; integer members accept any bits;
    // lists are read within their counts (caller's contract).
    let (data, mask) = unsafe {
        match t {
            T::AclFieldDataBool => (AclData::Bool(d.booldata != 0), AclData::None),
            T::AclFieldDataU8 => (AclData::U8(d.u8), AclData::U8(k.u8)),
            T::AclFieldDataI8 => (AclData::I8(d.s8), AclData::I8(k.s8)),
            T::AclFieldDataU16 => (AclData::U16(d.u16), AclData::U16(k.u16)),
            T::AclFieldDataI16 => (AclData::I16(d.s16), AclData::I16(k.s16)),
            T::AclFieldDataU32 => (AclData::U32(d.u32), AclData::U32(k.u32)),
            T::AclFieldDataI32 => (AclData::I32(d.s32), AclData::I32(k.s32)),
            T::AclFieldDataU64 => (AclData::U64(d.u64), AclData::U64(k.u64)),
            T::AclFieldDataMac => (AclData::Mac(d.mac), AclData::Mac(k.mac)),
            T::AclFieldDataIpv4 => (
                AclData::Ipv4(ip4_bytes(d.ip4)),
                AclData::Ipv4(ip4_bytes(k.ip4)),
            ),
            T::AclFieldDataIpv6 => (AclData::Ipv6(d.ip6), AclData::Ipv6(k.ip6)),
            T::AclFieldDataObjectId => (AclData::Oid(d.oid), AclData::None),
            T::AclFieldDataObjectList => (
                AclData::OidList(read_list(d.objlist.count, d.objlist.list)?),
                AclData::None,
            ),
            T::AclFieldDataU8List => (
                AclData::U8List(read_list(d.u8list.count, d.u8list.list)?),
                AclData::U8List(read_list(k.u8list.count, k.u8list.list)?),
            ),
            _ => return Err(ConvError::NotSupported),
        }
    };
    Ok(AttrValue::AclField { enable, data, mask })
}

/// # Safety
/// List pointers in the member chosen by `t` must be valid for their counts.
unsafe fn acl_action_from_c(t: T, a: &sai_acl_action_data_t) -> Result<AttrValue, ConvError> {
    let enable = a.enable != 0;
    if !enable {
        return Ok(AttrValue::AclAction {
            enable,
            param: AclData::None,
        });
    }
    let p = &a.parameter;
    // SAFETY: as in acl_field_from_c.
    let param = unsafe {
        match t {
            T::AclActionDataBool => AclData::Bool(p.booldata != 0),
            T::AclActionDataU8 => AclData::U8(p.u8),
            T::AclActionDataI8 => AclData::I8(p.s8),
            T::AclActionDataU16 => AclData::U16(p.u16),
            T::AclActionDataI16 => AclData::I16(p.s16),
            T::AclActionDataU32 => AclData::U32(p.u32),
            T::AclActionDataI32 => AclData::I32(p.s32),
            T::AclActionDataMac => AclData::Mac(p.mac),
            T::AclActionDataIpv4 => AclData::Ipv4(ip4_bytes(p.ip4)),
            T::AclActionDataIpv6 => AclData::Ipv6(p.ip6),
            T::AclActionDataIpAddress => {
                AclData::IpAddr(ip_from_c(&p.ipaddr).ok_or(ConvError::InvalidValue)?)
            }
            T::AclActionDataObjectId => AclData::Oid(p.oid),
            T::AclActionDataObjectList => {
                AclData::OidList(read_list(p.objlist.count, p.objlist.list)?)
            }
            _ => return Err(ConvError::NotSupported),
        }
    };
    Ok(AttrValue::AclAction { enable, param })
}

fn flat_layout(t: T) -> Result<RawLayout, ConvError> {
    match raw_layout(t as u32) {
        Some(l) if l.size > 0 && l.flat => Ok(l),
        _ => Err(ConvError::NotSupported),
    }
}

const PTR_SIZE: usize = core::mem::size_of::<*const u8>();

/// Value types without a typed form: the member's bytes (list pointer and count zeroed so equal
/// values compare equal) plus a deep copy of the list elements.
///
/// # Safety
/// The list pointer of the member (if any) must be valid for its count.
unsafe fn raw_from_c(t: T, v: &sai_attribute_value_t) -> Result<AttrValue, ConvError> {
    let l = flat_layout(t)?;
    let base: *const u8 = core::ptr::from_ref(v).cast();
    let mut flat = vec![0u8; l.size];
    for (i, b) in flat.iter_mut().enumerate() {
        // SAFETY: i < l.size <= size_of::<sai_attribute_value_t>() (generated from the member layout).
        *b = unsafe { base.add(i).read() };
    }
    let mut list = None;
    let mut count = 0;
    if let Some((off, elem)) = l.list {
        // The `{count, list}` struct: u32 count at `off`, pointer at `off + 8`.
        let c = u32::from_ne_bytes(
            flat[off..off + 4]
                .try_into()
                .map_err(|_| ConvError::NotSupported)?,
        );
        let p = usize::from_ne_bytes(
            flat[off + 8..off + 8 + PTR_SIZE]
                .try_into()
                .map_err(|_| ConvError::NotSupported)?,
        );
        let n = count_of(c)?;
        let bytes = n.checked_mul(elem).ok_or(ConvError::InvalidParameter)?;
        if bytes > 0 && p == 0 {
            return Err(ConvError::InvalidParameter);
        }
        let src = p as *const u8;
        let mut data = vec![0u8; bytes];
        for (i, b) in data.iter_mut().enumerate() {
            // SAFETY: the caller guarantees `c` elements of `elem` bytes at the list pointer.
            *b = unsafe { src.add(i).read() };
        }
        flat[off..off + 8 + PTR_SIZE].fill(0);
        list = Some(data);
        count = c;
    }
    Ok(AttrValue::Other {
        value_type: t as u32,
        flat,
        list,
        count,
    })
}

/// Reads `count` attributes of object type `ot` from C. Unknown ids give
/// `SAI_STATUS_UNKNOWN_ATTRIBUTE_0 - index` before any value is read.
///
/// # Safety
/// `list` must point to `count` attributes (when `count > 0`), each valid as in [`value_from_c`].
pub(crate) unsafe fn attrs_from_c(
    ot: u32,
    count: u32,
    list: *const sai_attribute_t,
) -> Result<Vec<Attr>, sai_status_t> {
    let mut out = Vec::new();
    // SAFETY: forwarded caller contract.
    unsafe { attrs_from_c_into(ot, count, list, &mut out) }?;
    Ok(out)
}

/// Whether the `count` C attributes at `list` are `prev`, a list already converted for the same
/// object type: same ids in the same order, same values. Answers only for attributes whose
/// values are one scalar member (`s32`, `oid`, `u32`, `booldata`); anything else (or any doubt:
/// a null list, another count) is `false`, and the caller converts.
///
/// # Safety
/// `list` must point to `count` attributes (when `count > 0` and `count == prev.len()`).
pub(crate) unsafe fn same_scalar_attrs(
    count: u32,
    list: *const sai_attribute_t,
    prev: &[Attr],
) -> bool {
    if usize::try_from(count).ok() != Some(prev.len()) || (count > 0 && list.is_null()) {
        return false;
    }
    for (i, p) in prev.iter().enumerate() {
        // SAFETY: i < count attributes at `list` (caller contract).
        let a = unsafe { &*list.add(i) };
        if a.id != p.id {
            return false;
        }
        // `value_from_c` reads I32 only from `s32`, Oid from `oid`, U32 from `u32`, Bool from
        // `booldata`.
        // SAFETY: `p` came from an attribute with this id and object type, so the metadata names
        // the member its variant was read from (above), which the caller wrote; ints take any bits.
        let same = unsafe {
            match p.value {
                AttrValue::I32(x) => a.value.s32 == x,
                AttrValue::Oid(o) => a.value.oid == o,
                AttrValue::U32(x) => a.value.u32 == x,
                AttrValue::Bool(b) => (a.value.booldata != 0) == b,
                _ => false,
            }
        };
        if !same {
            return false;
        }
    }
    true
}

/// [`attrs_from_c`] into `out` (cleared first; its allocation is reused).
///
/// # Safety
/// As [`attrs_from_c`].
pub(crate) unsafe fn attrs_from_c_into(
    ot: u32,
    count: u32,
    list: *const sai_attribute_t,
    out: &mut Vec<Attr>,
) -> Result<(), sai_status_t> {
    out.clear();
    let info = meta::object_type(ot).ok_or(SAI_STATUS_INVALID_OBJECT_TYPE)?;
    if count > max_attr_count(info) {
        return Err(SAI_STATUS_INVALID_PARAMETER);
    }
    let n = usize::try_from(count).map_err(|_| SAI_STATUS_INVALID_PARAMETER)?;
    if n > 0 && list.is_null() {
        return Err(SAI_STATUS_INVALID_PARAMETER);
    }
    out.reserve(n);
    for i in 0..n {
        // SAFETY: i < count and the caller guarantees `count` attributes at `list`.
        let a = unsafe { &*list.add(i) };
        let m = info
            .attr(a.id)
            .ok_or(ranged(SAI_STATUS_UNKNOWN_ATTRIBUTE_0, i))?;
        // SAFETY: the member read is the one `m` names; lists per the caller's contract.
        let value = unsafe { value_from_c(m, &a.value) }.map_err(|e| e.status(i))?;
        out.push(Attr { id: a.id, value });
    }
    Ok(())
}

/// `sai_get_maximum_attribute_count`: the number of attributes the object type's metadata has.
pub(crate) fn max_attr_count(info: &meta::ObjectTypeInfo) -> u32 {
    u32::try_from(info.attrs.len()).unwrap_or(u32::MAX)
}

/// Writes `val` into the caller's value for attribute `m` (lists into the caller's buffers).
///
/// # Safety
/// List pointers in `out`'s member for `m.value_type` must be valid for their counts.
pub(crate) unsafe fn value_to_c(
    m: &AttrMeta,
    val: &AttrValue,
    out: &mut sai_attribute_value_t,
) -> Result<(), OutError> {
    use AttrValue as V;
    // SAFETY: for the union accesses below, the member used is the one the metadata names; list
    // buffers are written within the caller's counts by write_list.
    unsafe {
        match (m.value_type, val) {
            (T::Bool, V::Bool(b)) => out.booldata = c_bool::from(*b),
            (T::Chardata, V::Chardata(c)) => {
                let mut cd = [0 as ::core::ffi::c_char; 32];
                for (d, s) in cd.iter_mut().zip(c.iter()) {
                    *d = ::core::ffi::c_char::from_ne_bytes([*s]);
                }
                out.chardata = cd;
            }
            (T::U8, V::U8(x)) => out.u8 = *x,
            (T::I8, V::I8(x)) => out.s8 = *x,
            (T::U16, V::U16(x)) => out.u16 = *x,
            (T::I16, V::I16(x)) => out.s16 = *x,
            (T::U32, V::U32(x)) => out.u32 = *x,
            (T::I32, V::I32(x)) => out.s32 = *x,
            (T::U64, V::U64(x)) => out.u64 = *x,
            (T::I64, V::I64(x)) => out.s64 = *x,
            (T::Pointer, V::Pointer(p)) => out.ptr = *p as *mut ::core::ffi::c_void,
            (T::Mac, V::Mac(x)) => out.mac = *x,
            (T::Ipv4, V::Ipv4(x)) => out.ip4 = ip4_from(*x),
            (T::Ipv6, V::Ipv6(x)) => out.ip6 = *x,
            (T::IpAddress, V::IpAddr(ip)) => out.ipaddr = ip_to_c(ip),
            (T::IpPrefix, V::IpPrefix(p)) => out.ipprefix = prefix_to_c(p),
            (T::ObjectId, V::Oid(o)) => out.oid = *o,
            (T::ObjectList, V::OidList(l)) => {
                write_list(&mut out.objlist.count, out.objlist.list, l)?
            }
            (T::U8List, V::U8List(l)) => write_list(&mut out.u8list.count, out.u8list.list, l)?,
            (T::I8List, V::I8List(l)) => write_list(&mut out.s8list.count, out.s8list.list, l)?,
            (T::U16List, V::U16List(l)) => write_list(&mut out.u16list.count, out.u16list.list, l)?,
            (T::I16List, V::I16List(l)) => write_list(&mut out.s16list.count, out.s16list.list, l)?,
            (T::U32List, V::U32List(l)) => write_list(&mut out.u32list.count, out.u32list.list, l)?,
            (T::I32List, V::I32List(l)) => write_list(&mut out.s32list.count, out.s32list.list, l)?,
            (T::U32Range, V::U32Range(a, b)) => out.u32range = sai_u32_range_t { min: *a, max: *b },
            (T::I32Range, V::I32Range(a, b)) => out.s32range = sai_s32_range_t { min: *a, max: *b },
            (T::U16RangeList, V::U16RangeList(l)) => {
                let items: Vec<sai_u16_range_t> = l
                    .iter()
                    .map(|(a, b)| sai_u16_range_t { min: *a, max: *b })
                    .collect();
                write_list(&mut out.u16rangelist.count, out.u16rangelist.list, &items)?;
            }
            (T::VlanList, V::VlanList(l)) => {
                write_list(&mut out.vlanlist.count, out.vlanlist.list, l)?
            }
            (t, V::AclField { enable, data, mask }) if is_acl_field(t) => {
                acl_field_to_c(t, *enable, data, mask, &mut out.aclfield)?;
            }
            (t, V::AclAction { enable, param }) if is_acl_action(t) => {
                acl_action_to_c(t, *enable, param, &mut out.aclaction)?;
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
                raw_to_c(t, flat, list.as_deref(), *count, out)?;
            }
            _ => return Err(OutError::Mismatch),
        }
    }
    Ok(())
}

/// # Safety
/// List pointers in `f` must be valid for their counts.
unsafe fn acl_field_to_c(
    t: T,
    enable: bool,
    data: &AclData,
    mask: &AclData,
    f: &mut sai_acl_field_data_t,
) -> Result<(), OutError> {
    use AclData as D;
    f.enable = c_bool::from(enable);
    if !enable {
        return Ok(());
    }
    // SAFETY: lists are written within the caller's counts.
    unsafe {
        match (t, data) {
            (T::AclFieldDataBool, D::Bool(b)) => f.data.booldata = c_bool::from(*b),
            (_, D::U8(x)) => f.data.u8 = *x,
            (_, D::I8(x)) => f.data.s8 = *x,
            (_, D::U16(x)) => f.data.u16 = *x,
            (_, D::I16(x)) => f.data.s16 = *x,
            (_, D::U32(x)) => f.data.u32 = *x,
            (_, D::I32(x)) => f.data.s32 = *x,
            (_, D::U64(x)) => f.data.u64 = *x,
            (_, D::Mac(x)) => f.data.mac = *x,
            (_, D::Ipv4(x)) => f.data.ip4 = ip4_from(*x),
            (_, D::Ipv6(x)) => f.data.ip6 = *x,
            (_, D::Oid(x)) => f.data.oid = *x,
            (_, D::OidList(l)) => write_list(&mut f.data.objlist.count, f.data.objlist.list, l)?,
            (_, D::U8List(l)) => write_list(&mut f.data.u8list.count, f.data.u8list.list, l)?,
            (_, D::None) => {}
            _ => return Err(OutError::Mismatch),
        }
        match mask {
            D::U8(x) => f.mask.u8 = *x,
            D::I8(x) => f.mask.s8 = *x,
            D::U16(x) => f.mask.u16 = *x,
            D::I16(x) => f.mask.s16 = *x,
            D::U32(x) => f.mask.u32 = *x,
            D::I32(x) => f.mask.s32 = *x,
            D::U64(x) => f.mask.u64 = *x,
            D::Mac(x) => f.mask.mac = *x,
            D::Ipv4(x) => f.mask.ip4 = ip4_from(*x),
            D::Ipv6(x) => f.mask.ip6 = *x,
            D::U8List(l) => write_list(&mut f.mask.u8list.count, f.mask.u8list.list, l)?,
            D::None => {}
            _ => return Err(OutError::Mismatch),
        }
    }
    Ok(())
}

/// # Safety
/// List pointers in `a` must be valid for their counts.
unsafe fn acl_action_to_c(
    _t: T,
    enable: bool,
    param: &AclData,
    a: &mut sai_acl_action_data_t,
) -> Result<(), OutError> {
    use AclData as D;
    a.enable = c_bool::from(enable);
    if !enable {
        return Ok(());
    }
    let p = &mut a.parameter;
    // SAFETY: lists are written within the caller's counts.
    unsafe {
        match param {
            D::Bool(b) => p.booldata = c_bool::from(*b),
            D::U8(x) => p.u8 = *x,
            D::I8(x) => p.s8 = *x,
            D::U16(x) => p.u16 = *x,
            D::I16(x) => p.s16 = *x,
            D::U32(x) => p.u32 = *x,
            D::I32(x) => p.s32 = *x,
            D::Mac(x) => p.mac = *x,
            D::Ipv4(x) => p.ip4 = ip4_from(*x),
            D::Ipv6(x) => p.ip6 = *x,
            D::IpAddr(ip) => p.ipaddr = ip_to_c(ip),
            D::Oid(x) => p.oid = *x,
            D::OidList(l) => write_list(&mut p.objlist.count, p.objlist.list, l)?,
            D::None => {}
            D::U64(_) | D::U8List(_) => return Err(OutError::Mismatch),
        }
    }
    Ok(())
}

/// # Safety
/// The caller's list pointer in `out` (if the type has one) must be valid for its count.
unsafe fn raw_to_c(
    t: T,
    flat: &[u8],
    list: Option<&[u8]>,
    count: u32,
    out: &mut sai_attribute_value_t,
) -> Result<(), OutError> {
    let l = flat_layout(t).map_err(|_| OutError::Mismatch)?;
    if flat.len() != l.size {
        return Err(OutError::Mismatch);
    }
    let base: *mut u8 = core::ptr::from_mut(out).cast();
    match (l.list, list) {
        (None, _) => {
            for (i, b) in flat.iter().enumerate() {
                // SAFETY: i < l.size, within the union.
                unsafe { base.add(i).write(*b) };
            }
        }
        (Some((off, elem)), Some(data)) => {
            // SAFETY: off + 8 + PTR_SIZE <= l.size (a `{count, list}` struct inside the member).
            let (cap, ptr) = unsafe {
                (
                    base.add(off).cast::<u32>().read_unaligned(),
                    base.add(off + 8).cast::<*mut u8>().read_unaligned(),
                )
            };
            if cap < count {
                // SAFETY: as above.
                unsafe { base.add(off).cast::<u32>().write_unaligned(count) };
                return Err(OutError::Overflow);
            }
            if count > 0 && ptr.is_null() {
                return Err(OutError::InvalidParameter);
            }
            let bytes = usize::try_from(count)
                .map_err(|_| OutError::Mismatch)?
                .saturating_mul(elem);
            if bytes != data.len() {
                return Err(OutError::Mismatch);
            }
            // Non-list bytes of the member first, then the list elements and the count.
            for (i, b) in flat.iter().enumerate() {
                if i < off || i >= off + 8 + PTR_SIZE {
                    // SAFETY: i < l.size, within the union.
                    unsafe { base.add(i).write(*b) };
                }
            }
            for (i, b) in data.iter().enumerate() {
                // SAFETY: i < count * elem, and the caller's buffer holds `cap >= count` elements.
                unsafe { ptr.add(i).write(*b) };
            }
            // SAFETY: within the member, as above.
            unsafe { base.add(off).cast::<u32>().write_unaligned(count) };
        }
        (Some(_), None) => return Err(OutError::Mismatch),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zero_value() -> sai_attribute_value_t {
        sai_attribute_value_t { u64: 0 }
    }

    #[test]
    fn scalar_and_list_roundtrip() {
        let m = meta::attr_by_name("SAI_PORT_ATTR_HW_LANE_LIST").unwrap();
        let lanes = [1u32, 2, 3, 4];
        let mut v = zero_value();
        v.u32list = sai_u32_list_t {
            count: 4,
            list: lanes.as_ptr().cast_mut(),
        };
        // SAFETY: the list points to 4 u32.
        let val = unsafe { value_from_c(m, &v) }.unwrap();
        assert_eq!(val, AttrValue::U32List(vec![1, 2, 3, 4]));

        let mut buf = [0u32; 2];
        let mut out = zero_value();
        out.u32list = sai_u32_list_t {
            count: 2,
            list: buf.as_mut_ptr(),
        };
        // SAFETY: the list points to 2 writable u32.
        let r = unsafe { value_to_c(m, &val, &mut out) };
        assert_eq!(r, Err(OutError::Overflow));
        // SAFETY: reading the member just written.
        let n = unsafe { out.u32list.count };
        assert_eq!(n, 4);
        let mut big = [0u32; 8];
        out.u32list = sai_u32_list_t {
            count: 8,
            list: big.as_mut_ptr(),
        };
        // SAFETY: the list points to 8 writable u32.
        unsafe { value_to_c(m, &val, &mut out) }.unwrap();
        // SAFETY: reading the member just written.
        let n = unsafe { out.u32list.count };
        assert_eq!(n, 4);
        assert_eq!(&big[..4], &lanes);
        let _ = buf;
    }

    #[test]
    fn null_list_with_count_is_invalid_parameter() {
        let m = meta::attr_by_name("SAI_PORT_ATTR_HW_LANE_LIST").unwrap();
        let mut v = zero_value();
        v.u32list = sai_u32_list_t {
            count: 3,
            list: core::ptr::null_mut(),
        };
        // SAFETY: a null list is rejected before it is read.
        let r = unsafe { value_from_c(m, &v) };
        assert_eq!(r, Err(ConvError::InvalidParameter));
    }

    #[test]
    fn ip_prefix_roundtrip_and_bad_family() {
        let m = meta::attr_by_name("SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION").unwrap();
        assert_eq!(m.value_type, T::I32);
        let p = IpPrefix {
            addr: "10.1.0.0".parse().unwrap(),
            mask: "255.255.0.0".parse().unwrap(),
        };
        let c = prefix_to_c(&p);
        assert_eq!(prefix_from_c(&c), Some(p));
        let mut bad = c;
        bad.addr_family = 7;
        assert_eq!(prefix_from_c(&bad), None);
    }

    #[test]
    fn unknown_attribute_is_index_encoded() {
        let ot = meta::object_type_by_name("SAI_OBJECT_TYPE_VIRTUAL_ROUTER")
            .unwrap()
            .ot;
        let attrs = [
            sai_attribute_t {
                id: 0,
                value: sai_attribute_value_t { booldata: 1 },
            },
            sai_attribute_t {
                id: 0x0fff_fff0,
                value: zero_value(),
            },
        ];
        // SAFETY: two valid attributes.
        let r = unsafe { attrs_from_c(ot, 2, attrs.as_ptr()) };
        assert_eq!(r, Err(SAI_STATUS_UNKNOWN_ATTRIBUTE_0 - 1));
    }

    #[test]
    fn raw_value_types_roundtrip() {
        // A value type without a typed form: the QoS map list.
        let m = meta::attr_by_name("SAI_QOS_MAP_ATTR_MAP_TO_VALUE_LIST").unwrap();
        assert_eq!(m.value_type, T::QosMapList);
        // SAFETY: zero is a valid bit pattern for these plain C structs.
        let mut items: [sai_qos_map_t; 2] = unsafe { core::mem::zeroed() };
        items[0].key.dscp = 10;
        items[0].value.tc = 3;
        items[1].key.dscp = 46;
        items[1].value.tc = 5;
        let mut v = zero_value();
        v.qosmap = sai_qos_map_list_t {
            count: 2,
            list: items.as_mut_ptr(),
        };
        // SAFETY: 2 elements at the list pointer.
        let val = unsafe { value_from_c(m, &v) }.unwrap();
        // SAFETY: zeroed plain C structs.
        let mut back: [sai_qos_map_t; 4] = unsafe { core::mem::zeroed() };
        let mut out = zero_value();
        out.qosmap = sai_qos_map_list_t {
            count: 4,
            list: back.as_mut_ptr(),
        };
        // SAFETY: 4 writable elements.
        unsafe { value_to_c(m, &val, &mut out) }.unwrap();
        // SAFETY: reading what was written.
        unsafe {
            assert_eq!(out.qosmap.count, 2);
            assert_eq!(back[1].key.dscp, 46);
            assert_eq!(back[1].value.tc, 5);
        }
    }

    /// Small deterministic generator (xorshift64).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn bytes<const N: usize>(&mut self) -> [u8; N] {
            let mut b = [0u8; N];
            for x in &mut b {
                *x = self.next().to_ne_bytes()[0];
            }
            b
        }
        fn len(&mut self) -> usize {
            usize::try_from(self.next() % 6).unwrap()
        }
        fn ip(&mut self) -> IpAddr {
            if self.next().is_multiple_of(2) {
                IpAddr::V4(Ipv4Addr::from(self.bytes::<4>()))
            } else {
                IpAddr::V6(Ipv6Addr::from(self.bytes::<16>()))
            }
        }
    }

    #[allow(clippy::cast_possible_truncation, reason = "random test data")]
    fn random_value(r: &mut Rng, t: T) -> Option<AttrValue> {
        use AttrValue as V;
        let n = r.len();
        Some(match t {
            T::Bool => V::Bool(r.next().is_multiple_of(2)),
            T::Chardata => V::Chardata(r.bytes()),
            T::U8 => V::U8(r.next() as u8),
            T::I8 => V::I8(r.next() as i8),
            T::U16 => V::U16(r.next() as u16),
            T::I16 => V::I16(r.next() as i16),
            T::U32 => V::U32(r.next() as u32),
            T::I32 => V::I32(r.next() as i32),
            T::U64 => V::U64(r.next()),
            T::I64 => V::I64(r.next() as i64),
            T::Pointer => V::Pointer(r.next() as usize),
            T::Mac => V::Mac(r.bytes()),
            T::Ipv4 => V::Ipv4(r.bytes()),
            T::Ipv6 => V::Ipv6(r.bytes()),
            T::IpAddress => V::IpAddr(r.ip()),
            T::IpPrefix => {
                let addr = r.ip();
                let mask = match addr {
                    IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(r.bytes::<4>())),
                    IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(r.bytes::<16>())),
                };
                V::IpPrefix(IpPrefix { addr, mask })
            }
            T::ObjectId => V::Oid(r.next()),
            T::ObjectList => V::OidList((0..n).map(|_| r.next()).collect()),
            T::U8List => V::U8List((0..n).map(|_| r.next() as u8).collect()),
            T::I8List => V::I8List((0..n).map(|_| r.next() as i8).collect()),
            T::U16List => V::U16List((0..n).map(|_| r.next() as u16).collect()),
            T::I16List => V::I16List((0..n).map(|_| r.next() as i16).collect()),
            T::U32List => V::U32List((0..n).map(|_| r.next() as u32).collect()),
            T::I32List => V::I32List((0..n).map(|_| r.next() as i32).collect()),
            T::U32Range => V::U32Range(r.next() as u32, r.next() as u32),
            T::I32Range => V::I32Range(r.next() as i32, r.next() as i32),
            T::U16RangeList => {
                V::U16RangeList((0..n).map(|_| (r.next() as u16, r.next() as u16)).collect())
            }
            T::VlanList => V::VlanList((0..n).map(|_| r.next() as u16).collect()),
            t if is_acl_field(t) => {
                if r.next().is_multiple_of(4) {
                    return Some(V::AclField {
                        enable: false,
                        data: AclData::None,
                        mask: AclData::None,
                    });
                }
                let (data, mask) = match t {
                    T::AclFieldDataBool => {
                        (AclData::Bool(r.next().is_multiple_of(2)), AclData::None)
                    }
                    T::AclFieldDataU8 => (AclData::U8(r.next() as u8), AclData::U8(r.next() as u8)),
                    T::AclFieldDataI8 => (AclData::I8(r.next() as i8), AclData::I8(r.next() as i8)),
                    T::AclFieldDataU16 => {
                        (AclData::U16(r.next() as u16), AclData::U16(r.next() as u16))
                    }
                    T::AclFieldDataI16 => {
                        (AclData::I16(r.next() as i16), AclData::I16(r.next() as i16))
                    }
                    T::AclFieldDataU32 => {
                        (AclData::U32(r.next() as u32), AclData::U32(r.next() as u32))
                    }
                    T::AclFieldDataI32 => {
                        (AclData::I32(r.next() as i32), AclData::I32(r.next() as i32))
                    }
                    T::AclFieldDataU64 => (AclData::U64(r.next()), AclData::U64(r.next())),
                    T::AclFieldDataMac => (AclData::Mac(r.bytes()), AclData::Mac(r.bytes())),
                    T::AclFieldDataIpv4 => (AclData::Ipv4(r.bytes()), AclData::Ipv4(r.bytes())),
                    T::AclFieldDataIpv6 => (AclData::Ipv6(r.bytes()), AclData::Ipv6(r.bytes())),
                    T::AclFieldDataObjectId => (AclData::Oid(r.next()), AclData::None),
                    T::AclFieldDataObjectList => (
                        AclData::OidList((0..n).map(|_| r.next()).collect()),
                        AclData::None,
                    ),
                    T::AclFieldDataU8List => (
                        AclData::U8List((0..n).map(|_| r.next() as u8).collect()),
                        AclData::U8List((0..n).map(|_| r.next() as u8).collect()),
                    ),
                    _ => return None,
                };
                V::AclField {
                    enable: true,
                    data,
                    mask,
                }
            }
            t if is_acl_action(t) => {
                let param = match t {
                    T::AclActionDataBool => AclData::Bool(r.next().is_multiple_of(2)),
                    T::AclActionDataU8 => AclData::U8(r.next() as u8),
                    T::AclActionDataI8 => AclData::I8(r.next() as i8),
                    T::AclActionDataU16 => AclData::U16(r.next() as u16),
                    T::AclActionDataI16 => AclData::I16(r.next() as i16),
                    T::AclActionDataU32 => AclData::U32(r.next() as u32),
                    T::AclActionDataI32 => AclData::I32(r.next() as i32),
                    T::AclActionDataMac => AclData::Mac(r.bytes()),
                    T::AclActionDataIpv4 => AclData::Ipv4(r.bytes()),
                    T::AclActionDataIpv6 => AclData::Ipv6(r.bytes()),
                    T::AclActionDataIpAddress => AclData::IpAddr(r.ip()),
                    T::AclActionDataObjectId => AclData::Oid(r.next()),
                    T::AclActionDataObjectList => {
                        AclData::OidList((0..n).map(|_| r.next()).collect())
                    }
                    _ => return None,
                };
                V::AclAction {
                    enable: !r.next().is_multiple_of(4),
                    param,
                }
                .normalized()
            }
            t => {
                let l = flat_layout(t).ok()?;
                let mut flat: Vec<u8> = (0..l.size).map(|_| r.next().to_ne_bytes()[0]).collect();
                let (list, count) = match l.list {
                    Some((off, elem)) => {
                        flat[off..off + 8 + PTR_SIZE].fill(0);
                        (
                            Some((0..n * elem).map(|_| r.next().to_ne_bytes()[0]).collect()),
                            n as u32,
                        )
                    }
                    None => (None, 0),
                };
                V::Other {
                    value_type: t as u32,
                    flat,
                    list,
                    count,
                }
            }
        })
    }

    trait Normalized {
        fn normalized(self) -> Self;
    }
    impl Normalized for AttrValue {
        /// A disabled ACL action reads back without its parameter.
        fn normalized(self) -> Self {
            match self {
                AttrValue::AclAction { enable: false, .. } => AttrValue::AclAction {
                    enable: false,
                    param: AclData::None,
                },
                v => v,
            }
        }
    }

    /// Points every `{count, list}` the value type can use at a large buffer.
    fn prepare(t: T, v: &mut sai_attribute_value_t, bufs: &mut Vec<Vec<u64>>) {
        let mut give = |at: usize, v: &mut sai_attribute_value_t| {
            let mut b = vec![0u64; 512];
            let p = b.as_mut_ptr();
            bufs.push(b);
            let base: *mut u8 = core::ptr::from_mut(v).cast();
            // SAFETY: `at + 16 <= size_of::<sai_attribute_value_t>()`: a `{count, list}` struct.
            unsafe {
                base.add(at).cast::<u32>().write_unaligned(64);
                base.add(at + 8).cast::<*mut u64>().write_unaligned(p);
            }
        };
        if is_acl_field(t) {
            give(8, v); // mask.u8list
            give(24, v); // data.objlist / data.u8list
        } else if is_acl_action(t) {
            give(8, v); // parameter.objlist
        } else if let Some(RawLayout {
            list: Some((off, _)),
            ..
        }) = raw_layout(t as u32)
        {
            give(off, v);
        }
    }

    #[test]
    fn every_attribute_roundtrips_through_c() {
        let mut r = Rng(0x2545_F491_4F6C_DD1D);
        let mut checked = 0;
        for ot in meta::OBJECT_TYPES {
            for m in ot.attrs {
                for _ in 0..4 {
                    let Some(val) = random_value(&mut r, m.value_type) else {
                        continue;
                    };
                    let mut out = zero_value();
                    let mut bufs = Vec::new();
                    prepare(m.value_type, &mut out, &mut bufs);
                    // SAFETY: every list pointer in `out` points to a 4 KiB buffer with count 64.
                    unsafe { value_to_c(m, &val, &mut out) }
                        .unwrap_or_else(|e| panic!("{}: {e:?} for {val:?}", m.name));
                    // SAFETY: lists written above are valid for their counts.
                    let back = unsafe { value_from_c(m, &out) }
                        .unwrap_or_else(|e| panic!("{}: {e:?}", m.name));
                    assert_eq!(back, val, "{}", m.name);
                    checked += 1;
                }
            }
        }
        assert!(checked > 7000, "{checked}");
    }
}
