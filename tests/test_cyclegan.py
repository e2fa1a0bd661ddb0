"""CycleGAN end to end on CPU (issue 23): the networks against the reference's (parameter counts, the committed
forward fixture of benchmarks/reference/cyclegan_fixture.py), the image pool on fixed draws, the cycle and
identity losses by hand, one step against a transcription of the reference's optimize_parameters, a few
training steps on unpaired CIFAR-10 classes written by `ganbench data unpaired`, resume after a kill to
identical weights and pools, and `ganbench sample RUN --input` in both directions scored by `ganbench eval`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner
from safetensors import safe_open
from safetensors.torch import load_file

import ganbench
from ganbench.baselines import BASELINES, count_params
from ganbench.baselines.cyclegan import ResnetG
from ganbench.baselines.pix2pix import PatchD
from ganbench.cli import cli
from ganbench.errors import GanbenchError
from ganbench.toydata import unpaired
from ganbench.train import checkpoint, models, streams
from ganbench.train.data import open_data
from ganbench.train.loop import Trainer
from ganbench.train.objectives.cycle import Cycle, ImagePool
from ganbench.train.options import resolve

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py
DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parents[1]
SMALL = {"arch": "cyclegan-small", "batch_size": 2, "g_batch_size": 2}
COUNTS = (7837699, 136385)  # the reference's ResnetGenerator(3, 3, 64, n_blocks=6), NLayerDiscriminator(3, 64, 1)

from test_train import _same, _tensors  # noqa: E402 - one definition of "the same weights"


def _ok(args):
    r = CliRunner().invoke(cli, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    return r.output


def _fails(args, text):
    r = CliRunner().invoke(cli, [str(a) for a in args])
    assert r.exit_code == 2 and text in r.output and len(r.output.strip().splitlines()) == 1, r.output
    return r.output


@pytest.fixture(scope="module")
def source(cifar_excerpt, tmp_path_factory):
    """16 automobiles and 13 trucks (train) and their test images, with labels beside them."""
    folder = tmp_path_factory.mktemp("cyc")
    lab, imgs = cifar_excerpt["train_labels"], cifar_excerpt["train_images"]
    keep = np.concatenate([np.flatnonzero(lab == 1)[:16], np.flatnonzero(lab == 9)[:13], np.flatnonzero(lab == 3)[:2]])
    tl, ti = cifar_excerpt["test_labels"], cifar_excerpt["test_images"]
    test = np.concatenate([np.flatnonzero(tl == 1)[:12], np.flatnonzero(tl == 9)[:11]])
    np.savez(
        folder / "src.npz", train_images=imgs[keep], train_labels=lab[keep], test_images=ti[test], test_labels=tl[test]
    )
    return folder / "src.npz"


@pytest.fixture(scope="module")
def task(source):
    out = source.parent
    _ok(
        [
            "data",
            "unpaired",
            "--source",
            source,
            "--key",
            "train_images",
            "--from",
            "automobile",
            "--to",
            "truck",
            "-o",
            out / "train.npz",
        ]
    )
    _ok(
        [
            "data",
            "unpaired",
            "--source",
            source,
            "--key",
            "test_images",
            "--from",
            "1",
            "--to",
            "9",
            "-o",
            out / "test.npz",
        ]
    )
    return out / "train.npz", out / "test.npz"


@pytest.fixture(scope="module")
def run(task, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "cyc"
    ganbench.train("cyclegan", out=out, data=task[0], steps=2, set=SMALL, progress=False)
    return out


def test_parameter_counts_equal_the_reference():
    cfg = resolve(BASELINES.get("cyclegan")["train"])
    nets = models.build(cfg, 0)
    assert list(nets.nets) == ["G_AB", "G_BA", "D_A", "D_B"] and nets.main == "G_AB"
    assert [count_params(nets.nets[k]) for k in nets.nets] == [COUNTS[0], COUNTS[0], COUNTS[1], COUNTS[1]]
    params = BASELINES.get("cyclegan")["source"]["params"]
    assert (params["G"], params["D"]) == COUNTS
    summary = json.loads((ROOT / "benchmarks/results/cyclegan_reference.json").read_text())
    assert summary["commit"] == "032e88438b1b2690e538c2cf399ebceb76adbea9"
    full = summary["full"]["cyclegan-resnet32"]
    assert (full["params"]["G"], full["params"]["D"]) == COUNTS and max(full["max_abs_diff"].values()) == 0.0
    # the originals, built by ganbench's classes with their arguments, have the reference's counts too
    assert count_params(ResnetG(3, 3, 64, 9)) == summary["full"]["resnet_9blocks+basic"]["params"]["G"] == 11378179
    assert (
        count_params(PatchD(3, 64, 3, norm="instance"))
        == summary["full"]["resnet_9blocks+basic"]["params"]["D"]
        == 2764737
    )
    assert nets.nets["D_B"](torch.zeros(1, 3, 32, 32)).shape == (1, 1, 14, 14)
    # the two pairs start from different weights, each a function of the seed
    assert not torch.equal(nets.nets["G_AB"].model[1].weight, nets.nets["G_BA"].model[1].weight)
    again = models.build(cfg, 0)
    assert all(torch.equal(a, b) for a, b in zip(nets.nets["G_BA"].parameters(), again.nets["G_BA"].parameters()))


def test_forward_equals_the_reference_fixture():
    path = str(DATA / "cyclegan_small.safetensors")
    tensors = load_file(path)
    with safe_open(path, "pt") as f:
        spec = json.loads(f.metadata()["summary"])["small32"]["spec"]
    G, D = ResnetG(3, 3, spec["ngf"], spec["n_blocks"]), PatchD(3, spec["ndf"], spec["n_layers"], norm="instance")
    G.load_state_dict({k[len("small32.G.") :]: v for k, v in tensors.items() if k.startswith("small32.G.")})
    D.load_state_dict({k[len("small32.D.") :]: v for k, v in tensors.items() if k.startswith("small32.D.")})
    with torch.no_grad():
        for mode in (True, False):  # instance norm: no running statistics, one function in both modes
            G.train(mode), D.train(mode)
            g = G(tensors["small32.x"])
            assert (g - tensors["small32.G_out"]).abs().max() <= 1e-6
            assert (D(tensors["small32.G_out"]) - tensors["small32.D_out"]).abs().max() <= 1e-6
    # cyclegan-small is exactly this network
    cfg = resolve(BASELINES.get("cyclegan")["train"], SMALL)
    nets = models.build(cfg, 0)
    assert count_params(nets.nets["G_AB"]) == count_params(G) and count_params(nets.nets["D_A"]) == count_params(D)


def _reference_query(pool, images, coins, slots, size):
    """util/image_pool.py's query with its random.uniform / random.randint replaced by the given draws."""
    out = []
    for i, image in enumerate(images):
        if len(pool) < size:
            pool.append(image.clone())
            out.append(image)
        elif coins[i] > 0.5:
            tmp = pool[slots[i]].clone()
            pool[slots[i]] = image
            out.append(tmp)
        else:
            out.append(image)
    return torch.stack(out)


def test_image_pool_fills_then_swaps_half_the_time_on_fixed_draws():
    size, pool, mirror = 5, ImagePool(5), []
    seen = 0
    for step in range(12):
        images = torch.full((2, 3, 2, 2), float(step)) + torch.tensor([0.0, 0.5])[:, None, None, None]
        g = streams.generator(7, "pool", step, 0)
        got = pool.query(images, g)
        h = streams.generator(7, "pool", step, 0)  # the same draws, in the same order
        coins, slots = torch.rand(2, generator=h), torch.randint(size, (2,), generator=h)
        want = _reference_query(mirror, images, coins, slots, size)
        assert torch.equal(got, want), step
        assert len(pool.images) == len(mirror) and all(torch.equal(a, b) for a, b in zip(pool.images, mirror))
        if seen + 2 <= size:  # filling: the new images come back as they are
            assert torch.equal(got, images)
        seen += 2
    # full: about half of the returned images are stored ones (2000 images, the 50% coin)
    swapped = 0
    for step in range(12, 1012):
        images = torch.full((2, 3, 2, 2), float(step))
        got = pool.query(images, streams.generator(7, "pool", step, 0))
        swapped += int((got[:, 0, 0, 0] != step).sum())
    assert 0.45 < swapped / 2000 < 0.55
    assert torch.equal(ImagePool(0).query(images, None), images)  # pool_size 0: no pool
    # state round trip: the same bytes
    other = ImagePool(5)
    other.restore(json.loads(json.dumps(pool.state())), "cpu")
    assert all(a.numpy().tobytes() == b.numpy().tobytes() for a, b in zip(pool.images, other.images))


def test_cycle_and_identity_losses_equal_hand_computations():
    cfg = resolve(BASELINES.get("cyclegan")["train"])
    a, b = torch.zeros(1, 3, 2, 2), torch.ones(1, 3, 2, 2)
    rec_a = torch.full_like(a, 0.5)  # |0.5 - 0| = 0.5 everywhere
    rec_b = torch.tensor([0.0, 1.0, 1.0, 1.0]).view(1, 1, 2, 2).expand(1, 3, 2, 2)  # one pixel off by 1: mean 1/4
    idt_b = torch.full_like(b, 0.8)  # |0.8 - 1| = 0.2
    idt_a = torch.full_like(a, -0.4)  # 0.4
    terms = Cycle(cfg).cycle_losses(a, b, None, rec_a, None, rec_b, idt_b, idt_a)
    assert float(terms["cycle_a"]) == pytest.approx(10 * 0.5)
    assert float(terms["cycle_b"]) == pytest.approx(10 * 0.25)
    assert float(terms["idt_b"]) == pytest.approx(0.5 * 10 * 0.2)
    assert float(terms["idt_a"]) == pytest.approx(0.5 * 10 * 0.4)
    off = Cycle(resolve(BASELINES.get("cyclegan")["train"], {"lambda_identity": 0, "lambda_a": 2}))
    assert set(off.cycle_losses(a, b, None, rec_a, None, rec_b)) == {"cycle_a", "cycle_b"}
    assert float(off.cycle_losses(a, b, None, rec_a, None, rec_b)["cycle_a"]) == pytest.approx(1.0)


def _ls(out, target):
    return F.mse_loss(out, torch.full_like(out, target))


def test_one_step_equals_the_reference_update(task):
    """The objective's step against cycle_gan_model.py's optimize_parameters written out (the pools still
    filling, so D sees this step's fakes)."""
    cfg = resolve(BASELINES.get("cyclegan")["train"], {**SMALL, "data": str(task[0])})
    data = open_data(str(task[0]), (3, 32, 32), paired=True, unpaired=True)
    trainer = Trainer(cfg, data, 3)
    stats = trainer.train_step()
    ref = models.build(cfg, 3).nets
    G_A, G_B, D_A, D_B = ref["G_AB"], ref["G_BA"], ref["D_B"], ref["D_A"]  # the reference's names
    opt_g = torch.optim.Adam([*G_A.parameters(), *G_B.parameters()], lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam([*D_A.parameters(), *D_B.parameters()], lr=2e-4, betas=(0.5, 0.999))
    real_A, real_B = data.unpaired(3, 0, 2)
    fake_B = G_A(real_A)
    rec_A = G_B(fake_B)
    fake_A = G_B(real_B)
    rec_B = G_A(fake_A)
    D_A.requires_grad_(False), D_B.requires_grad_(False)
    loss_idt_A = (G_A(real_B) - real_B).abs().mean() * 10 * 0.5
    loss_idt_B = (G_B(real_A) - real_A).abs().mean() * 10 * 0.5
    loss_G = (
        _ls(D_A(fake_B), 1.0)
        + _ls(D_B(fake_A), 1.0)
        + (rec_A - real_A).abs().mean() * 10
        + (rec_B - real_B).abs().mean() * 10
        + loss_idt_A
        + loss_idt_B
    )
    opt_g.zero_grad(), loss_G.backward(), opt_g.step()
    D_A.requires_grad_(True), D_B.requires_grad_(True)
    opt_d.zero_grad()
    loss_D_A = (_ls(D_A(real_B), 1.0) + _ls(D_A(fake_B.detach()), 0.0)) * 0.5
    loss_D_A.backward()
    loss_D_B = (_ls(D_B(real_A), 1.0) + _ls(D_B(fake_A.detach()), 0.0)) * 0.5
    loss_D_B.backward()
    # each D's mean output on the images of its loss (before its step), as logged for the D-wins signal
    with torch.no_grad():
        shown = {"d_real_b": D_A(real_B), "d_fake_b": D_A(fake_B), "d_real_a": D_B(real_A), "d_fake_a": D_B(fake_A)}
    opt_d.step()
    assert stats["loss_g"] == pytest.approx(float(loss_G.detach()), abs=1e-5)
    assert stats["loss_d_b"] == pytest.approx(float(loss_D_A.detach()), abs=1e-6)
    assert stats["loss_d_a"] == pytest.approx(float(loss_D_B.detach()), abs=1e-6)
    for k, out in shown.items():
        assert stats[k] == pytest.approx(float(out.mean()), abs=1e-6), k
    assert stats["d_real"] == pytest.approx((stats["d_real_a"] + stats["d_real_b"]) / 2, abs=1e-12)
    assert stats["d_fake"] == pytest.approx((stats["d_fake_a"] + stats["d_fake_b"]) / 2, abs=1e-12)
    for name in ("G_AB", "G_BA", "D_A", "D_B"):
        a, b = trainer.nets.nets[name].state_dict(), ref[name].state_dict()
        for k in a:
            assert torch.equal(a[k], b[k]), (name, k)  # bit for bit on CPU


def test_cyclegan_trains_on_unpaired_classes(run, task, source):
    meta = json.loads((run / "run.json").read_text())
    assert meta["baseline"] == "cyclegan" and meta["config"]["objective"] == "cycle"
    assert meta["data"]["kind"] == "unpaired" and (meta["data"]["count_a"], meta["data"]["count"]) == (16, 13)
    log = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in log if r["kind"] == "train"]
    keys = ("loss_d", "loss_g", "cycle_a", "idt_b", "d_real", "d_fake")  # d_real/d_fake: the D-wins signal's
    assert len(train) == 2 and all(np.isfinite(r[k]) for r in train for k in keys)
    assert (run / "samples" / "step-00000002.png").exists()
    with np.load(task[0]) as z:
        assert z["a"].shape == (16, 32, 32, 3) and z["b"].shape == (13, 32, 32, 3)
        # the same from Python, without the CLI (toydata/unpaired.py holds the task)
        a, b = unpaired.from_source(source, "train_images", *unpaired.classes("automobile", "truck"))
        assert np.array_equal(a, z["a"]) and np.array_equal(b, z["b"])
    # the two domains are drawn independently: batches of a and b follow different orders
    data = open_data(str(task[0]), (3, 32, 32), paired=True, unpaired=True)
    a0, b0 = data.unpaired(0, 0, 13)
    a1, _ = data.unpaired(1, 0, 13)
    assert not torch.equal(a0, a1) and a0.shape == b0.shape == (13, 3, 32, 32)


def test_linear_decay_starts_at_lr_decay_start():
    cfg = resolve(BASELINES.get("cyclegan")["train"], {"steps": 10})
    assert [models.lr_factor(cfg, s) for s in (0, 5, 6, 9)] == [1.0, 1.0, pytest.approx(0.8), pytest.approx(0.2)]
    plain = resolve({}, {"lr_schedule": "linear", "steps": 10})
    assert models.lr_factor(plain, 3) == 1.0 - 3 / 10  # lr_decay_start 0: as before
    with pytest.raises(GanbenchError, match="lr_decay_start=0.5 is where a linear decay starts"):
        resolve({}, {"lr_decay_start": 0.5})


def test_cyclegan_resumes_after_a_kill_to_identical_weights_and_pools(task, tmp_path):
    # pool_size 3 with batches of 2: full after step 2, swapping from then on
    kw = dict(data=task[0], steps=4, set={**SMALL, "pool_size": "3"}, checkpoint_every=1, progress=False)
    ganbench.train("cyclegan", out=tmp_path / "full", **kw)
    ganbench.train("cyclegan", out=tmp_path / "cut", **kw)
    # as if killed after step 2's checkpoint: the later ones gone, the log cut mid-line
    for s in (3, 4):
        checkpoint.path_for(tmp_path / "cut", s).unlink()
    with open(tmp_path / "cut" / "metrics.jsonl", "a") as f:
        f.write('{"kind": "train", "step": 3, "loss_d"')
    _t, meta = checkpoint.load(checkpoint.path_for(tmp_path / "cut", 2))
    assert meta["objective"]["pools"]["b"]["n"] == 3  # the pools are in the checkpoint, full
    ganbench.train(resume=tmp_path / "cut", progress=False)
    _same(_tensors(tmp_path / "full"), _tensors(tmp_path / "cut"))
    metas = [checkpoint.load(checkpoint.path_for(tmp_path / r, 4))[1]["objective"] for r in ("full", "cut")]
    assert metas[0] == metas[1]
    logs = [[json.loads(x) for x in (tmp_path / r / "metrics.jsonl").read_text().splitlines()] for r in ("full", "cut")]
    strip = [
        [
            {k: v for k, v in rec.items() if k not in ("step_per_s", "images_per_s")}
            for rec in log
            if rec["kind"] == "train"
        ]
        for log in logs
    ]
    assert strip[0] == strip[1] and len(strip[0]) == 4
    # without the pools' contents the resumed run differs (the test can fail)
    ganbench.train("cyclegan", out=tmp_path / "lost", **kw)
    for s in (3, 4):
        checkpoint.path_for(tmp_path / "lost", s).unlink()
    from ganbench.train import loop

    restore = loop.Trainer.restore
    try:
        loop.Trainer.restore = lambda self, meta: None
        ganbench.train(resume=tmp_path / "lost", progress=False)
    finally:
        loop.Trainer.restore = restore
    assert any(
        _tensors(tmp_path / "full")[k].numpy().tobytes() != v.numpy().tobytes()
        for k, v in _tensors(tmp_path / "lost").items()
        if k.startswith("D_")
    )


def test_unpaired_data_errors_are_one_line(source, cifar_excerpt, tmp_path):
    base = ["data", "unpaired", "--source", source, "--key", "train_images"]
    _fails(base + ["--from", "zebra", "--to", "truck", "-o", tmp_path / "x.npz"], "--from zebra: not a CIFAR-10 class")
    _fails(base + ["--from", "truck", "--to", "9", "-o", tmp_path / "x.npz"], "are the same class")
    _fails(base + ["--from", "cat", "--to", "airplane", "-o", tmp_path / "x.npz"], "no image of class airplane")
    np.savez(tmp_path / "plain.npz", images=cifar_excerpt["train_images"][:4])
    _fails(
        [
            "data",
            "unpaired",
            "--source",
            tmp_path / "plain.npz",
            "--from",
            "cat",
            "--to",
            "dog",
            "-o",
            tmp_path / "x.npz",
        ],
        "has no labels beside its images",
    )
    _fails(
        ["data", "unpaired", "--source", source, "--to", "dog", "-o", tmp_path / "x.npz"], "--from CLASS and --to CLASS"
    )
    _fails(
        ["data", "unpaired", "--source", source, "--from", "cat", "--to", "dog", "-o", tmp_path / "x.npz"],
        "pass --key train_images (its labels are `train_labels`)",
    )
    _fails(
        ["data", "colorize", "--source", source, "--key", "train_images", "--from", "cat", "-o", tmp_path / "x.npz"],
        "--from / --to pick the classes of `ganbench data unpaired`",
    )
    assert not (tmp_path / "x.npz").exists()
    # training data: paired pairs for a CycleGAN, unpaired sets for pix2pix
    np.savez(
        tmp_path / "pairs.npz", inputs=cifar_excerpt["train_images"][:4], targets=cifar_excerpt["train_images"][:4]
    )
    _fails(
        ["train", "cyclegan", "--data", tmp_path / "pairs.npz", "--steps", "1", "--out", tmp_path / "r"],
        "has no `a` array",
    )
    with pytest.raises(GanbenchError, match="objective=cycle trains an unpaired"):
        Cycle(resolve(BASELINES.get("cyclegan")["train"], {"arch": "pix2pix-small"})).build(
            resolve(BASELINES.get("cyclegan")["train"], {"arch": "pix2pix-small"}), 0, 0, "cpu", False, False
        )
    with pytest.raises(GanbenchError, match="does not use ema"):
        Cycle(resolve(BASELINES.get("cyclegan")["train"], {"ema": 0.9})).check(1)
    with pytest.raises(GanbenchError, match="one process"):
        Cycle(resolve(BASELINES.get("cyclegan")["train"])).check(2)


def test_sample_input_translates_both_directions_and_eval_scores_them(run, task, tmp_path, inception_weights):
    test = task[1]
    out = json.loads(_ok(["sample", run, "--input", test, "--key", "a", "-o", tmp_path / "fake_b.npz", "--json", "-"]))
    assert out["direction"] == "AB" and out["n"] == 12
    out = json.loads(
        _ok(
            [
                "sample",
                run,
                "--input",
                test,
                "--key",
                "b",
                "--direction",
                "ba",
                "-o",
                tmp_path / "fake_a.npz",
                "--json",
                "-",
            ]
        )
    )
    assert out["direction"] == "BA" and out["n"] == 11
    with np.load(tmp_path / "fake_b.npz") as z, np.load(tmp_path / "fake_a.npz") as w, np.load(test) as t:
        fb, fa, a, b = z["arr_0"], w["arr_0"], t["a"], t["b"]
    assert fb.shape == a.shape and fa.shape == b.shape and fb.dtype == np.uint8
    # each direction is its own generator, each output its input's alone (G_AB / G_BA in eval mode)
    from ganbench.train.sampling import load_generator, to_images

    G_ab, _ = load_generator(run, net="G_AB")
    G_ba, _ = load_generator(run, net="G_BA")
    with torch.no_grad():
        x = torch.from_numpy(a[:1]).permute(0, 3, 1, 2).float() / 127.5 - 1
        assert np.array_equal(to_images(G_ab(x)).permute(0, 2, 3, 1).numpy()[0], fb[0])
        assert not np.array_equal(to_images(G_ba(x)).permute(0, 2, 3, 1).numpy()[0], fb[0])
    _fails(
        ["sample", run, "--input", test, "--key", "a", "--direction", "AC", "-o", tmp_path / "x.npz"],
        "--direction AC: AB (G_AB, A -> B) or BA",
    )
    _fails(["sample", run, "-n", "4", "--direction", "BA", "-o", tmp_path / "y.npz"], "only with --input")
    # A -> B outputs scored against B's real test images (unpaired FID/KID)
    _ok(
        [
            "eval",
            tmp_path / "fake_b.npz",
            "--ref",
            test,
            "--ref-key",
            "b",
            "--metrics",
            "fid,kid",
            "--kid-subset-size",
            "10",
            "--weights",
            inception_weights,
            "--json",
            tmp_path / "rec.json",
        ]
    )
    rec = json.loads((tmp_path / "rec.json").read_text())
    assert np.isfinite(rec["metrics"]["fid"]["value"]) and np.isfinite(rec["metrics"]["kid"]["value"])
    assert (rec["protocol"]["n_generated"], rec["protocol"]["n_reference"]) == (12, 11)
