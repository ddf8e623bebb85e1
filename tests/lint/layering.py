#!/usr/bin/env python3
"""Layering lint (issue 11), run by layering.sh: reads the product's C sources
(common/, service/, installer/) as text and checks

  - no circle between files, by includes or by calls of (or references to)
    functions defined in another file;
  - common/ never includes from service/, nor any Windows header; service/os/
    and service/cli/ never include the host's headers (service/), nor os/ the
    CLI's: includes point down only;
  - only service/os/ includes the NT-level headers (winternl.h, ntsecapi.h, ...);
  - the event table (common/events.h) and the message table
    (service/os/messages.mc) agree: the same events, IDs, severities, and
    insertion strings %1..%n;
  - README's table of the alerts' insertion strings by name lists each
    event's LW_INSERTS_<ID> names of events.h, in order, and so does the
    `<ID> inserts: %1 NAME, %2 NAME, ...` comment before each alert's message
    in messages.mc;
  - no source file over 900 lines, no function over 100 lines, except the
    entries of the allow-list, each with its reason (an entry that is no
    longer needed is an error too, so the list only shrinks).

It relies on the clang-format layout (a function definition starts at column 0
and ends at the first `}` alone at column 0). Usage:
  layering.py ROOT [--allow FILE] [--figures]
--figures prints files and lines per folder, circles, largest file and longest
function, and does not fail.
"""
import os
import re
import sys

PRODUCT_DIRS = ("common", "service", "installer")
MAX_FILE_LINES = 900
MAX_FUNCTION_LINES = 100
# Headers whose point is calling the NT/LSA/WTS/security APIs: only adapters use them.
NT_HEADERS = {"winternl.h", "ntsecapi.h", "ntstatus.h", "sddl.h", "aclapi.h", "wtsapi32.h",
              "psapi.h", "tlhelp32.h", "ntdef.h", "subauth.h"}
# Any Windows header: never in common/ (portable, built natively).
WINDOWS_HEADERS = NT_HEADERS | {"windows.h", "shellapi.h", "shlobj.h", "knownfolders.h",
                                "winsvc.h", "winbase.h", "winnt.h", "msi.h", "msiquery.h"}

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
IDENT_RE = re.compile(r"(?<![\w.>])([A-Za-z_]\w*)")


def product_files(root):
    out = []
    for top in PRODUCT_DIRS:
        base = os.path.join(root, top)
        for d, dirs, files in os.walk(base):
            dirs.sort()
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    out.append(os.path.relpath(os.path.join(d, f), root))
    return out


def strip_code(text):
    """Comments, strings and character literals blanked (lines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * max(0, min(j, n) - i - 1) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(lines):
    """(name, is_static, first line, last line) of each definition, 1-based."""
    found, i = [], 0
    while i < len(lines):
        line = lines[i]
        if re.match(r"[A-Za-z_]", line) and not re.match(r"(typedef|struct|enum|union)\b.*[{;]\s*$",
                                                          line):
            sig, j = line, i
            while not sig.rstrip().endswith(("{", ";")) and j + 1 < len(lines) and j - i < 8:
                j += 1
                sig += " " + lines[j].strip()
            head = sig.split("(", 1)[0] if "(" in sig else ""
            m = re.search(r"([A-Za-z_]\w*)\s*$", head)
            if sig.rstrip().endswith("{") and m and "=" not in head:
                end = j + 1
                while end < len(lines) and lines[end].rstrip() != "}":
                    end += 1
                found.append((m.group(1), head.lstrip().startswith("static"), i + 1, end + 1))
                i = end + 1
                continue
            i = j + 1
            continue
        i += 1
    return found


def layer(path):
    """service/os/, service/cli/, service/ (the host), common/, ..."""
    for top in ("service/os/", "service/cli/"):
        if path.startswith(top):
            return top
    return path.split("/", 1)[0] + "/"


def resolve(inc, src, files_set, by_name):
    near = os.path.normpath(os.path.join(os.path.dirname(src), inc))
    if near in files_set:
        return near
    cands = sorted(f for f in by_name.get(os.path.basename(inc), []) if f.endswith(inc))
    return cands[0] if cands else None


def sccs(graph):
    """Tarjan: the strongly connected components with more than one node."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


EVENT_ROW_RE = re.compile(r"X\((\w+),\s*(\d+),\s*(\w+),\s*(\w+),\s*(\d+),\s*([01])\)")


def check_events(root):
    """events.h's rows against messages.mc's messages; problems as text."""
    table = os.path.join(root, "common", "events.h")
    mc = os.path.join(root, "service", "os", "messages.mc")
    if not os.path.exists(table) and not os.path.exists(mc):
        return []
    problems = []
    with open(table, encoding="utf-8") as f:
        rows = {m.group(1): m for m in EVENT_ROW_RE.finditer(f.read())}
    if not rows:
        return ["common/events.h: no LW_EVENTS rows found"]
    with open(mc, encoding="utf-8") as f:
        mc_lines = f.read().split("\n")
    messages, categories, cur, text = {}, set(), {}, None
    for line in mc_lines:
        if text is not None:
            if line.rstrip() == ".":
                cur["text"] = "\n".join(text)
                text = None
            else:
                text.append(line)
            continue
        m = re.match(r"(MessageId|Severity|SymbolicName)=(\S+)", line)
        if m:
            if m.group(1) == "MessageId":
                cur = {}
            cur[m.group(1)] = m.group(2)
        elif line.startswith("Language="):
            text = []
            name = cur.get("SymbolicName", "")
            if name.startswith("LW_MSG_"):
                messages[name[len("LW_MSG_"):]] = cur
            elif name.startswith("LW_CATEGORY_"):
                categories.add(name[len("LW_CATEGORY_"):])
    for name, m in sorted(rows.items()):
        msg = messages.get(name)
        if msg is None:
            problems.append(f"common/events.h: {name} has no LW_MSG_{name} in messages.mc")
            continue
        if int(msg.get("MessageId", "-1"), 0) != int(m.group(2)):
            problems.append(f"common/events.h: {name} is {m.group(2)}, messages.mc says "
                            f"{msg.get('MessageId')}")
        if msg.get("Severity", "").upper() != m.group(3):
            problems.append(f"common/events.h: {name} is {m.group(3)}, messages.mc says "
                            f"{msg.get('Severity')}")
        if m.group(4) not in categories:
            problems.append(f"common/events.h: {name}'s category {m.group(4)} is not an "
                            f"LW_CATEGORY_ of messages.mc")
        used = {int(k) for k in re.findall(r"%(\d+)", msg.get("text", "").replace("%%", ""))}
        want = set(range(1, int(m.group(5)) + 1))
        if used != want:
            problems.append(f"common/events.h: {name} takes {m.group(5)} insertion strings, "
                            f"messages.mc's text uses {sorted(used)}")
    for name in sorted(set(messages) - set(rows)):
        problems.append(f"service/os/messages.mc: LW_MSG_{name} has no row in common/events.h")
    return problems


INSERT_NAME_RE = re.compile(r"F\((\d+),\s*(\w+)\)")
README_NAMES_RE = re.compile(r"^\| (\d{4}) \| ([A-Z_]+(?:, [A-Z_]+)*) \|$", re.M)


def events_h_insert_names(root):
    """{event ID: [NAME, ...]} from events.h's LW_INSERTS_<ID>; None without it."""
    table = os.path.join(root, "common", "events.h")
    if not os.path.exists(table):
        return None
    code = {}
    with open(table, encoding="utf-8") as f:
        for m in INSERT_NAME_RE.finditer(f.read()):
            code.setdefault(m.group(1), []).append(m.group(2))
    return code


def check_insert_names(root):
    """events.h's LW_INSERTS_<ID> names against README's table of them."""
    code = events_h_insert_names(root)
    readme = os.path.join(root, "README.md")
    if code is None or not os.path.exists(readme):
        return []
    with open(readme, encoding="utf-8") as f:
        doc = {m.group(1): m.group(2).split(", ") for m in README_NAMES_RE.finditer(f.read())}
    problems = []
    for event in sorted(set(code) | set(doc)):
        if code.get(event) != doc.get(event):
            problems.append(f"README.md: {event}'s insertion strings by name are "
                            f"{', '.join(doc.get(event, ['(none)']))}; common/events.h says "
                            f"{', '.join(code.get(event, ['(none)']))}")
    return problems


MC_INSERTS_RE = re.compile(r";/\* (\d{4}) inserts:(.*?)\*/", re.S)
MC_NAME_RE = re.compile(r"%(\d+)\s+(?:;\s*\*\s*)?([A-Z][A-Z_]*)")  # across "; *" breaks


def check_mc_insert_names(root):
    """events.h's LW_INSERTS_<ID> names against messages.mc's comments."""
    code = events_h_insert_names(root)
    mc = os.path.join(root, "service", "os", "messages.mc")
    if code is None or not os.path.exists(mc):
        return []
    doc = {}
    with open(mc, encoding="utf-8") as f:
        for m in MC_INSERTS_RE.finditer(f.read()):
            pairs = MC_NAME_RE.findall(m.group(2))
            if [int(n) for n, _ in pairs] != list(range(1, len(pairs) + 1)):
                doc[m.group(1)] = ["(positions out of order)"]
            else:
                doc[m.group(1)] = [name for _, name in pairs]
    problems = []
    for event in sorted(set(code) | set(doc)):
        if code.get(event) != doc.get(event):
            problems.append(f"service/os/messages.mc: {event}'s inserts comment names "
                            f"{', '.join(doc.get(event, ['(no comment)']))}; common/events.h "
                            f"says {', '.join(code.get(event, ['(none)']))}")
    return problems


def load_allow(path):
    allow, problems = {}, []
    if not path:
        return allow, problems
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) < 3 or parts[0] not in ("file", "function") or len(parts[2]) < 10:
                problems.append(f"{path}:{n}: want `file PATH REASON` or "
                                f"`function PATH:NAME REASON`, with a reason")
                continue
            allow[(parts[0], parts[1])] = parts[2]
    return allow, problems


def analyse(root):
    files = product_files(root)
    files_set = set(files)
    by_name = {}
    for f in files:
        by_name.setdefault(os.path.basename(f), []).append(f)
    texts = {}
    for f in files:
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            texts[f] = fh.read()
    inc_graph, problems, funcs = {}, [], {}
    for f in files:
        inc_graph[f] = set()
        for n, line in enumerate(texts[f].splitlines(), 1):
            m = INCLUDE_RE.match(line)
            if not m:
                continue
            kind, inc = m.groups()
            base = os.path.basename(inc).lower()
            if f.startswith("common/") and base in WINDOWS_HEADERS:
                problems.append(f"{f}:{n}: common/ is portable: no <{inc}>")
            if base in NT_HEADERS and not f.startswith("service/os/"):
                problems.append(f"{f}:{n}: <{inc}> is for OS adapters: only service/os/ includes it")
            if kind == '"':
                target = resolve(inc, f, files_set, by_name)
                if target is None:
                    continue  # generated (messages.h) or a test header
                if f.startswith("common/") and target.startswith("service/"):
                    problems.append(f"{f}:{n}: common/ includes {target} from service/")
                if f.startswith(("service/os/", "service/cli/")) and layer(target) == "service/":
                    problems.append(f"{f}:{n}: {layer(f)} includes {target}: the host's files "
                                    f"are above it")
                if f.startswith("service/os/") and target.startswith("service/cli/"):
                    problems.append(f"{f}:{n}: service/os/ includes {target}: the CLI is above it")
                if target != f:
                    inc_graph[f].add(target)
        if f.endswith(".c"):
            funcs[f] = functions(strip_code(texts[f]).splitlines())
    # Which file defines each non-static function.
    owner = {}
    for f, fl in funcs.items():
        for name, is_static, _, _ in fl:
            if not is_static:
                owner.setdefault(name, f)
    call_graph = {}
    for f in funcs:
        own = {name for name, _, _, _ in funcs[f]}
        used = set(IDENT_RE.findall(strip_code(texts[f])))
        call_graph[f] = {owner[u] for u in used if u in owner and u not in own and owner[u] != f}
    return files, texts, funcs, inc_graph, call_graph, problems


def main(argv):
    root, allow_path, figures = argv[1], None, False
    args = argv[2:]
    while args:
        a = args.pop(0)
        if a == "--allow":
            allow_path = args.pop(0)
        elif a == "--figures":
            figures = True
    files, texts, funcs, inc_graph, call_graph, problems = analyse(root)
    problems += check_events(root)
    problems += check_insert_names(root)
    problems += check_mc_insert_names(root)
    allow, allow_problems = load_allow(allow_path)
    problems += allow_problems
    used_allow = set()
    inc_circles, call_circles = sccs(inc_graph), sccs(call_graph)
    for comp in inc_circles:
        problems.append("include circle: " + " -> ".join(comp))
    for comp in call_circles:
        problems.append("call circle (files calling into each other): " + " <-> ".join(comp))
    sizes = {f: len(texts[f].splitlines()) for f in files}
    for f in files:
        if sizes[f] > MAX_FILE_LINES:
            key = ("file", f)
            if key in allow:
                used_allow.add(key)
            else:
                problems.append(f"{f}: {sizes[f]} lines (at most {MAX_FILE_LINES})")
    longest = ("", "", 0)
    for f, fl in sorted(funcs.items()):
        for name, _, first, last in fl:
            length = last - first + 1
            if length > longest[2]:
                longest = (f, name, length)
            if length > MAX_FUNCTION_LINES:
                key = ("function", f"{f}:{name}")
                if key in allow:
                    used_allow.add(key)
                else:
                    problems.append(f"{f}:{first}: {name}() is {length} lines "
                                    f"(at most {MAX_FUNCTION_LINES})")
    for key in sorted(set(allow) - used_allow):
        problems.append(f"{allow_path}: `{key[0]} {key[1]}` is allowed but no longer needed: "
                        f"remove the entry")
    if figures:
        folders = {}
        for f in files:
            d = os.path.dirname(f)
            cnt = folders.setdefault(d, [0, 0])
            cnt[0] += 1
            cnt[1] += sizes[f]
        for d in sorted(folders):
            print(f"{d}/: {folders[d][0]} files, {folders[d][1]} lines")
        big = max(files, key=lambda f: sizes[f])
        print(f"largest file: {big} ({sizes[big]} lines)")
        print(f"longest function: {longest[0]}:{longest[1]} ({longest[2]} lines)")
        over = sum(1 for fl in funcs.values() for fn in fl if fn[3] - fn[2] + 1 > MAX_FUNCTION_LINES)
        print(f"functions over {MAX_FUNCTION_LINES} lines: {over}")
        print(f"include circles: {len(inc_circles)}; call circles: {len(call_circles)}")
        for comp in inc_circles + call_circles:
            print("  circle: " + " <-> ".join(comp))
        return 0
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
