"""Fill-in-the-table networks: every layer's output size and parameter count against real
PyTorch modules (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.BatchNorm2d/1d, activations,
nn.Dropout, nn.Flatten, nn.Linear) over many drawn and random networks.

The reference below builds the modules from the layer list on its own (it imports nothing
from quizgen but the functions under test): shapes come from a forward pass of zeros in
eval mode, parameters from ``sum(p.numel() for p in module.parameters())``, so batch
normalisation's running mean and variance (buffers) are not counted, as the docs say.
TensorFlow's 'same' padding with a stride above 1 (which PyTorch's Conv2d refuses) is built
as an explicit asymmetric nn.ZeroPad2d before the layer, its amounts from TensorFlow's
documented rule (pad_along = max(K_eff - S, 0) if N % S == 0 else max(K_eff - N % S, 0)).
"""

import json
import math
import re

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from torch import nn

from quizgen.cli import cli
from quizgen.engine.networks import (
    cnn_rows,
    draw_network,
    network_params,
    network_table,
    network_tex,
)

ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "gelu": nn.GELU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "softmax": lambda: nn.Softmax(dim=1)}


def _two(value):
    return tuple(value) if isinstance(value, (list, tuple)) else (value, value)


def _tf_same_pad(n, k_eff, s):
    """TensorFlow's documented 'same' padding along one axis: (before, after)."""
    along = max(k_eff - s, 0) if n % s == 0 else max(k_eff - n % s, 0)
    return along // 2, along - along // 2


def torch_layer(layer, shape):
    """One layer as a PyTorch module, for an input of this (C, H, W) or (n,) shape."""
    kind = layer["type"]
    if kind == "conv":
        kernel, stride, dilation = _two(layer["kernel"]), _two(layer.get("stride", 1)), _two(layer.get("dilation", 1))
        make = lambda padding: nn.Conv2d(shape[0], layer["filters"], kernel, stride=stride, padding=padding, dilation=dilation, groups=layer.get("groups", 1), bias=layer.get("bias", True))
    elif kind == "pool":
        kernel = _two(layer["size"])
        stride, dilation = _two(layer.get("stride", layer["size"])), (1, 1)
        pool = nn.AvgPool2d if layer.get("mode", "max") == "avg" else nn.MaxPool2d
        make = lambda padding: pool(kernel, stride=stride, padding=padding, ceil_mode=layer.get("ceil_mode", False))
    elif kind == "global_pool":
        return nn.AdaptiveMaxPool2d(1) if layer.get("mode") == "max" else nn.AdaptiveAvgPool2d(1)
    elif kind == "batchnorm":
        return (nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d)(shape[0], affine=layer.get("affine", True))
    elif kind == "activation":
        return ACTIVATIONS[layer["function"]]()
    elif kind == "dropout":
        return nn.Dropout(layer.get("rate", 0.5))
    elif kind == "flatten":
        return nn.Flatten()
    elif kind == "dense":
        if len(shape) != 1:
            raise AssertionError("dense layer on an unflattened input")
        return nn.Linear(shape[0], layer["units"], bias=layer.get("bias", True))
    else:
        raise AssertionError(kind)
    padding = layer.get("padding", 0)
    if padding != "same":
        return make(0 if padding == "valid" else _two(padding))
    if stride == (1, 1) and kind == "conv":
        return make("same")  # PyTorch's own 'same', which equals TensorFlow's with stride 1
    k_eff = [k + (k - 1) * (d - 1) for k, d in zip(kernel, dilation)]
    top, bottom = _tf_same_pad(shape[1], k_eff[0], stride[0])
    left, right = _tf_same_pad(shape[2], k_eff[1], stride[1])
    return nn.Sequential(nn.ZeroPad2d((left, right, top, bottom)), make(0))


def reference_row(layer, x):
    """One layer's output (from a forward pass of x through the real module) and its (H, W, C, parameters)."""
    module = torch_layer(layer, tuple(x.shape[1:])).eval()
    with torch.no_grad():
        x = module(x)
    params = sum(p.numel() for p in module.parameters())
    return x, ((x.shape[2], x.shape[3], x.shape[1], params) if x.dim() == 4 else (1, 1, x.shape[1], params))


def reference_input(first):
    return torch.zeros(1, first["shape"][2], first["shape"][0], first["shape"][1]) if "shape" in first else torch.zeros(1, first["units"])


def reference_rows(layers):
    """(H, W, C, parameters) of each layer from a forward pass of zeros through real modules."""
    x, rows = reference_input(layers[0]), []
    for layer in layers[1:]:
        x, row = reference_row(layer, x)
        rows.append(row)
    return rows


def quizgen_rows(layers):
    return [tuple(int(v) for v in row) for row in network_table(layers)]


@pytest.mark.parametrize("kind", ["cnn", "mlp"])
def test_drawn_networks_match_pytorch(kind):
    distribution = draw_network(kind, 1, 4)
    rng = np.random.default_rng(17)
    for _ in range(300):
        layers = distribution.sample(rng)
        table = network_table(layers)
        expected = reference_rows(layers)
        assert [tuple(int(v) for v in row) for row in table] == expected, layers
        assert int(network_params(layers)) == sum(row[3] for row in expected)


def test_hand_written_network_with_strides_and_rectangular_kernels():
    layers = [
        {"type": "input", "shape": [40, 30, 3]},
        {"type": "conv", "filters": 5, "kernel": [3, 5], "stride": [2, 1], "padding": [1, 2]},
        {"type": "pool", "size": 2, "stride": 2},
        {"type": "flatten"},
        {"type": "dense", "units": 7},
    ]
    rows = cnn_rows(layers)
    assert [(r.height, r.width, r.channels, r.params) for r in rows] == [(20, 30, 5, 230), (10, 15, 5, 0), (1, 1, 750, 0), (1, 1, 7, 5257)]
    conv = nn.Conv2d(3, 5, (3, 5), stride=(2, 1), padding=(1, 2))
    assert conv(torch.zeros(1, 3, 40, 30)).shape == (1, 5, 20, 30)
    assert sum(p.numel() for p in conv.parameters()) == 230


@pytest.mark.parametrize(
    "layers, message",
    [
        ([{"type": "input", "shape": [8, 8, 1]}, {"type": "convv"}], "layer 1: unknown type 'convv'"),
        ([{"type": "input", "shape": [8, 8, 1]}, {"type": "dense", "units": 3}], "add a flatten layer"),
        ([{"type": "input", "shape": [4, 4, 1]}, {"type": "conv", "filters": 2, "kernel": 7}], "does not fit"),
        ([{"type": "conv", "filters": 2, "kernel": 3}], "the first layer, and only the first, is the input"),
        ([{"type": "input", "shape": [8, 8, 1]}, {"type": "conv", "filters": 0, "kernel": 3}], "'filters' must be a whole number of at least 1"),
        ([{"type": "input", "shape": [8, 8, 1]}, {"type": "pool", "size": 2, "weights": 4}], "has no field 'weights'"),
        ([{"type": "input", "shape": [8, 8, 1]}, {"type": "pool", "size": 2, "mode": "average"}], "layer 1: 'mode' must be one of max, avg, got 'average'"),
        ([{"type": "input", "shape": [8, 8, 1]}, {"type": "pool", "size": 2, "ceil_mode": 1}], "layer 1: 'ceil_mode' must be true or false, got 1"),
        ([{"type": "input", "shape": [8, 8, 1]}, {"type": "pool", "size": 2, "ceil_mode": True, "padding": "same"}], "'ceil_mode' and 'same' padding cannot be combined"),
        ([{"type": "input", "shape": [8, 8, 3]}, {"type": "conv", "filters": 4, "kernel": 3, "groups": 2}], "layer 1: 'groups' 2 must divide both the 3 input channels and the 4 filters"),
        ([{"type": "input", "shape": [8, 8, 3]}, {"type": "conv", "filters": 4, "kernel": 3, "groups": 0}], "layer 1: 'groups' must be a whole number of at least 1"),
        ([{"type": "input", "shape": [8, 8, 3]}, {"type": "conv", "filters": 4, "kernel": 3, "dilation": 4}], "layer 1: a window of 9 does not fit an input of 8 with padding 0"),
        ([{"type": "input", "shape": [8, 8, 3]}, {"type": "conv", "filters": 4, "kernel": 3, "bias": "no"}], "layer 1: 'bias' must be true or false, got 'no'"),
        ([{"type": "input", "shape": [8, 8, 3]}, {"type": "conv", "filters": 4, "kernel": 3, "padding": "full"}], "layer 1: 'padding' must be a whole number, [height, width], 'valid' or 'same', got 'full'"),
        ([{"type": "input", "shape": [8, 8, 3]}, {"type": "activation"}], "layer 1: 'function' must be one of relu, leaky_relu"),
        ([{"type": "input", "shape": [8, 8, 3]}, {"type": "activation", "function": "swish"}], "got 'swish'"),
        ([{"type": "input", "shape": [8, 8, 3]}, {"type": "dropout", "rate": 1}], "layer 1: 'rate' must be a number from 0 up to (not including) 1, got 1"),
        ([{"type": "input", "shape": [8, 8, 3]}, {"type": "batchnorm", "momentum": 0.1}], "layer 1: a batchnorm layer has no field 'momentum' (its fields: affine)"),
        ([{"type": "input", "units": 8}, {"type": "global_pool"}], "layer 1: a global_pool layer needs an H x W x C input"),
        ([{"type": "input", "units": 8}, {"type": "dense", "units": 3, "bias": None}], "layer 1: 'bias' must be true or false, got None"),
        ([{"type": "input", "units": 8}, {"type": ["dense"]}], "layer 1: unknown type"),
    ],
)
def test_bad_layer_lists_are_named(layers, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        cnn_rows(layers)


def test_solve_accepts_a_layer_list_as_json():
    layers = [{"type": "input", "shape": [32, 32, 3]}, {"type": "conv", "filters": 16, "kernel": 3, "padding": "same"}, {"type": "pool", "size": 2}, {"type": "flatten"}, {"type": "dense", "units": 10}]
    result = CliRunner().invoke(cli, ["solve", "cnn.network_table", "--set-json", "layers=" + json.dumps(layers), "--format", "json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    answers = {a["name"]: a for a in record["answers"]}
    assert answers["total"]["value"] == 448 + 0 + 0 + 40970
    assert answers["table"]["rounded"][0] == ["32", "32", "16", "448"]


def test_solve_with_a_bad_layer_list_is_one_clean_error():
    result = CliRunner().invoke(cli, ["solve", "cnn.network_table", "--set-json", 'layers=[{"type": "input", "shape": [8, 8, 1]}, {"type": "dense", "units": 3}]'])
    assert result.exit_code == 2
    assert "add a flatten layer" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("template_id", ["cnn.network_table", "mlp.network_table"])
def test_network_table_templates_agree_with_pytorch(template_id):
    """The fill-in-the-table templates themselves: 300 variants, every cell and the total against real modules."""
    from quizgen.engine.bank import load_bank
    from quizgen.engine.generate import generate

    template = load_bank(collect_errors=True).get(template_id)
    for variant in generate(template, 300, seed=11):
        layers = variant.parameters["layers"]
        expected = reference_rows(layers)
        answers = {a.spec.name: a for a in variant.answers}
        assert [tuple(int(v) for v in row) for row in answers["table"].value] == expected, variant.code
        assert int(answers["total"].value) == sum(row[3] for row in expected), variant.code


# ---------------------------------------------------------------------------
# Every layer kind, in random networks and at the extremes


def _random_layer(rng, shape):
    """A random layer of any kind for an input of this (C, H, W) or (n,) shape; often an invalid one."""
    pick = lambda values: values[int(rng.integers(len(values)))]
    flat = len(shape) == 1
    kinds = ["batchnorm", "activation", "dropout", "dense", "flatten"] if flat else ["conv", "conv", "conv", "pool", "pool", "global_pool", "batchnorm", "activation", "dropout", "flatten"]
    kind = pick(kinds)
    if kind == "conv":
        layer = {"type": "conv", "filters": pick([1, 2, 4, 6, 8, 12, 16, 64, 256])}
        layer["kernel"] = pick([1, 2, 3, 5, 7]) if rng.random() < 0.8 else [pick([1, 2, 3]), pick([1, 3, 5])]
        if rng.random() < 0.6:
            layer["stride"] = pick([1, 2, 3]) if rng.random() < 0.8 else [pick([1, 2]), pick([1, 3])]
        if rng.random() < 0.7:
            layer["padding"] = pick([0, 1, 2, 3, "same", "same", "valid", [1, 0], [0, 2]])
        if rng.random() < 0.3:
            layer["dilation"] = pick([1, 2, 3]) if rng.random() < 0.8 else [pick([1, 2]), pick([1, 3])]
        if rng.random() < 0.3:
            layer["groups"] = pick([1, 2, 3, 4, shape[0]])
        if rng.random() < 0.3:
            layer["bias"] = bool(rng.integers(2))
        return layer
    if kind == "pool":
        layer = {"type": "pool", "size": pick([1, 2, 3, 4]) if rng.random() < 0.85 else [pick([1, 2, 3]), pick([2, 3])]}
        if rng.random() < 0.5:
            layer["stride"] = pick([1, 2, 3])
        if rng.random() < 0.4:
            layer["padding"] = pick([0, 1, 2, "same", "valid"])
        if rng.random() < 0.6:
            layer["mode"] = pick(["max", "avg"])
        if rng.random() < 0.4 and layer.get("padding") != "same":
            layer["ceil_mode"] = bool(rng.integers(2))
        return layer
    if kind == "global_pool":
        return {"type": "global_pool"} | ({"mode": pick(["avg", "max"])} if rng.random() < 0.7 else {})
    if kind == "batchnorm":
        return {"type": "batchnorm"} | ({"affine": bool(rng.integers(2))} if rng.random() < 0.3 else {})
    if kind == "activation":
        return {"type": "activation", "function": pick(["relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softmax"])}
    if kind == "dropout":
        return {"type": "dropout"} | ({"rate": pick([0, 0.1, 0.25, 0.5, 0.9])} if rng.random() < 0.8 else {})
    if kind == "dense":
        return {"type": "dense", "units": pick([1, 3, 10, 64, 300])} | ({"bias": bool(rng.integers(2))} if rng.random() < 0.3 else {})
    return {"type": "flatten"}


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")
def test_random_networks_of_every_layer_kind_match_pytorch():
    """400 random networks (1 x 1 to 40 x 40 inputs, up to 256 channels), every layer kind and option.

    Each proposed layer, valid or not, is given to both: quizgen refuses it exactly when
    PyTorch does (then it is dropped), and otherwise every row matches PyTorch's.
    """
    rng = np.random.default_rng(2026)
    kinds_seen, refused, rows_checked = set(), 0, 0
    for _ in range(400):
        size = [int(rng.integers(1, 41)), int(rng.integers(1, 41))] if rng.random() < 0.8 else [1, 1]
        layers = [{"type": "input", "shape": size + [int(rng.choice([1, 2, 3, 4, 6, 12, 256]))]}]
        x, expected = reference_input(layers[0]), []
        for _ in range(int(rng.integers(1, 9))):
            layer = _random_layer(rng, tuple(x.shape[1:]))
            candidate = layers + [layer]
            try:
                ours = quizgen_rows(candidate)
            except ValueError as error:
                assert str(error).startswith(f"layer {len(layers)}: "), error
                with pytest.raises((RuntimeError, ValueError)):
                    reference_row(layer, x)
                refused += 1
                continue
            x, row = reference_row(layer, x)
            expected.append(row)
            assert ours == expected, candidate
            layers = candidate
            kinds_seen.add((layer["type"], layer.get("mode"), layer.get("padding") == "same" and layer.get("stride", 1) != 1))
            rows_checked += 1
        assert int(network_params(layers)) == sum(row[3] for row in expected)
        assert r"\begin{array}" in network_tex(layers)
    assert rows_checked > 1200 and refused > 100, (rows_checked, refused)
    assert {k[0] for k in kinds_seen} == {"conv", "pool", "global_pool", "batchnorm", "activation", "dropout", "flatten", "dense"}
    assert ("pool", "avg", False) in kinds_seen and ("conv", None, True) in kinds_seen and ("pool", "max", True) in kinds_seen


@pytest.mark.parametrize(
    "layers",
    [
        [{"type": "input", "shape": [1, 1, 1]}, {"type": "conv", "filters": 1, "kernel": 1}, {"type": "pool", "size": 1}, {"type": "batchnorm"}, {"type": "flatten"}, {"type": "dense", "units": 1}],
        [{"type": "input", "shape": [1, 1, 512]}, {"type": "conv", "filters": 1024, "kernel": 3, "padding": "same", "stride": 2, "bias": False}, {"type": "batchnorm"}, {"type": "global_pool"}, {"type": "flatten"}, {"type": "dense", "units": 1000}],
        [{"type": "input", "shape": [1, 1, 3]}, {"type": "conv", "filters": 6, "kernel": 5, "padding": "same", "stride": 3, "dilation": 2}, {"type": "pool", "size": 2, "padding": "same"}],
        [{"type": "input", "shape": [2, 2, 512]}, {"type": "conv", "filters": 512, "kernel": 3, "padding": 1, "groups": 512}, {"type": "conv", "filters": 2048, "kernel": 1, "groups": 4, "bias": False}, {"type": "pool", "size": 3, "stride": 2, "ceil_mode": True}],
        [{"type": "input", "shape": [5, 5, 1]}, {"type": "pool", "size": 2, "stride": 2, "padding": 1, "ceil_mode": True, "mode": "avg"}],  # the last window would start in the padding
        [{"type": "input", "units": 4096}, {"type": "batchnorm"}, {"type": "dense", "units": 4096, "bias": False}, {"type": "batchnorm", "affine": False}, {"type": "activation", "function": "gelu"}, {"type": "dropout", "rate": 0.5}, {"type": "dense", "units": 1}],
    ],
    ids=["all 1x1", "1x1 with 512 channels, strided same", "same on a 1x1 input", "depthwise and grouped, 2048 channels", "ceil mode drops the last window", "big batch-normalised MLP"],
)
def test_extremes_match_pytorch(layers):
    assert quizgen_rows(layers) == reference_rows(layers)


def test_ceil_mode_and_tensorflow_same_by_hand():
    """Numbers from the rules as written, not from PyTorch: ceil mode and TensorFlow's 'same'."""
    # 'same' with stride 2 on 224: ceil(224/2) = 112, padded (112 - 1)2 + 3 - 224 = 1, none at the top and 1 at the
    # bottom; then a 3 x 3 ceil-mode pool with stride 2: ceil((112 - 3)/2) + 1 = 56.
    rows = cnn_rows([{"type": "input", "shape": [224, 224, 3]}, {"type": "conv", "filters": 8, "kernel": 3, "stride": 2, "padding": "same"}, {"type": "pool", "size": 3, "stride": 2, "ceil_mode": True}])
    assert (rows[0].height, rows[1].height) == (math.ceil(224 / 2), math.ceil((112 - 3) / 2) + 1) == (112, 56)
    assert r"\left\lceil \frac{224}{2} \right\rceil = 112,\ P_{total} = \max((112 - 1) \cdot 2 + 3 - 224, 0) = 1 = 0 + 1" in rows[0].size_tex
    assert _tf_same_pad(224, 3, 2) == (0, 1) and _tf_same_pad(225, 3, 2) == (1, 1)
    # 5 x 5, window 2, stride 2, padding 1: ceil((5 - 2 + 2)/2) + 1 = 4, but the 4th window would start at 6 = N + P: 3.
    row = cnn_rows([{"type": "input", "shape": [5, 5, 1]}, {"type": "pool", "size": 2, "padding": 1, "ceil_mode": True}])[0]
    assert row.height == 3 and "the last window would start in the padding" in row.size_tex
    assert row.description == "max pool 2x2, stride 2, padding 1, ceil mode"


def test_batch_norm_counts_gamma_and_beta_not_the_running_statistics():
    bn = nn.BatchNorm2d(64)
    assert sum(p.numel() for p in bn.parameters()) == 128
    assert sum(b.numel() for name, b in bn.named_buffers() if name != "num_batches_tracked") == 128  # running mean and var
    layers = [{"type": "input", "shape": [8, 8, 64]}, {"type": "batchnorm"}]
    assert quizgen_rows(layers) == [(8, 8, 64, 128)]
    assert int(network_params(layers, 1, 0, 1)) == 256  # the named mistake: buffers counted too


def test_descriptions_name_every_option():
    rows = cnn_rows([
        {"type": "input", "shape": [32, 32, 8]},
        {"type": "conv", "filters": 8, "kernel": 3, "stride": 2, "padding": "same", "dilation": 2, "groups": 8, "bias": False},
        {"type": "pool", "size": 2, "mode": "avg"},
        {"type": "batchnorm"},
        {"type": "activation", "function": "leaky_relu"},
        {"type": "global_pool", "mode": "max"},
        {"type": "flatten"},
        {"type": "dropout", "rate": 0.25},
        {"type": "dense", "units": 3, "bias": False},
    ])
    assert [r.description for r in rows] == [
        "conv, 8 filters, 3x3, stride 2, padding same, dilation 2, groups 8, no bias",
        "avg pool 2x2, stride 2",
        "batch norm",
        "leaky ReLU",
        "global max pool",
        "flatten",
        "dropout, rate 0.25",
        "dense, 3 units, no bias",
    ]
    assert [r.same_rule for r in rows] == [True] + [False] * 7


def test_the_same_rule_is_stated_only_when_a_layer_needs_it():
    plain = [{"type": "input", "shape": [28, 28, 1]}, {"type": "conv", "filters": 4, "kernel": 3, "padding": "same"}]
    assert "TensorFlow" not in network_tex(plain) and r"\text{conv, 4 filters, 3x3, stride 1, padding 1}" in network_tex(plain)
    strided = [{"type": "input", "shape": [28, 28, 1]}, {"type": "conv", "filters": 4, "kernel": 3, "stride": 2, "padding": "same"}]
    assert "'same' padding (TensorFlow's rule)" in network_tex(strided)


LENET5 = [
    {"type": "input", "shape": [32, 32, 1]},
    {"type": "conv", "filters": 6, "kernel": 5}, {"type": "activation", "function": "tanh"}, {"type": "pool", "size": 2, "mode": "avg"},
    {"type": "conv", "filters": 16, "kernel": 5}, {"type": "activation", "function": "tanh"}, {"type": "pool", "size": 2, "mode": "avg"},
    {"type": "conv", "filters": 120, "kernel": 5}, {"type": "activation", "function": "tanh"},
    {"type": "flatten"}, {"type": "dense", "units": 84}, {"type": "activation", "function": "tanh"}, {"type": "dense", "units": 10},
]

VGG_BLOCK = [
    {"type": "input", "shape": [32, 32, 3]},
    {"type": "conv", "filters": 64, "kernel": 3, "padding": "same", "bias": False}, {"type": "batchnorm"}, {"type": "activation", "function": "relu"},
    {"type": "conv", "filters": 64, "kernel": 3, "padding": "same", "bias": False}, {"type": "batchnorm"}, {"type": "activation", "function": "relu"},
    {"type": "pool", "size": 2}, {"type": "dropout", "rate": 0.25},
    {"type": "flatten"}, {"type": "dense", "units": 10},
]


@pytest.mark.parametrize("template_id", ["cnn.network_table"])
def test_solve_lenet5_with_average_pooling(template_id):
    result = CliRunner().invoke(cli, ["solve", template_id, "--set-json", "layers=" + json.dumps(LENET5)])
    assert result.exit_code == 0, result.output
    assert re.search(r"\b3 +avg pool 2x2, stride 2\n", result.output) and re.search(r"\b6 +avg pool 2x2, stride 2\n", result.output), result.output
    assert "max pool" not in result.output and re.search(r"\b2 +tanh\n", result.output)
    result = CliRunner().invoke(cli, ["solve", template_id, "--set-json", "layers=" + json.dumps(LENET5), "--format", "json"])
    answers = {a["name"]: a for a in json.loads(result.output)["answers"]}
    expected = reference_rows(LENET5)
    assert [tuple(int(v) for v in row) for row in answers["table"]["rounded"]] == expected
    assert expected[2] == (14, 14, 6, 0) and expected[6] == (1, 1, 120, 48120)
    assert answers["total"]["value"] == 61706  # LeNet-5 as usually rebuilt today: 61,706 parameters


def test_solve_a_vgg_block_with_batch_norm_and_dropout():
    result = CliRunner().invoke(cli, ["solve", "cnn.network_table", "--set-json", "layers=" + json.dumps(VGG_BLOCK), "--format", "json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    answers = {a["name"]: a for a in record["answers"]}
    expected = reference_rows(VGG_BLOCK)
    assert [tuple(int(v) for v in row) for row in answers["table"]["rounded"]] == expected
    assert [row[3] for row in expected] == [1728, 128, 0, 36864, 128, 0, 0, 0, 0, 163850]
    assert answers["total"]["value"] == 1728 + 128 + 36864 + 128 + 163850
    text = CliRunner().invoke(cli, ["solve", "cnn.network_table", "--set-json", "layers=" + json.dumps(VGG_BLOCK)]).output
    assert "batch norm" in text and "dropout, rate 0.25" in text and "no bias" in text
    mistakes = {m["name"]: m for m in record["mistakes"]}
    assert mistakes["bn_running_stats"]["value"] == answers["total"]["value"] + 256


@pytest.mark.parametrize(
    "layer, message",
    [
        ({"type": "pool", "size": 2, "mode": "mean"}, "layer 1: 'mode' must be one of max, avg, got 'mean'"),
        ({"type": "conv", "filters": 4, "kernel": 3, "groups": 3}, "layer 1: 'groups' 3 must divide both"),
        ({"type": "dropout", "rate": "half"}, "layer 1: 'rate' must be a number"),
        ({"type": "activation", "function": "Relu"}, "layer 1: 'function' must be one of"),
        ({"type": "batchnorm", "affine": "yes"}, "layer 1: 'affine' must be true or false"),
    ],
)
def test_solve_with_a_bad_new_layer_is_one_line_exit_2(layer, message):
    layers = [{"type": "input", "shape": [8, 8, 2]}, layer, {"type": "flatten"}, {"type": "dense", "units": 2}]
    result = CliRunner().invoke(cli, ["solve", "cnn.network_table", "--set-json", "layers=" + json.dumps(layers)])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and result.stderr.count("\n") == 1 and "Traceback" not in result.output


def test_modern_draws_match_pytorch_and_plain_draws_are_unchanged():
    for kind in ("cnn", "mlp"):
        distribution = draw_network(kind, 1, 4, "modern")
        rng = np.random.default_rng(3)
        kinds = set()
        for _ in range(300):
            layers = distribution.sample(rng)
            assert quizgen_rows(layers) == reference_rows(layers), layers
            kinds |= {layer["type"] for layer in layers} | {layer.get("mode") for layer in layers}
        assert {"batchnorm", "activation", "dropout"} <= kinds
        assert kind == "mlp" or {"avg", "pool"} <= kinds
    # the plain style draws what it always drew (the same seed gives the same networks)
    assert draw_network("cnn", 2, 3).sample(np.random.default_rng(1)) == draw_network("cnn", 2, 3, "plain").sample(np.random.default_rng(1))
