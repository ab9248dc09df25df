//! Warm boot: state saved on a warm remove_switch is restored with identical ids.
mod common;
use common::*;
use sai_store::{AttrValue, EntryKey, IpPrefix, Profile, Sai};

#[test]
fn warm_restart_keeps_ids() {
    let dir = std::env::temp_dir().join(format!("sai-store-warm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.txt");
    let _ = std::fs::remove_file(&file);
    let file_s = file.to_str().unwrap();

    let (sai, sw) = new_switch(Profile::new().with("SAI_WARM_BOOT_WRITE_FILE", file_s));
    let vr_t = ot("SAI_OBJECT_TYPE_VIRTUAL_ROUTER");
    let vr = sai
        .create(
            vr_t,
            sw,
            vec![a(
                "SAI_VIRTUAL_ROUTER_ATTR_ADMIN_V6_STATE",
                AttrValue::Bool(false),
            )],
        )
        .unwrap();
    let route = EntryKey {
        ot: ot("SAI_OBJECT_TYPE_ROUTE_ENTRY"),
        members: vec![
            AttrValue::Oid(sw),
            AttrValue::Oid(vr),
            AttrValue::IpPrefix(IpPrefix {
                addr: "2001:db8::".parse().unwrap(),
                mask: "ffff:ffff::".parse().unwrap(),
            }),
        ],
    };
    sai.create_entry(route.clone(), vec![]).unwrap();
    let before = sai.snapshot_for_replay();
    let count = sai.object_count();
    // syncd warm shutdown: RESTART_WARM=true, then remove_switch saves the state
    sai.set(
        ot("SAI_OBJECT_TYPE_SWITCH"),
        sw,
        a("SAI_SWITCH_ATTR_RESTART_WARM", AttrValue::Bool(true)),
    )
    .unwrap();
    sai.remove(ot("SAI_OBJECT_TYPE_SWITCH"), sw).unwrap();
    assert!(file.exists());
    drop(sai);

    let sai2 = Sai::new(
        &Profile::new()
            .with("SAI_BOOT_TYPE", "1")
            .with("SAI_WARM_BOOT_READ_FILE", file_s),
    )
    .unwrap();
    let sw2 = sai2
        .create(
            ot("SAI_OBJECT_TYPE_SWITCH"),
            0,
            vec![a("SAI_SWITCH_ATTR_INIT_SWITCH", AttrValue::Bool(true))],
        )
        .unwrap();
    assert_eq!(sw2, sw);
    assert_eq!(sai2.object_count(), count);
    // Same objects, same ids; only the switch's own attributes (pointers, RESTART_WARM) may differ.
    let after = sai2.snapshot_for_replay();
    let strip = |v: &[sai_store::Change]| -> Vec<sai_store::Change> {
        v.iter()
            .filter(|c| c.key().oid() != Some(sw))
            .cloned()
            .collect()
    };
    assert_eq!(strip(&after), strip(&before));
    assert_eq!(
        sai2.get(vr_t, vr, &[id("SAI_VIRTUAL_ROUTER_ATTR_ADMIN_V6_STATE")])
            .unwrap()[0],
        AttrValue::Bool(false)
    );
    // references survived: the VR is still in use by the route
    assert_eq!(sai2.remove(vr_t, vr), Err(sai_store::status::OBJECT_IN_USE));
    // new ids do not collide with restored ones
    let vr2 = sai2.create(vr_t, sw2, vec![]).unwrap();
    assert!(vr2 > vr);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_warm_file_names_the_key() {
    let e = Sai::new(
        &Profile::new()
            .with("SAI_BOOT_TYPE", "1")
            .with("SAI_WARM_BOOT_READ_FILE", "/nonexistent/x"),
    )
    .unwrap_err();
    assert_eq!(e.key, "SAI_WARM_BOOT_READ_FILE");
}
