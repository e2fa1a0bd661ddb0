"""Names for the argument types of the public API (ganbench.evaluate, Metrics, records, leaderboards).

Annotations only: the inputs take many forms, which these names spell once (and the API reference shows).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    import torch

# a file or folder
PathArg = Union[str, "os.PathLike[str]"]
# "cpu", "cuda:1", a torch.device, or None for CUDA when present
DeviceArg = Union[str, "torch.device", None]
# one side of a comparison: a folder, a .npz/.npy (or archive) path, a uint8 NHWC array or NCHW tensor, a
# `ganbench stats` file, a FeatureSet, an ImageSource; a reference may also be a registered name ("cifar10")
Images = Any
# each image's class: an int array, a labels file, an array name of the side's .npz, or "folders"
Labels = Any
