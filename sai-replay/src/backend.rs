//! What the player calls: a SAI library loaded through the C ABI ([`LibBackend`], the real thing)
//! or the object store in-process ([`StoreBackend`], for tests of the player without libsai.so).

use std::path::Path;

use sai_client::generic::{self, BulkMode, BulkResult, Lib, ObjRef};
use sai_headers::meta::{self, AttrMeta};
use sai_store::{status, Attr, AttrValue, EntryKey, Status};

/// The answer to a get: status, then per requested attribute the value (on success) and the list
/// count the library left (the needed count after `SAI_STATUS_BUFFER_OVERFLOW`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetReply {
    pub status: Status,
    pub values: Vec<Option<AttrValue>>,
    pub counts: Vec<Option<u32>>,
}

/// The SAI calls the player makes.
pub trait Backend {
    fn create_switch(&mut self, attrs: &[Attr]) -> Result<u64, Status>;
    fn create(&mut self, ot: u32, switch_id: u64, attrs: &[Attr]) -> Result<u64, Status>;
    fn create_entry(&mut self, key: &EntryKey, attrs: &[Attr]) -> Status;
    fn remove(&mut self, ot: u32, obj: &ObjRef) -> Status;
    fn set(&mut self, ot: u32, obj: &ObjRef, attr: &Attr) -> Status;
    /// `req`: attribute ids with values whose list lengths are the buffer sizes offered.
    fn get(&mut self, ot: u32, obj: &ObjRef, req: &[Attr]) -> GetReply;
    /// Bulk create (None: the backend has no bulk method for `ot`; the player falls back to
    /// single calls, as syncd without `-l`).
    fn bulk_create(
        &mut self,
        ot: u32,
        switch_id: u64,
        keys: &[&EntryKey],
        attrs: &[Vec<Attr>],
    ) -> Option<BulkResult>;
    fn bulk_remove(&mut self, ot: u32, objs: &[ObjRef]) -> Option<BulkResult>;
    fn bulk_set(&mut self, ot: u32, objs: &[ObjRef], attrs: &[Attr]) -> Option<BulkResult>;
    /// `sai_object_type_query`.
    fn object_type_query(&self, oid: u64) -> u32;
    /// `sai_get_object_count(switch, ot)`.
    fn object_count(&self, switch_id: u64, ot: u32) -> Result<u32, Status>;
    /// Our own callback for a notification pointer attribute (None: pass NULL).
    fn callback_for(&self, m: &AttrMeta) -> Option<usize>;
}

/// libsai.so through the C ABI.
#[derive(Debug)]
pub struct LibBackend {
    pub lib: Lib,
}

impl LibBackend {
    pub fn load(path: &Path, profile: &[(String, String)]) -> Result<Self, String> {
        Ok(LibBackend {
            lib: Lib::load(path, profile)?,
        })
    }
}

fn bulk_ok(r: Result<BulkResult, Status>) -> Option<BulkResult> {
    match r {
        Ok(r) => Some(r),
        Err(e) if e == status::NOT_IMPLEMENTED || e == status::NOT_SUPPORTED => None,
        Err(e) => Some(BulkResult {
            status: e,
            statuses: Vec::new(),
            oids: Vec::new(),
        }),
    }
}

impl Backend for LibBackend {
    fn create_switch(&mut self, attrs: &[Attr]) -> Result<u64, Status> {
        self.lib.create_switch(attrs)
    }
    fn create(&mut self, ot: u32, switch_id: u64, attrs: &[Attr]) -> Result<u64, Status> {
        self.lib.create(ot, switch_id, attrs)
    }
    fn create_entry(&mut self, key: &EntryKey, attrs: &[Attr]) -> Status {
        self.lib.create_entry(key, attrs)
    }
    fn remove(&mut self, ot: u32, obj: &ObjRef) -> Status {
        self.lib.remove(ot, obj)
    }
    fn set(&mut self, ot: u32, obj: &ObjRef, attr: &Attr) -> Status {
        self.lib.set(ot, obj, attr)
    }
    fn get(&mut self, ot: u32, obj: &ObjRef, req: &[Attr]) -> GetReply {
        let (st, c) = self.lib.get(ot, obj, req);
        let n = req.len();
        let Some(c) = c else {
            return GetReply {
                status: st,
                values: vec![None; n],
                counts: vec![None; n],
            };
        };
        GetReply {
            status: st,
            values: (0..n)
                .map(|i| {
                    if st == status::SUCCESS {
                        c.value(i)
                    } else {
                        None
                    }
                })
                .collect(),
            counts: (0..n).map(|i| c.list_count(i)).collect(),
        }
    }
    fn bulk_create(
        &mut self,
        ot: u32,
        switch_id: u64,
        keys: &[&EntryKey],
        attrs: &[Vec<Attr>],
    ) -> Option<BulkResult> {
        bulk_ok(
            self.lib
                .bulk_create(ot, switch_id, keys, attrs, BulkMode::IgnoreError),
        )
    }
    fn bulk_remove(&mut self, ot: u32, objs: &[ObjRef]) -> Option<BulkResult> {
        bulk_ok(self.lib.bulk_remove(ot, objs, BulkMode::IgnoreError))
    }
    fn bulk_set(&mut self, ot: u32, objs: &[ObjRef], attrs: &[Attr]) -> Option<BulkResult> {
        bulk_ok(self.lib.bulk_set(ot, objs, attrs, BulkMode::IgnoreError))
    }
    fn object_type_query(&self, oid: u64) -> u32 {
        self.lib.object_type_query(oid)
    }
    fn object_count(&self, switch_id: u64, ot: u32) -> Result<u32, Status> {
        self.lib.object_count(switch_id, ot)
    }
    fn callback_for(&self, m: &AttrMeta) -> Option<usize> {
        generic::callback_for(m)
    }
}

/// The object store in-process (no C ABI): the same validation and defaults libsai uses.
#[derive(Debug)]
pub struct StoreBackend {
    pub sai: sai_store::Sai,
}

impl StoreBackend {
    pub fn new(profile: &[(String, String)]) -> Result<Self, String> {
        let p = sai_store::Profile::from_pairs(profile.iter().cloned());
        Ok(StoreBackend {
            sai: sai_store::Sai::new(&p).map_err(|e| format!("{e:?}"))?,
        })
    }
}

fn st(r: Result<(), Status>) -> Status {
    r.err().unwrap_or(status::SUCCESS)
}

fn store_bulk(b: sai_store::BulkStatus, oids: Vec<u64>) -> Option<BulkResult> {
    Some(BulkResult {
        status: b.status,
        statuses: b.statuses,
        oids,
    })
}

impl Backend for StoreBackend {
    fn create_switch(&mut self, attrs: &[Attr]) -> Result<u64, Status> {
        self.sai
            .create(sai_headers::ffi::SAI_OBJECT_TYPE_SWITCH, 0, attrs.to_vec())
    }
    fn create(&mut self, ot: u32, switch_id: u64, attrs: &[Attr]) -> Result<u64, Status> {
        self.sai.create(ot, switch_id, attrs.to_vec())
    }
    fn create_entry(&mut self, key: &EntryKey, attrs: &[Attr]) -> Status {
        st(self.sai.create_entry(key.clone(), attrs.to_vec()))
    }
    fn remove(&mut self, ot: u32, obj: &ObjRef) -> Status {
        st(match obj {
            ObjRef::Oid(o) => self.sai.remove(ot, *o),
            ObjRef::Entry(k) => self.sai.remove_entry(k),
        })
    }
    fn set(&mut self, ot: u32, obj: &ObjRef, attr: &Attr) -> Status {
        st(match obj {
            ObjRef::Oid(o) => self.sai.set(ot, *o, attr.clone()),
            ObjRef::Entry(k) => self.sai.set_entry(k, attr.clone()),
        })
    }
    fn get(&mut self, ot: u32, obj: &ObjRef, req: &[Attr]) -> GetReply {
        let ids: Vec<u32> = req.iter().map(|a| a.id).collect();
        let r = match obj {
            ObjRef::Oid(o) => self.sai.get(ot, *o, &ids),
            ObjRef::Entry(k) => self.sai.get_entry(k, &ids),
        };
        let n = req.len();
        match r {
            Ok(vals) => {
                // emulate the C buffers: a list longer than offered is BUFFER_OVERFLOW
                let counts: Vec<Option<u32>> = vals
                    .iter()
                    .map(|v| v.list_len().map(|l| u32::try_from(l).unwrap_or(u32::MAX)))
                    .collect();
                let over = req.iter().zip(&vals).any(|(q, v)| {
                    matches!((q.value.list_len(), v.list_len()), (Some(c), Some(l)) if l > c)
                });
                GetReply {
                    status: if over {
                        status::BUFFER_OVERFLOW
                    } else {
                        status::SUCCESS
                    },
                    values: vals.into_iter().map(|v| (!over).then_some(v)).collect(),
                    counts,
                }
            }
            Err(e) => GetReply {
                status: e,
                values: vec![None; n],
                counts: vec![None; n],
            },
        }
    }
    fn bulk_create(
        &mut self,
        ot: u32,
        switch_id: u64,
        keys: &[&EntryKey],
        attrs: &[Vec<Attr>],
    ) -> Option<BulkResult> {
        let info = meta::object_type(ot)?;
        if info.is_non_object_id {
            let items = keys
                .iter()
                .zip(attrs)
                .map(|(k, a)| ((*k).clone(), a.clone()))
                .collect();
            store_bulk(
                self.sai
                    .bulk_create_entries(items, sai_store::BulkMode::IgnoreError),
                Vec::new(),
            )
        } else {
            let (b, oids) = self.sai.bulk_create(
                ot,
                switch_id,
                attrs.to_vec(),
                sai_store::BulkMode::IgnoreError,
            );
            store_bulk(b, oids)
        }
    }
    fn bulk_remove(&mut self, ot: u32, objs: &[ObjRef]) -> Option<BulkResult> {
        let mode = sai_store::BulkMode::IgnoreError;
        let keys: Vec<EntryKey> = objs
            .iter()
            .filter_map(|o| match o {
                ObjRef::Entry(k) => Some(k.clone()),
                ObjRef::Oid(_) => None,
            })
            .collect();
        if keys.len() == objs.len() {
            return store_bulk(self.sai.bulk_remove_entries(&keys, mode), Vec::new());
        }
        let ids: Vec<u64> = objs
            .iter()
            .filter_map(|o| match o {
                ObjRef::Oid(x) => Some(*x),
                ObjRef::Entry(_) => None,
            })
            .collect();
        store_bulk(self.sai.bulk_remove(ot, &ids, mode), Vec::new())
    }
    fn bulk_set(&mut self, ot: u32, objs: &[ObjRef], attrs: &[Attr]) -> Option<BulkResult> {
        let mode = sai_store::BulkMode::IgnoreError;
        let mut entries = Vec::new();
        let mut oids = Vec::new();
        for (o, a) in objs.iter().zip(attrs) {
            match o {
                ObjRef::Entry(k) => entries.push((k.clone(), a.clone())),
                ObjRef::Oid(x) => oids.push((*x, a.clone())),
            }
        }
        if oids.is_empty() {
            store_bulk(self.sai.bulk_set_entries(entries, mode), Vec::new())
        } else {
            store_bulk(self.sai.bulk_set(ot, oids, mode), Vec::new())
        }
    }
    fn object_type_query(&self, oid: u64) -> u32 {
        self.sai.object_type_query(oid)
    }
    fn object_count(&self, switch_id: u64, ot: u32) -> Result<u32, Status> {
        self.sai
            .object_keys(switch_id, ot)
            .map(|k| u32::try_from(k.len()).unwrap_or(u32::MAX))
    }
    fn callback_for(&self, m: &AttrMeta) -> Option<usize> {
        // the store never calls them; any non-NULL marker will do, our real callbacks are used
        generic::callback_for(m)
    }
}
