"""intra-FID and class labels in eval (issue 22): the metric equals the mean of per-class FIDs computed
independently; on labelled stacked digits a sampler whose labels are shuffled gets a far worse intra-FID
with the very same images (and so the same FID); labels come from an npz array, class subfolders or a
file,label CSV, and bad label input is one line naming the file and the fix."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from faults import TinyExtractor

from ganbench.cli import cli
from ganbench.engine import evaluate
from ganbench.errors import GanbenchError
from ganbench.features import get_features
from ganbench.features.featureset import FeatureSet
from ganbench.metrics import METRICS
from ganbench.toydata.stacked_digits import sample_stacked_digits

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py


def _digits(per_class: int, seed: int, classes=range(10)):
    """Stacked digits whose three channels all show digit k, labelled k, scaled 8x8 -> 32x32 (TinyExtractor's
    input size)."""
    xs, ys = [], []
    for k in classes:
        x, _ = sample_stacked_digits(per_class, seed * 100 + k, digits=[k])
        xs.append(x)
        ys.append(np.full(per_class, k, np.int64))
    return np.concatenate(xs).repeat(4, 1).repeat(4, 2), np.concatenate(ys)


@pytest.fixture(scope="module")
def sets():
    ref, ref_y = _digits(30, 1)
    gen, gen_y = _digits(20, 2)
    return gen, gen_y, ref, ref_y


def _score(gen, ref, metrics=("intra-fid",), **kw):
    return evaluate(gen, ref, list(metrics), extractor=TinyExtractor(), use_cache=False, **kw)


def test_intra_fid_equals_the_mean_of_per_class_fids_computed_independently(sets):
    gen, gen_y, ref, ref_y = sets
    res = _score(gen, ref, labels=gen_y, ref_labels=ref_y)
    v = res.metrics["intra-fid"]
    # `ganbench eval --metrics fid` of each class's images on their own: their features, extracted in
    # other batches, differ from those extracted with all images at float32 rounding (BLAS blocks by batch
    # size), so the two agree to ~1e-6 rather than bit for bit; on the same features they agree exactly
    independent = {k: _score(gen[gen_y == k], ref[ref_y == k], ("fid",)).metrics["fid"].value for k in range(10)}
    assert v.extra["classes"] == 10 and v.extra["counts"]["3"] == [20, 30]
    for k, value in independent.items():
        assert v.extra["per_class"][str(k)] == pytest.approx(value, rel=1e-5)
    assert v.value == pytest.approx(np.mean(list(independent.values())), rel=1e-5)
    assert len(set(np.round(list(independent.values()), 3))) == 10  # ten classes, ten different numbers
    # and exactly fid's own compute on each class's rows of the features eval extracts
    fid = METRICS.get("fid").compute
    fx, rx = (get_features(x, extractor=TinyExtractor(), use_cache=False).pool for x in (gen, ref))
    for k in range(10):
        exact = fid(FeatureSet(pool=fx[gen_y == k]), FeatureSet(pool=rx[ref_y == k]), {}).value
        assert v.extra["per_class"][str(k)] == pytest.approx(exact, rel=1e-12)
    prov = res.provenance
    assert prov["samples"]["labels"] == {"source": "array", "classes": 10}
    assert prov["reference"]["labels"]["classes"] == 10


def test_a_sampler_that_ignores_its_labels_gets_a_clearly_worse_intra_fid(sets):
    gen, gen_y, ref, ref_y = sets
    follows = _score(gen, ref, ("intra-fid", "fid"), labels=gen_y, ref_labels=ref_y)
    ignores = _score(
        gen, ref, ("intra-fid", "fid"), labels=np.random.default_rng(0).permutation(gen_y), ref_labels=ref_y
    )
    assert ignores.metrics["fid"].value == follows.metrics["fid"].value  # the same images
    assert ignores.metrics["intra-fid"].value > 2 * follows.metrics["intra-fid"].value  # measured: 5713 vs 1793
    worse = [
        k
        for k in map(str, range(10))
        if ignores.metrics["intra-fid"].extra["per_class"][k] > follows.metrics["intra-fid"].extra["per_class"][k]
    ]
    assert len(worse) == 10


def test_intra_fid_is_registered_and_bootstraps_within_classes(sets):
    gen, gen_y, ref, ref_y = sets
    assert METRICS.get("intra-fid").needs == ("pool", "labels")
    v = _score(gen, ref, labels=gen_y, ref_labels=ref_y, bootstrap=20).metrics["intra-fid"]
    assert v.ci[0] <= v.value <= v.ci[1] and "within each class" in v.ci_method


def test_classes_the_samples_lack_are_named_and_left_out(sets):
    gen, gen_y, ref, ref_y = sets
    keep = gen_y < 3
    res = _score(gen[keep], ref, labels=gen_y[keep], ref_labels=ref_y)
    assert res.metrics["intra-fid"].extra["classes"] == 3
    assert any("no images of 7 reference class(es) (3, 4, 5" in w for w in res.warnings)
    with pytest.raises(GanbenchError, match="class 3 has 20 sample.s. and 0 reference image"):
        _score(gen, ref[ref_y != 3], labels=gen_y, ref_labels=ref_y[ref_y != 3])


def test_labels_from_an_npz_array_class_folders_and_a_csv(sets, tmp_path):
    from PIL import Image

    gen, gen_y, ref, ref_y = sets
    want = _score(gen, ref, labels=gen_y, ref_labels=ref_y).metrics["intra-fid"].value
    np.savez(tmp_path / "gen.npz", gen, labels=gen_y)  # what `ganbench sample --classes` writes
    np.savez(tmp_path / "ref.npz", images=ref, classes=ref_y)
    got = _score(tmp_path / "gen.npz", tmp_path / "ref.npz", ref_key="images", ref_labels="classes")
    assert got.metrics["intra-fid"].value == pytest.approx(want, rel=1e-12)
    assert got.provenance["samples"]["labels"]["source"].startswith("array labels of samples")
    # a folder per class, and a flat folder with a file,label CSV (a header row, bare file names)
    rows = ["file,label"]
    for i, (img, k) in enumerate(zip(gen, gen_y)):
        (tmp_path / "by_class" / str(k)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(tmp_path / "by_class" / str(k) / f"{i:03d}.png")
        (tmp_path / "flat").mkdir(exist_ok=True)
        Image.fromarray(img).save(tmp_path / "flat" / f"{i:03d}.png")
        rows.append(f"{i:03d}.png,{k}")
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    got = _score(tmp_path / "by_class", tmp_path / "ref.npz", ref_key="images", ref_labels="classes")
    assert got.metrics["intra-fid"].value == pytest.approx(want, rel=1e-9)
    assert got.provenance["samples"]["labels"]["source"] == "class subfolders"
    got = _score(
        tmp_path / "flat", tmp_path / "ref.npz", ref_key="images", labels=tmp_path / "labels.csv", ref_labels="classes"
    )
    assert got.metrics["intra-fid"].value == pytest.approx(want, rel=1e-9)


def _cli(*args):
    return CliRunner().invoke(cli, ["eval", *map(str, args)])


def test_bad_label_input_is_one_line_naming_the_file_and_the_fix(sets, tmp_path):
    gen, gen_y, ref, ref_y = sets
    np.save(tmp_path / "gen.npy", gen)
    np.savez(tmp_path / "ref.npz", images=ref, labels=ref_y)
    np.save(tmp_path / "short.npy", gen_y[:5])
    np.save(tmp_path / "good.npy", gen_y)
    (tmp_path / "flat").mkdir()
    from PIL import Image

    for i in range(3):
        Image.fromarray(gen[i]).save(tmp_path / "flat" / f"{i}.png")
    (tmp_path / "bad.csv").write_text("0.png,1\n1.png,cat\n")
    (tmp_path / "some.csv").write_text("0.png,1\nnope.png,2\n")
    (tmp_path / "few.csv").write_text("0.png,1\n1.png,2\n")
    ref_args = ("--ref", tmp_path / "ref.npz", "--ref-key", "images", "--metrics", "intra-fid")
    cases = [
        (
            (tmp_path / "gen.npy", *ref_args),
            "samples " + str(tmp_path / "gen.npy") + " has no class labels: pass --labels FILE",
        ),
        (
            (tmp_path / "gen.npy", *ref_args, "--labels", tmp_path / "short.npy"),
            f"{tmp_path / 'short.npy'}: 5 labels for the 200 images",
        ),
        ((tmp_path / "gen.npy", *ref_args, "--labels", tmp_path / "missing.npy"), "no such labels file"),
        ((tmp_path / "gen.npy", *ref_args, "--labels", "folders"), "is not a folder of images; pass a labels file"),
        (
            (tmp_path / "flat", *ref_args, "--labels", tmp_path / "bad.csv"),
            "bad.csv row 2: label 'cat' is not a class number",
        ),
        (
            (tmp_path / "flat", *ref_args, "--labels", tmp_path / "some.csv"),
            "some.csv row 2 names 'nope.png', which is not an image of",
        ),
        ((tmp_path / "flat", *ref_args, "--labels", tmp_path / "few.csv"), "few.csv has no row for 1 image(s)"),
        ((tmp_path / "flat", *ref_args), "intra-fid needs the classes of both sets: samples"),
        ((tmp_path / "flat", *ref_args, "--labels", "folders"), "has images outside class subfolders (e.g. 0.png)"),
        (
            (
                tmp_path / "gen.npy",
                "--ref",
                tmp_path / "ref.npz",
                "--ref-key",
                "images",
                "--metrics",
                "intra-fid",
                "--labels",
                tmp_path / "good.npy",
                "--ref-labels",
                "nope",
            ),
            "has no array of that name (it holds images, labels)",
        ),
    ]
    for args, message in cases:
        r = _cli(*args)
        assert r.exit_code == 2, (args, r.output)
        assert message in r.output and len(r.output.strip().splitlines()) == 1, (message, r.output)
        assert "Traceback" not in r.output


def test_eval_cli_writes_intra_fid_with_per_class_values(sets, tmp_path, inception_weights):
    gen, gen_y, ref, ref_y = sets
    keep, rkeep = gen_y < 2, ref_y < 2  # two classes, 40 and 60 images: Inception on CPU stays quick
    np.savez(tmp_path / "gen.npz", gen[keep], labels=gen_y[keep])
    np.savez(tmp_path / "ref.npz", images=ref[rkeep], test_labels=ref_y[rkeep])
    r = _cli(
        tmp_path / "gen.npz",
        "--ref",
        tmp_path / "ref.npz",
        "--ref-key",
        "images",
        "--ref-labels",
        "test_labels",
        "--metrics",
        "intra-fid,fid",
        "--weights",
        inception_weights,
        "--json",
        tmp_path / "r.json",
    )
    assert r.exit_code == 0, r.output
    rec = json.loads((tmp_path / "r.json").read_text())
    v = rec["metrics"]["intra-fid"]
    assert sorted(v["extra"]["per_class"]) == ["0", "1"]
    assert v["value"] == pytest.approx(np.mean(list(v["extra"]["per_class"].values())), rel=1e-12)
    assert "intra-fid" in r.output
    assert rec["provenance"]["reference"]["labels"] == {
        "source": f"array test_labels of reference {tmp_path / 'ref.npz'}",
        "classes": 2,
    }
    from importlib import resources

    import jsonschema

    schema = json.loads(resources.files("ganbench").joinpath("schemas/record.schema.json").read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(rec)


def test_per_class_precision_recall_density_coverage(sets):
    from ganbench.metrics.manifold import manifolds

    gen, gen_y, ref, ref_y = sets
    names = ("class-precision", "class-recall", "class-density", "class-coverage")
    follows = _score(gen, ref, names, labels=gen_y, ref_labels=ref_y)
    fx, rx = (get_features(x, extractor=TinyExtractor(), use_cache=False).pool for x in (gen, ref))
    for k in range(10):  # each class's value is the k-NN metric of that class's rows, computed on its own
        m = manifolds(fx[gen_y == k], rx[ref_y == k], 3, 5)
        for name in names:
            got = follows.metrics[name].extra["per_class"][str(k)]
            assert got == pytest.approx(float(np.mean(getattr(m, name.split("-")[1]))), rel=1e-12), (name, k)
    for name in names:
        v = follows.metrics[name]
        assert v.value == pytest.approx(np.mean(list(v.extra["per_class"].values())), rel=1e-12)
    # a sampler that ignores its labels draws each class as a mix of all digits: off its class's manifold
    ignores = _score(gen, ref, names, labels=np.random.default_rng(0).permutation(gen_y), ref_labels=ref_y)
    assert ignores.metrics["class-precision"].value < follows.metrics["class-precision"].value - 0.25
    assert ignores.metrics["class-density"].value < follows.metrics["class-density"].value / 1.5
    with pytest.raises(GanbenchError, match=r"class-precision: class 0 has 3 sample\(s\).*lower -O prc_k"):
        few = np.concatenate([np.flatnonzero(gen_y == 0)[:3], np.flatnonzero(gen_y == 1)])
        _score(gen[few], ref, ("class-precision",), labels=gen_y[few], ref_labels=ref_y)


def test_per_class_manifold_intervals_are_the_class_replicates_averaged(sets):
    """With --bootstrap each class is resampled on its own (manifold_bootstrap.replicates: k-NN balls rebuilt,
    copies not neighbours) and the mean over classes is taken per replicate; the interval holds the value."""

    gen, gen_y, ref, ref_y = sets
    names = ("class-precision", "class-recall", "class-density", "class-coverage")
    res = _score(gen, ref, names, labels=gen_y, ref_labels=ref_y, bootstrap=30)
    for name in names:
        v = res.metrics[name]
        assert v.ci is not None and v.ci[0] <= v.value <= v.ci[1] and v.ci[1] > v.ci[0], (name, v.ci)
        assert "within each class" in v.ci_method
    again = _score(gen, ref, names, labels=gen_y, ref_labels=ref_y, bootstrap=30)
    assert all(again.metrics[n].ci == res.metrics[n].ci for n in names)  # seeded


def test_gan_test_interval_is_a_bootstrap_of_the_accuracy():
    x, y = sample_stacked_digits(200, 0)
    half = y.copy()
    half[:100] = np.random.default_rng(1).permutation(half[:100])  # about half the samples ignore their label
    v = evaluate(x, None, ["gan-test"], labels=half, use_cache=False, bootstrap=200).metrics["gan-test"]
    se = np.sqrt(v.value * (1 - v.value) / len(y))
    assert v.ci[0] < v.value < v.ci[1] and (v.ci[1] - v.ci[0]) == pytest.approx(2 * 1.96 * se, rel=0.3)


def test_gan_test_with_the_offline_digits_classifier(tmp_path):
    """The stacked-digits classifier reads every image of its pool right, so a sampler that follows its
    labels scores 1.0 and one that shuffles them about 1/1000 per image."""
    from ganbench.features.digits import DigitsClassifier
    from ganbench.toydata.stacked_digits import CHANNEL_WEIGHTS, score_stacked_digits

    x, y = sample_stacked_digits(300, 0)
    follows = evaluate(x, None, ["gan-test"], labels=y, use_cache=False).metrics["gan-test"]
    ignores = evaluate(x, None, ["gan-test"], labels=np.random.default_rng(0).permutation(y), use_cache=False).metrics[
        "gan-test"
    ]
    assert follows.value == 1.0 and ignores.value < 0.05
    assert follows.extra["classes"] == len(np.unique(y)) and set(follows.extra["per_class"].values()) == {1.0}
    # the 1,000-mode logits' argmax is the mode the benchmark's own scoring reads
    from ganbench.toydata.classifier import predict_digits

    modes = predict_digits(x.transpose(0, 3, 1, 2).reshape(-1, 8, 8)).reshape(-1, 3) @ CHANNEL_WEIGHTS
    assert np.array_equal(DigitsClassifier()(x)[1].argmax(1), modes)
    assert score_stacked_digits(x)["modes_hit"] == len(np.unique(modes))
    # from the command line: the labels the .npz carries
    np.savez(tmp_path / "s.npz", x, labels=y)
    r = CliRunner().invoke(cli, ["eval", str(tmp_path / "s.npz"), "--metrics", "gan-test", "--json", "-"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["metrics"]["gan-test"]["value"] == 1.0
    np.save(tmp_path / "x.npy", x)
    for args, message in (
        ([tmp_path / "s.npz", "--labels", tmp_path / "none.npy"], "none.npy: no such file, and samples"),
        ([tmp_path / "x.npy"], "gan-test needs the classes of the samples: samples"),
    ):
        r = CliRunner().invoke(cli, ["eval", *map(str, args), "--metrics", "gan-test"])
        assert r.exit_code == 2 and message in r.output and len(r.output.strip().splitlines()) == 1, r.output
    with pytest.raises(GanbenchError, match="reads 8x8 RGB stacked-digit images"):
        evaluate(np.zeros((4, 32, 32, 3), np.uint8), None, ["gan-test"], labels=[0, 1, 2, 3], use_cache=False)
