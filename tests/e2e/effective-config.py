#!/usr/bin/env python3
"""Reads one value from `leakwatch config check` output (the effective
configuration, a flat YAML subset that we write ourselves) on stdin.
usage: effective-config.py database | poll_interval_ms"""
import re
import sys

UNITS = {'ms': 1, 's': 1000, 'm': 60000, 'h': 3600000, 'd': 86400000}
want = sys.argv[1]
for line in sys.stdin:
    m = re.match(r'^([a-z_]+): (.*?)(\s+# .*)?$', line.rstrip('\r\n'))
    if not m:
        continue
    key, value = m.group(1), m.group(2)
    if value.startswith("'") and value.endswith("'"):
        value = value[1:-1].replace("''", "'")
    if want == 'database' and key == 'database':
        print(value)
        sys.exit(0)
    if want == 'poll_interval_ms' and key == 'poll_interval':
        d = re.fullmatch(r'(\d+)(ms|s|m|h|d)', value)
        print(int(d.group(1)) * UNITS[d.group(2)])
        sys.exit(0)
sys.exit('effective-config: no %s in the configuration' % want)
