#!/usr/bin/env bash
# Stops the daemons start-slurm.sh started.
pkill -x slurmd || true
pkill -x slurmctld || true
pkill -x munged || true
