//! The unlocked store: objects, entries, reference counts, attribute reads. [`crate::Sai`] wraps
//! it in a lock; validation lives in `validate.rs`, default objects in `defaults.rs`.

use crate::change::{Change, ObjectKey, RouteKey};
use crate::md;
use crate::oid;
use crate::profile::Config;
use crate::routes::{Place, RKey, RouteIds, RouteTable, Slot};
use crate::value::{status, Attr, AttrValue, EntryKey, IpPrefix, Status};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// One stored attribute. `counted` says whether its object ids hold references (attributes the
/// switch sets on its own default objects, such as a port's queue list, do not).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredAttr {
    pub id: u32,
    pub value: AttrValue,
    pub counted: bool,
}

/// Who created an object, which decides whether a caller may remove it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Created by a caller.
    User,
    /// A switch default object the switch itself refers to (CPU port, default VLAN, ...): removal
    /// is refused with `OBJECT_IN_USE`.
    Pinned,
    /// A default object that callers may remove (front ports, default bridge ports, VLAN members).
    Default,
    /// Belongs to another object (queues, priority groups, scheduler groups, serdes of a port):
    /// removed together with its owner, never on its own.
    Owned(u64),
}

/// One object (OID or entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Obj {
    pub attrs: Vec<StoredAttr>,
    pub refcount: u32,
    pub origin: Origin,
    /// Creation sequence number (dependency order for snapshots).
    pub seq: u64,
}

impl Obj {
    pub fn get(&self, id: u32) -> Option<&AttrValue> {
        self.attrs.iter().find(|a| a.id == id).map(|a| &a.value)
    }
    /// Replace or add; returns the previous stored attribute.
    pub fn put(&mut self, id: u32, value: AttrValue, counted: bool) -> Option<StoredAttr> {
        let new = StoredAttr { id, value, counted };
        match self.attrs.iter_mut().find(|a| a.id == id) {
            Some(slot) => Some(std::mem::replace(slot, new)),
            None => {
                self.attrs.push(new);
                None
            }
        }
    }
    pub fn public_attrs(&self) -> Vec<Attr> {
        self.attrs
            .iter()
            .map(|a| Attr {
                id: a.id,
                value: a.value.clone(),
            })
            .collect()
    }
}

/// Address family of an entry (for CRM counters): 0 none, 4, 6.
pub(crate) fn entry_family(key: &EntryKey) -> u8 {
    for m in &key.members {
        match m {
            AttrValue::IpPrefix(p) => return if p.addr.is_ipv4() { 4 } else { 6 },
            AttrValue::IpAddr(IpAddr::V4(_)) => return 4,
            AttrValue::IpAddr(IpAddr::V6(_)) => return 6,
            _ => {}
        }
    }
    0
}

/// Map of entries: a folded-multiply hasher ([`crate::fasthash`]). (A plain multiplicative hash
/// collided on sequential prefixes; std's SipHash was a third of a bulk route create's cost.)
pub(crate) use crate::fasthash::FastMap;

const OT_ROUTE: u32 = sai_headers::ffi::SAI_OBJECT_TYPE_ROUTE_ENTRY;

/// Internal form of an entry key: route entries (the bulk of any table) are kept without heap
/// allocation; every other entry type keeps its generic key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum EKey {
    Route { sw: u64, vr: u64, prefix: IpPrefix },
    Other(EntryKey),
}

impl std::hash::Hash for EKey {
    /// Routes hash as three words (switch and VR folded, address and mask packed); consistent
    /// with `Eq`, which compares every field these words are functions of.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self {
            EKey::Route { sw, vr, prefix } => {
                state.write_u64(sw ^ vr.rotate_left(32));
                match (prefix.addr, prefix.mask) {
                    (IpAddr::V4(a), IpAddr::V4(m)) => {
                        state.write_u64(u64::from(u32::from(a)) | (u64::from(u32::from(m)) << 32));
                    }
                    (a, m) => {
                        state.write_u128(ip_bits(a));
                        state.write_u128(ip_bits(m) ^ 1);
                    }
                }
            }
            EKey::Other(k) => {
                state.write_u8(1);
                k.hash(state);
            }
        }
    }
}

fn ip_bits(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(x) => u128::from(u32::from(x)) | (1 << 127),
        IpAddr::V6(x) => u128::from(x),
    }
}

impl From<RouteKey> for EKey {
    fn from(r: RouteKey) -> EKey {
        EKey::Route {
            sw: r.switch_id,
            vr: r.vr_id,
            prefix: r.destination,
        }
    }
}

/// The key of a new entry: generic, or a route in its allocation-free form.
#[derive(Debug)]
pub(crate) enum NewKey {
    Entry(EntryKey),
    Route(RouteKey),
}

impl NewKey {
    pub fn ot(&self) -> u32 {
        match self {
            NewKey::Entry(k) => k.ot,
            NewKey::Route(_) => OT_ROUTE,
        }
    }
    /// Map form.
    pub fn ekey(&self) -> EKey {
        match self {
            NewKey::Entry(k) => EKey::of(k),
            NewKey::Route(r) => EKey::from(*r),
        }
    }
    /// Generic form (allocates for routes).
    pub fn entry(&self) -> std::borrow::Cow<'_, EntryKey> {
        match self {
            NewKey::Entry(k) => std::borrow::Cow::Borrowed(k),
            NewKey::Route(r) => std::borrow::Cow::Owned(r.to_entry()),
        }
    }
    /// Address family of a route key (4 or 6), `None` for other entries.
    pub fn route_family(&self) -> Option<u8> {
        let p = match self {
            NewKey::Route(r) => r.destination,
            NewKey::Entry(k) => EKey::route_parts(k)?.2,
        };
        Some(if p.addr.is_ipv4() { 4 } else { 6 })
    }
    /// Address family (CRM counters).
    fn family(&self) -> u8 {
        match self {
            NewKey::Entry(k) => entry_family(k),
            NewKey::Route(r) => {
                if r.destination.addr.is_ipv4() {
                    4
                } else {
                    6
                }
            }
        }
    }
    /// Object ids the key refers to.
    fn oids(&self) -> impl Iterator<Item = u64> + '_ {
        let (a, b) = match self {
            NewKey::Entry(k) => (Some(k.members.iter().flat_map(AttrValue::oids)), None),
            NewKey::Route(r) => (None, Some([r.switch_id, r.vr_id].into_iter())),
        };
        a.into_iter().flatten().chain(b.into_iter().flatten())
    }
    pub fn into_object_key(self) -> ObjectKey {
        match self {
            NewKey::Entry(k) => ObjectKey::Entry(k),
            NewKey::Route(r) => ObjectKey::Route(r),
        }
    }
}

impl EKey {
    pub fn route_parts(k: &EntryKey) -> Option<(u64, u64, IpPrefix)> {
        if k.ot != OT_ROUTE {
            return None;
        }
        match k.members.as_slice() {
            [AttrValue::Oid(sw), AttrValue::Oid(vr), AttrValue::IpPrefix(p)] => {
                Some((*sw, *vr, *p))
            }
            _ => None,
        }
    }
    /// Lookup form of a key (allocates only for non-route entries).
    pub fn of(k: &EntryKey) -> EKey {
        match Self::route_parts(k) {
            Some((sw, vr, prefix)) => EKey::Route { sw, vr, prefix },
            None => EKey::Other(k.clone()),
        }
    }
    pub fn from_owned(k: EntryKey) -> EKey {
        match Self::route_parts(&k) {
            Some((sw, vr, prefix)) => EKey::Route { sw, vr, prefix },
            None => EKey::Other(k),
        }
    }
    pub fn to_entry(&self) -> EntryKey {
        match self {
            EKey::Route { sw, vr, prefix } => EntryKey {
                ot: OT_ROUTE,
                members: vec![
                    AttrValue::Oid(*sw),
                    AttrValue::Oid(*vr),
                    AttrValue::IpPrefix(*prefix),
                ],
            },
            EKey::Other(k) => k.clone(),
        }
    }
    pub fn ot(&self) -> u32 {
        match self {
            EKey::Route { .. } => OT_ROUTE,
            EKey::Other(k) => k.ot,
        }
    }
    pub fn switch(&self) -> u8 {
        match self {
            EKey::Route { sw, .. } => oid::switch_index(*sw),
            EKey::Other(k) => entry_switch(k),
        }
    }
    pub fn family(&self) -> u8 {
        match self {
            EKey::Route { prefix, .. } => {
                if prefix.addr.is_ipv4() {
                    4
                } else {
                    6
                }
            }
            EKey::Other(k) => entry_family(k),
        }
    }
}

/// For a route key (either form): its table key, `None` inside when it cannot be stored
/// (such a route does not exist). `None` for other objects.
pub(crate) fn route_of(key: &ObjectKey) -> Option<Option<RKey>> {
    match key {
        ObjectKey::Route(r) => Some(RKey::of(r.switch_id, r.vr_id, &r.destination)),
        ObjectKey::Entry(k) => {
            let (sw, vr, p) = EKey::route_parts(k)?;
            Some(RKey::of(sw, vr, &p))
        }
        ObjectKey::Oid(_) => None,
    }
}

/// Switch index of an entry (from its switch id member).
pub(crate) fn entry_switch(k: &EntryKey) -> u8 {
    k.members
        .iter()
        .find_map(|m| m.as_oid().filter(|o| oid::raw_type(*o) == oid::OT_SWITCH))
        .map(oid::switch_index)
        .unwrap_or(0)
}

/// Reference-count increments gathered during one bulk create and applied once at its end
/// (one object-map lookup per referenced object instead of one per entry). Nothing reads a
/// reference count in between: a bulk create only validates and inserts entries.
#[derive(Clone, Debug, Default)]
pub(crate) struct RefBatch(Vec<(u64, u32)>);

impl RefBatch {
    /// Distinct objects gathered at most; others are counted directly.
    const MAX: usize = 16;

    /// Count one reference to `o`; false when the batch is full (the caller counts it).
    pub fn add(&mut self, o: u64) -> bool {
        if let Some(e) = self.0.iter_mut().find(|e| e.0 == o) {
            e.1 += 1;
            return true;
        }
        if self.0.len() < Self::MAX {
            self.0.push((o, 1));
            return true;
        }
        false
    }

    /// Take one reference to each non-null object in `oids`: gathered here, or counted in
    /// `objs` at once when the batch is full.
    pub fn add_all(&mut self, objs: &mut BTreeMap<u64, Obj>, oids: impl IntoIterator<Item = u64>) {
        for o in oids {
            if o != 0 && !self.add(o) {
                add_ref_in(objs, o);
            }
        }
    }
}

/// Count one reference to `o` (switches are not counted).
pub(crate) fn add_ref_in(objs: &mut BTreeMap<u64, Obj>, o: u64) {
    if oid::raw_type(o) == oid::OT_SWITCH {
        return;
    }
    if let Some(obj) = objs.get_mut(&o) {
        obj.refcount = obj.refcount.saturating_add(1);
    }
}

/// The store proper.
#[derive(Clone, Debug)]
pub(crate) struct Store {
    pub cfg: Config,
    pub objs: BTreeMap<u64, Obj>,
    /// Entries other than routes.
    pub entries: FastMap<EKey, Obj>,
    /// Route entries ([`crate::routes`]).
    pub routes: RouteTable,
    /// Entries per (object type, family).
    pub entry_counts: FastMap<(u32, u8), u64>,
    /// OID objects per object type.
    pub type_counts: FastMap<u32, u64>,
    pub switches: BTreeSet<u8>,
    pub next_counter: u64,
    pub next_seq: u64,
    /// Table size per object type (from `cfg.tables`, looked up once instead of per create).
    pub table_sizes: FastMap<u32, u64>,
    /// Bumped by every change to an object-id object (create, remove, attribute set), the only
    /// state an entry's key and attribute validation reads.
    pub obj_epoch: u64,
    /// What single entry creates validated, valid while `obj_epoch` equals `single_epoch`
    /// (see [`Store::create_entry`]).
    pub single: crate::ops::EntryMemo,
    pub single_epoch: u64,
}

impl Store {
    pub fn new(cfg: Config) -> Self {
        Store {
            objs: BTreeMap::new(),
            entries: FastMap::default(),
            routes: RouteTable::default(),
            entry_counts: FastMap::default(),
            type_counts: FastMap::default(),
            switches: BTreeSet::new(),
            next_counter: 1,
            next_seq: 1,
            obj_epoch: 0,
            single: crate::ops::EntryMemo::bulk(),
            single_epoch: 0,
            table_sizes: md::OBJECT_TYPES
                .iter()
                .map(|i| (i.ot, cfg.tables.size(crate::computed::short_name(i.ot))))
                .collect(),
            cfg,
        }
    }

    /// Room for `n` more entries like `key`: routes in the route table
    /// ([`RouteTable::reserve`]: past an eighth of the advertised route table, the IPv4 map is
    /// sized for all of it at once, at most [`Store::PRESIZE_MAX`] routes), other entries in
    /// the entry map.
    pub fn reserve_entries(&mut self, n: usize, key: &NewKey) {
        match key.route_family() {
            Some(f) => {
                let table = self
                    .table_sizes
                    .get(&oid::OT_ROUTE_ENTRY)
                    .map_or(0, |s| usize::try_from(*s).unwrap_or(usize::MAX));
                self.routes.reserve(n, f == 6, table, Self::PRESIZE_MAX);
            }
            None => self.entries.reserve(n),
        }
    }

    /// Largest route count [`Store::reserve_entries`] sizes the map for ahead of use.
    pub const PRESIZE_MAX: usize = 1 << 20;

    pub fn object_count(&self) -> usize {
        self.objs.len() + self.entries.len() + self.routes.len()
    }

    /// Object type of an id if it decodes to a type with metadata and the object exists.
    pub fn live_type(&self, o: u64) -> Option<u32> {
        self.objs.contains_key(&o).then(|| oid::raw_type(o))
    }

    pub fn count_of(&self, ot: u32) -> u64 {
        if md::ot_info(ot).is_some_and(|i| i.is_non_object_id) {
            // Families are 0 (none), 4 and 6 (see `entry_family`).
            [0u8, 4, 6]
                .iter()
                .filter_map(|f| self.entry_counts.get(&(ot, *f)))
                .sum()
        } else {
            self.type_counts.get(&ot).copied().unwrap_or(0)
        }
    }

    /// Ids of live objects of type `ot` on switch `sw`, ascending.
    pub fn oids_of_type(&self, sw: u8, ot: u32) -> impl Iterator<Item = u64> + '_ {
        let lo = oid::make(sw, ot, 0).unwrap_or(u64::MAX);
        let hi = oid::make(sw, ot, oid::COUNTER_MASK).unwrap_or(u64::MAX);
        self.objs.range(lo..=hi).map(|(k, _)| *k)
    }

    pub fn alloc_oid(&mut self, sw: u8, ot: u32) -> Result<u64, Status> {
        let c = self.next_counter;
        if c > oid::COUNTER_MASK {
            return Err(status::INSUFFICIENT_RESOURCES);
        }
        let o = oid::make(sw, ot, c).ok_or(status::INVALID_OBJECT_TYPE)?;
        self.next_counter += 1;
        Ok(o)
    }

    fn seq(&mut self) -> u64 {
        let s = self.next_seq;
        self.next_seq += 1;
        s
    }

    /// Apply the gathered reference counts.
    pub fn apply_refs(&mut self, b: &mut RefBatch) {
        for (o, n) in b.0.drain(..) {
            if oid::raw_type(o) == oid::OT_SWITCH {
                continue;
            }
            if let Some(obj) = self.objs.get_mut(&o) {
                obj.refcount = obj.refcount.saturating_add(n);
            }
        }
    }

    fn add_ref(&mut self, o: u64) {
        add_ref_in(&mut self.objs, o);
    }

    fn drop_ref(&mut self, o: u64) {
        if oid::raw_type(o) == oid::OT_SWITCH {
            return;
        }
        if let Some(obj) = self.objs.get_mut(&o) {
            obj.refcount = obj.refcount.saturating_sub(1);
        }
    }

    pub fn add_refs(&mut self, v: &AttrValue) {
        for o in v.oids().filter(|o| *o != 0) {
            self.add_ref(o);
        }
    }

    pub fn drop_refs(&mut self, v: &AttrValue) {
        for o in v.oids().filter(|o| *o != 0) {
            self.drop_ref(o);
        }
    }

    /// Insert a validated OID object; counts references of its attributes.
    pub fn insert_obj(&mut self, o: u64, attrs: Vec<StoredAttr>, origin: Origin) -> Change {
        for a in &attrs {
            if a.counted {
                self.add_refs(&a.value);
            }
        }
        let ot = oid::raw_type(o);
        let seq = self.seq();
        let obj = Obj {
            attrs,
            refcount: 0,
            origin,
            seq,
        };
        let change = Change::Create {
            ot,
            key: ObjectKey::Oid(o),
            attrs: obj.public_attrs().into(),
        };
        self.obj_epoch += 1;
        self.objs.insert(o, obj);
        *self.type_counts.entry(ot).or_insert(0) += 1;
        change
    }

    /// Remove an OID object unconditionally (callers checked), dropping its references.
    pub fn erase_obj(&mut self, o: u64) -> Option<Change> {
        let obj = self.objs.remove(&o)?;
        self.obj_epoch += 1;
        for a in &obj.attrs {
            if a.counted {
                self.drop_refs(&a.value);
            }
        }
        let ot = oid::raw_type(o);
        if let Some(n) = self.type_counts.get_mut(&ot) {
            *n = n.saturating_sub(1);
        }
        Some(Change::Remove {
            ot,
            key: ObjectKey::Oid(o),
        })
    }

    /// Insert a validated entry under `ek` (the map form of `key`) with one hash lookup: the
    /// entry must not exist (`ITEM_ALREADY_EXISTS`), then the table must have room (`avail`
    /// free entries, else `INSUFFICIENT_RESOURCES`): the order of [`Store::create_entry_memo`]'s
    /// checks. References of the key and attributes are counted (into `refs` while it has
    /// room); the caller's key moves into the change.
    /// `shared`, when given, equals `attrs` and becomes the change's attribute list.
    #[allow(
        clippy::too_many_arguments,
        reason = "one call site, the bulk create's inner loop"
    )]
    pub fn insert_entry_once(
        &mut self,
        ek: EKey,
        key: NewKey,
        attrs: Vec<Attr>,
        shared: Option<std::sync::Arc<[Attr]>>,
        emit: bool,
        refs: &mut RefBatch,
        avail: u64,
    ) -> Result<Option<Change>, Status> {
        if let EKey::Route { sw, vr, prefix } = &ek {
            // Validated keys always have a table form.
            let rk = RKey::of(*sw, *vr, prefix).ok_or(status::INVALID_PARAMETER)?;
            return self.insert_route_once(rk, key, attrs, shared, emit, refs, avail);
        }
        let Store {
            entries,
            objs,
            entry_counts,
            next_seq,
            ..
        } = self;
        let slot = match entries.entry(ek) {
            std::collections::hash_map::Entry::Occupied(_) => {
                return Err(status::ITEM_ALREADY_EXISTS)
            }
            std::collections::hash_map::Entry::Vacant(v) => v,
        };
        if avail == 0 {
            return Err(status::INSUFFICIENT_RESOURCES);
        }
        let attr_oids = attrs.iter().flat_map(|a| a.value.oids());
        refs.add_all(objs, key.oids().chain(attr_oids));
        let seq = *next_seq;
        *next_seq += 1;
        let ot = key.ot();
        *entry_counts.entry((ot, key.family())).or_insert(0) += 1;
        let change = emit.then(|| Change::Create {
            ot,
            // `shared` (when given) equals `attrs`: one copy for a bulk call's entries.
            attrs: shared.unwrap_or_else(|| attrs.as_slice().into()),
            key: key.into_object_key(),
        });
        slot.insert(Obj {
            attrs: attrs
                .into_iter()
                .map(|a| StoredAttr {
                    id: a.id,
                    value: a.value,
                    counted: true,
                })
                .collect(),
            refcount: 0,
            origin: Origin::User,
            seq,
        });
        Ok(change)
    }

    /// [`Store::insert_entry_once`] for a route: the route table's small slot, the action and
    /// next hop inline, other attributes in the side map.
    #[allow(
        clippy::too_many_arguments,
        reason = "one call site, the bulk create's inner loop"
    )]
    fn insert_route_once(
        &mut self,
        rk: RKey,
        key: NewKey,
        attrs: Vec<Attr>,
        shared: Option<std::sync::Arc<[Attr]>>,
        emit: bool,
        refs: &mut RefBatch,
        avail: u64,
    ) -> Result<Option<Change>, Status> {
        let Store {
            routes,
            objs,
            entry_counts,
            next_seq,
            ..
        } = self;
        let (place, extra) = routes.place(rk);
        let Place::Vacant(place) = place else {
            return Err(status::ITEM_ALREADY_EXISTS);
        };
        if avail == 0 {
            return Err(status::INSUFFICIENT_RESOURCES);
        }
        let attr_oids = attrs.iter().flat_map(|a| a.value.oids());
        refs.add_all(objs, key.oids().chain(attr_oids));
        let seq = *next_seq;
        *next_seq += 1;
        let (slot, side) = Slot::with_attrs(seq, &attrs);
        if !side.is_empty() {
            extra.insert(rk, side);
        }
        place.insert(slot);
        *entry_counts.entry((OT_ROUTE, rk.family())).or_insert(0) += 1;
        Ok(emit.then(|| Change::Create {
            ot: OT_ROUTE,
            // `shared` (when given) equals `attrs`: one copy for a bulk call's entries.
            attrs: shared.unwrap_or_else(|| attrs.as_slice().into()),
            key: key.into_object_key(),
        }))
    }

    /// Remove a route from the route table with its bookkeeping; false if absent.
    pub fn remove_route(&mut self, rk: &RKey) -> bool {
        let Some((slot, extra)) = self.routes.remove(rk) else {
            return false;
        };
        self.drop_ref(rk.vr());
        if slot.flags & Slot::NEXT_HOP != 0 && slot.next_hop != 0 {
            self.drop_ref(slot.next_hop);
        }
        for a in &extra {
            self.drop_refs(&a.value);
        }
        if let Some(n) = self.entry_counts.get_mut(&(OT_ROUTE, rk.family())) {
            *n = n.saturating_sub(1);
        }
        true
    }

    /// [`Store::remove_route`] for a bulk call: the references it held are gathered in `drops`
    /// (applied by [`Store::apply_drops`]) and the removal counted in `removed` (IPv4, IPv6;
    /// applied there too), instead of one object-map and one count-map lookup per route.
    pub fn remove_route_batched(
        &mut self,
        rk: &RKey,
        drops: &mut RefBatch,
        removed: &mut [u64; 2],
    ) -> bool {
        let Some((slot, extra)) = self.routes.remove(rk) else {
            return false;
        };
        let nh = (slot.flags & Slot::NEXT_HOP != 0).then_some(slot.next_hop);
        let extra_oids = extra.iter().flat_map(|a| a.value.oids());
        for o in std::iter::once(rk.vr())
            .chain(nh)
            .chain(extra_oids)
            .filter(|o| *o != 0)
        {
            if !drops.add(o) {
                self.drop_ref(o);
            }
        }
        removed[usize::from(rk.family() == 6)] += 1;
        true
    }

    /// Apply what [`Store::remove_route_batched`] gathered.
    pub fn apply_drops(&mut self, drops: &mut RefBatch, removed: &mut [u64; 2]) {
        for (o, n) in drops.0.drain(..) {
            if oid::raw_type(o) == oid::OT_SWITCH {
                continue;
            }
            if let Some(obj) = self.objs.get_mut(&o) {
                obj.refcount = obj.refcount.saturating_sub(n);
            }
        }
        for (i, f) in [4u8, 6].into_iter().enumerate() {
            let k = std::mem::take(&mut removed[i]);
            if k > 0 {
                if let Some(c) = self.entry_counts.get_mut(&(OT_ROUTE, f)) {
                    *c = c.saturating_sub(k);
                }
            }
        }
    }

    /// Whether an entry exists.
    pub fn entry_exists(&self, ek: &EKey) -> bool {
        match ek {
            EKey::Route { sw, vr, prefix } => {
                RKey::of(*sw, *vr, prefix).is_some_and(|rk| self.routes.contains(&rk))
            }
            EKey::Other(_) => self.entries.contains_key(ek),
        }
    }

    /// Remove an entry: `None` if absent, else the change (built only when `emit`).
    pub fn erase_ekey(&mut self, ek: &EKey, emit: bool) -> Option<Option<Change>> {
        if let EKey::Route { sw, vr, prefix } = ek {
            let rk = RKey::of(*sw, *vr, prefix)?;
            if !self.remove_route(&rk) {
                return None;
            }
            return Some(emit.then(|| Change::Remove {
                ot: OT_ROUTE,
                key: ObjectKey::Entry(ek.to_entry()),
            }));
        }
        let obj = self.entries.remove(ek)?;
        self.entry_removed(ek, &obj);
        Some(emit.then(|| Change::Remove {
            ot: ek.ot(),
            key: ObjectKey::Entry(ek.to_entry()),
        }))
    }

    /// Bookkeeping after entry `ek` (`obj`) left the map: references and counts.
    pub fn entry_removed(&mut self, ek: &EKey, obj: &Obj) {
        match ek {
            EKey::Route { vr, .. } => self.drop_ref(*vr),
            EKey::Other(k) => {
                for m in &k.members {
                    self.drop_refs(m);
                }
            }
        }
        for a in &obj.attrs {
            self.drop_refs(&a.value);
        }
        if let Some(n) = self.entry_counts.get_mut(&(ek.ot(), ek.family())) {
            *n = n.saturating_sub(1);
        }
    }

    /// Set one attribute on a stored object (validated), adjusting references.
    pub fn put_attr(
        &mut self,
        key: &ObjectKey,
        id: u32,
        value: AttrValue,
        counted: bool,
    ) -> Result<(), Status> {
        let old = match route_of(key) {
            Some(rk) => {
                let rk = rk.ok_or(status::ITEM_NOT_FOUND)?;
                self.obj_epoch += 1;
                let slot = self.routes.get_mut(&rk).ok_or(status::ITEM_NOT_FOUND)?;
                let inline = if counted {
                    slot.put_inline(RouteIds::get(), id, &value)
                } else {
                    None
                };
                match inline {
                    Some(old) => old.map(|v| StoredAttr {
                        id,
                        value: v,
                        counted: true,
                    }),
                    None => {
                        slot.flags |= Slot::EXTRA;
                        let mut o = Obj {
                            attrs: std::mem::take(self.routes.extra_mut(rk)),
                            refcount: 0,
                            origin: Origin::User,
                            seq: 0,
                        };
                        let old = o.put(id, value.clone(), counted);
                        *self.routes.extra_mut(rk) = o.attrs;
                        old
                    }
                }
            }
            None => {
                let obj = self.obj_mut(key).ok_or(status::ITEM_NOT_FOUND)?;
                obj.put(id, value.clone(), counted)
            }
        };
        if counted {
            self.add_refs(&value);
        }
        if let Some(old) = old.filter(|o| o.counted) {
            self.drop_refs(&old.value);
        }
        Ok(())
    }

    /// An object: borrowed, or for a route built from its slot (allocates; not a hot path).
    pub fn obj(&self, key: &ObjectKey) -> Option<std::borrow::Cow<'_, Obj>> {
        if let Some(rk) = route_of(key) {
            let rk = rk?;
            return self
                .routes
                .get(&rk)
                .map(|s| std::borrow::Cow::Owned(self.route_obj(&rk, s)));
        }
        match key {
            ObjectKey::Oid(o) => self.objs.get(o),
            ObjectKey::Entry(k) => self.entries.get(&EKey::of(k)),
            ObjectKey::Route(_) => None,
        }
        .map(std::borrow::Cow::Borrowed)
    }

    /// A route as an object (what the generic paths read: attributes in set order).
    pub fn route_obj(&self, rk: &RKey, s: &Slot) -> Obj {
        Obj {
            attrs: self.routes.attrs(rk, s),
            refcount: 0,
            origin: Origin::User,
            seq: s.seq,
        }
    }

    /// A stored object other than a route (routes: [`Store::put_attr`]).
    pub fn obj_mut(&mut self, key: &ObjectKey) -> Option<&mut Obj> {
        self.obj_epoch += 1;
        match key {
            ObjectKey::Oid(o) => self.objs.get_mut(o),
            ObjectKey::Entry(k) => self.entries.get_mut(&EKey::of(k)),
            ObjectKey::Route(_) => None,
        }
    }

    /// Switch index an object belongs to.
    pub fn switch_of(key: &ObjectKey) -> u8 {
        match key {
            ObjectKey::Oid(o) => oid::switch_index(*o),
            ObjectKey::Entry(k) => entry_switch(k),
            ObjectKey::Route(r) => oid::switch_index(r.switch_id),
        }
    }

    /// Value of attribute `id` of an object: computed, stored, or default.
    pub fn read_attr(
        &self,
        ot: u32,
        key: &ObjectKey,
        id: u32,
        depth: u8,
    ) -> Result<AttrValue, Status> {
        let m = md::attr(ot, id).ok_or(status::INVALID_PARAMETER)?;
        if let Some(v) = crate::computed::computed(self, ot, key, m) {
            return Ok(v);
        }
        let obj = self.obj(key).ok_or(status::ITEM_NOT_FOUND)?;
        if let Some(v) = obj.get(id) {
            return Ok(v.clone());
        }
        use sai_headers::meta::DefaultValue as D;
        match m.default {
            D::Const(_) | D::EmptyList => md::static_default(m).ok_or(status::NOT_IMPLEMENTED),
            D::AttrValue { ot: dot, attr } if depth < 4 => {
                // The value of `attr` on the related object of type `dot`: the switch, or the
                // object this one refers to (e.g. a RIF's virtual router).
                let target = if dot == oid::OT_SWITCH {
                    Some(oid::switch_oid(Self::switch_of(key)))
                } else {
                    obj.attrs.iter().find_map(|a| {
                        a.value
                            .as_oid()
                            .filter(|o| *o != 0 && oid::raw_type(*o) == dot)
                    })
                };
                let target = target.ok_or(status::NOT_IMPLEMENTED)?;
                self.read_attr(dot, &ObjectKey::Oid(target), attr, depth + 1)
            }
            D::AttrRange { ot: dot, attr } if dot == oid::OT_SWITCH && depth < 4 => {
                let sw = ObjectKey::Oid(oid::switch_oid(Self::switch_of(key)));
                match self.read_attr(dot, &sw, attr, depth + 1)? {
                    AttrValue::U32Range(lo, _) if md::vt_of(m) == crate::value::vt::UINT32 => {
                        Ok(AttrValue::U32(lo))
                    }
                    AttrValue::I32Range(lo, _) if md::vt_of(m) == crate::value::vt::INT32 => {
                        Ok(AttrValue::I32(lo))
                    }
                    _ => Err(status::NOT_IMPLEMENTED),
                }
            }
            _ => Err(status::NOT_IMPLEMENTED),
        }
    }
}

#[cfg(test)]
mod growth_tests {
    use super::{NewKey, Store};
    use crate::change::RouteKey;
    use crate::oid;
    use crate::profile::{Config, Profile};
    use crate::routes::{RKey, Slot};
    use crate::value::IpPrefix;
    use std::net::{IpAddr, Ipv4Addr};

    fn key(i: u32) -> RouteKey {
        RouteKey {
            switch_id: oid::switch_oid(0),
            vr_id: 2,
            destination: IpPrefix {
                addr: IpAddr::V4(Ipv4Addr::from(i << 8)),
                mask: IpAddr::V4(Ipv4Addr::from(0xffff_ff00u32)),
            },
        }
    }

    fn fill(s: &mut Store, from: u32, n: u32) {
        for i in from..from + n {
            let k = key(i);
            s.reserve_entries(1, &NewKey::Route(k));
            let rk = RKey::of(k.switch_id, k.vr_id, &k.destination).unwrap();
            let (place, _) = s.routes.place(rk);
            match place {
                crate::routes::Place::Vacant(v) => v.insert(Slot::new(0)),
                crate::routes::Place::Occupied => panic!("exists"),
            }
        }
    }

    /// Doubling below an eighth of the route table, then one step to the whole table (one
    /// rehash instead of three on the way to 1M routes); a small
    /// configured table is never exceeded by the pre-sizing.
    #[test]
    fn route_map_grows_to_the_route_table_past_an_eighth() {
        let mut s = Store::new(Config::from_profile(&Profile::new()).unwrap());
        fill(&mut s, 0, 1000);
        assert!(s.routes.capacity4() < 4096, "{}", s.routes.capacity4());
        // The first growth needing more than an eighth (at most a quarter when it happens).
        let quarter = u32::try_from(Store::PRESIZE_MAX / 4).unwrap();
        fill(&mut s, 1000, quarter - 1000 + 1);
        assert!(
            s.routes.capacity4() >= Store::PRESIZE_MAX,
            "{}",
            s.routes.capacity4()
        );
        // Emptied and refilled: the map sized for the route table is reused, not grown.
        s.routes.clear();
        fill(&mut s, 0, quarter + 1);
        assert!(
            s.routes.capacity4() < 2 * Store::PRESIZE_MAX,
            "{}",
            s.routes.capacity4()
        );
        let p = Profile::new().with("FERROSAI_TABLE_SIZE_ROUTE_ENTRY", "1000");
        let mut small = Store::new(Config::from_profile(&p).unwrap());
        fill(&mut small, 0, 3000);
        assert!(
            small.routes.capacity4() < 8192,
            "{}",
            small.routes.capacity4()
        );
    }
}
