/*
 * report_html.c — a self-contained HTML readiness report: one file with
 * inline CSS and inline SVG (no scripts, no external assets), so it can be
 * mailed or attached to an audit as is.
 *
 * Sections: headline tiles for the estate, a bar chart per metric across
 * domains, trend lines of the overall metrics between snapshots (when
 * there are at least two), a table per system, and the first offenders
 * of each metric.  Every text taken from the inventory is HTML-escaped.
 */
#include "inventory_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_MAX ((size_t)32 << 20)

static int esc(wr_buf *b, const char *s)
{
    int rc = WR_OK;
    for (; s && *s && !rc; s++) {
        switch (*s) {
        case '<': rc = wr_buf_puts(b, "&lt;"); break;
        case '>': rc = wr_buf_puts(b, "&gt;"); break;
        case '&': rc = wr_buf_puts(b, "&amp;"); break;
        case '"': rc = wr_buf_puts(b, "&quot;"); break;
        case '\'': rc = wr_buf_puts(b, "&#39;"); break;
        default: rc = wr_buf_append(b, s, 1);
        }
    }
    return rc;
}

/* The metrics shown, whether higher is better, and the alert level. */
static const struct metric {
    const char *key, *label;
    int good;
    double warn;
} metrics[] = {
    {"ownership_completeness", "Ownership completeness", 1, 0.95},
    {"orphan_rate", "Orphan rate", 0, 0.02},
    {"dormant_rate", "Dormant accounts", 0, 0.10},
    {"entitlement_accuracy", "Entitlement accuracy", 1, 0.90},
    {"excessive_privilege_rate", "Excessive privilege", 0, 0.10},
    {"secrets_outside_vault_rate", "Secrets outside a vault", 0, 0.05},
    {"stale_secrets_rate", "Stale secrets", 0, 0.10},
};
#define NMETRICS (sizeof metrics / sizeof metrics[0])

static double val(const json_t *m, const char *k)
{
    return json_number_value(json_object_get(m, k));
}

static const char *level(const struct metric *mt, double v)
{
    return (mt->good ? v >= mt->warn : v <= mt->warn) ? "ok" : "bad";
}

static int tiles(wr_buf *b, const json_t *o)
{
    int rc = wr_buf_puts(b, "<div class=tiles>");
    for (size_t i = 0; i < NMETRICS && !rc; i++) {
        double v = val(o, metrics[i].key);
        rc = wr_buf_printf(b, "<div class='tile %s'><div class=v>%.1f%%</div><div class=l>%s</div>"
                           "<div class=t>target %s %.0f%%</div></div>", level(&metrics[i], v),
                           100 * v, metrics[i].label, metrics[i].good ? "&ge;" : "&le;",
                           100 * metrics[i].warn);
    }
    if (!rc)
        rc = wr_buf_printf(b, "<div class='tile %s'><div class=v>%lld</div><div class=l>Non-human "
                           "identities without an active owner</div><div class=t>of %lld</div></div>",
                           json_integer_value(json_object_get(o, "nhi_without_owner")) ? "bad" : "ok",
                           (long long)json_integer_value(json_object_get(o, "nhi_without_owner")),
                           (long long)json_integer_value(json_object_get(o, "nhi")));
    return rc ? rc : wr_buf_puts(b, "</div>");
}

/* Horizontal bars: one per domain for one metric. */
static int bars(wr_buf *b, const json_t *domains, const struct metric *mt)
{
    size_t n = json_object_size(domains);
    int h = 22, w = 420, label = 110;
    int rc = wr_buf_printf(b, "<figure><figcaption>%s</figcaption><svg width='%d' height='%d' "
                           "role=img aria-label='%s by domain'>", mt->label, w + label + 60,
                           (int)n * h + 4, mt->label);
    const char *key;
    json_t *m;
    int y = 2;
    json_object_foreach((json_t *)domains, key, m) {
        double v = val(m, mt->key);
        if (!rc)
            rc = wr_buf_puts(b, "<text x='0' y='") || wr_buf_printf(b, "%d' class=lb>", y + 15) ||
                 esc(b, key) ||
                 wr_buf_printf(b, "</text><rect x='%d' y='%d' width='%d' height='%d' class='bg'/>"
                               "<rect x='%d' y='%d' width='%.1f' height='%d' class='%s'/>"
                               "<text x='%.1f' y='%d' class=vl>%.1f%%</text>", label, y, w, h - 6,
                               label, y, v * w, h - 6, level(mt, v), label + v * w + 4, y + 13,
                               100 * v);
        y += h;
    }
    return rc ? rc : wr_buf_puts(b, "</svg></figure>");
}

/* Trend lines of the overall metrics across snapshots. */
static int trends(wr_buf *b, const json_t *hist)
{
    size_t n = json_array_size(hist);
    if (n < 2)
        return wr_buf_puts(b, "<p class=note>Trends appear once two snapshots exist "
                              "(<code>warrant readiness --snapshot</code>).</p>");
    static const char *const colors[] = {"#2563eb", "#dc2626", "#d97706", "#059669", "#7c3aed",
                                         "#db2777", "#0891b2"};
    int w = 640, h = 220, pad = 30;
    int rc = wr_buf_printf(b, "<svg width='%d' height='%d' role=img aria-label='trends'>"
                           "<rect x='%d' y='10' width='%d' height='%d' class='bg'/>", w + 200, h + 40,
                           pad, w, h);
    for (int pct = 0; pct <= 100 && !rc; pct += 25)
        rc = wr_buf_printf(b, "<text x='0' y='%d' class=vl>%d%%</text>", 14 + h - pct * h / 100, pct);
    for (size_t i = 0; i < NMETRICS && !rc; i++) {
        rc = wr_buf_printf(b, "<polyline fill=none stroke='%s' stroke-width=2 points='", colors[i]);
        for (size_t j = 0; j < n && !rc; j++) {
            double v = val(json_object_get(json_array_get(hist, j), "metrics"), metrics[i].key);
            rc = wr_buf_printf(b, "%.1f,%.1f ", pad + (double)j * w / (double)(n - 1),
                               10 + h - v * h);
        }
        if (!rc)
            rc = wr_buf_printf(b, "'/><text x='%d' y='%d' fill='%s' class=lg>%s</text>", w + pad + 8,
                               24 + (int)i * 18, colors[i], metrics[i].label);
    }
    const char *first = json_string_value(json_object_get(json_array_get(hist, 0), "taken_at"));
    const char *last = json_string_value(json_object_get(json_array_get(hist, n - 1), "taken_at"));
    if (!rc)
        rc = wr_buf_printf(b, "<text x='%d' y='%d' class=vl>%s</text><text x='%d' y='%d' class=vl "
                           "text-anchor=end>%s</text></svg>", pad, h + 30, first ? first : "",
                           pad + w, h + 30, last ? last : "");
    return rc;
}

static int table(wr_buf *b, const json_t *scopes, const char *what)
{
    int rc = wr_buf_printf(b, "<table><tr><th>%s</th>", what);
    for (size_t i = 0; i < NMETRICS && !rc; i++)
        rc = wr_buf_printf(b, "<th>%s</th>", metrics[i].label);
    rc = rc ? rc : wr_buf_puts(b, "<th>Accounts</th><th>Grants</th><th>NHIs without owner</th></tr>");
    const char *key;
    json_t *m;
    json_object_foreach((json_t *)scopes, key, m) {
        if (rc)
            break;
        rc = wr_buf_puts(b, "<tr><td>") || esc(b, key) || wr_buf_puts(b, "</td>");
        for (size_t i = 0; i < NMETRICS && !rc; i++) {
            double v = val(m, metrics[i].key);
            rc = wr_buf_printf(b, "<td class=%s>%.1f%%</td>", level(&metrics[i], v), 100 * v);
        }
        if (!rc)
            rc = wr_buf_printf(b, "<td>%lld</td><td>%lld</td><td>%lld</td></tr>",
                               (long long)json_integer_value(json_object_get(m, "accounts")),
                               (long long)json_integer_value(json_object_get(m, "grants")),
                               (long long)json_integer_value(json_object_get(m, "nhi_without_owner")));
    }
    return rc ? rc : wr_buf_puts(b, "</table>");
}

static int offenders(wr_store *s, wr_buf *b, wr_err *err)
{
    static const char *const list[][2] = {
        {"orphan_rate", "Orphaned accounts"}, {"nhi_without_owner", "Non-human identities without an active owner"},
        {"secrets_outside_vault", "Secrets outside a vault"}, {"excessive_privilege_rate", "Excessive grants"},
        {"dormant_rate", "Dormant accounts"}};
    int rc = WR_OK;
    for (size_t i = 0; i < sizeof list / sizeof list[0] && !rc; i++) {
        json_t *arr = NULL;
        if ((rc = wr_readiness_offenders(s, list[i][0], "overall", NULL, 10, &arr, err)))
            return rc;
        rc = wr_buf_printf(b, "<details><summary>%s (first %zu)</summary><ul>", list[i][1],
                           json_array_size(arr));
        size_t j;
        json_t *o;
        json_array_foreach(arr, j, o) {
            if (!rc)
                rc = wr_buf_puts(b, "<li><code>") ||
                     esc(b, json_string_value(json_object_get(o, "id"))) ||
                     wr_buf_puts(b, "</code> — ") ||
                     esc(b, json_string_value(json_object_get(o, "reason"))) ||
                     wr_buf_puts(b, "</li>");
        }
        json_decref(arr);
        if (!rc)
            rc = wr_buf_puts(b, "</ul></details>");
    }
    return rc;
}

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1100px;"
    "color:#111827;padding:0 1em}h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.8em;"
    "border-bottom:1px solid #e5e7eb;padding-bottom:.2em}.sub{color:#6b7280}"
    ".tiles{display:flex;flex-wrap:wrap;gap:10px}.tile{border-radius:8px;padding:10px 14px;"
    "min-width:130px;flex:1;border:1px solid #e5e7eb}.tile .v{font-size:1.7em;font-weight:600}"
    ".tile .l{font-weight:500}.tile .t{color:#6b7280;font-size:.85em}.tile.ok{background:#ecfdf5}"
    ".tile.bad{background:#fef2f2}.charts{display:flex;flex-wrap:wrap;gap:18px}figure{margin:0}"
    "figcaption{font-weight:600;margin-bottom:4px}rect.bg{fill:#f3f4f6}rect.ok{fill:#10b981}"
    "rect.bad{fill:#ef4444}text.lb{font-size:12px}text.vl{font-size:11px;fill:#374151}"
    "text.lg{font-size:12px}table{border-collapse:collapse;width:100%;font-size:13px}"
    "th,td{border:1px solid #e5e7eb;padding:4px 6px;text-align:right}th:first-child,td:first-child"
    "{text-align:left}td.ok{color:#047857}td.bad{color:#b91c1c;font-weight:600}.note{color:#6b7280}"
    "details{margin:.4em 0}summary{cursor:pointer;font-weight:500}code{font-size:12px}"
    "@media print{details{display:block}}";

int wr_readiness_report_html(wr_store *s, char **html, wr_err *err)
{
    json_t *all = NULL, *hist = NULL;
    int rc = wr_readiness_compute_all(s, &all, err);
    if (rc)
        return rc;
    if ((rc = wr_readiness_history(s, "overall", NULL, 50, &hist, err))) {
        json_decref(all);
        return rc;
    }
    wr_buf b = WR_BUF_INIT;
    b.max = REPORT_MAX;
    const json_t *o = json_object_get(all, "overall");
    const char *at = json_string_value(json_object_get(o, "computed_at"));
    int w = wr_buf_printf(&b, "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
                          "<meta name=viewport content='width=device-width,initial-scale=1'>"
                          "<title>Identity data readiness — %s</title><style>%s</style></head><body>"
                          "<h1>Identity data readiness</h1><p class=sub>Computed %s by Warrant · "
                          "%lld accounts · %lld grants · %lld credentials · %zu systems</p>",
                          at, css, at, (long long)json_integer_value(json_object_get(o, "accounts")),
                          (long long)json_integer_value(json_object_get(o, "grants")),
                          (long long)json_integer_value(json_object_get(o, "credentials")),
                          json_object_size(json_object_get(all, "systems")));
    w = w || tiles(&b, o) || wr_buf_puts(&b, "<h2>By domain</h2><div class=charts>");
    for (size_t i = 0; i < NMETRICS && !w; i++)
        w = bars(&b, json_object_get(all, "domains"), &metrics[i]);
    w = w || wr_buf_puts(&b, "</div><h2>Trend</h2>") || trends(&b, hist) ||
        wr_buf_puts(&b, "<h2>Domains</h2>") || table(&b, json_object_get(all, "domains"), "Domain") ||
        wr_buf_puts(&b, "<h2>Systems</h2>") || table(&b, json_object_get(all, "systems"), "System") ||
        wr_buf_puts(&b, "<h2>Offenders</h2>");
    if (!w)
        rc = offenders(s, &b, err);
    w = w || rc || wr_buf_puts(&b, "<p class=note>Definitions: ownership completeness = active "
                               "accounts whose identity is active plus non-human identities whose "
                               "owner is active, over both; orphan and dormant rates are of active "
                               "accounts (dormant: unused for 90 days); entitlement accuracy = grants "
                               "in the role model of the holder's department or certified within 365 "
                               "days; excessive = grants unused for 90 days or privileged/admin grants "
                               "held by non-human identities; stale secrets: not rotated within 90 "
                               "days.</p></body></html>");
    json_decref(all);
    json_decref(hist);
    if (rc || w) {
        wr_buf_free(&b);
        return rc ? rc : wr_fail(err, w, "readiness report: over %zu bytes or out of memory",
                                 (size_t)REPORT_MAX);
    }
    *html = wr_buf_steal(&b);
    return WR_OK;
}
