//! Store operations: validate fully, then commit. Each returns the changes it committed.

use crate::change::{Change, ObjectKey};
use crate::computed;
use crate::defaults::Builder;
use crate::md;
use crate::oid;
use crate::routes::{Place, RKey, Slot};
use crate::store::{EKey, NewKey, Origin, RefBatch, Store, StoredAttr};
use crate::value::{status, Attr, AttrValue, EntryKey, Status};

/// What one bulk create has already validated (valid only while the store's write lock is held
/// and the call creates nothing but entries: no object a key or attribute refers to can appear or
/// go, so the same key members and the same attribute list validate the same way again).
#[derive(Clone, Debug, Default)]
pub(crate) struct EntryMemo {
    /// Remember the attribute list (a bulk call, or the store's memo of single creates).
    bulk: bool,
    /// (switch, VR) of the last route key that passed `validate_key`.
    route_key: Option<(u64, u64)>,
    /// Object type and attribute list that last passed `validate_create` (shared with the
    /// changes of the entries created with it).
    attrs: Option<(u32, std::sync::Arc<[Attr]>)>,
    /// Object type and its free table entries (`computed::available`) when last computed; kept
    /// up to date by the inserts of this call (nothing else changes the count meanwhile).
    avail: Option<(u32, u64)>,
    /// Reference counts to apply at the end of the call ([`Store::finish_bulk`]).
    refs: RefBatch,
    /// The attribute list that last passed validation on the route path
    /// ([`Store::create_route_memo`]), with what every route created with it stores.
    route_list: Option<RouteList>,
    /// Routes created on the route path, per family (4, 6), not yet in `entry_counts`.
    new_routes: [u64; 2],
}

/// A validated route attribute list and what a route created with it holds.
#[derive(Clone, Debug)]
struct RouteList {
    attrs: std::sync::Arc<[Attr]>,
    /// The slot (sequence number 0) and the side attributes.
    slot: Slot,
    side: Vec<StoredAttr>,
    /// Object ids the attributes refer to (references counted per route).
    oids: Vec<u64>,
}

impl RouteList {
    fn new(attrs: std::sync::Arc<[Attr]>) -> RouteList {
        let (slot, side) = Slot::with_attrs(0, &attrs);
        let oids = attrs
            .iter()
            .flat_map(|a| a.value.oids())
            .filter(|o| *o != 0)
            .collect();
        RouteList {
            attrs,
            slot,
            side,
            oids,
        }
    }
}

/// A route create's attribute list: shared by the caller (a bulk call's converted lists), or
/// borrowed (a copy is made only when the list is new to the memo).
#[derive(Clone, Copy, Debug)]
pub(crate) enum RouteAttrs<'a> {
    Shared(&'a std::sync::Arc<[Attr]>),
    Borrowed(&'a [Attr]),
}

impl RouteAttrs<'_> {
    fn as_slice(&self) -> &[Attr] {
        match self {
            RouteAttrs::Shared(a) => a,
            RouteAttrs::Borrowed(a) => a,
        }
    }
    fn same_as(&self, l: &std::sync::Arc<[Attr]>) -> bool {
        match self {
            RouteAttrs::Shared(a) => std::sync::Arc::ptr_eq(a, l) || ***a == **l,
            RouteAttrs::Borrowed(a) => **a == **l,
        }
    }
    fn to_shared(self) -> std::sync::Arc<[Attr]> {
        match self {
            RouteAttrs::Shared(a) => a.clone(),
            RouteAttrs::Borrowed(a) => a.into(),
        }
    }
}

impl EntryMemo {
    /// The memo of one bulk call.
    pub fn bulk() -> EntryMemo {
        EntryMemo {
            bulk: true,
            ..EntryMemo::default()
        }
    }
}

fn stored(attrs: Vec<Attr>) -> Vec<StoredAttr> {
    attrs
        .into_iter()
        .map(|a| StoredAttr {
            id: a.id,
            value: a.value,
            counted: true,
        })
        .collect()
}

impl Store {
    /// Check that `o` is a live object of type `ot`.
    pub fn check_oid(&self, ot: u32, o: u64) -> Result<(), Status> {
        let info = md::ot_info(ot).ok_or(status::INVALID_OBJECT_TYPE)?;
        if info.is_non_object_id {
            return Err(status::INVALID_OBJECT_TYPE);
        }
        if o == 0 || oid::raw_type(o) != ot {
            return Err(status::INVALID_OBJECT_ID);
        }
        if !self.objs.contains_key(&o) {
            return Err(status::ITEM_NOT_FOUND);
        }
        Ok(())
    }

    fn check_capacity(&self, ot: u32) -> Result<(), Status> {
        if computed::available(self, ot) == 0 {
            return Err(status::INSUFFICIENT_RESOURCES);
        }
        Ok(())
    }

    /// Undo creates recorded in `changes` (used only if a builder fails half way).
    fn rollback(&mut self, changes: &[Change]) {
        for c in changes.iter().rev() {
            if let Change::Create {
                key: ObjectKey::Oid(o),
                ..
            } = c
            {
                self.erase_obj(*o);
            }
        }
    }

    /// `create_switch`.
    pub fn create_switch(&mut self, attrs: Vec<Attr>) -> Result<(u64, Vec<Change>), Status> {
        self.validate_create(oid::OT_SWITCH, &attrs)?;
        let init = md::attr_id("SAI_SWITCH_ATTR_INIT_SWITCH").ok_or(status::FAILURE)?;
        let init_value = attrs
            .iter()
            .find(|a| a.id == init)
            .and_then(|a| a.value.as_bool());
        if init_value != Some(true) {
            // Connecting to an existing switch (INIT_SWITCH=false) is handled by sairedis, not here.
            let i = attrs.iter().position(|a| a.id == init).unwrap_or(0);
            return Err(status::invalid_attr_value(i));
        }
        let sw = (0u8..=255)
            .find(|i| !self.switches.contains(i))
            .ok_or(status::INSUFFICIENT_RESOURCES)?;
        let mac = md::attr_id("SAI_SWITCH_ATTR_SRC_MAC_ADDRESS").ok_or(status::FAILURE)?;
        let user_mac = attrs.iter().any(|a| a.id == mac);
        let sw_oid = oid::switch_oid(sw);
        self.switches.insert(sw);
        let first = self.insert_obj(sw_oid, stored(attrs), Origin::Pinned);
        let mut b = Builder {
            s: self,
            sw,
            changes: vec![first],
        };
        match b.build_switch(sw_oid, user_mac) {
            Ok(()) => {
                let changes = b.changes;
                Ok((sw_oid, changes))
            }
            Err(e) => {
                let changes = b.changes;
                self.rollback(&changes);
                self.switches.remove(&sw);
                Err(e)
            }
        }
    }

    /// Create an OID object (not the switch).
    pub fn create(
        &mut self,
        ot: u32,
        switch_id: u64,
        attrs: Vec<Attr>,
    ) -> Result<(u64, Vec<Change>), Status> {
        if ot == oid::OT_SWITCH {
            return self.create_switch(attrs);
        }
        let info = md::ot_info(ot).ok_or(status::INVALID_OBJECT_TYPE)?;
        if info.is_non_object_id {
            return Err(status::INVALID_OBJECT_TYPE);
        }
        if oid::raw_type(switch_id) != oid::OT_SWITCH
            || !self.switches.contains(&oid::switch_index(switch_id))
        {
            return Err(status::INVALID_PARAMETER);
        }
        self.validate_create(ot, &attrs)?;
        let sw = oid::switch_index(switch_id);
        self.check_unique_keys(ot, sw, &attrs)?;
        self.check_capacity(ot)?;
        let o = self.alloc_oid(sw, ot)?;
        let first = self.insert_obj(o, stored(attrs), Origin::User);
        let mut changes = vec![first];
        if info.name == "SAI_OBJECT_TYPE_PORT" {
            let mut b = Builder {
                s: self,
                sw,
                changes: Vec::new(),
            };
            let r = b.port_children(o);
            let extra = b.changes;
            if let Err(e) = r {
                self.rollback(&extra);
                self.erase_obj(o);
                return Err(e);
            }
            changes.extend(extra);
        }
        Ok((o, changes))
    }

    /// Remove an OID object.
    pub fn remove(&mut self, ot: u32, o: u64) -> Result<Vec<Change>, Status> {
        if ot == oid::OT_SWITCH {
            return self.remove_switch(o);
        }
        self.check_oid(ot, o)?;
        let obj = self.objs.get(&o).ok_or(status::ITEM_NOT_FOUND)?;
        if obj.refcount > 0 || matches!(obj.origin, Origin::Pinned | Origin::Owned(_)) {
            return Err(status::OBJECT_IN_USE);
        }
        let owned: Vec<u64> = self
            .objs
            .range(oid::make(oid::switch_index(o), 1, 0).unwrap_or(0)..)
            .filter(|(_, x)| x.origin == Origin::Owned(o))
            .map(|(k, _)| *k)
            .collect();
        if owned
            .iter()
            .any(|c| self.objs.get(c).is_some_and(|x| x.refcount > 0))
        {
            return Err(status::OBJECT_IN_USE);
        }
        let mut changes = Vec::with_capacity(owned.len() + 1);
        for c in owned.iter().rev() {
            changes.extend(self.erase_obj(*c));
        }
        changes.extend(self.erase_obj(o));
        Ok(changes)
    }

    /// Remove a switch and everything on it.
    pub fn remove_switch(&mut self, sw_oid: u64) -> Result<Vec<Change>, Status> {
        self.check_oid(oid::OT_SWITCH, sw_oid)?;
        let sw = oid::switch_index(sw_oid);
        let mut changes = Vec::new();
        let mut keys: Vec<(u64, EKey)> = self
            .entries
            .iter()
            .filter(|(k, _)| k.switch() == sw)
            .map(|(k, o)| (o.seq, k.clone()))
            .collect();
        keys.extend(
            self.routes
                .iter()
                .filter(|(k, _)| k.switch() == sw)
                .map(|(k, s)| (s.seq, EKey::from(k.route_key()))),
        );
        keys.sort_unstable_by_key(|k| k.0);
        for (_, k) in keys {
            changes.extend(self.erase_ekey(&k, true).flatten());
        }
        let mut objs: Vec<(u64, u64)> = self
            .objs
            .iter()
            .filter(|(k, _)| oid::switch_index(**k) == sw)
            .map(|(k, v)| (v.seq, *k))
            .collect();
        objs.sort_unstable();
        for (_, o) in objs.iter().rev() {
            changes.extend(self.erase_obj(*o));
        }
        self.switches.remove(&sw);
        Ok(changes)
    }

    /// Set one attribute.
    pub fn set(&mut self, ot: u32, key: &ObjectKey, attr: Attr) -> Result<Change, Status> {
        match key {
            ObjectKey::Oid(o) => self.check_oid(ot, *o)?,
            ObjectKey::Entry(k) if k.ot != ot => return Err(status::INVALID_PARAMETER),
            ObjectKey::Route(_) if ot != oid::OT_ROUTE_ENTRY => {
                return Err(status::INVALID_PARAMETER)
            }
            ObjectKey::Entry(_) | ObjectKey::Route(_) => {}
        }
        let obj = self.obj(key).ok_or(status::ITEM_NOT_FOUND)?;
        self.validate_set(ot, &obj, &attr)?;
        self.put_attr(key, attr.id, attr.value.clone(), true)?;
        let route = match crate::store::route_of(key) {
            Some(Some(rk)) => self
                .routes
                .get(&rk)
                .map(|s| self.route_obj(&rk, s).public_attrs().into()),
            _ => None,
        };
        Ok(Change::Set {
            ot,
            key: key.clone(),
            attr,
            route,
        })
    }

    /// Get attributes; one result per id (object-level errors are the outer error).
    pub fn get_each(
        &self,
        ot: u32,
        key: &ObjectKey,
        ids: &[u32],
    ) -> Result<Vec<Result<AttrValue, Status>>, Status> {
        match key {
            ObjectKey::Oid(o) => self.check_oid(ot, *o)?,
            ObjectKey::Entry(k) => {
                if k.ot != ot {
                    return Err(status::INVALID_PARAMETER);
                }
                if !self.entry_exists(&EKey::of(k)) {
                    return Err(status::ITEM_NOT_FOUND);
                }
            }
            ObjectKey::Route(r) => {
                if ot != oid::OT_ROUTE_ENTRY {
                    return Err(status::INVALID_PARAMETER);
                }
                if !self.entry_exists(&EKey::from(*r)) {
                    return Err(status::ITEM_NOT_FOUND);
                }
            }
        }
        Ok(ids
            .iter()
            .enumerate()
            .map(|(i, id)| match md::attr(ot, *id) {
                None => Err(status::unknown_attribute(i)),
                Some(_) => self.read_attr(ot, key, *id, 0),
            })
            .collect())
    }

    /// Get attributes; the first failing attribute's status.
    pub fn get(&self, ot: u32, key: &ObjectKey, ids: &[u32]) -> Result<Vec<AttrValue>, Status> {
        self.get_each(ot, key, ids)?.into_iter().collect()
    }

    /// Create an entry.
    pub fn create_entry(
        &mut self,
        key: NewKey,
        attrs: Vec<Attr>,
        emit: bool,
    ) -> Result<Option<Change>, Status> {
        // The key members and attribute list of the last single creates stay validated while
        // no object-id object changes (creating or removing entries changes nothing that
        // validation reads). Free table entries are counted afresh per call.
        let mut memo = std::mem::take(&mut self.single);
        if self.single_epoch != self.obj_epoch {
            memo = EntryMemo::bulk();
            self.single_epoch = self.obj_epoch;
        }
        memo.avail = None;
        self.reserve_entries(1, &key);
        let r = match key {
            NewKey::Route(k) => {
                self.create_route_memo(k, RouteAttrs::Borrowed(&attrs), emit, &mut memo)
            }
            NewKey::Entry(_) => self.create_entry_memo(key, attrs, emit, &mut memo),
        };
        self.finish_bulk(&mut memo);
        self.single = memo;
        r
    }

    /// End of a bulk create: apply what `memo` gathered.
    pub fn finish_bulk(&mut self, memo: &mut EntryMemo) {
        self.apply_refs(&mut memo.refs);
        for (i, f) in [4u8, 6].into_iter().enumerate() {
            let n = std::mem::take(&mut memo.new_routes[i]);
            if n > 0 {
                *self
                    .entry_counts
                    .entry((oid::OT_ROUTE_ENTRY, f))
                    .or_insert(0) += n;
            }
        }
    }

    /// Create a route: [`Store::create_entry_memo`] for a route key, without the generic
    /// entry's conversions. The same checks in the same order with the same statuses (key,
    /// exists, attributes, capacity); the memo also keeps what a route created with the last
    /// validated attribute list stores, and the change shares that list. Entry counts are
    /// applied by [`Store::finish_bulk`].
    #[inline]
    pub fn create_route_memo(
        &mut self,
        key: crate::change::RouteKey,
        attrs: RouteAttrs<'_>,
        emit: bool,
        memo: &mut EntryMemo,
    ) -> Result<Option<Change>, Status> {
        const OT: u32 = oid::OT_ROUTE_ENTRY;
        if memo.route_key != Some((key.switch_id, key.vr_id)) {
            self.validate_key(&key.to_entry())?;
            memo.route_key = Some((key.switch_id, key.vr_id));
        }
        // A key that passed validation (here or before, same switch and VR) has a table form
        // unless its prefix is bad.
        let rk = RKey::of(key.switch_id, key.vr_id, &key.destination)
            .ok_or(status::INVALID_PARAMETER)?;
        if !memo
            .route_list
            .as_ref()
            .is_some_and(|l| attrs.same_as(&l.attrs))
        {
            if let Err(e) = self.validate_create(OT, attrs.as_slice()) {
                // An existing entry is reported first, as the check order says.
                return Err(if self.routes.contains(&rk) {
                    status::ITEM_ALREADY_EXISTS
                } else {
                    e
                });
            }
            memo.route_list = Some(RouteList::new(attrs.to_shared()));
        }
        let avail = match memo.avail {
            Some((o, n)) if o == OT => n,
            _ => {
                // Counts of routes created so far in this call are still in the memo.
                let pending = memo.new_routes[0] + memo.new_routes[1];
                crate::computed::available(self, OT).saturating_sub(pending)
            }
        };
        let Some(list) = memo.route_list.as_ref() else {
            return Err(status::FAILURE);
        };
        let Store {
            routes,
            objs,
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
        // The key's switch id holds no reference; its VR and the attributes' objects do.
        let oids = std::iter::once(key.vr_id).chain(list.oids.iter().copied());
        memo.refs.add_all(objs, oids);
        let mut slot = list.slot;
        slot.seq = *next_seq;
        *next_seq += 1;
        if !list.side.is_empty() {
            extra.insert(rk, list.side.clone());
        }
        place.insert(slot);
        memo.new_routes[usize::from(rk.family() == 6)] += 1;
        memo.avail = Some((OT, avail - 1));
        Ok(emit.then(|| Change::Create {
            ot: OT,
            attrs: list.attrs.clone(),
            key: ObjectKey::Route(key),
        }))
    }

    /// Create an entry, skipping the checks `memo` proves were already passed in this bulk call.
    /// Statuses are those of an unmemoised create, in the same order of checks (key, exists,
    /// attributes, capacity).
    pub fn create_entry_memo(
        &mut self,
        key: NewKey,
        attrs: Vec<Attr>,
        emit: bool,
        memo: &mut EntryMemo,
    ) -> Result<Option<Change>, Status> {
        let ek = key.ekey();
        let ot = key.ot();
        match (&ek, memo.route_key) {
            // Same switch and VR as a route key validated before: only the prefix differs.
            (EKey::Route { sw, vr, prefix }, Some(m)) if m == (*sw, *vr) => {
                if prefix.prefix_len().is_none() {
                    return Err(status::INVALID_PARAMETER);
                }
            }
            _ => {
                self.validate_key(&key.entry())?;
                memo.route_key = match ek {
                    EKey::Route { sw, vr, .. } => Some((sw, vr)),
                    EKey::Other(_) => None,
                };
            }
        }
        let mut shared = match &memo.attrs {
            Some((o, a)) if *o == ot && **a == *attrs => Some(a.clone()),
            _ => None,
        };
        if shared.is_none() {
            if let Err(e) = self.validate_create(ot, &attrs) {
                // An existing entry is reported first, as the check order says.
                return Err(if self.entry_exists(&ek) {
                    status::ITEM_ALREADY_EXISTS
                } else {
                    e
                });
            }
            if memo.bulk {
                let a: std::sync::Arc<[Attr]> = attrs.as_slice().into();
                memo.attrs = Some((ot, a.clone()));
                shared = Some(a);
            }
        }
        let avail = match memo.avail {
            Some((o, n)) if o == ot => n,
            _ => computed::available(self, ot),
        };
        // Existence and capacity, with one hash lookup for the check and the insert.
        let r = self.insert_entry_once(ek, key, attrs, shared, emit, &mut memo.refs, avail);
        if r.is_ok() {
            memo.avail = Some((ot, avail - 1));
        }
        r
    }

    /// Remove an entry.
    pub fn remove_entry(&mut self, key: &EntryKey, emit: bool) -> Result<Option<Change>, Status> {
        md::ot_info(key.ot)
            .filter(|i| i.is_non_object_id)
            .ok_or(status::INVALID_OBJECT_TYPE)?;
        let ek = EKey::of(key);
        if matches!(ek, EKey::Route { .. }) {
            // Nothing refers to a route.
            return self.erase_ekey(&ek, emit).ok_or(status::ITEM_NOT_FOUND);
        }
        let obj = self.entries.get(&ek).ok_or(status::ITEM_NOT_FOUND)?;
        if obj.refcount > 0 {
            return Err(status::OBJECT_IN_USE);
        }
        self.erase_ekey(&ek, emit).ok_or(status::ITEM_NOT_FOUND)
    }

    /// [`Store::remove_entry`] with the caller's key moved into the change.
    pub fn remove_entry_owned(
        &mut self,
        key: NewKey,
        emit: bool,
    ) -> Result<Option<Change>, Status> {
        let ot = key.ot();
        md::ot_info(ot)
            .filter(|i| i.is_non_object_id)
            .ok_or(status::INVALID_OBJECT_TYPE)?;
        let ek = key.ekey();
        if let EKey::Route { sw, vr, prefix } = &ek {
            // Nothing refers to a route: absent is the only failure.
            let rk = RKey::of(*sw, *vr, prefix).ok_or(status::ITEM_NOT_FOUND)?;
            if !self.remove_route(&rk) {
                return Err(status::ITEM_NOT_FOUND);
            }
            return Ok(emit.then(|| Change::Remove {
                ot,
                key: key.into_object_key(),
            }));
        }
        // One hash lookup for the checks and the removal.
        let obj = match self.entries.entry(ek.clone()) {
            std::collections::hash_map::Entry::Vacant(_) => return Err(status::ITEM_NOT_FOUND),
            std::collections::hash_map::Entry::Occupied(o) => {
                if o.get().refcount > 0 {
                    return Err(status::OBJECT_IN_USE);
                }
                o.remove()
            }
        };
        self.entry_removed(&ek, &obj);
        Ok(emit.then(|| Change::Remove {
            ot,
            key: key.into_object_key(),
        }))
    }

    /// Set an attribute the switch itself owns (read-only state such as a port's oper status),
    /// without caller validation but with a type check. Not a change for the forwarder.
    pub fn set_internal(&mut self, ot: u32, key: &ObjectKey, attr: Attr) -> Result<(), Status> {
        let m = md::attr(ot, attr.id).ok_or_else(|| status::unknown_attribute(0))?;
        if !attr.value.matches_value_type(md::vt_of(m)) {
            return Err(status::invalid_attr_value(0));
        }
        self.put_attr(key, attr.id, attr.value, false)
    }

    /// The whole state as creates (creation order, attributes that would refer forward deferred
    /// to sets after all creates), switches first within their creation order, entries last.
    pub fn snapshot(&self) -> Vec<Change> {
        let mut objs: Vec<(&u64, &crate::store::Obj)> = self.objs.iter().collect();
        objs.sort_unstable_by_key(|(_, o)| o.seq);
        let mut creates = Vec::with_capacity(objs.len());
        let mut deferred = Vec::new();
        for (o, obj) in &objs {
            let ot = oid::raw_type(**o);
            let mut now = Vec::new();
            for a in &obj.attrs {
                let forward = a.value.oids().any(|r| {
                    r != 0 && r != **o && self.objs.get(&r).is_some_and(|x| x.seq > obj.seq)
                });
                let attr = Attr {
                    id: a.id,
                    value: a.value.clone(),
                };
                if forward {
                    deferred.push(Change::Set {
                        ot,
                        key: ObjectKey::Oid(**o),
                        attr,
                        route: None,
                    });
                } else {
                    now.push(attr);
                }
            }
            creates.push(Change::Create {
                ot,
                key: ObjectKey::Oid(**o),
                attrs: now.into(),
            });
        }
        // Entries in creation order, routes among them.
        enum E<'a> {
            Entry(&'a EKey, &'a crate::store::Obj),
            Route(crate::routes::RKey, &'a crate::routes::Slot),
        }
        let mut entries: Vec<(u64, E<'_>)> = self
            .entries
            .iter()
            .map(|(k, o)| (o.seq, E::Entry(k, o)))
            .chain(self.routes.iter().map(|(k, s)| (s.seq, E::Route(k, s))))
            .collect();
        entries.sort_unstable_by_key(|e| e.0);
        creates.extend(deferred);
        for (_, e) in entries {
            creates.push(match e {
                E::Entry(k, obj) => Change::Create {
                    ot: k.ot(),
                    key: ObjectKey::Entry(k.to_entry()),
                    attrs: obj.public_attrs().into(),
                },
                E::Route(k, s) => Change::Create {
                    ot: oid::OT_ROUTE_ENTRY,
                    key: ObjectKey::Entry(k.route_key().to_entry()),
                    attrs: self.route_obj(&k, s).public_attrs().into(),
                },
            });
        }
        creates
    }
}

#[cfg(test)]
mod tests {
    use crate::value::{status, Attr, AttrValue, EntryKey, IpPrefix};
    use crate::{md, BulkMode, Profile, Sai};
    use std::net::{IpAddr, Ipv4Addr};

    /// Per-object statuses of the two memo tests' eight-route batch: new, bad mask, bad action,
    /// new, the first prefix again, unknown VR, next hop of a wrong type, new.
    fn mixed_batch_statuses() -> Vec<crate::value::Status> {
        vec![
            status::SUCCESS,
            status::INVALID_PARAMETER,
            status::invalid_attr_value(0),
            status::SUCCESS,
            status::ITEM_ALREADY_EXISTS,
            status::INVALID_PARAMETER,
            status::invalid_attr_value(0),
            status::SUCCESS,
        ]
    }

    /// Creates the switch; returns it and its default virtual router.
    fn switch_with_default_vr(sai: &Sai) -> (u64, u64) {
        let id = |n: &str| md::attr_id(n).unwrap();
        let sw = sai
            .create(
                md::ot_id("SAI_OBJECT_TYPE_SWITCH").unwrap(),
                0,
                vec![Attr::new(
                    id("SAI_SWITCH_ATTR_INIT_SWITCH"),
                    AttrValue::Bool(true),
                )],
            )
            .unwrap();
        let vr = sai
            .get(
                sai.object_type_query(sw),
                sw,
                &[id("SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID")],
            )
            .unwrap()[0]
            .as_oid()
            .unwrap();
        (sw, vr)
    }

    /// The bulk memo skips only checks already passed in the same call: every object still gets
    /// the status an unmemoised create would give.
    #[test]
    fn bulk_route_memo_keeps_per_object_statuses() {
        let sai = Sai::new(&Profile::new()).unwrap();
        let id = |n: &str| md::attr_id(n).unwrap();
        let (sw, vr) = switch_with_default_vr(&sai);
        let key = |vr: u64, a: u32, mask: u32| EntryKey {
            ot: md::ot_id("SAI_OBJECT_TYPE_ROUTE_ENTRY").unwrap(),
            members: vec![
                AttrValue::Oid(sw),
                AttrValue::Oid(vr),
                AttrValue::IpPrefix(IpPrefix {
                    addr: IpAddr::V4(Ipv4Addr::from(a)),
                    mask: IpAddr::V4(Ipv4Addr::from(mask)),
                }),
            ],
        };
        let drop = md::enum_value(
            "SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION",
            "SAI_PACKET_ACTION_DROP",
        )
        .unwrap();
        let act = |v: i32| {
            vec![Attr::new(
                id("SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION"),
                AttrValue::I32(v),
            )]
        };
        let nh = vec![Attr::new(
            id("SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID"),
            AttrValue::Oid(vr),
        )];
        let m24 = 0xffff_ff00;
        let before = sai.object_count();
        let items = vec![
            (key(vr, 0x0a00_0100, m24), act(drop)),
            (key(vr, 0x0a00_0200, 0xff00_ff00), act(drop)),
            (key(vr, 0x0a00_0300, m24), act(9999)),
            (key(vr, 0x0a00_0400, m24), act(drop)),
            (key(vr, 0x0a00_0100, m24), act(drop)),
            (key(vr ^ 0xff, 0x0a00_0500, m24), act(drop)),
            (key(vr, 0x0a00_0600, m24), nh),
            (key(vr, 0x0a00_0700, m24), act(drop)),
        ];
        let r = sai.bulk_create_entries(items.clone(), BulkMode::IgnoreError);
        assert_eq!(r.statuses, mixed_batch_statuses());
        assert_eq!(r.status, status::FAILURE);
        assert_eq!(sai.object_count(), before + 3);
        // Stop on error: the second object fails, the rest is not executed, nothing else changes.
        let r = sai.bulk_create_entries(items[..3].to_vec(), BulkMode::StopOnError);
        assert_eq!(
            r.statuses,
            vec![
                status::ITEM_ALREADY_EXISTS,
                status::NOT_EXECUTED,
                status::NOT_EXECUTED
            ]
        );
        assert_eq!(sai.object_count(), before + 3);
        // An existing entry with an attribute list not validated yet: "exists" comes first, as
        // in an unmemoised create; then the same list on a new prefix gets the attribute error.
        let r = sai.bulk_create_entries(
            vec![
                (key(vr, 0x0a00_0100, m24), act(9999)),
                (key(vr, 0x0a00_0800, m24), act(9999)),
            ],
            BulkMode::IgnoreError,
        );
        assert_eq!(
            r.statuses,
            vec![status::ITEM_ALREADY_EXISTS, status::invalid_attr_value(0)]
        );
        assert_eq!(
            sai.create_entry(key(vr, 0x0a00_0400, m24), act(9999)),
            Err(status::ITEM_ALREADY_EXISTS)
        );
    }

    /// The route path ([`Sai::bulk_create_routes`], lists shared between items) gives every
    /// object the status of the generic entry path, in both modes, and the same state.
    #[test]
    fn route_path_statuses_equal_the_generic_path() {
        let id = |n: &str| md::attr_id(n).unwrap();
        let act = |v: i32| {
            vec![Attr::new(
                id("SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION"),
                AttrValue::I32(v),
            )]
        };
        let drop = md::enum_value(
            "SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION",
            "SAI_PACKET_ACTION_DROP",
        )
        .unwrap();
        // Items: (address, mask, VR valid, attributes or empty for a next hop of the wrong type).
        type Round = (Vec<(u32, u32, bool, Vec<Attr>)>, BulkMode);
        let run = |table: &str, rounds: &[Round]| {
            let mut out = Vec::new();
            for generic in [true, false] {
                let sai = Sai::new(&Profile::new().with("FERROSAI_TABLE_SIZE_ROUTE_ENTRY", table))
                    .unwrap();
                let (sw, vr) = switch_with_default_vr(&sai);
                let nh = vec![Attr::new(
                    id("SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID"),
                    AttrValue::Oid(vr),
                )];
                let mut res = Vec::new();
                for (items, mode) in rounds {
                    let items: Vec<(crate::RouteKey, Vec<Attr>)> = items
                        .iter()
                        .map(|(a, mask, good_vr, attrs)| {
                            (
                                crate::RouteKey {
                                    switch_id: sw,
                                    vr_id: if *good_vr { vr } else { vr ^ 0xff },
                                    destination: IpPrefix {
                                        addr: IpAddr::V4(Ipv4Addr::from(*a)),
                                        mask: IpAddr::V4(Ipv4Addr::from(*mask)),
                                    },
                                },
                                if attrs.is_empty() {
                                    nh.clone()
                                } else {
                                    attrs.clone()
                                },
                            )
                        })
                        .collect();
                    let r = if generic {
                        sai.bulk_create_entries(
                            items.into_iter().map(|(k, a)| (k.to_entry(), a)).collect(),
                            *mode,
                        )
                    } else {
                        let mut last: Option<std::sync::Arc<[Attr]>> = None;
                        let shared = items
                            .into_iter()
                            .map(|(k, a)| {
                                let a = match &last {
                                    Some(l) if **l == *a => l.clone(),
                                    _ => {
                                        let l: std::sync::Arc<[Attr]> = a.into();
                                        last = Some(l.clone());
                                        l
                                    }
                                };
                                (k, a)
                            })
                            .collect();
                        sai.bulk_create_routes(shared, *mode)
                    };
                    res.push((r, sai.object_count()));
                }
                res.push((
                    crate::BulkStatus {
                        status: 0,
                        statuses: vec![],
                    },
                    sai.snapshot_for_replay().len(),
                ));
                out.push(res);
            }
            assert_eq!(out[0], out[1]);
            out.remove(0)
        };
        let m24 = 0xffff_ff00;
        let items = vec![
            (0x0a00_0100, m24, true, act(drop)),
            (0x0a00_0200, 0xff00_ff00, true, act(drop)),
            (0x0a00_0300, m24, true, act(9999)),
            (0x0a00_0400, m24, true, act(drop)),
            (0x0a00_0100, m24, true, act(drop)),
            (0x0a00_0500, m24, false, act(drop)),
            (0x0a00_0600, m24, true, vec![]),
            (0x0a00_0700, m24, true, act(drop)),
        ];
        let r = run(
            "1000",
            &[
                (items.clone(), BulkMode::IgnoreError),
                (items[..3].to_vec(), BulkMode::StopOnError),
                (
                    vec![
                        (0x0a00_0100, m24, true, act(9999)),
                        (0x0a00_0800, m24, true, act(9999)),
                    ],
                    BulkMode::IgnoreError,
                ),
            ],
        );
        assert_eq!(r[0].0.statuses, mixed_batch_statuses());
        // Capacity counted down within and across calls (a table of 4 routes).
        let five: Vec<_> = (1..6u32)
            .map(|i| (0x0b00_0000 + (i << 8), m24, true, act(drop)))
            .collect();
        let r = run(
            "4",
            &[
                (five[..1].to_vec(), BulkMode::IgnoreError),
                (five.clone(), BulkMode::IgnoreError),
                (five[4..].to_vec(), BulkMode::StopOnError),
            ],
        );
        assert_eq!(
            r[1].0.statuses,
            vec![
                status::ITEM_ALREADY_EXISTS,
                status::SUCCESS,
                status::SUCCESS,
                status::SUCCESS,
                status::INSUFFICIENT_RESOURCES,
            ]
        );
    }

    /// The route path's bulk remove: per-object statuses (absent, removed twice, a key no route
    /// can have), both modes, and the references and table counts it gathers per call are
    /// applied (a next-hop group used by the routes is free again, the table has its room back).
    #[test]
    fn bulk_route_remove_statuses_refs_and_counts() {
        let sai = Sai::new(&Profile::new()).unwrap();
        let id = |n: &str| md::attr_id(n).unwrap();
        let ot = |n: &str| md::ot_id(n).unwrap();
        let (sw, vr) = switch_with_default_vr(&sai);
        let ecmp = md::enum_value(
            "SAI_NEXT_HOP_GROUP_ATTR_TYPE",
            "SAI_NEXT_HOP_GROUP_TYPE_DYNAMIC_UNORDERED_ECMP",
        )
        .unwrap();
        let g_t = ot("SAI_OBJECT_TYPE_NEXT_HOP_GROUP");
        let g = sai
            .create(
                g_t,
                sw,
                vec![Attr::new(
                    id("SAI_NEXT_HOP_GROUP_ATTR_TYPE"),
                    AttrValue::I32(ecmp),
                )],
            )
            .unwrap();
        let key = |i: u32, mask: u32| crate::RouteKey {
            switch_id: sw,
            vr_id: vr,
            destination: IpPrefix {
                addr: IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + (i << 8))),
                mask: IpAddr::V4(Ipv4Addr::from(mask)),
            },
        };
        let m24 = 0xffff_ff00;
        let rt = ot("SAI_OBJECT_TYPE_ROUTE_ENTRY");
        let free0 = sai.object_type_get_availability(sw, rt).unwrap();
        let nh: std::sync::Arc<[Attr]> = vec![Attr::new(
            id("SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID"),
            AttrValue::Oid(g),
        )]
        .into();
        let items: Vec<_> = (0..40).map(|i| (key(i, m24), nh.clone())).collect();
        let r = sai.bulk_create_routes(items, BulkMode::StopOnError);
        assert_eq!(r.status, status::SUCCESS);
        assert_eq!(sai.object_type_get_availability(sw, rt), Ok(free0 - 40));
        let r = sai.bulk_remove_routes(
            &[
                key(0, m24),
                key(99, m24),
                key(1, m24),
                key(1, m24),
                key(2, 0xff00_ff00),
            ],
            BulkMode::IgnoreError,
        );
        assert_eq!(
            r.statuses,
            vec![
                status::SUCCESS,
                status::ITEM_NOT_FOUND,
                status::SUCCESS,
                status::ITEM_NOT_FOUND,
                status::ITEM_NOT_FOUND
            ]
        );
        let r = sai.bulk_remove_routes(
            &[key(2, m24), key(0, m24), key(3, m24)],
            BulkMode::StopOnError,
        );
        assert_eq!(
            r.statuses,
            vec![
                status::SUCCESS,
                status::ITEM_NOT_FOUND,
                status::NOT_EXECUTED
            ]
        );
        assert_eq!(sai.object_type_get_availability(sw, rt), Ok(free0 - 37));
        assert_eq!(sai.remove(g_t, g), Err(status::OBJECT_IN_USE));
        let rest: Vec<_> = (3..40).map(|i| key(i, m24)).collect();
        assert_eq!(
            sai.bulk_remove_routes(&rest, BulkMode::StopOnError).status,
            status::SUCCESS
        );
        assert_eq!(sai.object_type_get_availability(sw, rt), Ok(free0));
        assert_eq!(sai.remove(g_t, g), Ok(()));
    }

    /// Single creates remember what they validated only until an object-id object changes: a
    /// removed VR or next-hop group is refused again.
    #[test]
    fn single_create_memo_ends_with_object_changes() {
        let sai = Sai::new(&Profile::new()).unwrap();
        let id = |n: &str| md::attr_id(n).unwrap();
        let ot = |n: &str| md::ot_id(n).unwrap();
        let (sw, _) = switch_with_default_vr(&sai);
        let vr = sai
            .create(ot("SAI_OBJECT_TYPE_VIRTUAL_ROUTER"), sw, vec![])
            .unwrap();
        let ecmp = md::enum_value(
            "SAI_NEXT_HOP_GROUP_ATTR_TYPE",
            "SAI_NEXT_HOP_GROUP_TYPE_DYNAMIC_UNORDERED_ECMP",
        )
        .unwrap();
        let g = sai
            .create(
                ot("SAI_OBJECT_TYPE_NEXT_HOP_GROUP"),
                sw,
                vec![Attr::new(
                    id("SAI_NEXT_HOP_GROUP_ATTR_TYPE"),
                    AttrValue::I32(ecmp),
                )],
            )
            .unwrap();
        let key = |i: u32| EntryKey {
            ot: ot("SAI_OBJECT_TYPE_ROUTE_ENTRY"),
            members: vec![
                AttrValue::Oid(sw),
                AttrValue::Oid(vr),
                AttrValue::IpPrefix(IpPrefix {
                    addr: IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + (i << 8))),
                    mask: IpAddr::V4(Ipv4Addr::from(0xffff_ff00)),
                }),
            ],
        };
        let nh = vec![Attr::new(
            id("SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID"),
            AttrValue::Oid(g),
        )];
        assert_eq!(sai.create_entry(key(1), nh.clone()), Ok(()));
        assert_eq!(sai.create_entry(key(2), nh.clone()), Ok(()));
        assert_eq!(sai.remove_entry(&key(1)), Ok(()));
        assert_eq!(sai.remove_entry(&key(2)), Ok(()));
        assert_eq!(sai.remove(ot("SAI_OBJECT_TYPE_NEXT_HOP_GROUP"), g), Ok(()));
        assert_eq!(
            sai.create_entry(key(3), nh.clone()),
            Err(status::invalid_attr_value(0))
        );
        assert_eq!(sai.remove(ot("SAI_OBJECT_TYPE_VIRTUAL_ROUTER"), vr), Ok(()));
        assert_eq!(
            sai.create_entry(key(4), vec![]),
            Err(status::INVALID_PARAMETER)
        );
    }

    /// Routes keep the action and next hop inline and other attributes on the side: every
    /// attribute reads back, sets replace, references are counted and dropped (a next-hop group
    /// used by a route is in use), and the state survives a save and a warm restore.
    #[test]
    fn route_attributes_inline_and_on_the_side() {
        let dir = std::env::temp_dir().join(format!("sai-store-routes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("state.txt");
        let sai = Sai::new(&Profile::new()).unwrap();
        let id = |n: &str| md::attr_id(n).unwrap();
        let ot = |n: &str| md::ot_id(n).unwrap();
        let (sw, vr) = switch_with_default_vr(&sai);
        let ecmp = md::enum_value(
            "SAI_NEXT_HOP_GROUP_ATTR_TYPE",
            "SAI_NEXT_HOP_GROUP_TYPE_DYNAMIC_UNORDERED_ECMP",
        )
        .unwrap();
        let g = sai
            .create(
                ot("SAI_OBJECT_TYPE_NEXT_HOP_GROUP"),
                sw,
                vec![Attr::new(
                    id("SAI_NEXT_HOP_GROUP_ATTR_TYPE"),
                    AttrValue::I32(ecmp),
                )],
            )
            .unwrap();
        let key = |addr: &str, mask: &str| EntryKey {
            ot: ot("SAI_OBJECT_TYPE_ROUTE_ENTRY"),
            members: vec![
                AttrValue::Oid(sw),
                AttrValue::Oid(vr),
                AttrValue::IpPrefix(IpPrefix {
                    addr: addr.parse().unwrap(),
                    mask: mask.parse().unwrap(),
                }),
            ],
        };
        let r4 = key("10.1.0.0", "255.255.0.0");
        let r6 = key("2001:db8::", "ffff:ffff::");
        let (meta, nh, act) = (
            id("SAI_ROUTE_ENTRY_ATTR_META_DATA"),
            id("SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID"),
            id("SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION"),
        );
        let fwd = md::enum_value(
            "SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION",
            "SAI_PACKET_ACTION_FORWARD",
        )
        .unwrap();
        sai.create_entry(
            r4.clone(),
            vec![
                Attr::new(meta, AttrValue::U32(7)),
                Attr::new(nh, AttrValue::Oid(g)),
            ],
        )
        .unwrap();
        sai.create_entry(
            r6.clone(),
            vec![
                Attr::new(nh, AttrValue::Oid(g)),
                Attr::new(act, AttrValue::I32(fwd)),
            ],
        )
        .unwrap();
        assert_eq!(
            sai.get_entry(&r4, &[meta, nh, act]),
            Ok(vec![
                AttrValue::U32(7),
                AttrValue::Oid(g),
                AttrValue::I32(fwd)
            ])
        );
        let g_t = ot("SAI_OBJECT_TYPE_NEXT_HOP_GROUP");
        assert_eq!(sai.remove(g_t, g), Err(status::OBJECT_IN_USE));
        // The programmer's view: action and next hop where set; a set carries the whole route.
        let mut view: Vec<(bool, crate::RouteState)> = sai.read_routes(|r| {
            r.iter()
                .map(|(k, st)| (k.destination.addr.is_ipv4(), st))
                .collect()
        });
        view.sort_by_key(|v| !v.0);
        assert_eq!(
            view,
            vec![
                (
                    true,
                    crate::RouteState {
                        action: None,
                        next_hop: Some(g)
                    }
                ),
                (
                    false,
                    crate::RouteState {
                        action: Some(fwd),
                        next_hop: Some(g)
                    }
                ),
            ]
        );
        let sink = crate::RecordingSink::default();
        let batches = std::sync::Arc::clone(&sink.batches);
        sai.set_change_sink(Some(Box::new(sink)));
        sai.set_entry(&r6, Attr::new(meta, AttrValue::U32(3)))
            .unwrap();
        sai.set_change_sink(None);
        match &batches.lock().unwrap()[0][0] {
            crate::Change::Set { attr, route, .. } => {
                assert_eq!(attr.id, meta);
                assert_eq!(
                    route.as_deref(),
                    Some(
                        &[
                            Attr::new(nh, AttrValue::Oid(g)),
                            Attr::new(act, AttrValue::I32(fwd)),
                            Attr::new(meta, AttrValue::U32(3)),
                        ][..]
                    )
                );
            }
            c => panic!("{c:?}"),
        }
        sai.set_entry(&r4, Attr::new(meta, AttrValue::U32(9)))
            .unwrap();
        sai.set_entry(&r4, Attr::new(nh, AttrValue::Oid(0)))
            .unwrap();
        assert_eq!(
            sai.get_entry(&r4, &[meta, nh]),
            Ok(vec![AttrValue::U32(9), AttrValue::Oid(0)])
        );
        let created = |sai: &Sai| -> Vec<(EntryKey, Vec<Attr>)> {
            let mut v: Vec<_> = sai
                .snapshot_for_replay()
                .into_iter()
                .filter_map(|c| match c {
                    crate::Change::Create {
                        key: crate::ObjectKey::Entry(k),
                        attrs,
                        ..
                    } => Some((k, attrs.to_vec())),
                    _ => None,
                })
                .collect();
            v.sort_by_key(|(k, _)| format!("{k:?}"));
            v
        };
        let mut want = vec![
            (
                r4.clone(),
                vec![
                    Attr::new(nh, AttrValue::Oid(0)),
                    Attr::new(meta, AttrValue::U32(9)),
                ],
            ),
            (
                r6.clone(),
                vec![
                    Attr::new(nh, AttrValue::Oid(g)),
                    Attr::new(act, AttrValue::I32(fwd)),
                    Attr::new(meta, AttrValue::U32(3)),
                ],
            ),
        ];
        want.sort_by_key(|(k, _)| format!("{k:?}"));
        assert_eq!(created(&sai), want);
        // Saved and restored: the same routes, attributes and references.
        sai.save_state(&file).unwrap();
        let warm = Sai::new(
            &Profile::new()
                .with("SAI_BOOT_TYPE", "1")
                .with("SAI_WARM_BOOT_READ_FILE", file.to_str().unwrap()),
        )
        .unwrap();
        let sw2 = warm
            .create(
                ot("SAI_OBJECT_TYPE_SWITCH"),
                0,
                vec![Attr::new(
                    id("SAI_SWITCH_ATTR_INIT_SWITCH"),
                    AttrValue::Bool(true),
                )],
            )
            .unwrap();
        assert_eq!(sw2, sw);
        assert_eq!(created(&warm), want);
        assert_eq!(
            warm.get_entry(&r4, &[meta, act]),
            Ok(vec![AttrValue::U32(9), AttrValue::I32(fwd)])
        );
        let _ = std::fs::remove_dir_all(&dir);
        // Both removed: the group is free (the IPv4 route dropped its reference on the set).
        assert_eq!(sai.remove_entry(&r6), Ok(()));
        assert_eq!(sai.remove_entry(&r6), Err(status::ITEM_NOT_FOUND));
        assert_eq!(sai.remove(g_t, g), Ok(()));
        assert_eq!(sai.remove_entry(&r4), Ok(()));
        assert_eq!(sai.get_entry(&r4, &[meta]), Err(status::ITEM_NOT_FOUND));
    }

    /// The bulk memo counts the free table entries down: the entries past the table size fail
    /// with INSUFFICIENT_RESOURCES, one bulk call or several, and removals free room again.
    #[test]
    fn bulk_route_capacity() {
        let profile = Profile::new().with("FERROSAI_TABLE_SIZE_ROUTE_ENTRY", "4");
        let sai = Sai::new(&profile).unwrap();
        let id = |n: &str| md::attr_id(n).unwrap();
        let (sw, vr) = switch_with_default_vr(&sai);
        let key = |i: u32| EntryKey {
            ot: md::ot_id("SAI_OBJECT_TYPE_ROUTE_ENTRY").unwrap(),
            members: vec![
                AttrValue::Oid(sw),
                AttrValue::Oid(vr),
                AttrValue::IpPrefix(IpPrefix {
                    addr: IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + (i << 8))),
                    mask: IpAddr::V4(Ipv4Addr::from(0xffff_ff00)),
                }),
            ],
        };
        let drop = md::enum_value(
            "SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION",
            "SAI_PACKET_ACTION_DROP",
        )
        .unwrap();
        let act = vec![Attr::new(
            id("SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION"),
            AttrValue::I32(drop),
        )];
        assert_eq!(sai.create_entry(key(0), act.clone()), Ok(()));
        let items: Vec<_> = (1..6).map(|i| (key(i), act.clone())).collect();
        let r = sai.bulk_create_entries(items, BulkMode::IgnoreError);
        assert_eq!(
            r.statuses,
            vec![
                status::SUCCESS,
                status::SUCCESS,
                status::SUCCESS,
                status::INSUFFICIENT_RESOURCES,
                status::INSUFFICIENT_RESOURCES,
            ]
        );
        // Full: an existing entry is still "exists".
        let r = sai.bulk_create_entries(vec![(key(1), act.clone())], BulkMode::IgnoreError);
        assert_eq!(r.statuses, vec![status::ITEM_ALREADY_EXISTS]);
        let r = sai.bulk_remove_entries_owned(vec![key(0), key(9)], BulkMode::IgnoreError);
        assert_eq!(r.statuses, vec![status::SUCCESS, status::ITEM_NOT_FOUND]);
        let r = sai.bulk_create_entries(
            vec![(key(4), act.clone()), (key(5), act)],
            BulkMode::IgnoreError,
        );
        assert_eq!(
            r.statuses,
            vec![status::SUCCESS, status::INSUFFICIENT_RESOURCES]
        );
    }
}
