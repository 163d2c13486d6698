"""Shared numpy pieces of the Python competitors (README, The polytope / ERM and grids, Rows and
columns), written the way a Python user would: vectorized numpy, no Python loops over nonzeros.
Independent of lpnn's C++ code."""

import json

import numpy as np


def load_spec(path):
    with open(path) as f:
        return json.load(f)


def sizes(spec, K):
    """(N, n, m) of a dense spec."""
    n = spec["input"]
    bias = spec.get("bias", True)
    N, width = 0, n
    for layer in spec["layers"]:
        N += layer["units"] * width + (layer["units"] if bias else 0)
        width = layer["units"]
    return N, n, width


def grid(K):
    return -1.0 + 2.0 * np.arange(K) / (K - 1)


def grid_points(count, K):
    """All K^count points in mixed radix, coordinate 0 most significant: shape (K^count, count)."""
    g = grid(K)
    idx = np.indices((K,) * count).reshape(count, -1).T  # row-major = coordinate 0 most significant
    return g[idx]


def forward(spec, X, P):
    """Network outputs for every (parameter point, input point): X (S, n), P (M, N) -> (M, S, m)."""
    bias = spec.get("bias", True)
    v = np.broadcast_to(X[None, :, :], (P.shape[0],) + X.shape)  # (M, S, width)
    p = 0
    for layer in spec["layers"]:
        units, width = layer["units"], v.shape[2]
        W = P[:, p:p + units * width].reshape(P.shape[0], units, width)
        p += units * width
        pre = np.einsum("muw,msw->msu", W, v)
        if bias:
            pre = pre + P[:, None, p:p + units]
            p += units
        act = layer["activation"]
        if act == "relu":
            v = np.maximum(pre, 0.0)
        elif act == "leaky_relu":
            v = np.where(pre > 0, pre, layer.get("slope", 0.01) * pre)
        elif act == "tanh":
            v = np.tanh(pre)
        elif act == "identity":
            v = pre
        else:
            raise ValueError(act)
    return v


def cost_template(spec, K):
    """c[j] = loss(f(xi(s), theta(a)), eta(t)), j = (a*Sx + s)*Sy + t, as one float64 array of B entries."""
    N, n, m = sizes(spec, K)
    P, X, Y = grid_points(N, K), grid_points(n, K), grid_points(m, K)
    Z = forward(spec, X, P)  # (M, Sx, m)
    diff = Z[:, :, None, :] - Y[None, None, :, :]  # (M, Sx, Sy, m)
    loss = spec["loss"]
    if loss == "squared":
        c = np.sum(diff * diff, axis=3)
    elif loss == "absolute":
        c = np.sum(np.abs(diff), axis=3)
    elif loss == "hinge":
        c = np.sum(np.maximum(0.0, 1.0 - Y[None, None, :, :] * Z[:, :, None, :]), axis=3)
    else:
        raise ValueError(loss)
    return c.reshape(-1), P


def regularizer_costs(spec, P):
    reg = spec.get("regularizer") or {}
    kind, weight = reg.get("kind", "none"), reg.get("weight", 0.0)
    if kind == "l1":
        return weight * np.abs(P).sum(axis=1)
    if kind == "l2":
        return weight * (P * P).sum(axis=1)
    return np.zeros(P.shape[0])
