//! Plays a recording against a [`Backend`]: maps the recording's object ids to the library's,
//! performs every call, checks statuses and get answers, and cleans up afterwards.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use sai_client::generic::ObjRef;
use sai_headers::meta::{self, AttrMeta, AttrValueType as T, ObjectTypeInfo};
use sai_store::{status, Attr, AttrValue, EntryKey, Status};

use crate::backend::{Backend, GetReply};
use crate::rec::{self, Line, ParseError, RawAttr, RawObject};
use crate::value::{
    self, map_oids, parse_entry_key, parse_oid, parse_status, parse_value, status_name,
};

/// Replay options.
#[derive(Clone, Debug)]
pub struct Options {
    /// Continue after a line that cannot be parsed, a failed call or a mismatched get.
    pub skip_errors: bool,
    /// After the recording: remove every object it created (reverse order), check the library's
    /// object counts against the state right after switch creation, remove the switch.
    pub cleanup: bool,
    /// After every successful create and set, read the attributes back and report values that
    /// differ from what was written (`Summary::readback_diffs`; the gets are not counted).
    pub readback: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            skip_errors: false,
            cleanup: true,
            readback: false,
        }
    }
}

/// Kind of a reported problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// The line could not be parsed (syntax, unknown attribute, malformed value).
    Parse,
    /// An object id of the recording that was never created nor returned by a get.
    UnknownOid,
    /// The library returned a failure status.
    Call,
    /// A get answer differs from the recording (status, list count, object ids).
    Mismatch,
    /// Cleanup: a remove failed or the object counts do not match.
    Cleanup,
}

/// One reported problem, with its line number (1-based; 0 for cleanup) and SAI status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub kind: ProblemKind,
    pub status: Status,
    pub msg: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}: {:?}: {} ({})",
            self.line,
            self.kind,
            self.msg,
            status_name(self.status)
        )
    }
}

/// What a replay did.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Lines by OP character.
    pub lines_by_kind: BTreeMap<char, u64>,
    /// Library calls made (a bulk call counts once; without a bulk method, each single call
    /// counts), and objects named by bulk lines.
    pub calls: u64,
    pub bulk_objects: u64,
    pub problems: Vec<Problem>,
    /// Line at which the replay stopped early (first problem, without `skip_errors`).
    pub stopped_at: Option<usize>,
    pub elapsed: Duration,
    /// Gets whose answer was compared with the recording.
    pub gets_checked: u64,
    /// Object ids learned from get answers (the switch's default objects).
    pub discovered: u64,
    /// Objects removed by the cleanup.
    pub cleaned_up: u64,
    /// Gets made (not counted in `calls`) before the first set of an object-id attribute on a
    /// default object, to restore it at cleanup (none without cleanup).
    pub captured: u64,
    /// Primitive values of get answers that differ from the recording (line, attribute,
    /// recording, library). Not failures: saiplayer does not compare them either.
    pub value_diffs: Vec<(usize, &'static str, String, String)>,
    /// With `Options::readback`: attributes read back after create/set that differ from what was
    /// written (line, attribute, written, read), and how many were compared.
    pub readback_diffs: Vec<(usize, &'static str, String, String)>,
    pub readback_checked: u64,
    /// Markers seen (`a` lines: INIT_VIEW, APPLY_VIEW, ...).
    pub markers: Vec<(usize, String)>,
    /// Leak check: object types the library counted (`sai_get_object_count`) and how many
    /// objects it had right after the switch was created.
    pub leak_check_types: usize,
    pub baseline_objects: u64,
}

impl Summary {
    pub fn count(&self, k: ProblemKind) -> usize {
        self.problems.iter().filter(|p| p.kind == k).count()
    }
    /// Failed calls (including parse errors and unknown ids) - everything but mismatches and cleanup.
    pub fn failed_calls(&self) -> usize {
        self.problems
            .iter()
            .filter(|p| {
                matches!(
                    p.kind,
                    ProblemKind::Call | ProblemKind::Parse | ProblemKind::UnknownOid
                )
            })
            .count()
    }
    pub fn mismatched_gets(&self) -> usize {
        self.count(ProblemKind::Mismatch)
    }
    pub fn calls_per_sec(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            self.calls as f64 / s
        } else {
            0.0
        }
    }

    /// Human-readable report.
    pub fn report(&self) -> String {
        let mut o = String::new();
        let kinds: Vec<String> = self
            .lines_by_kind
            .iter()
            .map(|(k, n)| format!("{k}:{n}"))
            .collect();
        let _ = writeln!(o, "lines by kind: {}", kinds.join(" "));
        let _ = writeln!(
            o,
            "calls: {} (bulk objects {}), gets checked: {}, default objects mapped: {}, cleaned up: {} (default attributes restored: {})",
            self.calls, self.bulk_objects, self.gets_checked, self.discovered, self.cleaned_up, self.captured
        );
        let _ = writeln!(
            o,
            "leak check: {} object types counted, {} objects after switch creation",
            self.leak_check_types, self.baseline_objects
        );
        let _ = writeln!(
            o,
            "time: {:.3} s, {:.0} calls/s",
            self.elapsed.as_secs_f64(),
            self.calls_per_sec()
        );
        let _ = writeln!(
            o,
            "failed calls: {}, mismatched gets: {}, cleanup problems: {}",
            self.failed_calls(),
            self.mismatched_gets(),
            self.count(ProblemKind::Cleanup)
        );
        for p in &self.problems {
            let _ = writeln!(o, "  {p}");
        }
        if self.readback_checked > 0 {
            let _ = writeln!(
                o,
                "read back after create/set: {} attributes, {} differ",
                self.readback_checked,
                self.readback_diffs.len()
            );
            let mut seen = std::collections::BTreeSet::new();
            for (l, name, w, r) in &self.readback_diffs {
                if seen.insert(*name) {
                    let _ = writeln!(o, "  first at line {l}: {name}: wrote {w}, read {r}");
                }
            }
        }
        if !self.value_diffs.is_empty() {
            let _ = writeln!(
                o,
                "primitive values differing from the recording (not checked, as saiplayer): {}",
                self.value_diffs.len()
            );
            let mut seen = std::collections::BTreeSet::new();
            for (l, name, r, g) in &self.value_diffs {
                if seen.insert(*name) {
                    let _ = writeln!(o, "  first at line {l}: {name}: recording {r}, library {g}");
                }
            }
        }
        if let Some(l) = self.stopped_at {
            let _ = writeln!(o, "stopped at line {l} (use --skip-errors to continue)");
        }
        o
    }
}

/// An object the recording created (for the cleanup).
#[derive(Debug)]
struct Created {
    ot: u32,
    obj: ObjRef,
    alive: bool,
}

/// A get waiting for its `G` answer.
#[derive(Debug)]
struct PendingGet {
    line: usize,
    ot: u32,
    metas: Vec<&'static AttrMeta>,
    reply: GetReply,
}

/// The player state.
pub struct Player<'b, B: Backend> {
    backend: &'b mut B,
    opts: Options,
    /// recording oid -> library oid (kept after a remove: later calls reach the library).
    map: HashMap<u64, u64>,
    /// library oid -> recording oid.
    rev: HashMap<u64, u64>,
    switch_lib: u64,
    created: Vec<Created>,
    created_oid: HashMap<u64, usize>,
    created_entry: HashMap<EntryKey, usize>,
    /// Default (not created) objects the recording removed, by type.
    removed_defaults: HashMap<u32, u32>,
    /// Object counts right after the switch was created.
    baseline: Vec<(u32, u32)>,
    pending: Option<PendingGet>,
    /// Attributes of objects the recording did not create that it set to object ids: the value
    /// before the first such set (restored by the cleanup, so that what it created can go).
    restore: Vec<(u32, ObjRef, Attr)>,
    restore_seen: HashSet<(ObjRef, u32)>,
    /// A `g` line failed before calling: its `G` answer is skipped silently.
    skip_answer: bool,
    /// A problem found while starting a line (a get left without answer), reported before the
    /// line's own result.
    deferred: Option<Problem>,
    pub summary: Summary,
}

impl<B: Backend> std::fmt::Debug for Player<'_, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Player")
            .field("switch", &self.switch_lib)
            .finish_non_exhaustive()
    }
}

/// Why a line stops (a problem to report).
type LineResult = Result<(), Problem>;

fn ot_info(name: &str, line: usize) -> Result<&'static ObjectTypeInfo, Problem> {
    meta::object_type_by_name(name).ok_or_else(|| Problem {
        line,
        kind: ProblemKind::Parse,
        status: value::INVALID_OBJECT_TYPE,
        msg: format!("unknown object type {name:?}"),
    })
}

fn parse_problem(line: usize, e: ParseError) -> Problem {
    Problem {
        line,
        kind: ProblemKind::Parse,
        status: e.status,
        msg: e.msg,
    }
}

/// Attribute metadata by name, checked against the object type.
fn attr_meta(
    info: &ObjectTypeInfo,
    a: &RawAttr<'_>,
    i: usize,
    line: usize,
) -> Result<&'static AttrMeta, Problem> {
    match meta::attr_by_name(a.name) {
        Some(m) if m.ot == info.ot => Ok(m),
        Some(_) => Err(Problem {
            line,
            kind: ProblemKind::Parse,
            status: value::UNKNOWN_ATTRIBUTE_0 - i32::try_from(i).unwrap_or(0),
            msg: format!("attribute {} does not belong to {}", a.name, info.name),
        }),
        None => Err(Problem {
            line,
            kind: ProblemKind::Parse,
            status: value::UNKNOWN_ATTRIBUTE_0 - i32::try_from(i).unwrap_or(0),
            msg: format!("unknown attribute {:?}", a.name),
        }),
    }
}

/// True for values that carry object ids (compared 1:1 in get answers).
fn has_oids(t: T) -> bool {
    matches!(
        t,
        T::ObjectId
            | T::ObjectList
            | T::AclFieldDataObjectId
            | T::AclFieldDataObjectList
            | T::AclActionDataObjectId
            | T::AclActionDataObjectList
    )
}

/// The get request for a recorded value: same shape and list sizes, object ids zeroed.
fn request_of(v: &AttrValue) -> AttrValue {
    let mut r = v.clone();
    let _ = map_oids(&mut r, &mut |_| Ok::<_, ()>(0));
    r
}

impl<'b, B: Backend> Player<'b, B> {
    pub fn new(backend: &'b mut B, opts: Options) -> Self {
        Player {
            backend,
            opts,
            map: HashMap::new(),
            rev: HashMap::new(),
            switch_lib: 0,
            created: Vec::new(),
            created_oid: HashMap::new(),
            created_entry: HashMap::new(),
            removed_defaults: HashMap::new(),
            baseline: Vec::new(),
            pending: None,
            restore: Vec::new(),
            restore_seen: HashSet::new(),
            skip_answer: false,
            deferred: None,
            summary: Summary::default(),
        }
    }

    /// The library oid of recording oid `rec` (0 stays 0).
    fn lib_oid(&self, rec: u64, line: usize) -> Result<u64, Problem> {
        if rec == 0 {
            return Ok(0);
        }
        self.map.get(&rec).copied().ok_or_else(|| Problem {
            line,
            kind: ProblemKind::UnknownOid,
            status: value::INVALID_OBJECT_ID,
            msg: format!("oid:0x{rec:x} was never created nor returned by a get"),
        })
    }

    fn map_value(&self, v: &mut AttrValue, line: usize) -> LineResult {
        map_oids(v, &mut |o| self.lib_oid(o, line))
    }

    /// Typed, mapped attributes of a line (pointers replaced by our callbacks).
    fn attrs(
        &self,
        info: &ObjectTypeInfo,
        raw: &[RawAttr<'_>],
        line: usize,
    ) -> Result<Vec<Attr>, Problem> {
        let mut out = Vec::with_capacity(raw.len());
        for (i, a) in raw.iter().enumerate() {
            let m = attr_meta(info, a, i, line)?;
            let mut v = parse_value(m, a.value, i).map_err(|e| parse_problem(line, e))?;
            if let AttrValue::Pointer(p) = &mut v {
                *p = if *p == 0 {
                    0
                } else {
                    self.backend.callback_for(m).unwrap_or(0)
                };
            }
            self.map_value(&mut v, line)?;
            out.push(Attr::new(m.id, v));
        }
        Ok(out)
    }

    /// The object a key names: a mapped oid or a mapped entry key.
    fn obj(&self, info: &ObjectTypeInfo, key: &str, line: usize) -> Result<(ObjRef, u64), Problem> {
        if info.is_non_object_id {
            let mut k = parse_entry_key(info, key).map_err(|e| parse_problem(line, e))?;
            for m in &mut k.members {
                self.map_value(m, line)?;
            }
            Ok((ObjRef::Entry(k), 0))
        } else {
            let rec = parse_oid(key).ok_or_else(|| Problem {
                line,
                kind: ProblemKind::Parse,
                status: value::INVALID_OBJECT_ID,
                msg: format!("object id {key:?} is not oid:0xHEX"),
            })?;
            Ok((ObjRef::Oid(self.lib_oid(rec, line)?), rec))
        }
    }

    fn call_problem(line: usize, st: Status, what: String) -> Problem {
        Problem {
            line,
            kind: ProblemKind::Call,
            status: st,
            msg: what,
        }
    }

    fn learn(&mut self, rec: u64, lib: u64) {
        self.map.insert(rec, lib);
        self.rev.insert(lib, rec);
    }

    fn note_created(&mut self, ot: u32, obj: ObjRef, rec: u64) {
        let i = self.created.len();
        match &obj {
            ObjRef::Oid(_) => {
                self.created_oid.insert(rec, i);
            }
            ObjRef::Entry(k) => {
                self.created_entry.insert(k.clone(), i);
            }
        }
        self.created.push(Created {
            ot,
            obj,
            alive: true,
        });
    }

    fn note_removed(&mut self, ot: u32, obj: &ObjRef, rec: u64) {
        let idx = match obj {
            ObjRef::Oid(_) => self.created_oid.remove(&rec),
            ObjRef::Entry(k) => self.created_entry.remove(k),
        };
        match idx {
            Some(i) => self.created[i].alive = false,
            None => *self.removed_defaults.entry(ot).or_insert(0) += 1,
        }
    }

    fn snapshot_counts(&self) -> Vec<(u32, u32)> {
        let mut v = Vec::new();
        for info in meta::OBJECT_TYPES {
            if let Ok(n) = self.backend.object_count(self.switch_lib, info.ot) {
                v.push((info.ot, n));
            }
        }
        v
    }

    fn create_one(
        &mut self,
        info: &'static ObjectTypeInfo,
        o: &RawObject<'_>,
        line: usize,
    ) -> LineResult {
        let attrs = self.attrs(info, &o.attrs, line)?;
        self.summary.calls += 1;
        if info.ot == sai_headers::ffi::SAI_OBJECT_TYPE_SWITCH {
            let rec = parse_oid(o.key).ok_or_else(|| Problem {
                line,
                kind: ProblemKind::Parse,
                status: value::INVALID_OBJECT_ID,
                msg: format!("switch id {:?} is not oid:0xHEX", o.key),
            })?;
            let lib = self
                .backend
                .create_switch(&attrs)
                .map_err(|st| Self::call_problem(line, st, "create_switch".into()))?;
            self.learn(rec, lib);
            self.switch_lib = lib;
            self.baseline = self.snapshot_counts();
            self.summary.leak_check_types = self.baseline.len();
            self.summary.baseline_objects = self.baseline.iter().map(|x| u64::from(x.1)).sum();
            return Ok(());
        }
        if info.is_non_object_id {
            let (obj, _) = self.obj(info, o.key, line)?;
            let ObjRef::Entry(k) = &obj else {
                unreachable!("entry types give entry keys")
            };
            let st = self.backend.create_entry(k, &attrs);
            if st != status::SUCCESS {
                return Err(Self::call_problem(
                    line,
                    st,
                    format!("create {}", info.name),
                ));
            }
            self.readback(info.ot, &obj, &attrs, line);
            self.note_created(info.ot, obj, 0);
            return Ok(());
        }
        let rec = parse_oid(o.key).ok_or_else(|| Problem {
            line,
            kind: ProblemKind::Parse,
            status: value::INVALID_OBJECT_ID,
            msg: format!("object id {:?} is not oid:0xHEX", o.key),
        })?;
        let lib = self
            .backend
            .create(info.ot, self.switch_lib, &attrs)
            .map_err(|st| Self::call_problem(line, st, format!("create {}", info.name)))?;
        self.learn(rec, lib);
        self.readback(info.ot, &ObjRef::Oid(lib), &attrs, line);
        self.note_created(info.ot, ObjRef::Oid(lib), rec);
        Ok(())
    }

    fn remove_one(
        &mut self,
        info: &'static ObjectTypeInfo,
        o: &RawObject<'_>,
        line: usize,
    ) -> LineResult {
        let (obj, rec) = self.obj(info, o.key, line)?;
        self.summary.calls += 1;
        let st = self.backend.remove(info.ot, &obj);
        if st != status::SUCCESS {
            return Err(Self::call_problem(
                line,
                st,
                format!("remove {} {}", info.name, o.key),
            ));
        }
        self.note_removed(info.ot, &obj, rec);
        Ok(())
    }

    /// Before a set of an object id attribute on an object the recording did not create: keep the
    /// current value for the cleanup.
    fn capture(&mut self, ot: u32, obj: &ObjRef, a: &Attr) {
        let Some(m) = meta::attr(ot, a.id) else {
            return;
        };
        if !self.opts.cleanup || !has_oids(m.value_type) {
            return;
        }
        let created = match obj {
            ObjRef::Oid(o) => self
                .rev
                .get(o)
                .is_some_and(|r| self.created_oid.contains_key(r)),
            ObjRef::Entry(k) => self.created_entry.contains_key(k),
        };
        if created || !self.restore_seen.insert((obj.clone(), a.id)) {
            return;
        }
        let mut req = Attr::new(a.id, request_of(&a.value));
        for _ in 0..2 {
            let r = self.backend.get(ot, obj, std::slice::from_ref(&req));
            if r.status == status::BUFFER_OVERFLOW {
                if let Some(v) = r.counts[0].and_then(|n| sai_client::generic::grown(&req.value, n))
                {
                    req.value = v;
                    continue;
                }
            }
            if let (status::SUCCESS, Some(Some(v))) = (r.status, r.values.first()) {
                self.restore
                    .push((ot, obj.clone(), Attr::new(a.id, v.clone())));
                self.summary.captured += 1;
            }
            return;
        }
    }

    /// Reads `attrs` of `obj` back and records those that differ from what was written.
    fn readback(&mut self, ot: u32, obj: &ObjRef, attrs: &[Attr], line: usize) {
        if !self.opts.readback {
            return;
        }
        for a in attrs {
            let Some(m) = meta::attr(ot, a.id) else {
                continue;
            };
            if m.value_type == T::Pointer {
                continue;
            }
            let r = self
                .backend
                .get(ot, obj, &[Attr::new(a.id, request_of(&a.value))]);
            self.summary.readback_checked += 1;
            let got = r.values.first().cloned().flatten();
            if r.status != status::SUCCESS || got.as_ref() != Some(&a.value) {
                let shown = match got {
                    Some(v) => format!("{v:?}"),
                    None => status_name(r.status),
                };
                self.summary
                    .readback_diffs
                    .push((line, m.name, format!("{:?}", a.value), shown));
            }
        }
    }

    fn set_one(
        &mut self,
        info: &'static ObjectTypeInfo,
        o: &RawObject<'_>,
        line: usize,
    ) -> LineResult {
        let (obj, _) = self.obj(info, o.key, line)?;
        let attrs = self.attrs(info, &o.attrs, line)?;
        for a in &attrs {
            self.capture(info.ot, &obj, a);
            self.summary.calls += 1;
            let st = self.backend.set(info.ot, &obj, a);
            if st != status::SUCCESS {
                let name = meta::attr(info.ot, a.id).map_or("?", |m| m.name);
                return Err(Self::call_problem(
                    line,
                    st,
                    format!("set {} {} {name}", info.name, o.key),
                ));
            }
        }
        self.readback(info.ot, &obj, &attrs, line);
        Ok(())
    }

    fn get_one(
        &mut self,
        info: &'static ObjectTypeInfo,
        o: &RawObject<'_>,
        line: usize,
    ) -> LineResult {
        let (obj, _) = self.obj(info, o.key, line)?;
        let mut req = Vec::with_capacity(o.attrs.len());
        let mut metas = Vec::with_capacity(o.attrs.len());
        for (i, a) in o.attrs.iter().enumerate() {
            let m = attr_meta(info, a, i, line)?;
            let v = parse_value(m, a.value, i).map_err(|e| parse_problem(line, e))?;
            req.push(Attr::new(m.id, request_of(&v)));
            metas.push(m);
        }
        self.summary.calls += 1;
        let reply = self.backend.get(info.ot, &obj, &req);
        self.pending = Some(PendingGet {
            line,
            ot: info.ot,
            metas,
            reply,
        });
        Ok(())
    }

    fn mismatch(line: usize, status: Status, msg: String) -> Problem {
        Problem {
            line,
            kind: ProblemKind::Mismatch,
            status,
            msg,
        }
    }

    /// Compares a `G` answer with the pending get; learns the default objects' ids.
    fn answer(&mut self, st_text: &str, attrs: &[RawAttr<'_>], line: usize) -> LineResult {
        let Some(p) = self.pending.take() else {
            if std::mem::take(&mut self.skip_answer) {
                return Ok(());
            }
            return Err(Problem {
                line,
                kind: ProblemKind::Parse,
                status: value::INVALID_PARAMETER,
                msg: "'G' without a preceding 'g'".into(),
            });
        };
        let want = parse_status(st_text).ok_or_else(|| Problem {
            line,
            kind: ProblemKind::Parse,
            status: value::INVALID_PARAMETER,
            msg: format!("unknown status {st_text:?}"),
        })?;
        self.summary.gets_checked += 1;
        let got = p.reply.status;
        if got != want {
            let mut msg = format!(
                "get at line {}: library answered {}, recording {}",
                p.line,
                status_name(got),
                status_name(want)
            );
            if got == status::BUFFER_OVERFLOW {
                for (m, c) in p.metas.iter().zip(&p.reply.counts) {
                    if let Some(c) = c {
                        let _ = write!(msg, "; {} needs {c}", m.name);
                    }
                }
            }
            return Err(Self::mismatch(line, got, msg));
        }
        if want != status::SUCCESS {
            return Ok(());
        }
        let info = meta::object_type(p.ot).ok_or_else(|| {
            Self::mismatch(line, value::INVALID_OBJECT_TYPE, "bad object type".into())
        })?;
        if attrs.len() != p.metas.len() {
            return Err(Self::mismatch(
                line,
                value::INVALID_PARAMETER,
                format!(
                    "answer has {} attributes, the get at line {} asked {}",
                    attrs.len(),
                    p.line,
                    p.metas.len()
                ),
            ));
        }
        for (i, a) in attrs.iter().enumerate() {
            let m = attr_meta(info, a, i, line)?;
            if m.id != p.metas[i].id {
                return Err(Self::mismatch(
                    line,
                    value::INVALID_PARAMETER,
                    format!(
                        "answer attribute {i} is {}, the get asked {}",
                        m.name, p.metas[i].name
                    ),
                ));
            }
            let rec = parse_value(m, a.value, i).map_err(|e| parse_problem(line, e))?;
            let Some(got) = p.reply.values.get(i).cloned().flatten() else {
                return Err(Self::mismatch(
                    line,
                    got,
                    format!("{}: the library returned no readable value", m.name),
                ));
            };
            if let (Some(rc), Some(gc)) = (rec.list_len(), got.list_len()) {
                if rc != gc {
                    return Err(Self::mismatch(
                        line,
                        status::SUCCESS,
                        format!("{}: library list count {gc}, recording {rc}", m.name),
                    ));
                }
            }
            if !has_oids(m.value_type) && rec != got {
                self.summary.value_diffs.push((
                    line,
                    m.name,
                    a.value.to_string(),
                    format!("{got:?}"),
                ));
            }
            if has_oids(m.value_type) {
                let r: Vec<u64> = rec.oids().collect();
                let g: Vec<u64> = got.oids().collect();
                if r.len() != g.len() {
                    return Err(Self::mismatch(
                        line,
                        status::SUCCESS,
                        format!(
                            "{}: library gave {} object ids, recording {}",
                            m.name,
                            g.len(),
                            r.len()
                        ),
                    ));
                }
                for (k, (ro, lo)) in r.iter().zip(&g).enumerate() {
                    self.match_oid(*ro, *lo, m, k, line)?;
                }
            }
        }
        Ok(())
    }

    /// Object id `k` of attribute `m`: recording `ro` and library `lo` must correspond 1:1.
    fn match_oid(&mut self, ro: u64, lo: u64, m: &AttrMeta, k: usize, line: usize) -> LineResult {
        let at = || format!("{}[{k}]", m.name);
        if ro == 0 || lo == 0 {
            if ro != lo {
                return Err(Self::mismatch(
                    line,
                    status::SUCCESS,
                    format!("{}: library 0x{lo:x}, recording oid:0x{ro:x}", at()),
                ));
            }
            return Ok(());
        }
        match (self.map.get(&ro), self.rev.get(&lo)) {
            (Some(&l), _) if l == lo => Ok(()),
            (Some(&l), _) => Err(Self::mismatch(
                line,
                status::SUCCESS,
                format!("{}: recording oid:0x{ro:x} is library 0x{l:x}, but the library answered 0x{lo:x}", at()),
            )),
            (None, Some(&r)) => Err(Self::mismatch(
                line,
                status::SUCCESS,
                format!("{}: library 0x{lo:x} is already recording oid:0x{r:x}, answer says oid:0x{ro:x}", at()),
            )),
            (None, None) => {
                let lt = self.backend.object_type_query(lo);
                let rt = value::vid_object_type(ro);
                if lt != rt {
                    let n = |t: u32| meta::object_type(t).map_or("?", |i| i.name);
                    return Err(Self::mismatch(
                        line,
                        status::SUCCESS,
                        format!("{}: library object 0x{lo:x} is {}, recording oid:0x{ro:x} is {}", at(), n(lt), n(rt)),
                    ));
                }
                self.learn(ro, lo);
                self.summary.discovered += 1;
                Ok(())
            }
        }
    }

    fn bulk(
        &mut self,
        op: char,
        info: &'static ObjectTypeInfo,
        objs: &[RawObject<'_>],
        line: usize,
    ) -> LineResult {
        match op {
            'C' => {
                let mut attrs = Vec::with_capacity(objs.len());
                let mut keys = Vec::new();
                let mut recs = Vec::new();
                for o in objs {
                    attrs.push(self.attrs(info, &o.attrs, line)?);
                    if info.is_non_object_id {
                        let (ObjRef::Entry(k), _) = self.obj(info, o.key, line)? else {
                            unreachable!("entry types give entry keys")
                        };
                        keys.push(k);
                    } else {
                        recs.push(parse_oid(o.key).ok_or_else(|| Problem {
                            line,
                            kind: ProblemKind::Parse,
                            status: value::INVALID_OBJECT_ID,
                            msg: format!("object id {:?} is not oid:0xHEX", o.key),
                        })?);
                    }
                }
                let krefs: Vec<&EntryKey> = keys.iter().collect();
                self.summary.bulk_objects += u64::try_from(objs.len()).unwrap_or(0);
                if let Some(r) = self
                    .backend
                    .bulk_create(info.ot, self.switch_lib, &krefs, &attrs)
                {
                    self.summary.calls += 1;
                    for (i, st) in r.statuses.iter().enumerate().take(objs.len()) {
                        if *st == status::SUCCESS {
                            if info.is_non_object_id {
                                self.note_created(info.ot, ObjRef::Entry(keys[i].clone()), 0);
                            } else {
                                let lib = r.oids.get(i).copied().unwrap_or(0);
                                self.learn(recs[i], lib);
                                self.note_created(info.ot, ObjRef::Oid(lib), recs[i]);
                            }
                        }
                    }
                    return self.bulk_statuses(
                        &r.statuses,
                        r.status,
                        objs.len(),
                        "bulk create",
                        info,
                        line,
                    );
                }
                // no bulk method: one call per object
                let mut st = Vec::with_capacity(objs.len());
                for (i, a) in attrs.iter().enumerate() {
                    self.summary.calls += 1;
                    if info.is_non_object_id {
                        let s = self.backend.create_entry(&keys[i], a);
                        if s == status::SUCCESS {
                            self.note_created(info.ot, ObjRef::Entry(keys[i].clone()), 0);
                        }
                        st.push(s);
                    } else {
                        match self.backend.create(info.ot, self.switch_lib, a) {
                            Ok(lib) => {
                                self.learn(recs[i], lib);
                                self.note_created(info.ot, ObjRef::Oid(lib), recs[i]);
                                st.push(status::SUCCESS);
                            }
                            Err(e) => st.push(e),
                        }
                    }
                }
                self.bulk_statuses(&st, status::SUCCESS, objs.len(), "create", info, line)
            }
            'R' => {
                let mut refs = Vec::with_capacity(objs.len());
                for o in objs {
                    refs.push(self.obj(info, o.key, line)?);
                }
                let objs_only: Vec<ObjRef> = refs.iter().map(|r| r.0.clone()).collect();
                self.summary.bulk_objects += u64::try_from(objs.len()).unwrap_or(0);
                let st = match self.backend.bulk_remove(info.ot, &objs_only) {
                    Some(r) => {
                        self.summary.calls += 1;
                        if r.statuses.len() != objs.len() {
                            return self.bulk_statuses(
                                &r.statuses,
                                r.status,
                                objs.len(),
                                "bulk remove",
                                info,
                                line,
                            );
                        }
                        r.statuses
                    }
                    None => objs_only
                        .iter()
                        .map(|o| {
                            self.summary.calls += 1;
                            self.backend.remove(info.ot, o)
                        })
                        .collect(),
                };
                for (i, s) in st.iter().enumerate() {
                    if *s == status::SUCCESS {
                        self.note_removed(info.ot, &refs[i].0, refs[i].1);
                    }
                }
                self.bulk_statuses(&st, status::SUCCESS, objs.len(), "remove", info, line)
            }
            'S' | 'B' => {
                let mut refs = Vec::new();
                let mut attrs = Vec::new();
                for o in objs {
                    let (r, _) = self.obj(info, o.key, line)?;
                    for a in self.attrs(info, &o.attrs, line)? {
                        refs.push(r.clone());
                        attrs.push(a);
                    }
                }
                self.summary.bulk_objects += u64::try_from(objs.len()).unwrap_or(0);
                if op == 'B' {
                    // bulk get: one get per object, statuses checked (no answer line to compare)
                    let st: Vec<Status> = refs
                        .iter()
                        .zip(&attrs)
                        .map(|(r, a)| {
                            self.summary.calls += 1;
                            let req = [Attr::new(a.id, request_of(&a.value))];
                            self.backend.get(info.ot, r, &req).status
                        })
                        .collect();
                    return self.bulk_statuses(
                        &st,
                        status::SUCCESS,
                        st.len(),
                        "bulk get",
                        info,
                        line,
                    );
                }
                for (r, a) in refs.iter().zip(&attrs) {
                    self.capture(info.ot, r, a);
                }
                let st = match self.backend.bulk_set(info.ot, &refs, &attrs) {
                    Some(r) => {
                        self.summary.calls += 1;
                        if r.statuses.len() != refs.len() {
                            return self.bulk_statuses(
                                &r.statuses,
                                r.status,
                                refs.len(),
                                "bulk set",
                                info,
                                line,
                            );
                        }
                        r.statuses
                    }
                    None => refs
                        .iter()
                        .zip(&attrs)
                        .map(|(r, a)| {
                            self.summary.calls += 1;
                            self.backend.set(info.ot, r, a)
                        })
                        .collect(),
                };
                self.bulk_statuses(&st, status::SUCCESS, refs.len(), "set", info, line)
            }
            _ => Ok(()),
        }
    }

    fn bulk_statuses(
        &self,
        st: &[Status],
        overall: Status,
        n: usize,
        what: &str,
        info: &ObjectTypeInfo,
        line: usize,
    ) -> LineResult {
        if st.len() != n {
            return Err(Self::call_problem(
                line,
                if overall == status::SUCCESS {
                    status::FAILURE
                } else {
                    overall
                },
                format!(
                    "{what} {}: {} statuses for {n} objects",
                    info.name,
                    st.len()
                ),
            ));
        }
        if let Some((i, s)) = st.iter().enumerate().find(|(_, s)| **s != status::SUCCESS) {
            return Err(Self::call_problem(
                line,
                *s,
                format!("{what} {} object {i}", info.name),
            ));
        }
        if overall != status::SUCCESS {
            return Err(Self::call_problem(
                line,
                overall,
                format!("{what} {}", info.name),
            ));
        }
        Ok(())
    }

    fn line(&mut self, no: usize, text: &str) -> LineResult {
        let l = match rec::parse_line(text) {
            Ok(l) => l,
            Err(e) => {
                // a broken `g`: its answer is not a second problem
                self.skip_answer = text.split('|').nth(1) == Some("g");
                return Err(parse_problem(no, e));
            }
        };
        if let Some(c) = text.split('|').nth(1).and_then(|s| s.chars().next()) {
            *self.summary.lines_by_kind.entry(c).or_insert(0) += 1;
        }
        // a get answered by anything but the next `G`
        if self.pending.is_some()
            && !matches!(
                l,
                Line::GetResponse { .. } | Line::Notification { .. } | Line::Comment | Line::Empty
            )
        {
            let p = self.pending.take();
            self.deferred = Some(Self::mismatch(
                no,
                value::INVALID_PARAMETER,
                format!(
                    "the get at line {} has no 'G' answer",
                    p.map_or(0, |p| p.line)
                ),
            ));
        }
        if !matches!(l, Line::GetResponse { .. }) {
            self.skip_answer = false;
        }
        match l {
            Line::Single { op, ot, obj } => {
                let info = ot_info(ot, no)?;
                match op {
                    'c' => self.create_one(info, &obj, no),
                    'r' => self.remove_one(info, &obj, no),
                    's' => self.set_one(info, &obj, no),
                    _ => {
                        let r = self.get_one(info, &obj, no);
                        self.skip_answer = r.is_err();
                        r
                    }
                }
            }
            Line::Bulk { op, ot, objs } => {
                let info = ot_info(ot, no)?;
                self.bulk(op, info, &objs, no)
            }
            Line::GetResponse { status, attrs } => self.answer(status, &attrs, no),
            Line::Notify { what, answer } => {
                if !answer {
                    self.summary.markers.push((no, what.to_string()));
                }
                Ok(())
            }
            Line::Notification { .. }
            | Line::Query { .. }
            | Line::Comment
            | Line::Poll
            | Line::Sleep(_)
            | Line::Empty => Ok(()),
        }
    }

    /// Plays `text` (a whole recording).
    pub fn play(&mut self, text: &str) {
        let t0 = Instant::now();
        for (i, l) in text.lines().enumerate() {
            let no = i + 1;
            let r = self.line(no, l);
            let mut stop = false;
            for p in self.deferred.take().into_iter().chain(r.err()) {
                self.summary.problems.push(p);
                stop |= !self.opts.skip_errors;
            }
            if stop {
                self.summary.stopped_at = Some(no);
                break;
            }
        }
        if self.summary.stopped_at.is_none() {
            if let Some(p) = self.pending.take() {
                self.summary.problems.push(Self::mismatch(
                    p.line,
                    value::INVALID_PARAMETER,
                    "get without a 'G' answer at the end of the recording".into(),
                ));
            }
        }
        self.summary.elapsed = t0.elapsed();
        if self.opts.cleanup {
            self.cleanup();
        }
    }

    /// Removes what the recording created (reverse order), checks the object counts against the
    /// state right after switch creation (less the default objects the recording removed), then
    /// removes the switch.
    pub fn cleanup(&mut self) {
        let mut problems = Vec::new();
        for (ot, obj, a) in std::mem::take(&mut self.restore).into_iter().rev() {
            let st = self.backend.set(ot, &obj, &a);
            if st != status::SUCCESS {
                let name = meta::attr(ot, a.id).map_or("?", |m| m.name);
                problems.push(Problem {
                    line: 0,
                    kind: ProblemKind::Cleanup,
                    status: st,
                    msg: format!("cleanup: restore {name} of {obj:?}"),
                });
            }
        }
        // reverse creation order; objects still referenced (by a later set) are retried until
        // nothing more can be removed
        loop {
            let mut progress = false;
            let mut last = Vec::new();
            for c in self.created.iter_mut().rev() {
                if !c.alive {
                    continue;
                }
                let st = self.backend.remove(c.ot, &c.obj);
                if st == status::SUCCESS {
                    c.alive = false;
                    progress = true;
                    self.summary.cleaned_up += 1;
                } else {
                    let name = meta::object_type(c.ot).map_or("?", |i| i.name);
                    last.push(Problem {
                        line: 0,
                        kind: ProblemKind::Cleanup,
                        status: st,
                        msg: format!("cleanup: remove {name} {:?}", c.obj),
                    });
                }
            }
            if last.is_empty() || !progress {
                problems.extend(last);
                break;
            }
        }
        if self.switch_lib != 0 {
            if self.baseline.is_empty() {
                problems.push(Problem {
                    line: 0,
                    kind: ProblemKind::Cleanup,
                    status: status::NOT_IMPLEMENTED,
                    msg: "leak check impossible: sai_get_object_count answered for no object type"
                        .into(),
                });
            }
            let now = self.snapshot_counts();
            let before: HashMap<u32, u32> = self.baseline.iter().copied().collect();
            for (ot, n) in now {
                let removed = self.removed_defaults.get(&ot).copied().unwrap_or(0);
                let expect = before
                    .get(&ot)
                    .copied()
                    .unwrap_or(0)
                    .saturating_sub(removed);
                if n != expect {
                    let name = meta::object_type(ot).map_or("?", |i| i.name);
                    problems.push(Problem {
                        line: 0,
                        kind: ProblemKind::Cleanup,
                        status: status::FAILURE,
                        msg: format!(
                            "leak check: {name}: library has {n}, expected {expect} (after switch creation {}, default objects removed by the recording {removed})",
                            before.get(&ot).copied().unwrap_or(0)
                        ),
                    });
                }
            }
            let st = self.backend.remove(
                sai_headers::ffi::SAI_OBJECT_TYPE_SWITCH,
                &ObjRef::Oid(self.switch_lib),
            );
            if st != status::SUCCESS {
                problems.push(Problem {
                    line: 0,
                    kind: ProblemKind::Cleanup,
                    status: st,
                    msg: "cleanup: remove_switch".into(),
                });
            } else {
                // after remove_switch nothing may be left on it
                for info in meta::OBJECT_TYPES {
                    if let Ok(n) = self.backend.object_count(self.switch_lib, info.ot) {
                        if n > 0 {
                            problems.push(Problem {
                                line: 0,
                                kind: ProblemKind::Cleanup,
                                status: status::FAILURE,
                                msg: format!(
                                    "after remove_switch: {} {} objects left",
                                    n, info.name
                                ),
                            });
                        }
                    }
                }
                self.switch_lib = 0;
            }
        }
        self.summary.problems.extend(problems);
    }

    /// The backend (e.g. to make calls between [`Player::play`] and [`Player::cleanup`]).
    pub fn backend(&mut self) -> &mut B {
        self.backend
    }

    /// The library object id of a recording object id, once known.
    pub fn mapped(&self, rec: u64) -> Option<u64> {
        self.map.get(&rec).copied()
    }

    /// The library's switch id (0 before create_switch and after cleanup).
    pub fn switch_id(&self) -> u64 {
        self.switch_lib
    }

    /// Object counts right after the switch was created (type, count), as the library reported.
    pub fn baseline(&self) -> &[(u32, u32)] {
        &self.baseline
    }
}

/// Plays `text` against `backend` and returns the summary.
pub fn replay<B: Backend>(backend: &mut B, text: &str, opts: Options) -> Summary {
    let mut p = Player::new(backend, opts);
    p.play(text);
    p.summary
}
