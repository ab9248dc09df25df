//! A small stderr logger with per-API levels set by `sai_log_set`.
//!
//! Lines look like `ferrosai-sai NOTICE: message`. The default level is NOTICE, or the level named
//! by the environment variable `FERROSAI_SAI_LOG` (`debug`, `info`, `notice`, `warn`, `error`,
//! `critical`) read at the first log call.

use sai_headers::ffi::*;
use std::collections::HashMap;
use std::io::Write as _;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

const UNSET: u32 = u32::MAX;
/// Level for messages not tied to one API (the lowest level any API asked for, else the default).
static GLOBAL: AtomicU32 = AtomicU32::new(UNSET);
static PER_API: Mutex<Option<HashMap<u32, u32>>> = Mutex::new(None);

fn default_level() -> u32 {
    static D: OnceLock<u32> = OnceLock::new();
    *D.get_or_init(|| {
        std::env::var("FERROSAI_SAI_LOG")
            .ok()
            .and_then(|v| level_from_name(&v))
            .unwrap_or(SAI_LOG_LEVEL_NOTICE)
    })
}

fn level_from_name(n: &str) -> Option<u32> {
    Some(match n.to_ascii_lowercase().as_str() {
        "debug" => SAI_LOG_LEVEL_DEBUG,
        "info" => SAI_LOG_LEVEL_INFO,
        "notice" => SAI_LOG_LEVEL_NOTICE,
        "warn" | "warning" => SAI_LOG_LEVEL_WARN,
        "error" => SAI_LOG_LEVEL_ERROR,
        "critical" => SAI_LOG_LEVEL_CRITICAL,
        _ => return None,
    })
}

fn level_name(l: u32) -> &'static str {
    match l {
        SAI_LOG_LEVEL_DEBUG => "DEBUG",
        SAI_LOG_LEVEL_INFO => "INFO",
        SAI_LOG_LEVEL_NOTICE => "NOTICE",
        SAI_LOG_LEVEL_WARN => "WARN",
        SAI_LOG_LEVEL_ERROR => "ERROR",
        _ => "CRITICAL",
    }
}

/// True when `level` is a `sai_log_level_t` value.
pub fn is_level(level: u32) -> bool {
    [
        SAI_LOG_LEVEL_DEBUG,
        SAI_LOG_LEVEL_INFO,
        SAI_LOG_LEVEL_NOTICE,
        SAI_LOG_LEVEL_WARN,
        SAI_LOG_LEVEL_ERROR,
        SAI_LOG_LEVEL_CRITICAL,
    ]
    .contains(&level)
}

/// `sai_log_set`: the level of one API.
pub fn set_level(api: u32, level: u32) {
    let mut g = PER_API.lock().unwrap_or_else(|e| e.into_inner());
    let m = g.get_or_insert_with(HashMap::new);
    m.insert(api, level);
    let min = m.values().copied().min().unwrap_or(UNSET);
    // Relaxed: a threshold read by loggers; no other memory depends on it.
    GLOBAL.store(min, Ordering::Relaxed);
}

/// Level in force for `api` (`None`: not tied to an API).
pub fn level(api: Option<u32>) -> u32 {
    if let Some(a) = api {
        let g = PER_API.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = g.as_ref().and_then(|m| m.get(&a)) {
            return *l;
        }
        return default_level();
    }
    // Relaxed: see set_level.
    match GLOBAL.load(Ordering::Relaxed) {
        UNSET => default_level(),
        l => l.min(default_level()),
    }
}

/// Logs `msg` at `lvl` for `api` if enabled.
pub fn log(api: Option<u32>, lvl: u32, msg: std::fmt::Arguments<'_>) {
    if lvl < level(api) {
        return;
    }
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "ferrosai-sai {}: {msg}", level_name(lvl));
}

pub(crate) fn error(msg: std::fmt::Arguments<'_>) {
    log(None, SAI_LOG_LEVEL_ERROR, msg);
}
pub(crate) fn debug(msg: std::fmt::Arguments<'_>) {
    log(None, SAI_LOG_LEVEL_DEBUG, msg);
}
pub(crate) fn notice(msg: std::fmt::Arguments<'_>) {
    log(None, SAI_LOG_LEVEL_NOTICE, msg);
}
