/* placeholder replaced below */
#include "inventory_internal.h"
#include <stdlib.h>
#include <string.h>
int wr_readiness_report_html(wr_store *s, char **html, wr_err *err)
{
    (void)s;
    (void)html;
    return wr_fail(err, WR_EINTERNAL, "not yet");
}
