"""Loads a results directory's optuna.log with the real Optuna package and checks it against
the directory's tables: one trial per configuration, in order, with its state, parameters,
values and intermediate values as search.csv (or trials.csv, seed means) gives them.

    python check.py RESULTS_DIR [RESULTS_DIR ...]
"""

import csv
import math
import os
import sys
from collections import defaultdict

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

optuna.logging.set_verbosity(optuna.logging.WARNING)

STATES = {
    "complete": TrialState.COMPLETE,
    "pruned": TrialState.PRUNED,
    "diverged": TrialState.FAIL,
    "failed": TrialState.FAIL,
}


def close(a, b, what):
    assert a is not None and b is not None, f"{what}: {a} against {b}"
    assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15), f"{what}: {a} against {b}"


def number(text):
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return {"true": True, "false": False}.get(text, text)


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def load(directory):
    storage = JournalStorage(JournalFileBackend(f"{directory}/optuna.log"))
    studies = storage.get_all_studies()
    assert len(studies) == 1, studies
    return optuna.load_study(study_name=studies[0].study_name, storage=storage)


def check_search(directory, study):
    configs = rows(f"{directory}/search.csv")
    trials = study.trials
    assert len(trials) == len(configs), (len(trials), len(configs))
    multi = len(study.directions) == 2
    assert study.metric_names == (["val_mse", "val_trend_acc"] if multi else study.metric_names)
    pruned = 0
    for row, trial in zip(configs, trials):
        c = int(row["config"])
        assert trial.number == c and trial.user_attrs["config"] == c
        assert trial.state == STATES[row["status"]], (c, trial.state, row["status"])
        for name, value in trial.params.items():
            assert number(row[name]) == value, (c, name, row[name], value)
        seeds = [int(s) for s in row["seeds"].split()]
        assert trial.user_attrs["seeds"] == seeds, (c, seeds, trial.user_attrs["seeds"])
        if trial.state == TrialState.FAIL:
            assert trial.values is None
            continue
        if multi:
            close(trial.values[0], float(row["val_mse"]), f"config {c} val_mse")
            close(trial.values[1], float(row["val_trend_acc"]), f"config {c} val_trend_acc")
            continue
        objective = "val_mse" if study.direction == optuna.study.StudyDirection.MINIMIZE else "val_trend_acc"
        if row[objective]:
            close(trial.value, float(row[objective]), f"config {c} {objective}")
        steps = sorted(trial.intermediate_values)
        per_seed = int(row["epochs_trained"]) // len(trial.user_attrs["seeds"])
        assert steps == list(range(1, per_seed + 1)), (c, steps, per_seed)
        if trial.state == TrialState.COMPLETE:
            # metric_epoch = "final": the last epoch's seed mean is the value.
            close(trial.intermediate_values[steps[-1]], trial.value, f"config {c} last epoch")
        else:
            pruned += 1
    return len(trials), pruned


def check_grid(directory, study):
    table = rows(f"{directory}/trials.csv")
    axes = [n for n in ("window", "n_dense", "lambda", "batch_size", "learning_rate", "epochs",
                        "loss", "penalty_mean", "activation", "shuffle", "metric_epoch", "patience")
            if len({r[n] for r in table}) > 1]
    groups = defaultdict(list)
    for r in table:
        groups[tuple(number(r[a]) for a in axes)].append(r)
    trials = study.trials
    assert study.metric_names == ["val_mse"], study.metric_names
    assert len(trials) == len(groups), (len(trials), len(groups))
    for trial in trials:
        key = tuple(trial.params[a] for a in axes)
        members = groups[key]
        ok = [float(r["val_mse"]) for r in members if r["status"] == "ok"]
        assert sorted(trial.user_attrs["trial_ids"]) == sorted(r["trial_id"] for r in members)
        if not ok:
            assert trial.state == TrialState.FAIL
            continue
        assert trial.state == TrialState.COMPLETE
        close(trial.value, sum(ok) / len(ok), f"{key} val_mse")
        last = max(trial.intermediate_values)
        close(trial.intermediate_values[last], trial.value, f"{key} last epoch")
    return len(trials), 0


for directory in sys.argv[1:]:
    study = load(directory)
    if os.path.exists(f"{directory}/search.csv"):
        n, pruned = check_search(directory, study)
    else:
        n, pruned = check_grid(directory, study)
    print(f"{directory}: study {study.study_name!r}, {n} trials ({pruned} pruned) match the tables")
