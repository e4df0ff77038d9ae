# The settings the config loader accepts, read from its own lists in
# common/conf*.c (each section's "static const char *const ...keys[] =
# { ... }", which bn_conf_check_known() holds a group's members to), so
# that the tests of the example config and of the manual cannot fall behind
# the loader.
#
# Each list is also given the group it checks, as a path of setting names
# without list indexes ("servers.routes.cache" for the cache group of any
# route of any server block).  That path is the one thing said here by
# hand: lists() dies on a list it has no path for, so a new list is placed
# before any test passes, and alias() says which other groups the loader
# reads through the same list.
package LoaderSettings;
use strict;
use warnings;
use BouncerTest;

# "FILE:FUNCTION:VARIABLE" of each list => the group it checks.
my %group_of = (
    'conf_file.c:load_root:keys' => '',
    'conf_log.c:bn_conf_load_log:log_keys' => 'log',
    'conf_log.c:bn_conf_load_log:error_keys' => 'log.error',
    'conf_log.c:bn_conf_load_log:access_keys' => 'log.access',
    'conf_limits.c:bn_conf_load_limits:keys' => 'limits',
    'conf_status.c:bn_conf_load_status:keys' => 'status',
    'conf_cache.c:bn_conf_load_cache_zones:keys' => 'cache_zones',
    'conf_redis.c:bn_conf_load_redis:keys' => 'redis',
    'conf_ratelimit.c:bn_conf_load_rate_limits:keys' => 'rate_limits',
    'conf_ratelimit.c:bn_conf_load_rate_limits:lkeys' => 'limit_conn',
    'conf_auth.c:bn_conf_load_auth_policies:keys' => 'auth_policies',
    'conf_auth.c:bn_conf_load_auth:keys' => 'auth_policies',
    'conf_auth.c:load_basic:keys' => 'auth_policies.basic',
    'conf_auth.c:load_jwt:keys' => 'auth_policies.jwt',
    'conf_auth.c:load_jwt:rkeys' => 'auth_policies.jwt.require',
    'conf_auth.c:load_api_key:keys' => 'auth_policies.api_key',
    'conf_auth.c:load_forward:keys' => 'auth_policies.forward',
    'conf_upstream.c:bn_conf_load_upstream:keys' => 'upstreams',
    'conf_upstream.c:bn_conf_load_upstream:peer_keys' => 'upstreams.servers',
    'conf_upstream.c:bn_conf_load_upstream:queue_keys' => 'upstreams.queue',
    'conf_upstream.c:load_health:keys' => 'upstreams.health_check',
    'conf_upstream.c:load_sticky:keys' => 'upstreams.sticky',
    'conf_upstream.c:load_upstream_tls:keys' => 'upstreams.tls',
    'conf_server.c:bn_conf_load_server:keys' => 'servers',
    'conf_server.c:bn_conf_load_server:real_ip_keys' => 'servers.real_ip',
    'conf_server.c:bn_conf_load_server_tls:keys' => 'servers.tls',
    'conf_server.c:bn_conf_load_server_tls:cert_keys' => 'servers.tls.certificates',
    'conf_waf.c:bn_conf_load_waf:keys' => 'servers.waf',
    'conf_route.c:bn_conf_load_route:keys' => 'servers.routes',
    'conf_route.c:bn_conf_load_route:match_keys' => 'servers.routes.match',
    'conf_route.c:bn_conf_load_route:redirect_keys' => 'servers.routes.redirect',
    'conf_route.c:bn_conf_load_route:respond_keys' => 'servers.routes.respond',
    'conf_route.c:bn_conf_load_route:rewrite_keys' => 'servers.routes.rewrite',
    'conf_route.c:load_headers:keys' => 'servers.routes.request_headers',
    'conf_route.c:bn_conf_load_route:timeout_keys' => 'servers.routes.timeouts',
    'conf_route.c:load_route_cache:keys' => 'servers.routes.cache',
    'conf_route.c:load_route_cache:vkeys' => 'servers.routes.cache.valid',
    'conf_route.c:load_route_compress:keys' => 'servers.routes.compress',
    'conf_route.c:bn_conf_load_route:ws_keys' => 'servers.routes.websocket',
);

# Groups read through another group's list: the path on the left, once
# list indexes are dropped, is read as the one on the right.
my @aliases = (
    [ qr/^status\.tls(?=\.|$)/ => 'servers.tls' ],
    [ qr/^(?:servers\.routes|servers|status)\.auth(?=\.|$)/ => 'auth_policies' ],
    [ qr/^servers\.routes\.waf(?=\.|$)/ => 'servers.waf' ],
    [ qr/^servers\.routes\.response_headers(?=\.|$)/ => 'servers.routes.request_headers' ],
);

my $lists;

# The loader's lists, in file order: { where => "FILE:FUNCTION:VARIABLE",
# group => path, names => [ ... ] }.
sub lists {
    return @$lists if $lists;
    my $root = BouncerTest->root;
    my @found;
    for my $path (sort glob("$root/common/conf*.c")) {
        (my $file = $path) =~ s{.*/}{};
        my $c = BouncerTest::slurp($path);
        while ($c =~ /static const char \*const (\w*keys)\[\] = \{(.*?)\};/sg) {
            my ($var, $body) = ($1, $2);
            # The function: the last name at the start of a line before the
            # list (STYLE.md puts the return type on a line of its own).
            my @fn = substr($c, 0, $-[0]) =~ /^(\w+)\(/mg;
            my $where = "$file:" . ($fn[-1] // '') . ":$var";
            die "LoaderSettings.pm: no group path for the list $where\n"
                unless defined $group_of{$where};
            push @found, { where => $where, group => $group_of{$where},
                           names => [ $body =~ /"(\w+)"/g ] };
        }
    }
    my %seen = map { $_->{where} => 1 } @found;
    for my $w (sort keys %group_of) {
        die "LoaderSettings.pm: the list $w is gone from common/conf*.c\n" unless $seen{$w};
    }
    die "LoaderSettings.pm: no lists found in $root/common/conf*.c\n" unless @found;
    $lists = \@found;
    return @found;
}

# Names the loader refuses as not supported yet (bn_conf_not_yet()).
sub not_yet {
    my $c = join '', map { BouncerTest::slurp($_) } glob(BouncerTest->root . "/common/conf*.c");
    return map { $_ => 1 } $c =~ /not_yet\(ld, \w+, "(\w+)"\)/g;
}

# Every name the loader accepts somewhere: name => 1.
sub accepted {
    my %not_yet = not_yet();
    my %a;
    for my $l (lists()) {
        $a{$_} = 1 for grep { !$not_yet{$_} } @{ $l->{names} };
    }
    return %a;
}

# What each group accepts: path => { name => 1 }.
sub groups {
    my %not_yet = not_yet();
    my %g;
    for my $l (lists()) {
        $g{ $l->{group} }{$_} = 1 for grep { !$not_yet{$_} } @{ $l->{names} };
    }
    return %g;
}

# The group path a setting's path is read as: "servers[0].routes[2].waf"
# gives "servers.waf".
sub alias {
    my ($path) = @_;
    $path =~ s/\[\d+\]//g;
    for my $a (@aliases) {
        last if $path =~ s/$a->[0]/$a->[1]/;
    }
    return $path;
}

1;
