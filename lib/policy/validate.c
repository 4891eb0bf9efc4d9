/*
 * validate.c — placeholder, replaced below.
 */
#include "policy/cedar.h"
int wr_policy_set_validate(const wr_policy_set *ps, const wr_schema *schema, wr_err *err)
{
    (void)ps; (void)schema; (void)err;
    return WR_OK;
}
