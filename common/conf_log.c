/* conf_log.c: the log group: the error log, the access log, slow requests
 * and trace context. */
#include "conf_load.h"
#include "log.h"

/* log.access.format: a format's name, or a template of $variables. */
static void
load_access_format(bn_conf_loader_t *ld, const config_setting_t *a)
{
    static const char *const formats[] = { "combined", "json", "off", NULL };
    bn_conf_t *c = ld->conf;
    const config_setting_t *s = bn_conf_member(a, "format");
    /* In the config's pool: the template's literal parts point into it. */
    const char *f = bn_conf_get_string(ld, a, "format", "combined");
    char e[512];

    for (int i = 0; f != NULL && formats[i] != NULL; i++) {
        if (strcmp(f, formats[i]) == 0) {
            c->access_format = i;
            return;
        }
    }
    if (f == NULL) {
        return; /* out of memory: the loader says so */
    }
    if (strchr(f, '$') == NULL) {
        bn_conf_err(ld, s,
                    "unknown value \"%s\" (expected one of: combined, json, off, or a template "
                    "of $variables)",
                    f);
        return;
    }
    if (bn_template_compile_log(c->pool, f, &c->access_template, e, sizeof(e)) != BN_OK) {
        bn_conf_err(ld, s, "%s", e);
        return;
    }
    c->access_format = BN_ACCESS_TEMPLATE;
}

void
bn_conf_load_log(bn_conf_loader_t *ld, const config_setting_t *root)
{
    static const char *const log_keys[] = { "error", "access", "slow_request", "trace_context",
                                            NULL };
    static const char *const error_keys[] = { "path", "level", NULL };
    static const char *const access_keys[] = { "path", "format", NULL };
    bn_conf_t *c = ld->conf;
    config_setting_t *log = bn_conf_section(ld, (config_setting_t *) root, "log"), *e = NULL, *a = NULL, *lv;
    const char *level;

    c->error_log = BN_LOG_PATH "/error.log";
    c->access_log = BN_LOG_PATH "/access.log";
    c->error_log_level = BN_LOG_NOTICE;
    c->access_format = BN_ACCESS_COMBINED;
    c->slow_request = 0;
    c->trace_context = true;
    if (log == NULL) {
        return;
    }
    bn_conf_check_known(ld, log, log_keys);
    if ((e = bn_conf_section(ld, log, "error")) != NULL) {
        bn_conf_check_known(ld, e, error_keys);
        c->error_log = bn_conf_abs_path(ld, bn_conf_get_string(ld, e, "path", c->error_log));
        level = bn_conf_get_string(ld, e, "level", "notice");
        if ((c->error_log_level = bn_log_level_parse(level)) == -1) {
            lv = bn_conf_member(e, "level");
            bn_conf_err(
                ld, lv,
                "unknown value \"%s\" (expected one of: debug, info, notice, warn, error, crit, "
                "alert, emerg)",
                level);
            c->error_log_level = BN_LOG_NOTICE;
        }
    }
    if ((a = bn_conf_section(ld, log, "access")) != NULL) {
        bn_conf_check_known(ld, a, access_keys);
        c->access_log = bn_conf_abs_path(ld, bn_conf_get_string(ld, a, "path", c->access_log));
        load_access_format(ld, a);
    }
    c->slow_request = bn_conf_get_duration(ld, log, "slow_request", "0s");
    c->trace_context = bn_conf_get_bool(ld, log, "trace_context", true);
}
