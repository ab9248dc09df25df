//! In-process checks of the exported API (the C programs in ffi-tests check it from C):
//! the API tables match the ABI data and have no NULL slot, the lifecycle statuses, and a
//! create/get/remove round trip through a table.

use sai::exports::*;
use sai_headers::ffi::*;
use serde_json::Value;
use std::ffi::{c_char, c_void};

unsafe extern "C" fn get_value(_id: sai_switch_profile_id_t, _var: *const c_char) -> *const c_char {
    std::ptr::null()
}

unsafe extern "C" fn get_next_value(
    _id: sai_switch_profile_id_t,
    _var: *mut *const c_char,
    _val: *mut *const c_char,
) -> i32 {
    -1
}

#[test]
fn tables_lifecycle_and_roundtrip() {
    let d: Value =
        serde_json::from_str(&std::fs::read_to_string(sai_headers::ABI_JSON).unwrap()).unwrap();
    let tables = d["api_tables"].as_array().unwrap();
    assert_eq!(sai::API_TABLES.len(), tables.len());
    for (t, j) in sai::API_TABLES.iter().zip(tables) {
        assert_eq!(t.2, j["name"].as_str().unwrap());
        assert_eq!(t.3, j["members"].as_array().unwrap().len(), "{}", t.2);
    }

    let smt = sai_service_method_table_t {
        profile_get_value: Some(get_value),
        profile_get_next_value: Some(get_next_value),
    };
    let mut t: *mut c_void = std::ptr::null_mut();
    // SAFETY: valid out-pointer / service table for every call below; each table pointer returned
    // by sai_api_query points to a static table of `slots` function pointers.
    unsafe {
        assert_eq!(
            sai_api_query(SAI_API_SWITCH, &mut t),
            SAI_STATUS_UNINITIALIZED
        );
        assert_eq!(sai_api_initialize(0, &smt), SAI_STATUS_SUCCESS);
        assert_eq!(sai_api_initialize(0, &smt), SAI_STATUS_FAILURE);
        let mut total = 0;
        for (api, name, _, slots) in sai::API_TABLES {
            assert_eq!(sai_api_query(*api, &mut t), SAI_STATUS_SUCCESS, "{name}");
            let fns = t.cast::<Option<unsafe extern "C" fn()>>();
            for i in 0..*slots {
                assert!((*fns.add(i)).is_some(), "{name} slot {i}");
            }
            // Spare slots after the table answer NOT_IMPLEMENTED.
            let spare = t.cast::<Option<unsafe extern "C" fn() -> sai_status_t>>();
            for i in *slots..*slots + sai::SPARE_SLOTS {
                let f = (*spare.add(i)).expect("spare slot");
                assert_eq!(f(), SAI_STATUS_NOT_IMPLEMENTED, "{name} spare slot {i}");
            }
            total += slots;
        }
        assert!(total > 800);

        assert_eq!(sai_api_query(SAI_API_SWITCH, &mut t), SAI_STATUS_SUCCESS);
        let sw_api = &*t.cast::<sai_switch_api_t>();
        let mut a: sai_attribute_t = std::mem::zeroed();
        a.id = SAI_SWITCH_ATTR_INIT_SWITCH;
        a.value.booldata = 1;
        let mut sw = 0;
        assert_eq!(
            sw_api.create_switch.unwrap()(&mut sw, 1, &a),
            SAI_STATUS_SUCCESS
        );
        assert_eq!(sai_object_type_query(sw), SAI_OBJECT_TYPE_SWITCH);

        assert_eq!(
            sai_api_query(SAI_API_VIRTUAL_ROUTER, &mut t),
            SAI_STATUS_SUCCESS
        );
        let vr_api = &*t.cast::<sai_virtual_router_api_t>();
        let mut vr = 0;
        a.id = SAI_VIRTUAL_ROUTER_ATTR_ADMIN_V4_STATE;
        a.value.booldata = 0;
        assert_eq!(
            vr_api.create_virtual_router.unwrap()(&mut vr, sw, 1, &a),
            SAI_STATUS_SUCCESS
        );
        a.value.booldata = 1;
        assert_eq!(
            vr_api.get_virtual_router_attribute.unwrap()(vr, 1, &mut a),
            SAI_STATUS_SUCCESS
        );
        assert_eq!(a.value.booldata, 0);
        assert_eq!(
            vr_api.remove_virtual_router.unwrap()(vr),
            SAI_STATUS_SUCCESS
        );
        assert_eq!(
            vr_api.remove_virtual_router.unwrap()(vr),
            SAI_STATUS_ITEM_NOT_FOUND
        );
        assert_eq!(sw_api.remove_switch.unwrap()(sw), SAI_STATUS_SUCCESS);
        assert_eq!(sai_api_uninitialize(), SAI_STATUS_SUCCESS);
        assert_eq!(sai_api_uninitialize(), SAI_STATUS_UNINITIALIZED);
    }
}
