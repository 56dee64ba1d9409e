#!/usr/bin/env bash
# Lists public declarations without a doc comment (`///` or `/** */` right above them, attributes
# such as @inlinable in between allowed), as `file:line: declaration`. Exits 1 when it finds any.
#
#   scripts/check-docs.sh                  every module under Sources/ (examples excluded)
#   scripts/check-docs.sh Manifests Diff   only these modules
#
# A quick textual check (no build needed); `swift package generate-documentation` with
# `--warnings-as-errors` is the thorough one.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - "$@" <<'PY'
import os, re, sys

# Every module folder except the examples and the C module maps.
modules = sys.argv[1:] or sorted(
    d for d in os.listdir("Sources")
    if d != "Examples" and not os.path.exists(os.path.join("Sources", d, "module.modulemap")))
declaration = re.compile(r"^\s*(?:@[\w.]+(?:\([^)]*\))?\s+)*(?:public|open)\s+(?!import\b)(?!extension\b)")
attribute = re.compile(r"^\s*(?:@[\w.]+(?:\([^)]*\))?\s*)+$")
# Members that are public without saying so: cases of a public enum, requirements of a public protocol.
container = re.compile(r"^\s*(?:@[\w.]+(?:\([^)]*\))?\s+)*public\s+(?:indirect\s+)?(enum|protocol)\b")
member = {"enum": re.compile(r"^\s*case\s"),
          "protocol": re.compile(r"^\s*(?:@[\w.]+\s+)*(?:static\s+|mutating\s+)*(?:func|var|init|subscript|associatedtype)\b")}
gaps = 0
for module in modules:
    for folder, _, files in os.walk(os.path.join("Sources", module)):
        for name in sorted(files):
            if not name.endswith(".swift"):
                continue
            path = os.path.join(folder, name)
            lines = open(path, encoding="utf-8").read().split("\n")
            in_block = False
            depth = 0
            open_containers = []  # (kind, depth of its members)
            for i, line in enumerate(lines):
                code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line.split("//")[0])
                opening = depth
                stripped = line.strip()
                if stripped.startswith("/*") and "*/" not in stripped:
                    in_block = True
                if in_block:
                    in_block = "*/" not in stripped
                    continue
                depth += code.count("{") - code.count("}")
                while open_containers and depth < open_containers[-1][1]:
                    open_containers.pop()
                kind = container.match(line)
                if kind and "{" in code:
                    open_containers.append((kind.group(1), opening + 1))
                inside = open_containers[-1] if open_containers else None
                implicit = inside is not None and opening == inside[1] and member[inside[0]].match(line)
                if not declaration.match(line) and not implicit:
                    continue
                j = i - 1
                while j >= 0 and (attribute.match(lines[j]) or lines[j].strip().startswith("#if")
                                  or lines[j].strip() in ("#else", "#endif")):
                    j -= 1
                previous = lines[j].strip() if j >= 0 else ""
                if previous.startswith("///") or previous.endswith("*/"):
                    continue
                gaps += 1
                print(f"{path}:{i + 1}: {stripped}")
sys.stdout.flush()
print(f"{gaps} public declaration(s) without a doc comment", file=sys.stderr)
sys.exit(1 if gaps else 0)
PY
