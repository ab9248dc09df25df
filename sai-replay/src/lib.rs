//! `sai-replay`: plays sairedis recordings (`sairedis.rec`) against a SAI library through the C
//! ABI, as SONiC's saiplayer does, and checks what the switch answers.
//!
//! - [`rec`]: the line structure (`TIMESTAMP|OP|KEY|ATTR=VALUE...`, every OP kind).
//! - [`value`]: text forms -> typed values by the generated SAI metadata; entry keys from JSON.
//! - [`backend`]: libsai.so via `sai_client::generic` (or the object store in-process, for tests).
//! - [`player`]: object id mapping (created objects by the returned id, the switch's default
//!   objects through the `G` answers, in order), the calls, the get checks, the summary, cleanup.
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
