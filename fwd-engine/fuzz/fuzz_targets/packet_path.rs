//! Random bytes through the whole graph: never panics, and every packet is accounted for
//! (in + engine copies == transmitted + punted + dropped, each drop counted under a valid
//! reason). Input format: `fwd_engine::testkit::Rig::decode`. Seeds:
//! `FWD_ENGINE_WRITE_CORPUS=<dir> cargo test -p fwd-engine write_corpus`.
#![no_main]

use fwd_engine::testkit::Rig;
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;

thread_local! {
    static RIG: RefCell<Rig> = RefCell::new(Rig::new());
}

fuzz_target!(|data: &[u8]| {
    RIG.with(|r| {
        if let Err(e) = r.borrow_mut().run_fuzz_input(data) {
            panic!("invariant violated: {e}");
        }
    });
});
