//! The graph's view of one packet buffer.
//!
//! [`PacketBuf`] is deliberately small so that the daemon can implement it over a DPDK mbuf without
//! copying: a contiguous data window (`data()`) inside a larger storage area, moved at the head
//! (`adj_head` / `prepend`) and at the tail (`trim_tail` / `append`), plus the per-packet metadata the
//! nodes exchange ([`PacketMeta`]). [`VecBuf`] is the in-memory implementation used by tests, benches
//! and the fuzz target.

/// Sentinel for "no interface" in [`PacketMeta`] sw_if_index fields.
pub const SW_IF_NONE: u32 = u32::MAX;

/// `PacketMeta::flags` bit: the NIC verified the IPv4 header checksum (DPDK `RX_IP_CKSUM_GOOD`);
/// ethernet-input then sends the packet to `ip4-input-no-checksum`.
pub const FLAG_IP4_CSUM_GOOD: u8 = 1 << 0;
/// `PacketMeta::flags` bit: this buffer was created by the engine (a punt copy), not received.
pub const FLAG_ENGINE_COPY: u8 = 1 << 1;
/// `PacketMeta::flags` bit: the packet is an error/resolution message built by the engine
/// (ICMP error, ARP request, NS); such packets never trigger another ICMP error.
pub const FLAG_LOCALLY_BUILT: u8 = 1 << 2;

/// Per-packet metadata carried from node to node (VPP's `vnet_buffer` opaque, but one plain struct).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketMeta {
    /// Physical port the packet arrived on (set by the I/O side).
    pub rx_port: u32,
    /// Logical receive interface: the port, or its 802.1Q sub-interface (set by ethernet-input).
    pub rx_sw_if_index: u32,
    /// Transmit interface (set by the rewrite / ARP / punt nodes); for punts, the host interface.
    pub tx_sw_if_index: u32,
    /// Outer VLAN id the packet was received with (0: untagged).
    pub vlan: u16,
    /// Length of the L2 header that ethernet-input stripped (data starts at L3 afterwards).
    pub l2_len: u8,
    /// `FLAG_*` bits.
    pub flags: u8,
    /// Global error/punt-reason counter index set by the node that sent the packet to drop or punt.
    pub error: u16,
    /// Trace sequence number + 1 when the packet is traced, else 0.
    pub trace: u16,
    /// Load-balance index (set by ip4/ip6-lookup).
    pub lb_index: u32,
    /// Adjacency index (set by lookup or load-balance, used by rewrite).
    pub adj_index: u32,
    /// 5-tuple flow hash (set by load-balance).
    pub flow_hash: u32,
    /// VRF of the receive interface (set by ethernet-input).
    pub vrf: u16,
}

impl Default for PacketMeta {
    fn default() -> Self {
        PacketMeta {
            rx_port: SW_IF_NONE,
            rx_sw_if_index: SW_IF_NONE,
            tx_sw_if_index: SW_IF_NONE,
            vlan: 0,
            l2_len: 0,
            flags: 0,
            error: 0,
            trace: 0,
            lb_index: 0,
            adj_index: 0,
            flow_hash: 0,
            vrf: 0,
        }
    }
}

impl PacketMeta {
    /// Metadata for a packet received on `port`.
    pub fn rx(port: u32) -> Self {
        PacketMeta {
            rx_port: port,
            rx_sw_if_index: port,
            ..PacketMeta::default()
        }
    }
}

/// A packet buffer: a contiguous data window with head- and tailroom, plus metadata.
///
/// Every method that moves the window returns `false` (and changes nothing) when there is not
/// enough data or room; none of them panics.
pub trait PacketBuf {
    /// The packet bytes from the current head to the tail.
    fn data(&self) -> &[u8];
    /// Mutable packet bytes.
    fn data_mut(&mut self) -> &mut [u8];
    /// `data().len()`.
    fn len(&self) -> usize;
    /// `len() == 0`.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Strip `n` bytes at the head (they stay in the headroom, unchanged).
    fn adj_head(&mut self, n: usize) -> bool;
    /// Grow the window by `n` bytes at the head (uncovering the headroom bytes as they are).
    fn prepend(&mut self, n: usize) -> bool;
    /// Remove `n` bytes at the tail.
    fn trim_tail(&mut self, n: usize) -> bool;
    /// Grow the window by `n` bytes at the tail (contents unspecified; callers overwrite them).
    fn append(&mut self, n: usize) -> bool;
    /// Metadata.
    fn meta(&self) -> &PacketMeta;
    /// Mutable metadata.
    fn meta_mut(&mut self) -> &mut PacketMeta;
    /// A copy of the packet (data window, its headroom contents and metadata) for a punt copy;
    /// `None` when no buffer is available (counted by the caller).
    fn try_clone(&self) -> Option<Self>
    where
        Self: Sized;
}

/// Default headroom of [`VecBuf`] (as DPDK's `RTE_PKTMBUF_HEADROOM`).
pub const DEFAULT_HEADROOM: usize = 128;
/// Default tailroom of [`VecBuf`]: enough to turn a minimal packet into an NS or ARP request.
pub const DEFAULT_TAILROOM: usize = 128;

/// An in-memory [`PacketBuf`]: one `Vec<u8>` with a data window `[head, tail)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VecBuf {
    storage: Vec<u8>,
    /// Invariant: `head <= tail <= storage.len()`.
    head: usize,
    tail: usize,
    meta: PacketMeta,
}

impl VecBuf {
    /// A buffer holding `frame`, received on `port`, with default head- and tailroom.
    pub fn from_frame(port: u32, frame: &[u8]) -> Self {
        Self::with_room(port, frame, DEFAULT_HEADROOM, DEFAULT_TAILROOM)
    }

    /// A buffer holding `frame` with the given head- and tailroom.
    pub fn with_room(port: u32, frame: &[u8], headroom: usize, tailroom: usize) -> Self {
        let mut storage = vec![0u8; headroom + frame.len() + tailroom];
        storage[headroom..headroom + frame.len()].copy_from_slice(frame);
        VecBuf {
            storage,
            head: headroom,
            tail: headroom + frame.len(),
            meta: PacketMeta::rx(port),
        }
    }

    /// Reset the window to hold `frame` again (reusing the storage when it is large enough), with
    /// fresh metadata for `port`. Used by benches to recycle buffers without allocating.
    pub fn reset(&mut self, port: u32, frame: &[u8]) {
        let need = DEFAULT_HEADROOM + frame.len() + DEFAULT_TAILROOM;
        if self.storage.len() < need {
            self.storage.resize(need, 0);
        }
        self.head = DEFAULT_HEADROOM;
        self.tail = DEFAULT_HEADROOM + frame.len();
        self.storage[self.head..self.tail].copy_from_slice(frame);
        self.meta = PacketMeta::rx(port);
    }

    /// Bytes available in front of the data window.
    pub fn headroom(&self) -> usize {
        self.head
    }
}

impl PacketBuf for VecBuf {
    #[inline]
    fn data(&self) -> &[u8] {
        &self.storage[self.head..self.tail]
    }
    #[inline]
    fn data_mut(&mut self) -> &mut [u8] {
        &mut self.storage[self.head..self.tail]
    }
    #[inline]
    fn len(&self) -> usize {
        self.tail - self.head
    }
    #[inline]
    fn adj_head(&mut self, n: usize) -> bool {
        if n > self.tail - self.head {
            return false;
        }
        self.head += n;
        true
    }
    #[inline]
    fn prepend(&mut self, n: usize) -> bool {
        if n > self.head {
            return false;
        }
        self.head -= n;
        true
    }
    #[inline]
    fn trim_tail(&mut self, n: usize) -> bool {
        if n > self.tail - self.head {
            return false;
        }
        self.tail -= n;
        true
    }
    #[inline]
    fn append(&mut self, n: usize) -> bool {
        if n > self.storage.len() - self.tail {
            return false;
        }
        self.tail += n;
        true
    }
    #[inline]
    fn meta(&self) -> &PacketMeta {
        &self.meta
    }
    #[inline]
    fn meta_mut(&mut self) -> &mut PacketMeta {
        &mut self.meta
    }
    fn try_clone(&self) -> Option<Self> {
        Some(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_moves_and_refuses_out_of_range() {
        let mut b = VecBuf::with_room(3, &[1, 2, 3, 4], 2, 1);
        assert_eq!(b.data(), &[1, 2, 3, 4]);
        assert!(b.adj_head(1));
        assert_eq!(b.data(), &[2, 3, 4]);
        assert!(b.prepend(3));
        assert_eq!(b.data(), &[0, 0, 1, 2, 3, 4]);
        assert!(!b.prepend(1));
        assert!(!b.adj_head(7));
        assert!(b.append(1));
        assert!(!b.append(1));
        assert!(b.trim_tail(2));
        assert_eq!(b.data(), &[0, 0, 1, 2, 3]);
        assert!(!b.trim_tail(6));
        assert_eq!(b.meta().rx_port, 3);
        assert_eq!(b.len(), 5);
    }
}
