#!/usr/bin/python3
"""Writes tests/fixtures/losses/<loss>.json: golden values and gradients of the loss functions (and, as
activation_<name>.json, of the activations composed in src/nn/functional/activation.cpp).

Run with Debian's python3-torch (1.13): `/usr/bin/python3 tools/gen_loss_fixtures.py`. The files are
committed; tests/nn/loss_golden_test.cpp reads only them.

Tensors are written as tools/gen_fixtures.py writes them (its tensor_json: dtype, shape, row-major
data that parses back bit-exactly; `noncontig` asks the reader for transposed strides). A case holds
`params` (reduction, and the loss's options; "weight"/"pos_weight": true when the corresponding
tensor follows input and target in `inputs`), `inputs`, `output`, `upstream` (null for a scalar
output, else random) and `grads`: for each input, the gradient of sum(output * upstream) (of the
output itself when it is a scalar), or null for an input that takes none.

stability.json holds logits of magnitude ~1e4. Its reference output and gradients are computed in
float64 from the same (float32-rounded) inputs, whatever dtype the case runs in.
"""
import json
import os
import sys
import warnings
import zlib

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures import inputs_json, tensor_json  # noqa: E402  (shared float formatting)

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "losses")
F32, F64, I64 = torch.float32, torch.float64, torch.int64
SHORT = {F32: "f32", F64: "f64"}
REDUCTIONS = ("mean", "sum", "none")


class In:
    def __init__(self, t, grad=False, noncontig=False):
        self.t, self.grad, self.noncontig = t, grad, noncontig


def rn(*shape, dtype=F64):
    return torch.randn(shape, dtype=dtype)


def probs(*shape, dtype=F64):
    """Values in [0.05, 0.95]: inside BCE's domain, away from its clamp."""
    return torch.rand(shape, dtype=dtype) * 0.9 + 0.05


def soft_targets(*shape, dim=1, dtype=F64):
    return torch.softmax(torch.randn(shape, dtype=dtype), dim=dim)


def classes(c, *shape, ignore=None, at=()):
    t = torch.randint(0, c, shape)
    for pos in at:
        t[pos] = ignore
    return t


def call(name, xs, p):
    """The loss `name` on leaves xs with params p; must mean the same as the C++ test's dispatch."""
    if name.startswith("activation_"):  # the activations of tests/nn/activation_new_test.cpp
        fn = name[len("activation_"):]
        if fn.startswith("elu"):
            return F.elu(xs[0], alpha=p["alpha"])
        if fn == "softplus":
            return F.softplus(xs[0], beta=p["beta"], threshold=p["threshold"])
        return getattr(F, fn)(xs[0])
    red = p["reduction"]
    x, t, rest = xs[0], xs[1], list(xs[2:])
    w = rest.pop(0) if p.get("weight") else None
    pw = rest.pop(0) if p.get("pos_weight") else None
    if name == "mse_loss":
        return F.mse_loss(x, t, reduction=red)
    if name == "l1_loss":
        return F.l1_loss(x, t, reduction=red)
    if name == "smooth_l1_loss":
        return F.smooth_l1_loss(x, t, reduction=red, beta=p["beta"])
    if name == "huber_loss":
        return F.huber_loss(x, t, reduction=red, delta=p["delta"])
    if name == "cross_entropy":
        return F.cross_entropy(x, t, weight=w, ignore_index=p["ignore_index"], reduction=red,
                               label_smoothing=p["label_smoothing"])
    if name == "nll_loss":
        return F.nll_loss(x, t, weight=w, ignore_index=p["ignore_index"], reduction=red)
    if name == "nll_log_softmax":  # nll_loss of log_softmax(x, 1): the composed classifier loss
        return F.nll_loss(F.log_softmax(x, 1 if x.dim() > 1 else 0), t, weight=w,
                          ignore_index=p["ignore_index"], reduction=red)
    if name == "binary_cross_entropy":
        return F.binary_cross_entropy(x, t, weight=w, reduction=red)
    if name == "binary_cross_entropy_with_logits":
        return F.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw, reduction=red)
    if name == "kl_div":
        return F.kl_div(x, t, reduction=red, log_target=p["log_target"])
    if name == "cosine_embedding_loss":  # inputs: x1, x2, target
        return F.cosine_embedding_loss(x, t, xs[2], margin=p["margin"], reduction=red)
    raise ValueError(name)


def leaves_of(inputs, dtype=None):
    out = []
    for inp in inputs:
        t = inp.t.clone()
        if dtype is not None and t.is_floating_point():
            t = t.to(dtype)
        if inp.noncontig:
            t = t.transpose(-2, -1).contiguous().transpose(-2, -1)
            assert not t.is_contiguous()
        out.append(t.requires_grad_(inp.grad))
    return out


def grads_of(out, leaves, upstream):
    loss = out if upstream is None else (out * upstream).sum()
    wrt = [t for t in leaves if t.requires_grad]
    if not out.requires_grad:
        return [None] * len(leaves)
    got = iter(torch.autograd.grad(loss, wrt, allow_unused=True))
    res = []
    for t in leaves:
        if not t.requires_grad:
            res.append(None)
            continue
        g = next(got)
        res.append(g if g is not None else torch.zeros_like(t))
    return res


def run_case(loss, name, inputs, params):
    leaves = leaves_of(inputs)
    out = call(loss, leaves, params)
    upstream = None if out.dim() == 0 else torch.randn(out.shape, dtype=out.dtype)
    grads = grads_of(out, leaves, upstream)
    case = {"name": name, "params": params, "inputs": inputs_json(inputs, leaves)}
    case["output"] = tensor_json(out)
    case["upstream"] = None if upstream is None else tensor_json(upstream)
    case["grads"] = [None if g is None else tensor_json(g) for g in grads]
    return case


def run_stability_case(loss, name, inputs, params):
    """Runs in the inputs' dtype in C++; the reference is torch in float64 on the same values."""
    leaves = leaves_of(inputs, F64)
    out = call(loss, leaves, params)
    upstream = None if out.dim() == 0 else torch.randn(out.shape, dtype=F64)
    grads = grads_of(out, leaves, upstream)
    assert torch.isfinite(out).all(), name
    case = {"name": name, "loss": loss, "params": params, "inputs": [], "upstream": None,
            "output": tensor_json(out), "grads": [None if g is None else tensor_json(g) for g in grads]}
    for inp in inputs:
        j = tensor_json(inp.t)
        j["requires_grad"] = inp.grad
        case["inputs"].append(j)
    if upstream is not None:
        case["upstream"] = tensor_json(upstream)
    return case


# ---- cases: (name, inputs, params) ----

def regression_cases(extra):
    def make(dt):
        cases = []
        for red in REDUCTIONS:
            cases.append((red, [In(rn(2, 3, dtype=dt), True), In(rn(2, 3, dtype=dt), True)],
                          {"reduction": red, **extra}))
        cases.append(("broadcast_target", [In(rn(2, 3, dtype=dt), True), In(rn(3, dtype=dt), True)],
                      {"reduction": "mean", **extra}))
        cases.append(("noncontig_none", [In(rn(3, 2, dtype=dt), True, True), In(rn(3, 2, dtype=dt), True)],
                      {"reduction": "none", **extra}))
        cases.append(("0d", [In(rn(dtype=dt), True), In(rn(dtype=dt), True)], {"reduction": "mean", **extra}))
        cases.append(("empty_mean", [In(rn(0, 3, dtype=dt), True), In(rn(0, 3, dtype=dt), True)],
                      {"reduction": "mean", **extra}))
        return cases
    return make


def smooth_cases(param, values):
    def make(dt):
        cases = regression_cases({param: 1.0})(dt)
        for v in values:  # differences spread over both branches
            x = rn(2, 4, dtype=dt) * 2
            cases.append((f"{param}_{v}", [In(x, True), In(rn(2, 4, dtype=dt), True)],
                          {"reduction": "sum", param: v}))
        return cases
    return make


def ce_params(red="mean", ignore_index=-100, ls=0.0, weight=False):
    return {"reduction": red, "ignore_index": ignore_index, "label_smoothing": ls, "weight": weight}


def cross_entropy_cases(dt):
    w = In(torch.rand(3, dtype=dt) + 0.5)
    w4 = In(torch.rand(4, dtype=dt) + 0.5)
    x = lambda *s: In(rn(*s, dtype=dt), True)  # noqa: E731
    cases = []
    for red in REDUCTIONS:
        cases.append((f"plain_{red}", [x(4, 3), In(classes(3, 4))], ce_params(red)))
        cases.append((f"weight_ignore_smoothing_{red}", [x(4, 3), In(classes(3, 4, ignore=1, at=[1, 3])), w],
                      ce_params(red, 1, 0.2, True)))
        cases.append((f"prob_{red}", [x(3, 3), In(soft_targets(3, 3, dtype=dt), True)], ce_params(red)))
    cases += [
        ("weight_mean", [x(4, 3), In(classes(3, 4)), w], ce_params(weight=True)),
        ("ignore_mean", [x(4, 3), In(classes(3, 4, ignore=-100, at=[0, 2]))], ce_params()),
        ("smoothing_mean", [x(4, 3), In(classes(3, 4))], ce_params(ls=0.1)),
        ("smoothing_ignore_mean", [x(3, 3), In(classes(3, 3, ignore=-100, at=[2]))], ce_params(ls=0.3)),
        ("prob_weight_smoothing_mean", [x(3, 3), In(soft_targets(3, 3, dtype=dt), True), w],
         ce_params(ls=0.25, weight=True)),
        ("kdim_mean", [x(2, 3, 2, 2), In(classes(3, 2, 2, 2))], ce_params()),
        ("kdim_weight_ignore_smoothing_none", [x(2, 4, 1, 2), In(classes(4, 2, 1, 2, ignore=0, at=[(0, 0, 1)])),
                                               w4], ce_params("none", 0, 0.1, True)),
        ("kdim_prob_sum", [x(2, 3, 2), In(soft_targets(2, 3, 2, dtype=dt), True)], ce_params("sum")),
        ("1d_input", [x(4), In(torch.tensor(2))], ce_params()),
        ("1d_input_prob_none", [x(4), In(soft_targets(4, dim=0, dtype=dt), True)], ce_params("none")),
        ("noncontig_weight_mean", [In(rn(4, 3, dtype=dt), True, True), In(classes(3, 4)), w],
         ce_params(weight=True)),
        ("all_ignored_mean", [x(2, 3), In(torch.tensor([-100, -100]))], ce_params()),
        ("empty_mean", [x(0, 3), In(torch.zeros(0, dtype=I64))], ce_params()),
    ]
    return cases


def nll_params(red="mean", ignore_index=-100, weight=False):
    return {"reduction": red, "ignore_index": ignore_index, "weight": weight}


def nll_cases(dt):
    lp = lambda *s: In(torch.log_softmax(rn(*s, dtype=dt), 1 if len(s) > 1 else 0), True)  # noqa: E731
    w = In(torch.rand(3, dtype=dt) + 0.5)
    cases = [(f"plain_{red}", [lp(4, 3), In(classes(3, 4))], nll_params(red)) for red in REDUCTIONS]
    cases += [(f"weight_ignore_{red}", [lp(4, 3), In(classes(3, 4, ignore=2, at=[0])), w],
               nll_params(red, 2, True)) for red in REDUCTIONS]
    cases += [
        ("kdim_weight_mean", [lp(2, 3, 2, 1), In(classes(3, 2, 2, 1)), w], nll_params(weight=True)),
        ("1d_input_sum", [lp(3), In(torch.tensor(1))], nll_params("sum")),
        ("noncontig_none", [In(rn(4, 3, dtype=dt), True, True), In(classes(3, 4))], nll_params("none")),
    ]
    return cases


def bce_cases(dt):
    p = lambda *s: In(probs(*s, dtype=dt), True)  # noqa: E731
    cases = [(red, [p(2, 3), p(2, 3)], {"reduction": red}) for red in REDUCTIONS]
    cases += [
        ("weight_broadcast_mean", [p(2, 3), p(2, 3), In(torch.rand(3, dtype=dt))],
         {"reduction": "mean", "weight": True}),
        ("hard_targets_sum", [p(2, 3), In(torch.randint(0, 2, (2, 3)).to(dt), True)], {"reduction": "sum"}),
        ("noncontig_none", [In(probs(3, 2, dtype=dt), True, True), p(3, 2)], {"reduction": "none"}),
        # Values only: where a log is clamped PyTorch's gradients are not those of its own loss.
        ("clamped_edges_none", [In(torch.tensor([0.0, 1.0, 1e-50, 0.5], dtype=dt)),
                                In(torch.tensor([0.3, 0.6, 0.2, 0.5], dtype=dt))], {"reduction": "none"}),
    ]
    return cases


def bce_logits_cases(dt):
    x = lambda *s: In(rn(*s, dtype=dt) * 3, True)  # noqa: E731
    t = lambda *s: In(probs(*s, dtype=dt), True)  # noqa: E731
    cases = [(red, [x(2, 3), t(2, 3)], {"reduction": red}) for red in REDUCTIONS]
    cases += [
        ("weight_pos_weight_mean", [x(2, 3), t(2, 3), In(torch.rand(2, 1, dtype=dt)),
                                    In(torch.rand(3, dtype=dt) * 3)],
         {"reduction": "mean", "weight": True, "pos_weight": True}),
        ("pos_weight_none", [x(2, 3), t(2, 3), In(torch.rand(3, dtype=dt) * 3)],
         {"reduction": "none", "pos_weight": True}),
        ("noncontig_sum", [In(rn(3, 2, dtype=dt) * 3, True, True), t(3, 2)], {"reduction": "sum"}),
        ("large_logits_none", [In(torch.tensor([-40.0, -25.0, 25.0, 40.0], dtype=dt), True), t(4)],
         {"reduction": "none"}),
    ]
    return cases


def kl_div_cases(dt):
    logp = lambda *s: In(torch.log_softmax(rn(*s, dtype=dt), -1), True)  # noqa: E731
    prob = lambda *s: In(soft_targets(*s, dim=-1, dtype=dt), True)  # noqa: E731
    kl = lambda red, log_target=False: {"reduction": red, "log_target": log_target}  # noqa: E731
    cases = [(red, [logp(3, 4), prob(3, 4)], kl(red)) for red in REDUCTIONS + ("batchmean",)]
    cases += [(f"log_target_{red}", [logp(3, 4), logp(3, 4)], kl(red, True)) for red in ("batchmean", "none")]
    cases += [
        ("broadcast_target_batchmean", [logp(2, 3), prob(3)], kl("batchmean")),
        ("noncontig_sum", [In(torch.log_softmax(rn(4, 3, dtype=dt), 0), True, True), prob(4, 3)], kl("sum")),
        ("0d_batchmean", [In(rn(dtype=dt), True), In(torch.rand((), dtype=dt) + 0.1, True)], kl("batchmean")),
        ("0d_log_target_batchmean", [In(rn(dtype=dt), True), In(rn(dtype=dt), True)], kl("batchmean", True)),
        ("empty_batchmean", [In(rn(0, 3, dtype=dt), True), In(rn(0, 3, dtype=dt).abs(), True)], kl("batchmean")),
        # A zero target contributes 0; its own gradient is NaN in PyTorch, so only the input's is recorded.
        ("zero_target_none", [logp(2, 3), In(torch.tensor([[0.0, 0.3, 0.7], [0.5, 0.0, 0.5]], dtype=dt))],
         kl("none")),
    ]
    return cases


def cosine_embedding_cases(dt):
    x = lambda *s: In(rn(*s, dtype=dt), True)  # noqa: E731
    labels = torch.tensor([1, -1, -1, 1, 0])
    ce = lambda red, margin=0.0: {"reduction": red, "margin": margin}  # noqa: E731
    cases = [(red, [x(5, 4), x(5, 4), In(labels)], ce(red)) for red in REDUCTIONS]
    cases += [
        ("margin_sum", [x(5, 4), x(5, 4), In(labels)], ce("sum", 0.3)),
        ("negative_margin_none", [x(5, 4), x(5, 4), In(labels)], ce("none", -0.4)),
        ("similar_pairs_none", [In(torch.tensor([[1.0, 2.0], [1.0, 0.0]], dtype=dt), True),
                                In(torch.tensor([[1.1, 2.0], [0.9, 0.1]], dtype=dt), True),
                                In(torch.tensor([-1, -1]))], ce("none", 0.5)),
        ("0d_target", [x(4), x(4), In(torch.tensor(-1))], ce("mean", -0.5)),
        ("broadcast_x2_none", [x(3, 4), x(1, 4), In(torch.tensor([1, -1, 1]))], ce("none")),
        ("float_target_mean", [x(3, 4), x(3, 4), In(torch.tensor([1.0, -1.0, -1.0], dtype=dt))], ce("mean", 0.1)),
        ("noncontig_sum", [In(rn(4, 3, dtype=dt), True, True), x(4, 3), In(torch.tensor([1, -1, 1, 1]))], ce("sum")),
        ("zero_vector_none", [In(torch.zeros(2, 3, dtype=dt), True), x(2, 3), In(torch.tensor([1, -1]))],
         ce("none")),
        ("empty_mean", [x(0, 4), x(0, 4), In(torch.zeros(0, dtype=I64))], ce("mean")),
    ]
    return cases


def padded(special, dt, n=32):
    """The special points, then random ones up to n: a multiple of PyTorch's vector block (16 float32 or
    8 float64 values), so that every point goes through its vectorised CPU kernel, as any tensor of
    realistic size does. (At exactly 3, hardswish's gradient is 1 there but 1.5 in the scalar tail.)"""
    return torch.cat([torch.tensor(special, dtype=dt), rn(n - len(special), dtype=dt) * 3])


def activation_cases(special, params=None):
    """Random inputs (ordinary, non-contiguous, 0-d, empty) and the kinks and extremes in `special`."""
    def make(dt):
        p = params or {}
        cases = [("random", [In(rn(3, 4, dtype=dt) * 3, True)], p),
                 ("noncontig", [In(rn(4, 3, dtype=dt) * 3, True, True)], p),
                 ("0d", [In(rn(dtype=dt), True)], p),
                 ("empty", [In(rn(0, 3, dtype=dt), True)], p),
                 ("special_points", [In(padded(special, dt), True)], p)]
        return cases
    return make


def per_float(make):
    return lambda: [(f"{SHORT[dt]}_{n}", i, p) for dt in (F32, F64) for n, i, p in make(dt)]


LOSSES = [
    ("mse_loss", per_float(regression_cases({}))),
    ("l1_loss", per_float(lambda dt: regression_cases({})(dt) + [
        ("zero_difference_sum", [In(torch.tensor([1.0, -2.0], dtype=dt), True),
                                 In(torch.tensor([1.0, 0.5], dtype=dt), True)], {"reduction": "sum"})])),
    ("smooth_l1_loss", per_float(smooth_cases("beta", [0.5, 2.0]))),
    ("huber_loss", per_float(smooth_cases("delta", [0.5, 2.0]))),
    ("cross_entropy", per_float(cross_entropy_cases)),
    ("nll_loss", per_float(nll_cases)),
    ("binary_cross_entropy", per_float(bce_cases)),
    ("binary_cross_entropy_with_logits", per_float(bce_logits_cases)),
    ("kl_div", per_float(kl_div_cases)),
    ("cosine_embedding_loss", per_float(cosine_embedding_cases)),
    ("activation_elu", per_float(activation_cases([-50.0, -2.0, -1e-3, 0.0, 1e-3, 2.0, 100.0], {"alpha": 1.0}))),
    ("activation_elu_alpha", per_float(activation_cases([-3.0, -0.5, 0.0, 0.5, 3.0], {"alpha": 0.3}))),
    ("activation_hardswish", per_float(activation_cases([-4.0, -3.0, -2.9, -1.0, 0.0, 1.0, 2.9, 3.0, 4.0]))),
    ("activation_mish", per_float(activation_cases([-100.0, -20.0, -1.0, 0.0, 1.0, 19.9, 20.0, 20.5, 50.0, 100.0]))),
    ("activation_softplus", per_float(activation_cases([-30.0, -1.0, 0.0, 1.0, 9.9, 10.0, 10.5, 40.0],
                                                       {"beta": 2.0, "threshold": 20.0}))),
]


def stability_cases():
    big = torch.tensor([[1e4, -1e4, 0.0, 5e3], [-1e4, -1e4, 1e4, 2.5], [3e3, -7e3, 9.5e3, -2e3]])
    cases = []
    for dt in (F32, F64):
        s = SHORT[dt]
        x = (torch.randn(4, 5) * 1e4).to(dt)
        big_dt = big.to(dt)
        cases += [
            (f"{s}_ce_mean", "cross_entropy", [In(x, True), In(torch.tensor([0, 3, 4, 1]))], ce_params()),
            (f"{s}_ce_exact_none", "cross_entropy", [In(big_dt, True), In(torch.tensor([1, 2, 0]))],
             ce_params("none")),
            (f"{s}_ce_weight_ignore_smoothing_sum", "cross_entropy",
             [In(x, True), In(torch.tensor([2, -100, 4, 0])), In(torch.rand(5).to(dt) + 0.5)],
             ce_params("sum", ls=0.1, weight=True)),
            (f"{s}_ce_prob_none", "cross_entropy", [In(x, True), In(soft_targets(4, 5).to(dt), True)],
             ce_params("none")),
            (f"{s}_nll_log_softmax_mean", "nll_log_softmax", [In(x, True), In(torch.tensor([4, 4, 0, 2]))],
             nll_params()),
            (f"{s}_nll_log_softmax_none", "nll_log_softmax", [In(big_dt, True), In(torch.tensor([3, 0, 1]))],
             nll_params("none")),
            (f"{s}_bce_logits_none", "binary_cross_entropy_with_logits",
             [In(big_dt, True), In(probs(3, 4).to(dt), True)], {"reduction": "none"}),
            (f"{s}_bce_logits_pos_weight_mean", "binary_cross_entropy_with_logits",
             [In(x, True), In(probs(4, 5).to(dt), True), In((torch.rand(5) * 3).to(dt))],
             {"reduction": "mean", "pos_weight": True}),
        ]
    return cases


def write(name, cases_json, extra=""):
    names = [c["name"] for c in cases_json]
    assert len(names) == len(set(names)), f"{name}: duplicate case names"
    lines = [json.dumps(c, separators=(",", ":"), allow_nan=False) for c in cases_json]
    text = ('{"loss":%s,"generated_by":"tools/gen_loss_fixtures.py","torch":%s,%s"cases":[\n%s\n]}\n'
            % (json.dumps(name), json.dumps(torch.__version__), extra, ",\n".join(lines)))
    with open(os.path.join(OUT_DIR, f"{name}.json"), "w") as f:
        f.write(text)
    return len(text)


def main():
    warnings.filterwarnings("ignore", message="Using a target size")  # broadcast targets are meant
    warnings.filterwarnings("ignore", message="reduction: .mean. divides")  # kl_div's mean is meant too
    os.makedirs(OUT_DIR, exist_ok=True)
    total = 0
    for name, cases in LOSSES:
        torch.manual_seed(zlib.crc32(name.encode()))
        total += write(name, [run_case(name, cn, inputs, params) for cn, inputs, params in cases()])
    torch.manual_seed(zlib.crc32(b"stability"))
    total += write("stability", [run_stability_case(loss, cn, inputs, params)
                                 for cn, loss, inputs, params in stability_cases()])
    print(f"wrote {len(LOSSES) + 1} files, {total} bytes, to {os.path.normpath(OUT_DIR)}")


if __name__ == "__main__":
    main()
