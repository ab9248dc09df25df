//! Safe, owned SAI attribute values: what the FFI boundary converts C values into.
//!
//! Every `sai_attribute_value_t` member the store understands has a typed variant; any other
//! value type travels as [`AttrValue::Other`] (raw bytes of the flat union member and, for lists,
//! of the elements) so that it can be stored and returned unchanged.

use std::net::IpAddr;

/// A SAI status code (`sai_status_t`, a C `int32_t`).
pub type Status = i32;

/// SAI status codes and the per-attribute-index ranges.
///
/// The values are those of `saistatus.h` (see `sai-abi.json`, `status_codes`). The ranged codes are
/// computed as `<RANGE>_0 - index`, as the SAI headers define them; the v1.18 `SAI_STATUS_IS_*`
/// macros are wrong for indices other than 0 and are not used.
pub mod status {
    use super::Status;

    pub const SUCCESS: Status = 0;
    pub const FAILURE: Status = -1;
    pub const NOT_SUPPORTED: Status = -2;
    pub const NO_MEMORY: Status = -3;
    pub const INSUFFICIENT_RESOURCES: Status = -4;
    pub const INVALID_PARAMETER: Status = -5;
    pub const ITEM_ALREADY_EXISTS: Status = -6;
    pub const ITEM_NOT_FOUND: Status = -7;
    pub const BUFFER_OVERFLOW: Status = -8;
    pub const INVALID_PORT_NUMBER: Status = -9;
    pub const INVALID_PORT_MEMBER: Status = -10;
    pub const INVALID_VLAN_ID: Status = -11;
    pub const UNINITIALIZED: Status = -12;
    pub const TABLE_FULL: Status = -13;
    pub const MANDATORY_ATTRIBUTE_MISSING: Status = -14;
    pub const NOT_IMPLEMENTED: Status = -15;
    pub const ADDR_NOT_FOUND: Status = -16;
    pub const OBJECT_IN_USE: Status = -17;
    pub const INVALID_OBJECT_TYPE: Status = -18;
    pub const INVALID_OBJECT_ID: Status = -19;
    pub const INVALID_NV_STORAGE: Status = -20;
    pub const NV_STORAGE_FULL: Status = -21;
    pub const SW_UPGRADE_VERSION_MISMATCH: Status = -22;
    pub const NOT_EXECUTED: Status = -23;
    pub const STAGE_MISMATCH: Status = -24;

    pub const INVALID_ATTRIBUTE_0: Status = -0x1_0000;
    pub const INVALID_ATTR_VALUE_0: Status = -0x2_0000;
    pub const ATTR_NOT_IMPLEMENTED_0: Status = -0x3_0000;
    pub const UNKNOWN_ATTRIBUTE_0: Status = -0x4_0000;
    pub const ATTR_NOT_SUPPORTED_0: Status = -0x5_0000;

    /// Largest attribute index a ranged status can carry.
    pub const MAX_INDEX: usize = 0xFFFF;

    fn ranged(base: Status, index: usize) -> Status {
        // Indices beyond the range saturate at its last code rather than spilling into the next range.
        let i = i32::try_from(index.min(MAX_INDEX)).unwrap_or(0xFFFF);
        base - i
    }

    /// `SAI_STATUS_INVALID_ATTRIBUTE_0 - index`.
    pub fn invalid_attribute(index: usize) -> Status {
        ranged(INVALID_ATTRIBUTE_0, index)
    }
    /// `SAI_STATUS_INVALID_ATTR_VALUE_0 - index`.
    pub fn invalid_attr_value(index: usize) -> Status {
        ranged(INVALID_ATTR_VALUE_0, index)
    }
    /// `SAI_STATUS_ATTR_NOT_IMPLEMENTED_0 - index`.
    pub fn attr_not_implemented(index: usize) -> Status {
        ranged(ATTR_NOT_IMPLEMENTED_0, index)
    }
    /// `SAI_STATUS_UNKNOWN_ATTRIBUTE_0 - index`.
    pub fn unknown_attribute(index: usize) -> Status {
        ranged(UNKNOWN_ATTRIBUTE_0, index)
    }
    /// `SAI_STATUS_ATTR_NOT_SUPPORTED_0 - index`.
    pub fn attr_not_supported(index: usize) -> Status {
        ranged(ATTR_NOT_SUPPORTED_0, index)
    }

    /// The five per-attribute ranges.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Range {
        InvalidAttribute,
        InvalidAttrValue,
        AttrNotImplemented,
        UnknownAttribute,
        AttrNotSupported,
    }

    /// Decode a ranged status into its range and attribute index (`None` for plain codes).
    pub fn decode(s: Status) -> Option<(Range, usize)> {
        let table = [
            (INVALID_ATTRIBUTE_0, Range::InvalidAttribute),
            (INVALID_ATTR_VALUE_0, Range::InvalidAttrValue),
            (ATTR_NOT_IMPLEMENTED_0, Range::AttrNotImplemented),
            (UNKNOWN_ATTRIBUTE_0, Range::UnknownAttribute),
            (ATTR_NOT_SUPPORTED_0, Range::AttrNotSupported),
        ];
        table.iter().find_map(|&(base, r)| {
            let off = base.checked_sub(s)?;
            (0..=0xFFFF)
                .contains(&off)
                .then(|| (r, usize::try_from(off).unwrap_or(0)))
        })
    }

    /// The `SAI_STATUS_*` name of a status (ranged codes as `NAME_0+i` style, e.g. `SAI_STATUS_INVALID_ATTRIBUTE_3`).
    pub fn name(s: Status) -> String {
        const NAMES: [&str; 25] = [
            "SUCCESS",
            "FAILURE",
            "NOT_SUPPORTED",
            "NO_MEMORY",
            "INSUFFICIENT_RESOURCES",
            "INVALID_PARAMETER",
            "ITEM_ALREADY_EXISTS",
            "ITEM_NOT_FOUND",
            "BUFFER_OVERFLOW",
            "INVALID_PORT_NUMBER",
            "INVALID_PORT_MEMBER",
            "INVALID_VLAN_ID",
            "UNINITIALIZED",
            "TABLE_FULL",
            "MANDATORY_ATTRIBUTE_MISSING",
            "NOT_IMPLEMENTED",
            "ADDR_NOT_FOUND",
            "OBJECT_IN_USE",
            "INVALID_OBJECT_TYPE",
            "INVALID_OBJECT_ID",
            "INVALID_NV_STORAGE",
            "NV_STORAGE_FULL",
            "SW_UPGRADE_VERSION_MISMATCH",
            "NOT_EXECUTED",
            "STAGE_MISMATCH",
        ];
        if let Some(n) = usize::try_from(-i64::from(s))
            .ok()
            .and_then(|i| NAMES.get(i))
        {
            return format!("SAI_STATUS_{n}");
        }
        match decode(s) {
            Some((r, i)) => {
                let n = match r {
                    Range::InvalidAttribute => "INVALID_ATTRIBUTE",
                    Range::InvalidAttrValue => "INVALID_ATTR_VALUE",
                    Range::AttrNotImplemented => "ATTR_NOT_IMPLEMENTED",
                    Range::UnknownAttribute => "UNKNOWN_ATTRIBUTE",
                    Range::AttrNotSupported => "ATTR_NOT_SUPPORTED",
                };
                format!("SAI_STATUS_{n}_{i}")
            }
            None => format!("SAI_STATUS({s})"),
        }
    }
}

/// Numeric `SAI_ATTR_VALUE_TYPE_*` ids (as in `sai_attr_value_type_t`), used to check a value
/// against attribute metadata without depending on the generated enum's Rust representation.
pub mod vt {
    pub const BOOL: u32 = 0;
    pub const CHARDATA: u32 = 1;
    pub const UINT8: u32 = 2;
    pub const INT8: u32 = 3;
    pub const UINT16: u32 = 4;
    pub const INT16: u32 = 5;
    pub const UINT32: u32 = 6;
    pub const INT32: u32 = 7;
    pub const UINT64: u32 = 8;
    pub const INT64: u32 = 9;
    pub const POINTER: u32 = 10;
    pub const MAC: u32 = 11;
    pub const IPV4: u32 = 12;
    pub const IPV6: u32 = 13;
    pub const IP_ADDRESS: u32 = 14;
    pub const IP_PREFIX: u32 = 15;
    pub const PRBS_RX_STATE: u32 = 16;
    pub const OBJECT_ID: u32 = 17;
    pub const OBJECT_LIST: u32 = 18;
    pub const UINT8_LIST: u32 = 19;
    pub const INT8_LIST: u32 = 20;
    pub const UINT16_LIST: u32 = 21;
    pub const INT16_LIST: u32 = 22;
    pub const UINT32_LIST: u32 = 23;
    pub const INT32_LIST: u32 = 24;
    pub const UINT32_RANGE: u32 = 25;
    pub const UINT16_RANGE_LIST: u32 = 26;
    pub const INT32_RANGE: u32 = 27;
    pub const ACL_FIELD_DATA_BOOL: u32 = 28;
    pub const ACL_FIELD_DATA_UINT8: u32 = 29;
    pub const ACL_FIELD_DATA_INT8: u32 = 30;
    pub const ACL_FIELD_DATA_UINT16: u32 = 31;
    pub const ACL_FIELD_DATA_INT16: u32 = 32;
    pub const ACL_FIELD_DATA_UINT32: u32 = 33;
    pub const ACL_FIELD_DATA_INT32: u32 = 34;
    pub const ACL_FIELD_DATA_UINT64: u32 = 35;
    pub const ACL_FIELD_DATA_MAC: u32 = 36;
    pub const ACL_FIELD_DATA_IPV4: u32 = 37;
    pub const ACL_FIELD_DATA_IPV6: u32 = 38;
    pub const ACL_FIELD_DATA_MACSEC_SCI: u32 = 39;
    pub const ACL_FIELD_DATA_OBJECT_ID: u32 = 40;
    pub const ACL_FIELD_DATA_OBJECT_LIST: u32 = 41;
    pub const ACL_FIELD_DATA_UINT8_LIST: u32 = 42;
    pub const ACL_ACTION_DATA_BOOL: u32 = 43;
    pub const ACL_ACTION_DATA_UINT8: u32 = 44;
    pub const ACL_ACTION_DATA_INT8: u32 = 45;
    pub const ACL_ACTION_DATA_UINT16: u32 = 46;
    pub const ACL_ACTION_DATA_INT16: u32 = 47;
    pub const ACL_ACTION_DATA_UINT32: u32 = 48;
    pub const ACL_ACTION_DATA_INT32: u32 = 49;
    pub const ACL_ACTION_DATA_MAC: u32 = 50;
    pub const ACL_ACTION_DATA_IPV4: u32 = 51;
    pub const ACL_ACTION_DATA_IPV6: u32 = 52;
    pub const ACL_ACTION_DATA_IP_ADDRESS: u32 = 53;
    pub const ACL_ACTION_DATA_OBJECT_ID: u32 = 54;
    pub const ACL_ACTION_DATA_OBJECT_LIST: u32 = 55;
    pub const VLAN_LIST: u32 = 59;
    pub const UINT16_RANGE: u32 = 89;
}

/// An IP prefix: address and mask of the same family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpPrefix {
    pub addr: IpAddr,
    pub mask: IpAddr,
}

impl IpPrefix {
    /// Prefix length if the mask is contiguous and of the address's family.
    pub fn prefix_len(&self) -> Option<u8> {
        let (bits, width) = match (self.addr, self.mask) {
            (IpAddr::V4(_), IpAddr::V4(m)) => (u128::from(u32::from(m)) << 96, 32u32),
            (IpAddr::V6(_), IpAddr::V6(m)) => (u128::from(m), 128u32),
            _ => return None,
        };
        let ones = bits.leading_ones();
        let contiguous = bits.checked_shl(ones).unwrap_or(0) == 0;
        (contiguous && ones <= width).then(|| u8::try_from(ones).unwrap_or(0))
    }

    /// True when the address has no bits set outside the mask.
    pub fn is_canonical(&self) -> bool {
        match (self.addr, self.mask) {
            (IpAddr::V4(a), IpAddr::V4(m)) => u32::from(a) & !u32::from(m) == 0,
            (IpAddr::V6(a), IpAddr::V6(m)) => u128::from(a) & !u128::from(m) == 0,
            _ => false,
        }
    }
}

/// Data (or mask) of an ACL field, or parameter of an ACL action.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AclData {
    /// No data (a disabled field/action, or the mask of a type without one).
    None,
    Bool(bool),
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    U64(u64),
    Mac([u8; 6]),
    Ipv4([u8; 4]),
    Ipv6([u8; 16]),
    IpAddr(IpAddr),
    Oid(u64),
    OidList(Vec<u64>),
    U8List(Vec<u8>),
}

impl AclData {
    /// Object ids this data refers to.
    pub fn oids(&self) -> &[u64] {
        match self {
            AclData::Oid(o) => std::slice::from_ref(o),
            AclData::OidList(l) => l,
            _ => &[],
        }
    }
}

/// An owned SAI attribute value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AttrValue {
    Bool(bool),
    /// `char[32]`, NUL-padded.
    Chardata([u8; 32]),
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    U64(u64),
    I64(i64),
    Pointer(usize),
    Mac([u8; 6]),
    Ipv4([u8; 4]),
    Ipv6([u8; 16]),
    IpAddr(IpAddr),
    IpPrefix(IpPrefix),
    Oid(u64),
    OidList(Vec<u64>),
    U8List(Vec<u8>),
    I8List(Vec<i8>),
    U16List(Vec<u16>),
    I16List(Vec<i16>),
    U32List(Vec<u32>),
    I32List(Vec<i32>),
    U32Range(u32, u32),
    I32Range(i32, i32),
    U16RangeList(Vec<(u16, u16)>),
    VlanList(Vec<u16>),
    AclField {
        enable: bool,
        data: AclData,
        mask: AclData,
    },
    AclAction {
        enable: bool,
        param: AclData,
    },
    /// Any other value type: raw bytes of the flat union member, and for lists the raw element
    /// bytes (flat elements only) with the element count.
    Other {
        value_type: u32,
        flat: Vec<u8>,
        list: Option<Vec<u8>>,
        count: u32,
    },
}

/// One attribute: id and value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Attr {
    pub id: u32,
    pub value: AttrValue,
}

impl Attr {
    pub fn new(id: u32, value: AttrValue) -> Self {
        Attr { id, value }
    }
}

/// The key of a non-object-id object (route, neighbor, FDB entry, ...): canonical form, one value
/// per key member of the object type's metadata, in metadata order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EntryKey {
    pub ot: u32,
    pub members: Vec<AttrValue>,
}

impl AttrValue {
    /// Build a `Chardata` value from a string (truncated to 31 bytes so it stays NUL-terminated).
    pub fn chardata(s: &str) -> Self {
        let mut b = [0u8; 32];
        let n = s.len().min(31);
        b[..n].copy_from_slice(&s.as_bytes()[..n]);
        AttrValue::Chardata(b)
    }

    /// The single object id, if this is an `Oid` value.
    pub fn as_oid(&self) -> Option<u64> {
        match self {
            AttrValue::Oid(o) => Some(*o),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            AttrValue::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_u32(&self) -> Option<u32> {
        match self {
            AttrValue::U32(v) => Some(*v),
            _ => None,
        }
    }
    pub fn as_i32(&self) -> Option<i32> {
        match self {
            AttrValue::I32(v) => Some(*v),
            _ => None,
        }
    }
    pub fn as_oid_list(&self) -> Option<&[u64]> {
        match self {
            AttrValue::OidList(l) => Some(l),
            _ => None,
        }
    }
    pub fn as_u32_list(&self) -> Option<&[u32]> {
        match self {
            AttrValue::U32List(l) => Some(l),
            _ => None,
        }
    }

    /// Every object id this value refers to (oid, oid list, ACL field/action object data).
    pub fn oids(&self) -> impl Iterator<Item = u64> + '_ {
        let (a, b): (&[u64], &[u64]) = match self {
            AttrValue::Oid(o) => (std::slice::from_ref(o), &[]),
            AttrValue::OidList(l) => (l, &[]),
            AttrValue::AclField { data, mask, .. } => (data.oids(), mask.oids()),
            AttrValue::AclAction { param, .. } => (param.oids(), &[]),
            _ => (&[], &[]),
        };
        a.iter().chain(b.iter()).copied()
    }

    /// Number of elements for list values (`None` for scalars).
    pub fn list_len(&self) -> Option<usize> {
        Some(match self {
            AttrValue::OidList(l) => l.len(),
            AttrValue::U8List(l) => l.len(),
            AttrValue::I8List(l) => l.len(),
            AttrValue::U16List(l) => l.len(),
            AttrValue::I16List(l) => l.len(),
            AttrValue::U32List(l) => l.len(),
            AttrValue::I32List(l) => l.len(),
            AttrValue::U16RangeList(l) => l.len(),
            AttrValue::VlanList(l) => l.len(),
            AttrValue::Other {
                list: Some(_),
                count,
                ..
            } => usize::try_from(*count).unwrap_or(usize::MAX),
            _ => return None,
        })
    }

    /// Whether this value has the shape of `SAI_ATTR_VALUE_TYPE_<value_type>` (numeric id, see [`vt`]).
    pub fn matches_value_type(&self, value_type: u32) -> bool {
        use AttrValue as V;
        match self {
            V::Bool(_) => value_type == vt::BOOL,
            V::Chardata(_) => value_type == vt::CHARDATA,
            V::U8(_) => value_type == vt::UINT8,
            V::I8(_) => value_type == vt::INT8,
            V::U16(_) => value_type == vt::UINT16,
            V::I16(_) => value_type == vt::INT16,
            V::U32(_) => value_type == vt::UINT32,
            V::I32(_) => value_type == vt::INT32,
            V::U64(_) => value_type == vt::UINT64,
            V::I64(_) => value_type == vt::INT64,
            V::Pointer(_) => value_type == vt::POINTER,
            V::Mac(_) => value_type == vt::MAC,
            V::Ipv4(_) => value_type == vt::IPV4,
            V::Ipv6(_) => value_type == vt::IPV6,
            V::IpAddr(_) => value_type == vt::IP_ADDRESS,
            V::IpPrefix(_) => value_type == vt::IP_PREFIX,
            V::Oid(_) => value_type == vt::OBJECT_ID,
            V::OidList(_) => value_type == vt::OBJECT_LIST,
            V::U8List(_) => value_type == vt::UINT8_LIST,
            V::I8List(_) => value_type == vt::INT8_LIST,
            V::U16List(_) => value_type == vt::UINT16_LIST,
            V::I16List(_) => value_type == vt::INT16_LIST,
            V::U32List(_) => value_type == vt::UINT32_LIST,
            V::I32List(_) => value_type == vt::INT32_LIST,
            V::U32Range(..) => value_type == vt::UINT32_RANGE,
            V::I32Range(..) => value_type == vt::INT32_RANGE,
            V::U16RangeList(_) => value_type == vt::UINT16_RANGE_LIST,
            V::VlanList(_) => value_type == vt::VLAN_LIST,
            V::AclField { enable, data, mask } => {
                (vt::ACL_FIELD_DATA_BOOL..=vt::ACL_FIELD_DATA_UINT8_LIST).contains(&value_type)
                    && (!*enable || acl_field_data_matches(value_type, data, mask))
            }
            V::AclAction { enable, param } => {
                (vt::ACL_ACTION_DATA_BOOL..=vt::ACL_ACTION_DATA_OBJECT_LIST).contains(&value_type)
                    && (!*enable || acl_action_data_matches(value_type, param))
            }
            V::Other { value_type: t, .. } => *t == value_type,
        }
    }
}

fn acl_field_data_matches(t: u32, data: &AclData, mask: &AclData) -> bool {
    use AclData as D;
    let same = |ok: fn(&D) -> bool| ok(data) && (ok(mask) || *mask == D::None);
    match t {
        vt::ACL_FIELD_DATA_BOOL => matches!(data, D::Bool(_)),
        vt::ACL_FIELD_DATA_UINT8 => same(|d| matches!(d, D::U8(_))),
        vt::ACL_FIELD_DATA_INT8 => same(|d| matches!(d, D::I8(_))),
        vt::ACL_FIELD_DATA_UINT16 => same(|d| matches!(d, D::U16(_))),
        vt::ACL_FIELD_DATA_INT16 => same(|d| matches!(d, D::I16(_))),
        vt::ACL_FIELD_DATA_UINT32 => same(|d| matches!(d, D::U32(_))),
        vt::ACL_FIELD_DATA_INT32 => same(|d| matches!(d, D::I32(_))),
        vt::ACL_FIELD_DATA_UINT64 => same(|d| matches!(d, D::U64(_))),
        vt::ACL_FIELD_DATA_MAC => same(|d| matches!(d, D::Mac(_))),
        vt::ACL_FIELD_DATA_IPV4 => same(|d| matches!(d, D::Ipv4(_))),
        vt::ACL_FIELD_DATA_IPV6 => same(|d| matches!(d, D::Ipv6(_))),
        vt::ACL_FIELD_DATA_OBJECT_ID => matches!(data, D::Oid(_)),
        vt::ACL_FIELD_DATA_OBJECT_LIST => matches!(data, D::OidList(_)),
        vt::ACL_FIELD_DATA_UINT8_LIST => same(|d| matches!(d, D::U8List(_))),
        // MACSEC_SCI and future types: no typed form, accept what the boundary produced.
        _ => true,
    }
}

fn acl_action_data_matches(t: u32, p: &AclData) -> bool {
    use AclData as D;
    match t {
        vt::ACL_ACTION_DATA_BOOL => matches!(p, D::Bool(_)),
        vt::ACL_ACTION_DATA_UINT8 => matches!(p, D::U8(_)),
        vt::ACL_ACTION_DATA_INT8 => matches!(p, D::I8(_)),
        vt::ACL_ACTION_DATA_UINT16 => matches!(p, D::U16(_)),
        vt::ACL_ACTION_DATA_INT16 => matches!(p, D::I16(_)),
        vt::ACL_ACTION_DATA_UINT32 => matches!(p, D::U32(_)),
        vt::ACL_ACTION_DATA_INT32 => matches!(p, D::I32(_)),
        vt::ACL_ACTION_DATA_MAC => matches!(p, D::Mac(_)),
        vt::ACL_ACTION_DATA_IPV4 => matches!(p, D::Ipv4(_)),
        vt::ACL_ACTION_DATA_IPV6 => matches!(p, D::Ipv6(_)),
        vt::ACL_ACTION_DATA_IP_ADDRESS => matches!(p, D::IpAddr(_)),
        vt::ACL_ACTION_DATA_OBJECT_ID => matches!(p, D::Oid(_)),
        vt::ACL_ACTION_DATA_OBJECT_LIST => matches!(p, D::OidList(_)),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranged_status_codes() {
        assert_eq!(status::invalid_attribute(0), -0x10000);
        assert_eq!(status::invalid_attribute(3), -0x10003);
        assert_eq!(status::unknown_attribute(2), -0x40002);
        assert_eq!(
            status::decode(-0x20005),
            Some((status::Range::InvalidAttrValue, 5))
        );
        assert_eq!(status::decode(-17), None);
        assert_eq!(status::name(-17), "SAI_STATUS_OBJECT_IN_USE");
        assert_eq!(
            status::name(status::attr_not_supported(7)),
            "SAI_STATUS_ATTR_NOT_SUPPORTED_7"
        );
    }

    #[test]
    fn prefix_len() {
        let p = IpPrefix {
            addr: "10.0.0.0".parse().unwrap(),
            mask: "255.255.255.0".parse().unwrap(),
        };
        assert_eq!(p.prefix_len(), Some(24));
        assert!(p.is_canonical());
        let bad = IpPrefix {
            addr: "10.0.0.1".parse().unwrap(),
            mask: "255.0.255.0".parse().unwrap(),
        };
        assert_eq!(bad.prefix_len(), None);
        assert!(!bad.is_canonical());
    }

    #[test]
    fn oids_of_values() {
        let v = AttrValue::AclAction {
            enable: true,
            param: AclData::OidList(vec![1, 2]),
        };
        assert_eq!(v.oids().collect::<Vec<_>>(), vec![1, 2]);
        assert!(AttrValue::OidList(vec![]).matches_value_type(vt::OBJECT_LIST));
        assert!(!AttrValue::U32(1).matches_value_type(vt::INT32));
    }
}
