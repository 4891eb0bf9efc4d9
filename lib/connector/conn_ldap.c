#include "connector_internal.h"
static int st_check(const json_t *c, wr_err *err) { (void)c; return wr_fail(err, WR_EINVAL, "ldap: not yet"); }
const conn_kind conn_kind_ldap = {"ldap", 0, st_check, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
