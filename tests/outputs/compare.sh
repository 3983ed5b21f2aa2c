#!/usr/bin/env bash
# Checks that two builds of trendsweep write the same results, for a change that must not
# move a number or a byte (a clean-up, a speed-up):
#
#   tests/outputs/compare.sh OLD_BINARY NEW_BINARY [GRID...]
#
# For each grid (by default experiments/grid.toml, search.toml and folds.toml):
#   1. both builds sweep it; their journals must hold the same records, field for field, but
#      the two timings (wall_seconds, steps_per_second), which no two runs share;
#   2. both builds rebuild the tables from one and the same journal (`report`): every file
#      they write must be byte-identical.
# Exits 1 naming the first difference. Build the old binary from the commit before the change,
# e.g. `git worktree add /tmp/old HEAD~1 && cargo build --manifest-path /tmp/old/Cargo.toml
# --target-dir target/old`.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 OLD_BINARY NEW_BINARY [GRID...]" >&2
  exit 2
fi
old=$(realpath "$1")
new=$(realpath "$2")
shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
grids=("$@")
if [ ${#grids[@]} -eq 0 ]; then
  grids=("$root/experiments/grid.toml" "$root/experiments/search.toml" "$root/experiments/folds.toml")
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

same_records() {
  python3 - "$1" "$2" <<'EOF'
import json, sys
def records(path):
    out = {}
    for line in open(path):
        r = json.loads(line)
        if "trial_id" not in r:
            continue
        r["result"].pop("wall_seconds", None)
        r["result"].pop("steps_per_second", None)
        out[(r["trial_id"], r.get("series"))] = r
    return out
a, b = records(sys.argv[1]), records(sys.argv[2])
if a.keys() != b.keys():
    sys.exit(f"the journals hold different trials: {len(a)} against {len(b)}")
for key in sorted(a, key=str):
    if a[key] != b[key]:
        sys.exit(f"trial {key[0]} differs")
print(f"{len(a)} records the same")
EOF
}

# Directories of the same name under different parents: the page names its directory.
mkdir -p "$work/old" "$work/new" "$work/copy"
for grid in "${grids[@]}"; do
  name=$(basename "$grid" .toml)
  echo "== $name"
  "$old" sweep "$grid" --out "$work/old/$name" --quiet > /dev/null
  "$new" sweep "$grid" --out "$work/new/$name" --quiet > /dev/null
  same_records <(cat "$work/old/$name"/journal*.jsonl) <(cat "$work/new/$name"/journal*.jsonl)
  # The tables of one journal, written by each build.
  cp -r "$work/old/$name" "$work/copy/$name"
  "$old" report "$work/old/$name" --quiet
  "$new" report "$work/copy/$name" --quiet
  if ! diff -r -q "$work/old/$name" "$work/copy/$name"; then
    echo "$name: the two builds write different tables from the same journal" >&2
    exit 1
  fi
  echo "$(find "$work/old/$name" -type f | wc -l) files byte-identical"
done
