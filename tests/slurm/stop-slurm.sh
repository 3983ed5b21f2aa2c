#!/usr/bin/env bash
# Stops the daemons start-slurm.sh started, and waits until they have exited, so that a
# start right after does not find a daemon that is still shutting down.
daemons="slurmd slurmctld munged"
running() {
  for d in $daemons; do pgrep -x "$d" >/dev/null && return 0; done
  return 1
}
for d in $daemons; do pkill -x "$d" || true; done
for _ in $(seq 1 100); do
  running || exit 0
  sleep 0.1
done
for d in $daemons; do pkill -9 -x "$d" || true; done
