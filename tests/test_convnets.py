"""ganbench's plain-torch AlexNet/VGG feature stacks (features/convnets.py) are torchvision's: the same
layers (reprs), the same state-dict keys and shapes, and the same outputs on the same weights."""

from __future__ import annotations

import pytest
import torch

from ganbench.features.convnets import alexnet_features, vgg_features

torchvision = pytest.importorskip("torchvision")  # a test extra; the base install does without it


@pytest.mark.parametrize("name", ["alexnet", "vgg16", "vgg19"])
def test_feature_stacks_are_torchvisions(name, one_thread):
    ours = alexnet_features() if name == "alexnet" else vgg_features(name)
    theirs = getattr(torchvision.models, name)().features
    assert str(ours) == str(theirs)
    a, b = ours.state_dict(), theirs.state_dict()
    assert list(a) == list(b) and all(a[k].shape == b[k].shape for k in a)
    ours.load_state_dict(b)
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(ours.eval()(x), theirs.eval()(x))
