//! `Pod` implementations for every record, payload and header type of the crate, each proven
//! padding-free at compile time by `impl_pod!` (kept here so that all `unsafe` is in `shm`).

use super::impl_pod;
use crate::msg::PAYLOAD_BYTES;

impl_pod!(crate::msg::Record {
    seq: u64,
    lib_gen: u32,
    fwd_gen: u32,
    kind: u16,
    flags: u16,
    reserved: u32,
    payload: [u8; PAYLOAD_BYTES]
});
impl_pod!(crate::msg::IdPayload { id: u32 });
impl_pod!(crate::msg::TokenPayload { token: u64 });
impl_pod!(crate::msg::PortPayload {
    port: u32,
    speed_mbps: u32,
    mtu: u32,
    admin_up: u8,
    pad: u8,
    mac: [u8; 6]
});
impl_pod!(crate::msg::RifPayload {
    rif: u32,
    port: u32,
    vrf: u32,
    mtu: u32,
    vlan: u16,
    mac: [u8; 6],
    rif_type: u8,
    v4_admin: u8,
    v6_admin: u8,
    pad: u8
});
impl_pod!(crate::msg::NeighborPayload {
    rif: u32,
    ip: [u8; 16],
    mac: [u8; 6],
    family: u8,
    pad: u8
});
impl_pod!(crate::msg::NextHopPayload {
    id: u32,
    rif: u32,
    ip: [u8; 16],
    family: u8,
    pad: [u8; 3]
});
impl_pod!(crate::msg::NhGroupMemberPayload {
    group: u32,
    nh: u32,
    weight: u32
});
impl_pod!(crate::msg::RoutePayload {
    vrf: u32,
    target: u32,
    prefix: [u8; 16],
    len: u8,
    action: u8,
    target_kind: u8,
    pad: u8
});
impl_pod!(crate::msg::HostifPayload {
    id: u32,
    port: u32,
    name: [u8; 16],
    oper_up: u8,
    pad: [u8; 3]
});
impl_pod!(crate::msg::TrapPayload {
    trap_type: u32,
    group: u32,
    action: u8,
    queue: u8,
    pad: [u8; 2]
});
impl_pod!(crate::msg::VlanMemberPayload {
    bport: u32,
    vlan: u16,
    tagged: u8,
    pad: u8
});
impl_pod!(crate::msg::BridgePortPayload {
    bport: u32,
    port: u32,
    vlan: u16,
    pad: u16
});
impl_pod!(crate::msg::FdbPayload {
    vlan: u32,
    bport: u32,
    mac: [u8; 6],
    is_static: u8,
    pad: u8
});
impl_pod!(crate::msg::CompletionPayload {
    status: u32,
    pad: u32,
    object_id: u64
});
impl_pod!(crate::msg::LinkPayload {
    port: u32,
    speed_mbps: u32,
    up: u8,
    pad: [u8; 3]
});
impl_pod!(crate::layout::SegHeader {
    magic: u64,
    layout_hash: u64,
    total_bytes: u64,
    cmd_offset: u64,
    cpl_offset: u64,
    evt_offset: u64,
    stats_offset: u64,
    stats_bytes: u64,
    layout_version: u32,
    header_bytes: u32,
    record_bytes: u32,
    cmd_capacity: u32,
    cpl_capacity: u32,
    evt_capacity: u32,
    stats_workers: u32,
    stats_ports: u32,
    stats_rifs: u32,
    stats_next_hops: u32,
    stats_errors: u32,
    pad: u32,
});
