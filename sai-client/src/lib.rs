//! Safe caller-side wrapper over a `dlopen`-ed `libsai.so` (what syncd does with a vendor SAI).
//!
//! ```text
//! Sai::load(path, profile) -> sai_api_initialize(service table over the profile) + sai_api_query
//! sai.create_switch(&Sai::switch_init_attrs(mac))       -> switch oid (notifications wired)
//! sai.create(ObjectType::RouterInterface, &[Attr...])   -> oid     (also remove / set / get)
//! sai.create_route(&RouteEntry, &[Attr...]), sai.create_routes(bulk), neighbors, ...
//! ```
//! All unsafe code is in the private `raw` module. Only one `Sai` should be loaded per process:
//! the profile service table and the notification queues are process-global, as in syncd.
#![deny(unsafe_code)]

pub mod generic;
mod raw;

use std::net::IpAddr;
use std::path::Path;
use std::sync::PoisonError;

use libloading::Library;
use sai_headers::ffi as s;

pub use sai_headers::ffi;

/// A SAI object id.
pub type Oid = u64;

/// A failed SAI call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{op}: {} ({status})", status_name(*status))]
pub struct SaiError {
    /// What was called.
    pub op: String,
    /// The SAI status (negative), or -1 for a wrapper-level failure.
    pub status: i32,
}

/// Name of a SAI status code.
pub fn status_name(st: i32) -> &'static str {
    match st {
        0 => "SAI_STATUS_SUCCESS",
        -1 => "SAI_STATUS_FAILURE",
        -2 => "SAI_STATUS_NOT_SUPPORTED",
        -3 => "SAI_STATUS_NO_MEMORY",
        -4 => "SAI_STATUS_INSUFFICIENT_RESOURCES",
        -5 => "SAI_STATUS_INVALID_PARAMETER",
        -6 => "SAI_STATUS_ITEM_ALREADY_EXISTS",
        -7 => "SAI_STATUS_ITEM_NOT_FOUND",
        -8 => "SAI_STATUS_BUFFER_OVERFLOW",
        -9 => "SAI_STATUS_INVALID_PORT_NUMBER",
        -10 => "SAI_STATUS_INVALID_PORT_MEMBER",
        -11 => "SAI_STATUS_INVALID_VLAN_ID",
        -12 => "SAI_STATUS_UNINITIALIZED",
        -13 => "SAI_STATUS_TABLE_FULL",
        -14 => "SAI_STATUS_MANDATORY_ATTRIBUTE_MISSING",
        -15 => "SAI_STATUS_NOT_IMPLEMENTED",
        -16 => "SAI_STATUS_ADDR_NOT_FOUND",
        -17 => "SAI_STATUS_OBJECT_IN_USE",
        -18 => "SAI_STATUS_INVALID_OBJECT_TYPE",
        -19 => "SAI_STATUS_INVALID_OBJECT_ID",
        -20 => "SAI_STATUS_INVALID_NV_STORAGE",
        -21 => "SAI_STATUS_NV_STORAGE_FULL",
        -22 => "SAI_STATUS_SW_UPGRADE_VERSION_MISMATCH",
        -23 => "SAI_STATUS_NOT_EXECUTED",
        -24 => "SAI_STATUS_STAGE_MISMATCH",
        x if (-0x0001_FFFF..=-0x0001_0000).contains(&x) => "SAI_STATUS_INVALID_ATTRIBUTE",
        x if (-0x0002_FFFF..=-0x0002_0000).contains(&x) => "SAI_STATUS_INVALID_ATTR_VALUE",
        x if (-0x0003_FFFF..=-0x0003_0000).contains(&x) => "SAI_STATUS_ATTR_NOT_IMPLEMENTED",
        x if (-0x0004_FFFF..=-0x0004_0000).contains(&x) => "SAI_STATUS_UNKNOWN_ATTRIBUTE",
        x if (-0x0005_FFFF..=-0x0005_0000).contains(&x) => "SAI_STATUS_ATTR_NOT_SUPPORTED",
        _ => "SAI_STATUS_?",
    }
}

fn check(op: impl FnOnce() -> String, st: i32) -> Result<(), SaiError> {
    if st == s::SAI_STATUS_SUCCESS {
        Ok(())
    } else {
        Err(SaiError {
            op: op(),
            status: st,
        })
    }
}

/// A typed attribute value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// booldata.
    Bool(bool),
    /// u8.
    U8(u8),
    /// u16.
    U16(u16),
    /// u32.
    U32(u32),
    /// s32 (also enums).
    S32(i32),
    /// u64.
    U64(u64),
    /// oid.
    Oid(Oid),
    /// mac.
    Mac([u8; 6]),
    /// ipaddr.
    Ip(IpAddr),
    /// ipprefix: network address and prefix length.
    Prefix(IpAddr, u8),
    /// chardata (at most 31 bytes).
    Chars(String),
    /// objlist.
    OidList(Vec<Oid>),
    /// u32list.
    U32List(Vec<u32>),
    /// ptr (notification callbacks).
    Pointer(usize),
}

/// The kind of value expected from a get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// booldata.
    Bool,
    /// u32.
    U32,
    /// s32.
    S32,
    /// u64.
    U64,
    /// oid.
    Oid,
    /// mac.
    Mac,
    /// ipaddr.
    Ip,
    /// chardata.
    Chars,
    /// objlist.
    OidList,
    /// u32list.
    U32List,
}

/// One attribute: id + value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// Attribute id (e.g. `ffi::SAI_PORT_ATTR_ADMIN_STATE`).
    pub id: u32,
    /// Value.
    pub value: Value,
}

impl Attr {
    /// Builds an attribute.
    pub fn new(id: u32, value: Value) -> Self {
        Self { id, value }
    }
}

/// C attributes plus the buffers their list members point into.
struct CAttrs {
    raw: Vec<s::sai_attribute_t>,
    _oids: Vec<Vec<Oid>>,
    _u32s: Vec<Vec<u32>>,
}

fn ip_to_c(ip: IpAddr) -> s::sai_ip_address_t {
    match ip {
        IpAddr::V4(a) => s::sai_ip_address_t {
            addr_family: s::SAI_IP_ADDR_FAMILY_IPV4,
            // sai_ip4_t holds the address in network byte order
            addr: s::sai_ip_addr_t {
                ip4: u32::from_ne_bytes(a.octets()),
            },
        },
        IpAddr::V6(a) => s::sai_ip_address_t {
            addr_family: s::SAI_IP_ADDR_FAMILY_IPV6,
            addr: s::sai_ip_addr_t { ip6: a.octets() },
        },
    }
}

/// Converts a prefix to SAI form (address masked, netmask as an address).
pub fn prefix_to_c(addr: IpAddr, len: u8) -> Result<s::sai_ip_prefix_t, SaiError> {
    let bad = || SaiError {
        op: format!("prefix {addr}/{len}"),
        status: s::SAI_STATUS_INVALID_PARAMETER,
    };
    Ok(match addr {
        IpAddr::V4(a) => {
            if len > 32 {
                return Err(bad());
            }
            let m: u32 = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len))
            };
            let net = u32::from(a) & m;
            s::sai_ip_prefix_t {
                addr_family: s::SAI_IP_ADDR_FAMILY_IPV4,
                addr: s::sai_ip_addr_t {
                    ip4: u32::from_ne_bytes(net.to_be_bytes()),
                },
                mask: s::sai_ip_addr_t {
                    ip4: u32::from_ne_bytes(m.to_be_bytes()),
                },
            }
        }
        IpAddr::V6(a) => {
            if len > 128 {
                return Err(bad());
            }
            let m: u128 = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len))
            };
            let net = u128::from(a) & m;
            s::sai_ip_prefix_t {
                addr_family: s::SAI_IP_ADDR_FAMILY_IPV6,
                addr: s::sai_ip_addr_t {
                    ip6: net.to_be_bytes(),
                },
                mask: s::sai_ip_addr_t {
                    ip6: m.to_be_bytes(),
                },
            }
        }
    })
}

fn to_c(attrs: &[Attr]) -> Result<CAttrs, SaiError> {
    let mut out = CAttrs {
        raw: Vec::with_capacity(attrs.len()),
        _oids: Vec::new(),
        _u32s: Vec::new(),
    };
    for a in attrs {
        let value = match &a.value {
            Value::Bool(b) => s::sai_attribute_value_t {
                booldata: u8::from(*b),
            },
            Value::U8(v) => s::sai_attribute_value_t { u8: *v },
            Value::U16(v) => s::sai_attribute_value_t { u16: *v },
            Value::U32(v) => s::sai_attribute_value_t { u32: *v },
            Value::S32(v) => s::sai_attribute_value_t { s32: *v },
            Value::U64(v) => s::sai_attribute_value_t { u64: *v },
            Value::Oid(v) => s::sai_attribute_value_t { oid: *v },
            Value::Mac(m) => s::sai_attribute_value_t { mac: *m },
            Value::Ip(ip) => s::sai_attribute_value_t {
                ipaddr: ip_to_c(*ip),
            },
            Value::Prefix(ip, len) => s::sai_attribute_value_t {
                ipprefix: prefix_to_c(*ip, *len)?,
            },
            Value::Chars(t) => {
                if t.len() > 31 || t.as_bytes().contains(&0) {
                    return Err(SaiError {
                        op: format!("attribute {}: chardata {t:?} longer than 31 bytes", a.id),
                        status: s::SAI_STATUS_INVALID_PARAMETER,
                    });
                }
                let mut c = [0 as std::ffi::c_char; 32];
                for (d, b) in c.iter_mut().zip(t.bytes()) {
                    *d = std::ffi::c_char::from_ne_bytes([b]);
                }
                s::sai_attribute_value_t { chardata: c }
            }
            Value::OidList(l) => {
                let mut v = l.clone();
                let objlist = s::sai_object_list_t {
                    count: u32::try_from(v.len()).unwrap_or(u32::MAX),
                    list: v.as_mut_ptr(),
                };
                out._oids.push(v);
                s::sai_attribute_value_t { objlist }
            }
            Value::U32List(l) => {
                let mut v = l.clone();
                let u32list = s::sai_u32_list_t {
                    count: u32::try_from(v.len()).unwrap_or(u32::MAX),
                    list: v.as_mut_ptr(),
                };
                out._u32s.push(v);
                s::sai_attribute_value_t { u32list }
            }
            Value::Pointer(p) => s::sai_attribute_value_t {
                ptr: std::ptr::with_exposed_provenance_mut(*p),
            },
        };
        out.raw.push(s::sai_attribute_t { id: a.id, value });
    }
    Ok(out)
}

/// The OID object types this wrapper drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectType {
    /// SAI_OBJECT_TYPE_PORT.
    Port,
    /// SAI_OBJECT_TYPE_HOSTIF.
    Hostif,
    /// SAI_OBJECT_TYPE_HOSTIF_TRAP_GROUP.
    HostifTrapGroup,
    /// SAI_OBJECT_TYPE_HOSTIF_TRAP.
    HostifTrap,
    /// SAI_OBJECT_TYPE_HOSTIF_TABLE_ENTRY.
    HostifTableEntry,
    /// SAI_OBJECT_TYPE_ROUTER_INTERFACE.
    RouterInterface,
    /// SAI_OBJECT_TYPE_VIRTUAL_ROUTER.
    VirtualRouter,
    /// SAI_OBJECT_TYPE_NEXT_HOP.
    NextHop,
    /// SAI_OBJECT_TYPE_NEXT_HOP_GROUP.
    NextHopGroup,
    /// SAI_OBJECT_TYPE_NEXT_HOP_GROUP_MEMBER.
    NextHopGroupMember,
}

#[derive(Clone, Copy, Default)]
struct ObjFns {
    create: Option<raw::CreateFn>,
    remove: Option<raw::RemoveFn>,
    set: Option<raw::SetFn>,
    get: Option<raw::GetFn>,
}

#[derive(Default)]
struct Apis {
    create_switch: Option<raw::CreateSwitchFn>,
    remove_switch: Option<raw::RemoveFn>,
    set_switch: Option<raw::SetFn>,
    get_switch: Option<raw::GetFn>,
    objs: Vec<(ObjectType, ObjFns)>,
    route: Option<s::sai_route_api_t>,
    neighbor: Option<s::sai_neighbor_api_t>,
}

/// A route entry key (the switch id is filled in by [`Sai`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RouteEntry {
    /// Virtual router.
    pub vr: Oid,
    /// Destination address.
    pub addr: IpAddr,
    /// Prefix length.
    pub len: u8,
}

/// A neighbor entry key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NeighborEntry {
    /// Router interface.
    pub rif: Oid,
    /// Neighbor IP.
    pub ip: IpAddr,
}

/// A loaded and initialised SAI library.
pub struct Sai {
    core: raw::Core,
    apis: Apis,
    switch: Oid,
    initialized: bool,
    // dropped last: every fn pointer above points into it
    _lib: Library,
}

impl std::fmt::Debug for Sai {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sai").field("switch", &self.switch).finish()
    }
}

macro_rules! obj_fns {
    ($t:expr, $c:ident, $r:ident, $s:ident, $g:ident) => {
        ObjFns {
            create: $t.$c,
            remove: $t.$r,
            set: $t.$s,
            get: $t.$g,
        }
    };
}

impl Sai {
    /// dlopens `path`, installs `profile` as the service table, calls `sai_api_initialize` and
    /// queries the APIs used here (switch, port, hostif, RIF, VR, neighbor, next hop, NHG, route).
    pub fn load(path: &Path, profile: &[(String, String)]) -> Result<Self, SaiError> {
        let fail = |op: String| SaiError { op, status: -1 };
        raw::set_profile(profile).map_err(fail)?;
        let (lib, core) =
            raw::load(path).map_err(|e| fail(format!("dlopen {}: {e}", path.display())))?;
        check(|| "sai_api_initialize".into(), raw::initialize(&core))?;
        let mut sai = Sai {
            core,
            apis: Apis::default(),
            switch: 0,
            initialized: true,
            _lib: lib,
        };
        sai.query_apis()?;
        Ok(sai)
    }

    fn query_apis(&mut self) -> Result<(), SaiError> {
        let q = |name: &str| SaiError {
            op: format!("sai_api_query({name})"),
            status: -1,
        };
        let sw: s::sai_switch_api_t =
            raw::query_api(&self.core, s::SAI_API_SWITCH).map_err(|st| SaiError {
                status: st,
                ..q("SWITCH")
            })?;
        self.apis.create_switch = sw.create_switch;
        self.apis.remove_switch = sw.remove_switch;
        self.apis.set_switch = sw.set_switch_attribute;
        self.apis.get_switch = sw.get_switch_attribute;
        let mut objs = Vec::new();
        if let Ok(t) = raw::query_api::<s::sai_port_api_t>(&self.core, s::SAI_API_PORT) {
            objs.push((
                ObjectType::Port,
                obj_fns!(
                    t,
                    create_port,
                    remove_port,
                    set_port_attribute,
                    get_port_attribute
                ),
            ));
        }
        if let Ok(t) = raw::query_api::<s::sai_hostif_api_t>(&self.core, s::SAI_API_HOSTIF) {
            objs.push((
                ObjectType::Hostif,
                obj_fns!(
                    t,
                    create_hostif,
                    remove_hostif,
                    set_hostif_attribute,
                    get_hostif_attribute
                ),
            ));
            objs.push((
                ObjectType::HostifTrapGroup,
                obj_fns!(
                    t,
                    create_hostif_trap_group,
                    remove_hostif_trap_group,
                    set_hostif_trap_group_attribute,
                    get_hostif_trap_group_attribute
                ),
            ));
            objs.push((
                ObjectType::HostifTrap,
                obj_fns!(
                    t,
                    create_hostif_trap,
                    remove_hostif_trap,
                    set_hostif_trap_attribute,
                    get_hostif_trap_attribute
                ),
            ));
            objs.push((
                ObjectType::HostifTableEntry,
                obj_fns!(
                    t,
                    create_hostif_table_entry,
                    remove_hostif_table_entry,
                    set_hostif_table_entry_attribute,
                    get_hostif_table_entry_attribute
                ),
            ));
        }
        if let Ok(t) =
            raw::query_api::<s::sai_router_interface_api_t>(&self.core, s::SAI_API_ROUTER_INTERFACE)
        {
            objs.push((
                ObjectType::RouterInterface,
                obj_fns!(
                    t,
                    create_router_interface,
                    remove_router_interface,
                    set_router_interface_attribute,
                    get_router_interface_attribute
                ),
            ));
        }
        if let Ok(t) =
            raw::query_api::<s::sai_virtual_router_api_t>(&self.core, s::SAI_API_VIRTUAL_ROUTER)
        {
            objs.push((
                ObjectType::VirtualRouter,
                obj_fns!(
                    t,
                    create_virtual_router,
                    remove_virtual_router,
                    set_virtual_router_attribute,
                    get_virtual_router_attribute
                ),
            ));
        }
        if let Ok(t) = raw::query_api::<s::sai_next_hop_api_t>(&self.core, s::SAI_API_NEXT_HOP) {
            objs.push((
                ObjectType::NextHop,
                obj_fns!(
                    t,
                    create_next_hop,
                    remove_next_hop,
                    set_next_hop_attribute,
                    get_next_hop_attribute
                ),
            ));
        }
        if let Ok(t) =
            raw::query_api::<s::sai_next_hop_group_api_t>(&self.core, s::SAI_API_NEXT_HOP_GROUP)
        {
            objs.push((
                ObjectType::NextHopGroup,
                obj_fns!(
                    t,
                    create_next_hop_group,
                    remove_next_hop_group,
                    set_next_hop_group_attribute,
                    get_next_hop_group_attribute
                ),
            ));
            objs.push((
                ObjectType::NextHopGroupMember,
                obj_fns!(
                    t,
                    create_next_hop_group_member,
                    remove_next_hop_group_member,
                    set_next_hop_group_member_attribute,
                    get_next_hop_group_member_attribute
                ),
            ));
        }
        self.apis.objs = objs;
        self.apis.route = raw::query_api(&self.core, s::SAI_API_ROUTE).ok();
        self.apis.neighbor = raw::query_api(&self.core, s::SAI_API_NEIGHBOR).ok();
        Ok(())
    }

    fn fns(&self, ot: ObjectType) -> ObjFns {
        self.apis
            .objs
            .iter()
            .find(|(t, _)| *t == ot)
            .map(|(_, f)| *f)
            .unwrap_or_default()
    }

    fn missing(op: String) -> SaiError {
        SaiError {
            op,
            status: s::SAI_STATUS_NOT_IMPLEMENTED,
        }
    }

    /// The switch created by [`Sai::create_switch`] (0 before).
    pub fn switch_id(&self) -> Oid {
        self.switch
    }

    /// The attributes syncd passes on a cold start: INIT_SWITCH, SRC_MAC_ADDRESS and the
    /// notification callbacks (port state change, shutdown request) of this crate.
    pub fn switch_init_attrs(src_mac: [u8; 6]) -> Vec<Attr> {
        vec![
            Attr::new(s::SAI_SWITCH_ATTR_INIT_SWITCH, Value::Bool(true)),
            Attr::new(s::SAI_SWITCH_ATTR_SRC_MAC_ADDRESS, Value::Mac(src_mac)),
            Attr::new(
                s::SAI_SWITCH_ATTR_PORT_STATE_CHANGE_NOTIFY,
                Value::Pointer(raw::on_port_state_change as *const () as usize),
            ),
            Attr::new(
                s::SAI_SWITCH_ATTR_SWITCH_SHUTDOWN_REQUEST_NOTIFY,
                Value::Pointer(raw::on_shutdown_request as *const () as usize),
            ),
        ]
    }

    /// create_switch.
    pub fn create_switch(&mut self, attrs: &[Attr]) -> Result<Oid, SaiError> {
        let f = self
            .apis
            .create_switch
            .ok_or_else(|| Self::missing("create_switch".into()))?;
        let c = to_c(attrs)?;
        let (st, oid) = raw::create_switch(f, &c.raw);
        check(|| "create_switch".into(), st)?;
        self.switch = oid;
        Ok(oid)
    }

    /// remove_switch.
    pub fn remove_switch(&mut self) -> Result<(), SaiError> {
        let f = self
            .apis
            .remove_switch
            .ok_or_else(|| Self::missing("remove_switch".into()))?;
        check(|| "remove_switch".into(), raw::remove(f, self.switch))?;
        self.switch = 0;
        Ok(())
    }

    /// set_switch_attribute.
    pub fn set_switch(&self, attr: &Attr) -> Result<(), SaiError> {
        let f = self
            .apis
            .set_switch
            .ok_or_else(|| Self::missing("set_switch_attribute".into()))?;
        let c = to_c(std::slice::from_ref(attr))?;
        check(
            || format!("set_switch_attribute({})", attr.id),
            raw::set(f, self.switch, &c.raw[0]),
        )
    }

    /// get_switch_attribute.
    pub fn get_switch(&self, id: u32, kind: Kind) -> Result<Value, SaiError> {
        let f = self
            .apis
            .get_switch
            .ok_or_else(|| Self::missing("get_switch_attribute".into()))?;
        self.get_with(|attrs| raw::get(f, self.switch, attrs), "switch", id, kind)
    }

    /// Creates an object of type `ot` on the switch.
    pub fn create(&self, ot: ObjectType, attrs: &[Attr]) -> Result<Oid, SaiError> {
        let f = self
            .fns(ot)
            .create
            .ok_or_else(|| Self::missing(format!("create {ot:?}")))?;
        let c = to_c(attrs)?;
        let (st, oid) = raw::create(f, self.switch, &c.raw);
        check(|| format!("create {ot:?}"), st)?;
        Ok(oid)
    }

    /// Removes an object.
    pub fn remove(&self, ot: ObjectType, oid: Oid) -> Result<(), SaiError> {
        let f = self
            .fns(ot)
            .remove
            .ok_or_else(|| Self::missing(format!("remove {ot:?}")))?;
        check(|| format!("remove {ot:?} 0x{oid:x}"), raw::remove(f, oid))
    }

    /// Sets one attribute of an object.
    pub fn set(&self, ot: ObjectType, oid: Oid, attr: &Attr) -> Result<(), SaiError> {
        let f = self
            .fns(ot)
            .set
            .ok_or_else(|| Self::missing(format!("set {ot:?}")))?;
        let c = to_c(std::slice::from_ref(attr))?;
        check(
            || format!("set {ot:?} 0x{oid:x} attr {}", attr.id),
            raw::set(f, oid, &c.raw[0]),
        )
    }

    /// Gets one attribute of an object.
    pub fn get(&self, ot: ObjectType, oid: Oid, id: u32, kind: Kind) -> Result<Value, SaiError> {
        let f = self
            .fns(ot)
            .get
            .ok_or_else(|| Self::missing(format!("get {ot:?}")))?;
        self.get_with(
            |attrs| raw::get(f, oid, attrs),
            &format!("{ot:?}"),
            id,
            kind,
        )
    }

    fn get_with(
        &self,
        call: impl Fn(&mut [s::sai_attribute_t]) -> i32,
        what: &str,
        id: u32,
        kind: Kind,
    ) -> Result<Value, SaiError> {
        let mut cap = 1024usize;
        loop {
            let mut oids = vec![0 as Oid; if kind == Kind::OidList { cap } else { 0 }];
            let mut u32s = vec![0u32; if kind == Kind::U32List { cap } else { 0 }];
            let value = match kind {
                Kind::OidList => s::sai_attribute_value_t {
                    objlist: s::sai_object_list_t {
                        count: u32::try_from(cap).unwrap_or(u32::MAX),
                        list: oids.as_mut_ptr(),
                    },
                },
                Kind::U32List => s::sai_attribute_value_t {
                    u32list: s::sai_u32_list_t {
                        count: u32::try_from(cap).unwrap_or(u32::MAX),
                        list: u32s.as_mut_ptr(),
                    },
                },
                _ => s::sai_attribute_value_t { u64: 0 },
            };
            let mut a = [s::sai_attribute_t { id, value }];
            let st = call(&mut a);
            if st == s::SAI_STATUS_BUFFER_OVERFLOW && cap < (1 << 20) {
                cap = usize::try_from(raw_list_count(&a[0].value, kind))
                    .unwrap_or(cap * 2)
                    .max(cap * 2);
                continue;
            }
            check(|| format!("get {what} attr {id}"), st)?;
            return Ok(read_value(&a[0].value, kind, oids, u32s));
        }
    }

    /// sai_object_type_query.
    pub fn object_type_of(&self, oid: Oid) -> Option<u32> {
        raw::object_type_query(&self.core, oid)
    }

    fn route_c(&self, e: &RouteEntry) -> Result<s::sai_route_entry_t, SaiError> {
        Ok(s::sai_route_entry_t {
            switch_id: self.switch,
            vr_id: e.vr,
            destination: prefix_to_c(e.addr, e.len)?,
        })
    }

    fn route_api(&self) -> Result<s::sai_route_api_t, SaiError> {
        self.apis
            .route
            .ok_or_else(|| Self::missing("route api".into()))
    }

    /// create_route_entry.
    pub fn create_route(&self, e: &RouteEntry, attrs: &[Attr]) -> Result<(), SaiError> {
        let f = self
            .route_api()?
            .create_route_entry
            .ok_or_else(|| Self::missing("create_route_entry".into()))?;
        let c = to_c(attrs)?;
        let k = self.route_c(e)?;
        check(
            || format!("create_route_entry {}/{}", e.addr, e.len),
            raw::entry_create(f, &k, &c.raw),
        )
    }

    /// remove_route_entry.
    pub fn remove_route(&self, e: &RouteEntry) -> Result<(), SaiError> {
        let f = self
            .route_api()?
            .remove_route_entry
            .ok_or_else(|| Self::missing("remove_route_entry".into()))?;
        let k = self.route_c(e)?;
        check(
            || format!("remove_route_entry {}/{}", e.addr, e.len),
            raw::entry_remove(f, &k),
        )
    }

    /// set_route_entry_attribute.
    pub fn set_route(&self, e: &RouteEntry, attr: &Attr) -> Result<(), SaiError> {
        let f = self
            .route_api()?
            .set_route_entry_attribute
            .ok_or_else(|| Self::missing("set_route_entry_attribute".into()))?;
        let k = self.route_c(e)?;
        let c = to_c(std::slice::from_ref(attr))?;
        check(
            || {
                format!(
                    "set_route_entry_attribute {}/{} attr {}",
                    e.addr, e.len, attr.id
                )
            },
            raw::entry_set(f, &k, &c.raw[0]),
        )
    }

    /// get_route_entry_attribute.
    pub fn get_route(&self, e: &RouteEntry, id: u32, kind: Kind) -> Result<Value, SaiError> {
        let f = self
            .route_api()?
            .get_route_entry_attribute
            .ok_or_else(|| Self::missing("get_route_entry_attribute".into()))?;
        let k = self.route_c(e)?;
        self.get_with(|a| raw::entry_get(f, &k, a), "route", id, kind)
    }

    /// Bulk create (`create_route_entries`, mode IGNORE_ERROR); falls back to single creates when
    /// the library has no bulk entry point. One result per entry.
    pub fn create_routes(&self, routes: &[(RouteEntry, Vec<Attr>)]) -> Vec<Result<(), SaiError>> {
        let bulk = self.route_api().ok().and_then(|t| t.create_route_entries);
        let Some(f) = bulk else {
            return routes
                .iter()
                .map(|(e, a)| self.create_route(e, a))
                .collect();
        };
        let mut keys = Vec::with_capacity(routes.len());
        let mut cs = Vec::with_capacity(routes.len());
        for (e, a) in routes {
            match (self.route_c(e), to_c(a)) {
                (Ok(k), Ok(c)) => {
                    keys.push(k);
                    cs.push(c);
                }
                (Err(err), _) | (_, Err(err)) => {
                    // one bad key: do them singly so each gets its own answer
                    let _ = err;
                    return routes
                        .iter()
                        .map(|(e, a)| self.create_route(e, a))
                        .collect();
                }
            }
        }
        let counts: Vec<u32> = cs
            .iter()
            .map(|c| u32::try_from(c.raw.len()).unwrap_or(u32::MAX))
            .collect();
        let mut lists: Vec<*const s::sai_attribute_t> = cs.iter().map(|c| c.raw.as_ptr()).collect();
        let mut st = vec![s::SAI_STATUS_NOT_EXECUTED; routes.len()];
        let overall = raw::bulk_route_create(
            f,
            &keys,
            &counts,
            &mut lists,
            &mut st,
            s::SAI_BULK_OP_ERROR_MODE_IGNORE_ERROR,
        );
        if overall == s::SAI_STATUS_NOT_IMPLEMENTED || overall == s::SAI_STATUS_NOT_SUPPORTED {
            return routes
                .iter()
                .map(|(e, a)| self.create_route(e, a))
                .collect();
        }
        routes
            .iter()
            .zip(st)
            .map(|((e, _), st)| check(|| format!("create_route_entries {}/{}", e.addr, e.len), st))
            .collect()
    }

    /// Bulk remove (`remove_route_entries`), with the same fallback as [`Sai::create_routes`].
    pub fn remove_routes(&self, routes: &[RouteEntry]) -> Vec<Result<(), SaiError>> {
        let bulk = self.route_api().ok().and_then(|t| t.remove_route_entries);
        let keys: Result<Vec<_>, _> = routes.iter().map(|e| self.route_c(e)).collect();
        let (Some(f), Ok(keys)) = (bulk, keys) else {
            return routes.iter().map(|e| self.remove_route(e)).collect();
        };
        let mut st = vec![s::SAI_STATUS_NOT_EXECUTED; routes.len()];
        let overall =
            raw::bulk_route_remove(f, &keys, &mut st, s::SAI_BULK_OP_ERROR_MODE_IGNORE_ERROR);
        if overall == s::SAI_STATUS_NOT_IMPLEMENTED || overall == s::SAI_STATUS_NOT_SUPPORTED {
            return routes.iter().map(|e| self.remove_route(e)).collect();
        }
        routes
            .iter()
            .zip(st)
            .map(|(e, st)| check(|| format!("remove_route_entries {}/{}", e.addr, e.len), st))
            .collect()
    }

    fn neigh_c(&self, e: &NeighborEntry) -> raw::NeighborEntry {
        s::sai_neighbor_entry_t {
            switch_id: self.switch,
            rif_id: e.rif,
            ip_address: ip_to_c(e.ip),
        }
    }

    fn neigh_api(&self) -> Result<s::sai_neighbor_api_t, SaiError> {
        self.apis
            .neighbor
            .ok_or_else(|| Self::missing("neighbor api".into()))
    }

    /// create_neighbor_entry.
    pub fn create_neighbor(&self, e: &NeighborEntry, attrs: &[Attr]) -> Result<(), SaiError> {
        let f = self
            .neigh_api()?
            .create_neighbor_entry
            .ok_or_else(|| Self::missing("create_neighbor_entry".into()))?;
        let c = to_c(attrs)?;
        check(
            || format!("create_neighbor_entry {}", e.ip),
            raw::entry_create(f, &self.neigh_c(e), &c.raw),
        )
    }

    /// remove_neighbor_entry.
    pub fn remove_neighbor(&self, e: &NeighborEntry) -> Result<(), SaiError> {
        let f = self
            .neigh_api()?
            .remove_neighbor_entry
            .ok_or_else(|| Self::missing("remove_neighbor_entry".into()))?;
        check(
            || format!("remove_neighbor_entry {}", e.ip),
            raw::entry_remove(f, &self.neigh_c(e)),
        )
    }

    /// set_neighbor_entry_attribute.
    pub fn set_neighbor(&self, e: &NeighborEntry, attr: &Attr) -> Result<(), SaiError> {
        let f = self
            .neigh_api()?
            .set_neighbor_entry_attribute
            .ok_or_else(|| Self::missing("set_neighbor_entry_attribute".into()))?;
        let c = to_c(std::slice::from_ref(attr))?;
        check(
            || format!("set_neighbor_entry_attribute {}", e.ip),
            raw::entry_set(f, &self.neigh_c(e), &c.raw[0]),
        )
    }

    /// get_neighbor_entry_attribute.
    pub fn get_neighbor(&self, e: &NeighborEntry, id: u32, kind: Kind) -> Result<Value, SaiError> {
        let f = self
            .neigh_api()?
            .get_neighbor_entry_attribute
            .ok_or_else(|| Self::missing("get_neighbor_entry_attribute".into()))?;
        let k = self.neigh_c(e);
        self.get_with(|a| raw::entry_get(f, &k, a), "neighbor", id, kind)
    }

    /// Port oper-status notifications received so far (port oid, sai_port_oper_status_t).
    pub fn take_port_events() -> Vec<(Oid, i32)> {
        std::mem::take(
            &mut *raw::PORT_EVENTS
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// Shutdown requests received so far.
    pub fn take_shutdown_requests() -> Vec<Oid> {
        std::mem::take(
            &mut *raw::SHUTDOWN_REQUESTS
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }
}

impl Drop for Sai {
    fn drop(&mut self) {
        if self.initialized {
            let _ = raw::uninitialize(&self.core);
            self.initialized = false;
        }
    }
}

fn raw_list_count(v: &s::sai_attribute_value_t, kind: Kind) -> u32 {
    raw::list_count(v, kind == Kind::OidList)
}

fn read_value(v: &s::sai_attribute_value_t, kind: Kind, oids: Vec<Oid>, u32s: Vec<u32>) -> Value {
    raw::read_value(v, kind, oids, u32s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_conversion_is_network_order() {
        let p = prefix_to_c("10.20.2.9".parse().unwrap(), 24).unwrap();
        assert_eq!(p.addr_family, s::SAI_IP_ADDR_FAMILY_IPV4);
        let c = to_c(&[Attr::new(
            1,
            Value::Prefix("10.20.2.9".parse().unwrap(), 24),
        )])
        .unwrap();
        let back = raw::read_value(&c.raw[0].value, Kind::U64, vec![], vec![]);
        // the first 8 bytes of ipprefix are {family u32, ip4 u32}
        let Value::U64(x) = back else { panic!() };
        assert_eq!(x.to_ne_bytes()[4..8], [10, 20, 2, 0]);
        assert!(prefix_to_c("10.0.0.0".parse().unwrap(), 33).is_err());
        assert!(prefix_to_c("::".parse().unwrap(), 129).is_err());
        let p6 = prefix_to_c("2001:db8::1".parse().unwrap(), 64).unwrap();
        assert_eq!(p6.addr_family, s::SAI_IP_ADDR_FAMILY_IPV6);
    }

    #[test]
    fn attr_conversion_keeps_lists_alive_and_rejects_long_names() {
        let c = to_c(&[
            Attr::new(7, Value::OidList(vec![1, 2, 3])),
            Attr::new(8, Value::Chars("Ethernet0".into())),
        ])
        .unwrap();
        let v = raw::read_value(&c.raw[0].value, Kind::OidList, vec![1, 2, 3], vec![]);
        assert_eq!(v, Value::OidList(vec![1, 2, 3]));
        let v = raw::read_value(&c.raw[1].value, Kind::Chars, vec![], vec![]);
        assert_eq!(v, Value::Chars("Ethernet0".into()));
        assert!(to_c(&[Attr::new(8, Value::Chars("x".repeat(32)))]).is_err());
    }

    #[test]
    fn load_missing_library_is_an_error() {
        let e = Sai::load(Path::new("/nonexistent/libsai.so"), &[]).unwrap_err();
        assert!(e.op.contains("dlopen"), "{e}");
        assert_eq!(status_name(-15), "SAI_STATUS_NOT_IMPLEMENTED");
        assert_eq!(status_name(-0x0001_0002), "SAI_STATUS_INVALID_ATTRIBUTE");
    }
}
