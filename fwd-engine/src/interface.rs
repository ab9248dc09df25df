//! The interface table the nodes read: sw_if_index -> MAC, MTU, VRF, addresses, admin state,
//! host interface, 802.1Q sub-interfaces.
//!
//! The control thread edits a staged copy through [`IfWriter`] and publishes it whole with
//! [`IfWriter::publish`] (RCU style, `arc-swap`): workers see either the old or the new table,
//! never a mix, and never wait. Tables are small (one entry per port / sub-interface), so a full
//! copy per publish is cheap.

use crate::wire::MacAddr;
use arc_swap::ArcSwap;
use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// VRF id (same type as the FIB's).
pub type VrfId = u16;

/// Largest sw_if_index accepted (keeps the dense table bounded).
pub const MAX_SW_IF_INDEX: u32 = 4095;

/// An IPv4 interface address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IfAddr4 {
    /// Address.
    pub addr: Ipv4Addr,
    /// Prefix length of the connected subnet.
    pub prefix_len: u8,
}

impl IfAddr4 {
    /// True when `a` is inside this address's subnet.
    pub fn covers(&self, a: Ipv4Addr) -> bool {
        let plen = u32::from(self.prefix_len.min(32));
        let mask = if plen == 0 {
            0
        } else {
            u32::MAX << (32 - plen)
        };
        (u32::from(self.addr) & mask) == (u32::from(a) & mask)
    }
}

/// An IPv6 interface address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IfAddr6 {
    /// Address.
    pub addr: Ipv6Addr,
    /// Prefix length of the connected subnet.
    pub prefix_len: u8,
}

impl IfAddr6 {
    /// True when `a` is inside this address's subnet.
    pub fn covers(&self, a: Ipv6Addr) -> bool {
        let plen = u32::from(self.prefix_len.min(128));
        let mask = if plen == 0 {
            0
        } else {
            u128::MAX << (128 - plen)
        };
        (u128::from(self.addr) & mask) == (u128::from(a) & mask)
    }
}

/// One L3 interface: a port, or an 802.1Q sub-interface of a port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    /// Index (dense, small).
    pub sw_if_index: u32,
    /// `Some((port, vlan))` for a sub-interface; `None` for a port.
    pub parent: Option<(u32, u16)>,
    /// Router MAC of the interface.
    pub mac: MacAddr,
    /// L3 MTU (bytes of IP packet).
    pub mtu: u16,
    /// VRF.
    pub vrf: VrfId,
    /// Administrative state; packets on a down interface are dropped (counted).
    pub admin_up: bool,
    /// Opaque host-interface id for punts (the daemon maps it to a TAP).
    pub host_if: u32,
    /// IPv4 addresses.
    pub ip4: Vec<IfAddr4>,
    /// IPv6 addresses (link-local included if configured).
    pub ip6: Vec<IfAddr6>,
}

impl Interface {
    /// A port with no addresses, admin up, MTU 1500, VRF 0, host_if = sw_if_index.
    pub fn port(sw_if_index: u32, mac: MacAddr) -> Self {
        Interface {
            sw_if_index,
            parent: None,
            mac,
            mtu: 1500,
            vrf: 0,
            admin_up: true,
            host_if: sw_if_index,
            ip4: Vec::new(),
            ip6: Vec::new(),
        }
    }

    /// The physical port this interface transmits on.
    #[inline]
    pub fn port_index(&self) -> u32 {
        match self.parent {
            Some((p, _)) => p,
            None => self.sw_if_index,
        }
    }

    /// True when `a` is one of our IPv4 addresses.
    #[inline]
    pub fn has_ip4(&self, a: Ipv4Addr) -> bool {
        self.ip4.iter().any(|x| x.addr == a)
    }

    /// True when `a` is one of our IPv6 addresses.
    #[inline]
    pub fn has_ip6(&self, a: Ipv6Addr) -> bool {
        self.ip6.iter().any(|x| x.addr == a)
    }

    /// Source address for packets about `dst`: the address whose subnet covers `dst`, else the
    /// first address.
    pub fn src4_for(&self, dst: Ipv4Addr) -> Option<Ipv4Addr> {
        self.ip4
            .iter()
            .find(|a| a.covers(dst))
            .or_else(|| self.ip4.first())
            .map(|a| a.addr)
    }

    /// Source address for packets about `dst`: covering subnet, else the first global address,
    /// else the first (link-local) address.
    pub fn src6_for(&self, dst: Ipv6Addr) -> Option<Ipv6Addr> {
        self.ip6
            .iter()
            .find(|a| a.covers(dst))
            .or_else(|| self.ip6.iter().find(|a| !a.addr.is_unicast_link_local()))
            .or_else(|| self.ip6.first())
            .map(|a| a.addr)
    }
}

/// A published interface table.
#[derive(Clone, Debug, Default)]
pub struct IfTable {
    by_index: Vec<Option<Interface>>,
    /// (port, vlan, sw_if_index), sorted.
    vlans: Vec<(u32, u16, u32)>,
    port_slots: usize,
    generation: u64,
}

impl IfTable {
    /// Interface `sw_if_index`.
    #[inline]
    pub fn get(&self, sw_if_index: u32) -> Option<&Interface> {
        let i = usize::try_from(sw_if_index).ok()?;
        self.by_index.get(i).and_then(Option::as_ref)
    }
    /// The sub-interface of `port` for `vlan`.
    pub fn sub_if(&self, port: u32, vlan: u16) -> Option<u32> {
        self.vlans
            .binary_search_by(|&(p, v, _)| (p, v).cmp(&(port, vlan)))
            .ok()
            .map(|i| self.vlans[i].2)
    }
    /// All interfaces.
    pub fn iter(&self) -> impl Iterator<Item = &Interface> {
        self.by_index.iter().flatten()
    }
    /// One past the largest port index (size of per-port tx queue arrays); computed when the
    /// table is published.
    pub fn port_slots(&self) -> usize {
        self.port_slots
    }

    fn compute_port_slots(&self) -> usize {
        self.iter()
            .map(|i| usize::try_from(i.port_index()).unwrap_or(0) + 1)
            .max()
            .unwrap_or(0)
    }
    /// Publication counter.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

/// Why an interface change was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IfError {
    /// sw_if_index above [`MAX_SW_IF_INDEX`].
    IndexTooLarge(u32),
    /// No such interface.
    NoSuchInterface(u32),
    /// The parent of a sub-interface is missing or is itself a sub-interface.
    BadParent(u32),
    /// Another sub-interface of the port already has this VLAN.
    VlanInUse {
        /// Port.
        port: u32,
        /// VLAN.
        vlan: u16,
    },
    /// VLAN id outside 1..=4094.
    BadVlan(u16),
    /// The port still has sub-interfaces (remove them first).
    HasSubInterfaces(u32),
}

impl fmt::Display for IfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IfError::IndexTooLarge(i) => write!(f, "sw_if_index {i} above {MAX_SW_IF_INDEX}"),
            IfError::NoSuchInterface(i) => write!(f, "no interface {i}"),
            IfError::BadParent(i) => write!(f, "parent {i} is not a port"),
            IfError::VlanInUse { port, vlan } => write!(f, "vlan {vlan} already used on {port}"),
            IfError::BadVlan(v) => write!(f, "vlan {v} outside 1..=4094"),
            IfError::HasSubInterfaces(p) => write!(f, "port {p} still has sub-interfaces"),
        }
    }
}

impl std::error::Error for IfError {}

/// Create an interface table: the writer (control thread) and a reader to clone per worker.
pub fn interfaces() -> (IfWriter, IfReader) {
    let shared = Arc::new(ArcSwap::from_pointee(IfTable::default()));
    (
        IfWriter {
            shared: Arc::clone(&shared),
            staged: IfTable::default(),
        },
        IfReader { shared },
    )
}

/// Control-side handle: edit, then [`publish`](IfWriter::publish).
#[derive(Debug)]
pub struct IfWriter {
    shared: Arc<ArcSwap<IfTable>>,
    staged: IfTable,
}

impl IfWriter {
    /// Add or replace an interface (staged).
    pub fn upsert(&mut self, intf: Interface) -> Result<(), IfError> {
        let sw = intf.sw_if_index;
        if sw > MAX_SW_IF_INDEX {
            return Err(IfError::IndexTooLarge(sw));
        }
        if let Some((port, vlan)) = intf.parent {
            if vlan == 0 || vlan > 4094 {
                return Err(IfError::BadVlan(vlan));
            }
            match self.staged.get(port) {
                Some(p) if p.parent.is_none() && port != sw => {}
                _ => return Err(IfError::BadParent(port)),
            }
            if let Some(other) = self.staged.sub_if(port, vlan) {
                if other != sw {
                    return Err(IfError::VlanInUse { port, vlan });
                }
            }
        }
        let i = usize::try_from(sw).map_err(|_| IfError::IndexTooLarge(sw))?;
        if self.staged.by_index.len() <= i {
            self.staged.by_index.resize(i + 1, None);
        }
        self.staged.by_index[i] = Some(intf);
        self.rebuild_vlans();
        Ok(())
    }

    /// Remove an interface (staged).
    pub fn remove(&mut self, sw_if_index: u32) -> Result<Interface, IfError> {
        let i = usize::try_from(sw_if_index).map_err(|_| IfError::NoSuchInterface(sw_if_index))?;
        if self.staged.vlans.iter().any(|&(p, _, _)| p == sw_if_index) {
            return Err(IfError::HasSubInterfaces(sw_if_index));
        }
        let old = self
            .staged
            .by_index
            .get_mut(i)
            .and_then(Option::take)
            .ok_or(IfError::NoSuchInterface(sw_if_index))?;
        self.rebuild_vlans();
        Ok(old)
    }

    /// Edit an interface in place (staged).
    pub fn modify(
        &mut self,
        sw_if_index: u32,
        f: impl FnOnce(&mut Interface),
    ) -> Result<(), IfError> {
        let i = usize::try_from(sw_if_index).map_err(|_| IfError::NoSuchInterface(sw_if_index))?;
        let intf = self
            .staged
            .by_index
            .get_mut(i)
            .and_then(Option::as_mut)
            .ok_or(IfError::NoSuchInterface(sw_if_index))?;
        let keep = (intf.sw_if_index, intf.parent);
        f(intf);
        // Identity and parent are not editable in place (use upsert).
        intf.sw_if_index = keep.0;
        intf.parent = keep.1;
        Ok(())
    }

    /// The staged table.
    pub fn staged(&self) -> &IfTable {
        &self.staged
    }

    /// Publish the staged table to the workers.
    pub fn publish(&mut self) {
        self.staged.generation += 1;
        self.staged.port_slots = self.staged.compute_port_slots();
        // Release (inside ArcSwap::store) pairs with the workers' load in `IfReader`: a worker
        // that sees the new pointer sees the fully built table.
        self.shared.store(Arc::new(self.staged.clone()));
    }

    /// A reader for a new worker.
    pub fn reader(&self) -> IfReader {
        IfReader {
            shared: Arc::clone(&self.shared),
        }
    }

    fn rebuild_vlans(&mut self) {
        let mut v: Vec<(u32, u16, u32)> = self
            .staged
            .iter()
            .filter_map(|i| i.parent.map(|(p, vlan)| (p, vlan, i.sw_if_index)))
            .collect();
        v.sort_unstable();
        self.staged.vlans = v;
    }
}

/// Worker-side handle.
#[derive(Clone, Debug)]
pub struct IfReader {
    shared: Arc<ArcSwap<IfTable>>,
}

impl IfReader {
    /// The current table (one atomic load and reference-count increment; call once per frame).
    pub fn load(&self) -> Arc<IfTable> {
        self.shared.load_full()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_and_subifs() {
        let (mut w, r) = interfaces();
        let mut p = Interface::port(1, MacAddr([2, 0, 0, 0, 0, 1]));
        p.ip4.push(IfAddr4 {
            addr: Ipv4Addr::new(10, 0, 0, 1),
            prefix_len: 24,
        });
        w.upsert(p.clone()).unwrap();
        let mut s = Interface::port(5, p.mac);
        s.parent = Some((1, 100));
        w.upsert(s.clone()).unwrap();
        assert_eq!(r.load().get(1), None, "not yet published");
        w.publish();
        let t = r.load();
        assert_eq!(t.get(1), Some(&p));
        assert_eq!(t.sub_if(1, 100), Some(5));
        assert_eq!(t.sub_if(1, 101), None);
        assert_eq!(t.port_slots(), 2);
        assert_eq!(t.get(5).unwrap().port_index(), 1);
        let mut s2 = s.clone();
        s2.sw_if_index = 6;
        assert_eq!(w.upsert(s2), Err(IfError::VlanInUse { port: 1, vlan: 100 }));
        s.parent = Some((5, 7));
        assert_eq!(w.upsert(s), Err(IfError::BadParent(5)));
        assert_eq!(w.remove(9), Err(IfError::NoSuchInterface(9)));
        assert_eq!(w.remove(1), Err(IfError::HasSubInterfaces(1)));
        w.remove(5).unwrap();
        w.remove(1).unwrap();
        assert!(p.ip4[0].covers(Ipv4Addr::new(10, 0, 0, 77)));
        assert!(!p.ip4[0].covers(Ipv4Addr::new(10, 0, 1, 77)));
        assert_eq!(
            p.src4_for(Ipv4Addr::new(8, 8, 8, 8)),
            Some(Ipv4Addr::new(10, 0, 0, 1))
        );
    }
}
