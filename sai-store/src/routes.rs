//! The route entry table: most of any switch's entries, kept in small slots.
//!
//! A route is keyed by packed words and holds its packet action and next-hop id inline (the two
//! attributes nearly every route has); its other attributes (user trap, metadata, counter, ...)
//! live in a side map, so a route costs no heap allocation of its own. IPv4 routes on a switch
//! id of the canonical form (every switch id the store hands out) take a 16-byte key (40-byte
//! map slot, against 112 bytes in the generic entry map); IPv6 routes (and IPv4 routes keyed by
//! a switch id with stray counter bits, which validation accepts) a 40-byte one.
//!
//! Only validated routes are stored: the prefix mask is contiguous and of the address's family,
//! so (address, length, family) is the same key as (address, mask).

use crate::change::RouteKey;
use crate::fasthash::FastMap;
use crate::md;
use crate::oid;
use crate::store::StoredAttr;
use crate::value::{Attr, AttrValue, IpPrefix};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Key of an IPv4 route on a canonical switch id: (VR id, address | length << 32 | switch
/// index << 40).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct K4(pub(crate) u64, pub(crate) u64);

impl std::hash::Hash for K4 {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // The VR id varies little, the address a lot: one mixed word.
        state.write_u64(self.1 ^ self.0.rotate_left(17));
    }
}

/// Key of any other route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct KAny {
    sw: u64,
    vr: u64,
    hi: u64,
    lo: u64,
    /// Prefix length | IPv6 << 8.
    meta: u32,
}

/// A route's key in table form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum RKey {
    V4(K4),
    Any(KAny),
}

impl RKey {
    /// Table form of a route key; `None` for a prefix that cannot be stored (mask not contiguous
    /// or of another family: such a route never passes validation, so it is never found).
    #[inline]
    pub fn of(sw: u64, vr: u64, p: &IpPrefix) -> Option<RKey> {
        let len = p.prefix_len()?;
        match p.addr {
            // VR id 0 marks an empty entry of the IPv4 table (and never passes validation).
            IpAddr::V4(a) if vr != 0 && sw == oid::switch_oid(oid::switch_index(sw)) => {
                Some(RKey::V4(K4(
                    vr,
                    u64::from(u32::from(a))
                        | (u64::from(len) << 32)
                        | (u64::from(oid::switch_index(sw)) << 40),
                )))
            }
            IpAddr::V4(a) => Some(RKey::Any(KAny {
                sw,
                vr,
                hi: 0,
                lo: u64::from(u32::from(a)),
                meta: u32::from(len),
            })),
            IpAddr::V6(a) => {
                let b = u128::from(a);
                #[allow(clippy::cast_possible_truncation, reason = "the two halves")]
                Some(RKey::Any(KAny {
                    sw,
                    vr,
                    hi: (b >> 64) as u64,
                    lo: b as u64,
                    meta: u32::from(len) | (1 << 8),
                }))
            }
        }
    }

    /// The route key this was made from.
    pub fn route_key(&self) -> RouteKey {
        #[allow(
            clippy::cast_possible_truncation,
            reason = "fields packed by RKey::of: address, length, switch index"
        )]
        match *self {
            RKey::V4(K4(vr, w)) => {
                let len = (w >> 32) as u8;
                RouteKey {
                    switch_id: oid::switch_oid((w >> 40) as u8),
                    vr_id: vr,
                    destination: IpPrefix {
                        addr: IpAddr::V4(Ipv4Addr::from(w as u32)),
                        mask: IpAddr::V4(Ipv4Addr::from(mask4(len))),
                    },
                }
            }
            RKey::Any(k) => {
                let len = (k.meta & 0xff) as u8;
                let destination = if k.meta & (1 << 8) != 0 {
                    IpPrefix {
                        addr: IpAddr::V6(Ipv6Addr::from(
                            (u128::from(k.hi) << 64) | u128::from(k.lo),
                        )),
                        mask: IpAddr::V6(Ipv6Addr::from(mask6(len))),
                    }
                } else {
                    IpPrefix {
                        addr: IpAddr::V4(Ipv4Addr::from(k.lo as u32)),
                        mask: IpAddr::V4(Ipv4Addr::from(mask4(len))),
                    }
                };
                RouteKey {
                    switch_id: k.sw,
                    vr_id: k.vr,
                    destination,
                }
            }
        }
    }

    /// Switch index.
    pub fn switch(&self) -> u8 {
        match self {
            RKey::V4(k) => u8::try_from((k.1 >> 40) & 0xff).unwrap_or(0),
            RKey::Any(k) => oid::switch_index(k.sw),
        }
    }

    /// Address family: 4 or 6.
    pub fn family(&self) -> u8 {
        match self {
            RKey::Any(k) if k.meta & (1 << 8) != 0 => 6,
            _ => 4,
        }
    }

    /// The VR id.
    pub fn vr(&self) -> u64 {
        match self {
            RKey::V4(k) => k.0,
            RKey::Any(k) => k.vr,
        }
    }
}

fn mask4(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)
}

fn mask6(len: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0)
}

/// `SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION` and `SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RouteIds {
    pub action: u32,
    pub next_hop: u32,
}

impl RouteIds {
    pub fn get() -> &'static RouteIds {
        static IDS: std::sync::OnceLock<RouteIds> = std::sync::OnceLock::new();
        IDS.get_or_init(|| RouteIds {
            action: md::attr_id("SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION").unwrap_or(u32::MAX),
            next_hop: md::attr_id("SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID").unwrap_or(u32::MAX),
        })
    }
}

/// One route: the inline attributes and the creation sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    pub next_hop: u64,
    pub seq: u64,
    pub action: i32,
    pub flags: u32,
}

impl Slot {
    /// The packet action is set (else its default applies).
    pub const ACTION: u32 = 1;
    /// The next-hop id is set.
    pub const NEXT_HOP: u32 = 2;
    /// Other attributes are in the side map.
    pub const EXTRA: u32 = 4;
    /// Inline attributes are listed in this order (set order of the two).
    pub const NH_FIRST: u32 = 8;

    pub fn new(seq: u64) -> Slot {
        Slot {
            next_hop: 0,
            seq,
            action: 0,
            flags: 0,
        }
    }

    /// A route created with `attrs`: its slot (with [`Slot::EXTRA`] set when some are not
    /// inline) and the attributes that go to the side map.
    pub fn with_attrs(seq: u64, attrs: &[Attr]) -> (Slot, Vec<StoredAttr>) {
        let ids = RouteIds::get();
        let mut slot = Slot::new(seq);
        let mut side = Vec::new();
        for a in attrs {
            if slot.put_inline(ids, a.id, &a.value).is_none() {
                side.push(StoredAttr {
                    id: a.id,
                    value: a.value.clone(),
                    counted: true,
                });
            }
        }
        if !side.is_empty() {
            slot.flags |= Slot::EXTRA;
        }
        (slot, side)
    }

    /// Store `v` inline if it is the action or the next hop, returning the previous inline
    /// value, if any; `None` (nothing stored) otherwise.
    #[inline]
    pub fn put_inline(
        &mut self,
        ids: &RouteIds,
        id: u32,
        v: &AttrValue,
    ) -> Option<Option<AttrValue>> {
        match v {
            AttrValue::I32(x) if id == ids.action => {
                let old = (self.flags & Self::ACTION != 0).then_some(AttrValue::I32(self.action));
                if self.flags & (Self::ACTION | Self::NEXT_HOP) == Self::NEXT_HOP {
                    self.flags |= Self::NH_FIRST;
                }
                self.action = *x;
                self.flags |= Self::ACTION;
                Some(old)
            }
            AttrValue::Oid(o) if id == ids.next_hop => {
                let old =
                    (self.flags & Self::NEXT_HOP != 0).then_some(AttrValue::Oid(self.next_hop));
                self.next_hop = *o;
                self.flags |= Self::NEXT_HOP;
                Some(old)
            }
            _ => None,
        }
    }

    /// The inline attributes as stored attributes, in set order.
    pub fn inline_attrs(&self, ids: &RouteIds, out: &mut Vec<StoredAttr>) {
        let a = (self.flags & Self::ACTION != 0).then_some(StoredAttr {
            id: ids.action,
            value: AttrValue::I32(self.action),
            counted: true,
        });
        let n = (self.flags & Self::NEXT_HOP != 0).then_some(StoredAttr {
            id: ids.next_hop,
            value: AttrValue::Oid(self.next_hop),
            counted: true,
        });
        if self.flags & Self::NH_FIRST != 0 {
            out.extend(n);
            out.extend(a);
        } else {
            out.extend(a);
            out.extend(n);
        }
    }
}

/// A route's packet action and next-hop id, where set (the metadata defaults apply otherwise).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RouteState {
    pub action: Option<i32>,
    pub next_hop: Option<u64>,
}

/// Read access to the stored routes ([`crate::Sai::read_routes`]).
#[derive(Debug)]
pub struct Routes<'a> {
    t: &'a RouteTable,
}

impl<'a> Routes<'a> {
    pub(crate) fn new(t: &'a RouteTable) -> Routes<'a> {
        Routes { t }
    }

    /// Number of routes.
    pub fn len(&self) -> usize {
        self.t.len()
    }

    pub fn is_empty(&self) -> bool {
        self.t.len() == 0
    }

    /// Every route (no particular order).
    pub fn iter(&self) -> impl Iterator<Item = (RouteKey, RouteState)> + 'a {
        self.t.iter().map(|(k, s)| {
            (
                k.route_key(),
                RouteState {
                    action: (s.flags & Slot::ACTION != 0).then_some(s.action),
                    next_hop: (s.flags & Slot::NEXT_HOP != 0).then_some(s.next_hop),
                },
            )
        })
    }
}

/// The table.
#[derive(Clone, Debug, Default)]
pub(crate) struct RouteTable {
    v4: crate::table4::Table4,
    any: FastMap<KAny, Slot>,
    /// Attributes other than the action and the next hop, of routes that have any.
    extra: FastMap<RKey, Vec<StoredAttr>>,
}

/// Occupied or vacant place of a route.
pub(crate) enum Place<'a> {
    Occupied,
    Vacant(Vacant<'a>),
}

/// A vacant place (one lookup for the check and the insert).
pub(crate) enum Vacant<'a> {
    V4(&'a mut crate::table4::Table4, usize, K4),
    Any(std::collections::hash_map::VacantEntry<'a, KAny, Slot>),
}

impl Vacant<'_> {
    pub fn insert(self, s: Slot) {
        match self {
            Vacant::V4(t, i, k) => t.insert_at(i, k, s),
            Vacant::Any(v) => {
                v.insert(s);
            }
        }
    }
}

impl RouteTable {
    pub fn len(&self) -> usize {
        self.v4.len() + self.any.len()
    }

    pub fn get(&self, k: &RKey) -> Option<&Slot> {
        match k {
            RKey::V4(k) => self.v4.get(k),
            RKey::Any(k) => self.any.get(k),
        }
    }

    pub fn get_mut(&mut self, k: &RKey) -> Option<&mut Slot> {
        match k {
            RKey::V4(k) => self.v4.get_mut(k),
            RKey::Any(k) => self.any.get_mut(k),
        }
    }

    pub fn contains(&self, k: &RKey) -> bool {
        self.get(k).is_some()
    }

    /// The place of `k` and the side map (borrowed apart).
    pub fn place(&mut self, k: RKey) -> (Place<'_>, &mut FastMap<RKey, Vec<StoredAttr>>) {
        use std::collections::hash_map::Entry;
        let p = match k {
            RKey::V4(k) => match self.v4.place(&k) {
                Ok(_) => Place::Occupied,
                Err(i) => Place::Vacant(Vacant::V4(&mut self.v4, i, k)),
            },
            RKey::Any(k) => match self.any.entry(k) {
                Entry::Occupied(_) => Place::Occupied,
                Entry::Vacant(v) => Place::Vacant(Vacant::Any(v)),
            },
        };
        (p, &mut self.extra)
    }

    /// Look up every key of a coming bulk call once, read-only, and return how many exist. The
    /// lookups do not depend on each other, so the processor overlaps their cache misses (a
    /// 1M-route table is far larger than the caches: each lookup is a miss or two); the calls
    /// that follow find the lines in the cache. The count is only a by-product: the calls
    /// check every key again (a bulk call may hold the same key twice).
    pub fn warm(&self, keys: impl Iterator<Item = RKey>) -> usize {
        keys.filter(|k| match k {
            RKey::V4(k) => self.v4.warm(k),
            RKey::Any(_) => self.contains(k),
        })
        .count()
    }

    /// Remove a route: its slot and its side attributes (empty when it had none).
    pub fn remove(&mut self, k: &RKey) -> Option<(Slot, Vec<StoredAttr>)> {
        let s = match k {
            RKey::V4(k) => self.v4.remove(k),
            RKey::Any(k) => self.any.remove(k),
        }?;
        let extra = if s.flags & Slot::EXTRA != 0 {
            self.extra.remove(k).unwrap_or_default()
        } else {
            Vec::new()
        };
        Some((s, extra))
    }

    /// Insert or replace a route from its stored attributes (warm-boot file).
    pub fn insert_raw(&mut self, k: RKey, seq: u64, attrs: Vec<StoredAttr>) {
        let ids = RouteIds::get();
        let mut slot = Slot::new(seq);
        let mut side = Vec::new();
        for a in attrs {
            if !a.counted || slot.put_inline(ids, a.id, &a.value).is_none() {
                side.push(a);
            }
        }
        self.extra.remove(&k);
        if !side.is_empty() {
            slot.flags |= Slot::EXTRA;
            self.extra.insert(k, side);
        }
        match k {
            RKey::V4(k) => self.v4.insert(k, slot),
            RKey::Any(k) => self.any.insert(k, slot),
        };
    }

    /// Side attributes of a route.
    pub fn extra(&self, k: &RKey) -> &[StoredAttr] {
        self.extra.get(k).map_or(&[], Vec::as_slice)
    }

    pub fn extra_mut(&mut self, k: RKey) -> &mut Vec<StoredAttr> {
        self.extra.entry(k).or_default()
    }

    /// Every route: key and slot (no order).
    pub fn iter(&self) -> impl Iterator<Item = (RKey, &Slot)> + '_ {
        self.v4
            .iter()
            .map(|(k, s)| (RKey::V4(*k), s))
            .chain(self.any.iter().map(|(k, s)| (RKey::Any(*k), s)))
    }

    /// Every stored attribute of a route, in set order (inline ones first).
    pub fn attrs(&self, k: &RKey, s: &Slot) -> Vec<StoredAttr> {
        let ids = RouteIds::get();
        let mut v = Vec::new();
        s.inline_attrs(ids, &mut v);
        if s.flags & Slot::EXTRA != 0 {
            v.extend_from_slice(self.extra(k));
        }
        v
    }

    /// Room for `n` more routes of one family. The IPv4 map grows by doubling while it needs
    /// room for less than an eighth of `table` (the advertised route table), then to the whole
    /// table (at most `max` routes) in one step; past that, to what is needed. Its capacity
    /// never shrinks and removals leave no tombstones, so the step happens once.
    pub fn reserve(&mut self, n: usize, v6: bool, table: usize, max: usize) {
        if v6 {
            self.any.reserve(n);
            return;
        }
        let len = self.v4.len();
        let need = len.saturating_add(n);
        if need <= self.v4.capacity() {
            return;
        }
        let routes = table.min(max);
        let target = if need >= routes / 8 {
            need.max(routes)
        } else {
            need
        };
        self.v4.reserve_total(target);
    }

    /// Capacity of the IPv4 map (tests).
    #[cfg(test)]
    pub fn capacity4(&self) -> usize {
        self.v4.capacity()
    }

    /// Empty the table, keeping its memory (tests).
    #[cfg(test)]
    pub fn clear(&mut self) {
        self.v4.clear();
        self.any.clear();
        self.extra.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(a: &str, m: &str) -> IpPrefix {
        IpPrefix {
            addr: a.parse().unwrap(),
            mask: m.parse().unwrap(),
        }
    }

    /// Keys round-trip (IPv4 on canonical and odd switch ids, IPv6, lengths 0 and full), odd
    /// masks have no key, and slot sizes are what the module promises.
    #[test]
    fn keys_round_trip() {
        let sw = oid::switch_oid(3);
        let vr = oid::make(3, 3, 77).unwrap();
        for (s, pre) in [
            (sw, p("10.1.2.0", "255.255.255.0")),
            (sw, p("0.0.0.0", "0.0.0.0")),
            (sw, p("10.1.2.3", "255.255.255.255")),
            (sw, p("10.1.2.3", "255.255.0.0")),
            (sw | 5, p("10.1.2.0", "255.255.255.0")),
            (sw, p("2001:db8::", "ffff:ffff::")),
            (sw, p("::", "::")),
            (
                sw,
                p("2001:db8::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            ),
        ] {
            let k = RKey::of(s, vr, &pre).unwrap();
            let r = k.route_key();
            assert_eq!((r.switch_id, r.vr_id, r.destination), (s, vr, pre));
            assert_eq!(k.switch(), 3);
            assert_eq!(k.vr(), vr);
            assert_eq!(k.family(), if pre.addr.is_ipv4() { 4 } else { 6 });
        }
        assert!(matches!(
            RKey::of(sw, vr, &p("10.0.0.0", "255.255.255.0")),
            Some(RKey::V4(_))
        ));
        assert!(matches!(
            RKey::of(sw | 5, vr, &p("10.0.0.0", "255.255.255.0")),
            Some(RKey::Any(_))
        ));
        assert!(RKey::of(sw, vr, &p("10.0.0.0", "255.0.255.0")).is_none());
        assert!(RKey::of(sw, vr, &p("10.0.0.0", "ffff::")).is_none());
        // Different lengths of the same address are different routes.
        assert_ne!(
            RKey::of(sw, vr, &p("10.0.0.0", "255.0.0.0")),
            RKey::of(sw, vr, &p("10.0.0.0", "255.255.0.0"))
        );
        assert_eq!(std::mem::size_of::<(K4, Slot)>(), 40);
        assert_eq!(std::mem::size_of::<(KAny, Slot)>(), 64);
    }

    /// Inline attributes keep their set order and report the value they replace.
    #[test]
    fn inline_attributes() {
        let ids = RouteIds::get();
        let mut s = Slot::new(1);
        assert_eq!(
            s.put_inline(ids, ids.next_hop, &AttrValue::Oid(9)),
            Some(None)
        );
        assert_eq!(
            s.put_inline(ids, ids.action, &AttrValue::I32(1)),
            Some(None)
        );
        assert_eq!(
            s.put_inline(ids, ids.action, &AttrValue::I32(2)),
            Some(Some(AttrValue::I32(1)))
        );
        assert_eq!(s.put_inline(ids, ids.action, &AttrValue::U32(2)), None);
        assert_eq!(s.put_inline(ids, 12345, &AttrValue::I32(2)), None);
        let mut v = Vec::new();
        s.inline_attrs(ids, &mut v);
        let got: Vec<(u32, AttrValue)> = v.into_iter().map(|a| (a.id, a.value)).collect();
        assert_eq!(
            got,
            vec![
                (ids.next_hop, AttrValue::Oid(9)),
                (ids.action, AttrValue::I32(2))
            ]
        );
    }
}
