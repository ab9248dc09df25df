//! ICMPv6 (RFC 4443) and Neighbor Discovery NS/NA (RFC 4861).

use super::checksum;
use super::{be16, need, set_be16, Error, Field, IpProtocol, MacAddr, Rest, Result};
use core::net::Ipv6Addr;

mod field {
    use super::{Field, Rest};
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: Field = 2..4;
    /// Errors: unused / MTU (packet too big) / pointer; echo: id + seq; NA: flags + reserved.
    pub const REST: Field = 4..8;
    pub const DATA: Rest = 8..;
    /// NS / NA target address.
    pub const ND_TARGET: Field = 8..24;
    pub const ND_OPTIONS: Rest = 24..;
    pub const NA_FLAGS: usize = 4;
}

/// ICMPv6 header length.
pub const HEADER_LEN: usize = 8;
/// NS / NA length without options.
pub const ND_LEN: usize = 24;
/// Length of a link-layer address option for Ethernet.
pub const LLADDR_OPT_LEN: usize = 8;

/// NA flag: router.
pub const NA_ROUTER: u8 = 0x80;
/// NA flag: solicited.
pub const NA_SOLICITED: u8 = 0x40;
/// NA flag: override.
pub const NA_OVERRIDE: u8 = 0x20;

/// ND option type: source link-layer address.
pub const OPT_SOURCE_LLADDR: u8 = 1;
/// ND option type: target link-layer address.
pub const OPT_TARGET_LLADDR: u8 = 2;

/// ICMPv6 message types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message {
    /// 1
    DstUnreachable,
    /// 2
    PacketTooBig,
    /// 3
    TimeExceeded,
    /// 4
    ParamProblem,
    /// 128
    EchoRequest,
    /// 129
    EchoReply,
    /// 133
    RouterSolicit,
    /// 134
    RouterAdvert,
    /// 135
    NeighborSolicit,
    /// 136
    NeighborAdvert,
    /// 137
    Redirect,
    /// Anything else.
    Unknown(u8),
}

impl From<u8> for Message {
    fn from(v: u8) -> Self {
        match v {
            1 => Message::DstUnreachable,
            2 => Message::PacketTooBig,
            3 => Message::TimeExceeded,
            4 => Message::ParamProblem,
            128 => Message::EchoRequest,
            129 => Message::EchoReply,
            133 => Message::RouterSolicit,
            134 => Message::RouterAdvert,
            135 => Message::NeighborSolicit,
            136 => Message::NeighborAdvert,
            137 => Message::Redirect,
            x => Message::Unknown(x),
        }
    }
}

impl From<Message> for u8 {
    fn from(m: Message) -> u8 {
        match m {
            Message::DstUnreachable => 1,
            Message::PacketTooBig => 2,
            Message::TimeExceeded => 3,
            Message::ParamProblem => 4,
            Message::EchoRequest => 128,
            Message::EchoReply => 129,
            Message::RouterSolicit => 133,
            Message::RouterAdvert => 134,
            Message::NeighborSolicit => 135,
            Message::NeighborAdvert => 136,
            Message::Redirect => 137,
            Message::Unknown(x) => x,
        }
    }
}

impl Message {
    /// Error messages (types 0..=127, RFC 4443 section 2.1): never answered with an error.
    pub fn is_error(self) -> bool {
        u8::from(self) < 128
    }
}

/// A view of an ICMPv6 message.
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
    /// At least 8 bytes; NS and NA need 24 (type-dependent, so the NS/NA accessors below are
    /// in range after `check_len`).
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        need(len, HEADER_LEN)?;
        match self.msg_type() {
            Message::NeighborSolicit | Message::NeighborAdvert => need(len, ND_LEN),
            _ => Ok(()),
        }
    }
    /// Type.
    pub fn msg_type(&self) -> Message {
        Message::from(self.buffer.as_ref()[field::TYPE])
    }
    /// Code.
    pub fn msg_code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }
    /// Checksum field.
    pub fn checksum(&self) -> u16 {
        be16(self.buffer.as_ref(), field::CHECKSUM)
    }
    /// The 4 rest-of-header bytes as a u32 (MTU for packet-too-big).
    pub fn rest(&self) -> u32 {
        let s = &self.buffer.as_ref()[field::REST];
        u32::from_be_bytes([s[0], s[1], s[2], s[3]])
    }
    /// Data after the 8-byte header.
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[field::DATA]
    }
    /// NS/NA target address (in range only for NS/NA after `check_len`; other types: the first
    /// 16 data bytes, zero-padded when shorter).
    pub fn nd_target(&self) -> Ipv6Addr {
        let b = self.buffer.as_ref();
        let mut o = [0u8; 16];
        let end = b.len().min(field::ND_TARGET.end);
        if end > field::ND_TARGET.start {
            o[..end - field::ND_TARGET.start].copy_from_slice(&b[field::ND_TARGET.start..end]);
        }
        Ipv6Addr::from(o)
    }
    /// NA flags byte.
    pub fn na_flags(&self) -> u8 {
        self.buffer.as_ref()[field::NA_FLAGS]
    }
    /// The ND options (empty when the message is shorter than 24 bytes).
    pub fn nd_options(&self) -> NdOptions<'_> {
        let b = self.buffer.as_ref();
        NdOptions {
            rest: b.get(field::ND_OPTIONS).unwrap_or(&[]),
        }
    }
    /// Verify the checksum with the pseudo-header of `src` / `dst`.
    pub fn verify_checksum(&self, src: Ipv6Addr, dst: Ipv6Addr) -> bool {
        let b = self.buffer.as_ref();
        let Ok(len) = u32::try_from(b.len()) else {
            return false;
        };
        let acc =
            checksum::pseudo_v6(src, dst, u8::from(IpProtocol::Icmpv6), len) + checksum::sum(b);
        checksum::fold(acc) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Set the type.
    pub fn set_msg_type(&mut self, m: Message) {
        self.buffer.as_mut()[field::TYPE] = m.into();
    }
    /// Set the code.
    pub fn set_msg_code(&mut self, c: u8) {
        self.buffer.as_mut()[field::CODE] = c;
    }
    /// Set the 4 rest-of-header bytes.
    pub fn set_rest(&mut self, v: u32) {
        self.buffer.as_mut()[field::REST].copy_from_slice(&v.to_be_bytes());
    }
    /// Set the NA flags byte (and zero the 3 reserved bytes).
    pub fn set_na_flags(&mut self, flags: u8) {
        self.buffer.as_mut()[field::REST].copy_from_slice(&[flags, 0, 0, 0]);
    }
    /// Set the NS/NA target (the buffer must hold 24 bytes).
    pub fn set_nd_target(&mut self, a: Ipv6Addr) {
        self.buffer.as_mut()[field::ND_TARGET].copy_from_slice(&a.octets());
    }
    /// Mutable data after the header.
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::DATA]
    }
    /// Compute the checksum over the whole buffer with the pseudo-header of `src` / `dst`.
    pub fn fill_checksum(&mut self, src: Ipv6Addr, dst: Ipv6Addr) {
        set_be16(self.buffer.as_mut(), field::CHECKSUM, 0);
        let b = self.buffer.as_ref();
        let len = u32::try_from(b.len()).unwrap_or(u32::MAX);
        let acc =
            checksum::pseudo_v6(src, dst, u8::from(IpProtocol::Icmpv6), len) + checksum::sum(b);
        let c = !checksum::fold(acc);
        set_be16(self.buffer.as_mut(), field::CHECKSUM, c);
    }
}

/// One ND option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NdOption<'a> {
    /// Option type.
    pub kind: u8,
    /// Option body (after type and length).
    pub body: &'a [u8],
}

impl NdOption<'_> {
    /// The Ethernet address of a source/target link-layer address option.
    pub fn link_layer_addr(&self) -> Option<MacAddr> {
        if (self.kind == OPT_SOURCE_LLADDR || self.kind == OPT_TARGET_LLADDR)
            && self.body.len() >= 6
        {
            let mut m = [0u8; 6];
            m.copy_from_slice(&self.body[..6]);
            Some(MacAddr(m))
        } else {
            None
        }
    }
}

/// Iterator over ND options; yields `Err` (and stops) on a zero or overlong option length
/// (RFC 4861 section 4.6: such a packet must be discarded).
#[derive(Clone, Debug)]
pub struct NdOptions<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for NdOptions<'a> {
    type Item = Result<NdOption<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        if self.rest.len() < 2 {
            self.rest = &[];
            return Some(Err(Error::Truncated { need: 2, have: 1 }));
        }
        let len = usize::from(self.rest[1]) * 8;
        if len == 0 {
            self.rest = &[];
            return Some(Err(Error::Malformed("nd option length")));
        }
        if len > self.rest.len() {
            let have = self.rest.len();
            self.rest = &[];
            return Some(Err(Error::Truncated { need: len, have }));
        }
        let opt = NdOption {
            kind: self.rest[0],
            body: &self.rest[2..len],
        };
        self.rest = &self.rest[len..];
        Some(Ok(opt))
    }
}

/// Find the link-layer address option of kind `kind`; `Err` when the options are malformed.
pub fn find_lladdr<T: AsRef<[u8]>>(p: &Packet<T>, kind: u8) -> Result<Option<MacAddr>> {
    let mut found = None;
    for o in p.nd_options() {
        let o = o?;
        if o.kind == kind && found.is_none() {
            found = o.link_layer_addr();
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns() -> Vec<u8> {
        let mut b = vec![135u8, 0, 0, 0, 0, 0, 0, 0];
        b.extend("2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
        b.extend([1, 1, 0x02, 0, 0, 0, 0, 0x42]);
        b
    }

    #[test]
    fn ns_options_and_checksum() {
        let mut b = ns();
        let src: Ipv6Addr = "2001:db8::2".parse().unwrap();
        let dst: Ipv6Addr = "ff02::1:ff00:1".parse().unwrap();
        let mut p = Packet::new_checked(&mut b[..]).unwrap();
        p.fill_checksum(src, dst);
        assert!(p.verify_checksum(src, dst));
        assert_eq!(p.msg_type(), Message::NeighborSolicit);
        assert_eq!(p.nd_target(), "2001:db8::1".parse::<Ipv6Addr>().unwrap());
        assert_eq!(
            find_lladdr(&p, OPT_SOURCE_LLADDR).unwrap(),
            Some(MacAddr([2, 0, 0, 0, 0, 0x42]))
        );
        assert_eq!(find_lladdr(&p, OPT_TARGET_LLADDR).unwrap(), None);
    }

    #[test]
    fn malformed_options_and_short() {
        let mut b = ns();
        b[25] = 0;
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(
            find_lladdr(&p, OPT_SOURCE_LLADDR),
            Err(Error::Malformed("nd option length"))
        );
        b[25] = 2;
        let p = Packet::new_checked(&b[..]).unwrap();
        assert!(find_lladdr(&p, OPT_SOURCE_LLADDR).is_err());
        assert!(Packet::new_checked(&b[..23]).is_err());
        assert!(Message::from(1).is_error());
        assert!(!Message::from(135).is_error());
    }
}
