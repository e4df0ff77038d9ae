/*
 * waf_shell.c: path traversal and command injection, read with the grammar
 * of paths and of the shell; and the helpers every detector shares.
 *
 * Traversal: a ".." segment (any run of two dots or more, a ";param" after
 * it, between separators "/" or "\" in any mix, as "....//" and "..;/" leave
 * it after decoding), a sensitive file named after a separator (etc/passwd,
 * proc/self/environ, windows/win.ini, WEB-INF/web.xml ...; "/" and "\"
 * alike, "//" and "/./" collapsed), a file://, php:// or other stream
 * wrapper, a NUL byte left after a path.
 *
 * Command injection: a command position (the start of the value, after
 * ; | || & && a newline, inside $( ) or backticks, a {brace,list}) followed
 * by a command word, with the shell's own obfuscations undone (quotes and
 * backslashes inside a word: c'a't, c\at; $@ and ${x} that expand to
 * nothing; $IFS and ${IFS} as blanks; /???/c?t globs matched against the
 * list; /bin/ and c:\windows\system32\ prefixes and .exe dropped).  A word
 * that is also English ("cat", "sleep", "id", "more") needs what a shell
 * would see: an option, a path, a variable, no blank after the separator
 * (";id" where prose writes "; id") or a substitution around it.
 */
#include "waf_detect.h"

#include <stdint.h>
#include <string.h>

/* Traversal. */

static bool
path_sep(unsigned char c)
{
    return c == '/' || c == '\\';
}

/*
 * The length of a separator at s[i]: "/" or "\", the look-alikes U+2215
 * and U+2216 and the fullwidth U+FF0F and U+FF3C that some file APIs fold,
 * and the "0x2f" / "0x5c" spellings that lax decoders accept; 0 if none.
 */
static size_t
path_sep_len(const unsigned char *s, size_t n, size_t i)
{
    if (i >= n) {
        return 0;
    }
    if (path_sep(s[i])) {
        return 1;
    }
    if (i + 3 <= n
        && ((s[i] == 0xe2 && s[i + 1] == 0x88 && (s[i + 2] == 0x95 || s[i + 2] == 0x96))
            || (s[i] == 0xef && s[i + 1] == 0xbc && (s[i + 2] == 0x8f))
            || (s[i] == 0xef && s[i + 1] == 0xbc && (s[i + 2] == 0xbc)))) {
        return 3;
    }
    if (i + 4 <= n && s[i] == '0' && (s[i + 1] | 0x20) == 'x'
        && ((s[i + 2] == '2' && (s[i + 3] | 0x20) == 'f')
            || (s[i + 2] == '5' && (s[i + 3] | 0x20) == 'c'))) {
        return 4;
    }
    return 0;
}

/* The length of a dot at s[i]: ".", fullwidth U+FF0E, "0x2e"; 0 if none. */
static size_t
path_dot_len(const unsigned char *s, size_t n, size_t i)
{
    if (i >= n) {
        return 0;
    }
    if (s[i] == '.') {
        return 1;
    }
    if (i + 3 <= n && s[i] == 0xef && s[i + 1] == 0xbc && s[i + 2] == 0x8e) {
        return 3;
    }
    if (i + 4 <= n && s[i] == '0' && (s[i + 1] | 0x20) == 'x' && s[i + 2] == '2'
        && (s[i + 3] | 0x20) == 'e') {
        return 4;
    }
    return 0;
}

/* A needle with its length and its first two bytes, for the lists below:
 * the scan compares the two bytes in the entry before it reads the word. */
typedef struct {
    const char *w;
    unsigned char len;
    unsigned char c0;
    unsigned char c1;
} path_word_t;

#define PW(w) { w, sizeof(w) - 1, (unsigned char) w[0], (unsigned char) w[1] }

/* Files so particular that their name alone, anywhere, is an attack.
 * Their second bytes are letters: the scan compares two bytes before it
 * calls path_match(). */
static const path_word_t sensitive_anywhere[] = { PW("etc/passwd"), PW("etc/shadow"),
                                                  PW("boot.ini"),   PW("win.ini"),
                                                  PW("system.ini"), PW("proc/self/"),
                                                  PW("web-inf/web.xml") };

/* Files worth reading, after a separator or at the start ("/" stands for
 * either separator); a match needs only this prefix.  Sorted by first
 * byte: path_sensitive() finds the first of a letter by halves. */
static const path_word_t sensitive[] = {
    PW(".ssh/"), PW(".bash_history"), PW(".bashrc"), PW(".htpasswd"), PW(".htaccess"),
    PW(".git/"), PW(".svn/"), PW(".aws/credentials"), PW("autoexec.bat"), PW("boot.ini"),
    PW("config.inc.php"), PW("etc/passwd"), PW("etc/shadow"), PW("etc/group"),
    PW("etc/hosts"), PW("etc/issue"), PW("etc/motd"), PW("etc/crontab"), PW("etc/sudoers"),
    PW("etc/fstab"), PW("etc/resolv.conf"), PW("etc/hostname"), PW("etc/profile"),
    PW("etc/master.passwd"), PW("etc/ssh/"), PW("etc/mysql/"), PW("etc/httpd/"),
    PW("etc/apache2/"), PW("etc/nginx/"), PW("etc/security/"), PW("etc/environment"),
    PW("etc/inittab"), PW("etc/php"), PW("httpd.conf"), PW("id_rsa"), PW("id_dsa"),
    PW("id_ecdsa"), PW("id_ed25519"), PW("inetpub/"), PW("localsettings.php"),
    PW("meta-inf/"), PW("proc/self/"), PW("proc/version"), PW("proc/cpuinfo"),
    PW("proc/net/"), PW("proc/mounts"), PW("php.ini"), PW("root/"), PW("repair/sam"),
    PW("system.ini"), PW("system32/config"), PW("usr/local/apache"), PW("usr/local/etc/"),
    PW("var/log/"), PW("var/www/"), PW("var/run/secrets"), PW("win.ini"),
    PW("windows/system32"), PW("winnt/system32"), PW("windows/repair"),
    PW("windows/panther"), PW("web-inf/"), PW("wp-config.php"), PW("xampp/"),
};

/*
 * Whether the path at s[i..n) starts with the needle w, "/" in w standing
 * for any run of separators and "./" segments.
 */
static bool
path_match(const unsigned char *s, size_t n, size_t i, const char *w)
{
    for (; *w != '\0'; w++) {
        if (*w == '/') {
            if (i >= n || !path_sep(s[i])) {
                return false;
            }
            while (i < n && (path_sep(s[i]) || (s[i] == '.' && i + 1 < n && path_sep(s[i + 1])))) {
                i++;
            }
            continue;
        }
        if (i >= n || bn_waf_lower(s[i]) != (unsigned char) *w) {
            return false;
        }
        i++;
    }
    return true;
}

static const char *
path_sensitive(const unsigned char *s, size_t n, size_t i, size_t *len)
{
    size_t lo = 0, hi = sizeof(sensitive) / sizeof(sensitive[0]);
    unsigned char c = bn_waf_lower(s[i]), c1;

    if (!((c >= 'a' && c <= 'z') || c == '.') || i + 1 >= n) {
        return NULL;
    }
    c1 = bn_waf_lower(s[i + 1]);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (sensitive[mid].c0 < c) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    for (size_t k = lo; k < sizeof(sensitive) / sizeof(sensitive[0]) && sensitive[k].c0 == c;
         k++) {
        const path_word_t *p = &sensitive[k];

        if ((p->c1 == c1 || (p->c1 == '/' && path_sep(s[i + 1]))) && path_match(s, n, i, p->w)) {
            *len = p->len;
            return p->w;
        }
    }
    return NULL;
}

/* PHP and Java stream wrappers that read files or run code. */
static const path_word_t wrappers[] = {
    PW("file:"),   PW("php://"),           PW("zip://"),    PW("phar://"), PW("expect://"),
    PW("glob://"), PW("data://"),          PW("compress.zlib://"), PW("jar:file:"),
    PW("netdoc:"), PW("rar://"),           PW("ogg://"),    PW("ssh2."),
};

/* What each byte may start, for the scan of bn_waf_traversal(). */
enum {
    P_DOT = 0x01,  /* ".", "0x2e", U+FF0E */
    P_SEP = 0x02,  /* "/" or "\" */
    P_ANY = 0x04,  /* the first letter of a sensitive_anywhere name */
    P_WRAP = 0x08, /* the first letter of a wrapper */
    P_NUL = 0x10,
};

static const unsigned char path_class[256] = {
    ['.'] = P_DOT, ['0'] = P_DOT, [0xef] = P_DOT, ['/'] = P_SEP, ['\\'] = P_SEP, [0] = P_NUL,
    ['e'] = P_ANY | P_WRAP, ['E'] = P_ANY | P_WRAP, ['b'] = P_ANY, ['B'] = P_ANY,
    ['w'] = P_ANY, ['W'] = P_ANY, ['s'] = P_ANY | P_WRAP, ['S'] = P_ANY | P_WRAP,
    ['p'] = P_ANY | P_WRAP, ['P'] = P_ANY | P_WRAP, ['f'] = P_WRAP, ['F'] = P_WRAP,
    ['z'] = P_WRAP, ['Z'] = P_WRAP, ['g'] = P_WRAP, ['G'] = P_WRAP, ['d'] = P_WRAP,
    ['D'] = P_WRAP, ['c'] = P_WRAP, ['C'] = P_WRAP, ['j'] = P_WRAP, ['J'] = P_WRAP,
    ['n'] = P_WRAP, ['N'] = P_WRAP, ['r'] = P_WRAP, ['R'] = P_WRAP, ['o'] = P_WRAP,
    ['O'] = P_WRAP,
};

/* pair2[c]: bit l - 'a' set when a sensitive_anywhere name or a wrapper
 * starts with c (either case) then the letter l.  Most letters of a value
 * start neither: the scan passes them over on one test. */
static uint32_t pair2[256];

/* Forward: the commands are listed further down, with their grammar. */
static void make_tables(void);
static bool tables_made;

bool
bn_waf_traversal(const char *str, size_t n, unsigned paranoia, bn_waf_detect_t *m)
{
    const unsigned char *s = (const unsigned char *) str;
    bool seen_path = false;
    const char *w;
    size_t len;

    paranoia = bn_waf_begin(m, paranoia);
    if (!tables_made) {
        make_tables();
    }
    if (n > 0 && (w = path_sensitive(s, n, 0, &len)) != NULL) {
        return bn_waf_found(m, "traversal: sensitive file", w, len);
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i], cls = path_class[c], lc;

        if (cls == 0) {
            continue;
        }
        if (!(cls & ~(P_ANY | P_WRAP))) {
            /* A letter: only the start of a name or a wrapper counts. */
            unsigned char l1 = i + 1 < n ? bn_waf_lower(s[i + 1]) : 0;

            if (l1 < 'a' || l1 > 'z' || !(pair2[c] & (1u << (l1 - 'a')))) {
                continue;
            }
        }
        if ((cls & P_DOT) && path_dot_len(s, n, i) > 0) {
            unsigned char left = i > 0 ? s[i - 1] : '/';
            bool boundary = path_sep(left) || left == '=' || left == '"' || left == '\''
                            || left == ' ' || left == ':' || left == ';' || left == ',';
            size_t j, dots = 0;

            if (!boundary && i >= 3) {
                /* after 0x2f or a look-alike slash */
                boundary = (i >= 4 && path_sep_len(s, n, i - 4) == 4)
                           || path_sep_len(s, n, i - 3) == 3;
            }
            if (boundary && path_dot_len(s, n, i + path_dot_len(s, n, i)) > 0) {
                for (j = i; j < n && (len = path_dot_len(s, n, j)) > 0; j += len) {
                    dots++;
                }
                /* "..;jsessionid=x/" (a path parameter) and ".. /"-style
                 * blanks a lax server drops. */
                if (j < n && s[j] == ';') {
                    while (j < n && !path_sep(s[j])) {
                        j++;
                    }
                }
                while (j < n && (s[j] == '\0' || s[j] == '\t')) {
                    j++;
                }
                if (path_sep_len(s, n, j) > 0 || (j == n && path_sep(left) && i > 0)) {
                    return bn_waf_found(m, "traversal: dot-dot segment", str + i,
                                        BN_WAF_MIN(j - i + 1, n - i));
                }
                if (j == n && i == 0 && j == 2) {
                    return bn_waf_found(m, "traversal: dot-dot segment", "..", 2);
                }
                i = j - 1;
                continue;
            }
        }
        lc = bn_waf_lower(c);
        if ((cls & P_ANY) && i + 1 < n) {
            unsigned char l1 = bn_waf_lower(s[i + 1]);

            for (size_t k = 0; k < sizeof(sensitive_anywhere) / sizeof(sensitive_anywhere[0]);
                 k++) {
                const path_word_t *p = &sensitive_anywhere[k];

                if (p->c0 == lc && p->c1 == l1 && path_match(s, n, i, p->w)) {
                    return bn_waf_found(m, "traversal: sensitive file", p->w, p->len);
                }
            }
        }
        if (cls & P_SEP) {
            seen_path = true;
            if (i + 1 < n && (w = path_sensitive(s, n, i + 1, &len)) != NULL) {
                return bn_waf_found(m, "traversal: sensitive file", w, len);
            }
        }
        if ((cls & P_WRAP) && i + 1 < n
            && (i == 0 || !((s[i - 1] | 0x20) >= 'a' && (s[i - 1] | 0x20) <= 'z'))) {
            unsigned char l1 = bn_waf_lower(s[i + 1]);

            for (size_t k = 0; k < sizeof(wrappers) / sizeof(wrappers[0]); k++) {
                const path_word_t *p = &wrappers[k];

                if (p->c0 == lc && p->c1 == l1 && bn_waf_prefix_eq(str + i, n - i, p->w)) {
                    /* file: needs a path after it: file:/, file:\, file:c: */
                    if (k == 0
                        && !((i + 5 < n && path_sep(s[i + 5])) || (i + 6 < n && s[i + 6] == ':'))) {
                        continue;
                    }
                    return bn_waf_found(m, "traversal: stream wrapper", p->w, p->len);
                }
            }
        }
        if (c == '.') {
            seen_path = true;
        }
        if ((cls & P_NUL) && seen_path && i > 0 && s[i - 1] != '\0') {
            return bn_waf_found(m, "traversal: NUL byte after a path", "nul", 3);
        }
    }
    return false;
}

/* Command injection. */

/* Commands an injection runs.  weak: also an English word or a common
 * value, which needs shell-like arguments around it; win: Windows,
 * matched in any case. */
typedef struct {
    const char *name;
    unsigned char len;
    unsigned char weak;
    unsigned char win;
} shell_cmd_t;

#define CMD(name, weak, win) { name, sizeof(name) - 1, weak, win }

/* Sorted by name in byte order: shell_command() searches it by halves. */
static const shell_cmd_t shell_cmds[] = {
    CMD("awk", 0, 0), CMD("base64", 0, 0), CMD("bash", 0, 0),
    CMD("bitsadmin", 0, 1), CMD("busybox", 0, 0), CMD("cat", 1, 0),
    CMD("certutil", 0, 1), CMD("chmod", 0, 0), CMD("chown", 0, 0),
    CMD("cmd", 1, 1), CMD("copy", 1, 1), CMD("cp", 1, 0),
    CMD("crontab", 0, 0), CMD("cscript", 0, 1), CMD("csh", 0, 0),
    CMD("curl", 0, 0), CMD("cut", 1, 0), CMD("dash", 1, 0),
    CMD("dd", 1, 0), CMD("del", 1, 1), CMD("dig", 1, 0),
    CMD("dir", 1, 1), CMD("echo", 1, 1), CMD("env", 1, 0),
    CMD("eval", 1, 0), CMD("exec", 1, 0), CMD("file", 1, 0),
    CMD("find", 1, 0), CMD("findstr", 0, 1), CMD("ftp", 1, 0),
    CMD("gawk", 0, 0), CMD("getent", 0, 0), CMD("grep", 0, 0),
    CMD("head", 1, 0), CMD("history", 1, 0), CMD("host", 1, 0),
    CMD("hostname", 0, 1), CMD("id", 1, 0), CMD("ifconfig", 0, 0),
    CMD("ip", 1, 0), CMD("ipconfig", 0, 1), CMD("kill", 1, 0),
    CMD("killall", 0, 0), CMD("ksh", 0, 0), CMD("last", 1, 0),
    CMD("less", 1, 0), CMD("ls", 0, 0), CMD("lsof", 0, 0),
    CMD("lua", 0, 0), CMD("md5sum", 0, 0), CMD("mkdir", 1, 0),
    CMD("mkfifo", 0, 0), CMD("mknod", 0, 0), CMD("more", 1, 1),
    CMD("mshta", 0, 1), CMD("mv", 1, 0), CMD("nc", 0, 0),
    CMD("ncat", 0, 0), CMD("net", 1, 1), CMD("netcat", 0, 0),
    CMD("netsh", 0, 1), CMD("netstat", 0, 1), CMD("nl", 1, 0),
    CMD("nmap", 0, 0), CMD("node", 1, 0), CMD("nohup", 0, 0),
    CMD("nslookup", 0, 1), CMD("od", 1, 0), CMD("openssl", 0, 0),
    CMD("passwd", 0, 0), CMD("perl", 0, 0), CMD("php", 0, 0),
    CMD("ping", 1, 1), CMD("pkill", 0, 0), CMD("powershell", 0, 1),
    CMD("printenv", 0, 0), CMD("printf", 1, 0), CMD("ps", 1, 0),
    CMD("pwd", 0, 0), CMD("pwsh", 0, 1), CMD("python", 0, 0),
    CMD("python2", 0, 0), CMD("python3", 0, 0), CMD("reg", 1, 1),
    CMD("regsvr32", 0, 1), CMD("rev", 1, 0), CMD("rm", 1, 0),
    CMD("ruby", 1, 0), CMD("rundll32", 0, 1), CMD("sc", 1, 1),
    CMD("schtasks", 0, 1), CMD("scp", 0, 0), CMD("sed", 0, 0),
    CMD("set", 1, 1), CMD("sh", 0, 0), CMD("sha1sum", 0, 0),
    CMD("sleep", 1, 0), CMD("socat", 0, 0), CMD("sort", 1, 1),
    CMD("ssh", 0, 0), CMD("start", 1, 1), CMD("stat", 1, 0),
    CMD("strings", 1, 0), CMD("su", 1, 0), CMD("sudo", 0, 0),
    CMD("systeminfo", 0, 1), CMD("tac", 0, 0), CMD("tail", 1, 0),
    CMD("taskkill", 0, 1), CMD("tasklist", 0, 1), CMD("tcsh", 0, 0),
    CMD("tee", 1, 0), CMD("telnet", 0, 0), CMD("tftp", 0, 1),
    CMD("timeout", 1, 0), CMD("touch", 1, 0), CMD("tr", 1, 0),
    CMD("traceroute", 0, 0), CMD("tracert", 0, 1), CMD("type", 1, 1),
    CMD("uname", 0, 0), CMD("uniq", 1, 0), CMD("uptime", 0, 0),
    CMD("ver", 1, 1), CMD("vol", 1, 1), CMD("w", 1, 0),
    CMD("wc", 1, 0), CMD("wget", 0, 0), CMD("who", 1, 0),
    CMD("whoami", 0, 1), CMD("wmic", 0, 1), CMD("wscript", 0, 1),
    CMD("xargs", 0, 0), CMD("xxd", 0, 0), CMD("zsh", 0, 0),
};

#define SHELL_WORD 32

/* cmd_lens[c]: bit l set when a command of l bytes starts with c.  Most
 * words of a value are no command; this turns them away before the search. */
static uint32_t cmd_lens[256];

/* The tables made from the lists above, once: workers scan on one thread. */
static void
make_tables(void)
{
    static const struct {
        const path_word_t *w;
        size_t n;
    } lists[] = { { sensitive_anywhere, sizeof(sensitive_anywhere) / sizeof(sensitive_anywhere[0]) },
                  { wrappers, sizeof(wrappers) / sizeof(wrappers[0]) } };

    for (size_t k = 0; k < sizeof(shell_cmds) / sizeof(shell_cmds[0]); k++) {
        cmd_lens[(unsigned char) shell_cmds[k].name[0]] |= 1u << shell_cmds[k].len;
    }
    for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
        for (size_t k = 0; k < lists[l].n; k++) {
            unsigned char c0 = lists[l].w[k].c0, c1 = lists[l].w[k].c1;

            pair2[c0] |= 1u << (c1 - 'a');
            pair2[c0 >= 'a' && c0 <= 'z' ? c0 - 0x20 : c0] |= 1u << (c1 - 'a');
        }
    }
    tables_made = true;
}


static bool
shell_blank(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* "$IFS", "${IFS}", "$IFS$9" at s[i]: its length, else 0. */
static size_t
shell_ifs(const unsigned char *s, size_t n, size_t i)
{
    size_t k = 0;

    if (i + 4 <= n && memcmp(s + i, "$IFS", 4) == 0) {
        k = 4;
    } else if (i + 6 <= n && memcmp(s + i, "${IFS}", 6) == 0) {
        k = 6;
    }
    if (k > 0 && i + k + 1 < n && s[i + k] == '$' && s[i + k + 1] >= '0' && s[i + k + 1] <= '9') {
        k += 2;
    }
    return k;
}

/* Skips what the shell reads as blanks between words: the length. */
static size_t
shell_skip_blanks(const unsigned char *s, size_t n, size_t i)
{
    size_t b = i, k;

    for (;;) {
        if (i < n && shell_blank(s[i])) {
            i++;
        } else if ((k = shell_ifs(s, n, i)) > 0) {
            i += k;
        } else {
            return i - b;
        }
    }
}

/*
 * Reads the shell word at s[i..n) as the shell would see it after quote
 * removal: quotes and backslashes dropped, $@ $* $N and ${x} (empty
 * expansions) dropped.  Writes at most SHELL_WORD - 1 bytes and a NUL into
 * w; returns the index after the word.
 */
static size_t
shell_word(const unsigned char *s, size_t n, size_t i, char *w, size_t *wl)
{
    size_t k = 0;
    bool winpath = false;

    while (i < n) {
        unsigned char c = s[i];

        if (c == '\'' || c == '"') {
            i++;
            continue;
        }
        if (c == '\\' && !winpath && i + 1 < n && s[i + 1] > ' ') {
            /* c\at is cat; but c:\windows\system32\cmd.exe keeps its
             * separators (winpath). */
            i++;
            if (k == 0) {
                winpath = true;
                w[k++] = '\\';
            }
            continue;
        }
        if (c == ':' && k == 1) {
            winpath = true;
        }
        if (c == '$' && i + 1 < n && shell_ifs(s, n, i) == 0) {
            if (s[i + 1] == '@' || s[i + 1] == '*' || (s[i + 1] >= '0' && s[i + 1] <= '9')) {
                i += 2;
                continue;
            }
            if (s[i + 1] == '{') {
                size_t e = i + 2;

                while (e < n && e < i + 16 && s[e] != '}') {
                    e++;
                }
                if (e < n && s[e] == '}') {
                    i = e + 1;
                    continue;
                }
            }
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '_' || c == '-' || c == '.' || c == '/' || c == '\\' || c == '?'
              || c == '*' || c == '[' || c == ']' || c == ':' || c == '~')) {
            break;
        }
        if ((c == '/' || c == '\\') && k >= SHELL_WORD / 2 && !winpath) {
            /* ../../../../usr/bin/env: a long path keeps its last parts,
             * where the command is. */
            k = 0;
        }
        if (k < SHELL_WORD - 1) {
            w[k++] = (char) c;
        }
        i++;
    }
    w[k] = '\0';
    *wl = k;
    return i;
}

/* A glob (?, *, [..] as one character) against a command name. */
static bool
shell_glob(const char *g, size_t gl, const char *name, bool any_case)
{
    size_t i = 0, k = 0, star_g = (size_t) -1, star_k = 0;

    while (name[k] != '\0') {
        if (i < gl && g[i] == '[') {
            size_t e = i;

            while (e < gl && g[e] != ']') {
                e++;
            }
            if (e < gl) {
                i = e + 1;
                k++;
                continue;
            }
        }
        if (i < gl && (g[i] == '?'
                       || (any_case ? bn_waf_lower((unsigned char) g[i])
                                    : (unsigned char) g[i])
                              == (unsigned char) name[k])) {
            i++;
            k++;
        } else if (i < gl && g[i] == '*') {
            star_g = i++;
            star_k = k;
        } else if (star_g != (size_t) -1) {
            i = star_g + 1;
            k = ++star_k;
        } else {
            return false;
        }
    }
    while (i < gl && g[i] == '*') {
        i++;
    }
    return i == gl;
}

/* The entry of shell_cmds named w[0..wl) in lower case, or NULL. */
static const shell_cmd_t *
shell_lookup(const char *w, size_t wl)
{
    size_t lo = 0, hi = sizeof(shell_cmds) / sizeof(shell_cmds[0]);

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const shell_cmd_t *c = &shell_cmds[mid];
        size_t k = 0, l = BN_WAF_MIN(wl, (size_t) c->len);
        int d;

        while (k < l && w[k] == c->name[k]) {
            k++;
        }
        if (k < l) {
            d = (unsigned char) w[k] < (unsigned char) c->name[k] ? -1 : 1;
        } else {
            d = wl < c->len ? -1 : wl > c->len;
        }
        if (d == 0) {
            return c;
        }
        if (d < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return NULL;
}

/*
 * The command named by word w (a path's last part, .exe dropped); *pathy
 * says whether a path led to it.
 */
static const shell_cmd_t *
shell_command(const char *w, size_t wl, bool *pathy)
{
    size_t b = 0, e = wl;
    bool glob = false, upper = false;
    char low[SHELL_WORD];
    const shell_cmd_t *c;

    *pathy = false;
    for (size_t k = 0; k < wl; k++) {
        if (w[k] == '/' || w[k] == '\\') {
            b = k + 1;
            *pathy = true;
        }
    }
    if (e - b > 4 && bn_waf_word_eq(w + e - 4, 4, ".exe")) {
        e -= 4;
    }
    if (e == b || e - b >= SHELL_WORD) {
        return NULL;
    }
    for (size_t k = b; k < e; k++) {
        unsigned char ch = (unsigned char) w[k];

        if (ch == '?' || ch == '*' || ch == '[') {
            glob = true;
        }
        upper |= ch >= 'A' && ch <= 'Z';
        low[k - b] = (char) bn_waf_lower(ch);
    }
    if (glob) {
        /* /???/c?t, /bin/ca*: a glob must fix at least one letter. */
        if (!*pathy || e - b < 2) {
            return NULL;
        }
        /* Without a "*" the glob names as many bytes as it has
         * characters (a [..] is one); a letter first must be the name's. */
        size_t chars = 0;
        bool star = false;
        unsigned char first = (unsigned char) low[0];

        for (size_t k = b; k < e; k++) {
            if (w[k] == '*') {
                star = true;
                continue;
            }
            if (w[k] == '[') {
                const char *close = memchr(w + k, ']', e - k);
                k = close != NULL ? (size_t) (close - w) : k;
            }
            chars++;
        }
        if (first == '?' || first == '*' || first == '[') {
            first = 0;
        }
        if (!star && first != 0 && (chars >= 32 || !(cmd_lens[first] & (1u << chars)))) {
            return NULL; /* no command of its letter is as long: most URLs' last parts */
        }
        for (size_t k = 0; k < sizeof(shell_cmds) / sizeof(shell_cmds[0]); k++) {
            if ((!star && shell_cmds[k].len != chars)
                || (first != 0 && (unsigned char) shell_cmds[k].name[0] != first)) {
                continue;
            }
            if (shell_glob(w + b, e - b, shell_cmds[k].name, shell_cmds[k].win)) {
                return &shell_cmds[k];
            }
        }
        return NULL;
    }
    if (!(cmd_lens[(unsigned char) low[0]] & (1u << (e - b)))) {
        return NULL;
    }
    c = shell_lookup(low, e - b);
    /* Unix commands are lower case; Windows ones in any case. */
    return c != NULL && (c->win || !upper) ? c : NULL;
}

/* How a command position was reached. */
enum {
    POS_START,  /* the start of the value */
    POS_SEP,    /* after ; & | or a newline, with a blank */
    POS_TIGHT,  /* after ; & | with no blank (";id") */
    POS_STRONG, /* after || && $( ` { or a newline-and-pipe: shell only */
    POS_QUOTED = 8, /* or'ed in: a quote just before the separator */
};

/* What follows a command word, as shell_tail() reads it. */
enum {
    TAIL_END = 1,  /* the value ends after a few plain words */
    TAIL_TERM = 2, /* a few words, then what ends a shell command: ; | && a
                    * "&" or "#" at the end, a newline, a redirection */
    TAIL_TAB = 4,  /* words apart by tabs or $IFS, as no prose is */
};

/*
 * How the command whose word ends at s[e] goes on: up to three argument
 * words, then the end of the value or of the command.  A word that is also
 * English after "; " is prose until the rest looks like a command line.
 */
static unsigned
shell_tail(const unsigned char *s, size_t n, size_t e)
{
    unsigned r = 0;

    for (int words = 0;; words++) {
        size_t b = e, k;
        unsigned char c;

        while (e < n) {
            if (s[e] == ' ') {
                e++;
            } else if (s[e] == '\t') {
                r |= TAIL_TAB;
                e++;
            } else if ((k = shell_ifs(s, n, e)) > 0) {
                r |= TAIL_TAB;
                e += k;
            } else {
                break;
            }
        }
        if (e >= n) {
            return r | (words > 0 ? TAIL_END : 0);
        }
        c = s[e];
        if (c == ';' || c == '|' || c == '\n' || c == '\r' || c == '>' || c == '<'
            || (c == '&' && (e + 1 >= n || s[e + 1] == '&'))
            || (c == '#' && (e + 1 >= n || s[e + 1] == ' ' || s[e + 1] == '\t'))) {
            return r | TAIL_TERM;
        }
        if (e == b || words == 3) {
            /* type=2, cat's: the word goes on with what no command has */
            return r;
        }
        while (e < n && s[e] > ' ' && s[e] != ';' && s[e] != '|' && s[e] != '&' && s[e] != '#'
               && s[e] != '\'' && s[e] != '"' && s[e] != '`') {
            e++;
        }
    }
}

/* Calls of PHP and other languages that run code or end the script, as a
 * value that closes a statement with ";" goes on: ;exit(...), ;system(...). */
static bool
shell_code_sink(const char *w, size_t wl)
{
    static const char *const sinks[] = { "exit",     "die",   "system",    "passthru",
                                         "shell_exec", "popen", "proc_open", "pcntl_exec",
                                         "phpinfo",  "assert", "eval",     "exec" };

    for (size_t k = 0; k < sizeof(sinks) / sizeof(sinks[0]); k++) {
        if (bn_waf_word_eq(w, wl, sinks[k])) {
            return true;
        }
    }
    return false;
}

/* Whether what follows a command word at s[i..n) is what a shell command
 * gets: an option, a path, a variable, a redirection, another command. */
static bool
shell_args(const unsigned char *s, size_t n, size_t i, bool digits_too)
{
    size_t b = i;

    i += shell_skip_blanks(s, n, i);
    if (i >= n) {
        return false;
    }
    if (strchr("-/\\~$`<>|;&'\"", s[i]) != NULL && (s[i] != '-' || i + 1 >= n || s[i + 1] != ' ')) {
        return true;
    }
    if (s[i] == '.' && i + 1 < n && (s[i + 1] == '/' || s[i + 1] == '.')) {
        return true;
    }
    if (i == b && s[i] != ',') {
        return false;
    }
    if (digits_too && s[i] >= '0' && s[i] <= '9') {
        return true;
    }
    /* A word with a dot or a colon: a file, a host, a URL, an address. */
    for (size_t k = i; k < n && k < i + 64 && s[k] > ' '; k++) {
        if ((s[k] == '.' || s[k] == ':' || s[k] == '/') && k > i && k + 1 < n && s[k + 1] > ' ') {
            return true;
        }
    }
    return false;
}

static bool
shell_name_byte(unsigned char c)
{
    c = bn_waf_lower(c);
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* Whether s[i..) holds the word w (lower case) in any case, then a byte
 * that cannot go on a name (a blank, "#", a quote, the end). */
static bool
shell_kw(const unsigned char *s, size_t n, size_t i, const char *w)
{
    size_t l;

    if (i >= n || (s[i] | 0x20) != w[0]) {
        return false; /* most words, before the length and the call */
    }
    l = strlen(w);
    return bn_waf_prefix_eq((const char *) s + i, n - i, w)
           && (i + l >= n || !shell_name_byte(s[i + l]));
}

/*
 * A cmd.exe FOR or IF at s[i]: "for [/x ...] %v in (...) do ...", "if [/i]
 * [not] exist|defined|errorlevel ...", "if %a%==... cmd".  English has
 * "for" and "if" too, so the whole shape is required.
 */
static bool
shell_batch(const unsigned char *s, size_t n, size_t i)
{
    size_t lim, k;

    /* "fo" or "if" first, or neither keyword can be here: most words. */
    if (i + 1 >= n || !(((s[i] | 0x20) == 'f' && (s[i + 1] | 0x20) == 'o')
                        || ((s[i] | 0x20) == 'i' && (s[i + 1] | 0x20) == 'f'))) {
        return false;
    }
    if (shell_kw(s, n, i, "for")) {
        lim = BN_WAF_MIN(n, i + 160);
        for (k = i + 3; k < lim && s[k] != '%'; k++) {
        }
        for (; k + 4 < lim; k++) {
            if (s[k] <= ' ' && shell_kw(s, n, k + 1, "in")) {
                for (k += 3; k < lim; k++) {
                    if (s[k] == ')' && k + 1 < lim) {
                        size_t d = k + 1;

                        while (d < lim && s[d] == ' ') {
                            d++;
                        }
                        return shell_kw(s, n, d, "do");
                    }
                }
                return false;
            }
        }
        return false;
    }
    if (shell_kw(s, n, i, "if")) {
        k = i + 2;
        while (k < n && s[k] <= ' ') {
            k++;
        }
        if (k + 2 < n && s[k] == '/' && (s[k + 1] | 0x20) == 'i' && s[k + 2] <= ' ') {
            return true;
        }
        if (shell_kw(s, n, k, "not")) {
            k += 3;
            while (k < n && s[k] <= ' ') {
                k++;
            }
        }
        if (shell_kw(s, n, k, "exist") || shell_kw(s, n, k, "defined")
            || shell_kw(s, n, k, "errorlevel")) {
            return true;
        }
        lim = BN_WAF_MIN(n, k + 64);
        if (k < lim && (s[k] == '%' || s[k] == '[' || s[k] == '"' || s[k] == '(')) {
            for (; k + 1 < lim; k++) {
                if ((s[k] == '=' && s[k + 1] == '=') || shell_kw(s, n, k, " equ")
                    || shell_kw(s, n, k, " neq") || shell_kw(s, n, k, " gtr")
                    || shell_kw(s, n, k, " geq") || shell_kw(s, n, k, " lss")
                    || shell_kw(s, n, k, " leq")) {
                    return true;
                }
            }
        }
        if (k < lim && s[k] >= '0' && s[k] <= '9') {
            for (; k < lim; k++) {
                if (shell_kw(s, n, k, " equ") || shell_kw(s, n, k, " gtr")
                    || shell_kw(s, n, k, " geq") || shell_kw(s, n, k, " lss")) {
                    return true;
                }
            }
        }
    }
    return false;
}

/*
 * Whether the word at s[i] is plainly no command, as shell_word() and
 * shell_command() would find, without copying it: letters, digits, '_' and
 * '-' up to a byte that ends a shell word, of a length no command that
 * starts with its letter has.  A word with anything shell_word() drops or
 * shell_command() reads (quotes, '\', '$', a path, a glob, ".exe"), one
 * that a call follows when sink says a code sink counts, or one as long as
 * shell_word() cuts, takes the whole way.
 */
static bool
shell_plain_no_command(const unsigned char *s, size_t n, size_t i, bool sink)
{
    size_t k = i;
    unsigned char c;

    while (k < n && ((unsigned char) ((s[k] | 0x20) - 'a') < 26
                     || (unsigned char) (s[k] - '0') < 10 || s[k] == '_' || s[k] == '-')) {
        k++;
    }
    if (k == i || k - i >= SHELL_WORD - 1 || (unsigned char) ((s[i] | 0x20) - 'a') >= 26) {
        return false;
    }
    if (k < n) {
        c = s[k];
        if (c == '\'' || c == '"' || c == '\\' || c == '$' || c == '.' || c == '/' || c == '?'
            || c == '*' || c == '[' || c == ']' || c == ':' || c == '~' || (sink && c == '(')) {
            return false;
        }
    }
    return !(cmd_lens[bn_waf_lower(s[i])] & (1u << (k - i)));
}

/*
 * The command at position i (blanks already allowed before it), reached as
 * pos says: the reason when it is an injection.
 */
static const char *
shell_at(const unsigned char *s, size_t n, size_t i, int pos, unsigned paranoia, char *w,
         size_t *wl)
{
    const shell_cmd_t *c;
    size_t e, after;
    bool end, closes, pathy, weak, quoted = (pos & POS_QUOTED) != 0;
    unsigned tail;

    pos &= ~POS_QUOTED;
    i += shell_skip_blanks(s, n, i);
    if (i < n && (s[i] == '@' || s[i] == '(')) {
        i++; /* @echo off, (cmd) */
    }
    if (shell_batch(s, n, i)) {
        *wl = 0;
        w[0] = '\0';
        return "cmdi: cmd.exe for or if";
    }
    if (shell_plain_no_command(s, n, i, pos != POS_START)) {
        return NULL;
    }
    e = shell_word(s, n, i, w, wl);
    if (*wl == 0) {
        return NULL;
    }
    if (pos != POS_START && e < n && s[e] == '(' && shell_code_sink(w, *wl)) {
        return "cmdi: separator then a call that runs code";
    }
    c = shell_command(w, *wl, &pathy);
    if (c == NULL) {
        return NULL;
    }
    /* /usr/bin/id, ./x, c:\x\ping: a path to the command is the shell's
     * way, not prose. */
    weak = c->weak
           && !(pathy && (w[0] == '/' || w[0] == '\\' || w[0] == '.' || w[0] == '~'
                          || (*wl > 2 && w[1] == ':')));
    if (pos != POS_START && bn_waf_word_eq(w, *wl, "net")) {
        static const char *const subs[] = { "user", "localgroup", "group", "view", "share",
                                            "use", "accounts", "session", "start", "stop" };
        size_t a = e + shell_skip_blanks(s, n, e);

        for (size_t k = 0; k < sizeof(subs) / sizeof(subs[0]); k++) {
            if (shell_kw(s, n, a, subs[k])) {
                return "cmdi: separator then net command";
            }
        }
    }
    after = e + shell_skip_blanks(s, n, e);
    end = after >= n || s[after] == '\n' || s[after] == '\r';
    closes = after < n && (s[after] == '`' || s[after] == ')' || s[after] == ';'
                           || s[after] == '|' || s[after] == '&' || s[after] == '}'
                           || s[after] == ',' || s[after] == '>' || s[after] == '<');
    tail = pos == POS_START ? 0 : shell_tail(s, n, e);
    switch (pos) {
    case POS_STRONG:
        return "cmdi: command in a substitution or after && ||";
    case POS_TIGHT:
        if (!weak || end || closes || (tail & (TAIL_TERM | TAIL_TAB)) != 0
            || (quoted && tail != 0) || shell_args(s, n, e, true)) {
            return "cmdi: separator then command";
        }
        return NULL;
    case POS_SEP:
        if ((!weak && (end || closes || shell_args(s, n, e, true)))
            || (tail & (TAIL_TERM | TAIL_TAB)) != 0
            || shell_args(s, n, e, true)) {
            return "cmdi: separator then command";
        }
        if (paranoia >= 2 && (end || closes || !weak)) {
            return "cmdi: separator then command";
        }
        return NULL;
    default: /* POS_START */
        if (!weak && shell_args(s, n, e, true)) {
            return "cmdi: command with arguments";
        }
        if (weak && shell_args(s, n, e, false)) {
            return "cmdi: command with arguments";
        }
        if (paranoia >= 2 && !weak && end) {
            return "cmdi: command alone";
        }
        return NULL;
    }
}

/* The bytes the scan of bn_waf_cmdi() acts on; any other costs a lookup. */
static const unsigned char shell_trigger[256] = {
    [';'] = 1, ['|'] = 1, ['&'] = 1, ['\n'] = 1, ['\r'] = 1, ['`'] = 1,
    ['$'] = 1, ['<'] = 1, ['>'] = 1, ['{'] = 1, ['('] = 1,
};

/* Whether the separator at s[i] follows a quote, blanks between: the value
 * closed a quoted string of a command line first (1' | ps aux). */
static bool
shell_quote_before(const unsigned char *s, size_t i)
{
    while (i > 0 && shell_blank(s[i - 1])) {
        i--;
    }
    return i > 0 && (s[i - 1] == '\'' || s[i - 1] == '"');
}

bool
bn_waf_cmdi(const char *str, size_t n, unsigned paranoia, bn_waf_detect_t *m)
{
    const unsigned char *s = (const unsigned char *) str;
    char w[SHELL_WORD];
    const char *reason;
    size_t wl;
    bool pathy;

    paranoia = bn_waf_begin(m, paranoia);
    if (n == 0) {
        return false;
    }
    if (!tables_made) {
        make_tables();
    }
    reason = shell_at(s, n, 0, POS_START, paranoia, w, &wl);
    if (reason != NULL) {
        return bn_waf_found(m, reason, w, wl);
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c;
        size_t j;
        int pos;

        /* Most bytes are no trigger: four a test. */
        while (i + 4 <= n
               && !(shell_trigger[s[i]] | shell_trigger[s[i + 1]] | shell_trigger[s[i + 2]]
                    | shell_trigger[s[i + 3]])) {
            i += 4;
        }
        while (i < n && !shell_trigger[s[i]]) {
            i++;
        }
        if (i == n) {
            break;
        }
        c = s[i];
        j = i + 1;
        if (c == '$' && shell_ifs(s, n, i) > 0) {
            return bn_waf_found(m, "cmdi: $IFS", "IFS", 3);
        }
        if (c == ';' || c == '|' || c == '&' || c == '\n' || c == '\r') {
            pos = POS_SEP;
            if (j < n && (s[j] == c || (c == '\r' && s[j] == '\n'))) {
                /* || && and \r\n: the first two are shell only. */
                pos = c == '|' || c == '&' ? POS_STRONG : POS_SEP;
                j++;
            }
            if (pos == POS_SEP && j < n && !shell_blank(s[j]) && c != '\n' && c != '\r') {
                pos = POS_TIGHT;
            }
            if (pos != POS_STRONG && shell_quote_before(s, i)) {
                pos |= POS_QUOTED;
            }
        } else if (c == '`' || (c == '$' && j < n && s[j] == '(')
                   || ((c == '<' || c == '>') && j < n && s[j] == '(')) {
            pos = POS_STRONG;
            j += c == '`' ? 0 : 1;
        } else if (c == '{' && j < n && s[j] != ' ') {
            /* {cat,/etc/passwd}: a brace list needs a comma after the
             * command. */
            size_t e = shell_word(s, n, j, w, &wl);

            if (wl > 0 && e < n && s[e] == ',' && shell_command(w, wl, &pathy) != NULL) {
                return bn_waf_found(m, "cmdi: brace expansion runs a command", w, wl);
            }
            continue;
        } else if (c == '(' && j < n && (s[j] == '"' || s[j] == '\'')) {
            /* exec("ls -al /"), %x('id -u'): a command line in the string a
             * language's call hands to the shell; the command needs its
             * options or paths. */
            size_t e = shell_word(s, n, j + 1, w, &wl);
            const shell_cmd_t *cmd = wl > 0 ? shell_command(w, wl, &pathy) : NULL;

            if (cmd != NULL && e < n && s[e] == ' ' && shell_args(s, n, e, false)) {
                return bn_waf_found(m, "cmdi: command line in a call's string", w, wl);
            }
            continue;
        } else {
            continue;
        }
        reason = shell_at(s, n, j, pos, paranoia, w, &wl);
        if (reason != NULL) {
            return bn_waf_found(m, reason, w, wl);
        }
        i = j - 1;
    }
    return false;
}
