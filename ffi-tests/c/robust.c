/* Robustness: random create / set / get / remove calls on every object-id type through the API
 * tables, with random attribute ids (mostly valid, some unknown), random values (lists with valid
 * buffers of random content, object ids drawn from live objects and garbage). Every call must
 * return a SAI status (no crash); then everything created is removed again (in several passes,
 * since references force an order) and the object counts must be back where they started.
 * argv[1]: iterations (default 20000), argv[2]: seed. */
#include "common.h"

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

#define POOL 8192
static sai_object_id_t g_pool[POOL]; /* known object ids (discovered + created) */
static size_t g_npool;
static sai_object_id_t g_created[POOL];
static sai_object_type_t g_created_ot[POOL];
static size_t g_ncreated;
static uint8_t g_lists[64][4096];

static sai_object_id_t rnd_oid(void)
{
    switch (rnd() % 8) {
    case 0:
        return SAI_NULL_OBJECT_ID;
    case 1:
        return rnd(); /* garbage */
    default:
        return g_npool ? g_pool[rnd() % g_npool] : 0;
    }
}

static void rnd_value(const struct any_attr *m, sai_attribute_value_t *v, int slot)
{
    uint8_t *b = (uint8_t *)v;
    for (size_t i = 0; i < sizeof *v; i++)
        b[i] = (uint8_t)rnd();
    if (m->shape == 0) {
        if (rnd() % 2)
            v->oid = rnd_oid(); /* object ids are the interesting case; harmless for other types */
        if (rnd() % 4 == 0)
            v->ipaddr.addr_family = (sai_ip_addr_family_t)(rnd() % 2);
        return;
    }
    /* `{count, list}` at offset 0, list in a valid buffer */
    uint32_t count = (uint32_t)(rnd() % 5);
    uint8_t *buf = g_lists[slot];
    for (size_t i = 0; i < sizeof g_lists[slot]; i++)
        buf[i] = (uint8_t)rnd();
    if (m->elem_size == 8)
        for (uint32_t i = 0; i < count; i++) {
            sai_object_id_t o = rnd_oid();
            memcpy(buf + i * 8, &o, 8);
        }
    v->objlist.count = count;
    v->objlist.list = (sai_object_id_t *)(void *)buf;
    if (rnd() % 16 == 0)
        v->objlist.list = NULL; /* count with no buffer */
}

static const struct any_attr *rnd_attr_of(sai_object_type_t ot)
{
    /* ALL_ATTRS is grouped by type: find the range */
    int first = -1, n = 0;
    for (int i = 0; i < N_ALL_ATTRS; i++)
        if (ALL_ATTRS[i].ot == ot) {
            if (first < 0)
                first = i;
            n++;
        }
    if (n == 0)
        return NULL;
    return &ALL_ATTRS[first + (int)(rnd() % (uint64_t)n)];
}

static int valid_status(sai_status_t st)
{
    return st == SAI_STATUS_SUCCESS || (st < 0 && st >= SAI_STATUS_ATTR_NOT_SUPPORTED_MAX);
}

static uint32_t total_objects(sai_object_id_t sw)
{
    uint32_t total = 0;
    for (int i = 0; i < N_OTS; i++) {
        uint32_t c = 0;
        if (sai_get_object_count(sw, OTS[i].ot, &c) == SAI_STATUS_SUCCESS)
            total += c;
    }
    return total;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    if (argc > 2)
        g_rng = strtoull(argv[2], NULL, 0) | 1;
    printf("robust: seed 0x%llx, %ld iterations\n", (unsigned long long)g_rng, iters);
    sai_object_id_t sw = start_switch();
    uint32_t nports = 0;
    sai_object_id_t *ports = port_list(sw, &nports);
    for (uint32_t i = 0; i < nports && g_npool < POOL; i++)
        g_pool[g_npool++] = ports[i];
    g_pool[g_npool++] = sw;
    g_pool[g_npool++] = switch_oid_attr(sw, SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID);
    g_pool[g_npool++] = switch_oid_attr(sw, SAI_SWITCH_ATTR_DEFAULT_1Q_BRIDGE_ID);
    g_pool[g_npool++] = switch_oid_attr(sw, SAI_SWITCH_ATTR_DEFAULT_VLAN_ID);
    uint32_t before = total_objects(sw);

    size_t created = 0, sets_ok = 0, gets_ok = 0, removed = 0, calls = 0;
    for (long it = 0; it < iters; it++) {
        const struct ot_info *oi = &OTS[rnd() % N_OTS];
        if (oi->ot == SAI_OBJECT_TYPE_SWITCH)
            continue;
        int op = (int)(rnd() % 10);
        sai_attribute_t attrs[6];
        memset(attrs, 0, sizeof attrs);
        if (op < 5 && oi->create_off >= 0) {
            uint32_t n = (uint32_t)(rnd() % 6);
            for (uint32_t i = 0; i < n; i++) {
                const struct any_attr *m = rnd_attr_of(oi->ot);
                if (m == NULL || m->shape == 2 || rnd() % 25 == 0) {
                    attrs[i].id = (sai_attr_id_t)rnd(); /* unknown (or unsupported shape) */
                    if (m && m->shape == 2)
                        attrs[i].id = 0x7ffffff0;
                    continue;
                }
                attrs[i].id = m->id;
                rnd_value(m, &attrs[i].value, (int)i);
            }
            void *p = slot_fn(oi->ot, oi->create_off);
            generic_create_fn f;
            memcpy(&f, &p, sizeof f);
            sai_object_id_t o = 0;
            sai_status_t st = f(&o, sw, n, attrs);
            calls++;
            if (!valid_status(st))
                FAIL("create %s: status %d", oi->name, st);
            if (st == SAI_STATUS_SUCCESS) {
                created++;
                if (sai_object_type_query(o) != oi->ot)
                    FAIL("created %s has type %d", oi->name, sai_object_type_query(o));
                if (g_ncreated < POOL) {
                    g_created[g_ncreated] = o;
                    g_created_ot[g_ncreated++] = oi->ot;
                }
                if (g_npool < POOL)
                    g_pool[g_npool++] = o;
            }
        } else if (op < 8 && g_ncreated > 0) {
            size_t k = rnd() % g_ncreated;
            sai_object_type_t ot = g_created_ot[k];
            const struct ot_info *ci = ot_info_of(ot);
            const struct any_attr *m = rnd_attr_of(ot);
            if (ci == NULL || m == NULL || m->shape == 2)
                continue;
            attrs[0].id = m->id;
            if (op < 7 && ci->set_off >= 0) {
                rnd_value(m, &attrs[0].value, 0);
                void *p = slot_fn(ot, ci->set_off);
                generic_set_fn f;
                memcpy(&f, &p, sizeof f);
                sai_status_t st = f(g_created[k], &attrs[0]);
                calls++;
                if (!valid_status(st))
                    FAIL("set %s: status %d", ci->name, st);
                sets_ok += st == SAI_STATUS_SUCCESS;
            } else {
                static sai_object_id_t buf[64];
                attrs[0].value.objlist.count = 64;
                attrs[0].value.objlist.list = buf;
                if (m->shape == 0)
                    memset(&attrs[0].value, 0, sizeof attrs[0].value);
                sai_status_t st = generic_get(ot, g_created[k], 1, &attrs[0]);
                calls++;
                if (!valid_status(st))
                    FAIL("get %s: status %d", ci->name, st);
                gets_ok += st == SAI_STATUS_SUCCESS;
            }
        } else if (g_ncreated > 0) {
            size_t k = rnd() % g_ncreated;
            sai_status_t st = generic_remove(g_created_ot[k], g_created[k]);
            calls++;
            if (!valid_status(st))
                FAIL("remove: status %d", st);
            if (st == SAI_STATUS_SUCCESS) {
                removed++;
                g_created[k] = g_created[g_ncreated - 1];
                g_created_ot[k] = g_created_ot[g_ncreated - 1];
                g_ncreated--;
            }
        }
    }
    printf("robust: %zu calls, %zu created, %zu sets ok, %zu gets ok, %zu removed, %zu alive\n", calls, created,
           sets_ok, gets_ok, removed, g_ncreated);

    /* remove what is left: newest first, repeated while progress is made */
    for (int pass = 0; pass < 64 && g_ncreated > 0; pass++) {
        size_t before_pass = g_ncreated;
        for (size_t k = g_ncreated; k-- > 0;) {
            sai_status_t st = generic_remove(g_created_ot[k], g_created[k]);
            if (st == SAI_STATUS_SUCCESS) {
                g_created[k] = g_created[g_ncreated - 1];
                g_created_ot[k] = g_created_ot[g_ncreated - 1];
                g_ncreated--;
            }
        }
        if (g_ncreated == before_pass)
            break;
    }
    EXPECT(g_ncreated == 0);
    for (size_t k = 0; k < g_ncreated; k++) {
        const struct ot_info *ci = ot_info_of(g_created_ot[k]);
        FAIL("could not remove %s 0x%lx: %d", ci ? ci->name : "?", (unsigned long)g_created[k],
             generic_remove(g_created_ot[k], g_created[k]));
    }
    uint32_t after = total_objects(sw);
    printf("robust: objects before %u, after %u\n", before, after);
    EXPECT(after == before);
    free(ports);
    EXPECT_ST(sai_api_uninitialize(), SAI_STATUS_SUCCESS);
    return finish("robust");
}
