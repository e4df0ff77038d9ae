# bouncer: run ./configure first; it writes objs/config.mk and objs/config.h.

-include objs/config.mk

DESTDIR ?=
CONF_DIR = $(dir $(CONF_PATH))
PID_DIR = $(dir $(PID_PATH))
# A config.mk from before configure took --mandir or --logrotatedir names
# none.
MANDIR ?= $(PREFIX)/share/man
LOGROTATE_DIR ?= /etc/logrotate.d
# The control socket's default: bouncer.pid gives bouncer.sock.
CONTROL_SOCKET = $(if $(filter %.pid,$(PID_PATH)),$(PID_PATH:.pid=.sock),$(PID_PATH).sock)

# configure's BN_VERSION line is the one place the version is written; read
# here too, so that `make dist` works in a tree never configured.
VERSION := $(shell sed -n 's/^BN_VERSION=//p' configure)

COMMON_SRCS = common/addr.c common/auth_cache.c common/buf.c common/conf.c common/conf_auth.c common/conf_cache.c common/conf_file.c common/conf_limits.c common/conf_lint.c \
	common/conf_log.c common/conf_processes.c common/conf_ratelimit.c common/conf_redis.c common/conf_route.c common/conf_schema.c common/conf_server.c common/conf_status.c common/metrics.c common/status_pages.c \
	common/conf_upstream.c common/heritage.c common/h2_head.c common/http_parse.c common/jwks.c common/limit_zone.c common/log.c \
	common/pool.c common/proctitle.c common/str.c common/template.c common/uri.c common/clock.c common/tls.c common/slab.c common/cache.c \
	common/peers.c common/credfile.c common/htpasswd.c common/apikeys.c common/json.c common/jwt.c \
	common/conf_waf.c common/form.c common/multipart.c common/waf.c common/waf_detect.c common/waf_sqli.c \
	common/waf_xss.c common/waf_shell.c common/waf_transform.c common/http_cache.c common/encoding.c
WORKER_SRCS = worker/access_acl.c worker/access_auth.c worker/access_limit.c worker/access_waf.c worker/auth.c worker/auth_api_key.c \
	worker/auth_basic.c worker/auth_forward.c worker/auth_jwt.c worker/thread_pool.c worker/access_log.c worker/cache.c worker/compress.c worker/cache_refresh.c worker/count.c worker/explain.c worker/status.c worker/event.c worker/headers.c worker/http.c worker/http2.c \
	worker/phase.c worker/pipe.c worker/proxy.c worker/redis.c worker/request.c worker/route.c worker/spares.c \
	worker/tls.c worker/trace.c worker/tunnel.c worker/upstream.c worker/variables.c worker/worker.c worker/worker_state.c
MASTER_SRCS = master/control.c master/history.c master/listen.c master/main.c master/master.c master/process.c master/notify.c master/top.c master/upgrade.c \
	master/helper_cache.c master/helper_health.c master/helper_jwks.c master/helper_main.c master/helper_resolve.c

COMMON_OBJS = $(COMMON_SRCS:%.c=objs/%.o) objs/common/waf_builtin.o objs/common/status_dashboard.o
WORKER_OBJS = $(WORKER_SRCS:%.c=objs/%.o)
MASTER_OBJS = $(MASTER_SRCS:%.c=objs/%.o)
OBJS = $(COMMON_OBJS) $(WORKER_OBJS) $(MASTER_OBJS)

UNIT_SRCS = $(wildcard t/unit/*.c)
UNIT_BINS = $(UNIT_SRCS:t/unit/%.c=objs/t/unit/%)

CPPFLAGS = -Iobjs

.PHONY: all install uninstall clean test demo format unit fuzz bench dist distcheck

all: objs/config.mk objs/bouncer

objs/config.mk:
	@echo "bouncer: run ./configure first" >&2; exit 1

objs/bouncer: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LIBS)

objs/%.o: %.c objs/config.h $(wildcard common/*.h worker/*.h master/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

# A text file as a C string in the binary: $(call embed,FILE,SYMBOL).
embed = { echo '/* Made by make from $(1): edit that. */'; \
	  echo 'const char $(2)[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n"/' $(1); \
	  echo ';'; } >$@.tmp && mv $@.tmp $@

# The WAF's built-in rules, and the status listener's dashboard.
objs/common/waf_builtin.c: common/waf.rules
	@mkdir -p $(dir $@)
	$(call embed,common/waf.rules,bn_waf_builtin_rules)

objs/common/status_dashboard.c: common/status_dashboard.html
	@mkdir -p $(dir $@)
	$(call embed,common/status_dashboard.html,bn_status_dashboard)

objs/common/waf_builtin.o objs/common/status_dashboard.o: %.o: %.c
	$(CC) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

objs/t/unit/%: t/unit/%.c t/unit/tap.h $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CPPFLAGS) -o $@ $< $(COMMON_OBJS) $(LDFLAGS) $(LIBS)

# The drivers of tests that run common/ code on files and tokens the test
# made: t/htpasswd_files.t, t/json_diff.t, t/jwt_verify.t; the WAF detectors'
# figures on a corpus (waf_detect_corpus); and worker/redis.c
# on the event loop against a real redis-server: t/redis_client.t.
TOOL_BINS = objs/t/pw_check objs/t/json_check objs/t/jwt_check objs/t/redis_check \
	objs/t/waf_detect_corpus

REDIS_CHECK_OBJS = objs/worker/event.o objs/worker/redis.o

objs/t/redis_check: t/tools/redis_check.c $(REDIS_CHECK_OBJS) $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CPPFLAGS) -o $@ $< $(REDIS_CHECK_OBJS) $(COMMON_OBJS) $(LDFLAGS) $(LIBS)

objs/t/%: t/tools/%.c t/tools/json_canon.h $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CPPFLAGS) -o $@ $< $(COMMON_OBJS) $(LDFLAGS) $(LIBS)

unit: $(UNIT_BINS) $(TOOL_BINS)

# The test suite's binary: bouncer with the crash points of common/testhook.h
# compiled in.  Only the files that have any are built a second time.
HOOK_SRCS = common/cache.c common/peers.c
HOOK_OBJS = $(HOOK_SRCS:%.c=objs/hooks/%.o)

objs/bouncer-hooks: $(filter-out $(HOOK_SRCS:%.c=objs/%.o),$(OBJS)) $(HOOK_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

objs/hooks/%.o: %.c objs/config.h $(wildcard common/*.h worker/*.h master/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CPPFLAGS) -DBN_TEST_HOOKS -c -o $@ $<

# libFuzzer targets (clang): make fuzz && objs/fuzz_http_parse t/fuzz/corpus/http_parse
FUZZ_CC ?= clang
fuzz: objs/fuzz_http_parse objs/fuzz_uri objs/fuzz_chunked objs/fuzz_host objs/fuzz_json \
	objs/fuzz_form objs/fuzz_multipart objs/fuzz_waf_transform objs/fuzz_waf_detect objs/fuzz_waf_scan \
	objs/fuzz_http_cache objs/fuzz_encoding objs/fuzz_h2

WAF_DETECT_SRCS = common/waf_detect.c common/waf_sqli.c common/waf_xss.c common/waf_shell.c

objs/fuzz_waf_detect: t/fuzz/waf_detect.c $(WAF_DETECT_SRCS) common/str.c common/waf_detect.h objs/config.h
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		$(CPPFLAGS) -o $@ t/fuzz/waf_detect.c $(WAF_DETECT_SRCS) common/str.c

objs/fuzz_waf_transform: t/fuzz/waf_transform.c common/waf_transform.c common/waf_transform.h common/str.c objs/config.h
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		$(CPPFLAGS) -o $@ t/fuzz/waf_transform.c common/waf_transform.c common/str.c

objs/fuzz_form: t/fuzz/form.c common/form.c common/form.h objs/config.h
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		$(CPPFLAGS) -o $@ t/fuzz/form.c common/form.c

objs/fuzz_multipart: t/fuzz/multipart.c common/multipart.c common/multipart.h common/http_parse.c \
		common/str.c objs/config.h
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		$(CPPFLAGS) -o $@ t/fuzz/multipart.c common/multipart.c common/http_parse.c common/str.c

WAF_SCAN_SRCS = common/waf.c common/waf_transform.c $(WAF_DETECT_SRCS) \
	common/pool.c common/str.c objs/common/waf_builtin.c
objs/fuzz_waf_scan: t/fuzz/waf_scan.c $(WAF_SCAN_SRCS) common/waf.h objs/config.h
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		$(CPPFLAGS) -o $@ t/fuzz/waf_scan.c $(WAF_SCAN_SRCS) -lpcre2-8

objs/fuzz_json: t/fuzz/json.c t/tools/json_canon.h common/json.c common/json.h common/pool.c common/str.c objs/config.h
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		$(CPPFLAGS) -o $@ t/fuzz/json.c common/json.c common/pool.c common/str.c

objs/fuzz_h2: t/fuzz/h2.c common/h2_head.c common/h2_head.h common/http_parse.c common/str.c objs/config.h
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		$(CPPFLAGS) -o $@ t/fuzz/h2.c common/h2_head.c common/http_parse.c common/str.c -lnghttp2

objs/fuzz_http_parse: t/fuzz/http_parse.c common/http_parse.c common/http_parse.h objs/config.h
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		$(CPPFLAGS) -o $@ t/fuzz/http_parse.c common/http_parse.c

objs/fuzz_chunked objs/fuzz_host: objs/fuzz_%: t/fuzz/%.c common/http_parse.c common/http_parse.h objs/config.h
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		$(CPPFLAGS) -o $@ t/fuzz/$*.c common/http_parse.c

objs/fuzz_http_cache: t/fuzz/http_cache.c common/http_cache.c common/http_cache.h common/http_parse.c \
		common/http_parse.h objs/config.h
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		$(CPPFLAGS) -o $@ t/fuzz/http_cache.c common/http_cache.c common/http_parse.c

objs/fuzz_encoding: t/fuzz/encoding.c common/encoding.c common/encoding.h common/str.c objs/config.h
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		$(CPPFLAGS) -o $@ t/fuzz/encoding.c common/encoding.c common/str.c

objs/fuzz_uri: t/fuzz/uri.c common/uri.c common/uri.h objs/config.h
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		$(CPPFLAGS) -o $@ t/fuzz/uri.c common/uri.c

# Side-by-side throughput, latency, CPU and memory against nginx and HAProxy
# (needs wrk, nginx; haproxy when installed): make bench [BENCH_ARGS="-d 10 -r 5 tls"]
bench: all objs/bench_idle objs/t/waf_cost
	t/bench/run.sh $(BENCH_ARGS)

objs/bench_idle: t/bench/idle.c
	$(CC) -O2 -Wall -Wextra -o $@ t/bench/idle.c

# The configs, the systemd unit, the logrotate rule and the man pages ship
# with the default paths; installed, they name the configured ones.
# systemd reads units from PREFIX/lib/systemd/system too; logrotate reads
# only /etc/logrotate.d, which LOGROTATE_DIR (configure --logrotatedir) is
# for the prefixes /usr and /usr/local; another prefix keeps the rule in
# PREFIX/etc/logrotate.d.  $(call configured_paths,FILE[,SED-EXPRESSIONS]):
# each default becomes a @NAME@ first, then its value, so that a configured
# path that starts with a default one (--pid-path=/usr/local/var/run/bouncer/b.pid)
# is not replaced a second time.
SYSTEMD_UNIT_DIR = $(PREFIX)/lib/systemd/system
configured_paths = sed $(2) \
	-e 's|/usr/local/sbin/bouncer|@SBINDIR@/bouncer|g' \
	-e 's|/usr/local/etc/bouncer/bouncer\.conf\.example|@CONF_DIR@bouncer.conf.example|g' \
	-e 's|/usr/local/etc/bouncer/bouncer\.conf|@CONF_PATH@|g' \
	-e 's|/usr/local/etc/bouncer/|@CONF_DIR@|g' \
	-e 's|/usr/local/var/log/bouncer|@LOG_PATH@|g' \
	-e 's|/usr/local/var/cache/bouncer|@CACHE_PATH@|g' \
	-e 's|/usr/local/var/run/bouncer\.pid|@PID_PATH@|g' \
	-e 's|/usr/local/var/run/bouncer\.sock|@CONTROL_SOCKET@|g' \
	-e 's|/usr/local/var/run/|@PID_DIR@|g' \
	-e 's|/usr/local/lib/systemd/system|@SYSTEMD_UNIT_DIR@|g' \
	-e 's|/etc/logrotate\.d|@LOGROTATE_DIR@|g' \
	-e 's|@SBINDIR@|$(SBINDIR)|g; s|@CONF_PATH@|$(CONF_PATH)|g; s|@CONF_DIR@|$(CONF_DIR)|g' \
	-e 's|@LOG_PATH@|$(LOG_PATH)|g; s|@CACHE_PATH@|$(CACHE_PATH)|g; s|@PID_PATH@|$(PID_PATH)|g' \
	-e 's|@CONTROL_SOCKET@|$(CONTROL_SOCKET)|g; s|@PID_DIR@|$(PID_DIR)|g' \
	-e 's|@SYSTEMD_UNIT_DIR@|$(SYSTEMD_UNIT_DIR)|g; s|@LOGROTATE_DIR@|$(LOGROTATE_DIR)|g' $(1)
# What the unit and the logrotate rule run reads the configured config.
with_conf_arg = -e 's|/bouncer \([a-z]\)|/bouncer -c @CONF_PATH@ \1|g'

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(CONF_DIR) $(DESTDIR)$(LOG_PATH) \
		$(DESTDIR)$(PID_DIR) $(DESTDIR)$(CACHE_PATH)
	install -m 755 objs/bouncer $(DESTDIR)$(SBINDIR)/bouncer
	@conf=$(DESTDIR)$(CONF_PATH); \
	if [ -f $$conf ]; then \
		echo "keeping the existing $$conf"; \
		conf=$$conf.default; \
	fi; \
	$(call configured_paths,etc/bouncer.conf) >$$conf && chmod 644 $$conf
	$(call configured_paths,etc/bouncer.conf.example) >$(DESTDIR)$(CONF_DIR)bouncer.conf.example
	chmod 644 $(DESTDIR)$(CONF_DIR)bouncer.conf.example
	install -m 644 etc/grafana-dashboard.json $(DESTDIR)$(CONF_DIR)grafana-dashboard.json
	install -d $(DESTDIR)$(SYSTEMD_UNIT_DIR) $(DESTDIR)$(LOGROTATE_DIR)
	$(call configured_paths,etc/bouncer.service,$(with_conf_arg)) \
		>$(DESTDIR)$(SYSTEMD_UNIT_DIR)/bouncer.service
	$(call configured_paths,etc/bouncer.logrotate,$(with_conf_arg)) >$(DESTDIR)$(LOGROTATE_DIR)/bouncer
	chmod 644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/bouncer.service $(DESTDIR)$(LOGROTATE_DIR)/bouncer
	install -d $(DESTDIR)$(MANDIR)/man8
	$(call configured_paths,etc/bouncer.8) >$(DESTDIR)$(MANDIR)/man8/bouncer.8
	chmod 644 $(DESTDIR)$(MANDIR)/man8/bouncer.8
	[ ! -f etc/bouncer.conf.5 ] || { install -d $(DESTDIR)$(MANDIR)/man5 && \
		$(call configured_paths,etc/bouncer.conf.5) >$(DESTDIR)$(MANDIR)/man5/bouncer.conf.5 && \
		chmod 644 $(DESTDIR)$(MANDIR)/man5/bouncer.conf.5; }

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/bouncer $(DESTDIR)$(CONF_PATH).default \
		$(DESTDIR)$(CONF_DIR)bouncer.conf.example $(DESTDIR)$(CONF_DIR)grafana-dashboard.json \
		$(DESTDIR)$(SYSTEMD_UNIT_DIR)/bouncer.service $(DESTDIR)$(LOGROTATE_DIR)/bouncer \
		$(DESTDIR)$(MANDIR)/man8/bouncer.8 $(DESTDIR)$(MANDIR)/man5/bouncer.conf.5
	@echo "left in place: $(DESTDIR)$(CONF_PATH), $(DESTDIR)$(LOG_PATH)"

clean:
	rm -rf objs/*.o objs/common objs/worker objs/master objs/t objs/hooks objs/bouncer objs/bouncer-hooks

# make dist [DISTDIR=.]: DISTDIR/bouncer-VERSION.tar.gz, unpacking to
# bouncer-VERSION/, of what a build and the tests need.  In a git checkout
# that is git's list (tracked files, and untracked ones it does not ignore,
# so a new file is not forgotten); in an unpacked tarball, every file but
# objs/ and tarballs, so that one can make dist again.
DIST = bouncer-$(VERSION)
DISTDIR = .
dist:
	@[ -n "$(VERSION)" ] || { echo "make dist: no BN_VERSION= line in configure" >&2; exit 1; }
	@set -e; stage=$$(mktemp -d); trap 'rm -rf "$$stage"' EXIT; \
	mkdir "$$stage/$(DIST)"; \
	if [ -e .git ] && ! git ls-files --cached --others --exclude-standard \
			>"$$stage/list" 2>/dev/null; then \
		echo "make dist: git cannot list the files here; taking every file" >&2; \
		rm -f "$$stage/list"; \
	fi; \
	[ -f "$$stage/list" ] || find . \( -path ./objs -o -path ./.git -o -name 'bouncer-*.tar.gz' \) \
		-prune -o \( -type f -o -type l \) -print | sed 's|^\./||' >"$$stage/list"; \
	while IFS= read -r f; do \
		if [ -e "$$f" ] || [ -L "$$f" ]; then printf '%s\n' "$$f"; fi; \
	done <"$$stage/list" | tar -cf - --verbatim-files-from -T - | tar -C "$$stage/$(DIST)" -xf -; \
	[ -f "$$stage/$(DIST)/configure" ] || { echo "make dist: no configure in the list" >&2; exit 1; }; \
	tar -C "$$stage" --sort=name --owner=0 --group=0 --numeric-owner \
		-czf "$$stage/$(DIST).tar.gz" $(DIST); \
	mv "$$stage/$(DIST).tar.gz" $(DISTDIR)/; \
	echo "$(DISTDIR)/$(DIST).tar.gz"

# make distcheck: the tarball, unpacked in a fresh folder, configures, builds,
# passes the unit tests, installs under a DESTDIR and runs from there
# (t/distcheck.sh).  DISTCHECK_TEST=1 runs make test in it too.
DISTCHECK_TEST =
distcheck: dist
	DISTCHECK_TEST='$(DISTCHECK_TEST)' PROVE_FLAGS='$(PROVE_FLAGS)' \
		t/distcheck.sh $(DISTDIR)/$(DIST).tar.gz

test: all unit objs/bouncer-hooks
	@t/deps.sh
	prove $(PROVE_FLAGS) t/

# make demo [PORT=8080]: bouncer on PORT, its two demo backends on the next
# two ports, in the foreground; its files in DEMO_DIR (default objs/demo).
PORT = 8080
DEMO_DIR =
demo: all
	@t/demo.sh '$(PORT)' '$(DEMO_DIR)'

format:
	clang-format -i common/*.[ch] worker/*.[ch] master/*.[ch] t/unit/*.[ch]
