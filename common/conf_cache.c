/*
 * conf_cache.c: the cache_zones list.  A route's cache group, which names a
 * zone, is read with the route (conf_route.c).
 */
#include "conf_load.h"

#include <limits.h>

void
bn_conf_load_cache_zones(bn_conf_loader_t *ld, const config_setting_t *root)
{
    static const char *const keys[] = { "name",     "path",           "memory",     "max_size",
                                        "inactive", "hot_max_object", "hot_memory", NULL };
    config_setting_t *zs = bn_conf_want_list(ld, root, "cache_zones");
    bn_conf_t *c = ld->conf;
    int n = zs ? config_setting_length(zs) : 0;

    c->cache_zones = bn_pcalloc(c->pool, sizeof(bn_conf_cache_zone_t) * (size_t) (n + 1));
    for (int i = 0; c->cache_zones != NULL && i < n; i++) {
        config_setting_t *g = config_setting_get_elem(zs, (unsigned) i);
        bn_conf_cache_zone_t *z = &c->cache_zones[c->ncache_zones];
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            bn_conf_err(ld, g, "expected a group { name = ...; path = ...; }");
            continue;
        }
        bn_conf_check_known(ld, g, keys);
        z->name = bn_conf_get_string(ld, g, "name", NULL);
        z->path = bn_conf_get_string(ld, g, "path", NULL);
        if (z->name == NULL || z->path == NULL) {
            bn_conf_err_at(ld, g, z->name ? "path" : "name", "required");
            continue;
        }
        z->path = bn_conf_abs_path(ld, z->path);
        if (strlen(z->path) >= PATH_MAX - 96) {
            bn_conf_err(ld, bn_conf_member(g, "path"), "too long");
        }
        z->memory = bn_conf_get_size(ld, g, "memory", "10m");
        z->max_size = bn_conf_get_size(ld, g, "max_size", "0");
        z->inactive = bn_conf_get_duration(ld, g, "inactive", "10m");
        if (z->memory < 256 * 1024) {
            bn_conf_err(ld, bn_conf_member(g, "memory"), "expected at least \"256k\"");
            z->memory = 10 * 1024 * 1024;
        }
        z->hot_max_object = bn_conf_get_size(ld, g, "hot_max_object", "16k");
        z->hot_memory = bn_conf_member(g, "hot_memory")
                            ? bn_conf_get_size(ld, g, "hot_memory", NULL)
                            : z->memory / 2;
        if (z->hot_max_object > 1024 * 1024) {
            bn_conf_err(ld, bn_conf_member(g, "hot_max_object"), "expected at most \"1m\"");
        }
        if (z->hot_memory > z->memory * 3 / 4) {
            bn_conf_err(ld, bn_conf_member(g, "hot_memory"),
                        "expected at most three quarters of memory (the index needs the rest)");
        }
        for (size_t k = 0; k < c->ncache_zones; k++) {
            if (strcmp(c->cache_zones[k].name, z->name) == 0) {
                bn_conf_err(ld, bn_conf_member(g, "name"), "another cache zone is named \"%s\"",
                            z->name);
            }
            if (strcmp(c->cache_zones[k].path, z->path) == 0) {
                bn_conf_err(ld, bn_conf_member(g, "path"),
                            "cache zone \"%s\" uses this path already", c->cache_zones[k].name);
            }
        }
        c->ncache_zones++;
    }
}
