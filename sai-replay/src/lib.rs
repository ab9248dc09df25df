//! `sai-replay`: plays sairedis recordings (`sairedis.rec`) against a SAI library through the C
//! ABI, as SONiC's saiplayer does, and checks what the switch answers.
//!
//! - [`rec`]: the line structure (`TIMESTAMP|OP|KEY|ATTR=VALUE...`, every OP kind).
//! - [`value`]: text forms -> typed values by the generated SAI metadata; entry keys from JSON.
//! - [`backend`]: libsai.so via `sai_client::generic` (or the object store in-process, for tests).
//! - [`player`]: object id mapping (created objects by the returned id, the switch's default
//!   objects through the `G` answers, in order), the calls, the get checks, the summary, cleanup.
//!
//! ```text
//! cargo build --release -p sai-replay
//! target/release/sai-replay --lib target/release/libsai.so \
//!     --lanemap ../shared/sairedis-recordings/lanemap.ini ../shared/sairedis-recordings/full.rec
//!   [--skip-errors] [--no-cleanup] [--readback] [--store] [--profile KEY=VALUE]...
//! ```
//! Exit status 0 when every call succeeded, every get matched and nothing leaked.
//!
//! What is checked, per line kind: `c`/`r`/`s` must return SUCCESS; a `g` is compared with the
//! next `G` (status; on success list counts and object ids 1:1 after mapping, and each newly seen
//! id must have the recorded object type); `C`/`R`/`S` use the library's bulk method when it has
//! one (else single calls) and every object status must be SUCCESS; `B` does one get per object.
//! `a` (INIT_VIEW/APPLY_VIEW) are kept as markers; `A`, `n`, `q`/`Q`, `p`, `#` and `@` are not
//! replayed (as saiplayer; `@` sleeps are not performed). Primitive values of `G` answers are not
//! compared (as saiplayer) but differences are listed. Object ids of removed objects stay mapped,
//! so a later call on one reaches the library and reports the library's status.
#![forbid(unsafe_code)]

pub mod backend;
pub mod player;
pub mod rec;
pub mod value;

pub use backend::{Backend, LibBackend, StoreBackend};
pub use player::{replay, Options, Problem, ProblemKind, Summary};

/// The profile keys for vslib's BCM56850 model with a lane map file (what the BCM56850
/// recordings presume).
pub fn bcm56850_profile(lanemap: &std::path::Path) -> Vec<(String, String)> {
    vec![
        (
            "SAI_VS_SWITCH_TYPE".into(),
            "SAI_VS_SWITCH_TYPE_BCM56850".into(),
        ),
        (
            "SAI_VS_INTERFACE_LANE_MAP_FILE".into(),
            lanemap.display().to_string(),
        ),
    ]
}
