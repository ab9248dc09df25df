//! Message layouts: the 64-byte [`Record`] every ring carries, the `#[repr(C)]` payloads, and the
//! typed [`Command`], [`Completion`] and [`Event`] with checked encode/decode.
//!
//! A record is a fixed header (sequence number, the generation pair it belongs to, kind) and a
//! 40-byte payload whose layout depends on the kind. Decoding trusts nothing: the kind, the
//! reserved bytes, every enum and boolean byte, every length and address family, and every id
//! (against [`Limits`]) is checked, and the first bad field is named in the [`DecodeError`].

use crate::shm::{read_pod, write_pod, Pod};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Bytes of payload in a [`Record`].
pub const PAYLOAD_BYTES: usize = 40;

/// One ring slot: 64 bytes, one cache line.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// Commands: the library's sequence number. Completions: the sequence number of the command
    /// answered. Events: the forwarder's event sequence number.
    pub seq: u64,
    /// Library generation this record belongs to (see the restart protocol).
    pub lib_gen: u32,
    /// Forwarder generation this record belongs to.
    pub fwd_gen: u32,
    /// A [`Kind`] value.
    pub kind: u16,
    /// Reserved, must be zero.
    pub flags: u16,
    /// Reserved, must be zero.
    pub reserved: u32,
    /// Kind-specific payload; bytes past the payload struct must be zero.
    pub payload: [u8; PAYLOAD_BYTES],
}

impl Default for Record {
    fn default() -> Self {
        Record::zeroed()
    }
}

/// Record kinds. Commands travel library -> forwarder, completions and events the other way.
#[repr(u16)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Create or update a port ([`PortPayload`]).
    PortSet = 1,
    /// Remove a port ([`IdPayload`]).
    PortDel = 2,
    /// Create a VRF ([`IdPayload`]).
    VrfAdd = 3,
    /// Remove a VRF ([`IdPayload`]).
    VrfDel = 4,
    /// Create a router interface ([`RifPayload`]).
    RifAdd = 5,
    /// Update a router interface ([`RifPayload`]).
    RifSet = 6,
    /// Remove a router interface ([`IdPayload`]).
    RifDel = 7,
    /// Create or update a neighbor ([`NeighborPayload`]).
    NeighborAdd = 8,
    /// Remove a neighbor ([`NeighborPayload`], mac ignored and zero).
    NeighborDel = 9,
    /// Create a next hop ([`NextHopPayload`]).
    NextHopAdd = 10,
    /// Remove a next hop ([`IdPayload`]).
    NextHopDel = 11,
    /// Create a next-hop group ([`IdPayload`]).
    NhGroupAdd = 12,
    /// Remove a next-hop group ([`IdPayload`]).
    NhGroupDel = 13,
    /// Add a member to a group ([`NhGroupMemberPayload`]).
    NhGroupMemberAdd = 14,
    /// Remove a member from a group ([`NhGroupMemberPayload`], weight zero).
    NhGroupMemberDel = 15,
    /// Add or replace an IPv4 route ([`RoutePayload`]).
    RouteAddV4 = 16,
    /// Remove an IPv4 route ([`RoutePayload`], action and target zero).
    RouteDelV4 = 17,
    /// Add or replace an IPv6 route ([`RoutePayload`]).
    RouteAddV6 = 18,
    /// Remove an IPv6 route ([`RoutePayload`], action and target zero).
    RouteDelV6 = 19,
    /// Create a host interface ([`HostifPayload`]).
    HostifAdd = 20,
    /// Remove a host interface ([`IdPayload`]).
    HostifDel = 21,
    /// Set a host interface's oper status ([`HostifPayload`], name zero).
    HostifOper = 22,
    /// Set a trap ([`TrapPayload`]).
    TrapSet = 23,
    /// Create a VLAN ([`IdPayload`], id = VLAN id).
    VlanAdd = 24,
    /// Remove a VLAN ([`IdPayload`]).
    VlanDel = 25,
    /// Add a VLAN member ([`VlanMemberPayload`]).
    VlanMemberAdd = 26,
    /// Remove a VLAN member ([`VlanMemberPayload`]).
    VlanMemberDel = 27,
    /// Create a bridge port ([`BridgePortPayload`]).
    BridgePortAdd = 28,
    /// Remove a bridge port ([`IdPayload`]).
    BridgePortDel = 29,
    /// Add a static FDB entry ([`FdbPayload`]).
    FdbAdd = 30,
    /// Remove an FDB entry ([`FdbPayload`]).
    FdbDel = 31,
    /// Flush everything programmed by library generation `id` or older ([`IdPayload`]).
    Flush = 32,
    /// Barrier: completed after every earlier command ([`TokenPayload`]).
    Barrier = 33,
    /// Completion of a command ([`CompletionPayload`]).
    Completion = 0x100,
    /// Link state change ([`LinkPayload`]).
    LinkEvent = 0x200,
    /// FDB entry learnt ([`FdbPayload`]).
    FdbLearn = 0x201,
    /// FDB entry aged out ([`FdbPayload`]).
    FdbAge = 0x202,
    /// The forwarder is stopping ([`IdPayload`], id = reason code).
    ForwarderStopping = 0x203,
}

impl Kind {
    /// Every kind, for tables and tests.
    pub const ALL: [Kind; 38] = [
        Kind::PortSet,
        Kind::PortDel,
        Kind::VrfAdd,
        Kind::VrfDel,
        Kind::RifAdd,
        Kind::RifSet,
        Kind::RifDel,
        Kind::NeighborAdd,
        Kind::NeighborDel,
        Kind::NextHopAdd,
        Kind::NextHopDel,
        Kind::NhGroupAdd,
        Kind::NhGroupDel,
        Kind::NhGroupMemberAdd,
        Kind::NhGroupMemberDel,
        Kind::RouteAddV4,
        Kind::RouteDelV4,
        Kind::RouteAddV6,
        Kind::RouteDelV6,
        Kind::HostifAdd,
        Kind::HostifDel,
        Kind::HostifOper,
        Kind::TrapSet,
        Kind::VlanAdd,
        Kind::VlanDel,
        Kind::VlanMemberAdd,
        Kind::VlanMemberDel,
        Kind::BridgePortAdd,
        Kind::BridgePortDel,
        Kind::FdbAdd,
        Kind::FdbDel,
        Kind::Flush,
        Kind::Barrier,
        Kind::Completion,
        Kind::LinkEvent,
        Kind::FdbLearn,
        Kind::FdbAge,
        Kind::ForwarderStopping,
    ];

    /// Decodes a kind tag.
    #[inline]
    pub fn from_u16(v: u16) -> Option<Kind> {
        let k = match v {
            1..=33 => Kind::ALL[usize::from(v) - 1],
            0x100 => Kind::Completion,
            0x200..=0x203 => Kind::ALL[usize::from(v - 0x200) + 34],
            _ => return None,
        };
        debug_assert_eq!(k as u16, v);
        Some(k)
    }

    /// Is this a command (library -> forwarder)?
    pub fn is_command(self) -> bool {
        (self as u16) < 0x100
    }

    /// Is this an event (forwarder -> library, unsolicited)?
    pub fn is_event(self) -> bool {
        (self as u16) >= 0x200
    }
}

/// A payload naming one object (or a generation, VLAN id or reason code, see [`Kind`]).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IdPayload {
    /// The id.
    pub id: u32,
}

/// Barrier token.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenPayload {
    /// Opaque token echoed in the completion's object id.
    pub token: u64,
}

/// Port create/set.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortPayload {
    /// Port id (the forwarder's sw_if_index space).
    pub port: u32,
    /// Speed in Mb/s.
    pub speed_mbps: u32,
    /// L2 MTU in bytes.
    pub mtu: u32,
    /// 0 or 1.
    pub admin_up: u8,
    /// Zero.
    pub pad: u8,
    /// Port MAC address.
    pub mac: [u8; 6],
}

/// Router interface add/set.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RifPayload {
    /// RIF id.
    pub rif: u32,
    /// Port id (port and sub-port RIFs), else 0.
    pub port: u32,
    /// VRF id.
    pub vrf: u32,
    /// L3 MTU.
    pub mtu: u32,
    /// VLAN id (VLAN and sub-port RIFs), else 0.
    pub vlan: u16,
    /// Source MAC.
    pub mac: [u8; 6],
    /// A [`RifType`] value.
    pub rif_type: u8,
    /// 0 or 1.
    pub v4_admin: u8,
    /// 0 or 1.
    pub v6_admin: u8,
    /// Zero.
    pub pad: u8,
}

/// Neighbor add/del.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NeighborPayload {
    /// RIF id.
    pub rif: u32,
    /// IPv4 in the first 4 bytes (rest zero) or IPv6, network order.
    pub ip: [u8; 16],
    /// Neighbor MAC.
    pub mac: [u8; 6],
    /// 4 or 6.
    pub family: u8,
    /// Zero.
    pub pad: u8,
}

/// Next-hop add.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NextHopPayload {
    /// Next-hop id.
    pub id: u32,
    /// RIF id.
    pub rif: u32,
    /// Address as in [`NeighborPayload::ip`].
    pub ip: [u8; 16],
    /// 4 or 6.
    pub family: u8,
    /// Zero.
    pub pad: [u8; 3],
}

/// Next-hop group member add/del.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NhGroupMemberPayload {
    /// Group id.
    pub group: u32,
    /// Next-hop id.
    pub nh: u32,
    /// Weight, 1..=255 for add, 0 for del.
    pub weight: u32,
}

/// Route add/del (v4 or v6 by kind).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoutePayload {
    /// VRF id.
    pub vrf: u32,
    /// Next hop, group or RIF id, per `target_kind`; zero when none.
    pub target: u32,
    /// Prefix address, network order (IPv4 in the first 4 bytes); host bits zero.
    pub prefix: [u8; 16],
    /// Prefix length.
    pub len: u8,
    /// A [`RouteActionCode`] value.
    pub action: u8,
    /// A [`TargetKind`] value.
    pub target_kind: u8,
    /// Zero.
    pub pad: u8,
}

/// Host interface add / oper status.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostifPayload {
    /// Host interface id.
    pub id: u32,
    /// Port id it punts to and injects from.
    pub port: u32,
    /// Interface name, NUL padded, 1..=15 printable ASCII bytes.
    pub name: [u8; 16],
    /// 0 or 1.
    pub oper_up: u8,
    /// Zero.
    pub pad: [u8; 3],
}

/// Trap set.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrapPayload {
    /// SAI hostif trap type value.
    pub trap_type: u32,
    /// Trap group id.
    pub group: u32,
    /// A [`PacketAction`] value.
    pub action: u8,
    /// CPU queue.
    pub queue: u8,
    /// Zero.
    pub pad: [u8; 2],
}

/// VLAN member add/del.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VlanMemberPayload {
    /// Bridge port id.
    pub bport: u32,
    /// VLAN id 1..=4094.
    pub vlan: u16,
    /// 0 or 1.
    pub tagged: u8,
    /// Zero.
    pub pad: u8,
}

/// Bridge port add.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BridgePortPayload {
    /// Bridge port id.
    pub bport: u32,
    /// Port id.
    pub port: u32,
    /// VLAN for a sub-port bridge port, else 0.
    pub vlan: u16,
    /// Zero.
    pub pad: u16,
}

/// FDB entry (command or event).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FdbPayload {
    /// VLAN id (1..=4094) the entry lives in.
    pub vlan: u32,
    /// Bridge port id.
    pub bport: u32,
    /// MAC address.
    pub mac: [u8; 6],
    /// 0 dynamic, 1 static.
    pub is_static: u8,
    /// Zero.
    pub pad: u8,
}

/// Completion.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompletionPayload {
    /// A [`Status`] value.
    pub status: u32,
    /// Zero.
    pub pad: u32,
    /// Object id (or barrier token) the command concerned.
    pub object_id: u64,
}

/// Link event.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkPayload {
    /// Port id.
    pub port: u32,
    /// Speed in Mb/s.
    pub speed_mbps: u32,
    /// 0 down, 1 up.
    pub up: u8,
    /// Zero.
    pub pad: [u8; 3],
}

/// Upper bounds on ids the decoder accepts (ids must be `< max`). The forwarder passes its table
/// sizes; the defaults accept any id below 2^24.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Ports and bridge ports.
    pub ports: u32,
    /// Router interfaces.
    pub rifs: u32,
    /// VRFs.
    pub vrfs: u32,
    /// Next hops.
    pub next_hops: u32,
    /// Next-hop groups.
    pub groups: u32,
    /// Host interfaces and trap groups.
    pub hostifs: u32,
}

impl Default for Limits {
    fn default() -> Self {
        let m = 1 << 24;
        Limits {
            ports: m,
            rifs: m,
            vrfs: m,
            next_hops: m,
            groups: m,
            hostifs: m,
        }
    }
}

/// Why a record was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The kind tag is not a known [`Kind`].
    UnknownKind(u16),
    /// A known kind on the wrong ring (e.g. an event on the command ring).
    WrongRing(Kind),
    /// A field has a value that is not allowed; names the field.
    Field {
        /// Record kind.
        kind: Kind,
        /// Field name.
        field: &'static str,
        /// The offending value (truncated to 64 bits for addresses).
        value: u64,
    },
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::UnknownKind(k) => write!(f, "unknown record kind {k:#x}"),
            DecodeError::WrongRing(k) => write!(f, "record kind {k:?} on the wrong ring"),
            DecodeError::Field { kind, field, value } => {
                write!(f, "{kind:?}: bad field {field} = {value:#x}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Router interface types (SAI_ROUTER_INTERFACE_TYPE_*).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RifType {
    /// On a port.
    Port = 0,
    /// On a VLAN.
    Vlan = 1,
    /// Loopback.
    Loopback = 2,
    /// On a port + VLAN tag.
    SubPort = 3,
}

/// Packet actions (SAI_PACKET_ACTION_* numbering).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketAction {
    /// Drop.
    Drop = 0,
    /// Forward.
    Forward = 1,
    /// Copy to CPU and forward.
    Copy = 2,
    /// Cancel copy.
    CopyCancel = 3,
    /// Send to CPU, do not forward.
    Trap = 4,
    /// Log (copy) and forward.
    Log = 5,
    /// Deny.
    Deny = 6,
    /// Transit.
    Transit = 7,
}

/// Route action codes in [`RoutePayload::action`].
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteActionCode {
    /// Forward to a next hop or group.
    Forward = 0,
    /// Drop.
    Drop = 1,
    /// Punt to the host.
    Trap = 2,
    /// Addressed to us (ip2me).
    Local = 3,
    /// Directly connected subnet on a RIF (glean).
    Connected = 4,
}

/// Target kinds in [`RoutePayload::target_kind`].
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// No target.
    None = 0,
    /// A next hop.
    NextHop = 1,
    /// A next-hop group.
    Group = 2,
    /// A router interface.
    Rif = 3,
}

/// Completion status.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Applied.
    Ok = 0,
    /// A forwarder table is full.
    TableFull = 1,
    /// The object does not exist.
    NotFound = 2,
    /// The command was rejected (bad record or bad reference).
    Invalid = 3,
    /// The forwarder does not implement this.
    Unsupported = 4,
    /// The object already exists.
    Exists = 5,
}

impl Status {
    fn from_u32(v: u32) -> Option<Status> {
        [
            Status::Ok,
            Status::TableFull,
            Status::NotFound,
            Status::Invalid,
            Status::Unsupported,
            Status::Exists,
        ]
        .into_iter()
        .find(|s| *s as u32 == v)
    }
}

/// An IP prefix with its host bits zero (kept as integers: cheap to build, compare and copy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Prefix {
    /// Address bits; an IPv4 address in the low 32 bits.
    bits: u128,
    len: u8,
    v6: bool,
}

impl Prefix {
    /// A prefix; `None` if `len` is too long for the family or host bits are set.
    pub fn new(addr: IpAddr, len: u8) -> Option<Prefix> {
        match addr {
            IpAddr::V4(a) => Self::v4(u32::from(a), len),
            IpAddr::V6(a) => Self::v6(u128::from(a), len),
        }
    }

    /// An IPv4 prefix from the address as a host-order integer.
    #[inline]
    pub fn v4(a: u32, len: u8) -> Option<Prefix> {
        let ok = len <= 32 && (len == 32 || a & (u32::MAX >> len) == 0);
        ok.then_some(Prefix {
            bits: u128::from(a),
            len,
            v6: false,
        })
    }

    /// An IPv6 prefix from the address as a host-order integer.
    #[inline]
    pub fn v6(a: u128, len: u8) -> Option<Prefix> {
        let ok = len <= 128 && (len == 128 || a & (u128::MAX >> len) == 0);
        ok.then_some(Prefix {
            bits: a,
            len,
            v6: true,
        })
    }

    /// Address.
    pub fn addr(&self) -> IpAddr {
        if self.v6 {
            IpAddr::V6(Ipv6Addr::from(self.bits))
        } else {
            IpAddr::V4(Ipv4Addr::from(u32::try_from(self.bits).unwrap_or(0)))
        }
    }

    /// Is this an IPv6 prefix?
    pub fn is_v6(&self) -> bool {
        self.v6
    }

    /// Address bits (an IPv4 address in the low 32 bits).
    pub fn bits(&self) -> u128 {
        self.bits
    }

    /// Length in bits.
    pub fn len(&self) -> u8 {
        self.len
    }

    /// Is this the default route (`/0`)?
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn bytes(&self) -> [u8; 16] {
        if self.v6 {
            return self.bits.to_be_bytes();
        }
        let mut b = [0u8; 16];
        b[..4].copy_from_slice(&u32::try_from(self.bits).unwrap_or(0).to_be_bytes());
        b
    }
}

/// What a route does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteAction {
    /// Forward via a next hop.
    NextHop(u32),
    /// Forward via a next-hop group (ECMP).
    Group(u32),
    /// Drop.
    Drop,
    /// Punt to the host.
    Trap,
    /// Local address (ip2me).
    Local,
    /// Connected subnet on a RIF (glean).
    Connected(u32),
}

/// Port configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Port {
    /// Port id.
    pub port: u32,
    /// Admin state.
    pub admin_up: bool,
    /// L2 MTU (68..=65535).
    pub mtu: u32,
    /// MAC address (unicast; all-zero keeps the port's current MAC).
    pub mac: [u8; 6],
    /// Speed in Mb/s.
    pub speed_mbps: u32,
}

/// Router interface configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rif {
    /// RIF id.
    pub rif: u32,
    /// Type.
    pub rif_type: RifType,
    /// Port id (port and sub-port types), else 0.
    pub port: u32,
    /// VLAN id (VLAN and sub-port types), else 0.
    pub vlan: u16,
    /// Source MAC.
    pub mac: [u8; 6],
    /// L3 MTU (68..=65535).
    pub mtu: u32,
    /// VRF id.
    pub vrf: u32,
    /// IPv4 admin state.
    pub v4_admin: bool,
    /// IPv6 admin state.
    pub v6_admin: bool,
}

/// Host interface name: 1..=15 printable ASCII bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostifName([u8; 16]);

impl HostifName {
    /// A name; `None` unless 1..=15 printable ASCII characters.
    pub fn new(name: &str) -> Option<HostifName> {
        let b = name.as_bytes();
        if b.is_empty() || b.len() > 15 || !b.iter().all(u8::is_ascii_graphic) {
            return None;
        }
        let mut out = [0u8; 16];
        out[..b.len()].copy_from_slice(b);
        Some(HostifName(out))
    }

    fn from_bytes(b: [u8; 16]) -> Option<HostifName> {
        let n = b.iter().position(|&c| c == 0)?;
        (n > 0 && b[..n].iter().all(u8::is_ascii_graphic) && b[n..].iter().all(|&c| c == 0))
            .then_some(HostifName(b))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        let n = self.0.iter().position(|&c| c == 0).unwrap_or(16);
        std::str::from_utf8(&self.0[..n]).unwrap_or("")
    }
}

/// A command (library -> forwarder).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Create or update a port.
    PortSet(Port),
    /// Remove a port.
    PortDel(u32),
    /// Create a VRF.
    VrfAdd(u32),
    /// Remove a VRF.
    VrfDel(u32),
    /// Create a router interface.
    RifAdd(Rif),
    /// Update a router interface.
    RifSet(Rif),
    /// Remove a router interface.
    RifDel(u32),
    /// Create or update a neighbor.
    NeighborAdd {
        /// RIF id.
        rif: u32,
        /// Address.
        ip: IpAddr,
        /// MAC address.
        mac: [u8; 6],
    },
    /// Remove a neighbor.
    NeighborDel {
        /// RIF id.
        rif: u32,
        /// Address.
        ip: IpAddr,
    },
    /// Create a next hop.
    NextHopAdd {
        /// Next-hop id.
        id: u32,
        /// Address.
        ip: IpAddr,
        /// RIF id.
        rif: u32,
    },
    /// Remove a next hop.
    NextHopDel(u32),
    /// Create a next-hop group.
    NhGroupAdd(u32),
    /// Remove a next-hop group.
    NhGroupDel(u32),
    /// Add a group member.
    NhGroupMemberAdd {
        /// Group id.
        group: u32,
        /// Next-hop id.
        nh: u32,
        /// Weight 1..=255.
        weight: u32,
    },
    /// Remove a group member.
    NhGroupMemberDel {
        /// Group id.
        group: u32,
        /// Next-hop id.
        nh: u32,
    },
    /// Add or replace a route.
    RouteAdd {
        /// VRF id.
        vrf: u32,
        /// Prefix.
        prefix: Prefix,
        /// Action.
        action: RouteAction,
    },
    /// Remove a route.
    RouteDel {
        /// VRF id.
        vrf: u32,
        /// Prefix.
        prefix: Prefix,
    },
    /// Create a host interface.
    HostifAdd {
        /// Host interface id.
        id: u32,
        /// Port id.
        port: u32,
        /// Interface name.
        name: HostifName,
        /// Oper status.
        oper_up: bool,
    },
    /// Remove a host interface.
    HostifDel(u32),
    /// Set a host interface's oper status.
    HostifOper {
        /// Host interface id.
        id: u32,
        /// Oper status.
        oper_up: bool,
    },
    /// Set a trap.
    TrapSet {
        /// SAI trap type.
        trap_type: u32,
        /// Action.
        action: PacketAction,
        /// Trap group id.
        group: u32,
        /// CPU queue.
        queue: u8,
    },
    /// Create a VLAN (1..=4094).
    VlanAdd(u16),
    /// Remove a VLAN.
    VlanDel(u16),
    /// Add a VLAN member.
    VlanMemberAdd {
        /// VLAN id.
        vlan: u16,
        /// Bridge port id.
        bport: u32,
        /// Tagged member.
        tagged: bool,
    },
    /// Remove a VLAN member.
    VlanMemberDel {
        /// VLAN id.
        vlan: u16,
        /// Bridge port id.
        bport: u32,
    },
    /// Create a bridge port.
    BridgePortAdd {
        /// Bridge port id.
        bport: u32,
        /// Port id.
        port: u32,
        /// VLAN (sub-port), or 0.
        vlan: u16,
    },
    /// Remove a bridge port.
    BridgePortDel(u32),
    /// Add a static FDB entry.
    FdbAdd(Fdb),
    /// Remove an FDB entry.
    FdbDel(Fdb),
    /// Flush everything programmed by this library generation or older.
    Flush(u32),
    /// Barrier; completed (with `object_id = token`) after every earlier command.
    Barrier(u64),
}

/// An FDB entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fdb {
    /// VLAN id.
    pub vlan: u16,
    /// Bridge port id.
    pub bport: u32,
    /// MAC address.
    pub mac: [u8; 6],
    /// Static entry.
    pub is_static: bool,
}

/// A completion (forwarder -> library).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completion {
    /// Sequence number of the command.
    pub seq: u64,
    /// Result.
    pub status: Status,
    /// Object id (or barrier token).
    pub object_id: u64,
}

/// An event (forwarder -> library).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Link state changed.
    Link {
        /// Port id.
        port: u32,
        /// Up?
        up: bool,
        /// Speed in Mb/s.
        speed_mbps: u32,
    },
    /// FDB entry learnt.
    FdbLearn(Fdb),
    /// FDB entry aged out.
    FdbAge(Fdb),
    /// The forwarder is stopping (reason code).
    ForwarderStopping(u32),
}

#[inline]
fn record_into<P: Pod>(out: &mut Record, kind: Kind, p: &P) {
    out.kind = kind as u16;
    out.flags = 0;
    out.reserved = 0;
    out.payload = [0; PAYLOAD_BYTES];
    let fits = write_pod(p, &mut out.payload);
    debug_assert!(fits, "payload larger than a record");
}

fn record<P: Pod>(kind: Kind, p: &P) -> Record {
    let mut r = Record::default();
    record_into(&mut r, kind, p);
    r
}

#[inline]
fn ip_bytes(ip: IpAddr) -> ([u8; 16], u8) {
    let mut b = [0u8; 16];
    match ip {
        IpAddr::V4(a) => {
            b[..4].copy_from_slice(&a.octets());
            (b, 4)
        }
        IpAddr::V6(a) => (a.octets(), 6),
    }
}

fn mac_u64(m: [u8; 6]) -> u64 {
    m.iter().fold(0, |a, &b| (a << 8) | u64::from(b))
}

/// Checked payload reader for one record.
struct Rd<'a> {
    r: &'a Record,
    kind: Kind,
}

impl Rd<'_> {
    #[cold]
    fn err(&self, field: &'static str, value: u64) -> DecodeError {
        DecodeError::Field {
            kind: self.kind,
            field,
            value,
        }
    }

    #[inline(always)]
    fn payload<P: Pod>(&self) -> Result<P, DecodeError> {
        let n = std::mem::size_of::<P>();
        let tail = self.r.payload.get(n..).unwrap_or(&[]);
        if tail.iter().fold(0u8, |acc, &b| acc | b) != 0 {
            let i = tail.iter().position(|&b| b != 0).unwrap_or(0);
            return Err(self.err("payload tail", u64::try_from(n + i).unwrap_or(u64::MAX)));
        }
        read_pod::<P>(&self.r.payload)
            .ok_or_else(|| self.err("payload size", u64::try_from(n).unwrap_or(0)))
    }

    #[inline(always)]
    fn id(&self, field: &'static str, v: u32, limit: u32) -> Result<u32, DecodeError> {
        if v < limit {
            Ok(v)
        } else {
            Err(self.err(field, u64::from(v)))
        }
    }

    #[inline(always)]
    fn flag(&self, field: &'static str, v: u8) -> Result<bool, DecodeError> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.err(field, u64::from(v))),
        }
    }

    #[inline(always)]
    fn zero(&self, field: &'static str, v: u64) -> Result<(), DecodeError> {
        if v == 0 {
            Ok(())
        } else {
            Err(self.err(field, v))
        }
    }

    fn mtu(&self, v: u32) -> Result<u32, DecodeError> {
        if (68..=65535).contains(&v) {
            Ok(v)
        } else {
            Err(self.err("mtu", u64::from(v)))
        }
    }

    fn vlan(&self, field: &'static str, v: u32, allow_zero: bool) -> Result<u16, DecodeError> {
        match u16::try_from(v) {
            Ok(0) if allow_zero => Ok(0),
            Ok(x @ 1..=4094) => Ok(x),
            _ => Err(self.err(field, u64::from(v))),
        }
    }

    /// A route prefix, checked on integers (no `IpAddr` round trips on the hot path).
    #[inline(always)]
    fn prefix(&self, v4: bool, b: [u8; 16], len: u8) -> Result<Prefix, DecodeError> {
        let bits = u128::from_be_bytes(b);
        let p = if v4 {
            if bits & (u128::MAX >> 32) != 0 {
                return Err(self.err(
                    "ip",
                    u64::try_from(bits & u128::from(u64::MAX)).unwrap_or(0),
                ));
            }
            Prefix::v4(u32::from_be_bytes([b[0], b[1], b[2], b[3]]), len)
        } else {
            Prefix::v6(bits, len)
        };
        p.ok_or_else(|| self.err("len", u64::from(len)))
    }

    #[inline]
    fn ip(&self, family: u8, b: [u8; 16]) -> Result<IpAddr, DecodeError> {
        match family {
            4 => {
                if u128::from_ne_bytes(b)
                    & u128::from_ne_bytes([
                        0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
                    ])
                    != 0
                {
                    return Err(self.err(
                        "ip",
                        u64::from_be_bytes([b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]]),
                    ));
                }
                Ok(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])))
            }
            6 => Ok(IpAddr::V6(Ipv6Addr::from(b))),
            _ => Err(self.err("family", u64::from(family))),
        }
    }

    fn mac(&self, field: &'static str, m: [u8; 6], unicast: bool) -> Result<[u8; 6], DecodeError> {
        if unicast && (m[0] & 1 == 1 || m == [0; 6]) {
            return Err(self.err(field, mac_u64(m)));
        }
        Ok(m)
    }

    fn fdb(&self, l: &Limits) -> Result<Fdb, DecodeError> {
        let p: FdbPayload = self.payload()?;
        self.zero("pad", u64::from(p.pad))?;
        Ok(Fdb {
            vlan: self.vlan("vlan", p.vlan, false)?,
            bport: self.id("bport", p.bport, l.ports)?,
            mac: self.mac("mac", p.mac, true)?,
            is_static: self.flag("is_static", p.is_static)?,
        })
    }
}

fn fdb_payload(f: &Fdb) -> FdbPayload {
    FdbPayload {
        vlan: u32::from(f.vlan),
        bport: f.bport,
        mac: f.mac,
        is_static: u8::from(f.is_static),
        pad: 0,
    }
}

#[inline]
fn check_header(r: &Record) -> Result<Kind, DecodeError> {
    let kind = Kind::from_u16(r.kind).ok_or(DecodeError::UnknownKind(r.kind))?;
    if r.flags != 0 {
        return Err(DecodeError::Field {
            kind,
            field: "flags",
            value: u64::from(r.flags),
        });
    }
    if r.reserved != 0 {
        return Err(DecodeError::Field {
            kind,
            field: "reserved",
            value: u64::from(r.reserved),
        });
    }
    Ok(kind)
}

impl Command {
    /// The record for this command (sequence number and generations zero; the sender fills them).
    pub fn encode(&self) -> Record {
        let mut r = Record::default();
        self.encode_into(&mut r);
        r
    }

    /// Writes this command's kind and payload into `out` (every byte except `seq`, `lib_gen` and
    /// `fwd_gen`, which the sender sets). Lets the sender encode straight into a ring slot.
    #[inline]
    pub fn encode_into(&self, out: &mut Record) {
        let id = |out: &mut Record, kind, id: u32| record_into(out, kind, &IdPayload { id });
        match *self {
            Command::PortSet(p) => record_into(
                out,
                Kind::PortSet,
                &PortPayload {
                    port: p.port,
                    speed_mbps: p.speed_mbps,
                    mtu: p.mtu,
                    admin_up: u8::from(p.admin_up),
                    pad: 0,
                    mac: p.mac,
                },
            ),
            Command::PortDel(v) => id(out, Kind::PortDel, v),
            Command::VrfAdd(v) => id(out, Kind::VrfAdd, v),
            Command::VrfDel(v) => id(out, Kind::VrfDel, v),
            Command::RifAdd(r) | Command::RifSet(r) => record_into(
                out,
                if matches!(self, Command::RifAdd(_)) {
                    Kind::RifAdd
                } else {
                    Kind::RifSet
                },
                &RifPayload {
                    rif: r.rif,
                    port: r.port,
                    vrf: r.vrf,
                    mtu: r.mtu,
                    vlan: r.vlan,
                    mac: r.mac,
                    rif_type: r.rif_type as u8,
                    v4_admin: u8::from(r.v4_admin),
                    v6_admin: u8::from(r.v6_admin),
                    pad: 0,
                },
            ),
            Command::RifDel(v) => id(out, Kind::RifDel, v),
            Command::NeighborAdd { rif, ip, mac } => {
                let (ip, family) = ip_bytes(ip);
                record_into(
                    out,
                    Kind::NeighborAdd,
                    &NeighborPayload {
                        rif,
                        ip,
                        mac,
                        family,
                        pad: 0,
                    },
                )
            }
            Command::NeighborDel { rif, ip } => {
                let (ip, family) = ip_bytes(ip);
                record_into(
                    out,
                    Kind::NeighborDel,
                    &NeighborPayload {
                        rif,
                        ip,
                        mac: [0; 6],
                        family,
                        pad: 0,
                    },
                )
            }
            Command::NextHopAdd { id: nh, ip, rif } => {
                let (ip, family) = ip_bytes(ip);
                record_into(
                    out,
                    Kind::NextHopAdd,
                    &NextHopPayload {
                        id: nh,
                        rif,
                        ip,
                        family,
                        pad: [0; 3],
                    },
                )
            }
            Command::NextHopDel(v) => id(out, Kind::NextHopDel, v),
            Command::NhGroupAdd(v) => id(out, Kind::NhGroupAdd, v),
            Command::NhGroupDel(v) => id(out, Kind::NhGroupDel, v),
            Command::NhGroupMemberAdd { group, nh, weight } => record_into(
                out,
                Kind::NhGroupMemberAdd,
                &NhGroupMemberPayload { group, nh, weight },
            ),
            Command::NhGroupMemberDel { group, nh } => record_into(
                out,
                Kind::NhGroupMemberDel,
                &NhGroupMemberPayload {
                    group,
                    nh,
                    weight: 0,
                },
            ),
            Command::RouteAdd {
                vrf,
                prefix,
                action,
            } => {
                let (code, tk, target) = match action {
                    RouteAction::NextHop(t) => (RouteActionCode::Forward, TargetKind::NextHop, t),
                    RouteAction::Group(t) => (RouteActionCode::Forward, TargetKind::Group, t),
                    RouteAction::Drop => (RouteActionCode::Drop, TargetKind::None, 0),
                    RouteAction::Trap => (RouteActionCode::Trap, TargetKind::None, 0),
                    RouteAction::Local => (RouteActionCode::Local, TargetKind::None, 0),
                    RouteAction::Connected(t) => (RouteActionCode::Connected, TargetKind::Rif, t),
                };
                let bytes = prefix.bytes();
                let kind = if prefix.v6 {
                    Kind::RouteAddV6
                } else {
                    Kind::RouteAddV4
                };
                record_into(
                    out,
                    kind,
                    &RoutePayload {
                        vrf,
                        target,
                        prefix: bytes,
                        len: prefix.len,
                        action: code as u8,
                        target_kind: tk as u8,
                        pad: 0,
                    },
                )
            }
            Command::RouteDel { vrf, prefix } => {
                let bytes = prefix.bytes();
                let kind = if prefix.v6 {
                    Kind::RouteDelV6
                } else {
                    Kind::RouteDelV4
                };
                record_into(
                    out,
                    kind,
                    &RoutePayload {
                        vrf,
                        prefix: bytes,
                        len: prefix.len,
                        ..RoutePayload::default()
                    },
                )
            }
            Command::HostifAdd {
                id: h,
                port,
                name,
                oper_up,
            } => record_into(
                out,
                Kind::HostifAdd,
                &HostifPayload {
                    id: h,
                    port,
                    name: name.0,
                    oper_up: u8::from(oper_up),
                    pad: [0; 3],
                },
            ),
            Command::HostifDel(v) => id(out, Kind::HostifDel, v),
            Command::HostifOper { id: h, oper_up } => record_into(
                out,
                Kind::HostifOper,
                &HostifPayload {
                    id: h,
                    oper_up: u8::from(oper_up),
                    ..HostifPayload::default()
                },
            ),
            Command::TrapSet {
                trap_type,
                action,
                group,
                queue,
            } => record_into(
                out,
                Kind::TrapSet,
                &TrapPayload {
                    trap_type,
                    group,
                    action: action as u8,
                    queue,
                    pad: [0; 2],
                },
            ),
            Command::VlanAdd(v) => id(out, Kind::VlanAdd, u32::from(v)),
            Command::VlanDel(v) => id(out, Kind::VlanDel, u32::from(v)),
            Command::VlanMemberAdd {
                vlan,
                bport,
                tagged,
            } => record_into(
                out,
                Kind::VlanMemberAdd,
                &VlanMemberPayload {
                    bport,
                    vlan,
                    tagged: u8::from(tagged),
                    pad: 0,
                },
            ),
            Command::VlanMemberDel { vlan, bport } => record_into(
                out,
                Kind::VlanMemberDel,
                &VlanMemberPayload {
                    bport,
                    vlan,
                    tagged: 0,
                    pad: 0,
                },
            ),
            Command::BridgePortAdd { bport, port, vlan } => record_into(
                out,
                Kind::BridgePortAdd,
                &BridgePortPayload {
                    bport,
                    port,
                    vlan,
                    pad: 0,
                },
            ),
            Command::BridgePortDel(v) => id(out, Kind::BridgePortDel, v),
            Command::FdbAdd(f) => record_into(out, Kind::FdbAdd, &fdb_payload(&f)),
            Command::FdbDel(f) => record_into(out, Kind::FdbDel, &fdb_payload(&f)),
            Command::Flush(g) => id(out, Kind::Flush, g),
            Command::Barrier(token) => record_into(out, Kind::Barrier, &TokenPayload { token }),
        }
    }

    /// Decodes and validates a command record (the sequence number and generations are not
    /// looked at here; the endpoint checks them).
    pub fn decode(r: &Record, l: &Limits) -> Result<Command, DecodeError> {
        let kind = check_header(r)?;
        if !kind.is_command() {
            return Err(DecodeError::WrongRing(kind));
        }
        let d = Rd { r, kind };
        let idp = |limit: u32| -> Result<u32, DecodeError> {
            let p: IdPayload = d.payload()?;
            d.id("id", p.id, limit)
        };
        Ok(match kind {
            Kind::PortSet => {
                let p: PortPayload = d.payload()?;
                d.zero("pad", u64::from(p.pad))?;
                Command::PortSet(Port {
                    port: d.id("port", p.port, l.ports)?,
                    admin_up: d.flag("admin_up", p.admin_up)?,
                    mtu: d.mtu(p.mtu)?,
                    // All-zero: keep the port's current MAC (the forwarder's tables treat it so).
                    mac: if p.mac == [0; 6] {
                        p.mac
                    } else {
                        d.mac("mac", p.mac, true)?
                    },
                    speed_mbps: p.speed_mbps,
                })
            }
            Kind::PortDel => Command::PortDel(idp(l.ports)?),
            Kind::VrfAdd => Command::VrfAdd(idp(l.vrfs)?),
            Kind::VrfDel => Command::VrfDel(idp(l.vrfs)?),
            Kind::RifAdd | Kind::RifSet => {
                let p: RifPayload = d.payload()?;
                d.zero("pad", u64::from(p.pad))?;
                let rif_type = match p.rif_type {
                    0 => RifType::Port,
                    1 => RifType::Vlan,
                    2 => RifType::Loopback,
                    3 => RifType::SubPort,
                    v => return Err(d.err("rif_type", u64::from(v))),
                };
                let (port, vlan) = match rif_type {
                    RifType::Port => {
                        d.zero("vlan", u64::from(p.vlan))?;
                        (d.id("port", p.port, l.ports)?, 0)
                    }
                    RifType::Vlan => {
                        d.zero("port", u64::from(p.port))?;
                        (0, d.vlan("vlan", u32::from(p.vlan), false)?)
                    }
                    RifType::Loopback => {
                        d.zero("port", u64::from(p.port))?;
                        d.zero("vlan", u64::from(p.vlan))?;
                        (0, 0)
                    }
                    RifType::SubPort => (
                        d.id("port", p.port, l.ports)?,
                        d.vlan("vlan", u32::from(p.vlan), false)?,
                    ),
                };
                let rif = Rif {
                    rif: d.id("rif", p.rif, l.rifs)?,
                    rif_type,
                    port,
                    vlan,
                    mac: d.mac("mac", p.mac, rif_type != RifType::Loopback)?,
                    mtu: d.mtu(p.mtu)?,
                    vrf: d.id("vrf", p.vrf, l.vrfs)?,
                    v4_admin: d.flag("v4_admin", p.v4_admin)?,
                    v6_admin: d.flag("v6_admin", p.v6_admin)?,
                };
                if kind == Kind::RifAdd {
                    Command::RifAdd(rif)
                } else {
                    Command::RifSet(rif)
                }
            }
            Kind::RifDel => Command::RifDel(idp(l.rifs)?),
            Kind::NeighborAdd | Kind::NeighborDel => {
                let p: NeighborPayload = d.payload()?;
                d.zero("pad", u64::from(p.pad))?;
                let rif = d.id("rif", p.rif, l.rifs)?;
                let ip = d.ip(p.family, p.ip)?;
                if kind == Kind::NeighborAdd {
                    Command::NeighborAdd {
                        rif,
                        ip,
                        mac: d.mac("mac", p.mac, true)?,
                    }
                } else {
                    d.zero("mac", mac_u64(p.mac))?;
                    Command::NeighborDel { rif, ip }
                }
            }
            Kind::NextHopAdd => {
                let p: NextHopPayload = d.payload()?;
                d.zero(
                    "pad",
                    u64::from(u32::from_ne_bytes([p.pad[0], p.pad[1], p.pad[2], 0])),
                )?;
                Command::NextHopAdd {
                    id: d.id("id", p.id, l.next_hops)?,
                    ip: d.ip(p.family, p.ip)?,
                    rif: d.id("rif", p.rif, l.rifs)?,
                }
            }
            Kind::NextHopDel => Command::NextHopDel(idp(l.next_hops)?),
            Kind::NhGroupAdd => Command::NhGroupAdd(idp(l.groups)?),
            Kind::NhGroupDel => Command::NhGroupDel(idp(l.groups)?),
            Kind::NhGroupMemberAdd | Kind::NhGroupMemberDel => {
                let p: NhGroupMemberPayload = d.payload()?;
                let group = d.id("group", p.group, l.groups)?;
                let nh = d.id("nh", p.nh, l.next_hops)?;
                if kind == Kind::NhGroupMemberAdd {
                    if !(1..=255).contains(&p.weight) {
                        return Err(d.err("weight", u64::from(p.weight)));
                    }
                    Command::NhGroupMemberAdd {
                        group,
                        nh,
                        weight: p.weight,
                    }
                } else {
                    d.zero("weight", u64::from(p.weight))?;
                    Command::NhGroupMemberDel { group, nh }
                }
            }
            Kind::RouteAddV4 | Kind::RouteDelV4 | Kind::RouteAddV6 | Kind::RouteDelV6 => {
                let p: RoutePayload = d.payload()?;
                d.zero("pad", u64::from(p.pad))?;
                let v4 = matches!(kind, Kind::RouteAddV4 | Kind::RouteDelV4);
                let prefix = d.prefix(v4, p.prefix, p.len)?;
                let vrf = d.id("vrf", p.vrf, l.vrfs)?;
                if matches!(kind, Kind::RouteDelV4 | Kind::RouteDelV6) {
                    d.zero("action", u64::from(p.action))?;
                    d.zero("target_kind", u64::from(p.target_kind))?;
                    d.zero("target", u64::from(p.target))?;
                    return Ok(Command::RouteDel { vrf, prefix });
                }
                let none = |d: &Rd<'_>| -> Result<(), DecodeError> {
                    d.zero("target_kind", u64::from(p.target_kind))?;
                    d.zero("target", u64::from(p.target))
                };
                let action = match (p.action, p.target_kind) {
                    (0, 1) => RouteAction::NextHop(d.id("target", p.target, l.next_hops)?),
                    (0, 2) => RouteAction::Group(d.id("target", p.target, l.groups)?),
                    (0, tk) => return Err(d.err("target_kind", u64::from(tk))),
                    (1, _) => none(&d).map(|()| RouteAction::Drop)?,
                    (2, _) => none(&d).map(|()| RouteAction::Trap)?,
                    (3, _) => none(&d).map(|()| RouteAction::Local)?,
                    (4, 3) => RouteAction::Connected(d.id("target", p.target, l.rifs)?),
                    (4, tk) => return Err(d.err("target_kind", u64::from(tk))),
                    (a, _) => return Err(d.err("action", u64::from(a))),
                };
                Command::RouteAdd {
                    vrf,
                    prefix,
                    action,
                }
            }
            Kind::HostifAdd => {
                let p: HostifPayload = d.payload()?;
                d.zero(
                    "pad",
                    u64::from(u32::from_ne_bytes([p.pad[0], p.pad[1], p.pad[2], 0])),
                )?;
                Command::HostifAdd {
                    id: d.id("id", p.id, l.hostifs)?,
                    port: d.id("port", p.port, l.ports)?,
                    name: HostifName::from_bytes(p.name)
                        .ok_or_else(|| d.err("name", u64::from(p.name[0])))?,
                    oper_up: d.flag("oper_up", p.oper_up)?,
                }
            }
            Kind::HostifDel => Command::HostifDel(idp(l.hostifs)?),
            Kind::HostifOper => {
                let p: HostifPayload = d.payload()?;
                d.zero(
                    "pad",
                    u64::from(u32::from_ne_bytes([p.pad[0], p.pad[1], p.pad[2], 0])),
                )?;
                d.zero("port", u64::from(p.port))?;
                if p.name != [0; 16] {
                    return Err(d.err("name", u64::from(p.name[0])));
                }
                Command::HostifOper {
                    id: d.id("id", p.id, l.hostifs)?,
                    oper_up: d.flag("oper_up", p.oper_up)?,
                }
            }
            Kind::TrapSet => {
                let p: TrapPayload = d.payload()?;
                d.zero("pad", u64::from(u16::from_ne_bytes(p.pad)))?;
                let action = match p.action {
                    0 => PacketAction::Drop,
                    1 => PacketAction::Forward,
                    2 => PacketAction::Copy,
                    3 => PacketAction::CopyCancel,
                    4 => PacketAction::Trap,
                    5 => PacketAction::Log,
                    6 => PacketAction::Deny,
                    7 => PacketAction::Transit,
                    v => return Err(d.err("action", u64::from(v))),
                };
                Command::TrapSet {
                    trap_type: p.trap_type,
                    action,
                    group: d.id("group", p.group, l.hostifs)?,
                    queue: p.queue,
                }
            }
            Kind::VlanAdd | Kind::VlanDel => {
                let p: IdPayload = d.payload()?;
                let v = d.vlan("id", p.id, false)?;
                if kind == Kind::VlanAdd {
                    Command::VlanAdd(v)
                } else {
                    Command::VlanDel(v)
                }
            }
            Kind::VlanMemberAdd | Kind::VlanMemberDel => {
                let p: VlanMemberPayload = d.payload()?;
                d.zero("pad", u64::from(p.pad))?;
                let vlan = d.vlan("vlan", u32::from(p.vlan), false)?;
                let bport = d.id("bport", p.bport, l.ports)?;
                let tagged = d.flag("tagged", p.tagged)?;
                if kind == Kind::VlanMemberAdd {
                    Command::VlanMemberAdd {
                        vlan,
                        bport,
                        tagged,
                    }
                } else {
                    d.zero("tagged", u64::from(p.tagged))?;
                    Command::VlanMemberDel { vlan, bport }
                }
            }
            Kind::BridgePortAdd => {
                let p: BridgePortPayload = d.payload()?;
                d.zero("pad", u64::from(p.pad))?;
                Command::BridgePortAdd {
                    bport: d.id("bport", p.bport, l.ports)?,
                    port: d.id("port", p.port, l.ports)?,
                    vlan: d.vlan("vlan", u32::from(p.vlan), true)?,
                }
            }
            Kind::BridgePortDel => Command::BridgePortDel(idp(l.ports)?),
            Kind::FdbAdd => Command::FdbAdd(d.fdb(l)?),
            Kind::FdbDel => Command::FdbDel(d.fdb(l)?),
            Kind::Flush => {
                let p: IdPayload = d.payload()?;
                Command::Flush(p.id)
            }
            Kind::Barrier => {
                let p: TokenPayload = d.payload()?;
                Command::Barrier(p.token)
            }
            Kind::Completion
            | Kind::LinkEvent
            | Kind::FdbLearn
            | Kind::FdbAge
            | Kind::ForwarderStopping => return Err(DecodeError::WrongRing(kind)),
        })
    }
}

impl Completion {
    /// Writes this completion into `out` (every byte except `lib_gen` and `fwd_gen`).
    #[inline]
    pub fn encode_into(&self, out: &mut Record) {
        record_into(
            out,
            Kind::Completion,
            &CompletionPayload {
                status: self.status as u32,
                pad: 0,
                object_id: self.object_id,
            },
        );
        out.seq = self.seq;
    }

    /// The record for this completion (generations zero; the sender fills them).
    pub fn encode(&self) -> Record {
        let mut r = Record::default();
        self.encode_into(&mut r);
        r
    }

    /// Decodes and validates a completion record.
    pub fn decode(r: &Record) -> Result<Completion, DecodeError> {
        let kind = check_header(r)?;
        if kind != Kind::Completion {
            return Err(DecodeError::WrongRing(kind));
        }
        let d = Rd { r, kind };
        let p: CompletionPayload = d.payload()?;
        d.zero("pad", u64::from(p.pad))?;
        let status =
            Status::from_u32(p.status).ok_or_else(|| d.err("status", u64::from(p.status)))?;
        Ok(Completion {
            seq: r.seq,
            status,
            object_id: p.object_id,
        })
    }
}

impl Event {
    /// The record for this event (sequence number and generations zero; the sender fills them).
    pub fn encode(&self) -> Record {
        match *self {
            Event::Link {
                port,
                up,
                speed_mbps,
            } => record(
                Kind::LinkEvent,
                &LinkPayload {
                    port,
                    speed_mbps,
                    up: u8::from(up),
                    pad: [0; 3],
                },
            ),
            Event::FdbLearn(f) => record(Kind::FdbLearn, &fdb_payload(&f)),
            Event::FdbAge(f) => record(Kind::FdbAge, &fdb_payload(&f)),
            Event::ForwarderStopping(reason) => {
                record(Kind::ForwarderStopping, &IdPayload { id: reason })
            }
        }
    }

    /// Decodes and validates an event record.
    pub fn decode(r: &Record, l: &Limits) -> Result<Event, DecodeError> {
        let kind = check_header(r)?;
        let d = Rd { r, kind };
        Ok(match kind {
            Kind::LinkEvent => {
                let p: LinkPayload = d.payload()?;
                d.zero(
                    "pad",
                    u64::from(u32::from_ne_bytes([p.pad[0], p.pad[1], p.pad[2], 0])),
                )?;
                Event::Link {
                    port: d.id("port", p.port, l.ports)?,
                    up: d.flag("up", p.up)?,
                    speed_mbps: p.speed_mbps,
                }
            }
            Kind::FdbLearn => Event::FdbLearn(d.fdb(l)?),
            Kind::FdbAge => Event::FdbAge(d.fdb(l)?),
            Kind::ForwarderStopping => Event::ForwarderStopping(d.payload::<IdPayload>()?.id),
            _ => return Err(DecodeError::WrongRing(kind)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_set_zero_mac_means_keep_multicast_is_refused() {
        let l = Limits::default();
        let p = Port {
            port: 1,
            admin_up: true,
            mtu: 1514,
            mac: [0; 6],
            speed_mbps: 0,
        };
        let r = Command::PortSet(p).encode();
        assert_eq!(Command::decode(&r, &l), Ok(Command::PortSet(p)));
        let bad = Command::PortSet(Port {
            mac: [1, 0, 0, 0, 0, 1],
            ..p
        })
        .encode();
        assert!(Command::decode(&bad, &l).is_err(), "multicast MAC");
    }

    #[test]
    fn kind_table_is_consistent() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_u16(k as u16), Some(k));
        }
        for v in [0u16, 34, 0xff, 0x101, 0x1ff, 0x204, u16::MAX] {
            assert_eq!(Kind::from_u16(v), None);
        }
    }
}
