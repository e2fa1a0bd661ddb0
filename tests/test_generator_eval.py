"""Scoring a generator without files (`ganbench.evaluate(G, ...)`) and batches from a training loop
(`ganbench.Metrics`): the same numbers as the samples written to a .npz and scored by `ganbench eval`.

Inception (the random test weights) runs where the equality is about the feature pipeline (batches,
order); the conversion, calling and classes tests use a tiny deterministic extractor."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from faults import TinyExtractor

import ganbench
from ganbench import streams
from ganbench.cli import cli
from ganbench.engine import compute_stats
from ganbench.errors import GanbenchError
from ganbench.inputs.generator import BLOCK, GeneratorSource

pytestmark = pytest.mark.usefixtures("one_thread")

N, Z = 48, 8
OPTS = {"kid_subset_size": 16, "kid_subsets": 5, "is_splits": 2}
METRICS = ["fid", "kid", "is"]


class TinyG(torch.nn.Module):
    """z (N, 8) -> tanh images (N, 3, 32, 32); with num_classes, a class embedding added to z."""

    def __init__(self, num_classes: int = 0):
        super().__init__()
        torch.manual_seed(0)
        self.z_dim, self.num_classes = Z, num_classes
        self.fc = torch.nn.Linear(Z, 3 * 32 * 32)
        self.embed = torch.nn.Embedding(num_classes, Z) if num_classes else None
        self.eval()

    def forward(self, z, y=None):
        if y is not None:
            z = z + 3 * self.embed(y)
        return torch.tanh(2 * self.fc(z)).view(-1, 3, 32, 32)


def by_hand(G, n: int, seed: int = 0, labels=None) -> np.ndarray:
    """The samples written out the long way: latents from the streams, StyleGAN2-ADA's conversion."""
    z = torch.cat(
        [torch.randn(BLOCK, Z, generator=streams.generator(seed, "sample", b)) for b in range((n + BLOCK - 1) // BLOCK)]
    )[:n]
    with torch.no_grad():
        x = G(z) if labels is None else G(z, torch.as_tensor(labels))
    return (x * 127.5 + 128).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()


def values(result) -> dict:
    return {k: (v.value, v.std) for k, v in result.metrics.items()}


@pytest.fixture(scope="module")
def ref_stats(tmp_path_factory, cifar_excerpt, inception_weights):
    path = tmp_path_factory.mktemp("gen") / "ref.ganbench.npz"
    compute_stats(cifar_excerpt["test_images"][:N], path, weights=inception_weights, use_cache=False, batch_size=16)
    return path


@pytest.fixture(scope="module")
def from_generator(ref_stats, inception_weights):
    return ganbench.evaluate(TinyG(), ref_stats, METRICS, n=N, batch_size=16, weights=inception_weights, **OPTS)


def test_generator_equals_ganbench_eval_of_the_same_samples_in_a_file(
    from_generator, ref_stats, inception_weights, tmp_path
):
    np.savez(tmp_path / "samples.npz", by_hand(TinyG(), N))
    res = CliRunner().invoke(
        cli,
        [
            "eval",
            str(tmp_path / "samples.npz"),
            "--ref",
            str(ref_stats),
            "--metrics",
            ",".join(METRICS),
            "--weights",
            str(inception_weights),
            "--batch-size",
            "16",
            "--kid-subset-size",
            "16",
            "--kid-subsets",
            "5",
            "--is-splits",
            "2",
            "--json",
            str(tmp_path / "r.json"),
            "--no-cache",
        ],
    )
    assert res.exit_code == 0, res.output
    rec = json.loads((tmp_path / "r.json").read_text())
    assert values(from_generator) == {k: (v["value"], v["std"]) for k, v in rec["metrics"].items()}
    got = from_generator.provenance["samples"]
    assert got["content_sha256"] == rec["provenance"]["samples"]["content_sha256"]  # the very same pixels
    g = got["generator"]
    assert g["source"].endswith("test_generator_eval.TinyG") and g["type"] == "torch.nn.Module"
    assert (g["n"], g["seed"], g["z_dim"], g["output_dtype"], g["batch_size"]) == (N, 0, Z, "float32", 16)
    assert "(x * 127.5 + 128).clamp(0, 255)" in g["conversion"] and len(g["state_sha256"]) == 64
    assert got["count"] == N and got["kind"] == "generator" and g["training_mode"] is False


def test_metrics_in_three_uneven_batches_equals_evaluate(from_generator, ref_stats, inception_weights):
    images = torch.from_numpy(by_hand(TinyG(), N)).permute(0, 3, 1, 2)
    z = torch.randn(BLOCK, Z, generator=streams.generator(0, "sample", 0))[:N]
    with torch.no_grad():
        floats = TinyG()(z)  # the same images as float in [-1, 1]: converted by update
    m = ganbench.Metrics(METRICS, ref=ref_stats, weights=inception_weights, batch_size=16, **OPTS)
    for a, b in ((0, 7), (7, 32), (32, N)):
        m.update(floats[a:b] if a else images[a:b])
    assert values(m.compute()) == values(from_generator)
    assert m.compute().provenance["samples"]["source"]["updates"] == 3  # compute() again: same, nothing consumed
    m.update(images[:5])
    assert m.compute().provenance["samples"]["count"] == N + 5
    m.reset()
    with pytest.raises(GanbenchError, match="no images yet"):
        m.compute()


def test_float_and_uint8_outputs_agree_and_callables_work_like_modules():
    G = TinyG()

    def as_uint8(z):  # a plain function giving uint8, StyleGAN2-ADA's conversion done by hand
        return (G(z) * 127.5 + 128).clamp(0, 255).to(torch.uint8)

    kw = dict(ref=None, metrics=["is"], n=40, z_dim=Z, extractor=TinyExtractor(), is_splits=2)
    a = ganbench.evaluate(G, **kw)
    b = ganbench.evaluate(as_uint8, **kw)
    c = ganbench.evaluate(lambda z: G(z).double().numpy(), **kw)  # a float64 numpy array is read too
    assert values(a) == values(b) == values(c)
    assert a.provenance["samples"]["content_sha256"] == b.provenance["samples"]["content_sha256"]
    assert b.provenance["samples"]["generator"]["source"].endswith("as_uint8")
    assert b.provenance["samples"]["generator"]["output_dtype"] == "uint8"
    assert "0x" not in json.dumps(b.provenance["samples"])  # no memory address: the record is reproducible


def test_latents_do_not_depend_on_the_batch_size_and_the_seed_moves_them():
    G = TinyG()
    read = lambda src: src.read(range(len(src)))  # noqa: E731
    whole = read(GeneratorSource(G, 1100, seed=3))
    assert np.array_equal(whole, by_hand(G, 1100, seed=3))  # past a latent block's end too
    assert np.array_equal(whole, read(GeneratorSource(G, 1100, seed=3, batch_size=7)))
    assert not np.array_equal(whole, read(GeneratorSource(G, 1100, seed=4)))
    # reads that follow no grid, and the pipelined path CUDA takes (a batch made ahead), give the same images
    src = GeneratorSource(G, 1100, seed=3, batch_size=64)
    src.pipelined = True
    parts = [src.read(range(a, min(a + 50, 1100))) for a in range(0, 1100, 50)]
    assert np.array_equal(np.concatenate(parts), whole) and src.content_hash() is not None
    assert np.array_equal(src.read([5, 3]), whole[[5, 3]]) and np.array_equal(src.first(70), whole[:70])


@pytest.mark.parametrize(
    "G, match",
    [
        (lambda z: torch.zeros(len(z), 32, 32, 3), r"gave shape \(\d+, 32, 32, 3\): give NCHW .*permute\(0, 3, 1, 2\)"),
        (
            lambda z: torch.zeros(len(z), 3, 32, 32, dtype=torch.int32),
            "gave int32 images: give uint8 in 0..255 or float",
        ),
        (lambda z: torch.zeros(1, 3, 32, 32), r"gave 1 images for \d+ latents: give one image per latent"),
        (lambda z: "image", "gave a str: give a torch tensor of NCHW images"),
    ],
)
def test_a_wrong_output_is_one_line_naming_the_fix(G, match):
    with pytest.raises(GanbenchError, match=match) as e:
        ganbench.evaluate(G, metrics=["is"], n=20, z_dim=Z, extractor=TinyExtractor(), is_splits=2)
    assert "\n" not in str(e.value)
    with pytest.raises(GanbenchError, match="z_dim=None: pass z_dim="):
        ganbench.evaluate(lambda z: z, metrics=["is"], n=20, extractor=TinyExtractor())


def test_float_images_in_0_1_are_warned_about():
    kw = dict(metrics=["is"], n=20, z_dim=Z, extractor=TinyExtractor(), is_splits=2)
    res = ganbench.evaluate(lambda z: torch.sigmoid(TinyG()(z)), **kw)
    assert any("floats are read as [-1, 1]" in w for w in res.warnings)
    train_mode = TinyG().train()
    assert any("is in training mode" in w for w in ganbench.evaluate(train_mode, **kw).warnings)


def test_classes_reach_G_and_the_metrics_that_read_them(cifar_excerpt, tmp_path):
    ref = tmp_path / "ref.npz"
    np.savez(ref, cifar_excerpt["test_images"][:60], labels=cifar_excerpt["test_labels"][:60].astype(np.int64))
    G, seen = TinyG(num_classes=10), []

    def spy(z, y):
        seen.append(y.clone())
        return G(z, y)

    kw = dict(metrics=["intra-fid"], extractor=TinyExtractor())
    res = ganbench.evaluate(spy, ref, classes=[1, 3, 6], num_classes=10, z_dim=Z, n=30, **kw)
    want = np.array([1, 3, 6] * 10)
    assert np.array_equal(torch.cat(seen).numpy(), want)  # classes in turn, as `ganbench sample --classes`
    assert res.provenance["samples"]["generator"]["classes"] == [1, 3, 6]
    np.savez(tmp_path / "s.npz", by_hand(G, 30, labels=want), labels=want)  # the file route: its labels array
    same = ganbench.evaluate(str(tmp_path / "s.npz"), ref, **kw)
    assert values(res) == values(same) and sorted(res.metrics["intra-fid"].extra["per_class"]) == ["1", "3", "6"]
    kw["n"] = 30
    uniform = ganbench.evaluate(G, ref, classes="uniform", **kw)  # num_classes from G
    assert uniform.provenance["samples"]["labels"]["classes"] == 10
    with pytest.raises(GanbenchError, match="has classes 0..9, not 12"):
        ganbench.evaluate(G, ref, classes=[12], **kw)
    with pytest.raises(GanbenchError, match="intra-fid needs the classes of both sets"):
        ganbench.evaluate(G, ref, **kw)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA only: the side-stream prefetch")
def test_cuda_side_stream_gives_the_images_of_the_sequential_path():
    """On CUDA the next batch is made on a side stream while the current one is read: the same bytes as
    making each batch when asked (same device, same kernels), whatever the reads' sizes."""
    G = TinyG().cuda()
    ahead, plain = GeneratorSource(G, 2100, seed=5), GeneratorSource(G, 2100, seed=5)
    plain.pipelined, plain._stream = False, None
    assert ahead.pipelined and ahead.device.type == "cuda"
    got = np.concatenate([ahead.read(range(a, min(a + 256, 2100))) for a in range(0, 2100, 256)])
    want = np.concatenate([plain.read(range(a, min(a + 256, 2100))) for a in range(0, 2100, 256)])
    assert np.array_equal(got, want) and ahead.content_hash() == plain.content_hash()
    assert np.abs(got.astype(int) - by_hand(TinyG(), 2100, seed=5).astype(int)).max() <= 1  # CPU: 1 level at most
