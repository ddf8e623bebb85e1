#!/usr/bin/env python3
"""check_hostile_output.py - reads LeakWatch's output as the tools it lands in
would (issue 14) and says what is unsafe.

usage: check_hostile_output.py csv FILE...        no cell may begin with a
                                                  spreadsheet formula start
       check_hostile_output.py csv-exact FILE...  some cell does (the data as is)
       check_hostile_output.py text FILE...       no raw control character
       check_hostile_output.py html FILE...       parsed as a browser would: only
                                                  the report's own elements, no
                                                  handler or reference, and no raw
                                                  control character in its text
Each FILE is read as UTF-8 (invalid UTF-8 fails); CSV by Python's csv module
with strict=True (a malformed quote fails). Exit 0 when all hold; otherwise
one line per finding and exit 1.
"""
import csv
import html.parser
import io
import sys

FORMULA = ("=", "+", "-", "@", "\t", "\r")
BIDI = {0x061C, 0x200E, 0x200F, 0x2028, 0x2029} | set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))


def unsafe_char(ch):
    cp = ord(ch)
    if cp < 0x20 and ch != "\n":
        return True
    return cp == 0x7F or 0x80 <= cp <= 0x9F or cp in BIDI


# The elements `leakwatch report --html` writes; a name that became markup
# would add another (or an attribute below).
HTML_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "code", "section",
             "dl", "div", "dt", "dd", "svg", "g", "line", "text", "path", "rect", "table", "thead",
             "tbody", "tr", "th", "td", "span", "b", "br", "footer"}
HTML_REFS = {"src", "href", "xlink:href", "action", "formaction", "srcset", "style"}


class HtmlCheck(html.parser.HTMLParser):
    def __init__(self, path):
        super().__init__(convert_charrefs=True)
        self.path, self.bad = path, []

    def handle_starttag(self, tag, attrs):
        if tag not in HTML_TAGS:
            self.bad.append(f"{self.path}: a <{tag}> element")
        for k, v in attrs:
            if k.startswith("on") or (k in HTML_REFS and not (tag == "span" and k == "style")):
                self.bad.append(f"{self.path}: <{tag} {k}={v!r}>")

    def handle_data(self, data):
        found = [c for c in data if unsafe_char(c)]
        if found:
            self.bad.append(f"{self.path}: raw {', '.join(f'U+{ord(c):04X}' for c in found)} in {data!r}")


def cells(path):
    text = open(path, "rb").read().decode("utf-8")
    for row in csv.reader(io.StringIO(text, newline=""), strict=True):
        for cell in row:
            yield row, cell


def is_number(cell):
    try:
        int(cell)
        return True
    except ValueError:
        return False


def main(argv):
    if len(argv) < 3 or argv[1] not in ("csv", "csv-exact", "text", "html"):
        print(__doc__, file=sys.stderr)
        return 2
    bad = []
    for path in argv[2:]:
        try:
            if argv[1] == "csv":
                for row, cell in cells(path):
                    if cell.startswith(FORMULA) and not is_number(cell):
                        bad.append(f"{path}: cell {cell!r} begins with a formula start (row {row!r})")
            elif argv[1] == "csv-exact":
                if not any(cell.startswith(FORMULA) and not is_number(cell) for _, cell in cells(path)):
                    bad.append(f"{path}: no cell keeps its formula start (--csv-exact must not guard)")
            elif argv[1] == "html":
                check = HtmlCheck(path)
                check.feed(open(path, "rb").read().decode("utf-8"))
                check.close()
                bad += check.bad
            else:
                text = open(path, "rb").read().decode("utf-8")
                for n, line in enumerate(text.split("\n"), 1):
                    found = [c for c in line.rstrip("\r") if unsafe_char(c)]
                    if found:
                        bad.append(f"{path}:{n}: raw {', '.join(f'U+{ord(c):04X}' for c in found)} in {line!r}")
        except (UnicodeDecodeError, csv.Error, OSError) as e:
            bad.append(f"{path}: {e}")
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
