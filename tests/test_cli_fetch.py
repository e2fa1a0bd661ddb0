"""References and `ganbench fetch`: a fake CIFAR-10 archive (real excerpt images) served on loopback.

The fake archive cannot have the official md5, so each test pins the entry to the fake's md5 with
monkeypatch; everything else (URL override, verification, caching, parsing) is the real code path.
"""

from __future__ import annotations

import hashlib
import socket

import numpy as np
import pytest
from click.testing import CliRunner
from test_cifar10 import build_cifar_archive
from test_download import LoopbackServer

from ganbench.cache import home
from ganbench.cli import cli
from ganbench.errors import ChecksumError, GanbenchError
from ganbench.inputs import references
from ganbench.inputs.references import get_reference, import_archive, list_references, resolve_reference

ARCHIVE = "cifar-10-python.tar.gz"


@pytest.fixture
def fake(tmp_path, cifar_excerpt, monkeypatch):
    """Build the fake archive and pin the CIFAR-10 entries to it."""
    path = tmp_path / "download" / ARCHIVE
    path.parent.mkdir()
    train, train_labels, test, test_labels = build_cifar_archive(path, cifar_excerpt)
    arch = references.CIFAR10_ARCHIVE
    monkeypatch.setattr(arch, "md5", hashlib.md5(path.read_bytes()).hexdigest())
    monkeypatch.setattr(arch, "member_md5", None)  # the fake batches differ from the official ones
    monkeypatch.setattr(get_reference("cifar10-train"), "count", len(train))
    monkeypatch.setattr(get_reference("cifar10-test"), "count", len(test))
    return {"path": path, "bytes": path.read_bytes(), "train": train, "test": test}


def dead_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/{ARCHIVE}"


def fetch(*args):
    return CliRunner().invoke(cli, ["fetch", *args])


def assert_clean_error(result, *fragments):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganbench: error: "), result.stderr
    assert "Traceback" not in result.output
    for f in fragments:
        assert f in lines[0], lines[0]


def cache_files():
    root = home() / "datasets"
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) if root.exists() else []


def test_fetch_downloads_and_resolve_gives_the_images(fake, monkeypatch):
    with LoopbackServer({f"/{ARCHIVE}": fake["bytes"]}) as srv:
        monkeypatch.setenv("GANBENCH_CIFAR10_URL", f"{srv.url}/{ARCHIVE}")
        result = fetch("cifar10")
        assert result.exit_code == 0, result.output
        cached = home() / "datasets" / ARCHIVE
        assert result.stdout.strip() == str(cached) and cached.read_bytes() == fake["bytes"]
        assert srv.requests == [f"/{ARCHIVE}"]

        src = resolve_reference("cifar10")  # alias of cifar10-train
        np.testing.assert_array_equal(src.read(range(len(src))), fake["train"])
        test = resolve_reference("cifar10-test")
        np.testing.assert_array_equal(test.read(range(len(test))), fake["test"])
        assert fetch("cifar10").exit_code == 0
        assert srv.requests == [f"/{ARCHIVE}"]  # the verified archive is reused

    d = src.describe()
    assert d["kind"] == "reference" and d["reference"] == "cifar10-train" and d["count"] == 1017
    assert d["members"] == [f"data_batch_{i}" for i in range(1, 6)] and d["shape"] == (32, 32)
    assert src.content_hash() != test.content_hash() and len(src.content_hash()) == 64

    # Later runs read the decoded cache, even with the archive gone.
    cached.unlink()
    again = resolve_reference("cifar10-train", download=False)
    np.testing.assert_array_equal(again.read([0, 1016]), fake["train"][[0, 1016]])
    assert again.content_hash() == src.content_hash()


def test_resolve_downloads_a_missing_archive(fake, monkeypatch):
    with LoopbackServer({f"/{ARCHIVE}": fake["bytes"]}) as srv:
        monkeypatch.setenv("GANBENCH_CIFAR10_URL", f"{srv.url}/{ARCHIVE}")
        src = resolve_reference("cifar10-test")
    np.testing.assert_array_equal(src.read(range(len(src))), fake["test"])


def test_md5_mismatch_is_refused_and_nothing_is_cached(fake, monkeypatch):
    with LoopbackServer({f"/{ARCHIVE}": fake["bytes"] + b"tampered"}) as srv:
        monkeypatch.setenv("GANBENCH_CIFAR10_URL", f"{srv.url}/{ARCHIVE}")
        assert_clean_error(fetch("cifar10"), "checksum mismatch", ARCHIVE, references.CIFAR10_ARCHIVE.md5)
        assert cache_files() == []
        with pytest.raises(ChecksumError):
            resolve_reference("cifar10-train")
        assert cache_files() == []


def test_fetch_from_imports_without_network(fake, monkeypatch):
    monkeypatch.setenv("GANBENCH_CIFAR10_URL", dead_url())
    result = fetch("cifar10", "--from", str(fake["path"]))
    assert result.exit_code == 0, result.output
    cached = home() / "datasets" / ARCHIVE
    assert result.stdout.strip() == str(cached) and cached.read_bytes() == fake["bytes"]
    assert cache_files() == [ARCHIVE]
    src = resolve_reference("cifar10-test")
    np.testing.assert_array_equal(src.read([0, 5]), fake["test"][[0, 5]])


def test_fetch_from_a_folder_holding_the_archive(fake):
    result = fetch("cifar10-test", "--from", str(fake["path"].parent))  # e.g. a torchvision root
    assert result.exit_code == 0, result.output
    assert (home() / "datasets" / ARCHIVE).read_bytes() == fake["bytes"]


def test_fetch_from_a_wrong_file_is_refused(fake, tmp_path):
    wrong = tmp_path / "wrong.tar.gz"
    wrong.write_bytes(fake["bytes"][:-1])
    assert_clean_error(fetch("cifar10", "--from", str(wrong)), "checksum mismatch", str(wrong))
    assert cache_files() == []
    with pytest.raises(ChecksumError, match="wrong.tar.gz"):
        import_archive("cifar10", wrong)


def test_fetch_from_bad_paths(fake, tmp_path):
    assert_clean_error(fetch("cifar10", "--from", str(tmp_path / "nope.tar.gz")), str(tmp_path / "nope.tar.gz"))
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_clean_error(fetch("cifar10", "--from", str(empty)), str(empty), f"without {ARCHIVE}")
    assert cache_files() == []


def test_unknown_reference_lists_the_known_ones():
    assert_clean_error(fetch("imagenet"), "unknown reference 'imagenet'", "cifar10", "cifar10-test", "cifar10-train")
    with pytest.raises(GanbenchError, match="known references are"):
        resolve_reference("imagenet")


def test_offline_fetch_says_how_to_import(fake, monkeypatch):
    monkeypatch.setenv("GANBENCH_CIFAR10_URL", dead_url())
    assert_clean_error(fetch("cifar10"), "may be offline", "ganbench fetch cifar10 --from PATH")
    assert cache_files() == []


def test_no_download_without_cache(fake):
    with pytest.raises(GanbenchError, match="run `ganbench fetch cifar10`"):
        resolve_reference("cifar10-train", download=False)
    damaged = home() / "datasets" / ARCHIVE
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"damaged")
    with pytest.raises(ChecksumError, match=str(damaged)):
        resolve_reference("cifar10-train", download=False)


def test_damaged_decoded_cache_is_rebuilt(fake):
    import_archive("cifar10", fake["path"])
    first = resolve_reference("cifar10-test")
    decoded = list((home() / "datasets" / "decoded").iterdir())
    assert len(decoded) == 1
    decoded[0].write_bytes(b"junk")
    again = resolve_reference("cifar10-test")
    np.testing.assert_array_equal(again.read([3]), first.read([3]))


def test_wrong_image_count_is_refused(fake, monkeypatch):
    import_archive("cifar10", fake["path"])
    monkeypatch.setattr(get_reference("cifar10-test"), "count", 10_000)
    with pytest.raises(GanbenchError, match="holds 1017 cifar10-test images, expected 10000"):
        resolve_reference("cifar10-test")


def test_the_official_entries():
    assert {"cifar10-test", "cifar10-train"} <= {r.name for r in list_references()}
    train, test = get_reference("cifar10"), get_reference("cifar10-test")
    assert train is get_reference("cifar10-train") and train.count == 50_000 and test.count == 10_000
    assert train.members == tuple(f"data_batch_{i}" for i in range(1, 6)) and test.members == ("test_batch",)
    arch = train.archive
    assert arch is test.archive
    assert arch.url == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert arch.md5 == "c58f30108f718f92721af3b95e74349a" and arch.filename == ARCHIVE
    assert arch.member_md5["test_batch"] == "40351d587109b95175f43aff81a1287e"
