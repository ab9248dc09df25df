//! Every valid command, completion and event survives encode -> decode unchanged, and decoding
//! arbitrary records never panics (it returns a value or a named error).

use proptest::prelude::*;
use ring_proto::msg::PAYLOAD_BYTES;
use ring_proto::{
    Command, Completion, Event, Fdb, HostifName, Limits, PacketAction, Port, Prefix, Record, Rif,
    RifType, RouteAction, Status,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const LIM: u32 = 1 << 24;

fn id() -> impl Strategy<Value = u32> {
    0..LIM
}

fn mac() -> impl Strategy<Value = [u8; 6]> {
    any::<[u8; 6]>().prop_map(|mut m| {
        m[0] &= 0xfe;
        m[5] |= 1;
        m
    })
}

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a))),
        any::<u128>().prop_map(|a| IpAddr::V6(Ipv6Addr::from(a)))
    ]
}

fn prefix() -> impl Strategy<Value = Prefix> {
    prop_oneof![
        (any::<u32>(), 0u8..=32).prop_map(|(a, l)| {
            let m = if l == 0 { 0 } else { u32::MAX << (32 - l) };
            Prefix::new(Ipv4Addr::from(a & m).into(), l).unwrap()
        }),
        (any::<u128>(), 0u8..=128).prop_map(|(a, l)| {
            let m = if l == 0 { 0 } else { u128::MAX << (128 - l) };
            Prefix::new(Ipv6Addr::from(a & m).into(), l).unwrap()
        }),
    ]
}

fn vlan() -> impl Strategy<Value = u16> {
    1u16..=4094
}

fn fdb() -> impl Strategy<Value = Fdb> {
    (vlan(), id(), mac(), any::<bool>()).prop_map(|(vlan, bport, mac, is_static)| Fdb {
        vlan,
        bport,
        mac,
        is_static,
    })
}

fn rif() -> impl Strategy<Value = Rif> {
    (
        id(),
        0u8..4,
        id(),
        vlan(),
        mac(),
        68u32..=65535,
        id(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(rif, t, port, vlan, mac, mtu, vrf, v4_admin, v6_admin)| {
            let rif_type = [
                RifType::Port,
                RifType::Vlan,
                RifType::Loopback,
                RifType::SubPort,
            ][usize::from(t)];
            let (port, vlan) = match rif_type {
                RifType::Port => (port, 0),
                RifType::Vlan => (0, vlan),
                RifType::Loopback => (0, 0),
                RifType::SubPort => (port, vlan),
            };
            Rif {
                rif,
                rif_type,
                port,
                vlan,
                mac,
                mtu,
                vrf,
                v4_admin,
                v6_admin,
            }
        })
}

fn action() -> impl Strategy<Value = RouteAction> {
    prop_oneof![
        id().prop_map(RouteAction::NextHop),
        id().prop_map(RouteAction::Group),
        Just(RouteAction::Drop),
        Just(RouteAction::Trap),
        Just(RouteAction::Local),
        id().prop_map(RouteAction::Connected),
    ]
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        (id(), any::<bool>(), 68u32..=65535, mac(), any::<u32>()).prop_map(
            |(port, admin_up, mtu, mac, speed_mbps)| Command::PortSet(Port {
                port,
                admin_up,
                mtu,
                mac,
                speed_mbps
            })
        ),
        id().prop_map(Command::PortDel),
        id().prop_map(Command::VrfAdd),
        id().prop_map(Command::VrfDel),
        rif().prop_map(Command::RifAdd),
        rif().prop_map(Command::RifSet),
        id().prop_map(Command::RifDel),
        (id(), ip(), mac()).prop_map(|(rif, ip, mac)| Command::NeighborAdd { rif, ip, mac }),
        (id(), ip()).prop_map(|(rif, ip)| Command::NeighborDel { rif, ip }),
        (id(), ip(), id()).prop_map(|(id, ip, rif)| Command::NextHopAdd { id, ip, rif }),
        id().prop_map(Command::NextHopDel),
        id().prop_map(Command::NhGroupAdd),
        id().prop_map(Command::NhGroupDel),
        (id(), id(), 1u32..=255).prop_map(|(group, nh, weight)| Command::NhGroupMemberAdd {
            group,
            nh,
            weight
        }),
        (id(), id()).prop_map(|(group, nh)| Command::NhGroupMemberDel { group, nh }),
        (id(), prefix(), action()).prop_map(|(vrf, prefix, action)| Command::RouteAdd {
            vrf,
            prefix,
            action
        }),
        (id(), prefix()).prop_map(|(vrf, prefix)| Command::RouteDel { vrf, prefix }),
        (id(), id(), "[a-zA-Z0-9_.-]{1,15}", any::<bool>()).prop_map(
            |(id, port, name, oper_up)| Command::HostifAdd {
                id,
                port,
                name: HostifName::new(&name).unwrap(),
                oper_up
            }
        ),
        id().prop_map(Command::HostifDel),
        (id(), any::<bool>()).prop_map(|(id, oper_up)| Command::HostifOper { id, oper_up }),
        (any::<u32>(), 0u8..8, id(), any::<u8>()).prop_map(|(trap_type, a, group, queue)| {
            Command::TrapSet {
                trap_type,
                action: [
                    PacketAction::Drop,
                    PacketAction::Forward,
                    PacketAction::Copy,
                    PacketAction::CopyCancel,
                    PacketAction::Trap,
                    PacketAction::Log,
                    PacketAction::Deny,
                    PacketAction::Transit,
                ][usize::from(a)],
                group,
                queue,
            }
        }),
        vlan().prop_map(Command::VlanAdd),
        vlan().prop_map(Command::VlanDel),
        (vlan(), id(), any::<bool>()).prop_map(|(vlan, bport, tagged)| Command::VlanMemberAdd {
            vlan,
            bport,
            tagged
        }),
        (vlan(), id()).prop_map(|(vlan, bport)| Command::VlanMemberDel { vlan, bport }),
        (id(), id(), prop_oneof![Just(0u16), vlan()])
            .prop_map(|(bport, port, vlan)| Command::BridgePortAdd { bport, port, vlan }),
        id().prop_map(Command::BridgePortDel),
        fdb().prop_map(Command::FdbAdd),
        fdb().prop_map(Command::FdbDel),
        any::<u32>().prop_map(Command::Flush),
        any::<u64>().prop_map(Command::Barrier),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        (id(), any::<bool>(), any::<u32>()).prop_map(|(port, up, speed_mbps)| Event::Link {
            port,
            up,
            speed_mbps
        }),
        fdb().prop_map(Event::FdbLearn),
        fdb().prop_map(Event::FdbAge),
        any::<u32>().prop_map(Event::ForwarderStopping),
    ]
}

fn raw_record() -> impl Strategy<Value = Record> {
    (
        any::<u64>(),
        prop_oneof![0u16..40, 0x100u16..0x102, 0x200u16..0x205, any::<u16>()],
        any::<[u8; PAYLOAD_BYTES]>(),
        any::<bool>(),
    )
        .prop_map(|(seq, kind, payload, clean)| Record {
            seq,
            kind,
            payload,
            flags: if clean { 0 } else { 1 },
            ..Record::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn commands_round_trip(c in command()) {
        prop_assert_eq!(Command::decode(&c.encode(), &Limits::default()), Ok(c));
    }

    #[test]
    fn events_round_trip(e in event()) {
        prop_assert_eq!(Event::decode(&e.encode(), &Limits::default()), Ok(e));
    }

    #[test]
    fn completions_round_trip(seq in any::<u64>(), s in 0usize..6, object_id in any::<u64>()) {
        let status = [Status::Ok, Status::TableFull, Status::NotFound, Status::Invalid, Status::Unsupported, Status::Exists][s];
        let c = Completion { seq, status, object_id };
        prop_assert_eq!(Completion::decode(&c.encode()), Ok(c));
    }

    /// Decoding garbage never panics; whatever decodes re-encodes to the same payload.
    #[test]
    fn arbitrary_records_decode_or_fail_cleanly(r in raw_record()) {
        if let Ok(c) = Command::decode(&r, &Limits::default()) {
            prop_assert_eq!(c.encode().payload, r.payload);
        }
        let _ = Event::decode(&r, &Limits::default());
        let _ = Completion::decode(&r);
    }
}
