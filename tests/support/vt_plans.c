/*
 * vt_plans: see vt_plans.h.
 */
#include "vt_plans.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vt.h"
#include "vx_buf.h"

void vt_plans_begin(PGconn *conn, const char *org_id)
{
    vt_begin_as(conn, org_id);
    vt_sql_exec(conn, "SET LOCAL plan_cache_mode = force_generic_plan", 0, NULL);
}

void vt_plans_end(PGconn *conn)
{
    vt_sql_exec(conn, "ROLLBACK", 0, NULL);
    PQfinish(conn);
}

cJSON *vt_plans_explain(PGconn *conn, const char *options, const char *name, const char *const *params, int n)
{
    vx_buf sql = VX_BUF_INIT;
    vx_buf_printf(&sql, "EXPLAIN (%s%sFORMAT JSON) EXECUTE %s(", options, options[0] != '\0' ? ", " : "", name);
    for (int i = 0; i < n; i++) {
        char *lit = params[i] != NULL ? PQescapeLiteral(conn, params[i], strlen(params[i])) : NULL;
        vx_buf_printf(&sql, "%s%s", i > 0 ? ", " : "", lit != NULL ? lit : "NULL");
        PQfreemem(lit);
    }
    vx_buf_putc(&sql, ')');
    PGresult *res = PQexec(conn, sql.data);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql.data, PQerrorMessage(conn));
    cJSON *plan = cJSON_Parse(PQgetvalue(res, 0, 0));
    PQclear(res);
    vx_buf_free(&sql);
    assert_non_null(plan);
    return plan;
}

const cJSON *vt_plans_top(const cJSON *plan)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(plan, 0), "Plan");
}

const char *vt_plans_str(const cJSON *node, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(node, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

bool vt_plans_reads(const cJSON *node, const char *relation)
{
    if (strcmp(vt_plans_str(node, "Relation Name"), relation) == 0)
        return true;
    const cJSON *child;
    cJSON_ArrayForEach(child, cJSON_GetObjectItemCaseSensitive(node, "Plans"))
    {
        if (vt_plans_reads(child, relation))
            return true;
    }
    return false;
}
