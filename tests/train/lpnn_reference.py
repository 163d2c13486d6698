"""A small, independent Python reference of what lpnn computes (README, The polytope), for the training
tests: CSV data, grid rounding, the dense network f(x, φ), losses and regularizers. Written from the
README's mathematics, not from lpnn's C++ code."""

import csv
import json
import math

import numpy as np


def read_csv(path, width):
    """Rows of `width` numbers; a first line whose cells are not all numbers is a header."""
    rows = []
    with open(path, newline="") as f:
        for k, row in enumerate(csv.reader(f)):
            if not row or all(not c.strip() for c in row):
                continue
            try:
                values = [float(c) for c in row]
            except ValueError:
                if k == 0 and not rows:
                    continue
                raise
            if len(values) != width:
                raise ValueError(f"{path}: row {k + 1} has {len(values)} cells, expected {width}")
            rows.append(values)
    return np.array(rows, dtype=float).reshape(len(rows), width)


def round_index(r, K):
    """k = floor((r+1)(K-1)/2 + 1/2), clamped to [0, K-1] (README, The polytope / ERM and grids)."""
    k = math.floor((r + 1.0) * (K - 1) / 2.0 + 0.5)
    return min(max(k, 0), K - 1)


def grid_value(k, K):
    return -1.0 + 2.0 * k / (K - 1)


def mixed_radix(digits, radix):
    index = 0
    for d in digits:
        index = index * radix + d
    return index


def grid_point(index, radix, count):
    """θ(a): coordinate 0 is the most significant digit."""
    digits = [0] * count
    for i in reversed(range(count)):
        digits[i] = index % radix
        index //= radix
    return np.array([grid_value(d, radix) for d in digits])


class Network:
    """Dense layers; φ is laid out layer by layer, weights row-major (output x input), then biases."""

    def __init__(self, spec):
        if isinstance(spec, str):
            spec = json.loads(spec)
        self.spec = spec
        self.inputs = spec["input"]
        self.layers = spec["layers"]
        self.bias = spec.get("bias", True)
        self.loss_kind = spec["loss"]
        reg = spec.get("regularizer") or {}
        self.reg_kind = reg.get("kind", "none")
        self.reg_weight = reg.get("weight", 0.0)
        self.outputs = self.layers[-1]["units"]
        count, width = 0, self.inputs
        for layer in self.layers:
            count += layer["units"] * width + (layer["units"] if self.bias else 0)
            width = layer["units"]
        self.parameters = count

    def forward(self, x, phi):
        v = np.asarray(x, dtype=float)
        p = 0
        for layer in self.layers:
            units = layer["units"]
            W = np.asarray(phi[p:p + units * len(v)]).reshape(units, len(v))
            p += units * len(v)
            pre = W @ v
            if self.bias:
                pre = pre + np.asarray(phi[p:p + units])
                p += units
            act = layer["activation"]
            if act == "identity":
                v = pre
            elif act == "relu":
                v = np.maximum(pre, 0.0)
            elif act == "leaky_relu":
                s = layer.get("slope", 0.01)
                v = np.where(pre > 0, pre, s * pre)
            elif act == "tanh":
                v = np.tanh(pre)
            else:
                raise ValueError(f"unknown activation {act}")
        assert p == len(phi), (p, len(phi))
        return v

    def loss(self, z, y):
        z, y = np.asarray(z), np.asarray(y)
        if self.loss_kind == "squared":
            return float(np.sum((z - y) ** 2))
        if self.loss_kind == "absolute":
            return float(np.sum(np.abs(z - y)))
        if self.loss_kind == "hinge":
            return float(np.sum(np.maximum(0.0, 1.0 - y * z)))
        raise ValueError(self.loss_kind)

    def regularization(self, phi):
        phi = np.asarray(phi)
        if self.reg_kind == "l1":
            return self.reg_weight * float(np.sum(np.abs(phi)))
        if self.reg_kind == "l2":
            return self.reg_weight * float(np.sum(phi ** 2))
        return 0.0

    def mean_loss(self, X, Y, phi):
        return sum(self.loss(self.forward(x, phi), y) for x, y in zip(X, Y)) / len(X)


def round_data(X, Y, K_input, K_output):
    Xr = np.vectorize(lambda r: grid_value(round_index(r, K_input), K_input))(X) if X.size else X
    Yr = np.vectorize(lambda r: grid_value(round_index(r, K_output), K_output))(Y) if Y.size else Y
    return Xr, Yr
