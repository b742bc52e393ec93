#!/usr/bin/env bash
# clients_docs: the client recipes and their tests belong together, without
# running anything:
#   - every docs/clients/NAME.md is linked from docs/clients.md, in a table
#     row that names its test clients_NAME, and every link there resolves;
#   - tests/integration/clients/NAME.sh exists and is executable (CTest
#     registers it as clients_NAME: tests/integration/clients.cmake);
#   - every fenced block of a recipe is marked, either `<!-- recipe: BLOCK -->`
#     (a test runs it) or `<!-- not-run: why -->` (output, a shell prompt);
#   - every recipe block is asked for by NAME.sh (`recipe BLOCK` or
#     `recipe_to BLOCK ...`), and everything NAME.sh asks for exists.
# At run time lib.sh checks the same from the other side (finish_clients).
set -uo pipefail
top=${MK_SOURCE_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)}
python3 - "$top" <<'PY'
import os, re, sys
top = sys.argv[1]
fails = []
index = os.path.join(top, "docs/clients.md")
try:
    idx = open(index).read()
except OSError as e:
    sys.exit("FAIL - %s" % e)
rows = {}
for line in idx.splitlines():
    for name in re.findall(r"\]\(clients/([A-Za-z0-9_-]+)\.md\)", line):
        rows[name] = line
docdir = os.path.join(top, "docs/clients")
docs = sorted(f[:-3] for f in os.listdir(docdir) if f.endswith(".md")) if os.path.isdir(docdir) else []
if not docs:
    fails.append("docs/clients/ has no recipe")
for name in docs:
    tname = "clients_" + name.replace("-", "_")
    if name not in rows:
        fails.append("docs/clients/%s.md is not linked from docs/clients.md" % name)
    elif tname not in rows[name]:
        fails.append("docs/clients.md: the row of %s does not name its test %s" % (name, tname))
    script = os.path.join(top, "tests/integration/clients", name + ".sh")
    if not os.access(script, os.X_OK):
        fails.append("docs/clients/%s.md has no executable test tests/integration/clients/%s.sh" % (name, name))
        continue
    text = open(os.path.join(docdir, name + ".md")).read()
    sh = open(script).read()
    lines = text.splitlines()
    blocks, infence = [], False
    for i, l in enumerate(lines):
        if l.startswith("```"):
            if not infence:
                prev = lines[i - 1] if i else ""
                m = re.fullmatch(r"<!-- recipe: ([A-Za-z0-9_.-]+) -->", prev)
                if m:
                    blocks.append(m.group(1))
                elif not re.fullmatch(r"<!-- not-run: .+ -->", prev):
                    fails.append("docs/clients/%s.md:%d: a block marked neither recipe nor not-run" % (name, i + 1))
            infence = not infence
    if infence:
        fails.append("docs/clients/%s.md: a block is not closed" % name)
    if len(set(blocks)) != len(blocks):
        fails.append("docs/clients/%s.md: a recipe name is used twice" % name)
    # Calls only: at a command's start, after $( <( | && ; — not in comments or messages.
    code = "\n".join(l for l in sh.splitlines() if not l.lstrip().startswith("#"))
    asked = set(re.findall(r"(?:^[ \t]*|\$\(|<\(|\|[ \t]*|&&[ \t]*|;[ \t]*)recipe(?:_to)? ([A-Za-z0-9_.-]+)", code, re.M))
    for b in blocks:
        if b not in asked:
            fails.append("docs/clients/%s.md: block %s is run by no test (tests/integration/clients/%s.sh)" % (name, b, name))
    for b in sorted(asked - set(blocks)):
        fails.append("tests/integration/clients/%s.sh asks for block %s, which docs/clients/%s.md lacks" % (name, b, name))
for name in rows:
    if name not in docs:
        fails.append("docs/clients.md links clients/%s.md, which does not exist" % name)
for f in fails:
    print("FAIL - " + f)
print("clients_docs: %d recipes, %d failed" % (len(docs), len(fails)))
sys.exit(1 if fails else 0)
PY
