"""FD-DINOv2 and k-NN metrics in DINOv2 space (Stein et al. 2023, dgm-eval), against a direct
computation from the timm model's features (issue 10).

The weights are a random-init DINOv2 ViT-L/14 in the official checkpoint's layout (37x37 position
embedding, mask_token), stored in float16 (~600 MB). The direct path is written out here as
dgm-eval runs it: torchvision Resize((224, 224), BICUBIC) + ToTensor + ImageNet Normalize on PIL
images, and the position embedding resampled as DINOv2's interpolate_pos_encoding does.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from scipy import linalg

import ganbench

pytestmark = pytest.mark.slow
N = 8


@pytest.fixture(scope="module")
def dinov2_weights(tmp_path_factory):
    import timm
    from safetensors.torch import save_file

    torch.manual_seed(0)
    m = timm.create_model("vit_large_patch14_dinov2", pretrained=False, num_classes=0, img_size=518)
    # LayerScale starts at 1e-5, which leaves every block nearly the identity and the features nearly
    # constant; unit scales give features that differ from image to image, a sharper comparison
    state = {
        k: (torch.ones_like(v) if k.endswith(("ls1.gamma", "ls2.gamma")) else v).half().contiguous()
        for k, v in m.state_dict().items()
    }
    state["mask_token"] = torch.zeros(1, 1024, dtype=torch.float16)
    assert state["pos_embed"].shape == (1, 1 + 37 * 37, 1024)
    path = tmp_path_factory.mktemp("dinov2") / "random-dinov2-vitl14.safetensors"
    save_file(state, str(path))
    return path


def direct_features(images: np.ndarray, path) -> np.ndarray:
    import timm
    import torchvision.transforms as TF
    from safetensors.torch import load_file

    state = {k: v.float() for k, v in load_file(str(path)).items() if k != "mask_token"}
    pe = state["pos_embed"]
    patches = pe[:, 1:].reshape(1, 37, 37, -1).permute(0, 3, 1, 2)
    patches = torch.nn.functional.interpolate(
        patches, scale_factor=((16 + 0.1) / 37,) * 2, mode="bicubic", antialias=False
    )
    state["pos_embed"] = torch.cat([pe[:, :1], patches.permute(0, 2, 3, 1).reshape(1, 256, -1)], 1)
    model = timm.create_model("vit_large_patch14_dinov2", pretrained=False, num_classes=0, img_size=224)
    model.load_state_dict(state)
    model.eval()
    t = TF.Compose(
        [
            TF.Resize((224, 224), TF.InterpolationMode.BICUBIC),
            TF.ToTensor(),
            TF.Normalize(np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])),
        ]
    )
    x = torch.stack([t(Image.fromarray(im)) for im in images])
    with torch.no_grad():
        return model(x).numpy()


def frechet(a, b):
    mu1, mu2, s1, s2 = a.mean(0), b.mean(0), np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(s1.dot(s2)).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def test_fd_dinov2_and_prdc_equal_a_direct_computation(dinov2_weights, cifar_excerpt, tmp_path):
    from prdc import compute_prdc

    fakes, reals = cifar_excerpt["train_images"][:N], cifar_excerpt["test_images"][:N]
    np.save(tmp_path / "fakes.npy", fakes)
    np.save(tmp_path / "reals.npy", reals)
    r = ganbench.evaluate(
        tmp_path / "fakes.npy",
        ref=tmp_path / "reals.npy",
        metrics=["fd-dinov2", "density-dinov2", "coverage-dinov2"],
        weights_for={"dinov2": dinov2_weights},
        dc_k=3,
    )
    a, b = direct_features(fakes, dinov2_weights), direct_features(reals, dinov2_weights)
    want = frechet(a.astype(np.float64), b.astype(np.float64))  # rank-deficient: sqrtm off by ~1e-5 here
    print(f"FD-DINOv2 ganbench {r['fd-dinov2']:.6f}, direct {want:.6f}")
    assert r["fd-dinov2"] == pytest.approx(want, rel=1e-4)
    prdc = compute_prdc(real_features=b, fake_features=a, nearest_k=3)
    assert r["density-dinov2"] == pytest.approx(prdc["density"], abs=1e-9)
    assert r["coverage-dinov2"] == pytest.approx(prdc["coverage"], abs=1e-9)
    assert any("NOT the official DINOv2 ViT-L/14 weights" in w for w in r.warnings)
    assert r.provenance["extractor"] == "dinov2-vit-l-14" and r.provenance["resize"] == "pil-bicubic-224"


def test_preprocessing_equals_torchvision_resize(cifar_excerpt):
    import torchvision.transforms as TF

    from ganbench.features.dinov2 import preprocess

    rng = np.random.default_rng(0)
    for im in (cifar_excerpt["test_images"][0], rng.integers(0, 256, (300, 200, 3), dtype=np.uint8)):
        want = np.asarray(TF.Resize((224, 224), TF.InterpolationMode.BICUBIC)(Image.fromarray(im)))
        np.testing.assert_array_equal(preprocess(im), want)


def test_no_weights_says_how_to_get_them(monkeypatch):
    from ganbench.errors import GanbenchError
    from ganbench.features.dinov2 import OFFICIAL_URL, resolve_path

    monkeypatch.delenv("GANBENCH_DINOV2_WEIGHTS", raising=False)
    with pytest.raises(GanbenchError, match="--weights-for dinov2=FILE") as e:
        resolve_path()
    assert OFFICIAL_URL in str(e.value)
