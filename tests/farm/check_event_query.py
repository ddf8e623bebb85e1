#!/usr/bin/env python3
"""The Event Viewer view and the WEF subscription select LeakWatch's warnings
and errors with one query (issue 16). Checks, from the source tree:

  - the query (config/eventlog/leakwatch-warnings-errors.query.xml), the view
    (installer/leakwatch-eventviewer-view.xml) and the subscription
    (config/wef/leakwatch-subscription.xml) are well-formed XML;
  - the view's <QueryList> and the subscription's (inside its CDATA) are the
    query's, element for element (whitespace between elements aside);
  - the query selects the provider LeakWatch in the Application log, and its
    event IDs are exactly the warning and error IDs of service/os/messages.mc;
  - the view is a custom view (ViewerConfig/QueryConfig/QueryNode with a
    name), the subscription a source-initiated one.

Then it checks that it notices: the same checks over copies with one ID
changed, one view query differing, a messages.mc warning more, must fail.
usage: check_event_query.py SOURCE_DIR
"""
import re
import sys
import xml.etree.ElementTree as ET

QUERY = "config/eventlog/leakwatch-warnings-errors.query.xml"
VIEW = "installer/leakwatch-eventviewer-view.xml"
SUBSCRIPTION = "config/wef/leakwatch-subscription.xml"
MESSAGES = "service/os/messages.mc"
SUB_NS = "{http://schemas.microsoft.com/2006/03/windows/events/subscription}"


def canon(el):
    """An element as a comparable tuple: tag, attributes, text, children."""
    return (el.tag, sorted(el.attrib.items()), (el.text or "").strip(),
            [canon(c) for c in el])


def warning_error_ids(mc_text):
    """MessageIds of messages.mc whose Severity is Warning or Error."""
    ids = set()
    for block in re.split(r"\n(?=MessageId=)", mc_text):
        m = re.match(r"MessageId=(\d+)", block)
        s = re.search(r"^Severity=(\w+)", block, re.M)
        if m and s and s.group(1) in ("Warning", "Error"):
            ids.add(int(m.group(1)))
    return ids


def check(texts):
    """texts: path -> file text. Returns the list of problems."""
    errors = []
    parsed = {}
    for path in (QUERY, VIEW, SUBSCRIPTION):
        try:
            parsed[path] = ET.fromstring(texts[path])
        except ET.ParseError as e:
            errors.append(f"{path}: not well-formed XML: {e}")
    if errors:
        return errors
    query = parsed[QUERY]
    if query.tag != "QueryList":
        return [f"{QUERY}: the root is <{query.tag}>, not <QueryList>"]

    view = parsed[VIEW]
    node = view.find("./QueryConfig/QueryNode")
    if view.tag != "ViewerConfig" or node is None or not (node.findtext("Name") or "").strip():
        errors.append(f"{VIEW}: not an Event Viewer custom view (ViewerConfig/QueryConfig/"
                      "QueryNode with a Name)")
    else:
        vq = node.find("QueryList")
        if vq is None or canon(vq) != canon(query):
            errors.append(f"{VIEW}: its <QueryList> differs from {QUERY}")

    sub = parsed[SUBSCRIPTION]
    if sub.tag != SUB_NS + "Subscription":
        errors.append(f"{SUBSCRIPTION}: the root is {sub.tag}, not a WEF <Subscription>")
    elif (sub.findtext(SUB_NS + "SubscriptionType") or "").strip() != "SourceInitiated":
        errors.append(f"{SUBSCRIPTION}: not a source-initiated subscription")
    else:
        cdata = (sub.findtext(SUB_NS + "Query") or "").strip()
        try:
            sq = ET.fromstring(cdata)
            if canon(sq) != canon(query):
                errors.append(f"{SUBSCRIPTION}: its <Query> differs from {QUERY}")
        except ET.ParseError as e:
            errors.append(f"{SUBSCRIPTION}: its <Query> is not a well-formed QueryList: {e}")

    selects = query.findall("./Query/Select")
    if len(selects) != 1 or selects[0].get("Path") != "Application":
        errors.append(f"{QUERY}: expected one <Select Path=\"Application\">")
        return errors
    xpath = selects[0].text or ""
    if "Provider[@Name='LeakWatch']" not in xpath:
        errors.append(f"{QUERY}: the query does not select the provider LeakWatch")
    got = [int(x) for x in re.findall(r"EventID\s*=\s*(\d+)", xpath)]
    want = warning_error_ids(texts[MESSAGES])
    if len(got) != len(set(got)):
        errors.append(f"{QUERY}: an event ID is listed twice: {got}")
    if set(got) != want:
        errors.append(f"{QUERY}: event IDs {sorted(set(got))}; the warnings and errors of "
                      f"{MESSAGES} are {sorted(want)} (missing {sorted(want - set(got))}, "
                      f"extra {sorted(set(got) - want)})")
    return errors


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = sys.argv[1]
    texts = {}
    for path in (QUERY, VIEW, SUBSCRIPTION, MESSAGES):
        with open(f"{root}/{path}", encoding="utf-8") as f:
            texts[path] = f.read()
    errors = check(texts)
    for e in errors:
        print(f"FAIL: {e}", file=sys.stderr)
    if errors:
        return 1
    # The check must notice each kind of drift.
    drifts = {
        "an ID changed in the view": {VIEW: texts[VIEW].replace("EventID=2003", "EventID=2004")},
        "an ID dropped everywhere": {
            p: texts[p].replace(" or EventID=2009", "") for p in (QUERY, VIEW, SUBSCRIPTION)},
        "a new warning in messages.mc": {
            MESSAGES: texts[MESSAGES] + "\nMessageId=1199\nSeverity=Warning\n"},
        "a broken subscription": {SUBSCRIPTION: texts[SUBSCRIPTION].replace("</Subscription>", "")},
    }
    for name, change in drifts.items():
        if not check({**texts, **change}):
            print(f"FAIL: self-test: the check does not notice {name}", file=sys.stderr)
            return 1
    ids = re.findall(r"EventID=(\d+)", texts[QUERY])
    print(f"ok: the view and the subscription carry {QUERY}'s query; its {len(ids)} event IDs "
          f"are messages.mc's warnings and errors; {len(drifts)} kinds of drift noticed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
