//! [`Sai`]: the thread-safe store API the C boundary calls.

use crate::change::{Change, ChangeSink, ObjectKey, RouteKey};
use crate::computed;
use crate::md;
use crate::oid;
use crate::profile::{BootType, Config, Profile, ProfileError};
use crate::stats::{StatsMode, StatsSource};
use crate::store::{NewKey, Store};
use crate::value::{status, Attr, AttrValue, EntryKey, Status};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Error mode of a bulk call (`sai_bulk_op_error_mode_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BulkMode {
    /// Stop at the first failure; the remaining objects get `SAI_STATUS_NOT_EXECUTED`.
    StopOnError,
    /// Try every object.
    IgnoreError,
}

/// Result of a bulk call: the call's status (`SUCCESS` when every object succeeded, else
/// `FAILURE`) and one status per object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkStatus {
    pub status: Status,
    pub statuses: Vec<Status>,
}

/// `sai_attr_capability_t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttrCapability {
    pub create_implemented: bool,
    pub set_implemented: bool,
    pub get_implemented: bool,
}

struct State {
    store: Store,
    /// State read from `SAI_WARM_BOOT_READ_FILE`, restored by the next `create_switch`.
    warm: Option<Store>,
}

/// The SAI object store: typed, validated, thread-safe.
pub struct Sai {
    state: RwLock<State>,
    sink: Mutex<Option<Box<dyn ChangeSink>>>,
    stats: RwLock<Option<Arc<dyn StatsSource>>>,
    config: Config,
}

impl std::fmt::Debug for Sai {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sai")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// `sai_object_type_query`: O(1), total (unknown or garbage ids give `SAI_OBJECT_TYPE_NULL`).
pub fn object_type_query(o: u64) -> u32 {
    let t = oid::raw_type(o);
    if md::ot_info(t).is_some_and(|i| !i.is_non_object_id) {
        t
    } else {
        oid::OT_NULL
    }
}

/// `sai_switch_id_query`: the switch an object id belongs to, or 0 for garbage.
pub fn switch_id_query(o: u64) -> u64 {
    if object_type_query(o) == oid::OT_NULL {
        0
    } else {
        oid::switch_oid(oid::switch_index(o))
    }
}

fn bulk_result(statuses: Vec<Status>) -> BulkStatus {
    let ok = statuses.iter().all(|s| *s == status::SUCCESS);
    BulkStatus {
        status: if ok { status::SUCCESS } else { status::FAILURE },
        statuses,
    }
}

/// Run `f` over `n` items with bulk error-mode semantics.
fn run_bulk(
    n: usize,
    mode: BulkMode,
    mut f: impl FnMut(usize) -> Result<(), Status>,
) -> BulkStatus {
    let mut statuses = vec![status::NOT_EXECUTED; n];
    for (i, st) in statuses.iter_mut().enumerate() {
        match f(i) {
            Ok(()) => *st = status::SUCCESS,
            Err(e) => {
                *st = e;
                if mode == BulkMode::StopOnError {
                    break;
                }
            }
        }
    }
    bulk_result(statuses)
}

impl Sai {
    /// Build from a profile. With `SAI_BOOT_TYPE=1` and a readable `SAI_WARM_BOOT_READ_FILE`, the
    /// saved state is loaded and restored by the next `create_switch`.
    pub fn new(profile: &Profile) -> Result<Sai, ProfileError> {
        let config = Config::from_profile(profile)?;
        let mut warm = None;
        if config.boot_type == BootType::Warm {
            if let Some(path) = &config.warm_boot_read_file {
                let text = std::fs::read_to_string(path).map_err(|e| ProfileError {
                    key: "SAI_WARM_BOOT_READ_FILE".into(),
                    reason: format!("cannot read {}: {e}", path.display()),
                })?;
                let st = crate::warm::decode(&text, config.clone()).map_err(|e| ProfileError {
                    key: "SAI_WARM_BOOT_READ_FILE".into(),
                    reason: format!("{}: {e}", path.display()),
                })?;
                warm = Some(st);
            }
        }
        Ok(Sai {
            state: RwLock::new(State {
                store: Store::new(config.clone()),
                warm,
            }),
            sink: Mutex::new(None),
            stats: RwLock::new(None),
            config,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Hand committed changes to the sink (called with the state lock held: keeps order).
    fn emit(&self, changes: &[Change]) {
        if changes.is_empty() {
            return;
        }
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = sink.as_mut() {
            s.apply(changes);
        }
    }

    fn has_sink(&self) -> bool {
        self.sink
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Register (or clear) the change sink.
    pub fn set_change_sink(&self, sink: Option<Box<dyn ChangeSink>>) {
        let _order = self.write();
        *self.sink.lock().unwrap_or_else(|e| e.into_inner()) = sink;
    }

    /// Register (or clear) the counter source.
    pub fn set_stats_source(&self, src: Option<Arc<dyn StatsSource>>) {
        *self.stats.write().unwrap_or_else(|e| e.into_inner()) = src;
    }

    pub fn object_type_query(&self, o: u64) -> u32 {
        object_type_query(o)
    }

    pub fn switch_id_query(&self, o: u64) -> u64 {
        switch_id_query(o)
    }

    /// Number of live objects and entries (all switches).
    pub fn object_count(&self) -> usize {
        self.read().store.object_count()
    }

    // ---- OID objects -------------------------------------------------------------------------

    /// Create an object (`ot == SAI_OBJECT_TYPE_SWITCH` creates a switch; `switch_id` is ignored).
    pub fn create(&self, ot: u32, switch_id: u64, attrs: Vec<Attr>) -> Result<u64, Status> {
        let mut st = self.write();
        if ot == oid::OT_SWITCH {
            if let Some(w) = st.warm.as_ref() {
                // Validate first: a rejected create keeps the saved state for the next attempt.
                w.validate_create(oid::OT_SWITCH, &attrs)?;
                if w.switches.is_empty() {
                    return Err(status::FAILURE);
                }
                if let Some(w) = st.warm.take() {
                    return self.restore_warm(&mut st, w, &attrs);
                }
            }
        }
        let (o, changes) = st.store.create(ot, switch_id, attrs)?;
        self.emit(&changes);
        Ok(o)
    }

    fn restore_warm(&self, st: &mut State, w: Store, attrs: &[Attr]) -> Result<u64, Status> {
        // Take over the saved state (attributes validated by the caller) and apply the create-time
        // attributes that may change (notification pointers, ...).
        let sw = *w.switches.iter().next().ok_or(status::FAILURE)?;
        st.store = w;
        let sw_oid = oid::switch_oid(sw);
        let key = ObjectKey::Oid(sw_oid);
        for a in attrs {
            let m = md::attr(oid::OT_SWITCH, a.id).ok_or(status::FAILURE)?;
            if !m.is_create_only() || m.is_callback {
                st.store.put_attr(&key, a.id, a.value.clone(), true)?;
            }
        }
        // The restart is done: back to the default (cold) restart mode.
        if let (Some(id), Some(obj)) = (
            md::attr_id("SAI_SWITCH_ATTR_RESTART_WARM"),
            st.store.objs.get_mut(&sw_oid),
        ) {
            obj.attrs.retain(|a| a.id != id);
            st.store.obj_epoch += 1;
        }
        let changes = st.store.snapshot();
        self.emit(&changes);
        Ok(sw_oid)
    }

    /// Remove an object (a switch: everything on it; with `RESTART_WARM=true` and
    /// `SAI_WARM_BOOT_WRITE_FILE` set, the state is saved first).
    pub fn remove(&self, ot: u32, o: u64) -> Result<(), Status> {
        let mut st = self.write();
        if ot == oid::OT_SWITCH {
            self.maybe_save_warm(&st.store, o)?;
        }
        let changes = st.store.remove(ot, o)?;
        self.emit(&changes);
        Ok(())
    }

    fn maybe_save_warm(&self, store: &Store, sw: u64) -> Result<(), Status> {
        let Some(path) = &self.config.warm_boot_write_file else {
            return Ok(());
        };
        let Some(id) = md::attr_id("SAI_SWITCH_ATTR_RESTART_WARM") else {
            return Ok(());
        };
        let warm = store
            .objs
            .get(&sw)
            .and_then(|o| o.get(id))
            .and_then(AttrValue::as_bool)
            == Some(true);
        if warm {
            std::fs::write(path, crate::warm::encode(store)).map_err(|_| status::FAILURE)?;
        }
        Ok(())
    }

    /// The whole state as text (the warm-boot format: one line per object with id, reference
    /// count, origin and attributes), for `sai_dbg_generate_dump`.
    pub fn dump_text(&self) -> String {
        crate::warm::encode(&self.read().store)
    }

    /// Save the whole state to `path` (warm boot).
    pub fn save_state(&self, path: &std::path::Path) -> Result<(), Status> {
        let st = self.read();
        std::fs::write(path, crate::warm::encode(&st.store)).map_err(|_| status::FAILURE)
    }

    pub fn set(&self, ot: u32, o: u64, attr: Attr) -> Result<(), Status> {
        let mut st = self.write();
        let ch = st.store.set(ot, &ObjectKey::Oid(o), attr)?;
        self.emit(std::slice::from_ref(&ch));
        Ok(())
    }

    /// Get attributes; the first failing attribute's status (`UNKNOWN_ATTRIBUTE_0 - i` for an
    /// unknown id; `NOT_IMPLEMENTED` for an attribute without a value, as vslib answers).
    pub fn get(&self, ot: u32, o: u64, ids: &[u32]) -> Result<Vec<AttrValue>, Status> {
        self.read().store.get(ot, &ObjectKey::Oid(o), ids)
    }

    /// Get attributes, one result per id (object-level errors are the outer error).
    pub fn get_each(
        &self,
        ot: u32,
        key: &ObjectKey,
        ids: &[u32],
    ) -> Result<Vec<Result<AttrValue, Status>>, Status> {
        self.read().store.get_each(ot, key, ids)
    }

    /// Update state the switch owns (e.g. a port's oper status from a link event).
    pub fn set_internal(&self, ot: u32, o: u64, attr: Attr) -> Result<(), Status> {
        let mut st = self.write();
        st.store.check_oid(ot, o)?;
        st.store.set_internal(ot, &ObjectKey::Oid(o), attr)
    }

    // ---- entries -----------------------------------------------------------------------------

    pub fn create_entry(&self, key: EntryKey, attrs: Vec<Attr>) -> Result<(), Status> {
        self.create_new_entry(NewKey::Entry(key), attrs)
    }

    /// `create_route_entry` with the allocation-free key (the same checks and statuses as
    /// [`Sai::create_entry`] with [`RouteKey::to_entry`]; the change carries
    /// [`crate::ObjectKey::Route`]).
    pub fn create_route(&self, key: RouteKey, attrs: Vec<Attr>) -> Result<(), Status> {
        self.create_new_entry(NewKey::Route(key), attrs)
    }

    fn create_new_entry(&self, key: NewKey, attrs: Vec<Attr>) -> Result<(), Status> {
        let emit = self.has_sink();
        let mut st = self.write();
        if let Some(ch) = st.store.create_entry(key, attrs, emit)? {
            self.emit(std::slice::from_ref(&ch));
        }
        Ok(())
    }

    pub fn remove_entry(&self, key: &EntryKey) -> Result<(), Status> {
        let emit = self.has_sink();
        let mut st = self.write();
        if let Some(ch) = st.store.remove_entry(key, emit)? {
            self.emit(std::slice::from_ref(&ch));
        }
        Ok(())
    }

    pub fn set_entry(&self, key: &EntryKey, attr: Attr) -> Result<(), Status> {
        let mut st = self.write();
        let ch = st.store.set(key.ot, &ObjectKey::Entry(key.clone()), attr)?;
        self.emit(std::slice::from_ref(&ch));
        Ok(())
    }

    pub fn get_entry(&self, key: &EntryKey, ids: &[u32]) -> Result<Vec<AttrValue>, Status> {
        self.read()
            .store
            .get(key.ot, &ObjectKey::Entry(key.clone()), ids)
    }

    // ---- bulk --------------------------------------------------------------------------------

    /// Bulk create of OID objects; returns the statuses and the new ids (0 where it failed).
    pub fn bulk_create(
        &self,
        ot: u32,
        switch_id: u64,
        attrs: Vec<Vec<Attr>>,
        mode: BulkMode,
    ) -> (BulkStatus, Vec<u64>) {
        let mut st = self.write();
        let mut oids = vec![0u64; attrs.len()];
        let mut changes = Vec::new();
        let mut items: Vec<Option<Vec<Attr>>> = attrs.into_iter().map(Some).collect();
        let n = items.len();
        let r = run_bulk(n, mode, |i| {
            let a = items[i].take().unwrap_or_default();
            let (o, ch) = st.store.create(ot, switch_id, a)?;
            oids[i] = o;
            changes.extend(ch);
            Ok(())
        });
        self.emit(&changes);
        (r, oids)
    }

    pub fn bulk_remove(&self, ot: u32, oids: &[u64], mode: BulkMode) -> BulkStatus {
        let mut st = self.write();
        let mut changes = Vec::new();
        let r = run_bulk(oids.len(), mode, |i| {
            changes.extend(st.store.remove(ot, oids[i])?);
            Ok(())
        });
        self.emit(&changes);
        r
    }

    pub fn bulk_set(&self, ot: u32, items: Vec<(u64, Attr)>, mode: BulkMode) -> BulkStatus {
        let mut st = self.write();
        let mut changes = Vec::new();
        let mut items: Vec<Option<(u64, Attr)>> = items.into_iter().map(Some).collect();
        let r = run_bulk(items.len(), mode, |i| {
            let (o, a) = items[i].take().ok_or(status::FAILURE)?;
            changes.push(st.store.set(ot, &ObjectKey::Oid(o), a)?);
            Ok(())
        });
        self.emit(&changes);
        r
    }

    /// Bulk get: per object the values (empty where it failed).
    pub fn bulk_get(
        &self,
        ot: u32,
        keys: &[ObjectKey],
        ids: &[Vec<u32>],
        mode: BulkMode,
    ) -> (BulkStatus, Vec<Vec<AttrValue>>) {
        let st = self.read();
        let mut out = vec![Vec::new(); keys.len()];
        let r = run_bulk(keys.len(), mode, |i| {
            let want = ids.get(i).ok_or(status::INVALID_PARAMETER)?;
            out[i] = st.store.get(ot, &keys[i], want)?;
            Ok(())
        });
        (r, out)
    }

    pub fn bulk_create_entries(
        &self,
        items: Vec<(EntryKey, Vec<Attr>)>,
        mode: BulkMode,
    ) -> BulkStatus {
        self.bulk_create_new(items.into_iter().map(|(k, a)| (NewKey::Entry(k), a)), mode)
    }

    /// `create_route_entries` with allocation-free keys (the same checks and statuses as
    /// [`Sai::bulk_create_entries`]; the changes carry [`crate::ObjectKey::Route`]).
    /// Items with equal attribute lists may share one `Arc` (a C bulk call's lists usually
    /// are all the same): the memo then recognises the list by pointer, and the changes share
    /// it.
    pub fn bulk_create_routes(
        &self,
        items: Vec<(RouteKey, Arc<[Attr]>)>,
        mode: BulkMode,
    ) -> BulkStatus {
        let emit = self.has_sink();
        let mut st = self.write();
        let n = items.len();
        let mut changes = Vec::with_capacity(if emit { n } else { 0 });
        if let Some((k, _)) = items.first() {
            st.store.reserve_entries(n, &NewKey::Route(*k));
        }
        std::hint::black_box(
            st.store.routes.warm(items.iter().filter_map(|(k, _)| {
                crate::routes::RKey::of(k.switch_id, k.vr_id, &k.destination)
            })),
        );
        let mut memo = crate::ops::EntryMemo::bulk();
        let r = run_bulk(n, mode, |i| {
            let (k, a) = &items[i];
            let attrs = crate::ops::RouteAttrs::Shared(a);
            changes.extend(st.store.create_route_memo(*k, attrs, emit, &mut memo)?);
            Ok(())
        });
        st.store.finish_bulk(&mut memo);
        self.emit(&changes);
        r
    }

    fn bulk_create_new(
        &self,
        items: impl ExactSizeIterator<Item = (NewKey, Vec<Attr>)>,
        mode: BulkMode,
    ) -> BulkStatus {
        let emit = self.has_sink();
        let mut st = self.write();
        let n = items.len();
        let mut changes = Vec::with_capacity(if emit { n } else { 0 });
        // run_bulk visits the items in order, each once.
        let mut items = items.peekable();
        if let Some((k, _)) = items.peek() {
            st.store.reserve_entries(n, k);
        }
        let mut memo = crate::ops::EntryMemo::bulk();
        let r = run_bulk(n, mode, |_| {
            let (k, a) = items.next().ok_or(status::FAILURE)?;
            changes.extend(st.store.create_entry_memo(k, a, emit, &mut memo)?);
            Ok(())
        });
        st.store.finish_bulk(&mut memo);
        self.emit(&changes);
        r
    }

    pub fn bulk_remove_entries(&self, keys: &[EntryKey], mode: BulkMode) -> BulkStatus {
        let emit = self.has_sink();
        let mut st = self.write();
        let mut changes = Vec::with_capacity(keys.len());
        let r = run_bulk(keys.len(), mode, |i| {
            changes.extend(st.store.remove_entry(&keys[i], emit)?);
            Ok(())
        });
        self.emit(&changes);
        r
    }

    /// [`Sai::bulk_remove_entries`] taking the keys by value: each removed key moves into its
    /// change instead of being rebuilt (the C API's bulk remove converts the keys anyway).
    pub fn bulk_remove_entries_owned(&self, keys: Vec<EntryKey>, mode: BulkMode) -> BulkStatus {
        self.bulk_remove_new(keys.into_iter().map(NewKey::Entry), mode)
    }

    /// `remove_route_entries` with allocation-free keys (the same checks and statuses as
    /// [`Sai::bulk_remove_entries`]; the changes carry [`crate::ObjectKey::Route`]).
    pub fn bulk_remove_routes(&self, keys: &[RouteKey], mode: BulkMode) -> BulkStatus {
        let emit = self.has_sink();
        let mut st = self.write();
        // See RouteTable::warm.
        std::hint::black_box(
            st.store.routes.warm(
                keys.iter()
                    .filter_map(|k| crate::routes::RKey::of(k.switch_id, k.vr_id, &k.destination)),
            ),
        );
        let n = keys.len();
        let mut changes = Vec::with_capacity(if emit { n } else { 0 });
        let mut drops = crate::store::RefBatch::default();
        let mut removed = [0u64; 2];
        // The checks of `remove_entry_owned` for a route: nothing refers to a route, so absent
        // (or a key no route can have) is the only failure.
        let r = run_bulk(n, mode, |i| {
            let k = &keys[i];
            let rk = crate::routes::RKey::of(k.switch_id, k.vr_id, &k.destination)
                .ok_or(status::ITEM_NOT_FOUND)?;
            if !st.store.remove_route_batched(&rk, &mut drops, &mut removed) {
                return Err(status::ITEM_NOT_FOUND);
            }
            if emit {
                changes.push(Change::Remove {
                    ot: oid::OT_ROUTE_ENTRY,
                    key: ObjectKey::Route(*k),
                });
            }
            Ok(())
        });
        st.store.apply_drops(&mut drops, &mut removed);
        self.emit(&changes);
        r
    }

    fn bulk_remove_new(
        &self,
        keys: impl ExactSizeIterator<Item = NewKey>,
        mode: BulkMode,
    ) -> BulkStatus {
        let emit = self.has_sink();
        let mut st = self.write();
        let n = keys.len();
        let mut changes = Vec::with_capacity(if emit { n } else { 0 });
        let mut keys = keys;
        let r = run_bulk(n, mode, |_| {
            let k = keys.next().ok_or(status::FAILURE)?;
            changes.extend(st.store.remove_entry_owned(k, emit)?);
            Ok(())
        });
        self.emit(&changes);
        r
    }

    pub fn bulk_set_entries(&self, items: Vec<(EntryKey, Attr)>, mode: BulkMode) -> BulkStatus {
        let mut st = self.write();
        let mut changes = Vec::new();
        let mut items: Vec<Option<(EntryKey, Attr)>> = items.into_iter().map(Some).collect();
        let r = run_bulk(items.len(), mode, |i| {
            let (k, a) = items[i].take().ok_or(status::FAILURE)?;
            changes.push(st.store.set(k.ot, &ObjectKey::Entry(k), a)?);
            Ok(())
        });
        self.emit(&changes);
        r
    }

    // ---- replay, inspection --------------------------------------------------------------------

    /// The full current state as a change list in dependency order (for replay after a forwarder
    /// restart): every object as a `Create` (creation order), attributes that refer to objects
    /// created later as `Set`s after all creates, entries last.
    pub fn snapshot_for_replay(&self) -> Vec<Change> {
        self.read().store.snapshot()
    }

    /// Run `f` on the route entries under the store's read lock (for a full replay to the
    /// forwarder). Lock order: a caller that also holds a lock its [`ChangeSink`] takes must
    /// take it inside `f`, never around this call (the sink runs under the store's write lock).
    pub fn read_routes<R>(&self, f: impl FnOnce(&crate::Routes<'_>) -> R) -> R {
        let st = self.read();
        f(&crate::Routes::new(&st.store.routes))
    }

    /// `sai_get_object_count` / `sai_get_object_key`: keys of every object of `ot` on a switch.
    pub fn object_keys(&self, switch_id: u64, ot: u32) -> Result<Vec<ObjectKey>, Status> {
        let st = self.read();
        st.store.check_oid(oid::OT_SWITCH, switch_id)?;
        let info = md::ot_info(ot).ok_or(status::INVALID_OBJECT_TYPE)?;
        let sw = oid::switch_index(switch_id);
        if info.is_non_object_id {
            let mut v: Vec<(u64, EntryKey)> = if ot == oid::OT_ROUTE_ENTRY {
                st.store
                    .routes
                    .iter()
                    .filter(|(k, _)| k.switch() == sw)
                    .map(|(k, s)| (s.seq, k.route_key().to_entry()))
                    .collect()
            } else {
                st.store
                    .entries
                    .iter()
                    .filter(|(k, _)| k.ot() == ot && k.switch() == sw)
                    .map(|(k, o)| (o.seq, k.to_entry()))
                    .collect()
            };
            v.sort_unstable_by_key(|x| x.0);
            Ok(v.into_iter().map(|(_, k)| ObjectKey::Entry(k)).collect())
        } else {
            Ok(st.store.oids_of_type(sw, ot).map(ObjectKey::Oid).collect())
        }
    }

    // ---- capabilities ------------------------------------------------------------------------

    /// `sai_query_attribute_capability`, from the metadata flags.
    pub fn query_attribute_capability(
        &self,
        ot: u32,
        attr_id: u32,
    ) -> Result<AttrCapability, Status> {
        let m = md::attr(ot, attr_id).ok_or(status::INVALID_PARAMETER)?;
        Ok(AttrCapability {
            create_implemented: !m.is_read_only(),
            set_implemented: m.is_create_and_set(),
            get_implemented: true,
        })
    }

    /// `sai_query_attribute_enum_values_capability`: every value of the attribute's enum.
    pub fn query_enum_values_capability(&self, ot: u32, attr_id: u32) -> Result<Vec<i32>, Status> {
        let m = md::attr(ot, attr_id).ok_or(status::INVALID_PARAMETER)?;
        let e = m.enum_info.ok_or(status::INVALID_PARAMETER)?;
        let mut v: Vec<i32> = e
            .members
            .iter()
            .map(|x| x.1)
            .filter(|x| !e.ignored_values.contains(&i64::from(*x)))
            .collect();
        v.sort_unstable();
        v.dedup();
        Ok(v)
    }

    /// `sai_object_type_get_availability`: free entries of the object type's table.
    pub fn object_type_get_availability(&self, switch_id: u64, ot: u32) -> Result<u64, Status> {
        let st = self.read();
        st.store.check_oid(oid::OT_SWITCH, switch_id)?;
        md::ot_info(ot).ok_or(status::INVALID_PARAMETER)?;
        Ok(computed::available(&st.store, ot))
    }

    /// `sai_get_maximum_attribute_count`.
    pub fn maximum_attribute_count(&self, ot: u32) -> Result<u32, Status> {
        let info = md::ot_info(ot).ok_or(status::INVALID_PARAMETER)?;
        Ok(u32::try_from(info.attrs.len()).unwrap_or(u32::MAX))
    }

    /// `sai_query_stats_capability`: the counters the stats source answers (none without one).
    pub fn query_stats_capability(&self, ot: u32) -> Result<Vec<u32>, Status> {
        let info = md::ot_info(ot).ok_or(status::INVALID_PARAMETER)?;
        let Some(e) = info.stats else {
            return Ok(Vec::new());
        };
        let src = self.stats.read().unwrap_or_else(|e| e.into_inner()).clone();
        Ok(match src {
            Some(s) => s
                .supported(ot)
                .into_iter()
                .filter(|id| i32::try_from(*id).is_ok_and(|x| e.contains(x)))
                .collect(),
            None => Vec::new(),
        })
    }

    fn stats_checked(&self, ot: u32, o: u64, ids: &[u32]) -> Result<Arc<dyn StatsSource>, Status> {
        self.read().store.check_oid(ot, o)?;
        let info = md::ot_info(ot).ok_or(status::INVALID_OBJECT_TYPE)?;
        let e = info.stats.ok_or(status::NOT_SUPPORTED)?;
        if !ids
            .iter()
            .all(|id| i32::try_from(*id).is_ok_and(|x| e.contains(x)))
        {
            return Err(status::INVALID_PARAMETER);
        }
        self.stats
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or(status::NOT_IMPLEMENTED)
    }

    /// `get_<ot>_stats[_ext]`. Without a stats source: `NOT_IMPLEMENTED`.
    pub fn get_stats(
        &self,
        ot: u32,
        o: u64,
        ids: &[u32],
        mode: StatsMode,
    ) -> Result<Vec<u64>, Status> {
        let src = self.stats_checked(ot, o, ids)?;
        let mut out = vec![0u64; ids.len()];
        src.get(ot, o, ids, mode, &mut out)?;
        Ok(out)
    }

    /// `clear_<ot>_stats`. Without a stats source: `NOT_IMPLEMENTED`.
    pub fn clear_stats(&self, ot: u32, o: u64, ids: &[u32]) -> Result<(), Status> {
        let src = self.stats_checked(ot, o, ids)?;
        src.clear(ot, o, ids)
    }
}
