#!/usr/bin/python3
"""Writes tests/fixtures/ops/<op>.json: golden forward values and gradients from PyTorch.

Run with Debian's python3-torch (1.13): `/usr/bin/python3 tools/gen_fixtures.py`. The files are
committed; the C++ test (tests/golden/ops_golden_test.cpp) reads only them, so CI needs no torch.

Each file holds one op and its cases. A case records the op's parameters, its inputs (dtype, shape,
row-major values; `noncontig` asks the reader to give the tensor transposed strides), its outputs
and, when an output is differentiable, a fixed random `upstream` per floating output plus the
gradient of every floating input for the scalar sum((out * upstream).sum()). A gradient is null for
inputs that take none. Floats are written so that they parse back bit-exactly (nan and infinities
as the strings "nan", "inf", "-inf").

The torch expression for each op here must mean the same as the C++ lambda of the same name.
"""
import json
import math
import os
import sys
import zlib

import numpy as np
import torch

from fixture_cases import OPS

DTYPE_NAMES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64",
               torch.int32: "int32", torch.uint8: "uint8", torch.bool: "bool"}
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "ops")


# ---- number formatting ----

def float_value(v, dtype):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if dtype == torch.float32:
        # The shortest float32 text, when it parses (as a double, then rounded to float) to the
        # same float32; otherwise the exact double value of the float32.
        f = np.float32(v)
        short = float(str(f))
        return short if np.float32(short) == f else float(f)
    return float(v)


def tensor_json(t):
    t = t.detach()
    if t.dtype == torch.bool:
        data = [bool(v) for v in t.reshape(-1).tolist()]
    elif t.is_floating_point():
        data = [float_value(v, t.dtype) for v in t.reshape(-1).tolist()]
    else:
        data = [int(v) for v in t.reshape(-1).tolist()]
    return {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape), "data": data}


# ---- running one case ----

def as_list(out):
    if isinstance(out, torch.Tensor):
        return [out]
    return list(out)


def inputs_json(inputs, leaves):
    """Each input as recorded: its values, and whether the reader makes it non-contiguous and a leaf."""
    out = []
    for inp, t in zip(inputs, leaves):
        j = tensor_json(t)
        if inp.noncontig:
            j["noncontig"] = True
        j["requires_grad"] = inp.grad
        out.append(j)
    return out


def run_case(fn, where, name, inputs, params):
    leaves = []
    for inp in inputs:
        t = inp.t.clone()
        if inp.noncontig:
            assert t.dim() >= 2, f"{where}: noncontig needs 2+ dims"
            t = t.transpose(-2, -1).contiguous().transpose(-2, -1)
            assert not t.is_contiguous() or t.numel() <= 1
        if inp.grad:
            t.requires_grad_(True)
        leaves.append(t)
    outs = as_list(fn(leaves, params))
    case = {"name": name, "params": params, "inputs": inputs_json(inputs, leaves)}
    case["outputs"] = [tensor_json(o) for o in outs]
    diff = [o.requires_grad for o in outs]
    if any(diff):
        upstream = [torch.randn(o.shape, dtype=o.dtype) if d else None for o, d in zip(outs, diff)]
        loss = sum((o * u).sum() for o, u, d in zip(outs, upstream, diff) if d)
        wrt = [t for t in leaves if t.requires_grad]
        grads = iter(torch.autograd.grad(loss, wrt, allow_unused=True))
        case["upstream"] = [tensor_json(u) if u is not None else None for u in upstream]
        case["grads"] = []
        for t in leaves:
            if not t.requires_grad:
                case["grads"].append(None)
                continue
            g = next(grads)
            case["grads"].append(tensor_json(g if g is not None else torch.zeros_like(t)))
    return case


def main():
    names = [name for name, _, _ in OPS]
    assert len(names) == len(set(names)), "duplicate op names"
    only = set(sys.argv[1:])
    unknown = only - set(names)
    if unknown:
        sys.exit(f"unknown ops: {sorted(unknown)}")
    os.makedirs(OUT_DIR, exist_ok=True)
    if not only:  # a full run also drops the files of ops no longer listed
        for stale in set(os.listdir(OUT_DIR)) - {f"{n}.json" for n in names}:
            os.remove(os.path.join(OUT_DIR, stale))
    total = 0
    for name, fn, cases in OPS:
        if only and name not in only:
            continue
        # A seed per op (not one for the whole run) keeps each file stable when ops are added.
        torch.manual_seed(zlib.crc32(name.encode()))
        made = [run_case(fn, f"{name}/{cname}", cname, inputs, params) for cname, inputs, params in cases()]
        case_names = [c["name"] for c in made]
        assert len(case_names) == len(set(case_names)), f"{name}: duplicate case names"
        lines = [json.dumps(c, separators=(",", ":"), allow_nan=False) for c in made]
        text = ('{"op":%s,"generated_by":"tools/gen_fixtures.py","torch":%s,"cases":[\n%s\n]}\n'
                % (json.dumps(name), json.dumps(torch.__version__), ",\n".join(lines)))
        with open(os.path.join(OUT_DIR, f"{name}.json"), "w") as f:
            f.write(text)
        total += len(text)
    print(f"wrote {len(only) or len(names)} ops, {total} bytes, to {os.path.normpath(OUT_DIR)}")


if __name__ == "__main__":
    main()
