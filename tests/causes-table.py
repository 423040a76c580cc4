#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Print docs/diagnosis.md's catalogue table from src/causes.c: one row per
cause, in the catalogue's order, with every text and code that names it
and the source each row gives.  tests/run-diagnosis.py fails when the
table in the document differs from this output; after changing
src/causes.c, paste it between the document's table markers.
    usage: python3 tests/causes-table.py [src/causes.c]"""
import re
import sys

GROUPS = ("other_texts", "broad_texts", "sequence_rules", "relay_texts",
          "relay_codes", "code_rules")


def stages(st):
    return ", ".join(x.lower().replace("_", "-")
                     for x in re.findall(r"ST\((\w+)\)", st or ""))


def table(src):
    cat = src[src.index("static const struct cause_info causes[] = {"):
              src.index("/* Reply to cause.")]
    names = re.findall(r'\{\s*"([a-z0-9-]+)",\s*"([^"]*)"', cat)
    rows = {}
    for g in GROUPS:
        i = src.index("static const struct cause_row %s[]" % g)
        body = src[i:src.index("};", i)]
        for m in re.finditer(
                r'TEXT(?:_AT)?\(\s*"([^"]*)",\s*(?:((?:ST\(\w+\)\s*\|?\s*)+),'
                r'\s*)?"([a-z0-9-]+)",\s*((?:"[^"]*"\s*)+)\)', body):
            needle, st, cause, s = m.groups()
            at = " (at %s)" % stages(st) if st else ""
            later = " (after the relay texts)" if g == "broad_texts" else ""
            rows.setdefault(cause, []).append('"%s"%s%s: %s' % (
                needle, at, later, "".join(re.findall(r'"([^"]*)"', s))))
        for m in re.finditer(
                r'CODE\(\s*(\d+),\s*(\d+),\s*"([^"]*)",\s*([^,]+),\s*'
                r'"([a-z0-9-]+)",\s*((?:"[^"]*"\s*)+)\)', body):
            lo, hi, enh, st, cause, s = m.groups()
            what = []
            if lo != "0":
                what.append(lo if lo == hi else "%s-%s" % (lo, hi))
            if enh:
                what.append(enh if enh[0].isdigit() else
                            "X%s%s" % (enh, "x" if enh.endswith(".") else ""))
            at = " (at %s)" % stages(st) if stages(st) else ""
            rows.setdefault(cause, []).append("%s%s: %s" % (
                " ".join(what), at, "".join(re.findall(r'"([^"]*)"', s))))
    out = ["| cause | phrase | matched by: text (lower case, a substring) "
           "or code, and where it comes from |", "|---|---|---|"]
    for n, phrase in names:
        r = rows.get(n)
        out.append("| `%s` | %s | %s |" % (
            n, phrase, "; ".join(r).replace("|", "\\|") if r else
            "no reply names it: see \"Causes without a reply\""))
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    with open(sys.argv[1] if len(sys.argv) > 1 else "src/causes.c") as f:
        sys.stdout.write(table(f.read()))
