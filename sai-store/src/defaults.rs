//! The switch's default objects, modelled on vslib's BCM56850 switch (the model the sairedis
//! recordings presume): CPU port, default VLAN / virtual router / STP instance / .1Q bridge / trap
//! group, the front ports of the lane map with their serdes, bridge ports and VLAN members, per port
//! 8 ingress priority groups, 20 queues (CPU port: 32) and a tree of 13 scheduler groups, ECMP and
//! LAG hash objects, and the read-only switch capabilities orchagent queries.
//!
//! Everything is named through the metadata; a name the data does not know fails switch creation
//! with `SAI_STATUS_FAILURE` (a test checks they all resolve).

use crate::change::{Change, ObjectKey};
use crate::md;
use crate::oid;
use crate::store::{Origin, Store, StoredAttr};
use crate::value::{status, AttrValue, Status};

/// Scheduler groups per front port and the shape of the tree (vslib BCM56850): group 0 is the root
/// with children 1 and 2; group 1 has children 3..=10, group 2 has 11 and 12; groups 3..=12 each
/// hold queue k and queue k + unicast count.
pub const SCHEDULER_GROUPS_PER_PORT: usize = 13;
const SG_TREE: [&[usize]; 3] = [&[1, 2], &[3, 4, 5, 6, 7, 8, 9, 10], &[11, 12]];

/// Read-only switch attributes the switch reports (name, value).
fn switch_capabilities(s: &Store) -> Vec<(&'static str, AttrValue)> {
    let c = &s.cfg;
    let tbl = |n: &str| AttrValue::U32(u32::try_from(c.tables.size(n)).unwrap_or(u32::MAX));
    vec![
        (
            "SAI_SWITCH_ATTR_ACL_ENTRY_MINIMUM_PRIORITY",
            AttrValue::U32(1),
        ),
        (
            "SAI_SWITCH_ATTR_ACL_ENTRY_MAXIMUM_PRIORITY",
            AttrValue::U32(16000),
        ),
        (
            "SAI_SWITCH_ATTR_ACL_TABLE_MINIMUM_PRIORITY",
            AttrValue::U32(1),
        ),
        (
            "SAI_SWITCH_ATTR_ACL_TABLE_MAXIMUM_PRIORITY",
            AttrValue::U32(16000),
        ),
        (
            "SAI_SWITCH_ATTR_QOS_MAX_NUMBER_OF_CHILDS_PER_SCHEDULER_GROUP",
            AttrValue::U32(16),
        ),
        ("SAI_SWITCH_ATTR_NUMBER_OF_ECMP_GROUPS", AttrValue::U32(512)),
        ("SAI_SWITCH_ATTR_ECMP_MEMBERS", AttrValue::U32(64)),
        ("SAI_SWITCH_ATTR_MAX_ECMP_MEMBER_COUNT", AttrValue::U32(64)),
        ("SAI_SWITCH_ATTR_MAX_STP_INSTANCE", AttrValue::U32(1)),
        ("SAI_SWITCH_ATTR_NUMBER_OF_LAGS", AttrValue::U32(64)),
        ("SAI_SWITCH_ATTR_LAG_MEMBERS", AttrValue::U32(32)),
        (
            "SAI_SWITCH_ATTR_NUMBER_OF_UNICAST_QUEUES",
            AttrValue::U32(c.unicast_queues),
        ),
        (
            "SAI_SWITCH_ATTR_NUMBER_OF_MULTICAST_QUEUES",
            AttrValue::U32(c.multicast_queues),
        ),
        (
            "SAI_SWITCH_ATTR_NUMBER_OF_QUEUES",
            AttrValue::U32(c.unicast_queues + c.multicast_queues),
        ),
        (
            "SAI_SWITCH_ATTR_NUMBER_OF_CPU_QUEUES",
            AttrValue::U32(c.cpu_queues),
        ),
        (
            "SAI_SWITCH_ATTR_MAX_NUMBER_OF_SUPPORTED_PORTS",
            AttrValue::U32(1024),
        ),
        ("SAI_SWITCH_ATTR_FDB_TABLE_SIZE", tbl("FDB_ENTRY")),
        (
            "SAI_SWITCH_ATTR_L3_NEIGHBOR_TABLE_SIZE",
            tbl("NEIGHBOR_ENTRY"),
        ),
        ("SAI_SWITCH_ATTR_L3_ROUTE_TABLE_SIZE", tbl("ROUTE_ENTRY")),
        ("SAI_SWITCH_ATTR_MAX_VIRTUAL_ROUTERS", tbl("VIRTUAL_ROUTER")),
    ]
}

/// Builds objects, recording the changes in creation order.
pub(crate) struct Builder<'a> {
    pub s: &'a mut Store,
    pub sw: u8,
    pub changes: Vec<Change>,
}

fn id(name: &str) -> Result<u32, Status> {
    md::attr_id(name).ok_or(status::FAILURE)
}

fn ot(name: &str) -> Result<u32, Status> {
    md::ot_id(name).ok_or(status::FAILURE)
}

fn en(attr: &str, member: &str) -> Result<AttrValue, Status> {
    md::enum_value(attr, member)
        .map(AttrValue::I32)
        .ok_or(status::FAILURE)
}

fn u8_of(i: usize) -> AttrValue {
    AttrValue::U8(u8::try_from(i).unwrap_or(u8::MAX))
}

fn u32_of(n: usize) -> AttrValue {
    AttrValue::U32(u32::try_from(n).unwrap_or(u32::MAX))
}

impl Builder<'_> {
    /// Create an object; attributes are (name, value, counted).
    pub fn create(
        &mut self,
        ot_name: &str,
        attrs: Vec<(&str, AttrValue, bool)>,
        origin: Origin,
    ) -> Result<u64, Status> {
        let t = ot(ot_name)?;
        let o = self.s.alloc_oid(self.sw, t)?;
        let mut stored = Vec::with_capacity(attrs.len());
        for (n, value, counted) in attrs {
            stored.push(StoredAttr {
                id: id(n)?,
                value,
                counted,
            });
        }
        let ch = self.s.insert_obj(o, stored, origin);
        self.changes.push(ch);
        Ok(o)
    }

    /// Set an attribute the switch owns (not counted as a reference).
    pub fn set(&mut self, o: u64, name: &str, value: AttrValue) -> Result<(), Status> {
        let a = id(name)?;
        let key = ObjectKey::Oid(o);
        self.s.put_attr(&key, a, value.clone(), false)?;
        self.changes.push(Change::Set {
            ot: oid::raw_type(o),
            key,
            attr: crate::value::Attr { id: a, value },
            route: None,
        });
        Ok(())
    }

    /// Queues, ingress priority groups and the scheduler group tree of a front port.
    pub fn port_children(&mut self, port: u64) -> Result<(), Status> {
        let c = self.s.cfg.clone();
        let own = Origin::Owned(port);
        let mut ipgs = Vec::new();
        for i in 0..c.ingress_priority_groups {
            let i = usize::try_from(i).unwrap_or(0);
            ipgs.push(self.create(
                "SAI_OBJECT_TYPE_INGRESS_PRIORITY_GROUP",
                vec![
                    (
                        "SAI_INGRESS_PRIORITY_GROUP_ATTR_PORT",
                        AttrValue::Oid(port),
                        false,
                    ),
                    ("SAI_INGRESS_PRIORITY_GROUP_ATTR_INDEX", u8_of(i), false),
                ],
                own,
            )?);
        }
        self.set(
            port,
            "SAI_PORT_ATTR_NUMBER_OF_INGRESS_PRIORITY_GROUPS",
            u32_of(ipgs.len()),
        )?;
        self.set(
            port,
            "SAI_PORT_ATTR_INGRESS_PRIORITY_GROUP_LIST",
            AttrValue::OidList(ipgs),
        )?;

        let uc = usize::try_from(c.unicast_queues).unwrap_or(0);
        let total = uc + usize::try_from(c.multicast_queues).unwrap_or(0);
        let queues = self.queues(port, total, uc)?;

        let mut sgs = Vec::with_capacity(SCHEDULER_GROUPS_PER_PORT);
        for i in 0..SCHEDULER_GROUPS_PER_PORT {
            let level = if i == 0 {
                0
            } else if i < 3 {
                1
            } else {
                2
            };
            sgs.push(self.create(
                "SAI_OBJECT_TYPE_SCHEDULER_GROUP",
                vec![
                    (
                        "SAI_SCHEDULER_GROUP_ATTR_PORT_ID",
                        AttrValue::Oid(port),
                        false,
                    ),
                    ("SAI_SCHEDULER_GROUP_ATTR_LEVEL", u8_of(level), false),
                ],
                own,
            )?);
        }
        self.set(
            port,
            "SAI_PORT_ATTR_QOS_NUMBER_OF_SCHEDULER_GROUPS",
            u32_of(sgs.len()),
        )?;
        self.set(
            port,
            "SAI_PORT_ATTR_QOS_SCHEDULER_GROUP_LIST",
            AttrValue::OidList(sgs.clone()),
        )?;
        for (parent, children) in SG_TREE.iter().enumerate() {
            let list: Vec<u64> = children.iter().map(|k| sgs[*k]).collect();
            self.set(
                sgs[parent],
                "SAI_SCHEDULER_GROUP_ATTR_CHILD_COUNT",
                u32_of(list.len()),
            )?;
            self.set(
                sgs[parent],
                "SAI_SCHEDULER_GROUP_ATTR_CHILD_LIST",
                AttrValue::OidList(list),
            )?;
        }
        // Leaves: groups 3.. hold a unicast queue and its multicast twin.
        for (k, sg) in sgs.iter().enumerate().skip(3) {
            let q = k - 3;
            let list: Vec<u64> = [q, q + uc]
                .iter()
                .filter_map(|i| queues.get(*i).copied())
                .collect();
            self.set(
                *sg,
                "SAI_SCHEDULER_GROUP_ATTR_CHILD_COUNT",
                u32_of(list.len()),
            )?;
            self.set(
                *sg,
                "SAI_SCHEDULER_GROUP_ATTR_CHILD_LIST",
                AttrValue::OidList(list),
            )?;
        }
        Ok(())
    }

    /// `total` queues on `port`, the first `unicast` of type unicast, the rest multicast.
    fn queues(&mut self, port: u64, total: usize, unicast: usize) -> Result<Vec<u64>, Status> {
        let mut queues = Vec::with_capacity(total);
        for i in 0..total {
            let ty = if i < unicast {
                "SAI_QUEUE_TYPE_UNICAST"
            } else {
                "SAI_QUEUE_TYPE_MULTICAST"
            };
            queues.push(self.create(
                "SAI_OBJECT_TYPE_QUEUE",
                vec![
                    ("SAI_QUEUE_ATTR_TYPE", en("SAI_QUEUE_ATTR_TYPE", ty)?, false),
                    ("SAI_QUEUE_ATTR_INDEX", u8_of(i), false),
                    ("SAI_QUEUE_ATTR_PORT", AttrValue::Oid(port), false),
                ],
                Origin::Owned(port),
            )?);
        }
        self.set(
            port,
            "SAI_PORT_ATTR_QOS_NUMBER_OF_QUEUES",
            u32_of(queues.len()),
        )?;
        self.set(
            port,
            "SAI_PORT_ATTR_QOS_QUEUE_LIST",
            AttrValue::OidList(queues.clone()),
        )?;
        Ok(queues)
    }

    /// All default objects of a new switch `sw_oid` (already inserted).
    pub fn build_switch(&mut self, sw_oid: u64, user_set_mac: bool) -> Result<(), Status> {
        let c = self.s.cfg.clone();
        if !user_set_mac {
            self.set(
                sw_oid,
                "SAI_SWITCH_ATTR_SRC_MAC_ADDRESS",
                AttrValue::Mac([0x02, 0xfe, 0x5a, 0x10, 0x00, 0x01]),
            )?;
        }
        // VXLAN router MAC: the switch MAC unless configured (syncd reads it right after creation).
        let mac_id = id("SAI_SWITCH_ATTR_SRC_MAC_ADDRESS")?;
        let mac = self
            .s
            .objs
            .get(&sw_oid)
            .and_then(|o| o.get(mac_id).cloned())
            .ok_or(status::FAILURE)?;
        let vx = id("SAI_SWITCH_ATTR_VXLAN_DEFAULT_ROUTER_MAC")?;
        if self.s.objs.get(&sw_oid).and_then(|o| o.get(vx)).is_none() {
            self.set(sw_oid, "SAI_SWITCH_ATTR_VXLAN_DEFAULT_ROUTER_MAC", mac)?;
        }
        let cpu = self.create(
            "SAI_OBJECT_TYPE_PORT",
            vec![(
                "SAI_PORT_ATTR_TYPE",
                en("SAI_PORT_ATTR_TYPE", "SAI_PORT_TYPE_CPU")?,
                false,
            )],
            Origin::Pinned,
        )?;
        self.set(sw_oid, "SAI_SWITCH_ATTR_CPU_PORT", AttrValue::Oid(cpu))?;
        // vslib answers the CPU port's serdes with success (a null id): it has no serdes object.
        self.set(cpu, "SAI_PORT_ATTR_PORT_SERDES_ID", AttrValue::Oid(0))?;
        let vlan = self.create(
            "SAI_OBJECT_TYPE_VLAN",
            vec![("SAI_VLAN_ATTR_VLAN_ID", AttrValue::U16(1), false)],
            Origin::Pinned,
        )?;
        self.set(
            sw_oid,
            "SAI_SWITCH_ATTR_DEFAULT_VLAN_ID",
            AttrValue::Oid(vlan),
        )?;
        let vr = self.create("SAI_OBJECT_TYPE_VIRTUAL_ROUTER", vec![], Origin::Pinned)?;
        self.set(
            sw_oid,
            "SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID",
            AttrValue::Oid(vr),
        )?;
        let stp = self.create("SAI_OBJECT_TYPE_STP", vec![], Origin::Pinned)?;
        self.set(
            sw_oid,
            "SAI_SWITCH_ATTR_DEFAULT_STP_INST_ID",
            AttrValue::Oid(stp),
        )?;
        let bridge = self.create(
            "SAI_OBJECT_TYPE_BRIDGE",
            vec![(
                "SAI_BRIDGE_ATTR_TYPE",
                en("SAI_BRIDGE_ATTR_TYPE", "SAI_BRIDGE_TYPE_1Q")?,
                false,
            )],
            Origin::Pinned,
        )?;
        self.set(
            sw_oid,
            "SAI_SWITCH_ATTR_DEFAULT_1Q_BRIDGE_ID",
            AttrValue::Oid(bridge),
        )?;
        let tg = self.create("SAI_OBJECT_TYPE_HOSTIF_TRAP_GROUP", vec![], Origin::Pinned)?;
        self.set(
            sw_oid,
            "SAI_SWITCH_ATTR_DEFAULT_TRAP_GROUP",
            AttrValue::Oid(tg),
        )?;

        let mut ports = Vec::with_capacity(c.ports.len());
        let speeds: Vec<u32> = [1_000, 10_000, 25_000, 40_000, 50_000, 100_000]
            .into_iter()
            .filter(|s| *s <= c.port_speed.max(100_000))
            .collect();
        for lp in &c.ports {
            let p = self.create(
                "SAI_OBJECT_TYPE_PORT",
                vec![
                    ("SAI_PORT_ATTR_ADMIN_STATE", AttrValue::Bool(false), false),
                    ("SAI_PORT_ATTR_MTU", AttrValue::U32(1514), false),
                    ("SAI_PORT_ATTR_SPEED", AttrValue::U32(c.port_speed), false),
                    (
                        "SAI_PORT_ATTR_HW_LANE_LIST",
                        AttrValue::U32List(lp.lanes.clone()),
                        false,
                    ),
                    (
                        "SAI_PORT_ATTR_TYPE",
                        en("SAI_PORT_ATTR_TYPE", "SAI_PORT_TYPE_LOGICAL")?,
                        false,
                    ),
                    (
                        "SAI_PORT_ATTR_OPER_STATUS",
                        en("SAI_PORT_ATTR_OPER_STATUS", "SAI_PORT_OPER_STATUS_DOWN")?,
                        false,
                    ),
                    ("SAI_PORT_ATTR_PORT_VLAN_ID", AttrValue::U16(1), false),
                    (
                        "SAI_PORT_ATTR_SUPPORTED_SPEED",
                        AttrValue::U32List(speeds.clone()),
                        false,
                    ),
                ],
                Origin::Default,
            )?;
            ports.push(p);
        }
        for p in &ports {
            let serdes = self.create(
                "SAI_OBJECT_TYPE_PORT_SERDES",
                vec![("SAI_PORT_SERDES_ATTR_PORT_ID", AttrValue::Oid(*p), false)],
                Origin::Owned(*p),
            )?;
            self.set(*p, "SAI_PORT_ATTR_PORT_SERDES_ID", AttrValue::Oid(serdes))?;
        }
        let mut bports = Vec::with_capacity(ports.len());
        for p in &ports {
            bports.push(self.create(
                "SAI_OBJECT_TYPE_BRIDGE_PORT",
                vec![
                    (
                        "SAI_BRIDGE_PORT_ATTR_TYPE",
                        en("SAI_BRIDGE_PORT_ATTR_TYPE", "SAI_BRIDGE_PORT_TYPE_PORT")?,
                        true,
                    ),
                    ("SAI_BRIDGE_PORT_ATTR_PORT_ID", AttrValue::Oid(*p), true),
                    (
                        "SAI_BRIDGE_PORT_ATTR_BRIDGE_ID",
                        AttrValue::Oid(bridge),
                        true,
                    ),
                    (
                        "SAI_BRIDGE_PORT_ATTR_FDB_LEARNING_MODE",
                        en(
                            "SAI_BRIDGE_PORT_ATTR_FDB_LEARNING_MODE",
                            "SAI_BRIDGE_PORT_FDB_LEARNING_MODE_HW",
                        )?,
                        true,
                    ),
                ],
                Origin::Default,
            )?);
        }
        for bp in &bports {
            self.create(
                "SAI_OBJECT_TYPE_VLAN_MEMBER",
                vec![
                    ("SAI_VLAN_MEMBER_ATTR_VLAN_ID", AttrValue::Oid(vlan), true),
                    (
                        "SAI_VLAN_MEMBER_ATTR_BRIDGE_PORT_ID",
                        AttrValue::Oid(*bp),
                        true,
                    ),
                    (
                        "SAI_VLAN_MEMBER_ATTR_VLAN_TAGGING_MODE",
                        en(
                            "SAI_VLAN_MEMBER_ATTR_VLAN_TAGGING_MODE",
                            "SAI_VLAN_TAGGING_MODE_UNTAGGED",
                        )?,
                        true,
                    ),
                ],
                Origin::Default,
            )?;
        }
        for p in &ports {
            self.port_children(*p)?;
        }
        let cpu_q = usize::try_from(c.cpu_queues).unwrap_or(0);
        self.queues(cpu, cpu_q, 0)?;

        let fields: Vec<i32> = [
            "SAI_NATIVE_HASH_FIELD_SRC_IP",
            "SAI_NATIVE_HASH_FIELD_DST_IP",
            "SAI_NATIVE_HASH_FIELD_IP_PROTOCOL",
            "SAI_NATIVE_HASH_FIELD_L4_SRC_PORT",
            "SAI_NATIVE_HASH_FIELD_L4_DST_PORT",
        ]
        .iter()
        .filter_map(|m| md::enum_value("SAI_HASH_ATTR_NATIVE_HASH_FIELD_LIST", m))
        .collect();
        for which in ["SAI_SWITCH_ATTR_ECMP_HASH", "SAI_SWITCH_ATTR_LAG_HASH"] {
            let h = self.create(
                "SAI_OBJECT_TYPE_HASH",
                vec![(
                    "SAI_HASH_ATTR_NATIVE_HASH_FIELD_LIST",
                    AttrValue::I32List(fields.clone()),
                    false,
                )],
                Origin::Pinned,
            )?;
            self.set(sw_oid, which, AttrValue::Oid(h))?;
        }
        for (n, v) in switch_capabilities(self.s) {
            self.set(sw_oid, n, v)?;
        }
        self.set(
            sw_oid,
            "SAI_SWITCH_ATTR_OPER_STATUS",
            en("SAI_SWITCH_ATTR_OPER_STATUS", "SAI_SWITCH_OPER_STATUS_UP")?,
        )?;
        Ok(())
    }
}

/// Attribute/object names used by the builders (checked by a test against the metadata).
pub const NAMES_USED: &[&str] = &[
    "SAI_SWITCH_ATTR_CPU_PORT",
    "SAI_SWITCH_ATTR_DEFAULT_VLAN_ID",
    "SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID",
    "SAI_SWITCH_ATTR_DEFAULT_STP_INST_ID",
    "SAI_SWITCH_ATTR_DEFAULT_1Q_BRIDGE_ID",
    "SAI_SWITCH_ATTR_DEFAULT_TRAP_GROUP",
    "SAI_SWITCH_ATTR_ECMP_HASH",
    "SAI_SWITCH_ATTR_LAG_HASH",
    "SAI_SWITCH_ATTR_SRC_MAC_ADDRESS",
    "SAI_SWITCH_ATTR_OPER_STATUS",
    "SAI_PORT_ATTR_PORT_SERDES_ID",
    "SAI_PORT_ATTR_QOS_QUEUE_LIST",
    "SAI_PORT_ATTR_INGRESS_PRIORITY_GROUP_LIST",
    "SAI_PORT_ATTR_QOS_SCHEDULER_GROUP_LIST",
    "SAI_SCHEDULER_GROUP_ATTR_CHILD_LIST",
    "SAI_SCHEDULER_GROUP_ATTR_LEVEL",
];
