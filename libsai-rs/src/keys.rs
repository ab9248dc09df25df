//! Entry keys (`sai_route_entry_t`, `sai_neighbor_entry_t`, ...) <-> the store's canonical
//! [`EntryKey`]: one typed value per key member, read at the member's offset as the metadata says.
//! Padding bytes and the unused tail of an IPv4 address are never read, so equal keys are equal.

use crate::convert::{ip_from_c, ip_to_c, prefix_from_c, prefix_to_c};
use sai_headers::ffi::*;
use sai_headers::meta::{AttrValueType as T, ObjectTypeInfo};
use sai_store::{AttrValue, EntryKey, RouteKey};

/// Canonical bytes of a `sai_nat_entry_key_t` / `sai_nat_entry_mask_t` (fields only, no padding),
/// and back.
macro_rules! nat_codec {
    ($to:ident, $from:ident, $t:ty) => {
        fn $to(k: &$t, out: &mut Vec<u8>) {
            out.extend_from_slice(&k.src_ip.to_ne_bytes());
            out.extend_from_slice(&k.dst_ip.to_ne_bytes());
            out.push(k.proto);
            out.extend_from_slice(&k.l4_src_port.to_ne_bytes());
            out.extend_from_slice(&k.l4_dst_port.to_ne_bytes());
        }
        fn $from(b: &[u8]) -> Option<$t> {
            Some(<$t>::from_fields(
                u32::from_ne_bytes(b.get(0..4)?.try_into().ok()?),
                u32::from_ne_bytes(b.get(4..8)?.try_into().ok()?),
                *b.get(8)?,
                u16::from_ne_bytes(b.get(9..11)?.try_into().ok()?),
                u16::from_ne_bytes(b.get(11..13)?.try_into().ok()?),
            ))
        }
    };
}

trait NatFields {
    fn from_fields(src_ip: u32, dst_ip: u32, proto: u8, l4_src_port: u16, l4_dst_port: u16)
        -> Self;
}
impl NatFields for sai_nat_entry_key_t {
    fn from_fields(
        src_ip: u32,
        dst_ip: u32,
        proto: u8,
        l4_src_port: u16,
        l4_dst_port: u16,
    ) -> Self {
        sai_nat_entry_key_t {
            src_ip,
            dst_ip,
            proto,
            l4_src_port,
            l4_dst_port,
        }
    }
}
impl NatFields for sai_nat_entry_mask_t {
    fn from_fields(
        src_ip: u32,
        dst_ip: u32,
        proto: u8,
        l4_src_port: u16,
        l4_dst_port: u16,
    ) -> Self {
        sai_nat_entry_mask_t {
            src_ip,
            dst_ip,
            proto,
            l4_src_port,
            l4_dst_port,
        }
    }
}
nat_codec!(nat_key_bytes, nat_key_from, sai_nat_entry_key_t);
nat_codec!(nat_mask_bytes, nat_mask_from, sai_nat_entry_mask_t);

/// Reads the key of entry type `info` from the C key struct at `p`.
///
/// # Safety
/// `p` must be null or point to a readable key struct of `info`'s type.
pub(crate) unsafe fn key_from_c(
    info: &ObjectTypeInfo,
    p: *const u8,
) -> Result<EntryKey, sai_status_t> {
    if p.is_null() {
        return Err(SAI_STATUS_INVALID_PARAMETER);
    }
    let mut members = Vec::with_capacity(info.key_members.len());
    for km in info.key_members {
        // SAFETY: offsets and sizes come from the key struct's layout in the ABI data; the caller
        // guarantees the struct is readable; read_unaligned tolerates any alignment.
        let v = unsafe {
            let at = p.add(km.offset);
            match km.value_type {
                T::ObjectId => AttrValue::Oid(at.cast::<u64>().read_unaligned()),
                T::Mac => AttrValue::Mac(at.cast::<[u8; 6]>().read_unaligned()),
                T::U8 => AttrValue::U8(at.read()),
                T::U16 => AttrValue::U16(at.cast::<u16>().read_unaligned()),
                T::U32 => AttrValue::U32(at.cast::<u32>().read_unaligned()),
                T::I32 => AttrValue::I32(at.cast::<i32>().read_unaligned()),
                T::Ipv6 => AttrValue::Ipv6(at.cast::<[u8; 16]>().read_unaligned()),
                T::U32Range => {
                    let r = at.cast::<sai_u32_range_t>().read_unaligned();
                    AttrValue::U32Range(r.min, r.max)
                }
                T::IpAddress => {
                    let a = at.cast::<sai_ip_address_t>().read_unaligned();
                    AttrValue::IpAddr(ip_from_c(&a).ok_or(SAI_STATUS_INVALID_PARAMETER)?)
                }
                T::IpPrefix => {
                    let a = at.cast::<sai_ip_prefix_t>().read_unaligned();
                    AttrValue::IpPrefix(prefix_from_c(&a).ok_or(SAI_STATUS_INVALID_PARAMETER)?)
                }
                T::NatEntryData => {
                    let d = at.cast::<sai_nat_entry_data_t>().read_unaligned();
                    let mut flat = Vec::with_capacity(26);
                    nat_key_bytes(&d.key, &mut flat);
                    nat_mask_bytes(&d.mask, &mut flat);
                    AttrValue::Other {
                        value_type: T::NatEntryData as u32,
                        flat,
                        list: None,
                        count: 0,
                    }
                }
                _ => return Err(SAI_STATUS_NOT_SUPPORTED),
            }
        };
        members.push(v);
    }
    Ok(EntryKey {
        ot: info.ot,
        members,
    })
}

/// A `sai_route_entry_t` as a [`RouteKey`] (no allocation): what [`key_from_c`] gives for a
/// route, in the route calls' form. A bad destination is `SAI_STATUS_INVALID_PARAMETER`, as
/// there.
///
/// # Safety
/// `p` is null or points to a readable `sai_route_entry_t` (any alignment).
pub(crate) unsafe fn route_key_from_c(p: *const u8) -> Result<RouteKey, sai_status_t> {
    if p.is_null() {
        return Err(SAI_STATUS_INVALID_PARAMETER);
    }
    // SAFETY: readable (caller contract); read_unaligned tolerates any alignment.
    let e = unsafe { p.cast::<sai_route_entry_t>().read_unaligned() };
    Ok(RouteKey {
        switch_id: e.switch_id,
        vr_id: e.vr_id,
        destination: prefix_from_c(&e.destination).ok_or(SAI_STATUS_INVALID_PARAMETER)?,
    })
}

/// Writes `key` into the C key struct at `p` (which the caller zeroed).
///
/// # Safety
/// `p` must point to a writable key struct of `info`'s type.
pub(crate) unsafe fn key_to_c(
    info: &ObjectTypeInfo,
    key: &EntryKey,
    p: *mut u8,
) -> Result<(), sai_status_t> {
    if key.members.len() != info.key_members.len() {
        return Err(SAI_STATUS_FAILURE);
    }
    for (km, v) in info.key_members.iter().zip(&key.members) {
        // SAFETY: offsets and types come from the key struct's layout; the caller guarantees the
        // struct is writable; write_unaligned tolerates any alignment.
        unsafe {
            let at = p.add(km.offset);
            match v {
                AttrValue::Oid(o) => at.cast::<u64>().write_unaligned(*o),
                AttrValue::Mac(m) => at.cast::<[u8; 6]>().write_unaligned(*m),
                AttrValue::U8(x) => at.write(*x),
                AttrValue::U16(x) => at.cast::<u16>().write_unaligned(*x),
                AttrValue::U32(x) => at.cast::<u32>().write_unaligned(*x),
                AttrValue::I32(x) => at.cast::<i32>().write_unaligned(*x),
                AttrValue::Ipv6(x) => at.cast::<[u8; 16]>().write_unaligned(*x),
                AttrValue::U32Range(a, b) => at
                    .cast::<sai_u32_range_t>()
                    .write_unaligned(sai_u32_range_t { min: *a, max: *b }),
                AttrValue::IpAddr(ip) => at.cast::<sai_ip_address_t>().write_unaligned(ip_to_c(ip)),
                AttrValue::IpPrefix(pf) => at
                    .cast::<sai_ip_prefix_t>()
                    .write_unaligned(prefix_to_c(pf)),
                AttrValue::Other { flat, .. } if km.value_type == T::NatEntryData => {
                    let key = nat_key_from(flat).ok_or(SAI_STATUS_FAILURE)?;
                    let mask =
                        nat_mask_from(flat.get(13..).unwrap_or(&[])).ok_or(SAI_STATUS_FAILURE)?;
                    at.cast::<sai_nat_entry_data_t>()
                        .write_unaligned(sai_nat_entry_data_t { key, mask });
                }
                _ => return Err(SAI_STATUS_FAILURE),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sai_headers::meta;

    #[test]
    fn route_key_roundtrip_ignores_padding_and_ipv4_tail() {
        let info = meta::object_type_by_name("SAI_OBJECT_TYPE_ROUTE_ENTRY").unwrap();
        // SAFETY: zero is valid for the plain C key struct.
        let mut a: sai_route_entry_t = unsafe { core::mem::zeroed() };
        a.switch_id = 0x21_0000_0000_0000;
        a.vr_id = 0x3_0000_0000_0001;
        a.destination.addr_family = SAI_IP_ADDR_FAMILY_IPV4;
        a.destination.addr.ip4 = u32::from_ne_bytes([10, 0, 0, 0]);
        a.destination.mask.ip4 = u32::from_ne_bytes([255, 0, 0, 0]);
        let mut b = a;
        // Garbage in the unused tail of the IPv4 union must not change the key.
        // SAFETY: writing a union member of the local copy.
        unsafe { b.destination.addr.ip6[12] = 0xAB };
        // SAFETY: both point to valid key structs.
        let (ka, kb) = unsafe {
            (
                key_from_c(info, core::ptr::from_ref(&a).cast()).unwrap(),
                key_from_c(info, core::ptr::from_ref(&b).cast()).unwrap(),
            )
        };
        assert_eq!(ka, kb);
        // SAFETY: zero is valid for the plain C key struct.
        let mut c: sai_route_entry_t = unsafe { core::mem::zeroed() };
        // SAFETY: c is a writable key struct.
        unsafe { key_to_c(info, &ka, core::ptr::from_mut(&mut c).cast()).unwrap() };
        assert_eq!(c.vr_id, a.vr_id);
        // SAFETY: reading the union member written above.
        let mask = unsafe { c.destination.mask.ip4 };
        assert_eq!(mask, u32::from_ne_bytes([255, 0, 0, 0]));
        // SAFETY: null is rejected before any read.
        let r = unsafe { key_from_c(info, core::ptr::null()) };
        assert_eq!(r, Err(SAI_STATUS_INVALID_PARAMETER));
    }
}
