#!/usr/bin/env python3
"""SweepSearch's TPE and random search beside Optuna's, on the objectives of
Tests/SweepSearchTests (defined again here and in benchmarks/TPEBench/main.swift).

The figure is the best value after N sequential trials, mean and median over 20 seeds
(`--seeds N` for more); each
sampler uses its own random numbers (Xoshiro256 streams for ours, NumPy for Optuna's), so the
two agree in distribution, not trial by trial.

    swift build -c release --product TPEBench --scratch-path .build-test
    python3 -m pip install optuna   # tested with 5.0.0
    python3 benchmarks/tpe_vs_optuna.py [--seeds N] [path/to/TPEBench]
"""
import json
import math
import statistics
import subprocess
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)

CATEGORY_LOSS = [0.9, 0.6, 1.0, 0.7, 0.8, 0.55, 0.95, 0.0, 0.65, 0.75]


def quadratic(t):
    return (t.suggest_float("x", 0, 1) - 0.3) ** 2


def log_lr(t):
    return (math.log10(t.suggest_float("lr", 1e-5, 1, log=True)) + 2) ** 2


def integer(t):
    return abs(t.suggest_int("n", 1, 1000) - 137)


def categorical_x(t):
    c = t.suggest_categorical("c", list(range(10)))
    return CATEGORY_LOSS[c] + (t.suggest_float("x", 0, 1) - 0.5) ** 2


def mlp_like(t):
    lr = math.log10(t.suggest_float("lr", 1e-5, 1, log=True)) + 2.5
    width = (math.log2(t.suggest_int("width", 8, 1024, log=True)) - 8) / 2
    dropout = (t.suggest_float("dropout", 0, 0.5, step=0.05) - 0.2) * 3
    act = [0.3, 0, 0.5, 0.2][t.suggest_categorical("act", [0, 1, 2, 3])]
    return lr * lr + width * width + dropout * dropout + act


OBJECTIVES = {
    "quadratic": (quadratic, 30),
    "log-lr": (log_lr, 30),
    "integer": (integer, 30),
    "categorical+x": (categorical_x, 40),
    "mlp-like": (mlp_like, 60),
}


def optuna_best(objective, trials, sampler):
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=trials)
    return study.best_value


def main():
    args = sys.argv[1:]
    count = 20
    if "--seeds" in args:
        i = args.index("--seeds")
        count = int(args[i + 1])
        del args[i:i + 2]
    binary = args[0] if args else ".build-test/release/TPEBench"
    seeds = range(1, count + 1)
    ours = {}
    run = [binary, "--json", "--seeds", str(count)]
    for line in subprocess.run(run, check=True, capture_output=True, text=True).stdout.splitlines():
        row = json.loads(line)
        for key in ("tpe", "tpe_univariate", "random"):
            ours.setdefault((row["objective"], key), []).append(row[key])

    def cell(values):
        return f"{statistics.mean(values):.3g} / {statistics.median(values):.3g}"

    print(f"best after N trials, mean / median over {count} seeds (lower is better)\n")
    print("| objective | N | ours TPE | ours TPE univariate | ours random | Optuna TPE | Optuna TPE univariate | Optuna random |")
    print("|---|---|---|---|---|---|---|---|")
    for name, (objective, trials) in OBJECTIVES.items():
        optuna_tpe = [optuna_best(objective, trials, optuna.samplers.TPESampler(seed=s)) for s in seeds]
        optuna_uni = [optuna_best(objective, trials, optuna.samplers.TPESampler(seed=s, multivariate=False)) for s in seeds]
        optuna_random = [optuna_best(objective, trials, optuna.samplers.RandomSampler(seed=s)) for s in seeds]
        print(f"| {name} | {trials} | {cell(ours[(name, 'tpe')])} | {cell(ours[(name, 'tpe_univariate')])} | "
              f"{cell(ours[(name, 'random')])} | {cell(optuna_tpe)} | {cell(optuna_uni)} | {cell(optuna_random)} |")


if __name__ == "__main__":
    main()
