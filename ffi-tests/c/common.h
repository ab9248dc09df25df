/* Shared helpers of the C test programs: checks, a profile service table like syncd's, API table
 * access by object type (from gen_meta.h, generated from the ABI data). */
#pragma once

#include <sai.h>
#include <saiobject.h>
#include <saiversion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen_meta.h"

static int g_failures;
static int g_checks;

#define FAIL(...)                                                            \
    do {                                                                     \
        fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);                \
        fprintf(stderr, __VA_ARGS__);                                        \
        fprintf(stderr, "\n");                                               \
        g_failures++;                                                        \
    } while (0)

/* A call must return exactly `want`. */
#define EXPECT_ST(call, want)                                                          \
    do {                                                                               \
        sai_status_t st_ = (call);                                                     \
        sai_status_t want_ = (sai_status_t)(want);                                     \
        g_checks++;                                                                    \
        if (st_ != want_)                                                              \
            FAIL("%s returned %d (0x%x), want %s = %d", #call, (int)st_, (unsigned)st_, \
                 #want, (int)want_);                                                   \
    } while (0)

#define EXPECT(cond)                               \
    do {                                           \
        g_checks++;                                \
        if (!(cond))                               \
            FAIL("expected %s", #cond);            \
    } while (0)

/* A call that must succeed for the test to continue. */
#define MUST(call)                                                                  \
    do {                                                                            \
        sai_status_t st_ = (call);                                                  \
        g_checks++;                                                                 \
        if (st_ != SAI_STATUS_SUCCESS) {                                            \
            fprintf(stderr, "%s:%d: FATAL: %s returned %d\n", __FILE__, __LINE__,   \
                    #call, (int)st_);                                               \
            exit(2);                                                                \
        }                                                                           \
    } while (0)

static int finish(const char *name)
{
    printf("%s: %d checks, %d failures\n", name, g_checks, g_failures);
    return g_failures == 0 ? 0 : 1;
}

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- profile service, as syncd provides it */

static const char *g_profile[][2] = {
    { "SAI_VS_SWITCH_TYPE", "SAI_VS_SWITCH_TYPE_BCM56850" },
    { "SAI_VS_SAI_SWITCH_TYPE", "SAI_SWITCH_TYPE_NPU" },
    { "SAI_BOOT_TYPE", "0" },
    { "SAI_VS_HOSTIF_USE_TAP_DEVICE", "false" },
};
#define N_PROFILE (sizeof(g_profile) / sizeof(g_profile[0]))
static size_t g_profile_it;

static const char *profile_get_value(sai_switch_profile_id_t id, const char *variable)
{
    (void)id;
    if (variable == NULL)
        return NULL;
    for (size_t i = 0; i < N_PROFILE; i++)
        if (strcmp(g_profile[i][0], variable) == 0)
            return g_profile[i][1];
    return NULL;
}

static int profile_get_next_value(sai_switch_profile_id_t id, const char **variable, const char **value)
{
    (void)id;
    if (value == NULL) { /* reset */
        g_profile_it = 0;
        return 0;
    }
    if (variable == NULL || g_profile_it >= N_PROFILE)
        return -1;
    *variable = g_profile[g_profile_it][0];
    *value = g_profile[g_profile_it][1];
    g_profile_it++;
    return 0;
}

static const sai_service_method_table_t g_services = { profile_get_value, profile_get_next_value };

/* ---- API tables */

static void *g_tables[N_APIS];

static void *table_of(uint32_t api)
{
    for (int i = 0; i < N_APIS; i++)
        if (APIS[i].api == api)
            return g_tables[i];
    return NULL;
}

/* Queries every API; every slot of every table must be a function. Returns the number of slots. */
static size_t query_all_apis(void)
{
    size_t slots = 0;
    for (int i = 0; i < N_APIS; i++) {
        void *t = NULL;
        sai_status_t st = sai_api_query(APIS[i].api, &t);
        if (st != SAI_STATUS_SUCCESS || t == NULL) {
            FAIL("sai_api_query(%s) = %d", APIS[i].name, st);
            continue;
        }
        g_tables[i] = t;
        for (size_t j = 0; j < APIS[i].slots; j++) {
            void *fn;
            memcpy(&fn, (char *)t + j * sizeof(void *), sizeof fn);
            g_checks++;
            if (fn == NULL)
                FAIL("%s slot %zu is NULL", APIS[i].name, j);
        }
        slots += APIS[i].slots;
    }
    return slots;
}

static const struct ot_info *ot_info_of(sai_object_type_t ot)
{
    for (int i = 0; i < N_OTS; i++)
        if (OTS[i].ot == ot)
            return &OTS[i];
    return NULL;
}

typedef sai_status_t (*generic_get_fn)(sai_object_id_t, uint32_t, sai_attribute_t *);
typedef sai_status_t (*generic_set_fn)(sai_object_id_t, const sai_attribute_t *);
typedef sai_status_t (*generic_remove_fn)(sai_object_id_t);
typedef sai_status_t (*generic_create_fn)(sai_object_id_t *, sai_object_id_t, uint32_t, const sai_attribute_t *);

static void *slot_fn(sai_object_type_t ot, long off)
{
    const struct ot_info *oi = ot_info_of(ot);
    if (oi == NULL || off < 0)
        return NULL;
    char *t = table_of(oi->api);
    if (t == NULL)
        return NULL;
    void *fn;
    memcpy(&fn, t + off, sizeof fn);
    return fn;
}

static inline sai_status_t generic_get(sai_object_type_t ot, sai_object_id_t oid, uint32_t n, sai_attribute_t *a)
{
    const struct ot_info *oi = ot_info_of(ot);
    generic_get_fn f;
    void *p = oi ? slot_fn(ot, oi->get_off) : NULL;
    if (p == NULL)
        return SAI_STATUS_NOT_IMPLEMENTED;
    memcpy(&f, &p, sizeof f);
    return f(oid, n, a);
}

static inline sai_status_t generic_remove(sai_object_type_t ot, sai_object_id_t oid)
{
    const struct ot_info *oi = ot_info_of(ot);
    generic_remove_fn f;
    void *p = oi ? slot_fn(ot, oi->remove_off) : NULL;
    if (p == NULL)
        return SAI_STATUS_NOT_IMPLEMENTED;
    memcpy(&f, &p, sizeof f);
    return f(oid);
}

/* ---- notifications (syncd passes its own callbacks) */

static void on_fdb_event(uint32_t count, const sai_fdb_event_notification_data_t *data)
{
    (void)count;
    (void)data;
}

static void on_port_state_change(uint32_t count, const sai_port_oper_status_notification_t *data)
{
    (void)count;
    (void)data;
}

static void on_switch_shutdown_request(sai_object_id_t switch_id)
{
    (void)switch_id;
}

/* Initializes, queries every API and creates the switch the way syncd does. */
static sai_object_id_t start_switch(void)
{
    MUST(sai_api_initialize(0, &g_services));
    query_all_apis();
    for (int i = 0; i < N_APIS; i++)
        EXPECT_ST(sai_log_set(APIS[i].api, SAI_LOG_LEVEL_NOTICE), SAI_STATUS_SUCCESS);
    sai_api_version_t v = 0;
    MUST(sai_query_api_version(&v));
    EXPECT(v >= SAI_VERSION(1, 9, 0));

    sai_switch_api_t *sw_api = table_of(SAI_API_SWITCH);
    sai_attribute_t a[5];
    memset(a, 0, sizeof a);
    a[0].id = SAI_SWITCH_ATTR_INIT_SWITCH;
    a[0].value.booldata = true;
    a[1].id = SAI_SWITCH_ATTR_FDB_EVENT_NOTIFY;
    a[1].value.ptr = (void *)on_fdb_event;
    a[2].id = SAI_SWITCH_ATTR_PORT_STATE_CHANGE_NOTIFY;
    a[2].value.ptr = (void *)on_port_state_change;
    a[3].id = SAI_SWITCH_ATTR_SWITCH_SHUTDOWN_REQUEST_NOTIFY;
    a[3].value.ptr = (void *)on_switch_shutdown_request;
    a[4].id = SAI_SWITCH_ATTR_SRC_MAC_ADDRESS;
    const sai_mac_t mac = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x02 };
    memcpy(a[4].value.mac, mac, sizeof mac);
    sai_object_id_t sw = SAI_NULL_OBJECT_ID;
    MUST(sw_api->create_switch(&sw, 5, a));
    EXPECT(sai_object_type_query(sw) == SAI_OBJECT_TYPE_SWITCH);
    EXPECT(sai_switch_id_query(sw) == sw);
    return sw;
}

/* Port list of the switch (malloc'ed). */
static inline sai_object_id_t *port_list(sai_object_id_t sw, uint32_t *n)
{
    sai_switch_api_t *sw_api = table_of(SAI_API_SWITCH);
    sai_object_id_t *ports = calloc(1024, sizeof *ports);
    sai_attribute_t a;
    a.id = SAI_SWITCH_ATTR_PORT_LIST;
    a.value.objlist.count = 1024;
    a.value.objlist.list = ports;
    MUST(sw_api->get_switch_attribute(sw, 1, &a));
    *n = a.value.objlist.count;
    return ports;
}

static inline sai_object_id_t switch_oid_attr(sai_object_id_t sw, sai_attr_id_t id)
{
    sai_switch_api_t *sw_api = table_of(SAI_API_SWITCH);
    sai_attribute_t a;
    a.id = id;
    a.value.oid = SAI_NULL_OBJECT_ID;
    MUST(sw_api->get_switch_attribute(sw, 1, &a));
    return a.value.oid;
}

static inline void set_ip4(sai_ip_address_t *ip, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    memset(ip, 0, sizeof *ip);
    ip->addr_family = SAI_IP_ADDR_FAMILY_IPV4;
    uint8_t bytes[4] = { a, b, c, d };
    memcpy(&ip->addr.ip4, bytes, 4);
}

static inline void set_prefix4(sai_ip_prefix_t *p, uint32_t host_order_addr, int len)
{
    memset(p, 0, sizeof *p);
    p->addr_family = SAI_IP_ADDR_FAMILY_IPV4;
    uint32_t mask = len == 0 ? 0 : 0xffffffffu << (32 - len);
    uint32_t a = __builtin_bswap32(host_order_addr & mask);
    uint32_t m = __builtin_bswap32(mask);
    memcpy(&p->addr.ip4, &a, 4);
    memcpy(&p->mask.ip4, &m, 4);
}

static inline void set_prefix6(sai_ip_prefix_t *p, const uint8_t addr[16], int len)
{
    memset(p, 0, sizeof *p);
    p->addr_family = SAI_IP_ADDR_FAMILY_IPV6;
    for (int i = 0; i < 16; i++) {
        int bits = len - i * 8;
        uint8_t m = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
        p->mask.ip6[i] = m;
        p->addr.ip6[i] = addr[i] & m;
    }
}

/* SAI-style annotated callback prototypes compile against our headers too. */
static inline sai_status_t annotated_example(_In_ sai_object_id_t id, _Out_ uint32_t *count, _Inout_ sai_attribute_t *a)
{
    (void)id;
    (void)a;
    *count = 0;
    return SAI_STATUS_SUCCESS;
}
