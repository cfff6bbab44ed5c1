#!/usr/bin/env bash
# README.md shows example files verbatim: each code block right after a line
# `<!-- example: examples/NAME.cpp -->` must equal that file (which CI compiles and runs), so the
# README's code cannot drift from code that works.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readme="$repo/README.md"

status=0
checked=0
while IFS= read -r file; do
  block="$(awk -v marker="<!-- example: $file -->" '
    $0 == marker { found = 1; next }
    found && !inside && /^```/ { inside = 1; next }
    inside && /^```/ { exit }
    inside { print }' "$readme")"
  if ! diff -u --label "$file" --label "README.md ($file)" "$repo/$file" <(printf '%s\n' "$block"); then
    echo "check_readme: README.md's copy of $file differs from the file (diff above)" >&2
    status=1
  fi
  checked=$((checked + 1))
done < <(sed -n 's/^<!-- example: \(.*\) -->$/\1/p' "$readme")

[ "$checked" -gt 0 ] || { echo "check_readme: no example markers in README.md" >&2; exit 1; }
[ "$status" -eq 0 ] && echo "check_readme: README.md matches $checked example file(s)"
exit "$status"
