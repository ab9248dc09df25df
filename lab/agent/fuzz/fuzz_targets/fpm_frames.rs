//! Arbitrary bytes through the agent's FPM decoder never panic: the input is read as a TCP stream
//! is (4-byte header `{1, 1, length BE}`, `frame_len`, then `decode_frame` on that many bytes,
//! until the bytes run out or a header is rejected), and also handed whole to `decode_frame` and,
//! past the header, to `decode_netlink`. Seeds (`seed.sh`): the golden zebra frames of the
//! agent's unit tests.
#![no_main]

use ferrosai_agent::fpm::{decode_frame, decode_netlink, frame_len, FPM_HDR_LEN, FPM_MAX_FRAME};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = decode_frame(data);
    if let Some(body) = data.get(FPM_HDR_LEN..) {
        let _ = decode_netlink(body);
    }
    let mut rest = data;
    while let Some(hdr) = rest.get(..FPM_HDR_LEN) {
        let hdr: [u8; FPM_HDR_LEN] = hdr.try_into().expect("4 bytes");
        let Ok(len) = frame_len(hdr) else { break };
        assert!(
            (FPM_HDR_LEN..=FPM_MAX_FRAME).contains(&len),
            "frame_len {len}"
        );
        let Some(frame) = rest.get(..len) else { break };
        let _ = decode_frame(frame);
        rest = &rest[len..];
    }
});
