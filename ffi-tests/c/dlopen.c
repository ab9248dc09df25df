/* Loads the library given in argv[1] with dlopen (as a platform loader would load libsaivpp.so),
 * resolves every function the SAI headers declare, and runs initialize -> query every API (no NULL
 * slot) -> create switch -> remove switch -> uninitialize through the resolved pointers. */
#include <dlfcn.h>
#include <sai.h>
#include <saiobject.h>
#include <saiversion.h>
#include <stdio.h>
#include <string.h>

#include "gen_meta.h"

static const char *get_value(sai_switch_profile_id_t id, const char *v)
{
    (void)id;
    (void)v;
    return NULL;
}

static int get_next_value(sai_switch_profile_id_t id, const char **var, const char **val)
{
    (void)id;
    (void)var;
    (void)val;
    return -1;
}

#define LOAD(var, type, name)                                       \
    __typeof__(type) var;                                           \
    do {                                                            \
        void *p_ = dlsym(h, name);                                  \
        if (p_ == NULL) {                                           \
            fprintf(stderr, "missing %s\n", name);                  \
            return 1;                                               \
        }                                                           \
        memcpy(&var, &p_, sizeof var);                              \
    } while (0)

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        fprintf(stderr, "dlopen %s: %s\n", argv[1], dlerror());
        return 1;
    }
    int missing = 0;
    for (int i = 0; i < N_FUNCTIONS; i++)
        if (dlsym(h, SAI_FUNCTION_NAMES[i]) == NULL) {
            fprintf(stderr, "missing symbol %s\n", SAI_FUNCTION_NAMES[i]);
            missing++;
        }
    if (missing)
        return 1;

    LOAD(init, sai_status_t (*)(uint64_t, const sai_service_method_table_t *), "sai_api_initialize");
    LOAD(query, sai_status_t (*)(sai_api_t, void **), "sai_api_query");
    LOAD(uninit, sai_status_t (*)(void), "sai_api_uninitialize");
    LOAD(version, sai_status_t (*)(sai_api_version_t *), "sai_query_api_version");
    LOAD(otq, sai_object_type_t (*)(sai_object_id_t), "sai_object_type_query");

    const sai_service_method_table_t smt = { get_value, get_next_value };
    if (init(0, &smt) != SAI_STATUS_SUCCESS)
        return 1;
    sai_api_version_t v = 0;
    if (version(&v) != SAI_STATUS_SUCCESS || v < SAI_VERSION(1, 9, 0))
        return 1;
    size_t slots = 0;
    sai_switch_api_t *sw_api = NULL;
    for (int i = 0; i < N_APIS; i++) {
        void *t = NULL;
        if (query(APIS[i].api, &t) != SAI_STATUS_SUCCESS || t == NULL) {
            fprintf(stderr, "sai_api_query(%s) failed\n", APIS[i].name);
            return 1;
        }
        for (size_t j = 0; j < APIS[i].slots; j++) {
            void *fn;
            memcpy(&fn, (char *)t + j * sizeof(void *), sizeof fn);
            if (fn == NULL) {
                fprintf(stderr, "%s slot %zu NULL\n", APIS[i].name, j);
                return 1;
            }
            slots++;
        }
        if (APIS[i].api == SAI_API_SWITCH)
            sw_api = t;
    }
    if (sw_api == NULL)
        return 1;
    sai_attribute_t a;
    memset(&a, 0, sizeof a);
    a.id = SAI_SWITCH_ATTR_INIT_SWITCH;
    a.value.booldata = true;
    sai_object_id_t sw = 0;
    if (sw_api->create_switch(&sw, 1, &a) != SAI_STATUS_SUCCESS || otq(sw) != SAI_OBJECT_TYPE_SWITCH)
        return 1;
    if (sw_api->remove_switch(sw) != SAI_STATUS_SUCCESS || uninit() != SAI_STATUS_SUCCESS)
        return 1;
    printf("dlopen %s: %d functions, %d APIs, %zu slots, switch 0x%lx\n", argv[1], N_FUNCTIONS, N_APIS, slots,
           (unsigned long)sw);
    dlclose(h);
    return 0;
}
