#!/usr/bin/env python3
"""Every metric the farm's alert rules and dashboard query is one LeakWatch
writes (issue 16). Reads a metrics file the real leakwatch.exe wrote (the
names of its samples, and each one's label names), then the PromQL of

  - config/prometheus/leakwatch-rules.yml (every `expr:`), and
  - config/grafana/leakwatch-farm-dashboard.json (every panel target's `expr`)

and fails for a metric name that is not in the file (but Prometheus' own
`up`), and for a label matcher on a leakwatch_ metric naming a label the
file does not have on it (but `instance` and `job`, which Prometheus adds).
A misspelled name and an unknown label are fed to the same check first: it
must notice both.
usage: check_metric_names.py METRICS_FILE SOURCE_DIR
"""
import json
import re
import sys

RULES = "config/prometheus/leakwatch-rules.yml"
DASHBOARD = "config/grafana/leakwatch-farm-dashboard.json"
NOT_OURS = {"up"}  # Prometheus' own, per scrape target
SCRAPE_LABELS = {"instance", "job"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
            "unless", "offset", "bool", "inf", "nan"}
NAME_RE = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
SAMPLE_RE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(\{([^}]*)\})?\s+\S+")


def read_metrics(path):
    """name -> set of label names, from a Prometheus text file."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line or line.startswith("#"):
                continue
            m = SAMPLE_RE.match(line)
            if not m:
                raise SystemExit(f"FAIL: {path}: not a sample line: {line!r}")
            labels = set(re.findall(r'([A-Za-z_][A-Za-z0-9_]*)="', m.group(3) or ""))
            out.setdefault(m.group(1), set()).update(labels)
    return out


def rule_exprs(text):
    """The `expr:` of each rule, folded (`>-`) or on one line."""
    exprs, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        m = re.match(r"^(\s*)expr:\s*(.*)$", lines[i])
        i += 1
        if not m:
            continue
        if m.group(2) not in (">-", ">", "|", "|-"):
            exprs.append(m.group(2))
            continue
        indent, body = len(m.group(1)), []
        while i < len(lines) and (not lines[i].strip() or
                                  len(lines[i]) - len(lines[i].lstrip()) > indent):
            body.append(lines[i].strip())
            i += 1
        exprs.append(" ".join(body))
    return exprs


def dashboard_exprs(dash):
    exprs = []
    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                exprs.append((p.get("title", "?"), t.get("expr", "")))
            walk(p.get("panels", []))
    walk(dash.get("panels", []))
    return exprs


def problems(expr, metrics):
    """What is wrong with one PromQL expression against the metrics file."""
    out = []
    if not expr.strip():
        return ["an empty query"]
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings
    # Label matchers of each selector: checked, then removed.
    for m in re.finditer(r"([A-Za-z_:][A-Za-z0-9_:]*)?\s*\{([^}]*)\}", e):
        name = m.group(1)
        for label in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)", m.group(2)):
            if name and name.startswith("leakwatch_") and name in metrics and \
                    label not in metrics[name] and label not in SCRAPE_LABELS:
                out.append(f"{name} has no label {label}")
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)  # ranges
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\$[A-Za-z_]+", " ", e)  # dashboard variables
    e = re.sub(r"\b\d+(\.\d+)?(ms|[smhdwy])?\b", " ", e)  # numbers, durations
    for m in NAME_RE.finditer(e):
        word = m.group(0)
        rest = e[m.end():].lstrip()
        if word.lower() in KEYWORDS or rest.startswith("(") or re.match(r"\d", word):
            continue  # a keyword or a function
        if word in NOT_OURS:
            continue
        if word not in metrics:
            out.append(f"{word} is not a metric LeakWatch writes")
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    metrics = read_metrics(sys.argv[1])
    if not any(n.startswith("leakwatch_") for n in metrics):
        print(f"FAIL: {sys.argv[1]} has no leakwatch_ metric", file=sys.stderr)
        return 1
    # The check must notice a misspelled name and an unknown label.
    for bad in ('leakwatch_pinned_sesion_ids > 0', 'leakwatch_alerts_total{eventid="2001"}'):
        if not problems(bad, metrics):
            print(f"FAIL: self-test: the check does not notice what is wrong in {bad}",
                  file=sys.stderr)
            return 1
    src = sys.argv[2]
    with open(f"{src}/{RULES}", encoding="utf-8") as f:
        rules = [(f"{RULES} rule {i + 1}", e) for i, e in enumerate(rule_exprs(f.read()))]
    with open(f"{src}/{DASHBOARD}", encoding="utf-8") as f:
        panels = [(f"{DASHBOARD} panel '{t}'", e) for t, e in dashboard_exprs(json.load(f))]
    fails, used = 0, set()
    for where, expr in rules + panels:
        for p in problems(expr, metrics):
            print(f"FAIL: {where}: {p}: {expr}", file=sys.stderr)
            fails += 1
        used.update(n for n in NAME_RE.findall(expr) if n.startswith("leakwatch_"))
    if len(rules) < 5 or len(panels) < 10:
        print(f"FAIL: found only {len(rules)} rule and {len(panels)} panel queries", file=sys.stderr)
        fails += 1
    if fails:
        return 1
    print(f"ok: {len(rules)} rule and {len(panels)} dashboard queries use {len(used)} metric "
          f"names, all written by LeakWatch ({sys.argv[1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
