//! IPv4 headers (RFC 791).

use super::checksum;
use super::{be16, need, set_be16, Error, Field, IpProtocol, Result};
use core::net::Ipv4Addr;

mod field {
    use super::Field;
    pub const VER_IHL: usize = 0;
    pub const DSCP_ECN: usize = 1;
    pub const LENGTH: Field = 2..4;
    pub const IDENT: Field = 4..6;
    pub const FLG_OFF: Field = 6..8;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    /// TTL and protocol as one 16-bit word (what ip4-rewrite updates the checksum for).
    pub const TTL_PROTOCOL: Field = 8..10;
    pub const CHECKSUM: Field = 10..12;
    pub const SRC_ADDR: Field = 12..16;
    pub const DST_ADDR: Field = 16..20;
}

/// Minimum (option-less) header length.
pub const HEADER_LEN: usize = 20;

/// A view of an IPv4 packet.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wrap without checking.
    pub const fn new_unchecked(buffer: T) -> Self {
        Packet { buffer }
    }
    /// Wrap and `check_len`.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }
    /// Checks: buffer >= 20 bytes, header length >= 20 and <= buffer, total length >= header length
    /// and <= buffer. Afterwards `header()`, `payload()` and every field accessor are in range.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        need(len, HEADER_LEN)?;
        let hl = self.header_len();
        if hl < HEADER_LEN {
            return Err(Error::Malformed("ipv4 header length"));
        }
        need(len, hl)?;
        let tl = usize::from(self.total_len());
        if tl < hl {
            return Err(Error::Malformed("ipv4 total length"));
        }
        need(len, tl)
    }
    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }
    /// Version nibble.
    #[inline]
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VER_IHL] >> 4
    }
    /// Header length in bytes (IHL * 4).
    #[inline]
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::VER_IHL] & 0x0f) * 4
    }
    /// DSCP + ECN byte.
    pub fn dscp_ecn(&self) -> u8 {
        self.buffer.as_ref()[field::DSCP_ECN]
    }
    /// Total length.
    #[inline]
    pub fn total_len(&self) -> u16 {
        be16(self.buffer.as_ref(), field::LENGTH)
    }
    /// Identification.
    pub fn ident(&self) -> u16 {
        be16(self.buffer.as_ref(), field::IDENT)
    }
    /// Don't-fragment flag.
    #[inline]
    pub fn dont_frag(&self) -> bool {
        be16(self.buffer.as_ref(), field::FLG_OFF) & 0x4000 != 0
    }
    /// More-fragments flag.
    pub fn more_frags(&self) -> bool {
        be16(self.buffer.as_ref(), field::FLG_OFF) & 0x2000 != 0
    }
    /// Fragment offset in bytes.
    pub fn frag_offset(&self) -> u16 {
        (be16(self.buffer.as_ref(), field::FLG_OFF) & 0x1fff) << 3
    }
    /// Time to live.
    #[inline]
    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[field::TTL]
    }
    /// Protocol.
    #[inline]
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol::from(self.buffer.as_ref()[field::PROTOCOL])
    }
    /// Header checksum.
    pub fn checksum(&self) -> u16 {
        be16(self.buffer.as_ref(), field::CHECKSUM)
    }
    /// Source address.
    #[inline]
    pub fn src_addr(&self) -> Ipv4Addr {
        let b = &self.buffer.as_ref()[field::SRC_ADDR];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }
    /// Destination address.
    #[inline]
    pub fn dst_addr(&self) -> Ipv4Addr {
        let b = &self.buffer.as_ref()[field::DST_ADDR];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }
    /// The header bytes (with options).
    pub fn header(&self) -> &[u8] {
        &self.buffer.as_ref()[..self.header_len()]
    }
    /// True when the header checksum verifies.
    #[inline]
    pub fn verify_checksum(&self) -> bool {
        let h = self.header();
        if let Ok(w) = <&[u8; 20]>::try_from(h) {
            // Option-less header: five 32-bit words (their folded sum is the same ones'-complement
            // sum as the ten 16-bit words).
            let word =
                |i: usize| u64::from(u32::from_be_bytes([w[i], w[i + 1], w[i + 2], w[i + 3]]));
            let s = word(0) + word(4) + word(8) + word(12) + word(16);
            return checksum::fold(s) == 0xffff;
        }
        checksum::fold(checksum::sum(h)) == 0xffff
    }
    /// The payload up to the total length.
    pub fn payload(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        &b[self.header_len()..usize::from(self.total_len())]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Set version 4 and the header length (bytes, multiple of 4, 20..=60).
    pub fn set_version_header_len(&mut self, header_len: u8) {
        self.buffer.as_mut()[field::VER_IHL] = 0x40 | ((header_len / 4) & 0x0f);
    }
    /// Set DSCP + ECN.
    pub fn set_dscp_ecn(&mut self, v: u8) {
        self.buffer.as_mut()[field::DSCP_ECN] = v;
    }
    /// Set the total length.
    pub fn set_total_len(&mut self, v: u16) {
        set_be16(self.buffer.as_mut(), field::LENGTH, v);
    }
    /// Set the identification.
    pub fn set_ident(&mut self, v: u16) {
        set_be16(self.buffer.as_mut(), field::IDENT, v);
    }
    /// Set flags (DF only) and zero fragment offset.
    pub fn set_dont_frag_only(&mut self, df: bool) {
        set_be16(
            self.buffer.as_mut(),
            field::FLG_OFF,
            if df { 0x4000 } else { 0 },
        );
    }
    /// Set the TTL (checksum not updated).
    pub fn set_ttl(&mut self, v: u8) {
        self.buffer.as_mut()[field::TTL] = v;
    }
    /// Set the protocol.
    pub fn set_next_header(&mut self, p: IpProtocol) {
        self.buffer.as_mut()[field::PROTOCOL] = p.into();
    }
    /// Set the checksum field.
    pub fn set_checksum(&mut self, v: u16) {
        set_be16(self.buffer.as_mut(), field::CHECKSUM, v);
    }
    /// Set the source address.
    pub fn set_src_addr(&mut self, a: Ipv4Addr) {
        self.buffer.as_mut()[field::SRC_ADDR].copy_from_slice(&a.octets());
    }
    /// Set the destination address.
    pub fn set_dst_addr(&mut self, a: Ipv4Addr) {
        self.buffer.as_mut()[field::DST_ADDR].copy_from_slice(&a.octets());
    }
    /// Recompute the header checksum.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let c = checksum::checksum(self.header());
        self.set_checksum(c);
    }
    /// Decrement the TTL by one and update the checksum incrementally (RFC 1624); the caller has
    /// checked `ttl() > 1`.
    #[inline]
    pub fn decrement_ttl(&mut self) {
        let b = self.buffer.as_mut();
        // Read the TTL/protocol word once and write it back whole: a byte store followed by a
        // word load of the same bytes would stall on store forwarding.
        let old = be16(b, field::TTL_PROTOCOL);
        let new = old.wrapping_sub(0x0100);
        set_be16(b, field::TTL_PROTOCOL, new);
        let hc = be16(b, field::CHECKSUM);
        set_be16(b, field::CHECKSUM, checksum::update16(hc, old, new));
    }
    /// Mutable payload up to the total length.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let (hl, tl) = (self.header_len(), usize::from(self.total_len()));
        &mut self.buffer.as_mut()[hl..tl]
    }
}

/// An option-less IPv4 header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repr {
    /// Source.
    pub src_addr: Ipv4Addr,
    /// Destination.
    pub dst_addr: Ipv4Addr,
    /// Protocol.
    pub next_header: IpProtocol,
    /// Payload length.
    pub payload_len: usize,
    /// TTL.
    pub ttl: u8,
}

impl Repr {
    /// Parse (checks lengths, version and checksum; options are skipped).
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Repr> {
        p.check_len()?;
        if p.version() != 4 {
            return Err(Error::Malformed("ipv4 version"));
        }
        if !p.verify_checksum() {
            return Err(Error::Checksum);
        }
        Ok(Repr {
            src_addr: p.src_addr(),
            dst_addr: p.dst_addr(),
            next_header: p.next_header(),
            payload_len: usize::from(p.total_len()) - p.header_len(),
            ttl: p.ttl(),
        })
    }
    /// 20.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }
    /// Write a 20-byte header with DF clear, ident 0, DSCP 0, and a valid checksum. The caller
    /// guarantees `payload_len <= 65515` and a buffer of at least 20 bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>) {
        p.set_version_header_len(20);
        p.set_dscp_ecn(0);
        let total = u16::try_from(HEADER_LEN + self.payload_len).unwrap_or(u16::MAX);
        p.set_total_len(total);
        p.set_ident(0);
        p.set_dont_frag_only(false);
        p.set_ttl(self.ttl);
        p.set_next_header(self.next_header);
        p.set_src_addr(self.src_addr);
        p.set_dst_addr(self.dst_addr);
        p.fill_checksum();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UDP_PKT: [u8; 28] = [
        0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 10, 0, 0, 2, 10, 0,
        1, 2, // header (checksum filled in by the test)
        0x04, 0xd2, 0x16, 0x2e, 0x00, 0x08, 0x00, 0x00,
    ];

    fn pkt() -> [u8; 28] {
        let mut b = UDP_PKT;
        Packet::new_unchecked(&mut b[..]).fill_checksum();
        b
    }

    #[test]
    fn fields() {
        let b = pkt();
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(p.version(), 4);
        assert_eq!(p.header_len(), 20);
        assert_eq!(p.total_len(), 28);
        assert_eq!(p.ident(), 0x1234);
        assert!(p.dont_frag());
        assert!(!p.more_frags());
        assert_eq!(p.frag_offset(), 0);
        assert_eq!(p.ttl(), 64);
        assert_eq!(p.next_header(), IpProtocol::Udp);
        assert_eq!(p.src_addr(), Ipv4Addr::new(10, 0, 0, 2));
        assert_eq!(p.dst_addr(), Ipv4Addr::new(10, 0, 1, 2));
        assert!(p.verify_checksum());
        assert_eq!(p.payload().len(), 8);
    }

    #[test]
    fn check_len_errors() {
        let b = pkt();
        assert_eq!(
            Packet::new_checked(&b[..19]).unwrap_err(),
            Error::Truncated { need: 20, have: 19 }
        );
        let mut c = b;
        c[0] = 0x44;
        assert_eq!(
            Packet::new_checked(&c[..]).unwrap_err(),
            Error::Malformed("ipv4 header length")
        );
        let mut c = b;
        c[0] = 0x4f;
        assert_eq!(
            Packet::new_checked(&c[..]).unwrap_err(),
            Error::Truncated { need: 60, have: 28 }
        );
        let mut c = b;
        c[3] = 29;
        assert_eq!(
            Packet::new_checked(&c[..]).unwrap_err(),
            Error::Truncated { need: 29, have: 28 }
        );
        let mut c = b;
        c[3] = 19;
        assert_eq!(
            Packet::new_checked(&c[..]).unwrap_err(),
            Error::Malformed("ipv4 total length")
        );
        c[3] = 28;
        c[11] ^= 1;
        assert_eq!(
            Repr::parse(&Packet::new_checked(&c[..]).unwrap()).unwrap_err(),
            Error::Checksum
        );
    }

    #[test]
    fn ttl_decrement_keeps_checksum_valid() {
        let mut b = pkt();
        let mut p = Packet::new_checked(&mut b[..]).unwrap();
        p.decrement_ttl();
        assert_eq!(p.ttl(), 63);
        assert!(p.verify_checksum());
    }

    #[test]
    fn repr_roundtrip() {
        let r = Repr {
            src_addr: Ipv4Addr::new(192, 0, 2, 1),
            dst_addr: Ipv4Addr::new(198, 51, 100, 7),
            next_header: IpProtocol::Icmp,
            payload_len: 8,
            ttl: 255,
        };
        let mut b = [0u8; 28];
        r.emit(&mut Packet::new_unchecked(&mut b[..]));
        assert_eq!(
            Repr::parse(&Packet::new_checked(&b[..]).unwrap()).unwrap(),
            r
        );
    }
}
