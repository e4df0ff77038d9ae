/* conf_log.c: the log group: the error log and the access log. */
#include "conf_load.h"
#include "log.h"

void
bn_conf_load_log(bn_conf_loader_t *ld, const config_setting_t *root)
{
    static const char *const log_keys[] = { "error", "access", NULL };
    static const char *const error_keys[] = { "path", "level", NULL };
    static const char *const access_keys[] = { "path", "format", NULL };
    static const char *const formats[] = { "combined", "json", "off", NULL };
    bn_conf_t *c = ld->conf;
    config_setting_t *log = bn_conf_want_group(ld, root, "log"), *e = NULL, *a = NULL, *lv;
    const char *level;

    c->error_log = BN_LOG_PATH "/error.log";
    c->access_log = BN_LOG_PATH "/access.log";
    c->error_log_level = BN_LOG_NOTICE;
    c->access_format = BN_ACCESS_COMBINED;
    if (log == NULL) {
        return;
    }
    bn_conf_check_known(ld, log, log_keys);
    if ((e = bn_conf_want_group(ld, log, "error")) != NULL) {
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
    if ((a = bn_conf_want_group(ld, log, "access")) != NULL) {
        bn_conf_check_known(ld, a, access_keys);
        c->access_log = bn_conf_abs_path(ld, bn_conf_get_string(ld, a, "path", c->access_log));
        c->access_format = bn_conf_get_enum(ld, a, "format", formats, BN_ACCESS_COMBINED);
    }
}
