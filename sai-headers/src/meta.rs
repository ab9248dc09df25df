//! SAI attribute metadata, generated from `abi/sai-abi.json`.
//!
//! The tables mirror SAI's metadata library: for every object type that has metadata, its attributes
//! in SAI metadata order with value type, flags, default, allowed object types, enum, conditions and
//! valid-only conditions; key members of non-object-id (entry) types; stats enums.
//!
//! Lookups: [`object_type`] is O(1) (two dense index arrays), [`attr`] is O(1) for the dense id range
//! and a binary search otherwise, the `*_by_name` functions are binary searches.

/// Attribute flags (`sai_attr_flags_t`), a bit set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AttrFlags(pub u32);

impl AttrFlags {
    /// True when every bit of `f` is set in `self`.
    pub fn contains(self, f: AttrFlags) -> bool {
        self.0 & f.0 == f.0
    }
}

/// A constant value: an attribute default or a condition operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstValue {
    Bool(bool),
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    U64(u64),
    I64(i64),
    Mac([u8; 6]),
    Ipv4([u8; 4]),
    Ipv6([u8; 16]),
    Chardata(&'static str),
    NullOid,
    /// A NULL pointer.
    Pointer,
    U32Range(u32, u32),
    I32Range(i32, i32),
    /// An ACL field with `enable = false`.
    AclFieldDisabled,
    /// An ACL action with `enable = false`.
    AclActionDisabled,
    /// `sai_ip_address_t` holding an IPv4 address.
    IpAddressV4([u8; 4]),
    /// `sai_ip_address_t` holding an IPv6 address.
    IpAddressV6([u8; 16]),
    /// Anything else, in sairedis serialized form (empty when the data has none).
    Other(&'static str),
}

/// Default value of an attribute that was not given on create.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultValue {
    /// No default (mandatory, read-only, or conditional).
    None,
    Const(ConstValue),
    EmptyList,
    /// Chosen by the switch (e.g. a default object).
    SwitchInternal,
    VendorSpecific,
    /// Same value as attribute `attr` of object type `ot`.
    AttrValue {
        ot: u32,
        attr: u32,
    },
    /// Within the range given by attribute `attr` of object type `ot`.
    AttrRange {
        ot: u32,
        attr: u32,
    },
}

/// One condition (`attr op value`). In a `Mixed` list, entries with `group != None` (and
/// `attr == u32::MAX`) are markers that close a nested group of that type, as the data describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Condition {
    pub attr: u32,
    pub op: CondOp,
    pub value: ConstValue,
    pub group: ConditionType,
}

/// An enum known to SAI (C enums and metadata-only enums).
#[derive(Debug)]
pub struct EnumInfo {
    pub name: &'static str,
    /// (name, value) in header order; aliases included.
    pub members: &'static [(&'static str, i32)],
    pub is_flags: bool,
    pub flags_type: EnumFlagsType,
    /// Values SAI metadata ignores (deprecated aliases).
    pub ignored_values: &'static [i64],
    /// Owning object type (for `*_attr_t` / `*_stat_t` enums).
    pub object_type: Option<u32>,
    /// True when SAI's metadata knows this enum.
    pub has_metadata: bool,
}

impl EnumInfo {
    /// True when `v` is one of the members.
    pub fn contains(&self, v: i32) -> bool {
        self.members.iter().any(|m| m.1 == v)
    }
    /// Name of the (first) member with value `v`.
    pub fn name_of(&self, v: i32) -> Option<&'static str> {
        self.members.iter().find(|m| m.1 == v).map(|m| m.0)
    }
    /// Value of the member named `n`.
    pub fn value_of(&self, n: &str) -> Option<i32> {
        self.members.iter().find(|m| m.0 == n).map(|m| m.1)
    }
}

/// Member of an entry key struct (`sai_route_entry_t`, ...).
#[derive(Debug)]
pub struct KeyMember {
    pub name: &'static str,
    pub value_type: AttrValueType,
    pub allowed_object_types: &'static [u32],
    /// Byte offset in the C key struct.
    pub offset: usize,
    /// Byte size in the C key struct.
    pub size: usize,
    pub enum_info: Option<&'static EnumInfo>,
    pub is_vlan: bool,
}

/// Metadata of one attribute.
#[derive(Debug)]
pub struct AttrMeta {
    pub name: &'static str,
    pub ot: u32,
    pub id: u32,
    pub value_type: AttrValueType,
    pub flags: AttrFlags,
    pub allowed_object_types: &'static [u32],
    pub allow_null_oid: bool,
    pub allow_empty_list: bool,
    pub allow_repetition_on_list: bool,
    pub allow_mixed_object_types: bool,
    pub enum_info: Option<&'static EnumInfo>,
    pub is_enum_list: bool,
    pub default: DefaultValue,
    pub condition_type: ConditionType,
    pub conditions: &'static [Condition],
    pub validonly_type: ConditionType,
    pub validonly: &'static [Condition],
    pub is_oid_attribute: bool,
    /// Notification / pointer attribute.
    pub is_callback: bool,
    pub is_acl_field: bool,
    pub is_acl_action: bool,
    pub is_deprecated: bool,
    /// Encoded SAI version that introduced the attribute.
    pub api_version: u32,
    pub is_vlan: bool,
    pub is_resource_type: bool,
    pub is_acl_mask: bool,
    pub is_extension_attr: bool,
    pub is_condition_relaxed: bool,
    pub is_primitive: bool,
    /// Metadata-only attribute without a C constant (e.g. UDF group n).
    pub is_synthetic: bool,
    /// `sai_switch_notification_type_t` for notification pointers.
    pub notification_type: Option<u32>,
    /// `sai_switch_pointer_type_t` for pointer attributes.
    pub pointer_type: Option<u32>,
}

impl AttrMeta {
    pub fn is_mandatory_on_create(&self) -> bool {
        self.flags.contains(AttrFlags::MANDATORY_ON_CREATE)
    }
    pub fn is_create_only(&self) -> bool {
        self.flags.contains(AttrFlags::CREATE_ONLY)
    }
    pub fn is_create_and_set(&self) -> bool {
        self.flags.contains(AttrFlags::CREATE_AND_SET)
    }
    pub fn is_read_only(&self) -> bool {
        self.flags.contains(AttrFlags::READ_ONLY)
    }
    pub fn is_key(&self) -> bool {
        self.flags.contains(AttrFlags::KEY)
    }
    /// True for the conditional attributes (mandatory only when the conditions hold).
    pub fn is_conditional(&self) -> bool {
        self.condition_type != ConditionType::None
    }
}

/// Metadata of one object type.
#[derive(Debug)]
pub struct ObjectTypeInfo {
    pub name: &'static str,
    pub ot: u32,
    pub is_non_object_id: bool,
    pub is_experimental: bool,
    /// In SAI metadata order.
    pub attrs: &'static [AttrMeta],
    pub key_members: &'static [KeyMember],
    pub stats: Option<&'static EnumInfo>,
    /// `SAI_API_*` value.
    pub api: u32,
    /// (attribute id, index into `attrs`), sorted by id.
    pub attrs_by_id: &'static [(u32, u16)],
    /// C name of the attribute enum, e.g. `sai_port_attr_t`.
    pub attr_enum: &'static str,
    /// C name of the key struct of entry types, e.g. `sai_route_entry_t`.
    pub key_struct: Option<&'static str>,
    /// C name of the API table, e.g. `sai_port_api_t`.
    pub api_table: &'static str,
}

impl ObjectTypeInfo {
    /// Attribute `id` of this object type.
    pub fn attr(&self, id: u32) -> Option<&'static AttrMeta> {
        let dense = usize::try_from(id).ok().and_then(|i| self.attrs.get(i));
        if let Some(a) = dense.filter(|a| a.id == id) {
            return Some(a);
        }
        let i = self.attrs_by_id.binary_search_by_key(&id, |x| x.0).ok()?;
        self.attrs.get(usize::from(self.attrs_by_id[i].1))
    }
}

include!(concat!(env!("OUT_DIR"), "/meta.rs"));

/// Metadata of object type `ot` (O(1)); None for types without metadata.
pub fn object_type(ot: u32) -> Option<&'static ObjectTypeInfo> {
    let slot = if ot >= OT_EXT_BASE {
        OT_INDEX_EXT.get(usize::try_from(ot - OT_EXT_BASE).ok()?)
    } else {
        OT_INDEX_BASE.get(usize::try_from(ot).ok()?)
    };
    OBJECT_TYPES.get(usize::from(*slot?))
}

/// Metadata of attribute `id` of object type `ot`.
pub fn attr(ot: u32, id: u32) -> Option<&'static AttrMeta> {
    object_type(ot)?.attr(id)
}

/// Object type by C name, e.g. `SAI_OBJECT_TYPE_PORT`.
pub fn object_type_by_name(name: &str) -> Option<&'static ObjectTypeInfo> {
    let i = OT_BY_NAME.binary_search_by(|x| x.0.cmp(name)).ok()?;
    OBJECT_TYPES.get(usize::from(OT_BY_NAME[i].1))
}

/// Attribute by C name, e.g. `SAI_PORT_ATTR_SPEED`.
pub fn attr_by_name(name: &str) -> Option<&'static AttrMeta> {
    let i = ATTR_BY_NAME.binary_search_by(|x| x.0.cmp(name)).ok()?;
    let (_, oi, ai) = ATTR_BY_NAME[i];
    OBJECT_TYPES
        .get(usize::from(oi))?
        .attrs
        .get(usize::from(ai))
}

/// Enum by C typedef name, e.g. `sai_packet_action_t`.
pub fn enum_by_name(name: &str) -> Option<&'static EnumInfo> {
    let i = ENUMS_BY_NAME.binary_search_by(|x| x.0.cmp(name)).ok()?;
    Some(ENUMS_BY_NAME[i].1)
}

/// Name of a status code (`SAI_STATUS_*`), decoding the attribute-indexed ranges as `NAME_0+i`.
pub fn status_name(st: i32) -> String {
    if let Some((n, _)) = STATUS_CODES.iter().find(|x| x.1 == st) {
        return (*n).to_string();
    }
    for (n, first) in STATUS_RANGES {
        let idx = i64::from(*first) - i64::from(st);
        if (0..=0xFFFF).contains(&idx) {
            return format!("{n}_0+{idx}");
        }
    }
    format!("SAI_STATUS({st})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_agree() {
        for (i, ot) in OBJECT_TYPES.iter().enumerate() {
            assert!(std::ptr::eq(object_type(ot.ot).unwrap(), &OBJECT_TYPES[i]));
            assert!(std::ptr::eq(
                object_type_by_name(ot.name).unwrap(),
                &OBJECT_TYPES[i]
            ));
            for a in ot.attrs {
                assert!(std::ptr::eq(attr(ot.ot, a.id).unwrap(), a), "{}", a.name);
                assert!(std::ptr::eq(attr_by_name(a.name).unwrap(), a), "{}", a.name);
                assert_eq!(a.ot, ot.ot);
            }
        }
        assert!(object_type(0).is_none());
        assert!(object_type(u32::MAX).is_none());
        assert!(attr(OBJECT_TYPES[0].ot, 0x7fff_fff0).is_none());
        assert!(enum_by_name("sai_packet_action_t").unwrap().contains(1));
        assert!(enum_by_name("no_such_enum_t").is_none());
    }

    #[test]
    fn flags_and_value_types() {
        assert!(AttrFlags(3).contains(AttrFlags::MANDATORY_ON_CREATE));
        assert!(!AttrFlags(2).contains(AttrFlags::MANDATORY_ON_CREATE));
        for t in AttrValueType::ALL {
            assert_eq!(AttrValueType::from_u32(*t as u32), Some(*t));
        }
        assert_eq!(AttrValueType::from_u32(0xFFFF), None);
        assert_eq!(AttrValueType::Bool as u32, 0);
        assert_eq!(AttrValueType::Chardata as u32, 1);
        const { assert!(SAI_API_VERSION >= 10900) };
    }

    #[test]
    fn status_names() {
        assert_eq!(
            status_name(crate::ffi::SAI_STATUS_SUCCESS),
            "SAI_STATUS_SUCCESS"
        );
        assert_eq!(
            status_name(crate::ffi::SAI_STATUS_UNKNOWN_ATTRIBUTE_0 - 3),
            "SAI_STATUS_UNKNOWN_ATTRIBUTE_0+3"
        );
    }
}
