#!/usr/bin/python3
"""Writes tests/fixtures/rnn/{cells,lstm,gru}.json: golden values for strata's recurrent layers.

Run with Debian's python3-torch (1.13): `/usr/bin/python3 tools/gen_rnn_fixtures.py`. The C++ test
(tests/nn/rnn_golden_test.cpp) reads only the committed files.

Each case holds the module's constructor arguments and mode, its state_dict keys and shapes in
PyTorch's order, its parameters, the input, the initial state when one is passed, the outputs
(output, h_n, c_n for the layers; h, c for the cells), one fixed upstream gradient per output, and
the gradients of sum(output_k * upstream_k) over all outputs with respect to the input, the
initial state and every parameter.
"""
import json
import os

import numpy as np
import torch
from torch import nn

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "rnn")
NAMES = {torch.float32: "float32", torch.float64: "float64"}
I, H, L, N = 3, 4, 5, 2


def number(v, dtype):
    # float32 values are written in their shortest form that still reads back as the same float32.
    return float(str(np.float32(v))) if dtype == torch.float32 else float(v)


def tensor_json(t):
    t = t.detach()
    return {"dtype": NAMES[t.dtype], "shape": list(t.shape),
            "data": [number(v, t.dtype) for v in t.reshape(-1).tolist()]}


def leaf(shape, dtype):
    return torch.randn(shape, dtype=dtype).requires_grad_(True)


def record(kind, args, module, dtype, x, state, outputs, names):
    """Backpropagates sum(out * upstream) over `outputs` and records everything of the case."""
    upstream = [torch.randn(o.shape, dtype=dtype) for o in outputs]
    sum((o * u).sum() for o, u in zip(outputs, upstream)).backward()
    c = {
        "module": kind,
        "args": args,
        "training": module.training,
        "state_dict": [[k, list(v.shape)] for k, v in module.state_dict().items()],
        "params": {k: tensor_json(p) for k, p in module.named_parameters()},
        "input": tensor_json(x),
        "outputs": {n: tensor_json(o) for n, o in zip(names, outputs)},
        "upstream": {n: tensor_json(u) for n, u in zip(names, upstream)},
        "grad_input": tensor_json(x.grad),
        "grad_params": {k: tensor_json(p.grad) for k, p in module.named_parameters()},
        "repr": repr(module),
    }
    if state:
        c["state"] = {n: tensor_json(s) for n, s in state.items()}
        c["grad_state"] = {n: tensor_json(s.grad) for n, s in state.items()}
    return c


def cell_case(kind, dtype, batched, with_state, bias=True):
    cls = nn.LSTMCell if kind == "LSTMCell" else nn.GRUCell
    m = cls(I, H, bias=bias).to(dtype)
    x = leaf([N, I] if batched else [I], dtype)
    sshape = [N, H] if batched else [H]
    state = {}
    if with_state:
        state["h"] = leaf(sshape, dtype)
        if kind == "LSTMCell":
            state["c"] = leaf(sshape, dtype)
    if kind == "LSTMCell":
        h, c = m(x, (state["h"], state["c"]) if with_state else None)
        outs, names = [h, c], ["h", "c"]
    else:
        outs, names = [m(x, state.get("h"))], ["h"]
    return record(kind, {"input_size": I, "hidden_size": H, "bias": bias}, m, dtype, x, state, outs, names)


def layer_case(kind, dtype, batched=True, with_state=False, train=True, seq_len=L, **kw):
    cls = nn.LSTM if kind == "LSTM" else nn.GRU
    m = cls(I, H, **kw).to(dtype)
    m.train(train)
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional", False) else 1)
    if not batched:
        xshape, sshape = [seq_len, I], [layers, H]
    else:
        xshape = [N, seq_len, I] if kw.get("batch_first", False) else [seq_len, N, I]
        sshape = [layers, N, H]
    x = leaf(xshape, dtype)
    state = {}
    if with_state:
        state["h0"] = leaf(sshape, dtype)
        if kind == "LSTM":
            state["c0"] = leaf(sshape, dtype)
    if kind == "LSTM":
        out, (h_n, c_n) = m(x, (state["h0"], state["c0"]) if with_state else None)
        outs, names = [out, h_n, c_n], ["output", "h_n", "c_n"]
    else:
        out, h_n = m(x, state.get("h0"))
        outs, names = [out, h_n], ["output", "h_n"]
    args = {"input_size": I, "hidden_size": H, "num_layers": 1, "bias": True, "batch_first": False,
            "dropout": 0.0, "bidirectional": False}
    args.update(kw)
    return record(kind, args, m, dtype, x, state, outs, names)


def layer_cases(kind):
    f32, f64 = torch.float32, torch.float64
    cases = []
    for dtype in (f32, f64):
        cases.append(layer_case(kind, dtype))
        cases.append(layer_case(kind, dtype, with_state=True, num_layers=2, bidirectional=True))
    cases.append(layer_case(kind, f64, with_state=True, num_layers=2, batch_first=True))
    cases.append(layer_case(kind, f32, batched=False, with_state=True, bias=False, bidirectional=True))
    cases.append(layer_case(kind, f64, batched=False))
    cases.append(layer_case(kind, f32, batch_first=True, bidirectional=True))
    # One step without a state: weight_hh still gets a (zero) gradient.
    cases.append(layer_case(kind, f64, seq_len=1, num_layers=2))
    # Dropout acts between layers in training only; in eval mode the result is deterministic.
    cases.append(layer_case(kind, f32, train=False, with_state=True, num_layers=2, dropout=0.5))
    return cases


def write(name, cases):
    path = os.path.join(OUT_DIR, name)
    with open(path, "w") as f:
        json.dump({"torch_version": torch.__version__, "cases": cases}, f)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(path)} ({os.path.getsize(path)} bytes)")


def main():
    torch.manual_seed(0)
    os.makedirs(OUT_DIR, exist_ok=True)
    cells = []
    for kind in ("LSTMCell", "GRUCell"):
        for dtype in (torch.float32, torch.float64):
            cells.append(cell_case(kind, dtype, batched=True, with_state=True))
            cells.append(cell_case(kind, dtype, batched=True, with_state=False))
        cells.append(cell_case(kind, torch.float64, batched=False, with_state=True))
        cells.append(cell_case(kind, torch.float32, batched=True, with_state=True, bias=False))
    write("cells.json", cells)
    write("lstm.json", layer_cases("LSTM"))
    write("gru.json", layer_cases("GRU"))


if __name__ == "__main__":
    main()
