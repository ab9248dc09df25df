/* An L3 configuration through libsai.so: a virtual router, two port router interfaces, neighbors,
 * next hops, an ECMP group with members, IPv4 and IPv6 routes, a bulk create of 100k routes with
 * per-object statuses (both error modes), then teardown in reverse order, first trying the wrong
 * order to get SAI_STATUS_OBJECT_IN_USE. argv[1]: number of bulk routes (default 100000). */
#include "common.h"

static sai_virtual_router_api_t *vr_api;
static sai_router_interface_api_t *rif_api;
static sai_neighbor_api_t *nbr_api;
static sai_next_hop_api_t *nh_api;
static sai_next_hop_group_api_t *nhg_api;
static sai_route_api_t *route_api;
static sai_switch_api_t *sw_api;
static sai_bridge_api_t *bridge_api;
static sai_vlan_api_t *vlan_api;

static sai_object_id_t g_sw;

static sai_object_id_t make_rif(sai_object_id_t vr, sai_object_id_t port, uint8_t last_mac)
{
    sai_attribute_t a[4];
    memset(a, 0, sizeof a);
    a[0].id = SAI_ROUTER_INTERFACE_ATTR_VIRTUAL_ROUTER_ID;
    a[0].value.oid = vr;
    a[1].id = SAI_ROUTER_INTERFACE_ATTR_TYPE;
    a[1].value.s32 = SAI_ROUTER_INTERFACE_TYPE_PORT;
    a[2].id = SAI_ROUTER_INTERFACE_ATTR_PORT_ID;
    a[2].value.oid = port;
    a[3].id = SAI_ROUTER_INTERFACE_ATTR_SRC_MAC_ADDRESS;
    const sai_mac_t mac = { 0x02, 0, 0, 0, 0x10, last_mac };
    memcpy(a[3].value.mac, mac, 6);
    sai_object_id_t rif = 0;
    MUST(rif_api->create_router_interface(&rif, g_sw, 4, a));
    EXPECT(sai_object_type_query(rif) == SAI_OBJECT_TYPE_ROUTER_INTERFACE);
    return rif;
}

static sai_neighbor_entry_t neighbor_key(sai_object_id_t rif, const sai_ip_address_t *ip)
{
    sai_neighbor_entry_t n;
    memset(&n, 0, sizeof n);
    n.switch_id = g_sw;
    n.rif_id = rif;
    n.ip_address = *ip;
    return n;
}

static void make_neighbor(sai_object_id_t rif, const sai_ip_address_t *ip, uint8_t last_mac)
{
    sai_neighbor_entry_t n = neighbor_key(rif, ip);
    sai_attribute_t a;
    memset(&a, 0, sizeof a);
    a.id = SAI_NEIGHBOR_ENTRY_ATTR_DST_MAC_ADDRESS;
    const sai_mac_t mac = { 0x02, 0, 0, 0, 0x20, last_mac };
    memcpy(a.value.mac, mac, 6);
    MUST(nbr_api->create_neighbor_entry(&n, 1, &a));
}

static sai_object_id_t make_next_hop(sai_object_id_t rif, const sai_ip_address_t *ip)
{
    sai_attribute_t a[3];
    memset(a, 0, sizeof a);
    a[0].id = SAI_NEXT_HOP_ATTR_TYPE;
    a[0].value.s32 = SAI_NEXT_HOP_TYPE_IP;
    a[1].id = SAI_NEXT_HOP_ATTR_IP;
    a[1].value.ipaddr = *ip;
    a[2].id = SAI_NEXT_HOP_ATTR_ROUTER_INTERFACE_ID;
    a[2].value.oid = rif;
    sai_object_id_t nh = 0;
    MUST(nh_api->create_next_hop(&nh, g_sw, 3, a));
    return nh;
}

static sai_route_entry_t route_key(sai_object_id_t vr, const sai_ip_prefix_t *p)
{
    sai_route_entry_t r;
    memset(&r, 0, sizeof r);
    r.switch_id = g_sw;
    r.vr_id = vr;
    r.destination = *p;
    return r;
}

static void make_route(sai_object_id_t vr, const sai_ip_prefix_t *p, sai_object_id_t nh)
{
    sai_route_entry_t r = route_key(vr, p);
    sai_attribute_t a;
    memset(&a, 0, sizeof a);
    a.id = SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID;
    a.value.oid = nh;
    MUST(route_api->create_route_entry(&r, 1, &a));
}

/* Orchagent removes a port's default bridge port and VLAN membership before routing on it. */
static void unbridge_port(sai_object_id_t port)
{
    sai_object_id_t bridge = switch_oid_attr(g_sw, SAI_SWITCH_ATTR_DEFAULT_1Q_BRIDGE_ID);
    sai_object_id_t vlan = switch_oid_attr(g_sw, SAI_SWITCH_ATTR_DEFAULT_VLAN_ID);
    static sai_object_id_t list[1024];
    sai_attribute_t a;
    memset(&a, 0, sizeof a);
    a.id = SAI_VLAN_ATTR_MEMBER_LIST;
    a.value.objlist.count = 1024;
    a.value.objlist.list = list;
    MUST(vlan_api->get_vlan_attribute(vlan, 1, &a));
    uint32_t n = a.value.objlist.count;
    sai_object_id_t bp = SAI_NULL_OBJECT_ID;
    memset(&a, 0, sizeof a);
    a.id = SAI_BRIDGE_ATTR_PORT_LIST;
    static sai_object_id_t bps[1024];
    a.value.objlist.count = 1024;
    a.value.objlist.list = bps;
    MUST(bridge_api->get_bridge_attribute(bridge, 1, &a));
    for (uint32_t i = 0; i < a.value.objlist.count; i++) {
        sai_attribute_t p;
        memset(&p, 0, sizeof p);
        p.id = SAI_BRIDGE_PORT_ATTR_PORT_ID;
        if (bridge_api->get_bridge_port_attribute(bps[i], 1, &p) == SAI_STATUS_SUCCESS && p.value.oid == port)
            bp = bps[i];
    }
    for (uint32_t i = 0; i < n; i++) {
        sai_attribute_t m;
        memset(&m, 0, sizeof m);
        m.id = SAI_VLAN_MEMBER_ATTR_BRIDGE_PORT_ID;
        if (vlan_api->get_vlan_member_attribute(list[i], 1, &m) == SAI_STATUS_SUCCESS && m.value.oid == bp)
            EXPECT_ST(vlan_api->remove_vlan_member(list[i]), SAI_STATUS_SUCCESS);
    }
    if (bp != SAI_NULL_OBJECT_ID)
        EXPECT_ST(bridge_api->remove_bridge_port(bp), SAI_STATUS_SUCCESS);
}

int main(int argc, char **argv)
{
    uint32_t nbulk = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
    g_sw = start_switch();
    vr_api = table_of(SAI_API_VIRTUAL_ROUTER);
    rif_api = table_of(SAI_API_ROUTER_INTERFACE);
    nbr_api = table_of(SAI_API_NEIGHBOR);
    nh_api = table_of(SAI_API_NEXT_HOP);
    nhg_api = table_of(SAI_API_NEXT_HOP_GROUP);
    route_api = table_of(SAI_API_ROUTE);
    sw_api = table_of(SAI_API_SWITCH);
    bridge_api = table_of(SAI_API_BRIDGE);
    vlan_api = table_of(SAI_API_VLAN);

    uint32_t nports = 0;
    sai_object_id_t *ports = port_list(g_sw, &nports);
    EXPECT(nports >= 2);
    unbridge_port(ports[0]);
    unbridge_port(ports[1]);

    /* VR and RIFs */
    sai_object_id_t vr = 0;
    MUST(vr_api->create_virtual_router(&vr, g_sw, 0, NULL));
    sai_object_id_t rif0 = make_rif(vr, ports[0], 1);
    sai_object_id_t rif1 = make_rif(vr, ports[1], 2);

    /* neighbors and next hops, IPv4 and IPv6 */
    sai_ip_address_t ip0, ip1, ip6;
    set_ip4(&ip0, 10, 0, 0, 2);
    set_ip4(&ip1, 10, 0, 1, 2);
    memset(&ip6, 0, sizeof ip6);
    ip6.addr_family = SAI_IP_ADDR_FAMILY_IPV6;
    const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2 };
    memcpy(ip6.addr.ip6, a6, 16);
    make_neighbor(rif0, &ip0, 1);
    make_neighbor(rif1, &ip1, 2);
    make_neighbor(rif0, &ip6, 3);
    sai_object_id_t nh0 = make_next_hop(rif0, &ip0);
    sai_object_id_t nh1 = make_next_hop(rif1, &ip1);
    sai_object_id_t nh6 = make_next_hop(rif0, &ip6);

    /* ECMP group with two members */
    sai_attribute_t a[2];
    memset(a, 0, sizeof a);
    a[0].id = SAI_NEXT_HOP_GROUP_ATTR_TYPE;
    a[0].value.s32 = SAI_NEXT_HOP_GROUP_TYPE_DYNAMIC_UNORDERED_ECMP;
    sai_object_id_t nhg = 0;
    MUST(nhg_api->create_next_hop_group(&nhg, g_sw, 1, a));
    sai_object_id_t mem[2];
    sai_object_id_t nhs[2] = { nh0, nh1 };
    for (int i = 0; i < 2; i++) {
        memset(a, 0, sizeof a);
        a[0].id = SAI_NEXT_HOP_GROUP_MEMBER_ATTR_NEXT_HOP_GROUP_ID;
        a[0].value.oid = nhg;
        a[1].id = SAI_NEXT_HOP_GROUP_MEMBER_ATTR_NEXT_HOP_ID;
        a[1].value.oid = nhs[i];
        MUST(nhg_api->create_next_hop_group_member(&mem[i], g_sw, 2, a));
    }
    sai_attribute_t g;
    sai_object_id_t got[8];
    memset(&g, 0, sizeof g);
    g.id = SAI_NEXT_HOP_GROUP_ATTR_NEXT_HOP_MEMBER_LIST;
    g.value.objlist.count = 8;
    g.value.objlist.list = got;
    EXPECT_ST(nhg_api->get_next_hop_group_attribute(nhg, 1, &g), SAI_STATUS_SUCCESS);
    EXPECT(g.value.objlist.count == 2);

    /* routes */
    sai_ip_prefix_t p1, p2, p6;
    set_prefix4(&p1, 0x0a010000, 16); /* 10.1.0.0/16 -> nh0 */
    set_prefix4(&p2, 0x0a020000, 16); /* 10.2.0.0/16 -> ECMP */
    const uint8_t n6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x01, 0 };
    set_prefix6(&p6, n6, 48); /* 2001:db8:100::/48 -> nh6 */
    make_route(vr, &p1, nh0);
    make_route(vr, &p2, nhg);
    make_route(vr, &p6, nh6);
    sai_route_entry_t r1 = route_key(vr, &p1);
    memset(&g, 0, sizeof g);
    g.id = SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID;
    EXPECT_ST(route_api->get_route_entry_attribute(&r1, 1, &g), SAI_STATUS_SUCCESS);
    EXPECT(g.value.oid == nh0);
    /* set the route to the group and back */
    memset(&g, 0, sizeof g);
    g.id = SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID;
    g.value.oid = nhg;
    EXPECT_ST(route_api->set_route_entry_attribute(&r1, &g), SAI_STATUS_SUCCESS);
    g.value.oid = nh0;
    EXPECT_ST(route_api->set_route_entry_attribute(&r1, &g), SAI_STATUS_SUCCESS);

    /* bulk: nbulk /32 routes in 11.0.0.0/8.. towards the group */
    sai_route_entry_t *keys = calloc(nbulk, sizeof *keys);
    uint32_t *counts = calloc(nbulk, sizeof *counts);
    const sai_attribute_t **lists = calloc(nbulk, sizeof *lists);
    sai_status_t *sts = calloc(nbulk, sizeof *sts);
    sai_attribute_t battr;
    memset(&battr, 0, sizeof battr);
    battr.id = SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID;
    battr.value.oid = nhg;
    for (uint32_t i = 0; i < nbulk; i++) {
        sai_ip_prefix_t p;
        set_prefix4(&p, 0x0b000000u + i, 32);
        keys[i] = route_key(vr, &p);
        counts[i] = 1;
        lists[i] = &battr;
        sts[i] = 12345;
    }
    double t0 = now_s();
    EXPECT_ST(route_api->create_route_entries(nbulk, keys, counts, lists, SAI_BULK_OP_ERROR_MODE_IGNORE_ERROR, sts),
              SAI_STATUS_SUCCESS);
    double t1 = now_s();
    uint32_t ok = 0;
    for (uint32_t i = 0; i < nbulk; i++)
        ok += sts[i] == SAI_STATUS_SUCCESS;
    EXPECT(ok == nbulk);
    printf("bulk create: %u routes in %.3f s (%.0f routes/s)\n", nbulk, t1 - t0, nbulk / (t1 - t0));

    /* per-object statuses: [new, existing, new] in both modes */
    sai_route_entry_t three[3];
    sai_ip_prefix_t q;
    set_prefix4(&q, 0x0c000001, 32);
    three[0] = route_key(vr, &q);
    three[1] = keys[0];
    set_prefix4(&q, 0x0c000002, 32);
    three[2] = route_key(vr, &q);
    sai_status_t s3[3];
    EXPECT_ST(route_api->create_route_entries(3, three, counts, lists, SAI_BULK_OP_ERROR_MODE_STOP_ON_ERROR, s3),
              SAI_STATUS_FAILURE);
    EXPECT(s3[0] == SAI_STATUS_SUCCESS && s3[1] == SAI_STATUS_ITEM_ALREADY_EXISTS && s3[2] == SAI_STATUS_NOT_EXECUTED);
    EXPECT_ST(route_api->remove_route_entries(1, three, SAI_BULK_OP_ERROR_MODE_STOP_ON_ERROR, s3), SAI_STATUS_SUCCESS);
    EXPECT_ST(route_api->create_route_entries(3, three, counts, lists, SAI_BULK_OP_ERROR_MODE_IGNORE_ERROR, s3),
              SAI_STATUS_FAILURE);
    EXPECT(s3[0] == SAI_STATUS_SUCCESS && s3[1] == SAI_STATUS_ITEM_ALREADY_EXISTS && s3[2] == SAI_STATUS_SUCCESS);
    sai_route_entry_t two[2] = { three[0], three[2] };
    EXPECT_ST(route_api->remove_route_entries(2, two, SAI_BULK_OP_ERROR_MODE_STOP_ON_ERROR, s3), SAI_STATUS_SUCCESS);

    /* bulk set on the first three routes, bulk get back */
    sai_attribute_t sets[3];
    for (int i = 0; i < 3; i++) {
        memset(&sets[i], 0, sizeof sets[i]);
        sets[i].id = SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID;
        sets[i].value.oid = nh1;
    }
    EXPECT_ST(route_api->set_route_entries_attribute(3, keys, sets, SAI_BULK_OP_ERROR_MODE_STOP_ON_ERROR, s3),
              SAI_STATUS_SUCCESS);
    sai_attribute_t gets[3];
    sai_attribute_t *glists[3];
    uint32_t gcounts[3] = { 1, 1, 1 };
    for (int i = 0; i < 3; i++) {
        memset(&gets[i], 0, sizeof gets[i]);
        gets[i].id = SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID;
        glists[i] = &gets[i];
    }
    EXPECT_ST(route_api->get_route_entries_attribute(3, keys, gcounts, glists, SAI_BULK_OP_ERROR_MODE_STOP_ON_ERROR, s3),
              SAI_STATUS_SUCCESS);
    EXPECT(gets[0].value.oid == nh1 && gets[2].value.oid == nh1);

    /* teardown in the wrong order first: every object still referenced is refused */
    EXPECT_ST(nh_api->remove_next_hop(nh0), SAI_STATUS_OBJECT_IN_USE);         /* route + member */
    EXPECT_ST(nhg_api->remove_next_hop_group(nhg), SAI_STATUS_OBJECT_IN_USE);  /* routes + members */
    EXPECT_ST(rif_api->remove_router_interface(rif0), SAI_STATUS_OBJECT_IN_USE); /* neighbors, next hops */
    EXPECT_ST(vr_api->remove_virtual_router(vr), SAI_STATUS_OBJECT_IN_USE);    /* rifs, routes */

    /* then in reverse */
    t0 = now_s();
    EXPECT_ST(route_api->remove_route_entries(nbulk, keys, SAI_BULK_OP_ERROR_MODE_IGNORE_ERROR, sts), SAI_STATUS_SUCCESS);
    t1 = now_s();
    printf("bulk remove: %u routes in %.3f s\n", nbulk, t1 - t0);
    sai_route_entry_t r2 = route_key(vr, &p2), r6 = route_key(vr, &p6);
    EXPECT_ST(route_api->remove_route_entry(&r1), SAI_STATUS_SUCCESS);
    EXPECT_ST(route_api->remove_route_entry(&r2), SAI_STATUS_SUCCESS);
    EXPECT_ST(route_api->remove_route_entry(&r6), SAI_STATUS_SUCCESS);
    EXPECT_ST(route_api->remove_route_entry(&r6), SAI_STATUS_ITEM_NOT_FOUND);
    EXPECT_ST(nhg_api->remove_next_hop_group(nhg), SAI_STATUS_OBJECT_IN_USE); /* members left */
    EXPECT_ST(nhg_api->remove_next_hop_group_member(mem[1]), SAI_STATUS_SUCCESS);
    EXPECT_ST(nhg_api->remove_next_hop_group_member(mem[0]), SAI_STATUS_SUCCESS);
    EXPECT_ST(nhg_api->remove_next_hop_group(nhg), SAI_STATUS_SUCCESS);
    EXPECT_ST(nh_api->remove_next_hop(nh6), SAI_STATUS_SUCCESS);
    EXPECT_ST(nh_api->remove_next_hop(nh1), SAI_STATUS_SUCCESS);
    EXPECT_ST(nh_api->remove_next_hop(nh0), SAI_STATUS_SUCCESS);
    EXPECT_ST(rif_api->remove_router_interface(rif0), SAI_STATUS_OBJECT_IN_USE); /* neighbors left */
    sai_neighbor_entry_t n0 = neighbor_key(rif0, &ip0), n1 = neighbor_key(rif1, &ip1), nb6 = neighbor_key(rif0, &ip6);
    EXPECT_ST(nbr_api->remove_neighbor_entry(&nb6), SAI_STATUS_SUCCESS);
    EXPECT_ST(nbr_api->remove_neighbor_entry(&n1), SAI_STATUS_SUCCESS);
    EXPECT_ST(nbr_api->remove_neighbor_entry(&n0), SAI_STATUS_SUCCESS);
    EXPECT_ST(rif_api->remove_router_interface(rif1), SAI_STATUS_SUCCESS);
    EXPECT_ST(rif_api->remove_router_interface(rif0), SAI_STATUS_SUCCESS);
    EXPECT_ST(vr_api->remove_virtual_router(vr), SAI_STATUS_SUCCESS);
    memset(&g, 0, sizeof g);
    g.id = SAI_VIRTUAL_ROUTER_ATTR_ADMIN_V4_STATE;
    EXPECT_ST(vr_api->get_virtual_router_attribute(vr, 1, &g), SAI_STATUS_ITEM_NOT_FOUND);

    EXPECT_ST(sw_api->remove_switch(g_sw), SAI_STATUS_SUCCESS);
    EXPECT_ST(sai_api_uninitialize(), SAI_STATUS_SUCCESS);
    free(keys);
    free(counts);
    free(lists);
    free(sts);
    free(ports);
    return finish("l3");
}
