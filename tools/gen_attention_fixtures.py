#!/usr/bin/python3
"""Writes tests/fixtures/attention/{sdpa,mha,transformer}.json: golden values for strata's
scaled_dot_product_attention, nn::MultiheadAttention and the nn::Transformer* layers.

Run with Debian's python3-torch (1.13): `/usr/bin/python3 tools/gen_attention_fixtures.py`. The C++
tests (tests/ops/attention_test.cpp, tests/nn/attention_golden_test.cpp,
tests/nn/transformer_golden_test.cpp) read only the committed files.

PyTorch 1.13 has no F.scaled_dot_product_attention (it came in 2.0), so its cases are computed from
the explicit expression that function is documented to equal:
    softmax(q @ k^T * scale + mask) @ v,  scale = 1 / sqrt(E),
with a bool mask turned into -inf where it is False, and is_causal as the mask ones(L, S).tril().

Every case is deterministic: dropout is 0 (the modules stay in training mode, which keeps PyTorch off
its inference fast paths). For each case: the constructor arguments, the parameters, the inputs
(masks included), the output (and attention weights), fixed upstream gradients, and the gradients of
sum(output * upstream) [+ sum(weights * upstream_weights)] with respect to each floating input and
every parameter; the state_dict keys of each module.
"""
import json
import math
import os

import numpy as np
import torch
from torch import nn

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "attention")
NAMES = {torch.float32: "float32", torch.float64: "float64", torch.bool: "bool"}


def num(v):
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if math.isnan(v):
        return "nan"
    return v


def tensor_json(t):
    t = t.detach()
    if t.dtype == torch.bool:
        data = [bool(v) for v in t.reshape(-1).tolist()]
    elif t.dtype == torch.float32:
        # The shortest decimal that rounds back to the same float32 (the C++ side reads a double
        # and rounds it to float32): about half the characters of the double's 17 digits.
        data = [num(float(repr(np.float32(v)))) for v in t.reshape(-1).tolist()]
    else:
        data = [num(float(v)) for v in t.reshape(-1).tolist()]
    return {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data": data}


def backward_case(outputs, inputs, module=None):
    """Upstream gradients for each output, and the gradients of sum(out * up) over all outputs."""
    ups = [torch.randn(o.shape, dtype=o.dtype) for o in outputs]
    loss = sum((o * u).sum() for o, u in zip(outputs, ups))
    loss.backward()
    grads = {k: tensor_json(t.grad) for k, t in inputs.items() if t.is_floating_point() and t.requires_grad}
    params = {}
    if module is not None:
        params = {k: tensor_json(p.grad) for k, p in module.named_parameters()}
    return ups, grads, params


def leafs(**tensors):
    out = {}
    for k, t in tensors.items():
        if t is None:
            continue
        t = t.clone()
        if t.is_floating_point():
            t.requires_grad_(True)
        out[k] = t
    return out


# ---- scaled_dot_product_attention ----

def sdpa_reference(q, k, v, mask=None, is_causal=False):
    scale = 1.0 / math.sqrt(q.size(-1))
    scores = q @ k.transpose(-2, -1) * scale
    if is_causal:
        keep = torch.ones(q.size(-2), k.size(-2), dtype=torch.bool).tril()
        scores = scores.masked_fill(~keep, float("-inf"))
    elif mask is not None:
        scores = scores.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else scores + mask
    return torch.softmax(scores, dim=-1) @ v


def sdpa_cases(dtype):
    cases = []
    r = lambda *s: torch.randn(*s, dtype=dtype)
    specs = [
        ("plain", r(2, 2, 5, 4), r(2, 2, 4, 4), r(2, 2, 4, 3), None, False),
        ("bool_mask", r(2, 2, 5, 4), r(2, 2, 4, 4), r(2, 2, 4, 3), torch.rand(5, 4) > 0.3, False),
        ("float_mask_broadcast", r(2, 2, 5, 4), r(2, 2, 4, 4), r(2, 2, 4, 3), r(2, 1, 5, 4), False),
        ("causal", r(2, 1, 5, 4), r(2, 1, 5, 4), r(2, 1, 5, 4), None, True),
        ("causal_rect", r(1, 5, 8), r(1, 4, 8), r(1, 4, 3), None, True),
        ("three_d_broadcast_kv", r(3, 5, 4), r(1, 4, 4), r(1, 4, 4), None, False),
        ("two_d", r(5, 4), r(6, 4), r(6, 2), None, False),
    ]
    for name, q, k, v, mask, causal in specs:
        if mask is not None and mask.dtype == torch.bool:
            mask[:, 0] = True  # every query keeps a key: no all-masked row (NaN)
        ins = leafs(q=q, k=k, v=v, attn_mask=mask)
        out = sdpa_reference(ins["q"], ins["k"], ins["v"], ins.get("attn_mask"), causal)
        ups, grads, _ = backward_case([out], ins)
        cases.append({"name": name, "is_causal": causal, "inputs": {k_: tensor_json(t) for k_, t in ins.items()},
                      "output": tensor_json(out), "upstream": tensor_json(ups[0]), "grads": grads})
    return cases


# ---- MultiheadAttention ----

def mha_cases(dtype):
    E, H, L, S, N = 8, 2, 5, 4, 2
    r = lambda *s: torch.randn(*s, dtype=dtype)
    cases = []

    def run(name, args, query, key, value, self_attn=False, key_padding_mask=None, need_weights=True,
            attn_mask=None, average_attn_weights=True):
        m = nn.MultiheadAttention(**args).to(dtype)
        with torch.no_grad():  # small random biases, so that their gradients are exercised
            for pname, p in m.named_parameters():
                if pname.endswith("bias") or pname.startswith("bias_"):
                    p.copy_(torch.randn(p.shape, dtype=dtype) * 0.1)
        ins = leafs(query=query, key=key, value=value, key_padding_mask=key_padding_mask, attn_mask=attn_mask)
        for mk in ("key_padding_mask", "attn_mask"):
            if mk in ins:
                ins[mk].requires_grad_(False)
        if self_attn:
            ins.pop("key", None)
            ins.pop("value", None)
            q = k = v = ins["query"]
        else:
            q, k, v = ins["query"], ins["key"], ins["value"]
        out, w = m(q, k, v, key_padding_mask=ins.get("key_padding_mask"), need_weights=need_weights,
                   attn_mask=ins.get("attn_mask"), average_attn_weights=average_attn_weights)
        outs = [out] + ([w] if need_weights else [])
        ups, grads, pgrads = backward_case(outs, ins, m)
        c = {"name": name, "args": args, "self_attention": self_attn,
             "forward": {"need_weights": need_weights, "average_attn_weights": average_attn_weights},
             "params": {k_: tensor_json(p) for k_, p in m.named_parameters()},
             "inputs": {k_: tensor_json(t) for k_, t in ins.items()},
             "output": tensor_json(out), "upstream": tensor_json(ups[0]),
             "grads": grads, "grad_params": pgrads, "state_dict_keys": list(m.state_dict().keys())}
        if need_weights:
            c["weights"] = tensor_json(w)
            c["upstream_weights"] = tensor_json(ups[1])
        cases.append(c)

    base = {"embed_dim": E, "num_heads": H}
    x = r(L, N, E)
    run("self", base, x, None, None, self_attn=True)
    bool_mask = torch.rand(L, L) > 0.7
    kpm = torch.zeros(N, L, dtype=torch.bool)
    kpm[0, -2:] = True
    run("self_bool_masks", base, x, None, None, self_attn=True, key_padding_mask=kpm, attn_mask=bool_mask)
    fmask = r(N * H, L, S)
    fkpm = torch.zeros(N, S, dtype=dtype)
    fkpm[1, 0] = float("-inf")
    fkpm[0, 2] = -1.5
    kv = r(S, N, E)
    # A floating key_padding_mask only alone: 1.13 merges it into another mask with masked_fill /
    # logical_or (treating it as bool), where PyTorch 2 adds it; strata adds it, as PyTorch 2.
    run("cross_kv_float_3d_mask_bool_padding", base, r(L, N, E), kv, kv, key_padding_mask=kpm[:, :S],
        attn_mask=fmask)
    run("cross_qkv_distinct_float_padding", base, r(L, N, E), r(S, N, E), r(S, N, E), key_padding_mask=fkpm)
    run("batch_first_no_weights", dict(base, batch_first=True), r(N, L, E), None, None, self_attn=True,
        need_weights=False, key_padding_mask=kpm)
    run("kdim_vdim_per_head_weights", dict(base, kdim=6, vdim=7), r(L, N, E), r(S, N, 6), r(S, N, 7),
        average_attn_weights=False)
    run("no_bias", dict(base, bias=False), x, None, None, self_attn=True)
    run("bias_kv_zero_attn", dict(base, add_bias_kv=True, add_zero_attn=True), r(L, N, E), kv, kv,
        key_padding_mask=kpm[:, :S], attn_mask=torch.rand(L, S) > 0.8)
    run("unbatched", base, r(L, E), None, None, self_attn=True, key_padding_mask=torch.tensor([False] * 4 + [True]),
        attn_mask=r(H, L, L))
    run("batch_first_cross_bool_3d", dict(base, batch_first=True), r(N, L, E), r(N, S, E), r(N, S, E),
        attn_mask=torch.rand(N * H, L, S) > 0.8)
    return cases


# ---- Transformer layers ----

def causal(n):
    return torch.triu(torch.ones(n, n, dtype=torch.bool), 1)


def transformer_cases(dtype):
    d, H, F, L, S, N = 8, 2, 16, 5, 4, 2
    r = lambda *s: torch.randn(*s, dtype=dtype)
    cases = []

    def perturb(m):
        with torch.no_grad():  # LayerNorm's ones/zeros and zero biases would hide mistakes
            for pname, p in m.named_parameters():
                if "norm" in pname or pname.endswith("bias"):
                    p.add_(torch.randn(p.shape, dtype=dtype) * 0.1)

    def enc_layer(args):
        return nn.TransformerEncoderLayer(**args).to(dtype)

    def dec_layer(args):
        return nn.TransformerDecoderLayer(**args).to(dtype)

    def run(name, kind, args, module, inputs, call, extra=None):
        perturb(module)
        ins = leafs(**inputs)
        for k_, t in ins.items():
            if k_.endswith("mask"):
                t.requires_grad_(False)
        out = call(module, ins)
        ups, grads, pgrads = backward_case([out], ins, module)
        c = {"name": name, "kind": kind, "args": args,
             "params": {k_: tensor_json(p) for k_, p in module.named_parameters()},
             "inputs": {k_: tensor_json(t) for k_, t in ins.items()},
             "output": tensor_json(out), "upstream": tensor_json(ups[0]),
             "grads": grads, "grad_params": pgrads, "state_dict_keys": list(module.state_dict().keys())}
        c.update(extra or {})
        cases.append(c)

    base = {"d_model": d, "nhead": H, "dim_feedforward": F, "dropout": 0.0}
    kpm = torch.zeros(N, L, dtype=torch.bool)
    kpm[1, -1] = True
    a = dict(base, activation="relu")
    run("encoder_relu_post_norm", "encoder_layer", a, enc_layer(a),
        {"src": r(L, N, d), "src_key_padding_mask": kpm, "src_mask": r(L, L)},
        lambda m, i: m(i["src"], src_mask=i["src_mask"], src_key_padding_mask=i["src_key_padding_mask"]))
    a = dict(base, activation="gelu", norm_first=True, batch_first=True)
    # is_causal: PyTorch 1.13 has no such argument; the explicit causal mask gives what strata's
    # is_causal = true must give.
    run("encoder_gelu_norm_first_batch_first_causal", "encoder_layer", a, enc_layer(a), {"src": r(N, L, d)},
        lambda m, i: m(i["src"], src_mask=causal(L)), {"is_causal": True})
    a = dict(base, activation="gelu", layer_norm_eps=1e-3)
    run("encoder_unbatched", "encoder_layer", a, enc_layer(a), {"src": r(L, d)}, lambda m, i: m(i["src"]))
    a = dict(base, activation="relu")
    stack = nn.TransformerEncoder(enc_layer(a), num_layers=2, norm=nn.LayerNorm(d).to(dtype))
    with torch.no_grad():  # the clones start equal; make layer 1 differ from layer 0
        for p in stack.layers[1].parameters():
            p.add_(torch.randn(p.shape, dtype=dtype) * 0.05)
    run("encoder_two_layers_final_norm", "encoder", dict(a, num_layers=2, final_norm=True), stack,
        {"src": r(L, N, d), "src_key_padding_mask": kpm},
        lambda m, i: m(i["src"], src_key_padding_mask=i["src_key_padding_mask"]))
    a = dict(base, activation="relu")
    mkpm = torch.zeros(N, S, dtype=torch.bool)
    mkpm[0, 0] = True
    run("decoder_relu_post_norm", "decoder_layer", a, dec_layer(a),
        {"tgt": r(L, N, d), "memory": r(S, N, d), "tgt_key_padding_mask": kpm, "memory_key_padding_mask": mkpm,
         "memory_mask": r(L, S)},
        lambda m, i: m(i["tgt"], i["memory"], tgt_mask=causal(L), memory_mask=i["memory_mask"],
                       tgt_key_padding_mask=i["tgt_key_padding_mask"],
                       memory_key_padding_mask=i["memory_key_padding_mask"]), {"tgt_is_causal": True})
    a = dict(base, activation="gelu", norm_first=True, batch_first=True)
    run("decoder_gelu_norm_first_batch_first", "decoder_layer", a, dec_layer(a),
        {"tgt": r(N, L, d), "memory": r(N, S, d), "tgt_mask": causal(L)},
        lambda m, i: m(i["tgt"], i["memory"], tgt_mask=i["tgt_mask"]))
    a = dict(base, activation="relu")
    dstack = nn.TransformerDecoder(dec_layer(a), num_layers=2, norm=nn.LayerNorm(d).to(dtype))
    with torch.no_grad():
        for p in dstack.layers[1].parameters():
            p.add_(torch.randn(p.shape, dtype=dtype) * 0.05)
    run("decoder_two_layers_final_norm", "decoder", dict(a, num_layers=2, final_norm=True), dstack,
        {"tgt": r(L, N, d), "memory": r(S, N, d)}, lambda m, i: m(i["tgt"], i["memory"]))
    return cases


def write(name, payload):
    path = os.path.join(OUT_DIR, name)
    with open(path, "w") as f:
        json.dump(dict(payload, torch_version=torch.__version__), f)
        f.write("\n")
    print(f"wrote {os.path.normpath(path)} ({os.path.getsize(path) // 1024} KB)")


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.manual_seed(0)
    write("sdpa.json", {"cases": sdpa_cases(torch.float32) + sdpa_cases(torch.float64)})
    for dtype in (torch.float32, torch.float64):
        torch.manual_seed(1)
        write(f"mha_{NAMES[dtype]}.json", {"cases": mha_cases(dtype)})
        torch.manual_seed(2)
        cases = transformer_cases(dtype)
        write(f"encoder_{NAMES[dtype]}.json", {"cases": [c for c in cases if c["kind"].startswith("encoder")]})
        write(f"decoder_{NAMES[dtype]}.json", {"cases": [c for c in cases if c["kind"].startswith("decoder")]})


if __name__ == "__main__":
    main()
