#!/usr/bin/env python3
"""Helpers of jobs/examples/reduce-real.sh (scikit-learn's bundled data sets through Debian's python3-sklearn).

  real_data.py export --set breast_cancer --out DIR      train.csv / test.csv (labels +1 / -1), 70/30 split
  real_data.py adam --out DIR --hidden 1                 Adam (sklearn MLPClassifier) on the raw standardized data
  real_data.py score --predictions P.csv --data test.csv accuracy and mean hinge loss of predictions
"""
import argparse
import sys

import numpy as np


def load(name):
    from sklearn import datasets
    loaders = {"breast_cancer": datasets.load_breast_cancer, "wine": datasets.load_wine}
    bunch = loaders[name]()
    x, y = bunch.data, bunch.target
    if name == "wine":  # class 0 against the rest: a binary task
        y = (y == 0).astype(int)
    return x, np.where(y == 1, 1.0, -1.0)


def export(args):
    from sklearn.model_selection import train_test_split
    x, y = load(args.set)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
    header = ",".join([f"x{i + 1}" for i in range(x.shape[1])] + ["y"])
    for name, a, b in (("train", xtr, ytr), ("test", xte, yte)):
        np.savetxt(f"{args.out}/{name}.csv", np.column_stack([a, b]), delimiter=",", header=header, comments="",
                   fmt="%.17g")
    print(f"{args.set}: {x.shape[0]} samples, d = {x.shape[1]}; {len(ytr)} train, {len(yte)} test")


def hinge(z, y):
    return float(np.mean(np.maximum(0.0, 1.0 - y * z)))


def adam(args):
    from sklearn.neural_network import MLPRegressor
    from sklearn.preprocessing import StandardScaler
    train = np.loadtxt(f"{args.out}/train.csv", delimiter=",", skiprows=1)
    test = np.loadtxt(f"{args.out}/test.csv", delimiter=",", skiprows=1)
    scaler = StandardScaler().fit(train[:, :-1])
    # The same network shape as the LP's (hidden ReLU units, a linear output), fitted by Adam on all d inputs.
    model = MLPRegressor(hidden_layer_sizes=(args.hidden,), activation="relu", solver="adam", max_iter=2000,
                         random_state=0).fit(scaler.transform(train[:, :-1]), train[:, -1])
    for name, data in (("train", train), ("test", test)):
        z = model.predict(scaler.transform(data[:, :-1]))
        print(f"{name}_accuracy {np.mean(np.sign(z) == data[:, -1]):.4f} {name}_hinge {hinge(z, data[:, -1]):.4f}")


def score(args):
    z = np.loadtxt(args.predictions, delimiter=",", skiprows=1, ndmin=1)
    y = np.loadtxt(args.data, delimiter=",", skiprows=1)[:, -1]
    print(f"accuracy {np.mean(np.where(z >= 0, 1.0, -1.0) == y):.4f} hinge {hinge(z, y):.4f}")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    e = sub.add_parser("export")
    e.add_argument("--set", default="breast_cancer", choices=["breast_cancer", "wine"])
    e.add_argument("--out", required=True)
    a = sub.add_parser("adam")
    a.add_argument("--out", required=True)
    a.add_argument("--hidden", type=int, default=1)
    s = sub.add_parser("score")
    s.add_argument("--predictions", required=True)
    s.add_argument("--data", required=True)
    args = parser.parse_args()
    try:
        {"export": export, "adam": adam, "score": score}[args.command](args)
    except ImportError as e:
        sys.exit(f"{e}: install Debian's python3-sklearn (bash cmake/install-deps.sh does)")


if __name__ == "__main__":
    main()
