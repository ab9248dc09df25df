//! UDP headers (RFC 768): the ports and length the router reads.

use super::{be16, need, Field, Result};

mod field {
    use super::Field;
    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const LENGTH: Field = 4..6;
    pub const CHECKSUM: Field = 6..8;
}

/// Header length.
pub const HEADER_LEN: usize = 8;

/// A view of a UDP datagram.
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
    /// Source port.
    pub fn src_port(&self) -> u16 {
        be16(self.buffer.as_ref(), field::SRC_PORT)
    }
    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        be16(self.buffer.as_ref(), field::DST_PORT)
    }
    /// Length field.
    pub fn len(&self) -> u16 {
        be16(self.buffer.as_ref(), field::LENGTH)
    }
    /// True when the length field is zero (jumbogram form; invalid for IPv4).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Checksum field.
    pub fn checksum(&self) -> u16 {
        be16(self.buffer.as_ref(), field::CHECKSUM)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn ports() {
        let b = [0x04, 0xd2, 0x00, 0x35, 0x00, 0x08, 0xab, 0xcd];
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(
            (p.src_port(), p.dst_port(), p.len(), p.checksum()),
            (1234, 53, 8, 0xabcd)
        );
        assert!(Packet::new_checked(&b[..7]).is_err());
    }
}
