//! TCP headers (RFC 9293): only the ports (for flow hashing).

use super::{be16, need, Field, Result};

mod field {
    use super::Field;
    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
}

/// Bytes needed to read the ports.
pub const PORTS_LEN: usize = 4;

/// A view of the start of a TCP segment.
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
    /// At least the 4 bytes of ports (the router reads nothing else).
    pub fn check_len(&self) -> Result<()> {
        need(self.buffer.as_ref().len(), PORTS_LEN)
    }
    /// Source port.
    pub fn src_port(&self) -> u16 {
        be16(self.buffer.as_ref(), field::SRC_PORT)
    }
    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        be16(self.buffer.as_ref(), field::DST_PORT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn ports() {
        let b = [0x00, 0x50, 0xc0, 0x00];
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!((p.src_port(), p.dst_port()), (80, 0xc000));
        assert!(Packet::new_checked(&b[..3]).is_err());
    }
}
