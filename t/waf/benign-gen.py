#!/usr/bin/env python3
# Writes t/waf/benign.txt: inputs that real users type into web forms and
# that a WAF must let through.  Mostly natural text (search queries,
# comments, names with apostrophes, prose that happens to use SQL and
# shell words), plus the structured things forms carry (e-mail addresses,
# URLs, dates, JSON fragments, file names, Markdown, pasted code) and
# text in other languages.  Written for bouncer, BSD-2 like the rest of the
# tree; deterministic (fixed seed, no outside input), so the committed file
# can be checked by running this again.
#
# Usage: benign-gen.py > t/waf/benign.txt

import random
import sys

R = random.Random(18)
OUT = []


def emit(s):
    s = s.strip()
    if s and '\n' not in s:
        OUT.append(s)


FIRST = ['Liam', 'Olivia', 'Noah', 'Emma', 'Aoife', 'Sean', 'Siobhan', 'Maria',
         'José', 'Zoë', 'Chloé', 'Björn', 'Søren', 'Ana', 'Giulia', 'Marco',
         'Fatima', 'Mohammed', 'Priya', 'Rahul', 'Mei', 'Hiroshi', 'Olga',
         'Dmitri', 'Kwame', 'Ngozi', 'Jean-Luc', 'Anne-Marie', 'Mary Kate',
         'Patrick', 'Bridget', 'Conor', 'Dónal', 'Éabha', 'Renée', 'François']
APOS_LAST = ["O'Brien", "O'Neill", "O'Connor", "O'Reilly", "O'Sullivan",
             "D'Angelo", "D'Souza", "D'Amico", "DeAngelo", "McDonald", "Mc'Kay",
             "N'Diaye", "L'Estrange", "Dell'Orto", "D'Arcy", "O'Malley",
             "Sant'Anna", "Ch'ng", "O'Hara", "D'Alessandro", "M'Bala",
             "Smith-Jones", "van der Berg", "de la Cruz", "Müller", "Østergaard"]
PLACES = ["Martha's Vineyard", "St. John's", "Coeur d'Alene", "Hawke's Bay",
          "King's Lynn", "Bishop's Stortford", "L'Aquila", "Côte d'Ivoire",
          "Val-d'Or", "Land O'Lakes", "Bryn Mawr", "São Paulo", "Zürich",
          "Kraków", "Reykjavík", "Москва", "東京", "Ha Noi", "Dún Laoghaire"]
PRODUCTS = ["AT&T", "Ben & Jerry's", "Lowe's", "Macy's", "McDonald's",
            "Levi's 501", "Dr. Martens 1460", "iPhone 15 Pro (256 GB)",
            "Samsung Galaxy S23+", "C++ Primer, 5th ed.", "Procter & Gamble",
            "H&M", "M&M's peanut", "Johnson & Johnson", "Barnes & Noble",
            "R&B classics", "Q&A session", "rock 'n' roll", "Toys\"R\"Us",
            "3M Scotch tape", "Coca-Cola Zero", "Häagen-Dazs", "Nescafé Gold",
            "Crème brûlée kit", "USB-C to HDMI adapter 4K@60Hz", "Wi-Fi 6E router",
            "1/2\" copper pipe", "2x4 lumber 8 ft", "A4 paper 80 g/m²",
            "Nike Air Max 90", "LEGO 42115", "PS5 DualSense", "Kindle Paperwhite"]
SEARCH_HEADS = ['how to', 'best', 'cheap', 'where to buy', 'what is', 'why does',
                'can I', 'is it safe to', 'recipe for', 'reviews of', 'near me',
                'how much is', 'when does', 'who invented', 'difference between']
NOUNS = ['pizza', 'laptop', 'running shoes', 'coffee grinder', 'python list',
         'sourdough bread', 'car insurance', 'flights to Lisbon', 'tax return',
         'dog food', 'standing desk', 'noise cancelling headphones', 'bike lock',
         'garden hose', 'winter tires', 'mortgage rates', 'yoga mat', 'tent',
         'electric kettle', 'wedding dress', 'birthday cake', 'guitar strings',
         'union station parking', 'select comfort mattress', 'table tennis',
         'drop shipping', 'script writing course', 'shell station hours',
         'window cleaner', 'alert system for seniors', 'command strips',
         'path of exile build', 'order tracking', 'exec chair', 'cat tree']
VERBS = ['fix', 'clean', 'replace', 'install', 'cook', 'choose', 'compare',
         'return', 'order', 'update', 'delete', 'insert', 'select', 'drop off',
         'join', 'merge', 'execute', 'cancel', 'ship', 'wash', 'paint']

PROSE = [
    "Please select the best union of ideas from the list below.",
    "Drop me a line when you get a chance.",
    "We need to update the table of contents before Friday.",
    "Insert coin to continue, or press start.",
    "Can you delete from my cart the blue shirt? I ordered it twice.",
    "I'd like to join the union and select a representative.",
    "The committee will drop the item from the agenda if nobody objects.",
    "Select your size, then choose a colour and add to basket.",
    "He said 'or else' and walked out, which was a bit much.",
    "Union Pacific and Union Bank are not related, as far as I know.",
    "Order by phone or online; either way it ships in 2-3 days.",
    "Where do I find the order history? The page says 1 or 2 orders.",
    "It's 5 o'clock somewhere, isn't it?",
    "Don't forget: the meeting's at 10 and we're presenting the draft.",
    "I can't log in - it says my password is wrong but I'm sure it's right.",
    "Rock 'n' roll never dies, and neither do my old records.",
    "She's got a 'can do' attitude and it shows.",
    "The script for the school play is due on Monday.",
    "My kids love the alert sound when the timer ends.",
    "Execute the plan as discussed, then report back by email.",
    "The shell of the turtle was cracked but it's healing well.",
    "Use the command line only if you know what you're doing.",
    "Sleep is underrated; I try to get 8 hours a night.",
    "Ping me when you're free, we can grab a coffee.",
    "Cat sitter needed for the weekend, two cats, both friendly.",
    "Table for two at 7:30 pm, please, by the window if possible.",
    "Thanks for the quick reply! Much appreciated :)",
    "1 + 1 = 2, and 2 > 1, so the answer is yes.",
    "Temperatures between -5 and 10 degrees; bring a jacket.",
    "Is the 50% discount valid on sale items? The FAQ isn't clear.",
    "Our new office is at 221B Baker St., 2nd floor (ring twice).",
    "The path to the lake is closed after heavy rain.",
    "Nothing beats a walk along the river at dawn.",
    "I'm looking for a book about the history of the Roman empire.",
    "Could you send the invoice to accounts@example.com please?",
    "Call us at +1 (555) 010-4477 or +44 20 7946 0958.",
    "Meeting notes: budget approved; hiring freeze lifted; next steps TBD.",
    "We're open Mon-Fri 9:00-17:30, Sat 10:00-14:00 & closed Sundays.",
    "What's the difference between 'affect' and 'effect'?",
    "If you select all and then drop the files here, they upload at once.",
    "From the top: where were we? Oh yes, the union of the two sets.",
    "She asked, \"where is the station?\" and I pointed left.",
    "Quote of the day: \"Simplicity is the ultimate sophistication.\"",
    "P.S. Bring snacks; it's a long drive.",
    "Price: $19.99 (was $29.99) - save 33%!",
    "Use code SPRING-24 at checkout for 10% off.",
    "My order #10442 arrived damaged; can I get a replacement?",
    "Ticket 4471: the login page shows a blank screen in Safari.",
    "Hi, I'm new here - any tips for a beginner?",
    "Great article! I learned a lot about sourdough starters.",
    "Not sure if this is the right forum, but: how do I reset my router?",
    "The password must be 8-64 characters & include a number.",
    "To be or not to be, that is the question.",
    "All's well that ends well.",
    "We shall fight on the beaches, we shall fight on the landing grounds.",
    "One small step for man, one giant leap for mankind.",
    "Where there's a will, there's a way.",
    "I'll be back in 5 min - grab a seat.",
    "The kids' toys are in the hall; mind your step.",
    "Rome wasn't built in a day, and neither is good software.",
]
CODE = [
    "for i in range(10): print(i)",
    "if (a < b && c > d) { return a; }",
    "int main(void) { return 0; }",
    "git commit -m 'Fix typo in README'",
    "npm install --save lodash",
    "pip install requests==2.31.0",
    "console.log(\"hello, world\");",
    "x = [n * 2 for n in xs if n % 2 == 0]",
    "const sum = (a, b) => a + b;",
    "SELECT name FROM people is what my teacher wrote on the board",
    "docker run -p 8080:80 nginx:latest",
    "ssh user@example.org -p 2222",
    "def greet(name): return f'Hello, {name}!'",
    "printf(\"%d items\\n\", count);",
    "std::vector<int> v{1, 2, 3};",
    "let mut total: u64 = 0;",
    "#include <stdio.h>",
    "array.map(x => x * 2).filter(Boolean)",
    "grep -i error app.log | wc -l",
    "ls -la ~/Documents",
    "=SUM(A1:A10)",
    "=IF(B2>100, \"high\", \"low\")",
    "body { margin: 0; font-family: sans-serif; }",
    "a:hover { color: #336699; }",
    "<b>bold</b> and <i>italic</i>",
    "Use <br> for a line break in the old editor",
    "2 < 3 and 5 > 4",
    "E = mc^2",
    "x^2 + y^2 = r^2",
    "f(x) = 3x + 2",
    "#!/bin/bash is the first line of my script",
    "C:\\Users\\Anna\\Documents\\report.docx",
    "/home/anna/photos/2023/summer",
    "~/projects/bouncer/README",
    "regex: ^[a-z0-9_-]{3,16}$",
    "SUM(price) / COUNT(*) gives the mean",
    "{\"name\": \"Anna\", \"age\": 31}",
    "{\"items\": [1, 2, 3], \"total\": 6}",
    "[{\"id\": 1}, {\"id\": 2}]",
    "{\"query\": \"red shoes\", \"page\": 2}",
    "key=value; other=thing",
    "name: John O'Reilly, role: editor",
    "TODO: refactor the parser (see #42)",
    "v1.2.3-beta+build.45",
    "SHA256: 9f86d081884c7d659a2feaa0c55ad015",
    "UUID 123e4567-e89b-12d3-a456-426614174000",
    "RGB(255, 128, 0) or #ff8000",
    "1,234,567.89",
    "1.234.567,89 €",
    "-3.14e-10",
    "0x1F and 0b1010",
    "lat 51.5074, lon -0.1278",
]
MARKDOWN = [
    "**bold** and _italic_ and `code`",
    "[link text](https://example.com/page?id=3)",
    "# Heading one",
    "## Installation",
    "- item one - item two - item three",
    "1. first 2. second 3. third",
    "> quoted text from the previous post",
    "![alt text](/img/cat.png \"a cat\")",
    "| col a | col b | |---|---| | 1 | 2 |",
    "~~strikethrough~~ is supported too",
    "```python print('hi') ```",
    "See the footnote[^1].",
]
FILES = ["report-2023.pdf", "my photo (1).jpg", "Résumé_final_v2.docx",
         "budget Q3 (draft).xlsx", "IMG_20230815_142233.HEIC", "notes.txt",
         "Mary's birthday.png", "backup.tar.gz", "index.html", "styles.min.css",
         "song - live version.mp3", "scan 0001.tiff", "contract_signed.PDF",
         "data.csv", "archive.7z", "presentation.key", "thesis chapter 3.odt",
         "setup.exe", "README.md", "Dockerfile", "package.json", "main.c"]
DOMAINS = ['example.com', 'example.org', 'mail.example.net', 'uni.example.ac.uk',
           'example.de', 'xn--mnchen-3ya.example', 'shop.example.co.jp']
FOREIGN = [
    "Wo finde ich den nächsten Bahnhof?",
    "Ich hätte gern ein Stück Käsekuchen, bitte.",
    "Où est la bibliothèque ? J'ai besoin d'un livre.",
    "C'est la vie, n'est-ce pas ?",
    "L'été dernier, nous sommes allés à la plage d'Étretat.",
    "¿Dónde está el baño? Gracias.",
    "Me gustaría reservar una mesa para dos personas.",
    "Qual è il prezzo di questo libro?",
    "Dov'è l'albergo più vicino?",
    "Onde fica a estação de comboios?",
    "Hoe laat vertrekt de trein naar Utrecht?",
    "Hvor er nærmeste apotek?",
    "Var ligger närmaste busshållplats?",
    "Gdzie jest najbliższa apteka?",
    "Kde je nejbližší nádraží?",
    "Hol van a legközelebbi bank?",
    "Где находится ближайшая станция метро?",
    "Спасибо за помощь, всё работает!",
    "Скільки коштує квиток до Києва?",
    "Πού είναι το πλησιέστερο φαρμακείο;",
    "En yakın eczane nerede?",
    "أين أقرب محطة قطار؟",
    "شكرا جزيلا على المساعدة",
    "איפה התחנה הקרובה?",
    "सबसे नज़दीकी अस्पताल कहाँ है?",
    "最寄りの駅はどこですか？",
    "このレストランはとても美味しいです。",
    "请问最近的地铁站在哪里？",
    "谢谢你的帮助！",
    "這本書多少錢？",
    "가장 가까운 약국이 어디에 있나요?",
    "ที่ใกล้ที่สุดอยู่ที่ไหน",
    "Gần đây có nhà thuốc nào không?",
    "Di mana stasiun kereta terdekat?",
    "Nasaan ang pinakamalapit na ospital?",
    "Habari za asubuhi, rafiki yangu!",
    "Cá bhfuil an stáisiún traenach is gaire?",
    "Ble mae'r orsaf drenau agosaf?",
    "Hvar er næsta strætóstoppistöð?",
    "Kus on lähim apteek?",
    "Missä on lähin rautatieasema?",
]
MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July',
          'August', 'September', 'October', 'November', 'December']

try:
    with open('/usr/share/dict/american-english', encoding='utf-8') as f:
        WORDS = [w.strip() for w in f if w.strip().isalpha() and w.strip().islower()
                 and 3 <= len(w.strip()) <= 9]
except OSError:
    WORDS = []
# The generated file must not depend on the dictionary being there: the
# committed output was made with it (wamerican 2020.12.07); without it a
# fixed vocabulary is used instead.
if not WORDS:
    WORDS = sorted(set(' '.join(PROSE).lower().replace(',', ' ').replace('.', ' ').split()))

for s in PROSE + CODE + MARKDOWN + FILES + FOREIGN + PRODUCTS + PLACES:
    emit(s)

for f in FIRST:
    for l in R.sample(APOS_LAST, 5):
        emit('%s %s' % (f, l))
    emit("%s's account settings" % f)
    emit("%s's birthday party on %s %d" % (f, R.choice(MONTHS), R.randint(1, 28)))
for l in APOS_LAST:
    emit("Dear Mr. %s," % l)
    emit("%s & Sons Ltd." % l.split()[-1])
    emit("%s family reunion %d" % (l, R.randint(1990, 2025)))

for _ in range(500):
    h, n = R.choice(SEARCH_HEADS), R.choice(NOUNS)
    if h == 'near me':
        emit('%s near me' % n)
    elif R.random() < 0.3:
        emit('%s %s %s' % (h, R.choice(VERBS), n))
    else:
        emit('%s %s' % (h, n))
for _ in range(150):
    emit('%s %s in %s' % (R.choice(['hotels', 'restaurants', 'weather', 'jobs',
                                    'events', 'apartments', "children's museums"]),
                          R.choice(['', 'cheap', 'best', 'open now']), R.choice(PLACES)))
for p in PRODUCTS:
    emit('%s review' % p)
    emit('%s price' % p)
    emit("is the %s worth it?" % p)

# e-mail addresses, URLs, phone numbers, dates
for f in FIRST + [l.replace(' ', '') for l in APOS_LAST]:
    base = f.lower().replace(' ', '.').replace("'", R.choice(["'", '', '.']))
    emit('%s@%s' % (base, R.choice(DOMAINS)))
    emit('%s+newsletter@%s' % (base.split('.')[0], R.choice(DOMAINS)))
for _ in range(120):
    host = R.choice(DOMAINS)
    path = '/'.join(R.sample(WORDS, R.randint(1, 3)))
    q = '&'.join('%s=%s' % (R.choice(WORDS), R.choice(WORDS + ['1', '2', 'true']))
                 for _ in range(R.randint(0, 3)))
    emit('https://%s/%s%s' % (host, path, ('?' + q) if q else ''))
for _ in range(80):
    y, m, d = R.randint(1950, 2030), R.randint(1, 12), R.randint(1, 28)
    emit(R.choice(['%04d-%02d-%02d' % (y, m, d), '%02d/%02d/%04d' % (d, m, y),
                   '%d %s %d' % (d, MONTHS[m - 1], y), '%s %d, %d' % (MONTHS[m - 1], d, y),
                   '%04d-%02d-%02dT%02d:%02d:00Z' % (y, m, d, R.randint(0, 23), R.randint(0, 59))]))
for _ in range(40):
    emit('+%d %d %d %04d' % (R.randint(1, 99), R.randint(10, 999), R.randint(100, 999), R.randint(0, 9999)))

# JSON-ish fragments, key: value lists
for _ in range(80):
    k1, k2 = R.sample(WORDS, 2)
    emit(R.choice(['{"%s": "%s", "%s": %d}' % (k1, R.choice(WORDS), k2, R.randint(0, 999)),
                   '{"%s": [%d, %d], "%s": null}' % (k1, R.randint(0, 9), R.randint(0, 9), k2),
                   '%s: %s, %s: %s' % (k1, R.choice(WORDS), k2, R.choice(WORDS)),
                   '{"%s": {"%s": true}}' % (k1, k2)]))

# free-text comments and reviews built from the word list
OPEN = ['I think', 'Honestly,', 'In my opinion', 'To be fair,', 'Update:',
        'Quick question:', 'Just wondering,', 'FYI', "I'd say", "We've found that"]
for _ in range(700):
    n = R.randint(4, 14)
    words = R.sample(WORDS, n)
    s = ' '.join(words)
    r = R.random()
    if r < 0.35:
        s = '%s %s.' % (R.choice(OPEN), s)
    elif r < 0.5:
        s = s.capitalize() + '?'
    elif r < 0.6:
        s = "%s's %s" % (R.choice(FIRST), s)
    elif r < 0.7:
        s = '%s - %s!' % (s.capitalize(), R.choice(['thanks', 'great', "can't wait", 'love it']))
    elif r < 0.8:
        s = '"%s," she said.' % s.capitalize()
    else:
        s = s.capitalize() + '.'
    emit(s)

# search terms with the words a naive filter fears, used innocently
for _ in range(150):
    emit('%s %s %s' % (R.choice(['select', 'union', 'drop', 'update', 'delete', 'insert',
                                 'exec', 'script', 'alert', 'shell', 'cat', 'ping',
                                 'sleep', 'order', 'from', 'where', 'or', 'and', 'join']),
                       R.choice(WORDS), R.choice(NOUNS)))

seen = set()
for s in OUT:
    if s not in seen:
        seen.add(s)
        sys.stdout.write(s + '\n')
