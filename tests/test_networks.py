"""Fill-in-the-table networks: every layer's output size and parameter count against real
PyTorch modules (nn.Conv2d, nn.MaxPool2d, nn.Flatten, nn.Linear) over many drawn networks."""

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from torch import nn

from quizgen.cli import cli
from quizgen.engine.networks import cnn_rows, draw_network, network_params, network_table


def torch_layers(layers):
    """The same network as PyTorch modules (channels first, as PyTorch wants)."""
    modules, channels, units = [], None, None
    for layer in layers:
        kind = layer["type"]
        if kind == "input":
            channels = layer["shape"][2] if "shape" in layer else None
            units = layer.get("units")
        elif kind == "conv":
            padding = (layer["kernel"] - 1) // 2 if layer.get("padding") == "same" else layer.get("padding", 0)
            modules.append(nn.Conv2d(channels, layer["filters"], layer["kernel"], stride=layer.get("stride", 1), padding=padding))
            channels = layer["filters"]
        elif kind == "pool":
            modules.append(nn.MaxPool2d(layer["size"], stride=layer.get("stride", layer["size"])))
        elif kind == "flatten":
            modules.append(nn.Flatten())
        elif kind == "dense":
            modules.append(nn.LazyLinear(layer["units"]) if units is None else nn.Linear(units, layer["units"]))
            units = layer["units"]
    return modules


def reference_rows(layers):
    """(H, W, C, parameters) of each layer from a forward pass of zeros through real modules."""
    first = layers[0]
    x = torch.zeros(1, first["shape"][2], first["shape"][0], first["shape"][1]) if "shape" in first else torch.zeros(1, first["units"])
    rows = []
    with torch.no_grad():
        for module in torch_layers(layers):
            if isinstance(module, nn.Linear) and x.dim() != 2:
                raise AssertionError("dense layer on an unflattened input")
            x = module(x)
            params = sum(p.numel() for p in module.parameters())
            rows.append((x.shape[2], x.shape[3], x.shape[1], params) if x.dim() == 4 else (1, 1, x.shape[1], params))
    return rows


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
        ([{"type": "input", "shape": [8, 8, 1]}, {"type": "conv", "filters": 2, "kernel": 4, "padding": "same"}], "'same' padding needs stride 1 and an odd kernel"),
        ([{"type": "input", "shape": [8, 8, 1]}, {"type": "pool", "size": 2, "weights": 4}], "has no field 'weights'"),
    ],
)
def test_bad_layer_lists_are_named(layers, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
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
