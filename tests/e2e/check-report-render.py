#!/usr/bin/env python3
"""check-report-render.py - reads `leakwatch report --html`'s page as written
and as Chromium rendered it (--dump-dom), and compares it with the answers
of SQL on the same database (test_report_render.sh).

usage: check-report-render.py PAGE DOM FIGURES LUIDS ALERTS
  PAGE     the file the exe wrote
  DOM      Chromium's --dump-dom of it
  FIGURES  name=value lines (data-figure names), from sqlite3
  LUIDS    the open user leaks' LUIDs, one a line
  ALERTS   event_id=count lines
Exit 0 when everything holds, else one line per difference and exit 1.
"""
import html.parser
import sys


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.figures = {}
        self.luids = []
        self.alerts = {}
        self.tags = set()
        self.csp = None
        self.refs = []
        self.svgs = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        if "data-figure" in a and "data-value" in a:
            self.figures[a["data-figure"]] = a["data-value"]
        if tag == "tr" and "data-luid" in a:
            self.luids.append(a["data-luid"])
        if tag == "tr" and "data-event-id" in a:
            self.alerts[a["data-event-id"]] = a.get("data-count")
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp = a.get("content")
        if tag == "svg" and "id" in a:
            self.svgs[a["id"]] = a
        for k, v in a.items():
            if k in ("src", "href", "xlink:href", "action", "srcset") or k.startswith("on"):
                self.refs.append(f"<{tag} {k}={v!r}>")


def parse(path):
    p = Page()
    p.feed(open(path, encoding="utf-8").read())
    return p


def pairs(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line:
            k, _, v = line.partition("=")
            out[k] = v
    return out


def main(argv):
    if len(argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    page, dom = parse(argv[1]), parse(argv[2])
    want = pairs(argv[3])
    luids = [l.strip() for l in open(argv[4], encoding="utf-8") if l.strip()]
    alerts = pairs(argv[5])
    bad = []
    for name, p in (("page", page), ("DOM", dom)):
        if p.csp is None or "default-src 'none'" not in p.csp:
            bad.append(f"{name}: no Content-Security-Policy with default-src 'none' ({p.csp!r})")
        for t in ("script", "link", "iframe", "object", "embed", "img", "base"):
            if t in p.tags:
                bad.append(f"{name}: a <{t}> element")
        bad += [f"{name}: an external reference or handler {r}" for r in p.refs]
        for chart in ("lw-chart-gap", "lw-chart-logons"):
            if chart not in p.svgs:
                bad.append(f"{name}: no <svg id={chart}>")
    # The figures, as Chromium's DOM has them, against SQL.
    for k, v in want.items():
        got = dom.figures.get(k)
        if got != v:
            bad.append(f"figure {k}: the DOM says {got!r}, SQL says {v!r}")
    if want.get("open_leaks") in (None, "", "0"):
        bad.append("SQL finds no open leak: the scenario did not leak")
    if sorted(dom.luids) != sorted(luids):
        bad.append(f"leak rows: the DOM has {len(dom.luids)} LUIDs, SQL {len(luids)}; "
                   f"only in the DOM: {sorted(set(dom.luids) - set(luids))[:5]}, "
                   f"only in SQL: {sorted(set(luids) - set(dom.luids))[:5]}")
    if dom.alerts != alerts:
        bad.append(f"alerts by event ID: the DOM says {dom.alerts}, SQL says {alerts}")
    if page.figures != dom.figures:
        bad.append(f"the figures differ between the file and the DOM: {page.figures} / {dom.figures}")
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
