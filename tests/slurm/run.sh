#!/usr/bin/env bash
# The sharded sweep against a real, one-node Slurm: a 4-task job array and its report job
# must give the same trial ids and metrics as one process running the same grid; then one
# task is cancelled mid-run, the report names its shard's missing trials, and resubmitting
# that task alone completes the grid with the same numbers. Then a TPE search with ASHA on
# arrays of 1 and 3 tasks (and 3 with a task requeued mid-search) against one process.
# Usage: tests/slurm/run.sh [path/to/trendsweep]   (as root; run by .ci/run)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$here/../.." && pwd)/target/debug/trendsweep
bin=${1:-$bin}
[ -x "$bin" ] || { echo "no trendsweep binary at $bin (run cargo build first)"; exit 1; }
work=$(mktemp -d)
trap '"$here/stop-slurm.sh"; rm -rf "$work"' EXIT
t0=$(date +%s)
"$here/start-slurm.sh"
echo "slurm started in $(( $(date +%s) - t0 )) s"

cp "$here/grid.toml" "$work/grid.toml"

# The columns that must not depend on how the grid was split, sorted by trial id.
metrics() {
  python3 - "$1" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
cols = ["trial_id", "status", "epochs_run", "train_loss", "train_mse", "val_mse", "val_trend_acc", "best_epoch"]
for r in sorted(rows, key=lambda r: r["trial_id"]):
    print(",".join(r[c] for c in cols))
PY
}

wait_for() {  # job ids...
  for _ in $(seq 1 600); do
    [ -z "$(squeue -h -j "$(IFS=,; echo "$*")" 2>/dev/null)" ] && return 0
    sleep 1
  done
  echo "jobs $* did not finish"; squeue; return 1
}

"$bin" sweep "$work/grid.toml" --out "$work/single" --threads 2 --quiet >/dev/null
metrics "$work/single/trials.csv" > "$work/single.txt"
total=$(wc -l < "$work/single.txt")
echo "single process: $total trials"

# 1. The whole array, then the report job.
t1=$(date +%s)
out=$("$bin" slurm "$work/grid.toml" --tasks 4 --cpus-per-task 1 --out "$work/array" --submit)
echo "$out"
array=$(echo "$out" | sed -n 's/.*job array \([0-9]*\),.*/\1/p')
report=$(echo "$out" | sed -n 's/.*report job \([0-9]*\) .*/\1/p')
wait_for "$array" "$report"
metrics "$work/array/trials.csv" > "$work/array.txt"
diff "$work/single.txt" "$work/array.txt"
ls "$work/array"/journal-*-of-4.jsonl >/dev/null
grep -q "Sweep summary" "$work/array/summary.md"
echo "job array of 4 tasks + report: same $total trials and metrics ($(( $(date +%s) - t1 )) s)"

# 2. Kill task 0 mid-run, check the report names its shard, resubmit it alone.
t2=$(date +%s)
out=$("$bin" slurm "$work/grid.toml" --tasks 4 --cpus-per-task 1 --out "$work/cancel" --submit)
array=$(echo "$out" | sed -n 's/.*job array \([0-9]*\),.*/\1/p')
report=$(echo "$out" | sed -n 's/.*report job \([0-9]*\) .*/\1/p')
for _ in $(seq 1 300); do
  [ -s "$work/cancel/journal-0-of-4.jsonl" ] && break
  sleep 0.2
done
# SIGKILL to the task and its children: no trial of it gets to finish, whatever the load, so
# the shard certainly has trials missing (a SIGTERM would let its running stack finish).
scancel --full --signal=KILL "${array}_0"
wait_for "$array" "$report"
done0=$(wc -l < "$work/cancel/journal-0-of-4.jsonl")

if ! grep -h "shard 0/4" "$work/cancel/slurm"/report-*.out; then
  echo "the report job did not name shard 0/4 as missing trials; its output:" >&2
  cat "$work/cancel/slurm"/report-*.out >&2 || true
  exit 1
fi
echo "cancelled task 0 after $done0 of its trials"
resub=$(sbatch --parsable --array=0 "$work/cancel/sweep.sbatch")
wait_for "$resub"
"$bin" report "$work/cancel" --quiet 2> "$work/report.err"
if grep -q "no result yet" "$work/report.err"; then cat "$work/report.err"; exit 1; fi
metrics "$work/cancel/trials.csv" > "$work/cancel.txt"
diff "$work/single.txt" "$work/cancel.txt"
echo "cancel + resubmit of task 0: same $total trials and metrics ($(( $(date +%s) - t2 )) s)"

# 3. A TPE search with ASHA pruning and confirmation (60 configurations): one process, an
# array of 1 task and an array of 3 give the same trials and search.csv; so does the 3-task
# array when task 1 is preempted (requeued) after its first rung.
cp "$here/search.toml" "$work/search.toml"
# Seconds from $1 (date +%s.%N) to the last write of a journal in directory $2: how long
# the array took to record every trial, without the report job.
until_last_record() {
  python3 - "$1" "$2" <<'PY'
import glob, os, sys
last = max(os.path.getmtime(p) for p in glob.glob(os.path.join(sys.argv[2], "journal*.jsonl")))
print(f"{last - float(sys.argv[1]):.1f}")
PY
}

t3=$(date +%s.%N)
"$bin" sweep "$work/search.toml" --out "$work/search-single" --threads 1 --quiet >/dev/null
metrics "$work/search-single/trials.csv" > "$work/search-single.txt"
echo "search, one process on one thread: $(wc -l < "$work/search-single.txt") trials, the last recorded after $(until_last_record "$t3" "$work/search-single") s"

search_array() {  # name tasks: submits, waits for the array and its report, compares
  local name=$1 tasks=$2 start out array report
  start=$(date +%s.%N)
  out=$("$bin" slurm "$work/search.toml" --tasks "$tasks" --cpus-per-task 1 --out "$work/$name" --submit)
  array=$(echo "$out" | sed -n 's/.*job array \([0-9]*\),.*/\1/p')
  report=$(echo "$out" | sed -n 's/.*report job \([0-9]*\) .*/\1/p')
  if [ "$name" = search-requeued ]; then
    for _ in $(seq 1 600); do
      [ -e "$work/$name/rungs/generation-0-epoch-1-1-of-3.json" ] && break
      sleep 0.1
    done
    scontrol requeue "${array}_1"
    # Slurm holds a requeued task back for a while (BeginTime); let it start at once.
    sleep 1
    scontrol update JobId="${array}_1" StartTime=now
    echo "requeued task 1 after its first rung"
  fi
  wait_for "$array" "$report"
  metrics "$work/$name/trials.csv" > "$work/$name.txt"
  diff "$work/search-single.txt" "$work/$name.txt"
  cmp "$work/search-single/search.csv" "$work/$name/search.csv"
  echo "search on $tasks task(s) ($name): same trials and search.csv; every trial recorded $(until_last_record "$start" "$work/$name") s after submission"
}
search_array search-1 1
search_array search-3 3
search_array search-requeued 3
echo "slurm test passed in $(( $(date +%s) - t0 )) s"
