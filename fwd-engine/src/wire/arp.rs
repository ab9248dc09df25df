//! ARP for Ethernet / IPv4 (RFC 826).

use super::{be16, need, set_be16, Error, Field, MacAddr, Result};
use core::net::Ipv4Addr;

mod field {
    use super::Field;
    pub const HTYPE: Field = 0..2;
    pub const PTYPE: Field = 2..4;
    pub const HLEN: usize = 4;
    pub const PLEN: usize = 5;
    pub const OPER: Field = 6..8;
    pub const SHA: Field = 8..14;
    pub const SPA: Field = 14..18;
    pub const THA: Field = 18..24;
    pub const TPA: Field = 24..28;
}

/// Length of an Ethernet/IPv4 ARP packet.
pub const PACKET_LEN: usize = 28;

/// ARP operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// 1
    Request,
    /// 2
    Reply,
    /// Anything else.
    Unknown(u16),
}

impl From<u16> for Operation {
    fn from(v: u16) -> Self {
        match v {
            1 => Operation::Request,
            2 => Operation::Reply,
            x => Operation::Unknown(x),
        }
    }
}

impl From<Operation> for u16 {
    fn from(o: Operation) -> u16 {
        match o {
            Operation::Request => 1,
            Operation::Reply => 2,
            Operation::Unknown(x) => x,
        }
    }
}

/// A view of an ARP packet. `check_len` requires the 28 bytes of the Ethernet/IPv4 form; use
/// [`Repr::parse`] to also require hardware type 1 / protocol 0x0800 / lengths 6 and 4.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

fn addr4(b: &[u8], f: Field) -> Ipv4Addr {
    let s = &b[f];
    Ipv4Addr::new(s[0], s[1], s[2], s[3])
}

fn mac(b: &[u8], f: Field) -> MacAddr {
    let mut m = [0u8; 6];
    m.copy_from_slice(&b[f]);
    MacAddr(m)
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
    /// At least 28 bytes.
    pub fn check_len(&self) -> Result<()> {
        need(self.buffer.as_ref().len(), PACKET_LEN)
    }
    /// Hardware type (1 = Ethernet).
    pub fn hardware_type(&self) -> u16 {
        be16(self.buffer.as_ref(), field::HTYPE)
    }
    /// Protocol type (0x0800 = IPv4).
    pub fn protocol_type(&self) -> u16 {
        be16(self.buffer.as_ref(), field::PTYPE)
    }
    /// Hardware address length.
    pub fn hardware_len(&self) -> u8 {
        self.buffer.as_ref()[field::HLEN]
    }
    /// Protocol address length.
    pub fn protocol_len(&self) -> u8 {
        self.buffer.as_ref()[field::PLEN]
    }
    /// Operation.
    pub fn operation(&self) -> Operation {
        Operation::from(be16(self.buffer.as_ref(), field::OPER))
    }
    /// Sender hardware address.
    pub fn source_hardware_addr(&self) -> MacAddr {
        mac(self.buffer.as_ref(), field::SHA)
    }
    /// Sender protocol address.
    pub fn source_protocol_addr(&self) -> Ipv4Addr {
        addr4(self.buffer.as_ref(), field::SPA)
    }
    /// Target hardware address.
    pub fn target_hardware_addr(&self) -> MacAddr {
        mac(self.buffer.as_ref(), field::THA)
    }
    /// Target protocol address.
    pub fn target_protocol_addr(&self) -> Ipv4Addr {
        addr4(self.buffer.as_ref(), field::TPA)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Set the fixed Ethernet/IPv4 fields (types and lengths).
    pub fn set_ethernet_ipv4(&mut self) {
        let b = self.buffer.as_mut();
        set_be16(b, field::HTYPE, 1);
        set_be16(b, field::PTYPE, 0x0800);
        b[field::HLEN] = 6;
        b[field::PLEN] = 4;
    }
    /// Set the operation.
    pub fn set_operation(&mut self, o: Operation) {
        set_be16(self.buffer.as_mut(), field::OPER, o.into());
    }
    /// Set the sender hardware address.
    pub fn set_source_hardware_addr(&mut self, m: MacAddr) {
        self.buffer.as_mut()[field::SHA].copy_from_slice(&m.0);
    }
    /// Set the sender protocol address.
    pub fn set_source_protocol_addr(&mut self, a: Ipv4Addr) {
        self.buffer.as_mut()[field::SPA].copy_from_slice(&a.octets());
    }
    /// Set the target hardware address.
    pub fn set_target_hardware_addr(&mut self, m: MacAddr) {
        self.buffer.as_mut()[field::THA].copy_from_slice(&m.0);
    }
    /// Set the target protocol address.
    pub fn set_target_protocol_addr(&mut self, a: Ipv4Addr) {
        self.buffer.as_mut()[field::TPA].copy_from_slice(&a.octets());
    }
}

/// An Ethernet/IPv4 ARP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repr {
    /// Operation.
    pub operation: Operation,
    /// Sender MAC.
    pub source_hardware_addr: MacAddr,
    /// Sender IPv4.
    pub source_protocol_addr: Ipv4Addr,
    /// Target MAC.
    pub target_hardware_addr: MacAddr,
    /// Target IPv4.
    pub target_protocol_addr: Ipv4Addr,
}

impl Repr {
    /// Parse, requiring Ethernet/IPv4 types and lengths.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Repr> {
        p.check_len()?;
        if p.hardware_type() != 1 {
            return Err(Error::Malformed("arp hardware type"));
        }
        if p.protocol_type() != 0x0800 {
            return Err(Error::Malformed("arp protocol type"));
        }
        if p.hardware_len() != 6 || p.protocol_len() != 4 {
            return Err(Error::Malformed("arp address length"));
        }
        Ok(Repr {
            operation: p.operation(),
            source_hardware_addr: p.source_hardware_addr(),
            source_protocol_addr: p.source_protocol_addr(),
            target_hardware_addr: p.target_hardware_addr(),
            target_protocol_addr: p.target_protocol_addr(),
        })
    }
    /// 28.
    pub const fn buffer_len(&self) -> usize {
        PACKET_LEN
    }
    /// Write into a checked packet.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>) {
        p.set_ethernet_ipv4();
        p.set_operation(self.operation);
        p.set_source_hardware_addr(self.source_hardware_addr);
        p.set_source_protocol_addr(self.source_protocol_addr);
        p.set_target_hardware_addr(self.target_hardware_addr);
        p.set_target_protocol_addr(self.target_protocol_addr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUEST: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, // eth/ipv4 request
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 10, 0, 0, 2, // sender
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 10, 0, 0, 1, // target
    ];

    #[test]
    fn parse_emit() {
        let r = Repr::parse(&Packet::new_checked(&REQUEST[..]).unwrap()).unwrap();
        assert_eq!(r.operation, Operation::Request);
        assert_eq!(r.source_protocol_addr, Ipv4Addr::new(10, 0, 0, 2));
        assert_eq!(r.target_protocol_addr, Ipv4Addr::new(10, 0, 0, 1));
        let mut b = [0u8; 28];
        r.emit(&mut Packet::new_unchecked(&mut b[..]));
        assert_eq!(b, REQUEST);
    }

    #[test]
    fn rejects() {
        assert!(Packet::new_checked(&REQUEST[..27]).is_err());
        let mut b = REQUEST;
        b[5] = 16;
        assert_eq!(
            Repr::parse(&Packet::new_checked(&b[..]).unwrap()),
            Err(Error::Malformed("arp address length"))
        );
    }
}
