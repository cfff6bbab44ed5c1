#!/usr/bin/python3
"""Writes tests/fixtures/init/init.json: golden numbers for strata::nn::init from PyTorch.

Run with Debian's python3-torch (1.13): `/usr/bin/python3 tools/gen_init_fixtures.py`. The file is
committed; tests/nn/init_test.cpp reads only it, so CI needs no torch.

What it records, all from torch's own functions:
- `gains`: torch.nn.init.calculate_gain for every nonlinearity strata names (and several slopes);
- `fans`: torch.nn.init._calculate_fan_in_and_fan_out for a few shapes;
- `scales`: the exact range (uniform) or mean/std (normal) each xavier/kaiming initialiser asks
  for, and the uniform range trunc_normal_ maps through erfinv. They are caught by wrapping
  Tensor.uniform_ / Tensor.normal_ while torch's initialiser runs, so nothing here re-derives
  torch's formulas;
- `fills`: the values of eye_ and constant_.
Floats are written with repr, which parses back to the same double.
"""
import json
import os
import warnings

import torch
import torch.nn.init as init

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "init")
DTYPE_NAMES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64"}

NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]


def gains():
    cases = [{"nonlinearity": n, "param": None, "gain": float(init.calculate_gain(n))}
             for n in NONLINEARITIES]
    for slope in [0.0, 0.2, 1.0, -0.5, 3.0, 1e-3]:
        cases.append({"nonlinearity": "leaky_relu", "param": slope,
                      "gain": float(init.calculate_gain("leaky_relu", slope))})
    # Other nonlinearities ignore the parameter.
    for n in ["relu", "tanh", "selu"]:
        cases.append({"nonlinearity": n, "param": 0.2, "gain": float(init.calculate_gain(n, 0.2))})
    return cases


def fans():
    shapes = [[3, 4], [8, 3, 5, 5], [2, 3, 4], [5, 1], [1, 7, 2, 3, 2], [0, 3], [4, 0, 2]]
    out = []
    for shape in shapes:
        fan_in, fan_out = init._calculate_fan_in_and_fan_out(torch.empty(shape))
        out.append({"shape": shape, "fan_in": fan_in, "fan_out": fan_out})
    return out


class Recorder:
    """Wraps Tensor.uniform_ and Tensor.normal_ to record the arguments torch's initialisers pass."""

    def __init__(self):
        self.calls = []

    def __enter__(self):
        self.uniform, self.normal = torch.Tensor.uniform_, torch.Tensor.normal_
        rec, uniform, normal = self, self.uniform, self.normal

        def uniform_(t, a=0.0, b=1.0):
            rec.calls.append(("uniform", float(a), float(b)))
            return uniform(t, a, b)

        def normal_(t, mean=0.0, std=1.0):
            rec.calls.append(("normal", float(mean), float(std)))
            return normal(t, mean, std)

        torch.Tensor.uniform_, torch.Tensor.normal_ = uniform_, normal_
        return self

    def __exit__(self, *exc):
        torch.Tensor.uniform_, torch.Tensor.normal_ = self.uniform, self.normal


def scale_case(fn_name, shape, **kwargs):
    with Recorder() as rec:
        getattr(init, fn_name)(torch.empty(shape, dtype=torch.float64), **kwargs)
    assert len(rec.calls) == 1, (fn_name, rec.calls)
    kind, p, q = rec.calls[0]
    case = {"init": fn_name.rstrip("_"), "shape": shape, "args": kwargs, "kind": kind}
    if kind == "uniform":
        case.update(low=p, high=q)
    else:
        case.update(mean=p, std=q)
    return case


def scales():
    shapes = [[3, 4], [8, 3, 5, 5], [2, 3, 4], [32, 10], [1, 1]]
    cases = []
    for shape in shapes:
        for gain in [1.0, 2.5]:
            cases.append(scale_case("xavier_uniform_", shape, gain=gain))
            cases.append(scale_case("xavier_normal_", shape, gain=gain))
        for fn in ["kaiming_uniform_", "kaiming_normal_"]:
            cases.append(scale_case(fn, shape))
            cases.append(scale_case(fn, shape, a=5 ** 0.5))  # Linear's default
            cases.append(scale_case(fn, shape, a=0.2, mode="fan_out"))
            for nl in ["relu", "tanh", "linear", "sigmoid", "selu", "conv2d"]:
                cases.append(scale_case(fn, shape, a=0.3, mode="fan_out", nonlinearity=nl))
                cases.append(scale_case(fn, shape, mode="fan_in", nonlinearity=nl))
    # trunc_normal_ draws uniform_(2 Phi(alpha) - 1, 2 Phi(beta) - 1) before its erfinv.
    for kwargs in [{}, {"mean": 0.5, "std": 2.0, "a": -1.0, "b": 3.0},
                   {"mean": 0.0, "std": 1.0, "a": 0.0, "b": 10.0},
                   {"mean": 1.0, "std": 0.5, "a": -3.0, "b": -1.0},  # far in the lower tail
                   {"mean": -2.0, "std": 3.0, "a": -2.0, "b": -2.0}]:  # a single point
        cases.append(scale_case("trunc_normal_", [16, 8], **kwargs))
    return cases


def tensor_json(t):
    return {"shape": list(t.shape), "dtype": DTYPE_NAMES[t.dtype],
            "values": [float(v) if t.is_floating_point() else int(v) for v in t.flatten().tolist()]}


def fills():
    cases = []
    for shape in [[3, 3], [2, 4], [4, 2], [1, 5], [0, 3]]:
        for dtype in [torch.float32, torch.float64, torch.int64]:
            t = torch.full(shape, 7, dtype=dtype)
            cases.append({"init": "eye", "value": None, "result": tensor_json(init.eye_(t))})
    for shape, value in [([2, 3], 0.3), ([4], -1.5), ([2, 2, 2], 1e-3), ([], 2.0)]:
        for dtype in [torch.float32, torch.float64]:
            t = torch.zeros(shape, dtype=dtype)
            result = tensor_json(init.constant_(t, value))
            cases.append({"init": "constant", "value": value, "result": result})
    for value in [2.7, -2.7, 3.0]:
        t = torch.zeros([2, 2], dtype=torch.int64)
        result = tensor_json(init.constant_(t, value))
        cases.append({"init": "constant", "value": value, "result": result})
    return cases


def main():
    # The lower-tail trunc_normal_ case is far from its mean on purpose.
    warnings.filterwarnings("ignore", message="mean is more than 2 std")
    data = {"generated_by": "tools/gen_init_fixtures.py", "torch": torch.__version__,
            "gains": gains(), "fans": fans(), "scales": scales(), "fills": fills()}
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, "init.json")
    with open(path, "w") as f:
        # One record per line keeps diffs readable.
        f.write("{\n")
        items = list(data.items())
        for i, (key, value) in enumerate(items):
            if isinstance(value, list):
                body = ",\n".join("  " + json.dumps(v, allow_nan=False) for v in value)
                f.write(f"{json.dumps(key)}: [\n{body}\n]")
            else:
                f.write(f"{json.dumps(key)}: {json.dumps(value)}")
            f.write(",\n" if i + 1 < len(items) else "\n")
        f.write("}\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
