/* Calls every slot of every API table through its typed pointer, twice: with every argument zero
 * or NULL, and with every integer argument 1 (a garbage object id) and pointers NULL. Each call
 * must return a SAI status without crashing, and none may claim success on such input. Prints
 * how many slots answer SAI_STATUS_NOT_IMPLEMENTED. */
#include "common.h"

#include "gen_slots.h"

static size_t g_calls, g_not_implemented;

static void rec(const char *name, sai_status_t st)
{
    g_calls++;
    g_checks++;
    if (st == SAI_STATUS_NOT_IMPLEMENTED)
        g_not_implemented++;
    if (st >= 0 || st < SAI_STATUS_ATTR_NOT_SUPPORTED_MAX)
        FAIL("%s returned %d on null/garbage arguments", name, (int)st);
}

int main(void)
{
    sai_object_id_t sw = start_switch();
    call_every_slot(0, rec);
    size_t ni0 = g_not_implemented;
    call_every_slot(1, rec);
    printf("all_slots: %zu calls; slots answering NOT_IMPLEMENTED: %zu of %zu\n", g_calls, ni0, g_calls / 2);
    sai_switch_api_t *sw_api = table_of(SAI_API_SWITCH);
    EXPECT_ST(sw_api->remove_switch(sw), SAI_STATUS_SUCCESS);
    EXPECT_ST(sai_api_uninitialize(), SAI_STATUS_SUCCESS);
    return finish("all_slots");
}
