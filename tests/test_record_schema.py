"""Records load back, validate against the one versioned JSON Schema, and say whether they compare (issue 10)."""

from __future__ import annotations

import copy
import json
from importlib import resources

import jsonschema
import numpy as np
import pytest

import ganbench
from ganbench import records
from ganbench.diagnose import diagnose_features, diagnose_toy
from ganbench.errors import GanbenchError
from ganbench.toydata import make, save_dataset

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py


@pytest.fixture(scope="module")
def schema():
    text = resources.files("ganbench").joinpath("schemas/record.schema.json").read_text()
    s = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(s)
    return s


def validate(doc, schema):
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(doc)


@pytest.fixture(scope="module")
def record(cifar_excerpt, inception_weights, tmp_path_factory):
    d = tmp_path_factory.mktemp("rec")
    np.save(d / "fakes.npy", cifar_excerpt["train_images"][:8])
    np.save(d / "reals.npy", cifar_excerpt["test_images"][:8])
    r = ganbench.evaluate(
        d / "fakes.npy",
        ref=d / "reals.npy",
        metrics=["is", "precision", "recall"],
        weights=inception_weights,
        is_splits=2,
        bootstrap=20,
    )
    path = d / "record.json"
    r.to_json(path)
    return r, path


def test_eval_record_validates_and_loads_back(record, schema):
    r, path = record
    doc = json.loads(path.read_text())
    validate(doc, schema)
    back = records.load(path)
    assert back.to_dict() == doc
    assert back["precision"] == r["precision"] and back.metrics["is"].ci == r.metrics["is"].ci
    p = doc["protocol"]
    assert p["n_generated"] == 8 and p["n_reference"] == 8 and p["weights_official"] is False
    assert p["reference"]["content_sha256"] == r.provenance["reference"]["content_sha256"]
    assert doc["run"] is None  # reserved for the model that made the samples


def test_diagnose_records_validate(tmp_path, schema):
    rng = np.random.default_rng(0)
    res = diagnose_features(rng.normal(size=(60, 8)), rng.normal(size=(80, 8)), tmp_path / "f", k_bins=4)
    validate(res, schema)
    validate(json.loads((tmp_path / "f" / "diagnostics.json").read_text()), schema)
    pts, _ = make("ring", 300, 0)
    save_dataset(tmp_path / "ring.npy", pts, None)
    validate(diagnose_toy("ring", tmp_path / "ring.npy", tmp_path / "t"), schema)


def test_schema_rejects_a_damaged_record(record, schema):
    doc = json.loads(record[1].read_text())
    for damage in (
        lambda d: d.pop("protocol"),
        lambda d: d["metrics"]["is"].update(value="high"),
        lambda d: d.update(ganbench_record=3),
    ):
        bad = copy.deepcopy(doc)
        damage(bad)
        with pytest.raises(jsonschema.ValidationError):
            validate(bad, schema)


def test_comparable_names_every_reason(record):
    r, _ = record
    a = r.to_dict()
    assert records.comparable(a, copy.deepcopy(a)) == []
    cases = {
        "generated sample counts differ": lambda d: d["provenance"]["samples"].update(count=50_000),
        "references differ": lambda d: d["provenance"]["reference"].update(
            name="cifar10-test", content_sha256="0" * 64
        ),
        "extractor weights differ": lambda d: d["provenance"]["weights"].update(sha256="1" * 64),
        "resize modes differ": lambda d: d["provenance"].update(resize="clean"),
        "option is_splits differs": lambda d: d["provenance"]["options"].update(is_splits=10),
    }
    for reason, change in cases.items():
        b = copy.deepcopy(a)
        change(b)
        got = records.comparable(a, b)
        assert any(reason in g for g in got), (reason, got)
    b = copy.deepcopy(a)
    b["provenance"]["options"].update(kid_subset_size=50, bootstrap=500)  # no shared metric uses them
    assert records.comparable(a, b) == []
    assert records.comparable(r, records.from_dict(a)) == []  # Results and dicts alike


def test_loading_something_else_is_a_one_line_error(tmp_path):
    (tmp_path / "x.json").write_text("{nope")
    with pytest.raises(GanbenchError, match="not JSON"):
        records.load(tmp_path / "x.json")
    (tmp_path / "y.json").write_text(json.dumps({"ganbench_record": 2, "record_kind": "diagnose"}))
    with pytest.raises(GanbenchError, match="diagnose record"):
        records.load(tmp_path / "y.json")
    with pytest.raises(GanbenchError, match="cannot read record"):
        records.load(tmp_path / "missing.json")
