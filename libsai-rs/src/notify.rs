//! Delivering notifications to the consumer: the switch's notification attributes hold the C
//! function pointers syncd passed (`SAI_SWITCH_ATTR_PORT_STATE_CHANGE_NOTIFY`, ...); these functions
//! look them up and call them. They are for the parts of the library that learn about events (the
//! forwarder's event ring); nothing is called when the consumer registered no callback.
//!
//! Callbacks run on the caller's thread, outside every store lock (a callback may call back into
//! the SAI API).

use sai_headers::ffi::*;
use sai_headers::meta;
use sai_store::{AttrValue, ObjectKey};

/// Raw pointer value of switch attribute `name` (0 when unset or unknown).
fn callback(switch_id: sai_object_id_t, name: &str) -> Result<usize, sai_status_t> {
    let sai = crate::sai()?;
    let m = meta::attr_by_name(name).ok_or(SAI_STATUS_FAILURE)?;
    let v = sai.get_each(m.ot, &ObjectKey::Oid(switch_id), &[m.id])?;
    Ok(match v.first() {
        Some(Ok(AttrValue::Pointer(p))) => *p,
        _ => 0,
    })
}

/// One port operational-status change per element. Returns whether a callback was called.
pub fn port_state_change(
    switch_id: sai_object_id_t,
    events: &[sai_port_oper_status_notification_t],
) -> Result<bool, sai_status_t> {
    let p = callback(switch_id, "SAI_SWITCH_ATTR_PORT_STATE_CHANGE_NOTIFY")?;
    if p == 0 || events.is_empty() {
        return Ok(false);
    }
    // SAFETY: `p` is the non-null function pointer the consumer set for this attribute, whose type
    // is `sai_port_state_change_notification_fn`; usize and fn pointers have the same size.
    let f: sai_port_state_change_notification_fn = unsafe { std::mem::transmute::<usize, _>(p) };
    let count = u32::try_from(events.len()).map_err(|_| SAI_STATUS_INVALID_PARAMETER)?;
    if let Some(f) = f {
        // SAFETY: `events` is a valid array of `count` elements for the duration of the call.
        unsafe { f(count, events.as_ptr()) };
    }
    Ok(true)
}

/// FDB events (learned, aged, moved, flushed). Returns whether a callback was called.
pub fn fdb_event(
    switch_id: sai_object_id_t,
    events: &[sai_fdb_event_notification_data_t],
) -> Result<bool, sai_status_t> {
    let p = callback(switch_id, "SAI_SWITCH_ATTR_FDB_EVENT_NOTIFY")?;
    if p == 0 || events.is_empty() {
        return Ok(false);
    }
    // SAFETY: as in port_state_change, for `sai_fdb_event_notification_fn`.
    let f: sai_fdb_event_notification_fn = unsafe { std::mem::transmute::<usize, _>(p) };
    let count = u32::try_from(events.len()).map_err(|_| SAI_STATUS_INVALID_PARAMETER)?;
    if let Some(f) = f {
        // SAFETY: `events` (and the attribute arrays they point to, the caller's responsibility) are
        // valid for the duration of the call.
        unsafe { f(count, events.as_ptr()) };
    }
    Ok(true)
}

/// Asks the consumer to shut the switch down. Returns whether a callback was called.
pub fn switch_shutdown_request(switch_id: sai_object_id_t) -> Result<bool, sai_status_t> {
    let p = callback(switch_id, "SAI_SWITCH_ATTR_SWITCH_SHUTDOWN_REQUEST_NOTIFY")?;
    if p == 0 {
        return Ok(false);
    }
    // SAFETY: as in port_state_change, for `sai_switch_shutdown_request_notification_fn`.
    let f: sai_switch_shutdown_request_notification_fn =
        unsafe { std::mem::transmute::<usize, _>(p) };
    if let Some(f) = f {
        // SAFETY: plain value argument.
        unsafe { f(switch_id) };
    }
    Ok(true)
}

// ---- the forwarder programmer (sai-dataplane) ------------------------------------------------
// With the profile key FERROSAI_RING (or FERROSAI_RING_PATH) the store drives the forwarder through
// the shared-memory ring; without it the library is store-only. Started by sai_api_initialize,
// stopped by sai_api_uninitialize.

static DATAPLANE: std::sync::Mutex<Option<sai_dataplane::Dataplane>> = std::sync::Mutex::new(None);

/// Delivers the programmer's notifications through the consumer's callbacks above.
struct FfiNotifier;

impl sai_dataplane::Notifier for FfiNotifier {
    fn port_oper_status(&self, switch_id: u64, port: u64, up: bool) {
        let port_state = if up {
            SAI_PORT_OPER_STATUS_UP
        } else {
            SAI_PORT_OPER_STATUS_DOWN
        };
        let ev = sai_port_oper_status_notification_t {
            port_id: port,
            port_state,
            port_error_status: 0,
        };
        let _ = port_state_change(switch_id, &[ev]);
    }
    fn switch_shutdown_request(&self, switch_id: u64) {
        let _ = switch_shutdown_request(switch_id);
    }
    fn log(&self, level: sai_dataplane::Level, msg: &str) {
        let lvl = match level {
            sai_dataplane::Level::Error => SAI_LOG_LEVEL_ERROR,
            sai_dataplane::Level::Warn => SAI_LOG_LEVEL_WARN,
            sai_dataplane::Level::Notice => SAI_LOG_LEVEL_NOTICE,
        };
        crate::log::log(None, lvl, format_args!("dataplane: {msg}"));
    }
}

/// Attach the programmer when the profile names a ring. Errors are logged; the store stays usable.
pub(crate) fn start_dataplane(
    sai: &std::sync::Arc<sai_store::Sai>,
    profile: &sai_store::Profile,
) -> Result<(), String> {
    let Some(opts) = sai_dataplane::Options::from_profile(|k| profile.get(k).map(str::to_string))?
    else {
        return Ok(());
    };
    let ring = opts.ring.display().to_string();
    let dp = sai_dataplane::Dataplane::attach(sai, opts, Box::new(FfiNotifier))
        .map_err(|e| format!("ring {ring}: {e}"))?;
    crate::log::notice(format_args!(
        "dataplane: programming the forwarder through {ring}"
    ));
    *DATAPLANE.lock().unwrap_or_else(|e| e.into_inner()) = Some(dp);
    Ok(())
}

/// Stop the programmer (joins its thread, unregisters from the store).
pub(crate) fn stop_dataplane() {
    let dp = DATAPLANE.lock().unwrap_or_else(|e| e.into_inner()).take();
    drop(dp);
}

/// The running programmer's counters (`None` when the profile names no ring). For in-process
/// users of the rlib (the `program` bench of sai-dataplane); not part of the C API.
pub fn dataplane_counters() -> Option<sai_dataplane::Counters> {
    DATAPLANE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .map(sai_dataplane::Dataplane::counters)
}

/// Waits until the forwarder has applied everything programmed so far (a ring barrier), like
/// [`sai_dataplane::Dataplane::sync`]. For in-process users of the rlib; not part of the C API.
pub fn dataplane_sync(timeout: std::time::Duration) -> Result<(), String> {
    let g = DATAPLANE.lock().unwrap_or_else(|e| e.into_inner());
    let dp = g.as_ref().ok_or("no forwarder ring in the profile")?;
    dp.sync(timeout).map_err(|e| format!("{e:?}"))
}
