"""Matrix products, joining and splitting, indexing, and views composed with a reduction."""
import torch
import torch.nn.functional as F

from .common import I64, In, bools, ints, nc, op, per_float, rn

from .reductions import summed


# ---- linear algebra ----

@op("matmul", lambda xs, p: torch.matmul(xs[0], xs[1]))
def _matmul():
    return per_float(lambda dt: [
        ("1d_1d", [In(rn(4, dtype=dt)), In(rn(4, dtype=dt))], {}),
        ("2d_1d", [In(rn(3, 4, dtype=dt)), In(rn(4, dtype=dt))], {}),
        ("1d_2d", [In(rn(4, dtype=dt)), In(rn(4, 2, dtype=dt))], {}),
        ("2d_2d", [In(rn(3, 4, dtype=dt)), In(rn(4, 2, dtype=dt))], {}),
        ("batched", [In(rn(2, 3, 4, dtype=dt)), In(rn(2, 4, 2, dtype=dt))], {}),
        ("3d_2d", [In(rn(2, 3, 4, dtype=dt)), In(rn(4, 2, dtype=dt))], {}),
        ("2d_3d", [In(rn(3, 4, dtype=dt)), In(rn(2, 4, 2, dtype=dt))], {}),
        ("broadcast_4d", [In(rn(2, 1, 3, 4, dtype=dt)), In(rn(3, 4, 2, dtype=dt))], {}),
        ("1d_3d", [In(rn(4, dtype=dt)), In(rn(2, 4, 3, dtype=dt))], {}),
        ("3d_1d", [In(rn(2, 3, 4, dtype=dt)), In(rn(4, dtype=dt))], {}),
        ("noncontig", [nc(rn(3, 4, dtype=dt)), nc(rn(4, 2, dtype=dt))], {}),
    ])


@op("mm", lambda xs, p: torch.mm(xs[0], xs[1]))
def _mm():
    return per_float(lambda dt: [
        ("basic", [In(rn(3, 4, dtype=dt)), In(rn(4, 2, dtype=dt))], {}),
        ("noncontig", [nc(rn(3, 5, dtype=dt)), nc(rn(5, 4, dtype=dt))], {}),
        ("empty_inner", [In(rn(2, 0, dtype=dt)), In(rn(0, 3, dtype=dt))], {}),
    ])


@op("bmm", lambda xs, p: torch.bmm(xs[0], xs[1]))
def _bmm():
    return per_float(lambda dt: [
        ("basic", [In(rn(2, 3, 4, dtype=dt)), In(rn(2, 4, 2, dtype=dt))], {}),
        ("noncontig", [nc(rn(3, 2, 3, dtype=dt)), nc(rn(3, 3, 4, dtype=dt))], {}),
    ])


@op("linear", lambda xs, p: F.linear(*xs))
def _linear():
    return per_float(lambda dt: [
        ("bias", [In(rn(3, 4, dtype=dt)), In(rn(2, 4, dtype=dt)), In(rn(2, dtype=dt))], {}),
        ("no_bias", [In(rn(3, 4, dtype=dt)), In(rn(2, 4, dtype=dt))], {}),
        ("3d_input", [In(rn(2, 3, 4, dtype=dt)), In(rn(5, 4, dtype=dt)), In(rn(5, dtype=dt))], {}),
        ("1d_input", [In(rn(4, dtype=dt)), In(rn(3, 4, dtype=dt)), In(rn(3, dtype=dt))], {}),
        ("noncontig", [nc(rn(3, 4, dtype=dt)), nc(rn(2, 4, dtype=dt)), In(rn(2, dtype=dt))], {}),
    ])


# ---- joining and splitting (cat and stack take every input as the list) ----

@op("cat", lambda xs, p: torch.cat(xs, p["dim"]))
def _cat():
    return per_float(lambda dt: [
        ("dim0", [In(rn(2, 3, dtype=dt)), In(rn(1, 3, dtype=dt))], {"dim": 0}),
        ("dim1_three", [In(rn(2, 3, dtype=dt)), In(rn(2, 1, dtype=dt)), In(rn(2, 2, dtype=dt))], {"dim": 1}),
        ("neg_dim_3d", [In(rn(2, 2, 3, dtype=dt)), In(rn(2, 2, 1, dtype=dt))], {"dim": -1}),
        ("noncontig", [nc(rn(3, 4, dtype=dt)), In(rn(2, 4, dtype=dt))], {"dim": 0}),
        ("with_empty", [In(rn(2, 3, dtype=dt)), In(rn(0, 3, dtype=dt))], {"dim": 0}),
    ]) + [("i64", [In(ints(-5, 5, 2, 2)), In(ints(-5, 5, 2, 3))], {"dim": 1})]


@op("stack", lambda xs, p: torch.stack(xs, p["dim"]))
def _stack():
    return per_float(lambda dt: [
        ("dim0", [In(rn(2, 3, dtype=dt)), In(rn(2, 3, dtype=dt))], {"dim": 0}),
        ("dim1", [In(rn(2, 3, dtype=dt)), In(rn(2, 3, dtype=dt)), In(rn(2, 3, dtype=dt))], {"dim": 1}),
        ("neg_dim_noncontig", [nc(rn(3, 2, dtype=dt)), In(rn(3, 2, dtype=dt))], {"dim": -1}),
    ]) + [("i64", [In(ints(-5, 5, 3)), In(ints(-5, 5, 3))], {"dim": 0})]


@op("split", lambda xs, p: torch.split(xs[0], p["split_size"] if "split_size" in p else p["sizes"], p["dim"]))
def _split():
    return per_float(lambda dt: [
        ("size2_dim0", [In(rn(5, 3, dtype=dt))], {"split_size": 2, "dim": 0}),
        ("sizes_dim1", [In(rn(2, 4, dtype=dt))], {"sizes": [1, 3], "dim": 1}),
        ("noncontig_neg", [nc(rn(3, 5, dtype=dt))], {"split_size": 3, "dim": -1}),
    ])


@op("chunk", lambda xs, p: torch.chunk(xs[0], p["chunks"], p["dim"]))
def _chunk():
    return per_float(lambda dt: [
        ("3_of_5", [In(rn(5, 2, dtype=dt))], {"chunks": 3, "dim": 0}),
        ("2_dim1", [In(rn(2, 4, dtype=dt))], {"chunks": 2, "dim": 1}),
        # Six rows in four chunks gives three chunks of two, as PyTorch.
        ("4_of_6", [nc(rn(6, 3, dtype=dt))], {"chunks": 4, "dim": 0}),
    ])


# ---- indexing ----

def idx(*values):
    return In(torch.tensor(values, dtype=I64))


@op("index_select", lambda xs, p: torch.index_select(xs[0], p["dim"], xs[1]))
def _index_select():
    return per_float(lambda dt: [
        ("dim0_repeats", [In(rn(4, 3, dtype=dt)), idx(2, 0, 2)], {"dim": 0}),
        ("dim1", [In(rn(3, 4, dtype=dt)), idx(3, 1)], {"dim": 1}),
        ("noncontig", [nc(rn(4, 3, dtype=dt)), idx(1, 1, 0, 3)], {"dim": 0}),
    ]) + [("i64", [In(ints(-9, 9, 4, 3)), idx(3, 0)], {"dim": 0})]


@op("gather", lambda xs, p: torch.gather(xs[0], p["dim"], xs[1]))
def _gather():
    return per_float(lambda dt: [
        ("dim1", [In(rn(3, 4, dtype=dt)), In(ints(0, 4, 3, 2))], {"dim": 1}),
        ("dim0", [In(rn(3, 4, dtype=dt)), In(ints(0, 3, 2, 4))], {"dim": 0}),
        ("noncontig", [nc(rn(3, 4, dtype=dt)), In(ints(0, 4, 3, 5))], {"dim": -1}),
    ])


def unique_rows(rows, n, k):
    """[rows, k] indices, distinct within each row (scatter with repeated indices is unordered)."""
    return In(torch.stack([torch.randperm(n)[:k] for _ in range(rows)]))


@op("scatter", lambda xs, p: torch.scatter(xs[0], p["dim"], xs[1], xs[2]))
def _scatter():
    return per_float(lambda dt: [
        ("dim1", [In(rn(3, 5, dtype=dt)), unique_rows(3, 5, 2), In(rn(3, 2, dtype=dt))], {"dim": 1}),
        ("noncontig", [nc(rn(3, 4, dtype=dt)), unique_rows(3, 4, 3), In(rn(3, 3, dtype=dt))], {"dim": 1}),
    ])


@op("scatter_add", lambda xs, p: torch.scatter_add(xs[0], p["dim"], xs[1], xs[2]))
def _scatter_add():
    return per_float(lambda dt: [
        ("dim1_repeats", [In(rn(3, 4, dtype=dt)), In(ints(0, 4, 3, 5)), In(rn(3, 5, dtype=dt))], {"dim": 1}),
        ("dim0", [In(rn(3, 4, dtype=dt)), In(ints(0, 3, 2, 4)), In(rn(2, 4, dtype=dt))], {"dim": 0}),
        ("noncontig", [nc(rn(3, 4, dtype=dt)), In(ints(0, 4, 3, 2)), nc(rn(3, 2, dtype=dt))], {"dim": 1}),
    ])


@op("masked_fill", lambda xs, p: torch.masked_fill(xs[0], xs[1], p["value"]))
def _masked_fill():
    return per_float(lambda dt: [
        ("same_shape", [In(rn(3, 4, dtype=dt)), In(bools(3, 4))], {"value": -1.5}),
        ("broadcast_mask", [In(rn(3, 4, dtype=dt)), In(bools(4))], {"value": 0.0}),
        ("noncontig", [nc(rn(3, 4, dtype=dt)), nc(bools(3, 4))], {"value": 2}),
    ]) + [("i64", [In(ints(-9, 9, 2, 3)), In(bools(2, 3))], {"value": 7})]


@op("one_hot", lambda xs, p: F.one_hot(xs[0], p["num_classes"]))
def _one_hot():
    return [
        ("given_classes", [In(ints(0, 4, 2, 3))], {"num_classes": 5}),
        ("inferred_classes", [In(torch.tensor([0, 3, 1, 3]))], {"num_classes": -1}),
    ]


@op("embedding", lambda xs, p: F.embedding(xs[1], xs[0]))
def _embedding():
    return per_float(lambda dt: [
        ("2d_indices_repeats", [In(rn(5, 3, dtype=dt)), In(torch.tensor([[0, 4, 0], [2, 4, 4]]))], {}),
        ("1d_indices", [In(rn(4, 2, dtype=dt)), idx(3, 1)], {}),
    ])


def tri_cases():
    return per_float(lambda dt: [
        ("diag0", [In(rn(3, 4, dtype=dt))], {"diagonal": 0}),
        ("diag1", [In(rn(4, 3, dtype=dt))], {"diagonal": 1}),
        ("diag_neg1_batched", [In(rn(2, 3, 3, dtype=dt))], {"diagonal": -1}),
        ("noncontig", [nc(rn(3, 4, dtype=dt))], {"diagonal": 0}),
    ]) + [("i64", [In(ints(-9, 9, 3, 3))], {"diagonal": 0})]


op("tril", lambda xs, p: torch.tril(xs[0], p["diagonal"]))(tri_cases)
op("triu", lambda xs, p: torch.triu(xs[0], p["diagonal"]))(tri_cases)


# ---- views composed with a reduction (the reduction's gradient flows back through the view) ----

@op("view_transpose", lambda xs, p: summed(xs[0].transpose(p["dim0"], p["dim1"]), p["sum_dims"], False))
def _view_transpose():
    return per_float(lambda dt: [
        ("02_sum1", [In(rn(2, 3, 4, dtype=dt))], {"dim0": 0, "dim1": 2, "sum_dims": [1]}),
        ("neg_sum0", [In(rn(3, 4, dtype=dt))], {"dim0": -1, "dim1": -2, "sum_dims": [0]}),
    ])


@op("view_permute", lambda xs, p: summed(xs[0].permute(p["dims"]), p["sum_dims"], False))
def _view_permute():
    return per_float(lambda dt: [
        ("201_sum2", [In(rn(2, 3, 4, dtype=dt))], {"dims": [2, 0, 1], "sum_dims": [2]}),
        ("noncontig_102_sum0", [nc(rn(2, 3, 4, dtype=dt))], {"dims": [1, 0, 2], "sum_dims": [0]}),
    ])


@op("view_expand", lambda xs, p: summed(xs[0].expand(p["shape"]), p["sum_dims"], False))
def _view_expand():
    return per_float(lambda dt: [
        ("3x1_to_2x3x4_sum0", [In(rn(3, 1, dtype=dt))], {"shape": [2, 3, 4], "sum_dims": [0]}),
        ("1d_to_3x4_sum1", [In(rn(4, dtype=dt))], {"shape": [3, 4], "sum_dims": [1]}),
    ])


@op("view_slice", lambda xs, p: summed(xs[0][(slice(None),) * p["dim"] + (slice(p["start"], p["stop"], p["step"]),)],
                                       p["sum_dims"], False))
def _view_slice():
    return per_float(lambda dt: [
        ("dim1_step2_sum0", [In(rn(4, 6, dtype=dt))], {"dim": 1, "start": 1, "stop": None, "step": 2, "sum_dims": [0]}),
        ("dim0_step3_sum_all", [In(rn(7, 3, dtype=dt))], {"dim": 0, "start": 0, "stop": 6, "step": 3,
                                                          "sum_dims": []}),
        ("noncontig_neg_start", [nc(rn(3, 5, dtype=dt))], {"dim": 1, "start": -4, "stop": -1, "step": 2,
                                                           "sum_dims": [1]}),
    ])
