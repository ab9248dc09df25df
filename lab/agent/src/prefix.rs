//! IP prefixes (v4 and v6) with canonical (host bits cleared) form.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An IP prefix, `addr/len`, with host bits cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpPrefix {
    addr: IpAddr,
    len: u8,
}

/// A prefix that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefixError {
    /// Length larger than the address width.
    #[error("prefix length {len} exceeds {max}")]
    Length {
        /// Given length.
        len: u8,
        /// Address width.
        max: u8,
    },
    /// Text is not `addr/len`.
    #[error("cannot parse prefix {0:?}")]
    Syntax(String),
}

impl IpPrefix {
    /// Builds a prefix; host bits of `addr` are cleared.
    pub fn new(addr: IpAddr, len: u8) -> Result<Self, PrefixError> {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if len > max {
            return Err(PrefixError::Length { len, max });
        }
        Ok(Self {
            addr: mask(addr, len),
            len,
        })
    }

    /// The host route for an address (/32 or /128).
    pub fn host(addr: IpAddr) -> Self {
        let len = if addr.is_ipv4() { 32 } else { 128 };
        Self { addr, len }
    }

    /// The default route (length 0) of `addr`'s family.
    pub fn default_route(addr: IpAddr) -> Self {
        let addr = match addr {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        Self { addr, len: 0 }
    }

    /// Network address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// Prefix length.
    #[allow(
        clippy::len_without_is_empty,
        reason = "a prefix length, not a container size"
    )]
    pub fn len(&self) -> u8 {
        self.len
    }

    /// Whether this is a default route (length 0).
    pub fn is_default(&self) -> bool {
        self.len == 0
    }

    /// Netmask as an address of the same family.
    pub fn mask(&self) -> IpAddr {
        match self.addr {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(v4_mask(self.len))),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(v6_mask(self.len))),
        }
    }

    /// Whether `ip` is inside this prefix.
    pub fn contains(&self, ip: IpAddr) -> bool {
        ip.is_ipv4() == self.addr.is_ipv4() && mask(ip, self.len) == self.addr
    }

    /// IPv6 link-local (fe80::/10) or multicast (IPv4 224/4, IPv6 ff00::/8) destinations.
    pub fn is_link_local_or_multicast(&self) -> bool {
        match self.addr {
            IpAddr::V4(a) => a.is_multicast() || (a.octets()[0] == 169 && a.octets()[1] == 254),
            IpAddr::V6(a) => {
                let s = a.segments()[0];
                (s & 0xffc0) == 0xfe80 || (s & 0xff00) == 0xff00
            }
        }
    }
}

fn v4_mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    }
}

fn v6_mask(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len))
    }
}

fn mask(addr: IpAddr, len: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & v4_mask(len.min(32)))),
        IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) & v6_mask(len.min(128)))),
    }
}

impl fmt::Display for IpPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl FromStr for IpPrefix {
    type Err = PrefixError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, l) = s
            .split_once('/')
            .ok_or_else(|| PrefixError::Syntax(s.into()))?;
        let addr: IpAddr = a.parse().map_err(|_| PrefixError::Syntax(s.into()))?;
        let len: u8 = l.parse().map_err(|_| PrefixError::Syntax(s.into()))?;
        Self::new(addr, len)
    }
}

/// An interface address: the address itself plus its prefix length (`10.0.1.1/30`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IfAddr {
    /// The interface's own address.
    pub ip: IpAddr,
    /// Prefix length of the connected subnet.
    pub len: u8,
}

impl IfAddr {
    /// Connected subnet.
    pub fn subnet(&self) -> IpPrefix {
        // len was validated at parse time.
        IpPrefix::new(self.ip, self.len).unwrap_or_else(|_| IpPrefix::host(self.ip))
    }
}

impl fmt::Display for IfAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.ip, self.len)
    }
}

impl FromStr for IfAddr {
    type Err = PrefixError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, l) = s
            .split_once('/')
            .ok_or_else(|| PrefixError::Syntax(s.into()))?;
        let ip: IpAddr = a.parse().map_err(|_| PrefixError::Syntax(s.into()))?;
        let len: u8 = l.parse().map_err(|_| PrefixError::Syntax(s.into()))?;
        IpPrefix::new(ip, len)?;
        Ok(Self { ip, len })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_mask() {
        let p: IpPrefix = "10.20.2.7/24".parse().unwrap();
        assert_eq!(p.to_string(), "10.20.2.0/24");
        assert!(p.contains("10.20.2.1".parse().unwrap()));
        assert!(!p.contains("10.20.3.1".parse().unwrap()));
        assert_eq!(p.mask().to_string(), "255.255.255.0");
        assert!("10.0.0.0/33".parse::<IpPrefix>().is_err());
        let a: IfAddr = "10.0.1.1/30".parse().unwrap();
        assert_eq!(a.subnet().to_string(), "10.0.1.0/30");
        let v6: IpPrefix = "2001:db8:1::5/64".parse().unwrap();
        assert_eq!(v6.to_string(), "2001:db8:1::/64");
        assert_eq!(
            "0.0.0.0/0".parse::<IpPrefix>().unwrap().mask().to_string(),
            "0.0.0.0"
        );
    }
}
