/* FDB entries and flush_fdb_entries: static and dynamic entries on the default VLAN, flush of the
 * dynamic ones of one bridge port, then of all; counts via sai_get_object_count; the generic
 * stats entry points answer truthfully. */
#include "common.h"

static sai_fdb_api_t *fdb_api;
static sai_object_id_t g_sw;

static sai_fdb_entry_t fdb_key(sai_object_id_t bv, uint8_t last)
{
    sai_fdb_entry_t e;
    memset(&e, 0, sizeof e);
    e.switch_id = g_sw;
    e.bv_id = bv;
    const sai_mac_t mac = { 0x02, 0x11, 0x22, 0x33, 0x44, last };
    memcpy(e.mac_address, mac, 6);
    return e;
}

static uint32_t fdb_count(void)
{
    uint32_t n = 0;
    MUST(sai_get_object_count(g_sw, SAI_OBJECT_TYPE_FDB_ENTRY, &n));
    return n;
}

int main(void)
{
    g_sw = start_switch();
    fdb_api = table_of(SAI_API_FDB);
    sai_bridge_api_t *bridge_api = table_of(SAI_API_BRIDGE);
    sai_object_id_t vlan = switch_oid_attr(g_sw, SAI_SWITCH_ATTR_DEFAULT_VLAN_ID);
    sai_object_id_t bridge = switch_oid_attr(g_sw, SAI_SWITCH_ATTR_DEFAULT_1Q_BRIDGE_ID);
    sai_object_id_t bps[1024];
    sai_attribute_t a[3];
    memset(a, 0, sizeof a);
    a[0].id = SAI_BRIDGE_ATTR_PORT_LIST;
    a[0].value.objlist.count = 1024;
    a[0].value.objlist.list = bps;
    MUST(bridge_api->get_bridge_attribute(bridge, 1, a));
    EXPECT(a[0].value.objlist.count >= 2);

    /* 4 dynamic on bp0, 2 dynamic on bp1, 2 static on bp0 */
    for (uint8_t i = 0; i < 8; i++) {
        sai_fdb_entry_t e = fdb_key(vlan, i);
        memset(a, 0, sizeof a);
        a[0].id = SAI_FDB_ENTRY_ATTR_TYPE;
        a[0].value.s32 = i >= 6 ? SAI_FDB_ENTRY_TYPE_STATIC : SAI_FDB_ENTRY_TYPE_DYNAMIC;
        a[1].id = SAI_FDB_ENTRY_ATTR_BRIDGE_PORT_ID;
        a[1].value.oid = (i == 4 || i == 5) ? bps[1] : bps[0];
        a[2].id = SAI_FDB_ENTRY_ATTR_PACKET_ACTION;
        a[2].value.s32 = SAI_PACKET_ACTION_FORWARD;
        EXPECT_ST(fdb_api->create_fdb_entry(&e, 3, a), SAI_STATUS_SUCCESS);
    }
    sai_fdb_entry_t dup = fdb_key(vlan, 0);
    EXPECT_ST(fdb_api->create_fdb_entry(&dup, 3, a), SAI_STATUS_ITEM_ALREADY_EXISTS);
    EXPECT(fdb_count() == 8);

    /* flush dynamic entries of bp1 */
    memset(a, 0, sizeof a);
    a[0].id = SAI_FDB_FLUSH_ATTR_BRIDGE_PORT_ID;
    a[0].value.oid = bps[1];
    a[1].id = SAI_FDB_FLUSH_ATTR_ENTRY_TYPE;
    a[1].value.s32 = SAI_FDB_FLUSH_ENTRY_TYPE_DYNAMIC;
    EXPECT_ST(fdb_api->flush_fdb_entries(g_sw, 2, a), SAI_STATUS_SUCCESS);
    EXPECT(fdb_count() == 6);
    /* flush all dynamic entries (the default type) */
    EXPECT_ST(fdb_api->flush_fdb_entries(g_sw, 0, NULL), SAI_STATUS_SUCCESS);
    EXPECT(fdb_count() == 2);
    /* the bridge port is in use by the static entries */
    EXPECT_ST(bridge_api->remove_bridge_port(bps[0]), SAI_STATUS_OBJECT_IN_USE);
    /* flush everything */
    a[0].id = SAI_FDB_FLUSH_ATTR_ENTRY_TYPE;
    a[0].value.s32 = SAI_FDB_FLUSH_ENTRY_TYPE_ALL;
    EXPECT_ST(fdb_api->flush_fdb_entries(g_sw, 1, a), SAI_STATUS_SUCCESS);
    EXPECT(fdb_count() == 0);
    /* an unknown flush attribute */
    a[0].id = 0x0ffffff0;
    EXPECT_ST(fdb_api->flush_fdb_entries(g_sw, 1, a), SAI_STATUS_UNKNOWN_ATTRIBUTE_0);

    /* counters: without a counter source the calls say so, with their capability lists empty */
    sai_port_api_t *port_api = table_of(SAI_API_PORT);
    uint32_t nports;
    sai_object_id_t *ports = port_list(g_sw, &nports);
    sai_stat_id_t ids[1] = { SAI_PORT_STAT_IF_IN_OCTETS };
    uint64_t counters[1];
    sai_stat_capability_t caps[4];
    sai_stat_capability_list_t cl = { 4, caps };
    EXPECT_ST(sai_query_stats_capability(g_sw, SAI_OBJECT_TYPE_PORT, &cl), SAI_STATUS_SUCCESS);
    sai_status_t st = port_api->get_port_stats(ports[0], 1, ids, counters);
    if (cl.count == 0)
        EXPECT(st == SAI_STATUS_NOT_IMPLEMENTED);
    else
        EXPECT(st == SAI_STATUS_SUCCESS);
    EXPECT_ST(port_api->get_port_stats(ports[0], 0, ids, counters), SAI_STATUS_INVALID_PARAMETER);
    EXPECT_ST(port_api->get_port_stats(ports[0], 1, NULL, counters), SAI_STATUS_INVALID_PARAMETER);
    EXPECT_ST(port_api->get_port_stats(ports[0], 1, ids, NULL), SAI_STATUS_INVALID_PARAMETER);
    EXPECT_ST(port_api->get_port_stats_ext(ports[0], 1, ids, (sai_stats_mode_t)77, counters),
              SAI_STATUS_INVALID_PARAMETER);
    /* bulk counters over sai_object_key_t */
    sai_object_key_t keys[2];
    memset(keys, 0, sizeof keys);
    keys[0].key.object_id = ports[0];
    keys[1].key.object_id = ports[1];
    sai_status_t sts[2] = { 1, 1 };
    uint64_t bulk_counters[2];
    sai_status_t want = cl.count == 0 ? SAI_STATUS_NOT_IMPLEMENTED : SAI_STATUS_SUCCESS;
    EXPECT_ST(sai_bulk_object_get_stats(g_sw, SAI_OBJECT_TYPE_PORT, 2, keys, 1, ids, SAI_STATS_MODE_BULK_READ, sts,
                                        bulk_counters),
              want == SAI_STATUS_SUCCESS ? SAI_STATUS_SUCCESS : SAI_STATUS_FAILURE);
    EXPECT(sts[0] == want && sts[1] == want);
    EXPECT_ST(sai_bulk_object_get_stats(g_sw, SAI_OBJECT_TYPE_PORT, 2, keys, 1, ids, SAI_STATS_MODE_BULK_READ, NULL,
                                        bulk_counters),
              SAI_STATUS_INVALID_PARAMETER);
    EXPECT_ST(sai_bulk_object_get_stats(g_sw, SAI_OBJECT_TYPE_PORT, 0, keys, 1, ids, SAI_STATS_MODE_BULK_READ, sts,
                                        bulk_counters),
              SAI_STATUS_INVALID_PARAMETER);
    EXPECT_ST(sai_bulk_object_clear_stats(g_sw, SAI_OBJECT_TYPE_PORT, 2, keys, 1, ids, SAI_STATS_MODE_BULK_CLEAR, sts),
              want == SAI_STATUS_SUCCESS ? SAI_STATUS_SUCCESS : SAI_STATUS_FAILURE);
    EXPECT_ST(sai_bulk_object_clear_stats(g_sw, SAI_OBJECT_TYPE_PORT, 2, keys, 1, ids, (sai_stats_mode_t)99, sts),
              SAI_STATUS_INVALID_PARAMETER);
    sai_stat_st_capability_t stcaps[1];
    sai_stat_st_capability_list_t stl = { 1, stcaps };
    EXPECT_ST(sai_query_stats_st_capability(g_sw, SAI_OBJECT_TYPE_PORT, &stl),
              cl.count > 1 ? SAI_STATUS_BUFFER_OVERFLOW : SAI_STATUS_SUCCESS);
    EXPECT(stl.count == cl.count);
    free(ports);

    sai_switch_api_t *sw_api = table_of(SAI_API_SWITCH);
    EXPECT_ST(sw_api->remove_switch(g_sw), SAI_STATUS_SUCCESS);
    EXPECT_ST(sai_api_uninitialize(), SAI_STATUS_SUCCESS);
    return finish("fdb");
}
