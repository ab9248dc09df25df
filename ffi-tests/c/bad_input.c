/* Every kind of bad input through the C API, each with its exact status. Per-attribute statuses use
 * the SAI encoding <RANGE>_0 - index. */
#include "common.h"

static sai_switch_api_t *sw_api;
static sai_virtual_router_api_t *vr_api;
static sai_router_interface_api_t *rif_api;
static sai_route_api_t *route_api;
static sai_neighbor_api_t *nbr_api;
static sai_port_api_t *port_api;
static sai_next_hop_group_api_t *nhg_api;
static sai_object_id_t g_sw;

#define IDX(base, i) ((sai_status_t)((base) - (i)))

static void before_init(void)
{
    void *t = NULL;
    EXPECT_ST(sai_api_query(SAI_API_PORT, &t), SAI_STATUS_UNINITIALIZED);
    EXPECT_ST(sai_api_initialize(0, NULL), SAI_STATUS_INVALID_PARAMETER);
    sai_api_version_t v;
    EXPECT_ST(sai_query_api_version(NULL), SAI_STATUS_INVALID_PARAMETER);
    EXPECT_ST(sai_query_api_version(&v), SAI_STATUS_SUCCESS);
    EXPECT(v == SAI_API_VERSION);
    EXPECT_ST(sai_api_uninitialize(), SAI_STATUS_UNINITIALIZED);
}

static void api_level(void)
{
    void *t = NULL;
    EXPECT_ST(sai_api_initialize(0, &g_services), SAI_STATUS_FAILURE); /* already initialized */
    EXPECT_ST(sai_api_query(SAI_API_PORT, NULL), SAI_STATUS_INVALID_PARAMETER);
    EXPECT_ST(sai_api_query(SAI_API_UNSPECIFIED, &t), SAI_STATUS_INVALID_PARAMETER);
    EXPECT_ST(sai_api_query((sai_api_t)0x7fff, &t), SAI_STATUS_INVALID_PARAMETER);
    EXPECT_ST(sai_log_set(SAI_API_PORT, (sai_log_level_t)99), SAI_STATUS_INVALID_PARAMETER);
    EXPECT_ST(sai_log_set((sai_api_t)0x7fff, SAI_LOG_LEVEL_INFO), SAI_STATUS_INVALID_PARAMETER);
    EXPECT(sai_object_type_query(0x00fe000000000001ull) == SAI_OBJECT_TYPE_NULL);
    EXPECT(sai_object_type_query(SAI_NULL_OBJECT_ID) == SAI_OBJECT_TYPE_NULL);
    EXPECT(sai_switch_id_query(0xffffffffffffffffull) == SAI_NULL_OBJECT_ID);
    EXPECT_ST(sai_dbg_generate_dump(NULL), SAI_STATUS_INVALID_PARAMETER);
}

static void create_errors(sai_object_id_t port)
{
    sai_object_id_t vr = 0, rif = 0;
    sai_attribute_t a[8];
    memset(a, 0, sizeof a);

    /* null output, null list with a count, too many attributes */
    EXPECT_ST(vr_api->create_virtual_router(NULL, g_sw, 0, NULL), SAI_STATUS_INVALID_PARAMETER);
    EXPECT_ST(vr_api->create_virtual_router(&vr, g_sw, 1, NULL), SAI_STATUS_INVALID_PARAMETER);
    uint32_t max = 0;
    EXPECT_ST(sai_get_maximum_attribute_count(g_sw, SAI_OBJECT_TYPE_VIRTUAL_ROUTER, &max), SAI_STATUS_SUCCESS);
    EXPECT(max > 0);
    sai_attribute_t *many = calloc(max + 1, sizeof *many);
    EXPECT_ST(vr_api->create_virtual_router(&vr, g_sw, max + 1, many), SAI_STATUS_INVALID_PARAMETER);
    free(many);
    EXPECT_ST(sai_get_maximum_attribute_count(g_sw, SAI_OBJECT_TYPE_VIRTUAL_ROUTER, NULL), SAI_STATUS_INVALID_PARAMETER);

    /* unknown attribute id at index 1 (decided before the value is read) */
    a[0].id = SAI_VIRTUAL_ROUTER_ATTR_ADMIN_V4_STATE;
    a[0].value.booldata = true;
    a[1].id = 0x0fff0000;
    EXPECT_ST(vr_api->create_virtual_router(&vr, g_sw, 2, a), IDX(SAI_STATUS_UNKNOWN_ATTRIBUTE_0, 1));

    /* duplicated attribute at index 1 */
    a[1] = a[0];
    EXPECT_ST(vr_api->create_virtual_router(&vr, g_sw, 2, a), IDX(SAI_STATUS_INVALID_ATTRIBUTE_0, 1));

    /* read-only attribute on create */
    memset(a, 0, sizeof a);
    a[0].id = SAI_PORT_ATTR_OPER_STATUS;
    a[0].value.s32 = 1;
    sai_object_id_t p2;
    EXPECT_ST(port_api->create_port(&p2, g_sw, 1, a), IDX(SAI_STATUS_INVALID_ATTRIBUTE_0, 0));

    MUST(vr_api->create_virtual_router(&vr, g_sw, 0, NULL));

    /* missing mandatory attribute (TYPE) */
    memset(a, 0, sizeof a);
    a[0].id = SAI_ROUTER_INTERFACE_ATTR_VIRTUAL_ROUTER_ID;
    a[0].value.oid = vr;
    EXPECT_ST(rif_api->create_router_interface(&rif, g_sw, 1, a), SAI_STATUS_MANDATORY_ATTRIBUTE_MISSING);

    /* enum out of range at index 1 */
    a[1].id = SAI_ROUTER_INTERFACE_ATTR_TYPE;
    a[1].value.s32 = 9999;
    EXPECT_ST(rif_api->create_router_interface(&rif, g_sw, 2, a), IDX(SAI_STATUS_INVALID_ATTR_VALUE_0, 1));

    /* wrong object type: a port where a virtual router is expected (index 0) */
    a[0].value.oid = port;
    a[1].value.s32 = SAI_ROUTER_INTERFACE_TYPE_LOOPBACK;
    EXPECT_ST(rif_api->create_router_interface(&rif, g_sw, 2, a), IDX(SAI_STATUS_INVALID_ATTR_VALUE_0, 0));
    /* an object id that does not exist */
    a[0].value.oid = vr + 0x1000;
    EXPECT_ST(rif_api->create_router_interface(&rif, g_sw, 2, a), IDX(SAI_STATUS_INVALID_ATTR_VALUE_0, 0));
    /* a switch id that is not a switch */
    a[0].value.oid = vr;
    EXPECT_ST(rif_api->create_router_interface(&rif, vr, 2, a), SAI_STATUS_INVALID_PARAMETER);

    /* malformed value: IP address with a bad family (index 0) */
    memset(a, 0, sizeof a);
    a[0].id = SAI_NEXT_HOP_ATTR_IP;
    a[0].value.ipaddr.addr_family = (sai_ip_addr_family_t)7;
    sai_next_hop_api_t *nh_api = table_of(SAI_API_NEXT_HOP);
    sai_object_id_t nh;
    EXPECT_ST(nh_api->create_next_hop(&nh, g_sw, 1, a), IDX(SAI_STATUS_INVALID_ATTR_VALUE_0, 0));

    /* list with a count but no buffer */
    memset(a, 0, sizeof a);
    a[0].id = SAI_NEXT_HOP_GROUP_ATTR_TYPE;
    a[0].value.s32 = SAI_NEXT_HOP_GROUP_TYPE_DYNAMIC_UNORDERED_ECMP;
    sai_object_id_t nhg;
    MUST(nhg_api->create_next_hop_group(&nhg, g_sw, 1, a));
    sai_attribute_t ll;
    memset(&ll, 0, sizeof ll);
    ll.id = SAI_PORT_ATTR_EGRESS_BLOCK_PORT_LIST;
    ll.value.objlist.count = 3;
    ll.value.objlist.list = NULL;
    EXPECT_ST(port_api->set_port_attribute(port, &ll), SAI_STATUS_INVALID_PARAMETER);

    /* set errors: null attribute, create-only, read-only, unknown id, bad enum */
    EXPECT_ST(vr_api->set_virtual_router_attribute(vr, NULL), SAI_STATUS_INVALID_PARAMETER);
    memset(a, 0, sizeof a);
    a[0].id = SAI_NEXT_HOP_GROUP_ATTR_TYPE; /* create-only */
    a[0].value.s32 = SAI_NEXT_HOP_GROUP_TYPE_DYNAMIC_UNORDERED_ECMP;
    EXPECT_ST(nhg_api->set_next_hop_group_attribute(nhg, &a[0]), IDX(SAI_STATUS_INVALID_ATTRIBUTE_0, 0));
    a[0].id = SAI_PORT_ATTR_OPER_STATUS; /* read-only */
    EXPECT_ST(port_api->set_port_attribute(port, &a[0]), IDX(SAI_STATUS_INVALID_ATTRIBUTE_0, 0));
    a[0].id = SAI_SWITCH_ATTR_NUMBER_OF_ACTIVE_PORTS; /* read-only */
    a[0].value.u32 = 3;
    EXPECT_ST(sw_api->set_switch_attribute(g_sw, &a[0]), IDX(SAI_STATUS_INVALID_ATTRIBUTE_0, 0));
    a[0].id = 0x0ffffff0;
    EXPECT_ST(port_api->set_port_attribute(port, &a[0]), IDX(SAI_STATUS_UNKNOWN_ATTRIBUTE_0, 0));
    a[0].id = SAI_PORT_ATTR_ADMIN_STATE;
    a[0].value.booldata = true;
    EXPECT_ST(port_api->set_port_attribute(0x1234, &a[0]), SAI_STATUS_INVALID_OBJECT_ID);

    /* get errors: count 0, null list, unknown id at index 1, removed object */
    sai_attribute_t g[2];
    memset(g, 0, sizeof g);
    g[0].id = SAI_VIRTUAL_ROUTER_ATTR_ADMIN_V4_STATE;
    g[1].id = 0x0ffffff0;
    EXPECT_ST(vr_api->get_virtual_router_attribute(vr, 0, g), SAI_STATUS_INVALID_PARAMETER);
    EXPECT_ST(vr_api->get_virtual_router_attribute(vr, 1, NULL), SAI_STATUS_INVALID_PARAMETER);
    EXPECT_ST(vr_api->get_virtual_router_attribute(vr, 2, g), IDX(SAI_STATUS_UNKNOWN_ATTRIBUTE_0, 1));
    EXPECT_ST(vr_api->get_virtual_router_attribute(vr, 1, g), SAI_STATUS_SUCCESS);
    EXPECT(g[0].value.booldata == true); /* default */

    EXPECT_ST(nhg_api->remove_next_hop_group(nhg), SAI_STATUS_SUCCESS);
    EXPECT_ST(nhg_api->remove_next_hop_group(nhg), SAI_STATUS_ITEM_NOT_FOUND);
    EXPECT_ST(vr_api->remove_virtual_router(vr), SAI_STATUS_SUCCESS);
    EXPECT_ST(vr_api->get_virtual_router_attribute(vr, 1, g), SAI_STATUS_ITEM_NOT_FOUND);
}

static void list_overflow(void)
{
    sai_object_id_t one[1];
    sai_attribute_t a;
    memset(&a, 0, sizeof a);
    a.id = SAI_SWITCH_ATTR_PORT_LIST;
    a.value.objlist.count = 1;
    a.value.objlist.list = one;
    EXPECT_ST(sw_api->get_switch_attribute(g_sw, 1, &a), SAI_STATUS_BUFFER_OVERFLOW);
    uint32_t nports = 0;
    sai_object_id_t *ports = port_list(g_sw, &nports);
    EXPECT(a.value.objlist.count == nports);
    a.value.objlist.count = 0;
    a.value.objlist.list = NULL;
    EXPECT_ST(sw_api->get_switch_attribute(g_sw, 1, &a), SAI_STATUS_BUFFER_OVERFLOW);
    EXPECT(a.value.objlist.count == nports);
    a.value.objlist.count = 4096; /* room enough, but no buffer */
    EXPECT_ST(sw_api->get_switch_attribute(g_sw, 1, &a), SAI_STATUS_INVALID_PARAMETER);
    free(ports);

    /* enum capability: short buffer -> overflow with the needed count, then the full list */
    int32_t vals[64];
    sai_s32_list_t caps = { 1, vals };
    EXPECT_ST(sai_query_attribute_enum_values_capability(g_sw, SAI_OBJECT_TYPE_ROUTER_INTERFACE,
                                                         SAI_ROUTER_INTERFACE_ATTR_TYPE, &caps),
              SAI_STATUS_BUFFER_OVERFLOW);
    EXPECT(caps.count > 1);
    caps.list = vals;
    EXPECT_ST(sai_query_attribute_enum_values_capability(g_sw, SAI_OBJECT_TYPE_ROUTER_INTERFACE,
                                                         SAI_ROUTER_INTERFACE_ATTR_TYPE, &caps),
              SAI_STATUS_SUCCESS);
    EXPECT_ST(sai_query_attribute_enum_values_capability(g_sw, SAI_OBJECT_TYPE_ROUTER_INTERFACE,
                                                         SAI_ROUTER_INTERFACE_ATTR_TYPE, NULL),
              SAI_STATUS_INVALID_PARAMETER);
    sai_attr_capability_t cap;
    EXPECT_ST(sai_query_attribute_capability(g_sw, SAI_OBJECT_TYPE_SWITCH, SAI_SWITCH_ATTR_INIT_SWITCH, &cap),
              SAI_STATUS_SUCCESS);
    EXPECT(cap.create_implemented && !cap.set_implemented && cap.get_implemented);
    EXPECT_ST(sai_query_attribute_capability(g_sw, SAI_OBJECT_TYPE_SWITCH, SAI_SWITCH_ATTR_INIT_SWITCH, NULL),
              SAI_STATUS_INVALID_PARAMETER);
    uint64_t avail = 0;
    EXPECT_ST(sai_object_type_get_availability(g_sw, SAI_OBJECT_TYPE_ROUTE_ENTRY, 0, NULL, &avail), SAI_STATUS_SUCCESS);
    EXPECT(avail > 0);
    EXPECT_ST(sai_object_type_get_availability(g_sw, SAI_OBJECT_TYPE_ROUTE_ENTRY, 0, NULL, NULL),
              SAI_STATUS_INVALID_PARAMETER);
}

static void entries(void)
{
    sai_object_id_t vr = switch_oid_attr(g_sw, SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID);
    sai_route_entry_t r;
    memset(&r, 0, sizeof r);
    r.switch_id = g_sw;
    r.vr_id = vr;
    set_prefix4(&r.destination, 0x0a630000, 16);
    sai_attribute_t a;
    memset(&a, 0, sizeof a);
    a.id = SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION;
    a.value.s32 = SAI_PACKET_ACTION_DROP;
    EXPECT_ST(route_api->create_route_entry(NULL, 1, &a), SAI_STATUS_INVALID_PARAMETER);
    EXPECT_ST(route_api->create_route_entry(&r, 1, &a), SAI_STATUS_SUCCESS);
    EXPECT_ST(route_api->create_route_entry(&r, 1, &a), SAI_STATUS_ITEM_ALREADY_EXISTS);
    /* padding and the unused tail of an IPv4 address are not part of the key */
    sai_route_entry_t r2 = r;
    r2.destination.addr.ip6[15] = 0x55;
    EXPECT_ST(route_api->create_route_entry(&r2, 1, &a), SAI_STATUS_ITEM_ALREADY_EXISTS);
    /* bad key: unknown family, missing VR */
    sai_route_entry_t bad = r;
    bad.destination.addr_family = (sai_ip_addr_family_t)9;
    EXPECT_ST(route_api->create_route_entry(&bad, 1, &a), SAI_STATUS_INVALID_PARAMETER);
    bad = r;
    bad.vr_id = 0x77;
    EXPECT_ST(route_api->create_route_entry(&bad, 1, &a), SAI_STATUS_INVALID_PARAMETER);
    EXPECT_ST(route_api->remove_route_entry(&r), SAI_STATUS_SUCCESS);
    EXPECT_ST(route_api->remove_route_entry(&r), SAI_STATUS_ITEM_NOT_FOUND);
    EXPECT_ST(route_api->set_route_entry_attribute(&r, &a), SAI_STATUS_ITEM_NOT_FOUND);
    EXPECT_ST(route_api->get_route_entry_attribute(&r, 1, &a), SAI_STATUS_ITEM_NOT_FOUND);

    /* neighbor with an invalid IP family in the key */
    sai_neighbor_entry_t n;
    memset(&n, 0, sizeof n);
    n.switch_id = g_sw;
    n.rif_id = 0x1;
    n.ip_address.addr_family = (sai_ip_addr_family_t)3;
    memset(&a, 0, sizeof a);
    a.id = SAI_NEIGHBOR_ENTRY_ATTR_DST_MAC_ADDRESS;
    EXPECT_ST(nbr_api->create_neighbor_entry(&n, 1, &a), SAI_STATUS_INVALID_PARAMETER);

    /* bulk: zero objects, bad mode, null statuses */
    sai_status_t st[2];
    uint32_t cnt[2] = { 1, 1 };
    const sai_attribute_t *lists[2] = { &a, &a };
    sai_route_entry_t rs[2] = { r, r };
    EXPECT_ST(route_api->create_route_entries(0, rs, cnt, lists, SAI_BULK_OP_ERROR_MODE_STOP_ON_ERROR, st),
              SAI_STATUS_INVALID_PARAMETER);
    EXPECT_ST(route_api->create_route_entries(2, rs, cnt, lists, (sai_bulk_op_error_mode_t)7, st),
              SAI_STATUS_INVALID_PARAMETER);
    EXPECT_ST(route_api->create_route_entries(2, rs, cnt, lists, SAI_BULK_OP_ERROR_MODE_STOP_ON_ERROR, NULL),
              SAI_STATUS_INVALID_PARAMETER);
    EXPECT_ST(route_api->create_route_entries(2, NULL, cnt, lists, SAI_BULK_OP_ERROR_MODE_STOP_ON_ERROR, st),
              SAI_STATUS_INVALID_PARAMETER);
    /* per-object conversion error: unknown attribute in object 1's list */
    sai_attribute_t unk;
    memset(&unk, 0, sizeof unk);
    unk.id = 0x0ffffff0;
    sai_attribute_t drop;
    memset(&drop, 0, sizeof drop);
    drop.id = SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION;
    drop.value.s32 = SAI_PACKET_ACTION_DROP;
    const sai_attribute_t *lists2[2] = { &drop, &unk };
    set_prefix4(&rs[1].destination, 0x0a640000, 16);
    EXPECT_ST(route_api->create_route_entries(2, rs, cnt, lists2, SAI_BULK_OP_ERROR_MODE_IGNORE_ERROR, st),
              SAI_STATUS_FAILURE);
    EXPECT(st[0] == SAI_STATUS_SUCCESS && st[1] == IDX(SAI_STATUS_UNKNOWN_ATTRIBUTE_0, 0));
    EXPECT_ST(route_api->remove_route_entries(2, rs, SAI_BULK_OP_ERROR_MODE_IGNORE_ERROR, st), SAI_STATUS_FAILURE);
    EXPECT(st[0] == SAI_STATUS_SUCCESS && st[1] == SAI_STATUS_ITEM_NOT_FOUND);

    /* object key enumeration: short buffer */
    uint32_t count = 0;
    EXPECT_ST(sai_get_object_key(g_sw, SAI_OBJECT_TYPE_PORT, &count, NULL), SAI_STATUS_BUFFER_OVERFLOW);
    EXPECT(count > 0);
    uint32_t count2 = 0;
    EXPECT_ST(sai_get_object_count(g_sw, SAI_OBJECT_TYPE_PORT, &count2), SAI_STATUS_SUCCESS);
    EXPECT(count2 == count);
    sai_object_key_t *keys = calloc(count, sizeof *keys);
    EXPECT_ST(sai_get_object_key(g_sw, SAI_OBJECT_TYPE_PORT, &count, keys), SAI_STATUS_SUCCESS);
    EXPECT(sai_object_type_query(keys[0].key.object_id) == SAI_OBJECT_TYPE_PORT);
    /* generic bulk get on those keys */
    sai_attribute_t ga[2];
    sai_attribute_t *gl[2] = { &ga[0], &ga[1] };
    uint32_t gc[2] = { 1, 1 };
    memset(ga, 0, sizeof ga);
    ga[0].id = SAI_PORT_ATTR_ADMIN_STATE;
    ga[1].id = SAI_PORT_ATTR_ADMIN_STATE;
    EXPECT_ST(sai_bulk_get_attribute(g_sw, SAI_OBJECT_TYPE_PORT, 2, keys, gc, gl, st), SAI_STATUS_SUCCESS);
    EXPECT(st[0] == SAI_STATUS_SUCCESS && st[1] == SAI_STATUS_SUCCESS);
    free(keys);
}

static void not_implemented(void)
{
    uint32_t v[4];
    EXPECT_ST(sw_api->switch_mdio_read(g_sw, 0, 0, 1, v), SAI_STATUS_NOT_IMPLEMENTED);
    sai_size_t sz = 0;
    sai_object_list_t none = { 0, NULL };
    EXPECT_ST(sai_tam_telemetry_get_data(g_sw, none, false, &sz, NULL), SAI_STATUS_NOT_IMPLEMENTED);
}

int main(void)
{
    before_init();
    g_sw = start_switch();
    sw_api = table_of(SAI_API_SWITCH);
    vr_api = table_of(SAI_API_VIRTUAL_ROUTER);
    rif_api = table_of(SAI_API_ROUTER_INTERFACE);
    route_api = table_of(SAI_API_ROUTE);
    nbr_api = table_of(SAI_API_NEIGHBOR);
    port_api = table_of(SAI_API_PORT);
    nhg_api = table_of(SAI_API_NEXT_HOP_GROUP);
    api_level();
    uint32_t nports;
    sai_object_id_t *ports = port_list(g_sw, &nports);
    create_errors(ports[0]);
    list_overflow();
    entries();
    not_implemented();
    free(ports);
    EXPECT_ST(sw_api->remove_switch(g_sw), SAI_STATUS_SUCCESS);
    EXPECT_ST(sai_api_uninitialize(), SAI_STATUS_SUCCESS);
    return finish("bad_input");
}
