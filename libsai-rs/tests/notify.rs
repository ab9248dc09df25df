//! Notifications reach the callback the consumer registered on the switch.

use sai::exports::*;
use sai_headers::ffi::*;
use std::ffi::{c_char, c_void};
use std::sync::Mutex;

static SEEN: Mutex<Vec<(u64, u32)>> = Mutex::new(Vec::new());

unsafe extern "C" fn on_port_state(count: u32, data: *const sai_port_oper_status_notification_t) {
    for i in 0..usize::try_from(count).unwrap() {
        // SAFETY: the library passes `count` valid elements.
        let e = unsafe { &*data.add(i) };
        SEEN.lock().unwrap().push((e.port_id, e.port_state));
    }
}

unsafe extern "C" fn no_value(_id: sai_switch_profile_id_t, _var: *const c_char) -> *const c_char {
    std::ptr::null()
}

#[test]
fn port_state_change_reaches_the_registered_callback() {
    let smt = sai_service_method_table_t {
        profile_get_value: Some(no_value),
        profile_get_next_value: None,
    };
    let mut t: *mut c_void = std::ptr::null_mut();
    // SAFETY: valid arguments; the switch table is a static of the library.
    unsafe {
        assert_eq!(sai_api_initialize(0, &smt), SAI_STATUS_SUCCESS);
        assert_eq!(sai_api_query(SAI_API_SWITCH, &mut t), SAI_STATUS_SUCCESS);
        let sw_api = &*t.cast::<sai_switch_api_t>();
        let mut a: [sai_attribute_t; 1] = std::mem::zeroed();
        a[0].id = SAI_SWITCH_ATTR_INIT_SWITCH;
        a[0].value.booldata = 1;
        let mut sw = 0;
        assert_eq!(
            sw_api.create_switch.unwrap()(&mut sw, 1, a.as_ptr()),
            SAI_STATUS_SUCCESS
        );
        let ev = [sai_port_oper_status_notification_t {
            port_id: 7,
            port_state: SAI_PORT_OPER_STATUS_UP,
            port_error_status: 0,
        }];
        // No callback registered yet.
        assert_eq!(sai::notify::port_state_change(sw, &ev), Ok(false));
        a[0].id = SAI_SWITCH_ATTR_PORT_STATE_CHANGE_NOTIFY;
        a[0].value.ptr = on_port_state as *mut c_void;
        assert_eq!(
            sw_api.set_switch_attribute.unwrap()(sw, &a[0]),
            SAI_STATUS_SUCCESS
        );
        assert_eq!(sai::notify::port_state_change(sw, &ev), Ok(true));
        assert_eq!(*SEEN.lock().unwrap(), vec![(7, SAI_PORT_OPER_STATUS_UP)]);
        assert_eq!(sai::notify::switch_shutdown_request(sw), Ok(false));
        assert_eq!(sw_api.remove_switch.unwrap()(sw), SAI_STATUS_SUCCESS);
        assert_eq!(sai_api_uninitialize(), SAI_STATUS_SUCCESS);
        assert_eq!(
            sai::notify::port_state_change(sw, &ev),
            Err(SAI_STATUS_UNINITIALIZED)
        );
    }
}
