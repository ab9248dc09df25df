//! Object ids with the object type in fixed bits.
//!
//! Layout (the same field positions vslib uses, so ids look familiar in logs):
//!
//! | bits   | field                                                              |
//! |--------|--------------------------------------------------------------------|
//! | 63..56 | switch index (0..=255)                                             |
//! | 55..48 | object type code: `sai_object_type_t` below [`EXT_CODE_BASE`], extension types (`0x2000_0000 + k`) as `EXT_CODE_BASE + k` |
//! | 47..0  | per-store counter (never 0 for non-switch objects)                 |
//!
//! Decoding is O(1) and total: anything that does not decode to a known object type yields
//! `SAI_OBJECT_TYPE_NULL` (0).

/// `SAI_OBJECT_TYPE_NULL`.
pub const OT_NULL: u32 = 0;
/// `SAI_OBJECT_TYPE_SWITCH`.
/// `SAI_OBJECT_TYPE_ROUTE_ENTRY`.
pub const OT_ROUTE_ENTRY: u32 = sai_headers::ffi::SAI_OBJECT_TYPE_ROUTE_ENTRY;
pub const OT_SWITCH: u32 = 33;
/// First `sai_object_type_extensions_t` value.
pub const EXT_RANGE_START: u32 = 0x2000_0000;
/// Type code of the first extension type.
pub const EXT_CODE_BASE: u32 = 0xC0;
/// Largest counter value.
pub const COUNTER_MASK: u64 = (1 << 48) - 1;

/// Type code stored in bits 55..48, or `None` if the type cannot be encoded.
pub fn type_code(ot: u32) -> Option<u8> {
    if ot == OT_NULL {
        return None;
    }
    if ot < EXT_CODE_BASE {
        return u8::try_from(ot).ok();
    }
    let k = ot.checked_sub(EXT_RANGE_START)?;
    u8::try_from(EXT_CODE_BASE + k).ok()
}

/// Object type for a type code (inverse of [`type_code`]).
pub fn type_from_code(code: u8) -> u32 {
    let c = u32::from(code);
    if c < EXT_CODE_BASE {
        c
    } else {
        EXT_RANGE_START + (c - EXT_CODE_BASE)
    }
}

/// Build an object id. `None` if the type is not encodable or the counter is too large.
pub fn make(switch_index: u8, ot: u32, counter: u64) -> Option<u64> {
    let code = type_code(ot)?;
    (counter <= COUNTER_MASK)
        .then(|| (u64::from(switch_index) << 56) | (u64::from(code) << 48) | counter)
}

/// The switch object id of switch `index`.
pub fn switch_oid(index: u8) -> u64 {
    (u64::from(index) << 56) | (u64::from(OT_SWITCH) << 48)
}

/// Raw type decoded from the bits (may name a type without metadata; callers check).
pub fn raw_type(oid: u64) -> u32 {
    if oid == 0 {
        return OT_NULL;
    }
    let code = u8::try_from((oid >> 48) & 0xFF).unwrap_or(0);
    type_from_code(code)
}

/// Switch index bits.
pub fn switch_index(oid: u64) -> u8 {
    u8::try_from(oid >> 56).unwrap_or(0)
}

/// Counter bits.
pub fn counter(oid: u64) -> u64 {
    oid & COUNTER_MASK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let o = make(3, 5, 77).unwrap();
        assert_eq!(raw_type(o), 5);
        assert_eq!(switch_index(o), 3);
        assert_eq!(counter(o), 77);
        let e = make(0, EXT_RANGE_START + 4, 1).unwrap();
        assert_eq!(raw_type(e), EXT_RANGE_START + 4);
        assert_eq!(switch_oid(0), 0x21_0000_0000_0000);
        assert_eq!(raw_type(0), OT_NULL);
        assert!(make(0, 0, 1).is_none());
        assert!(make(0, EXT_RANGE_START + 200, 1).is_none());
    }
}

#[cfg(test)]
mod meta_tests {
    use super::*;

    #[test]
    fn every_oid_type_is_encodable() {
        for info in crate::md::OBJECT_TYPES
            .iter()
            .filter(|i| !i.is_non_object_id)
        {
            let o =
                make(7, info.ot, 12345).unwrap_or_else(|| panic!("{} not encodable", info.name));
            assert_eq!(crate::object_type_query(o), info.ot, "{}", info.name);
            assert_eq!(crate::switch_id_query(o), switch_oid(7));
        }
        // entry types never come back from an id
        for info in crate::md::OBJECT_TYPES
            .iter()
            .filter(|i| i.is_non_object_id)
        {
            if let Some(o) = make(0, info.ot, 1) {
                assert_eq!(crate::object_type_query(o), OT_NULL, "{}", info.name);
            }
        }
    }
}
