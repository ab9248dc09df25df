//! Zero-copy wire views, smoltcp style.
//!
//! Each protocol has a `Packet<T: AsRef<[u8]>>` (or `Frame`) view over a byte buffer: getters need
//! `AsRef<[u8]>`, setters `AsMut<[u8]>`. Field offsets are declared once, in a private `mod field`.
//!
//! **Contract:** `new_unchecked` wraps any buffer; `check_len` verifies every length the accessors
//! rely on; `new_checked` = `new_unchecked` + `check_len`. After `check_len` has succeeded, no
//! accessor panics. Untrusted bytes always go through `new_checked`. Where useful a small `Repr`
//! has `parse` (validating) and `emit`.
//!
//! Protocol numbers are open enums (`EtherType::Unknown(u16)`): unknown values are data, not errors.

pub mod arp;
pub mod checksum;
pub mod ethernet;
pub mod icmpv4;
pub mod icmpv6;
pub mod ipv4;
pub mod ipv6;
pub mod tcp;
pub mod udp;

use core::fmt;

/// A byte range inside a header.
pub(crate) type Field = core::ops::Range<usize>;
/// The bytes from an offset to the end.
pub(crate) type Rest = core::ops::RangeFrom<usize>;

/// Why a buffer was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The buffer is shorter than the header (or than a length field says).
    Truncated {
        /// Bytes needed.
        need: usize,
        /// Bytes present.
        have: usize,
    },
    /// A field has a value the protocol does not allow; names the field.
    Malformed(&'static str),
    /// The checksum does not verify.
    Checksum,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated { need, have } => {
                write!(f, "truncated: need {need} bytes, have {have}")
            }
            Error::Malformed(field) => write!(f, "malformed field {field}"),
            Error::Checksum => write!(f, "bad checksum"),
        }
    }
}

impl std::error::Error for Error {}

/// Result of wire parsing.
pub type Result<T> = core::result::Result<T, Error>;

#[inline]
pub(crate) fn need(have: usize, need: usize) -> Result<()> {
    if have < need {
        Err(Error::Truncated { need, have })
    } else {
        Ok(())
    }
}

#[inline]
pub(crate) fn be16(b: &[u8], f: Field) -> u16 {
    let s = &b[f];
    u16::from_be_bytes([s[0], s[1]])
}

#[inline]
pub(crate) fn set_be16(b: &mut [u8], f: Field, v: u16) {
    b[f].copy_from_slice(&v.to_be_bytes());
}

/// IP protocol / IPv6 next-header numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpProtocol {
    /// IPv6 hop-by-hop options (0).
    HopByHop,
    /// ICMP (1).
    Icmp,
    /// TCP (6).
    Tcp,
    /// UDP (17).
    Udp,
    /// ICMPv6 (58).
    Icmpv6,
    /// Anything else.
    Unknown(u8),
}

impl From<u8> for IpProtocol {
    fn from(v: u8) -> Self {
        match v {
            0 => IpProtocol::HopByHop,
            1 => IpProtocol::Icmp,
            6 => IpProtocol::Tcp,
            17 => IpProtocol::Udp,
            58 => IpProtocol::Icmpv6,
            x => IpProtocol::Unknown(x),
        }
    }
}

impl From<IpProtocol> for u8 {
    fn from(p: IpProtocol) -> u8 {
        match p {
            IpProtocol::HopByHop => 0,
            IpProtocol::Icmp => 1,
            IpProtocol::Tcp => 6,
            IpProtocol::Udp => 17,
            IpProtocol::Icmpv6 => 58,
            IpProtocol::Unknown(x) => x,
        }
    }
}

impl fmt::Display for IpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpProtocol::HopByHop => write!(f, "hop-by-hop"),
            IpProtocol::Icmp => write!(f, "icmp"),
            IpProtocol::Tcp => write!(f, "tcp"),
            IpProtocol::Udp => write!(f, "udp"),
            IpProtocol::Icmpv6 => write!(f, "icmpv6"),
            IpProtocol::Unknown(x) => write!(f, "proto-{x}"),
        }
    }
}

/// An Ethernet MAC address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// ff:ff:ff:ff:ff:ff.
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);
    /// The multicast MAC for an IPv6 multicast address (RFC 2464 section 7: 33:33 + low 32 bits).
    pub fn ipv6_multicast(addr: core::net::Ipv6Addr) -> MacAddr {
        let o = addr.octets();
        MacAddr([0x33, 0x33, o[12], o[13], o[14], o[15]])
    }
    /// Group bit set.
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 1 != 0
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The contract: after `check_len` succeeds, no accessor panics (random bytes through
        /// every view; a panic fails the test).
        #[test]
        fn no_accessor_panics_after_check_len(b in proptest::collection::vec(any::<u8>(), 0..96)) {
            if let Ok(f) = ethernet::Frame::new_checked(&b[..]) {
                let _ = (f.dst_addr(), f.src_addr(), f.ethertype(), f.payload().len());
                if let Ok(t) = ethernet::VlanTag::new_checked(f.payload()) {
                    let _ = (t.vlan_id(), t.pcp(), t.ethertype());
                }
            }
            if let Ok(p) = arp::Packet::new_checked(&b[..]) {
                let _ = (p.hardware_type(), p.protocol_type(), p.hardware_len(), p.protocol_len());
                let _ = (p.operation(), p.source_hardware_addr(), p.source_protocol_addr());
                let _ = (p.target_hardware_addr(), p.target_protocol_addr(), arp::Repr::parse(&p));
            }
            if let Ok(p) = ipv4::Packet::new_checked(&b[..]) {
                let _ = (p.version(), p.header_len(), p.dscp_ecn(), p.total_len(), p.ident());
                let _ = (p.dont_frag(), p.more_frags(), p.frag_offset(), p.ttl(), p.next_header());
                let _ = (p.checksum(), p.src_addr(), p.dst_addr(), p.header().len());
                let _ = (p.verify_checksum(), p.payload().len(), ipv4::Repr::parse(&p));
            }
            if let Ok(p) = ipv6::Packet::new_checked(&b[..]) {
                let _ = (p.version(), p.traffic_class(), p.flow_label(), p.payload_len());
                let _ = (p.next_header(), p.hop_limit(), p.src_addr(), p.dst_addr());
                let _ = (p.payload().len(), ipv6::Repr::parse(&p));
            }
            if let Ok(p) = icmpv4::Packet::new_checked(&b[..]) {
                let _ = (p.msg_type(), p.msg_code(), p.checksum(), p.echo_ident());
                let _ = (p.echo_seq_no(), p.next_hop_mtu(), p.data().len(), p.verify_checksum());
            }
            if let Ok(p) = icmpv6::Packet::new_checked(&b[..]) {
                let a = core::net::Ipv6Addr::LOCALHOST;
                let _ = (p.msg_type(), p.msg_code(), p.checksum(), p.rest(), p.data().len());
                let _ = (p.nd_target(), p.na_flags(), p.verify_checksum(a, a));
                let _ = icmpv6::find_lladdr(&p, icmpv6::OPT_SOURCE_LLADDR);
                for o in p.nd_options().flatten() {
                    let _ = o.link_layer_addr();
                }
            }
            if let Ok(p) = udp::Packet::new_checked(&b[..]) {
                let _ = (p.src_port(), p.dst_port(), p.len(), p.checksum());
            }
            if let Ok(p) = tcp::Packet::new_checked(&b[..]) {
                let _ = (p.src_port(), p.dst_port());
            }
        }
    }
}
