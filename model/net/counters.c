/* afmp: named per-host counters (see counters.h). */
#include "model/net/counters.h"

#include <string.h>

static const char *const names[MP_CTR__COUNT] = {
#define MP_CTR_NAME(id, name) [MP_CTR_##id] = name,
    MP_COUNTER_LIST(MP_CTR_NAME)
    MP_COUNTER_LIST_MPTCP(MP_CTR_NAME)
#undef MP_CTR_NAME
};

const char *mp_ctr_name(enum mp_ctr id)
{
    return (unsigned)id < MP_CTR__COUNT ? names[id] : "?";
}

int mp_ctr_lookup(const char *name)
{
    for (int i = 0; i < MP_CTR__COUNT; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}
