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

/* Files so particular that their name alone, anywhere, is an attack. */
static const char *const sensitive_anywhere[] = { "etc/passwd", "etc/shadow", "boot.ini",
                                                  "win.ini",    "system.ini", "proc/self/",
                                                  "web-inf/web.xml" };

/* Files worth reading, after a separator or at the start ("/" stands for
 * either separator); a match needs only this prefix. */
static const char *const sensitive[] = {
    "etc/passwd",        "etc/shadow",        "etc/group",       "etc/hosts",
    "etc/issue",         "etc/motd",          "etc/crontab",     "etc/sudoers",
    "etc/fstab",         "etc/resolv.conf",   "etc/hostname",    "etc/profile",
    "etc/master.passwd", "etc/ssh/",          "etc/mysql/",      "etc/httpd/",
    "etc/apache2/",      "etc/nginx/",        "etc/security/",   "etc/environment",
    "etc/inittab",       "etc/php",           "proc/self/",      "proc/version",
    "proc/cpuinfo",      "proc/net/",         "proc/mounts",     "var/log/",
    "var/www/",          "var/run/secrets",   "root/",           ".ssh/",
    "id_rsa",            "id_dsa",            "id_ecdsa",        "id_ed25519",
    ".bash_history",     ".bashrc",           ".htpasswd",       ".htaccess",
    ".git/",             ".svn/",             ".aws/credentials", "boot.ini",
    "win.ini",           "system.ini",        "windows/system32", "winnt/system32",
    "windows/repair",    "windows/panther",   "inetpub/",        "autoexec.bat",
    "web-inf/",          "meta-inf/",         "wp-config.php",   "php.ini",
    "httpd.conf",        "system32/config",   "xampp/",          "usr/local/apache",
    "usr/local/etc/",    "localsettings.php", "config.inc.php",  "repair/sam",
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
    unsigned char c = bn_waf_lower(s[i]);

    if (!((c >= 'a' && c <= 'z') || c == '.')) {
        return NULL;
    }
    for (size_t k = 0; k < sizeof(sensitive) / sizeof(sensitive[0]); k++) {
        if ((unsigned char) sensitive[k][0] == c && path_match(s, n, i, sensitive[k])) {
            *len = strlen(sensitive[k]);
            return sensitive[k];
        }
    }
    return NULL;
}

/* PHP and Java stream wrappers that read files or run code. */
static const char *const wrappers[] = { "file:", "php://", "zip://", "phar://", "expect://",
                                        "glob://", "data://", "compress.zlib://", "jar:file:",
                                        "netdoc:", "rar://", "ogg://", "ssh2." };

bool
bn_waf_traversal(const char *str, size_t n, unsigned paranoia, bn_waf_detect_t *m)
{
    const unsigned char *s = (const unsigned char *) str;
    bool seen_path = false;

    paranoia = bn_waf_begin(m, paranoia);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i], lc = bn_waf_lower(c), left = i > 0 ? s[i - 1] : '/';
        bool boundary = path_sep(left) || left == '=' || left == '"' || left == '\''
                        || left == ' ' || left == ':' || left == ';' || left == ',';
        const char *w;
        size_t j, len;

        if (!boundary && (c == '.' || c == '0' || c == 0xef) && i >= 3) {
            /* after 0x2f or a look-alike slash */
            boundary = (i >= 4 && path_sep_len(s, n, i - 4) == 4) || path_sep_len(s, n, i - 3) == 3;
        }
        if (path_dot_len(s, n, i) > 0 && boundary
            && path_dot_len(s, n, i + path_dot_len(s, n, i)) > 0) {
            size_t dots = 0;

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
        for (size_t k = 0; k < sizeof(sensitive_anywhere) / sizeof(sensitive_anywhere[0])
                           && (lc == 'e' || lc == 'b' || lc == 'w' || lc == 's' || lc == 'p');
             k++) {
            if ((unsigned char) sensitive_anywhere[k][0] == lc
                && path_match(s, n, i, sensitive_anywhere[k])) {
                return bn_waf_found(m, "traversal: sensitive file", sensitive_anywhere[k],
                                    strlen(sensitive_anywhere[k]));
            }
        }
        if (path_sep(c)) {
            seen_path = true;
        }
        if ((i == 0 || path_sep(left)) && (w = path_sensitive(s, n, i, &len)) != NULL) {
            return bn_waf_found(m, "traversal: sensitive file", w, len);
        }
        if (c >= 'A' && strchr("fpzgedcjnros", bn_waf_lower(c)) != NULL
            && (i == 0 || !((left | 0x20) >= 'a' && (left | 0x20) <= 'z'))) {
            for (size_t k = 0; k < sizeof(wrappers) / sizeof(wrappers[0]); k++) {
                if ((unsigned char) wrappers[k][0] == bn_waf_lower(c)
                    && bn_waf_prefix_eq(str + i, n - i, wrappers[k])) {
                    /* file: needs a path after it: file:/, file:\, file:c: */
                    if (k == 0 && !(i + 5 < n && (path_sep(s[i + 5]) || s[i + 6] == ':'))) {
                        continue;
                    }
                    return bn_waf_found(m, "traversal: stream wrapper", wrappers[k],
                                        strlen(wrappers[k]));
                }
            }
        }
        if (c == '.') {
            seen_path = true;
        }
        if (c == '\0' && seen_path && i > 0 && s[i - 1] != '\0') {
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
    unsigned char weak;
    unsigned char win;
} shell_cmd_t;

static const shell_cmd_t shell_cmds[] = {
    { "cat", 1, 0 },        { "tac", 0, 0 },        { "nl", 1, 0 },         { "head", 1, 0 },
    { "tail", 1, 0 },       { "more", 1, 1 },       { "less", 1, 0 },       { "id", 1, 0 },
    { "whoami", 0, 1 },     { "uname", 0, 0 },      { "ls", 0, 0 },         { "dir", 1, 1 },
    { "pwd", 0, 0 },        { "echo", 1, 1 },       { "printf", 1, 0 },     { "env", 1, 0 },
    { "printenv", 0, 0 },   { "set", 1, 1 },        { "ps", 1, 0 },         { "netstat", 0, 1 },
    { "ifconfig", 0, 0 },   { "ip", 1, 0 },         { "hostname", 0, 1 },   { "wget", 0, 0 },
    { "curl", 0, 0 },       { "nc", 0, 0 },         { "ncat", 0, 0 },       { "netcat", 0, 0 },
    { "telnet", 0, 0 },     { "ssh", 0, 0 },        { "scp", 0, 0 },        { "ftp", 1, 0 },
    { "tftp", 0, 1 },       { "bash", 0, 0 },       { "sh", 0, 0 },         { "zsh", 0, 0 },
    { "ksh", 0, 0 },        { "csh", 0, 0 },        { "tcsh", 0, 0 },       { "dash", 1, 0 },
    { "python", 0, 0 },     { "python2", 0, 0 },    { "python3", 0, 0 },    { "perl", 0, 0 },
    { "ruby", 1, 0 },       { "php", 0, 0 },        { "node", 1, 0 },       { "lua", 0, 0 },
    { "awk", 0, 0 },        { "gawk", 0, 0 },       { "sed", 0, 0 },        { "xargs", 0, 0 },
    { "find", 1, 0 },       { "grep", 0, 0 },       { "chmod", 0, 0 },      { "chown", 0, 0 },
    { "rm", 1, 0 },         { "cp", 1, 0 },         { "mv", 1, 0 },         { "mkdir", 1, 0 },
    { "touch", 1, 0 },      { "kill", 1, 0 },       { "killall", 0, 0 },    { "pkill", 0, 0 },
    { "sleep", 1, 0 },      { "ping", 1, 1 },       { "nslookup", 0, 1 },   { "dig", 1, 0 },
    { "host", 1, 0 },       { "traceroute", 0, 0 }, { "tracert", 0, 1 },    { "uptime", 0, 0 },
    { "w", 1, 0 },          { "who", 1, 0 },        { "last", 1, 0 },       { "passwd", 0, 0 },
    { "su", 1, 0 },         { "sudo", 0, 0 },       { "crontab", 0, 0 },    { "base64", 0, 0 },
    { "xxd", 0, 0 },        { "od", 1, 0 },         { "dd", 1, 0 },         { "tee", 1, 0 },
    { "sort", 1, 1 },       { "uniq", 1, 0 },       { "wc", 1, 0 },         { "cut", 1, 0 },
    { "tr", 1, 0 },         { "rev", 1, 0 },        { "strings", 1, 0 },    { "file", 1, 0 },
    { "stat", 1, 0 },       { "md5sum", 0, 0 },     { "sha1sum", 0, 0 },    { "openssl", 0, 0 },
    { "socat", 0, 0 },      { "busybox", 0, 0 },    { "exec", 1, 0 },       { "eval", 1, 0 },
    { "timeout", 1, 0 },    { "nohup", 0, 0 },      { "mkfifo", 0, 0 },     { "mknod", 0, 0 },
    { "systeminfo", 0, 1 }, { "ipconfig", 0, 1 },   { "net", 1, 1 },        { "netsh", 0, 1 },
    { "tasklist", 0, 1 },   { "taskkill", 0, 1 },   { "type", 1, 1 },       { "powershell", 0, 1 },
    { "pwsh", 0, 1 },       { "cmd", 1, 1 },        { "certutil", 0, 1 },   { "bitsadmin", 0, 1 },
    { "wmic", 0, 1 },       { "reg", 1, 1 },        { "regsvr32", 0, 1 },   { "rundll32", 0, 1 },
    { "mshta", 0, 1 },      { "cscript", 0, 1 },    { "wscript", 0, 1 },    { "start", 1, 1 },
    { "ver", 1, 1 },        { "vol", 1, 1 },        { "copy", 1, 1 },       { "del", 1, 1 },
    { "findstr", 0, 1 },    { "schtasks", 0, 1 },   { "sc", 1, 1 },         { "nmap", 0, 0 },
    { "uname", 0, 0 },      { "getent", 0, 0 },     { "lsof", 0, 0 },       { "history", 1, 0 },
};

#define SHELL_WORD 32

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

    while (k < strlen(name)) {
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

/* The command named by word w (a path's last part, .exe dropped). */
static const shell_cmd_t *
shell_command(const char *w, size_t wl)
{
    size_t b = 0, e = wl;
    bool glob = false, pathy = false;

    for (size_t k = 0; k < wl; k++) {
        if (w[k] == '/' || w[k] == '\\') {
            b = k + 1;
            pathy = true;
        }
    }
    if (e - b > 4 && bn_waf_word_eq(w + e - 4, 4, ".exe")) {
        e -= 4;
    }
    if (e == b) {
        return NULL;
    }
    for (size_t k = b; k < e; k++) {
        if (w[k] == '?' || w[k] == '*' || w[k] == '[') {
            glob = true;
        }
    }
    for (size_t k = 0; k < sizeof(shell_cmds) / sizeof(shell_cmds[0]); k++) {
        const shell_cmd_t *c = &shell_cmds[k];
        size_t len;

        if (!glob && bn_waf_lower((unsigned char) w[b]) != (unsigned char) c->name[0]) {
            continue;
        }
        len = strlen(c->name);
        if (glob) {
            /* /???/c?t, /bin/ca*: a glob must fix at least one letter. */
            if (pathy && e - b >= 2 && shell_glob(w + b, e - b, c->name, c->win)) {
                return c;
            }
            continue;
        }
        if (len == e - b
            && (c->win ? bn_waf_word_eq(w + b, len, c->name) : memcmp(w + b, c->name, len) == 0)) {
            return c;
        }
    }
    return NULL;
}

/* How a command position was reached. */
enum {
    POS_START,  /* the start of the value */
    POS_SEP,    /* after ; & | or a newline, with a blank */
    POS_TIGHT,  /* after ; & | with no blank (";id") */
    POS_STRONG, /* after || && $( ` { or a newline-and-pipe: shell only */
};

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

/* Whether s[i..) holds the word w (lower case) in any case, then a blank,
 * within lim. */
static bool
shell_kw(const unsigned char *s, size_t n, size_t i, const char *w)
{
    size_t l = strlen(w);

    return bn_waf_prefix_eq((const char *) s + i, n - i, w) && (i + l >= n || s[i + l] <= ' '
                                                                || s[i + l] == '(');
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
 * The command at position i (blanks already allowed before it), reached as
 * pos says: the reason when it is an injection.
 */
static const char *
shell_at(const unsigned char *s, size_t n, size_t i, int pos, unsigned paranoia, char *w,
         size_t *wl)
{
    const shell_cmd_t *c;
    size_t e, after;
    bool end, closes;

    i += shell_skip_blanks(s, n, i);
    if (i < n && (s[i] == '@' || s[i] == '(')) {
        i++; /* @echo off, (cmd) */
    }
    if (shell_batch(s, n, i)) {
        *wl = 0;
        w[0] = '\0';
        return "cmdi: cmd.exe for or if";
    }
    e = shell_word(s, n, i, w, wl);
    if (*wl == 0) {
        return NULL;
    }
    c = shell_command(w, *wl);
    if (c == NULL) {
        return NULL;
    }
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
    switch (pos) {
    case POS_STRONG:
        return "cmdi: command in a substitution or after && ||";
    case POS_TIGHT:
        if (!c->weak || end || closes || shell_args(s, n, e, true)) {
            return "cmdi: separator then command";
        }
        return NULL;
    case POS_SEP:
        if ((!c->weak && (end || closes || shell_args(s, n, e, true)))
            || shell_args(s, n, e, true)) {
            return "cmdi: separator then command";
        }
        if (paranoia >= 2 && (end || closes || !c->weak)) {
            return "cmdi: separator then command";
        }
        return NULL;
    default: /* POS_START */
        if (!c->weak && shell_args(s, n, e, true)) {
            return "cmdi: command with arguments";
        }
        if (c->weak && shell_args(s, n, e, false)) {
            return "cmdi: command with arguments";
        }
        if (paranoia >= 2 && !c->weak && end) {
            return "cmdi: command alone";
        }
        return NULL;
    }
}

bool
bn_waf_cmdi(const char *str, size_t n, unsigned paranoia, bn_waf_detect_t *m)
{
    const unsigned char *s = (const unsigned char *) str;
    char w[SHELL_WORD];
    const char *reason;
    size_t wl;

    paranoia = bn_waf_begin(m, paranoia);
    if (n == 0) {
        return false;
    }
    reason = shell_at(s, n, 0, POS_START, paranoia, w, &wl);
    if (reason != NULL) {
        return bn_waf_found(m, reason, w, wl);
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        size_t j = i + 1;
        int pos;

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
        } else if (c == '`' || (c == '$' && j < n && s[j] == '(')
                   || ((c == '<' || c == '>') && j < n && s[j] == '(')) {
            pos = POS_STRONG;
            j += c == '`' ? 0 : 1;
        } else if (c == '{' && j < n && s[j] != ' ') {
            /* {cat,/etc/passwd}: a brace list needs a comma after the
             * command. */
            size_t e = shell_word(s, n, j, w, &wl);

            if (wl > 0 && e < n && s[e] == ',' && shell_command(w, wl) != NULL) {
                return bn_waf_found(m, "cmdi: brace expansion runs a command", w, wl);
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
