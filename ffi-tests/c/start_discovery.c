/* The syncd start sequence against libsai.so: initialize with a profile service table, query every
 * API (no NULL slot), set log levels, check the API version, create the switch with INIT_SWITCH,
 * notification pointers and SRC_MAC_ADDRESS, then discover every object reachable from the switch
 * the way syncd's SaiDiscovery does (one get per OBJECT_ID / OBJECT_LIST attribute, lists with a
 * 1024-entry buffer, sai_object_type_query on every returned id), then the checks SaiSwitch does
 * (internal ids, unique lanes), a dump, concurrent gets and sets from several threads, and
 * teardown. argv[1]: path for sai_dbg_generate_dump. */
#include "common.h"

#include <pthread.h>

#define MAX_OBJS (1 << 16)

static sai_object_id_t g_seen[MAX_OBJS * 2]; /* open-addressing set */
static size_t g_nseen;
static size_t g_gets, g_get_ok, g_type_queries;
static size_t g_per_type[256];

static int seen_insert(sai_object_id_t o)
{
    size_t h = (size_t)(o * 0x9E3779B97F4A7C15ull) & (MAX_OBJS * 2 - 1);
    while (g_seen[h] != 0) {
        if (g_seen[h] == o)
            return 0;
        h = (h + 1) & (MAX_OBJS * 2 - 1);
    }
    g_seen[h] = o;
    g_nseen++;
    return 1;
}

static int allowed(const struct oid_attr *m, sai_object_type_t t)
{
    if (m->allowed_n == 0)
        return 1;
    for (int i = 0; i < m->allowed_n; i++)
        if (ALLOWED_OTS[m->allowed_first + i] == t)
            return 1;
    return 0;
}

static int skipped(const struct oid_attr *m)
{
    /* syncd skips these */
    return (m->ot == SAI_OBJECT_TYPE_STP && m->id == SAI_STP_ATTR_BRIDGE_ID) ||
           (m->ot == SAI_OBJECT_TYPE_BRIDGE_PORT &&
            (m->id == SAI_BRIDGE_PORT_ATTR_TUNNEL_ID || m->id == SAI_BRIDGE_PORT_ATTR_RIF_ID));
}

static void discover(sai_object_id_t root)
{
    static sai_object_id_t stack[MAX_OBJS];
    static sai_object_id_t buf[1024];
    size_t sp = 0;
    if (!seen_insert(root))
        return;
    stack[sp++] = root;
    while (sp > 0) {
        sai_object_id_t o = stack[--sp];
        sai_object_type_t ot = sai_object_type_query(o);
        g_type_queries++;
        if (ot == SAI_OBJECT_TYPE_NULL) {
            FAIL("sai_object_type_query(0x%lx) = NULL", (unsigned long)o);
            continue;
        }
        if (ot < 256)
            g_per_type[ot]++;
        for (int i = 0; i < N_OID_ATTRS; i++) {
            const struct oid_attr *m = &OID_ATTRS[i];
            if (m->ot != ot || skipped(m))
                continue;
            sai_attribute_t a;
            memset(&a, 0, sizeof a);
            a.id = m->id;
            if (m->is_list) {
                a.value.objlist.count = 1024;
                a.value.objlist.list = buf;
            }
            g_gets++;
            if (generic_get(ot, o, 1, &a) != SAI_STATUS_SUCCESS)
                continue; /* syncd ignores failed gets */
            g_get_ok++;
            uint32_t n = m->is_list ? a.value.objlist.count : 1;
            const sai_object_id_t *ids = m->is_list ? buf : &a.value.oid;
            if (n > 1024) {
                FAIL("%s: count %u beyond the buffer", m->name, n);
                continue;
            }
            for (uint32_t k = 0; k < n; k++) {
                sai_object_id_t c = ids[k];
                if (c == SAI_NULL_OBJECT_ID)
                    continue;
                sai_object_type_t ct = sai_object_type_query(c);
                g_type_queries++;
                g_checks++;
                if (ct == SAI_OBJECT_TYPE_NULL || !allowed(m, ct)) {
                    FAIL("%s of 0x%lx returned 0x%lx of type %d", m->name, (unsigned long)o,
                         (unsigned long)c, (int)ct);
                    continue;
                }
                if (seen_insert(c)) {
                    if (sp >= MAX_OBJS) {
                        FAIL("discovery stack overflow");
                        return;
                    }
                    stack[sp++] = c;
                }
            }
        }
    }
}

struct worker {
    sai_object_id_t *ports;
    uint32_t nports;
    int id;
    int errors;
};

static void *worker_main(void *p)
{
    struct worker *w = p;
    sai_port_api_t *port_api = table_of(SAI_API_PORT);
    for (int i = 0; i < 2000; i++) {
        sai_object_id_t port = w->ports[(uint32_t)(i + w->id) % w->nports];
        sai_attribute_t a;
        memset(&a, 0, sizeof a);
        if (i % 2 == 0) {
            a.id = SAI_PORT_ATTR_MTU;
            a.value.u32 = 1500 + (uint32_t)(i % 7000);
            if (port_api->set_port_attribute(port, &a) != SAI_STATUS_SUCCESS)
                w->errors++;
        } else {
            a.id = SAI_PORT_ATTR_MTU;
            if (port_api->get_port_attribute(port, 1, &a) != SAI_STATUS_SUCCESS)
                w->errors++;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *dump = argc > 1 ? argv[1] : "/tmp/ferrosai-dump.txt";
    sai_object_id_t sw = start_switch();
    printf("apis: %d tables checked\n", N_APIS);

    /* notification pointers are stored and returned */
    sai_switch_api_t *sw_api = table_of(SAI_API_SWITCH);
    sai_attribute_t a;
    memset(&a, 0, sizeof a);
    a.id = SAI_SWITCH_ATTR_FDB_EVENT_NOTIFY;
    MUST(sw_api->get_switch_attribute(sw, 1, &a));
    EXPECT(a.value.ptr == (void *)on_fdb_event);

    /* discovery, with log levels lowered as syncd does */
    for (int i = 0; i < N_APIS; i++)
        sai_log_set(APIS[i].api, SAI_LOG_LEVEL_CRITICAL);
    double t0 = now_s();
    discover(sw);
    double t1 = now_s();
    for (int i = 0; i < N_APIS; i++)
        sai_log_set(APIS[i].api, SAI_LOG_LEVEL_NOTICE);
    printf("discovery: %zu objects, %zu gets (%zu ok), %zu type queries in %.3f s\n", g_nseen, g_gets,
           g_get_ok, g_type_queries, t1 - t0);
    for (int t = 0; t < 256; t++)
        if (g_per_type[t] > 0) {
            const struct ot_info *oi = ot_info_of((sai_object_type_t)t);
            printf("  %5zu %s\n", g_per_type[t], oi ? oi->name : "?");
        }
    EXPECT(g_per_type[SAI_OBJECT_TYPE_SWITCH] == 1);
    EXPECT(g_per_type[SAI_OBJECT_TYPE_PORT] >= 2);
    EXPECT(g_per_type[SAI_OBJECT_TYPE_VIRTUAL_ROUTER] >= 1);
    EXPECT(g_per_type[SAI_OBJECT_TYPE_QUEUE] >= 1);
    EXPECT(g_per_type[SAI_OBJECT_TYPE_BRIDGE_PORT] >= 1);
    EXPECT(g_per_type[SAI_OBJECT_TYPE_VLAN] >= 1);

    /* internal ids syncd reads */
    const sai_attr_id_t internal[] = {
        SAI_SWITCH_ATTR_CPU_PORT,
        SAI_SWITCH_ATTR_DEFAULT_VLAN_ID,
        SAI_SWITCH_ATTR_DEFAULT_STP_INST_ID,
        SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID,
        SAI_SWITCH_ATTR_DEFAULT_1Q_BRIDGE_ID,
        SAI_SWITCH_ATTR_DEFAULT_TRAP_GROUP,
    };
    for (size_t i = 0; i < sizeof internal / sizeof internal[0]; i++) {
        sai_object_id_t o = switch_oid_attr(sw, internal[i]);
        EXPECT(o != SAI_NULL_OBJECT_ID);
        EXPECT(sai_object_type_query(o) != SAI_OBJECT_TYPE_NULL);
    }

    /* switch type and MAC, as SaiSwitch reads them */
    memset(&a, 0, sizeof a);
    a.id = SAI_SWITCH_ATTR_TYPE;
    EXPECT_ST(sw_api->get_switch_attribute(sw, 1, &a), SAI_STATUS_SUCCESS);
    EXPECT(a.value.s32 == SAI_SWITCH_TYPE_NPU);
    memset(&a, 0, sizeof a);
    a.id = SAI_SWITCH_ATTR_SRC_MAC_ADDRESS;
    EXPECT_ST(sw_api->get_switch_attribute(sw, 1, &a), SAI_STATUS_SUCCESS);
    EXPECT(a.value.mac[0] == 0x02 && a.value.mac[5] == 0x02);
    memset(&a, 0, sizeof a);
    a.id = SAI_SWITCH_ATTR_VXLAN_DEFAULT_ROUTER_MAC;
    printf("VXLAN_DEFAULT_ROUTER_MAC: status %d\n", sw_api->get_switch_attribute(sw, 1, &a));

    /* lanes of every port are unique */
    uint32_t nports = 0;
    sai_object_id_t *ports = port_list(sw, &nports);
    memset(&a, 0, sizeof a);
    a.id = SAI_SWITCH_ATTR_NUMBER_OF_ACTIVE_PORTS;
    MUST(sw_api->get_switch_attribute(sw, 1, &a));
    EXPECT(a.value.u32 == nports);
    sai_port_api_t *port_api = table_of(SAI_API_PORT);
    static uint32_t all_lanes[4096];
    uint32_t nl = 0;
    for (uint32_t i = 0; i < nports; i++) {
        uint32_t lanes[16];
        memset(&a, 0, sizeof a);
        a.id = SAI_PORT_ATTR_HW_LANE_LIST;
        a.value.u32list.count = 16;
        a.value.u32list.list = lanes;
        MUST(port_api->get_port_attribute(ports[i], 1, &a));
        for (uint32_t k = 0; k < a.value.u32list.count && nl < 4096; k++) {
            for (uint32_t j = 0; j < nl; j++)
                if (all_lanes[j] == lanes[k])
                    FAIL("lane %u used twice", lanes[k]);
            all_lanes[nl++] = lanes[k];
        }
    }
    printf("ports: %u, lanes: %u\n", nports, nl);

    /* several threads at once */
    pthread_t th[4];
    struct worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){ ports, nports, i, 0 };
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        EXPECT(w[i].errors == 0);
    }

    EXPECT_ST(sai_dbg_generate_dump(dump), SAI_STATUS_SUCCESS);
    FILE *f = fopen(dump, "r");
    EXPECT(f != NULL);
    if (f) {
        static char text[1 << 20];
        size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = 0;
        fclose(f);
        EXPECT(strstr(text, "SAI_OBJECT_TYPE_PORT oid:0x") != NULL);
        EXPECT(strstr(text, "SAI_SWITCH_ATTR_SRC_MAC_ADDRESS = 02:42:ac:11:00:02") != NULL);
    }

    EXPECT_ST(sw_api->remove_switch(sw), SAI_STATUS_SUCCESS);
    EXPECT_ST(sai_api_uninitialize(), SAI_STATUS_SUCCESS);
    free(ports);
    return finish("start_discovery");
}
