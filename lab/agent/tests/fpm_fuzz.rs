//! Random bytes never panic the FPM decoder; frames built from random valid parts decode.

use ferrosai_agent::fpm::{decode_frame, decode_netlink, frame_len};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = decode_frame(&bytes);
        let _ = decode_netlink(&bytes);
        if bytes.len() >= 4 {
            let _ = frame_len([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
    }

    /// A valid FPM header and netlink lengths around random bodies (the parser gets past framing
    /// and into the route / nexthop body parsers with arbitrary content).
    #[test]
    fn framed_random_bodies_never_panic(
        msgs in proptest::collection::vec(
            (prop_oneof![Just(24u16), Just(25u16), Just(104u16), Just(105u16), any::<u16>()],
             proptest::collection::vec(any::<u8>(), 0..120)),
            1..4)
    ) {
        let mut body = Vec::new();
        for (ty, payload) in &msgs {
            let len = u32::try_from(16 + payload.len()).unwrap();
            body.extend_from_slice(&len.to_ne_bytes());
            body.extend_from_slice(&ty.to_ne_bytes());
            body.extend_from_slice(&[0u8; 10]);
            body.extend_from_slice(payload);
            while body.len() % 4 != 0 {
                body.push(0);
            }
        }
        let mut f = vec![1u8, 1];
        f.extend_from_slice(&u16::try_from(body.len() + 4).unwrap().to_be_bytes());
        f.extend_from_slice(&body);
        let _ = decode_frame(&f);
    }
}
