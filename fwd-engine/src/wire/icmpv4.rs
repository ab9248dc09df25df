//! ICMPv4 (RFC 792, RFC 1191 for "fragmentation needed").

use super::checksum;
use super::{be16, need, set_be16, Field, Rest, Result};

mod field {
    use super::{Field, Rest};
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: Field = 2..4;
    /// Echo: identifier / sequence; errors: unused / next-hop MTU.
    pub const REST_HI: Field = 4..6;
    pub const REST_LO: Field = 6..8;
    pub const DATA: Rest = 8..;
}

/// ICMP header length (type, code, checksum, 4 bytes of rest-of-header).
pub const HEADER_LEN: usize = 8;

/// ICMPv4 message types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message {
    /// 0
    EchoReply,
    /// 3
    DstUnreachable,
    /// 8
    EchoRequest,
    /// 11
    TimeExceeded,
    /// 12
    ParamProblem,
    /// Anything else.
    Unknown(u8),
}

impl From<u8> for Message {
    fn from(v: u8) -> Self {
        match v {
            0 => Message::EchoReply,
            3 => Message::DstUnreachable,
            8 => Message::EchoRequest,
            11 => Message::TimeExceeded,
            12 => Message::ParamProblem,
            x => Message::Unknown(x),
        }
    }
}

impl From<Message> for u8 {
    fn from(m: Message) -> u8 {
        match m {
            Message::EchoReply => 0,
            Message::DstUnreachable => 3,
            Message::EchoRequest => 8,
            Message::TimeExceeded => 11,
            Message::ParamProblem => 12,
            Message::Unknown(x) => x,
        }
    }
}

impl Message {
    /// Error messages (never answered with another error, RFC 1812 section 4.3.2.7).
    pub fn is_error(self) -> bool {
        matches!(
            self,
            Message::DstUnreachable | Message::TimeExceeded | Message::ParamProblem
        ) || matches!(self, Message::Unknown(4 | 5))
    }
}

/// Destination-unreachable codes used by the router.
pub mod unreachable {
    /// Net unreachable.
    pub const NET: u8 = 0;
    /// Host unreachable.
    pub const HOST: u8 = 1;
    /// Fragmentation needed and DF set.
    pub const FRAG_NEEDED: u8 = 4;
}

/// Time-exceeded codes.
pub mod time_exceeded {
    /// TTL exceeded in transit.
    pub const TTL: u8 = 0;
}

/// A view of an ICMPv4 message.
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
    /// At least the 8-byte header.
    pub fn check_len(&self) -> Result<()> {
        need(self.buffer.as_ref().len(), HEADER_LEN)
    }
    /// Message type.
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
    /// Echo identifier.
    pub fn echo_ident(&self) -> u16 {
        be16(self.buffer.as_ref(), field::REST_HI)
    }
    /// Echo sequence number.
    pub fn echo_seq_no(&self) -> u16 {
        be16(self.buffer.as_ref(), field::REST_LO)
    }
    /// Next-hop MTU of a "fragmentation needed" message (RFC 1191).
    pub fn next_hop_mtu(&self) -> u16 {
        be16(self.buffer.as_ref(), field::REST_LO)
    }
    /// Data after the header.
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[field::DATA]
    }
    /// Checksum over the whole buffer verifies.
    pub fn verify_checksum(&self) -> bool {
        checksum::fold(checksum::sum(self.buffer.as_ref())) == 0xffff
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
    /// Set the 4 rest-of-header bytes as two 16-bit words.
    pub fn set_rest(&mut self, hi: u16, lo: u16) {
        let b = self.buffer.as_mut();
        set_be16(b, field::REST_HI, hi);
        set_be16(b, field::REST_LO, lo);
    }
    /// Compute the checksum over the whole buffer.
    pub fn fill_checksum(&mut self) {
        set_be16(self.buffer.as_mut(), field::CHECKSUM, 0);
        let c = checksum::checksum(self.buffer.as_ref());
        set_be16(self.buffer.as_mut(), field::CHECKSUM, c);
    }
    /// Mutable data after the header.
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::DATA]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_request() {
        // Type 8, code 0, id 0x1234, seq 1, data "ab".
        let mut b = [8u8, 0, 0, 0, 0x12, 0x34, 0, 1, b'a', b'b'];
        let mut p = Packet::new_checked(&mut b[..]).unwrap();
        p.fill_checksum();
        assert!(p.verify_checksum());
        assert_eq!(p.msg_type(), Message::EchoRequest);
        assert_eq!(p.echo_ident(), 0x1234);
        assert_eq!(p.echo_seq_no(), 1);
        assert_eq!(p.data(), b"ab");
        assert!(!p.msg_type().is_error());
        // ~(0x0800 + 0x1234 + 0x0001 + 0x6162) = ~0x7b97 = 0x8468
        assert_eq!(p.checksum(), 0x8468);
        assert!(Packet::new_checked(&b[..7]).is_err());
    }
}
