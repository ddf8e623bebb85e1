#!/usr/bin/env python3
"""Turns Wine's ReportEventW debug output into eventlog.txt lines.

Wine's ReportEventW is a stub: with WINEDEBUG=fixme+advapi,+eventlog it prints
the call (`fixme:advapi:ReportEventW (handle,type,category,ID,sid,nstrings,...)`)
and then each insertion string on the `eventlog` channel (`trace:` for
information, `warn:` for warnings, `err:` for errors) as a debugstr_w literal.
This reads that from stdin and writes, per call and in order:
    id=<event ID> type=<information|warning|error> <strings joined by " | ">
The event ID is the low 16 bits of the message ID (what Event Viewer shows).
Wine cuts a string longer than about 290 characters in its trace ("...").
"""
import re
import sys

CALL = re.compile(r'^([0-9a-f]+):fixme:advapi:ReportEventW \(([^)]*)\)')
STRING = re.compile(r'^([0-9a-f]+):(?:trace|warn|err|fixme):eventlog:ReportEventW (L".*)$')
TYPES = {1: "error", 2: "warning", 4: "information", 0: "success", 8: "audit-success", 16: "audit-failure"}


def decode(lit):
    """Decodes Wine's debugstr_w form: L"..." with \\n \\r \\t \\" \\\\ and \\XXXX."""
    m = re.match(r'^L"(.*)"(\.\.\.)?$', lit)
    if not m:
        return lit
    s, out, i = m.group(1), [], 0
    while i < len(s):
        c = s[i]
        if c == '\\' and i + 1 < len(s):
            n = s[i + 1]
            if n in 'nrt"\\':
                out.append({'n': '\n', 'r': '\r', 't': '\t', '"': '"', '\\': '\\'}[n])
                i += 2
                continue
            h = s[i + 1:i + 5]
            if re.fullmatch(r'[0-9a-fA-F]{4}', h):
                out.append(chr(int(h, 16)))
                i += 5
                continue
        out.append(c)
        i += 1
    text = ''.join(out)
    # Surrogate pairs arrive as two \XXXX escapes.
    text = text.encode('utf-16', 'surrogatepass').decode('utf-16', 'replace')
    return text + ('...' if m.group(2) else '')


def main():
    pending = {}  # thread -> [event_id, type, expected, strings]
    order = []
    for line in sys.stdin:
        line = line.rstrip('\n')
        m = CALL.match(line)
        if m:
            args = [a.strip() for a in m.group(2).split(',')]
            etype = TYPES.get(int(args[1], 16), args[1])
            msg_id = int(args[3], 16)
            nstrings = int(args[5], 16)
            rec = [msg_id & 0xFFFF, etype, nstrings, []]
            order.append(rec)
            pending[m.group(1)] = rec
            continue
        m = STRING.match(line)
        if m and m.group(1) in pending:
            rec = pending[m.group(1)]
            if len(rec[3]) < rec[2]:
                rec[3].append(decode(m.group(2)))
    for event_id, etype, _, strings in order:
        text = ' | '.join(s.replace('\r\n', ' ').replace('\n', ' ') for s in strings)
        sys.stdout.write('id=%d type=%s %s\n' % (event_id, etype, text))


if __name__ == '__main__':
    main()
