//! The Internet checksum (RFC 1071) and its incremental update (RFC 1624).

use core::net::{Ipv4Addr, Ipv6Addr};

/// Ones'-complement sum of `data` as big-endian 16-bit words (odd trailing byte padded with zero),
/// not yet folded to 16 bits: the result is below 2^32, so a few sums can be added in a `u64`
/// without overflow. Accumulates in 64 bits with end-around carry, so any slice length is safe.
#[inline]
pub fn sum(data: &[u8]) -> u64 {
    let mut acc: u64 = 0;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        // Adding 64-bit big-endian words and folding later is the same ones'-complement sum as
        // adding their four 16-bit halves (RFC 1071 section 2(B), "parallel summation").
        let (s, carry) = acc.overflowing_add(w);
        acc = s + u64::from(carry);
    }
    let mut rest = chunks.remainder().chunks_exact(2);
    let mut tail: u64 = 0;
    for c in &mut rest {
        tail += u64::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [b] = rest.remainder() {
        tail += u64::from(*b) << 8;
    }
    let (s, carry) = acc.overflowing_add(tail);
    let acc = s + u64::from(carry);
    let acc = (acc & 0xffff_ffff) + (acc >> 32);
    (acc & 0xffff_ffff) + (acc >> 32)
}

/// Fold a 64-bit accumulator to 16 bits with end-around carry.
#[inline]
pub fn fold(mut acc: u64) -> u16 {
    acc = (acc & 0xffff_ffff) + (acc >> 32);
    acc = (acc & 0xffff_ffff) + (acc >> 32);
    acc = (acc & 0xffff) + (acc >> 16);
    acc = (acc & 0xffff) + (acc >> 16);
    acc = (acc & 0xffff) + (acc >> 16);
    #[allow(clippy::cast_possible_truncation, reason = "folded to 16 bits above")]
    let r = acc as u16;
    r
}

/// The checksum of `data`: the complement of its folded ones'-complement sum.
#[inline]
pub fn checksum(data: &[u8]) -> u16 {
    !fold(sum(data))
}

/// Sum of the IPv4 pseudo-header (RFC 768 / RFC 793).
pub fn pseudo_v4(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, length: u16) -> u64 {
    sum(&src.octets()) + sum(&dst.octets()) + u64::from(protocol) + u64::from(length)
}

/// Sum of the IPv6 pseudo-header (RFC 8200 section 8.1).
pub fn pseudo_v6(src: Ipv6Addr, dst: Ipv6Addr, next_header: u8, length: u32) -> u64 {
    sum(&src.octets())
        + sum(&dst.octets())
        + u64::from(length >> 16)
        + u64::from(length & 0xffff)
        + u64::from(next_header)
}

/// Incremental update (RFC 1624 eqn. 3): `HC' = ~(~HC + ~m + m')` with end-around carry, for a
/// 16-bit word of the covered data changing from `old` to `new`.
#[inline]
pub fn update16(hc: u16, old: u16, new: u16) -> u16 {
    let acc = u32::from(!hc) + u32::from(!old) + u32::from(new);
    let acc = (acc & 0xffff) + (acc >> 16);
    let acc = (acc & 0xffff) + (acc >> 16);
    #[allow(clippy::cast_possible_truncation, reason = "folded to 16 bits above")]
    let r = !(acc as u16);
    r
}

/// Incremental update for a 32-bit field (two 16-bit words).
#[inline]
pub fn update32(hc: u16, old: u32, new: u32) -> u16 {
    #[allow(
        clippy::cast_possible_truncation,
        reason = "splitting into 16-bit halves"
    )]
    let r = update16(
        update16(hc, (old >> 16) as u16, (new >> 16) as u16),
        old as u16,
        new as u16,
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3 example: words 0001 f203 f4f5 f6f7 sum to ddf2 (folded).
        let d = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(sum(&d)), 0xddf2);
        assert_eq!(checksum(&d), !0xddf2);
        // Odd length: trailing byte padded.
        assert_eq!(fold(sum(&[0x01])), 0x0100);
        // Same with the unaligned tail path.
        let d2 = [
            0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7, 0x00, 0x01, 0xf2,
        ];
        assert_eq!(fold(sum(&d2)), fold(0xddf2 + 0x0001 + 0xf200));
    }

    #[test]
    fn known_ipv4_header() {
        // A real IPv4 header (Wikipedia's example) with checksum b861.
        let h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(checksum(&h), 0xb861);
    }

    #[test]
    fn update_rfc1624_corner() {
        // RFC 1624 section 4 example: HC 0xdd2f, m 0x5555 -> m' 0x3285 gives 0x0000, not 0xffff.
        assert_eq!(update16(0xdd2f, 0x5555, 0x3285), 0x0000);
    }

    proptest! {
        /// Changing any 16-bit word of a checksummed header and updating incrementally gives the
        /// same checksum as a full recomputation.
        #[test]
        fn incremental_matches_full(mut words in proptest::collection::vec(any::<u16>(), 2..40),
                                    idx in any::<prop::sample::Index>(), new in any::<u16>()) {
            // Word 0 carries the checksum; it is zero while summing.
            words[0] = 0;
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
            let hc = checksum(&bytes);
            let i = 1 + idx.index(words.len() - 1);
            let old = words[i];
            words[i] = new;
            let bytes2: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
            let full = checksum(&bytes2);
            let inc = update16(hc, old, new);
            // A full recomputation yields 0xffff (-0) only when every covered word is zero; the
            // incremental form cannot see that, so that single case is excluded. Otherwise the two
            // must agree exactly.
            if full != 0xffff {
                prop_assert_eq!(inc, full);
            }
            // And the updated header verifies.
            let mut with = bytes2.clone();
            with[0..2].copy_from_slice(&inc.to_be_bytes());
            prop_assert!(fold(sum(&with)) == 0xffff || words.iter().all(|w| *w == 0));
        }

        /// The TTL-decrement update used by ip4-rewrite on real IPv4 headers.
        #[test]
        fn ttl_decrement_matches_full(ttl in 2u8..=255, proto in any::<u8>(), src in any::<u32>(),
                                      dst in any::<u32>(), id in any::<u16>(), len in 20u16..1500) {
            let mut h = [0u8; 20];
            h[0] = 0x45;
            h[2..4].copy_from_slice(&len.to_be_bytes());
            h[4..6].copy_from_slice(&id.to_be_bytes());
            h[8] = ttl;
            h[9] = proto;
            h[12..16].copy_from_slice(&src.to_be_bytes());
            h[16..20].copy_from_slice(&dst.to_be_bytes());
            let c = checksum(&h);
            h[10..12].copy_from_slice(&c.to_be_bytes());
            let old = u16::from_be_bytes([h[8], h[9]]);
            h[8] = ttl - 1;
            let new = u16::from_be_bytes([h[8], h[9]]);
            let inc = update16(c, old, new);
            h[10..12].copy_from_slice(&[0, 0]);
            let full = checksum(&h);
            prop_assert_eq!(inc, full);
        }

        #[test]
        fn update32_matches_full(a in any::<u32>(), b in any::<u32>(), other in any::<u32>()) {
            let mk = |x: u32| { let mut v = vec![0u8, 0]; v.extend(x.to_be_bytes()); v.extend(other.to_be_bytes()); v };
            let c = checksum(&mk(a));
            let inc = update32(c, a, b);
            let full = checksum(&mk(b));
            if full != 0xffff {
                prop_assert_eq!(inc, full);
            }
        }
    }
}
