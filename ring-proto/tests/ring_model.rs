//! Property test: the ring behaves like a bounded `VecDeque` under random interleavings of push
//! and pop bursts, including wrap-around of the u32 indices (start indices near u32::MAX).

use proptest::prelude::*;
use ring_proto::{heap_channel, PushError};
use std::collections::VecDeque;

#[derive(Clone, Debug)]
enum Op {
    Push(usize),
    PushOne,
    Pop(usize),
    PopOne,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..40).prop_map(Op::Push),
        Just(Op::PushOne),
        (0usize..40).prop_map(Op::Pop),
        Just(Op::PopOne),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn ring_matches_vecdeque(
        cap_log in 1u32..6,
        start in prop_oneof![Just(u32::MAX), (u32::MAX - 100)..=u32::MAX, any::<u32>()],
        ops in proptest::collection::vec(op(), 1..200),
    ) {
        let cap = 1u32 << cap_log;
        let (mut p, mut c) = heap_channel::<u64>(cap, start).unwrap();
        let mut model: VecDeque<u64> = VecDeque::new();
        let mut next = 0u64;
        for op in ops {
            match op {
                Op::Push(n) => {
                    let vals: Vec<u64> = (next..next + n as u64).collect();
                    let room = cap as usize - model.len();
                    let wrote = p.push_burst(&vals).unwrap();
                    prop_assert_eq!(wrote, n.min(room));
                    model.extend(&vals[..wrote]);
                    next += wrote as u64;
                }
                Op::PushOne => {
                    let r = p.try_push(&next);
                    if model.len() == cap as usize {
                        prop_assert_eq!(r, Err(PushError::Full));
                    } else {
                        prop_assert_eq!(r, Ok(()));
                        model.push_back(next);
                        next += 1;
                    }
                }
                Op::Pop(n) => {
                    let mut got = Vec::new();
                    let k = c.read_burst(n, |v| got.push(v)).unwrap();
                    let want: Vec<u64> = (0..n.min(model.len())).filter_map(|_| model.pop_front()).collect();
                    prop_assert_eq!(k, want.len());
                    prop_assert_eq!(got, want);
                }
                Op::PopOne => {
                    prop_assert_eq!(c.pop().unwrap(), model.pop_front());
                }
            }
            prop_assert_eq!(p.index().wrapping_sub(c.index()) as usize, model.len());
            prop_assert_eq!(c.available().unwrap() as usize, model.len());
            prop_assert_eq!(p.free().unwrap() as usize, cap as usize - model.len());
        }
    }
}
