/* Drives the forwarder through the SAI API only (libsai.so with the FERROSAI_RING profile key).
 *
 * usage: fwd_l3 RING LANEMAP l3        two-port router: ports up, host interfaces, RIFs, IP2ME and
 *                                      connected routes, neighbors, a next hop and a remote route;
 *                                      then answers commands on stdin:
 *                                        stats            -> "stats P RX_PKTS TX_PKTS RX_OCTETS" per port,
 *                                                            "rifstats P IN_PKTS OUT_PKTS" per RIF,
 *                                                            "capability ..." 
 *                                        wait-oper P up|down -> "oper P up|down" once notified (10 s)
 *                                        quit
 *        fwd_l3 RING LANEMAP routes N BASE   N /32 drop routes from BASE (a.b.c.d)
 *                                      (bulk, batches of 1000), print "done", exit without
 *                                      uninitializing (as a crashing syncd would).
 */
#define _GNU_SOURCE
#include <sai.h>
#include <saiobject.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MUST(call)                                                                  \
    do {                                                                            \
        sai_status_t st_ = (call);                                                  \
        if (st_ != SAI_STATUS_SUCCESS) {                                            \
            fprintf(stderr, "%s:%d: FATAL: %s returned %d\n", __FILE__, __LINE__,   \
                    #call, (int)st_);                                               \
            exit(2);                                                                \
        }                                                                           \
    } while (0)

static const char *g_prof[3][2] = {
    { "FERROSAI_RING", NULL },
    { "SAI_VS_INTERFACE_LANE_MAP_FILE", NULL },
    { "SAI_VS_SWITCH_TYPE", "SAI_VS_SWITCH_TYPE_VPP" },
};
static size_t g_it;

static const char *prof_get(sai_switch_profile_id_t id, const char *var)
{
    (void)id;
    for (size_t i = 0; var && i < 3; i++)
        if (strcmp(g_prof[i][0], var) == 0)
            return g_prof[i][1];
    return NULL;
}

static int prof_next(sai_switch_profile_id_t id, const char **var, const char **val)
{
    (void)id;
    if (val == NULL) {
        g_it = 0;
        return 0;
    }
    if (var == NULL || g_it >= 3)
        return -1;
    *var = g_prof[g_it][0];
    *val = g_prof[g_it][1];
    g_it++;
    return 0;
}

static const sai_service_method_table_t g_services = { prof_get, prof_next };

static sai_switch_api_t *sw_api;
static sai_port_api_t *port_api;
static sai_router_interface_api_t *rif_api;
static sai_neighbor_api_t *nbr_api;
static sai_next_hop_api_t *nh_api;
static sai_route_api_t *route_api;
static sai_hostif_api_t *hostif_api;
static sai_object_id_t g_sw, g_vr, g_cpu, g_ports[2], g_rifs[2];

/* Oper-status notifications (from the library's thread). */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_oper[2] = { -1, -1 };
static int g_shutdowns;

static void on_port_state(uint32_t count, const sai_port_oper_status_notification_t *data)
{
    pthread_mutex_lock(&g_mu);
    for (uint32_t i = 0; i < count; i++)
        for (int p = 0; p < 2; p++)
            if (data[i].port_id == g_ports[p])
                g_oper[p] = data[i].port_state == SAI_PORT_OPER_STATUS_UP;
    pthread_mutex_unlock(&g_mu);
}

static void on_shutdown(sai_object_id_t sw)
{
    (void)sw;
    pthread_mutex_lock(&g_mu);
    g_shutdowns++;
    pthread_mutex_unlock(&g_mu);
}

static sai_ip_prefix_t v4_prefix(const char *a, int len)
{
    sai_ip_prefix_t p;
    memset(&p, 0, sizeof p);
    p.addr_family = SAI_IP_ADDR_FAMILY_IPV4;
    inet_pton(AF_INET, a, &p.addr.ip4);
    p.mask.ip4 = len == 0 ? 0 : htonl(0xffffffffu << (32 - len));
    return p;
}

static sai_ip_address_t v4(const char *a)
{
    sai_ip_address_t ip;
    memset(&ip, 0, sizeof ip);
    ip.addr_family = SAI_IP_ADDR_FAMILY_IPV4;
    inet_pton(AF_INET, a, &ip.addr.ip4);
    return ip;
}

static void route_to(const char *a, int len, sai_object_id_t nh)
{
    sai_route_entry_t r;
    memset(&r, 0, sizeof r);
    r.switch_id = g_sw;
    r.vr_id = g_vr;
    r.destination = v4_prefix(a, len);
    sai_attribute_t at;
    memset(&at, 0, sizeof at);
    at.id = SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID;
    at.value.oid = nh;
    MUST(route_api->create_route_entry(&r, 1, &at));
}

static void start(const char *ring, const char *lanemap)
{
    g_prof[0][1] = ring;
    g_prof[1][1] = lanemap;
    MUST(sai_api_initialize(0, &g_services));
    MUST(sai_api_query(SAI_API_SWITCH, (void **)&sw_api));
    MUST(sai_api_query(SAI_API_PORT, (void **)&port_api));
    MUST(sai_api_query(SAI_API_ROUTER_INTERFACE, (void **)&rif_api));
    MUST(sai_api_query(SAI_API_NEIGHBOR, (void **)&nbr_api));
    MUST(sai_api_query(SAI_API_NEXT_HOP, (void **)&nh_api));
    MUST(sai_api_query(SAI_API_ROUTE, (void **)&route_api));
    MUST(sai_api_query(SAI_API_HOSTIF, (void **)&hostif_api));

    sai_attribute_t a[4];
    memset(a, 0, sizeof a);
    a[0].id = SAI_SWITCH_ATTR_INIT_SWITCH;
    a[0].value.booldata = true;
    a[1].id = SAI_SWITCH_ATTR_SRC_MAC_ADDRESS;
    const sai_mac_t mac = { 0x02, 0xfe, 0, 0, 1, 1 };
    memcpy(a[1].value.mac, mac, 6);
    a[2].id = SAI_SWITCH_ATTR_PORT_STATE_CHANGE_NOTIFY;
    a[2].value.ptr = (void *)on_port_state;
    a[3].id = SAI_SWITCH_ATTR_SWITCH_SHUTDOWN_REQUEST_NOTIFY;
    a[3].value.ptr = (void *)on_shutdown;
    MUST(sw_api->create_switch(&g_sw, 4, a));

    sai_object_id_t list[8];
    memset(a, 0, sizeof a);
    a[0].id = SAI_SWITCH_ATTR_PORT_LIST;
    a[0].value.objlist.count = 8;
    a[0].value.objlist.list = list;
    a[1].id = SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID;
    a[2].id = SAI_SWITCH_ATTR_CPU_PORT;
    MUST(sw_api->get_switch_attribute(g_sw, 3, a));
    if (a[0].value.objlist.count != 2) {
        fprintf(stderr, "expected 2 ports, got %u\n", a[0].value.objlist.count);
        exit(2);
    }
    g_ports[0] = list[0];
    g_ports[1] = list[1];
    g_vr = a[1].value.oid;
    g_cpu = a[2].value.oid;
}

static void l3(void)
{
    static const char *names[2] = { "Ethernet0", "Ethernet4" };
    static const char *subnet[2] = { "10.0.1.0", "10.0.2.0" };
    static const char *me[2] = { "10.0.1.1", "10.0.2.1" };
    static const char *host[2] = { "10.0.1.2", "10.0.2.2" };
    static const sai_mac_t host_mac[2] = { { 2, 0, 0, 0, 1, 2 }, { 2, 0, 0, 0, 2, 2 } };
    sai_object_id_t rif[2];
    for (int p = 0; p < 2; p++) {
        sai_attribute_t a[4];
        memset(a, 0, sizeof a);
        a[0].id = SAI_PORT_ATTR_ADMIN_STATE;
        a[0].value.booldata = true;
        MUST(port_api->set_port_attribute(g_ports[p], a));
        a[0].id = SAI_PORT_ATTR_MTU;
        a[0].value.u32 = 9100;
        MUST(port_api->set_port_attribute(g_ports[p], a));

        /* Host interface (netdev named like the port), as portsorch creates it. */
        memset(a, 0, sizeof a);
        a[0].id = SAI_HOSTIF_ATTR_TYPE;
        a[0].value.s32 = SAI_HOSTIF_TYPE_NETDEV;
        a[1].id = SAI_HOSTIF_ATTR_OBJ_ID;
        a[1].value.oid = g_ports[p];
        a[2].id = SAI_HOSTIF_ATTR_NAME;
        strncpy(a[2].value.chardata, names[p], sizeof a[2].value.chardata - 1);
        a[3].id = SAI_HOSTIF_ATTR_OPER_STATUS;
        a[3].value.booldata = true;
        sai_object_id_t hif;
        MUST(hostif_api->create_hostif(&hif, g_sw, 4, a));

        memset(a, 0, sizeof a);
        a[0].id = SAI_ROUTER_INTERFACE_ATTR_VIRTUAL_ROUTER_ID;
        a[0].value.oid = g_vr;
        a[1].id = SAI_ROUTER_INTERFACE_ATTR_TYPE;
        a[1].value.s32 = SAI_ROUTER_INTERFACE_TYPE_PORT;
        a[2].id = SAI_ROUTER_INTERFACE_ATTR_PORT_ID;
        a[2].value.oid = g_ports[p];
        a[3].id = SAI_ROUTER_INTERFACE_ATTR_MTU;
        a[3].value.u32 = 9100;
        MUST(rif_api->create_router_interface(&rif[p], g_sw, 4, a));
        g_rifs[p] = rif[p];

        route_to(subnet[p], 24, rif[p]); /* connected */
        route_to(me[p], 32, g_cpu);      /* IP2ME */

        sai_neighbor_entry_t n;
        memset(&n, 0, sizeof n);
        n.switch_id = g_sw;
        n.rif_id = rif[p];
        n.ip_address = v4(host[p]);
        memset(a, 0, sizeof a);
        a[0].id = SAI_NEIGHBOR_ENTRY_ATTR_DST_MAC_ADDRESS;
        memcpy(a[0].value.mac, host_mac[p], 6);
        MUST(nbr_api->create_neighbor_entry(&n, 1, a));
    }
    /* A remote prefix behind host 2 (its loopback 10.9.9.9). */
    sai_attribute_t a[3];
    memset(a, 0, sizeof a);
    a[0].id = SAI_NEXT_HOP_ATTR_TYPE;
    a[0].value.s32 = SAI_NEXT_HOP_TYPE_IP;
    a[1].id = SAI_NEXT_HOP_ATTR_IP;
    a[1].value.ipaddr = v4(host[1]);
    a[2].id = SAI_NEXT_HOP_ATTR_ROUTER_INTERFACE_ID;
    a[2].value.oid = rif[1];
    sai_object_id_t nh;
    MUST(nh_api->create_next_hop(&nh, g_sw, 3, a));
    route_to("10.9.9.0", 24, nh);
}

static void stats(void)
{
    sai_stat_id_t ids[3] = { SAI_PORT_STAT_ETHER_STATS_RX_NO_ERRORS,
                             SAI_PORT_STAT_ETHER_STATS_TX_NO_ERRORS, SAI_PORT_STAT_IF_IN_OCTETS };
    for (int p = 0; p < 2; p++) {
        uint64_t v[3] = { 0, 0, 0 };
        MUST(port_api->get_port_stats(g_ports[p], 3, ids, v));
        printf("stats %d %llu %llu %llu\n", p, (unsigned long long)v[0], (unsigned long long)v[1],
               (unsigned long long)v[2]);
    }
    sai_stat_id_t rids[2] = { SAI_ROUTER_INTERFACE_STAT_IN_PACKETS,
                              SAI_ROUTER_INTERFACE_STAT_OUT_PACKETS };
    for (int p = 0; p < 2; p++) {
        uint64_t v[2] = { 0, 0 };
        MUST(rif_api->get_router_interface_stats(g_rifs[p], 2, rids, v));
        printf("rifstats %d %llu %llu\n", p, (unsigned long long)v[0], (unsigned long long)v[1]);
    }
    /* The capability query lists exactly these (and not the unicast split). */
    sai_stat_capability_t caps[64];
    sai_stat_capability_list_t cl = { 64, caps };
    MUST(sai_query_stats_capability(g_sw, SAI_OBJECT_TYPE_PORT, &cl));
    int found = 0, ucast = 0;
    for (uint32_t i = 0; i < cl.count; i++) {
        for (int k = 0; k < 3; k++)
            found += caps[i].stat_enum == ids[k];
        ucast += caps[i].stat_enum == SAI_PORT_STAT_IF_IN_UCAST_PKTS;
    }
    printf("capability %u found %d ucast %d\n", cl.count, found, ucast);
}

static int wait_oper(int p, int up)
{
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&g_mu);
        int v = g_oper[p];
        pthread_mutex_unlock(&g_mu);
        if (v == up)
            return 1;
        usleep(10000);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s RING LANEMAP l3 | routes N BASE\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    start(argv[1], argv[2]);
    if (strcmp(argv[3], "routes") == 0 && argc >= 6) {
        uint32_t n = (uint32_t)strtoul(argv[4], NULL, 0);
        struct in_addr base;
        inet_pton(AF_INET, argv[5], &base);
        enum { B = 1000 };
        static sai_route_entry_t keys[B];
        static sai_attribute_t attrs[B];
        static uint32_t counts[B];
        static const sai_attribute_t *alist[B];
        static sai_status_t sts[B];
        for (uint32_t done = 0; done < n;) {
            uint32_t k = n - done < B ? n - done : B;
            for (uint32_t i = 0; i < k; i++) {
                memset(&keys[i], 0, sizeof keys[i]);
                keys[i].switch_id = g_sw;
                keys[i].vr_id = g_vr;
                keys[i].destination.addr_family = SAI_IP_ADDR_FAMILY_IPV4;
                keys[i].destination.addr.ip4 = htonl(ntohl(base.s_addr) + done + i);
                keys[i].destination.mask.ip4 = 0xffffffffu;
                memset(&attrs[i], 0, sizeof attrs[i]);
                attrs[i].id = SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION;
                attrs[i].value.s32 = SAI_PACKET_ACTION_DROP;
                counts[i] = 1;
                alist[i] = &attrs[i];
            }
            MUST(route_api->create_route_entries(k, keys, counts, alist,
                                                 SAI_BULK_OP_ERROR_MODE_STOP_ON_ERROR, sts));
            done += k;
        }
        printf("done\n");
        fflush(stdout);
        _exit(0); /* no uninitialize: the next library generation must flush what we left */
    }
    l3();
    printf("ready\n");
    char line[128];
    while (fgets(line, sizeof line, stdin)) {
        int p;
        char what[16];
        if (strncmp(line, "stats", 5) == 0) {
            stats();
        } else if (sscanf(line, "wait-oper %d %15s", &p, what) == 2 && p >= 0 && p < 2) {
            int up = strcmp(what, "up") == 0;
            printf("oper %d %s\n", p, wait_oper(p, up) ? what : "timeout");
        } else if (strncmp(line, "quit", 4) == 0) {
            break;
        }
    }
    pthread_mutex_lock(&g_mu);
    printf("shutdowns %d\n", g_shutdowns);
    pthread_mutex_unlock(&g_mu);
    MUST(sw_api->remove_switch(g_sw));
    MUST(sai_api_uninitialize());
    printf("bye\n");
    return 0;
}
