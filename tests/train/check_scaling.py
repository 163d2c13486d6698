#!/usr/bin/python3
"""--scale minmax end to end: the model records the scaling fitted on the training data, and
lpnn-predict's output undoes it (predictions in the data's units), with the loss line on stderr.

  check_scaling.py MODEL.json DATA.csv PREDICTIONS.csv PREDICT_STDERR.txt
"""

import json
import re
import sys

import numpy as np

from lpnn_reference import Network, read_csv


def main(model_path, data_path, predictions_path, stderr_path):
    with open(model_path) as f:
        model = json.load(f)
    net = Network(model["architecture"])
    n, m = net.inputs, net.outputs
    table = read_csv(data_path, n + m)
    X, Y = table[:, :n], table[:, n:]
    scaling = model["scaling"]
    assert scaling is not None and scaling["kind"] == "minmax", f"no minmax scaling recorded: {scaling}"
    for key, values in (("input_min", X.min(0)), ("input_max", X.max(0)), ("output_min", Y.min(0)),
                        ("output_max", Y.max(0))):
        assert np.allclose(scaling[key], values, rtol=0, atol=1e-12), (key, scaling[key], values)

    def to_box(v, lo, hi):
        return np.where(hi > lo, np.clip(2 * (v - lo) / np.where(hi > lo, hi - lo, 1) - 1, -1, 1), 0.0)

    lo_x, hi_x = np.array(scaling["input_min"]), np.array(scaling["input_max"])
    lo_y, hi_y = np.array(scaling["output_min"]), np.array(scaling["output_max"])
    phi = np.array(model["parameters"])
    Xb, Yb = to_box(X, lo_x, hi_x), to_box(Y, lo_y, hi_y)
    Zb = np.array([net.forward(x, phi) for x in Xb])
    expected = lo_y + (Zb + 1) * (hi_y - lo_y) / 2  # back to the data's units

    predictions = read_csv(predictions_path, m)
    assert predictions.shape == expected.shape, (predictions.shape, expected.shape)
    assert np.allclose(predictions, expected, rtol=0, atol=1e-9), (predictions, expected)
    assert not np.allclose(predictions, Zb), "predictions were not mapped back from the box"

    with open(stderr_path) as f:
        text = f.read()
    match = re.search(r"^loss (\S+) ", text, re.M)
    assert match, f"no loss line on stderr: {text!r}"
    loss = float(match.group(1))
    expected_loss = net.mean_loss(Xb, Yb, phi)
    assert abs(loss - expected_loss) <= 1e-8 * (1 + abs(expected_loss)), (loss, expected_loss)
    assert "scaled box" in text, text
    print(f"scaling recorded and undone: predictions {predictions.ravel().tolist()}, loss {loss:.10g}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
