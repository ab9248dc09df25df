//! Ethernet II frames and 802.1Q / 802.1ad tags.

use super::{be16, need, set_be16, Field, MacAddr, Rest, Result};
use core::fmt;

mod field {
    use super::{Field, Rest};
    pub const DESTINATION: Field = 0..6;
    pub const SOURCE: Field = 6..12;
    pub const ETHERTYPE: Field = 12..14;
    pub const PAYLOAD: Rest = 14..;
    /// Inside an 802.1Q tag (after the outer ethertype): TCI then the inner ethertype.
    pub const TAG_TCI: Field = 0..2;
    pub const TAG_ETHERTYPE: Field = 2..4;
}

/// Ethernet header length without tags.
pub const HEADER_LEN: usize = 14;
/// Length of one 802.1Q tag.
pub const TAG_LEN: usize = 4;

/// Ethertypes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EtherType {
    /// 0x0800
    Ipv4,
    /// 0x0806
    Arp,
    /// 0x86dd
    Ipv6,
    /// 0x8100 (802.1Q C-tag)
    Vlan,
    /// 0x88a8 (802.1ad S-tag)
    QinQ,
    /// Anything else.
    Unknown(u16),
}

impl From<u16> for EtherType {
    fn from(v: u16) -> Self {
        match v {
            0x0800 => EtherType::Ipv4,
            0x0806 => EtherType::Arp,
            0x86dd => EtherType::Ipv6,
            0x8100 => EtherType::Vlan,
            0x88a8 => EtherType::QinQ,
            x => EtherType::Unknown(x),
        }
    }
}

impl From<EtherType> for u16 {
    fn from(e: EtherType) -> u16 {
        match e {
            EtherType::Ipv4 => 0x0800,
            EtherType::Arp => 0x0806,
            EtherType::Ipv6 => 0x86dd,
            EtherType::Vlan => 0x8100,
            EtherType::QinQ => 0x88a8,
            EtherType::Unknown(x) => x,
        }
    }
}

impl fmt::Display for EtherType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EtherType::Ipv4 => write!(f, "IPv4"),
            EtherType::Arp => write!(f, "ARP"),
            EtherType::Ipv6 => write!(f, "IPv6"),
            EtherType::Vlan => write!(f, "802.1Q"),
            EtherType::QinQ => write!(f, "802.1ad"),
            EtherType::Unknown(x) => write!(f, "0x{x:04x}"),
        }
    }
}

/// A view of an Ethernet II frame.
#[derive(Debug, Clone)]
pub struct Frame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Frame<T> {
    /// Wrap without checking.
    pub const fn new_unchecked(buffer: T) -> Self {
        Frame { buffer }
    }
    /// Wrap and `check_len`.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let f = Self::new_unchecked(buffer);
        f.check_len()?;
        Ok(f)
    }
    /// At least the 14-byte header.
    pub fn check_len(&self) -> Result<()> {
        need(self.buffer.as_ref().len(), HEADER_LEN)
    }
    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }
    /// Destination MAC.
    pub fn dst_addr(&self) -> MacAddr {
        let mut m = [0u8; 6];
        m.copy_from_slice(&self.buffer.as_ref()[field::DESTINATION]);
        MacAddr(m)
    }
    /// Source MAC.
    pub fn src_addr(&self) -> MacAddr {
        let mut m = [0u8; 6];
        m.copy_from_slice(&self.buffer.as_ref()[field::SOURCE]);
        MacAddr(m)
    }
    /// Outer ethertype.
    pub fn ethertype(&self) -> EtherType {
        EtherType::from(be16(self.buffer.as_ref(), field::ETHERTYPE))
    }
    /// Everything after the 14-byte header.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[field::PAYLOAD]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Frame<T> {
    /// Set the destination MAC.
    pub fn set_dst_addr(&mut self, m: MacAddr) {
        self.buffer.as_mut()[field::DESTINATION].copy_from_slice(&m.0);
    }
    /// Set the source MAC.
    pub fn set_src_addr(&mut self, m: MacAddr) {
        self.buffer.as_mut()[field::SOURCE].copy_from_slice(&m.0);
    }
    /// Set the outer ethertype.
    pub fn set_ethertype(&mut self, e: EtherType) {
        set_be16(self.buffer.as_mut(), field::ETHERTYPE, e.into());
    }
    /// Mutable payload.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::PAYLOAD]
    }
}

/// A view of one 802.1Q/802.1ad tag (the 4 bytes after a 0x8100/0x88a8 ethertype).
#[derive(Debug, Clone)]
pub struct VlanTag<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> VlanTag<T> {
    /// Wrap without checking.
    pub const fn new_unchecked(buffer: T) -> Self {
        VlanTag { buffer }
    }
    /// Wrap and `check_len`.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let t = Self::new_unchecked(buffer);
        t.check_len()?;
        Ok(t)
    }
    /// At least 4 bytes.
    pub fn check_len(&self) -> Result<()> {
        need(self.buffer.as_ref().len(), TAG_LEN)
    }
    /// The 12-bit VLAN id.
    pub fn vlan_id(&self) -> u16 {
        be16(self.buffer.as_ref(), field::TAG_TCI) & 0x0fff
    }
    /// The 3-bit priority code point.
    pub fn pcp(&self) -> u8 {
        self.buffer.as_ref()[field::TAG_TCI.start] >> 5
    }
    /// The inner ethertype.
    pub fn ethertype(&self) -> EtherType {
        EtherType::from(be16(self.buffer.as_ref(), field::TAG_ETHERTYPE))
    }
}

/// Ethernet header fields (untagged).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repr {
    /// Source MAC.
    pub src: MacAddr,
    /// Destination MAC.
    pub dst: MacAddr,
    /// Ethertype.
    pub ethertype: EtherType,
}

impl Repr {
    /// Parse a checked frame.
    pub fn parse<T: AsRef<[u8]>>(f: &Frame<T>) -> Result<Repr> {
        f.check_len()?;
        Ok(Repr {
            src: f.src_addr(),
            dst: f.dst_addr(),
            ethertype: f.ethertype(),
        })
    }
    /// Header length.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }
    /// Write the header into the first 14 bytes of `f` (its length must have been checked).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, f: &mut Frame<T>) {
        f.set_src_addr(self.src);
        f.set_dst_addr(self.dst);
        f.set_ethertype(self.ethertype);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAGGED: [u8; 22] = [
        0x02, 0, 0, 0, 0, 1, // dst
        0x02, 0, 0, 0, 0, 2, // src
        0x81, 0x00, 0xa0, 0x64, // 802.1Q pcp 5, vid 100
        0x08, 0x00, // inner IPv4
        0x45, 0, 0, 20,
    ];

    #[test]
    fn tagged_frame() {
        let f = Frame::new_checked(&TAGGED[..]).unwrap();
        assert_eq!(f.dst_addr(), MacAddr([2, 0, 0, 0, 0, 1]));
        assert_eq!(f.src_addr().to_string(), "02:00:00:00:00:02");
        assert_eq!(f.ethertype(), EtherType::Vlan);
        let t = VlanTag::new_checked(f.payload()).unwrap();
        assert_eq!(t.vlan_id(), 100);
        assert_eq!(t.pcp(), 5);
        assert_eq!(t.ethertype(), EtherType::Ipv4);
    }

    #[test]
    fn short_and_unknown() {
        assert!(Frame::new_checked(&TAGGED[..13]).is_err());
        let mut b = TAGGED;
        b[12] = 0x12;
        b[13] = 0x34;
        assert_eq!(
            Frame::new_checked(&b[..]).unwrap().ethertype(),
            EtherType::Unknown(0x1234)
        );
        assert_eq!(u16::from(EtherType::Unknown(0x1234)), 0x1234);
    }

    #[test]
    fn emit_roundtrip() {
        let r = Repr {
            src: MacAddr([1, 2, 3, 4, 5, 6]),
            dst: MacAddr::BROADCAST,
            ethertype: EtherType::Arp,
        };
        let mut b = [0u8; 14];
        r.emit(&mut Frame::new_unchecked(&mut b[..]));
        assert_eq!(
            b,
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 0x08, 0x06]
        );
        assert_eq!(
            Repr::parse(&Frame::new_checked(&b[..]).unwrap()).unwrap(),
            r
        );
    }
}
