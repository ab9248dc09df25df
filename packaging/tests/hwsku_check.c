/* hwsku_check PROFILE PORT_CONFIG
 *
 * Loads a sai.profile the way syncd does (key=value lines; '#' and ';' start comments; no
 * trimming), hands it to sai_api_initialize through the service method table, creates the switch
 * and checks the front ports against a SONiC port_config.ini: every port_config.ini entry has
 * exactly one SAI port with the same lane list (what orchagent requires) and that port's speed.
 * Exit 0: all matched; 1: a mismatch; 3: sai_api_initialize refused the profile (expected for
 * bad profiles; libsai logs why); 2: usage or I/O error. */
#include <sai.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KEYS 256
#define MAX_PORTS 1024
#define MAX_LANES 16

static char *g_keys[MAX_KEYS], *g_vals[MAX_KEYS];
static int g_n, g_it;

static const char *get_value(sai_switch_profile_id_t id, const char *var)
{
    (void)id;
    for (int i = 0; var && i < g_n; i++)
        if (strcmp(g_keys[i], var) == 0)
            return g_vals[i];
    return NULL;
}

static int get_next(sai_switch_profile_id_t id, const char **var, const char **val)
{
    (void)id;
    if (val == NULL) {
        g_it = 0;
        return 0;
    }
    if (var == NULL || g_it >= g_n)
        return -1;
    *var = g_keys[g_it];
    *val = g_vals[g_it];
    g_it++;
    return 0;
}

static int load_profile(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char line[4096];
    while (fgets(line, sizeof line, f) && g_n < MAX_KEYS) {
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] == '#' || line[0] == ';' || line[0] == 0)
            continue;
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = 0;
        g_keys[g_n] = strdup(line);
        g_vals[g_n] = strdup(eq + 1);
        g_n++;
    }
    fclose(f);
    return 0;
}

struct pc_port {
    char name[64];
    uint32_t lanes[MAX_LANES];
    int n_lanes;
    uint32_t speed;
    int matched;
};

static int load_port_config(const char *path, struct pc_port *ports)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f) && n < MAX_PORTS) {
        char name[64], lanes[256], alias[64];
        unsigned idx, speed = 0;
        if (line[0] == '#')
            continue;
        int got = sscanf(line, "%63s %255s %63s %u %u", name, lanes, alias, &idx, &speed);
        if (got < 2)
            continue;
        struct pc_port *p = &ports[n++];
        memset(p, 0, sizeof *p);
        snprintf(p->name, sizeof p->name, "%s", name);
        p->speed = got >= 5 ? speed : 0;
        for (char *t = strtok(lanes, ","); t && p->n_lanes < MAX_LANES; t = strtok(NULL, ","))
            p->lanes[p->n_lanes++] = (uint32_t)strtoul(t, NULL, 10);
    }
    fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s PROFILE PORT_CONFIG\n", argv[0]);
        return 2;
    }
    static struct pc_port pc[MAX_PORTS];
    if (load_profile(argv[1]) != 0)
        return 2;
    int n_pc = load_port_config(argv[2], pc);
    if (n_pc < 0)
        return 2;

    static const sai_service_method_table_t services = { get_value, get_next };
    sai_status_t st = sai_api_initialize(0, &services);
    if (st != SAI_STATUS_SUCCESS) {
        printf("hwsku_check: sai_api_initialize refused the profile (status %d)\n", st);
        return 3;
    }
    sai_switch_api_t *sw = NULL;
    sai_port_api_t *port_api = NULL;
    if (sai_api_query(SAI_API_SWITCH, (void **)&sw) != SAI_STATUS_SUCCESS ||
        sai_api_query(SAI_API_PORT, (void **)&port_api) != SAI_STATUS_SUCCESS) {
        puts("hwsku_check: sai_api_query failed");
        return 1;
    }
    sai_attribute_t a;
    memset(&a, 0, sizeof a);
    a.id = SAI_SWITCH_ATTR_INIT_SWITCH;
    a.value.booldata = true;
    sai_object_id_t sid = SAI_NULL_OBJECT_ID;
    st = sw->create_switch(&sid, 1, &a);
    if (st != SAI_STATUS_SUCCESS) {
        printf("hwsku_check: create_switch failed (status %d)\n", st);
        return 1;
    }
    static sai_object_id_t list[MAX_PORTS];
    memset(&a, 0, sizeof a);
    a.id = SAI_SWITCH_ATTR_PORT_LIST;
    a.value.objlist.count = MAX_PORTS;
    a.value.objlist.list = list;
    if (sw->get_switch_attribute(sid, 1, &a) != SAI_STATUS_SUCCESS) {
        puts("hwsku_check: PORT_LIST get failed");
        return 1;
    }
    uint32_t n_ports = a.value.objlist.count;
    int failures = 0;
    for (uint32_t i = 0; i < n_ports; i++) {
        uint32_t lanes[MAX_LANES];
        sai_attribute_t pa[2];
        memset(pa, 0, sizeof pa);
        pa[0].id = SAI_PORT_ATTR_HW_LANE_LIST;
        pa[0].value.u32list.count = MAX_LANES;
        pa[0].value.u32list.list = lanes;
        pa[1].id = SAI_PORT_ATTR_SPEED;
        if (port_api->get_port_attribute(list[i], 2, pa) != SAI_STATUS_SUCCESS) {
            printf("port %u: get failed\n", i);
            failures++;
            continue;
        }
        int match = -1;
        for (int k = 0; k < n_pc; k++) {
            if ((uint32_t)pc[k].n_lanes != pa[0].value.u32list.count)
                continue;
            int same = 1;
            for (int l = 0; l < pc[k].n_lanes; l++)
                same &= pc[k].lanes[l] == lanes[l];
            if (same)
                match = k;
        }
        printf("port %u: oid 0x%llx lanes", i, (unsigned long long)list[i]);
        for (uint32_t l = 0; l < pa[0].value.u32list.count; l++)
            printf("%s%u", l ? "," : " ", lanes[l]);
        printf(" speed %u -> %s\n", pa[1].value.u32, match >= 0 ? pc[match].name : "(not in port_config.ini)");
        if (match >= 0) {
            pc[match].matched++;
            if (pc[match].speed && pc[match].speed != pa[1].value.u32) {
                printf("FAIL: %s: speed %u, port_config.ini says %u\n", pc[match].name, pa[1].value.u32, pc[match].speed);
                failures++;
            }
        }
    }
    for (int k = 0; k < n_pc; k++)
        if (pc[k].matched != 1) {
            printf("FAIL: %s: %d SAI ports with its lanes, want 1\n", pc[k].name, pc[k].matched);
            failures++;
        }
    if ((int)n_ports != n_pc) {
        printf("FAIL: %u SAI front ports, port_config.ini has %d\n", n_ports, n_pc);
        failures++;
    }
    sw->remove_switch(sid);
    sai_api_uninitialize();
    printf("hwsku_check: %u ports, %d port_config.ini entries, %d failures\n", n_ports, n_pc, failures);
    return failures ? 1 : 0;
}
