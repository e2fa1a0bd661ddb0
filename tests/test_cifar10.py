"""CIFAR-10 archive parsing: real images round-trip; hostile pickles and tar members are refused."""

from __future__ import annotations

import io
import os
import pickle
import struct
import tarfile

import numpy as np
import pytest
from conftest import SHARED_DATA

from ganbench.errors import GanbenchError
from ganbench.inputs import cifar10

# ------------------------------------------------------------- building archives like the official one


def py2_pickle(obj) -> bytes:
    """Pickle `obj` the way Python 2's cPickle wrote the official batches (protocol 2, str as
    SHORT_BINSTRING/BINSTRING, numpy arrays via numpy.core.multiarray._reconstruct)."""
    out = io.BytesIO()

    def s(b: bytes):  # a Python 2 str
        out.write(b"U" + bytes([len(b)]) + b if len(b) < 256 else b"T" + struct.pack("<i", len(b)) + b)

    def i(n: int):
        out.write(
            b"K" + bytes([n])
            if 0 <= n < 256
            else b"M" + struct.pack("<H", n)
            if 0 <= n < 65536
            else b"J" + struct.pack("<i", n)
        )

    def save(o):
        if isinstance(o, dict):
            out.write(b"}(")
            for k, v in o.items():
                save(k)
                save(v)
            out.write(b"u")
        elif isinstance(o, list):
            out.write(b"](")
            for v in o:
                save(v)
            out.write(b"e")
        elif isinstance(o, bytes):
            s(o)
        elif isinstance(o, (int, np.integer)):
            i(int(o))
        elif isinstance(o, np.ndarray):
            assert o.dtype == np.uint8 and o.ndim == 2
            out.write(b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85")
            s(b"b")
            out.write(b"\x87R(K\x01")
            i(o.shape[0])
            i(o.shape[1])
            out.write(b"\x86cnumpy\ndtype\n")
            s(b"u1")
            out.write(b"K\x00K\x01\x87R(K\x03")
            s(b"|")
            out.write(b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89")
            s(o.tobytes())
            out.write(b"tb")
        else:
            raise TypeError(type(o))

    out.write(b"\x80\x02")
    save(obj)
    out.write(b".")
    return out.getvalue()


def batch_pickle(images: np.ndarray, labels, name: bytes) -> bytes:
    """An official-format batch: b'data' is N×3072 uint8 (R plane, G plane, B plane, row-major)."""
    data = np.ascontiguousarray(images.transpose(0, 3, 1, 2)).reshape(len(images), 3072)
    return py2_pickle(
        {
            b"batch_label": name,
            b"labels": [int(x) for x in labels],
            b"data": data,
            b"filenames": [b"img_%05d.png" % k for k in range(len(images))],
        }
    )


def add_member(tar: tarfile.TarFile, name: str, data: bytes):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def build_cifar_archive(path, excerpt, *, extra=None, replace=None):
    """A cifar-10-python.tar.gz in the official layout from the real excerpt images.

    The train images are split over data_batch_1..5; `replace` maps member -> bytes to substitute,
    `extra` is a callable(tar) adding members.  Returns (train images, train labels, test images, test labels).
    """
    replace = replace or {}
    train, train_labels = excerpt["train_images"], excerpt["train_labels"]
    test, test_labels = excerpt["test_images"], excerpt["test_labels"]
    parts = np.array_split(np.arange(len(train)), 5)
    members = {
        f"data_batch_{k + 1}": batch_pickle(train[p], train_labels[p], b"training batch %d of 5" % (k + 1))
        for k, p in enumerate(parts)
    }
    members["test_batch"] = batch_pickle(test, test_labels, b"testing batch 1 of 1")
    members["batches.meta"] = (SHARED_DATA / "cifar-10-batches-py" / "batches.meta").read_bytes()
    members["readme.html"] = b"<html>CIFAR-10</html>"
    members.update(replace)
    with tarfile.open(path, "w:gz", compresslevel=0) as tar:
        folder = tarfile.TarInfo("cifar-10-batches-py")
        folder.type, folder.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(folder)
        for name, data in members.items():
            add_member(tar, f"cifar-10-batches-py/{name}", data)
        if extra:
            extra(tar)
    return train, train_labels, test, test_labels


@pytest.fixture
def archive(tmp_path, cifar_excerpt):
    path = tmp_path / "cifar-10-python.tar.gz"
    return path, build_cifar_archive(path, cifar_excerpt)


# ------------------------------------------------------------------------------------------ tests


def test_train_and_test_splits_round_trip(archive):
    path, (train, train_labels, test, test_labels) = archive
    images, labels = cifar10.read_split(path, cifar10.TRAIN_BATCHES)
    assert images.dtype == np.uint8 and images.shape == (1017, 32, 32, 3) and images.flags.c_contiguous
    np.testing.assert_array_equal(images, train)
    np.testing.assert_array_equal(labels, train_labels)
    images, labels = cifar10.read_split(path, cifar10.TEST_BATCHES)
    np.testing.assert_array_equal(images, test)
    np.testing.assert_array_equal(labels[:10], [3, 8, 8, 0, 6, 6, 1, 6, 3, 1])  # the official test set


def test_real_batches_meta_parses():
    meta = cifar10.safe_loads((SHARED_DATA / "cifar-10-batches-py" / "batches.meta").read_bytes(), "meta")
    assert meta[b"label_names"][0] == b"airplane" and meta[b"num_vis"] == 3072


def test_member_md5s_are_checked(archive):
    path, _ = archive  # fake batches cannot have the official per-file md5s
    with pytest.raises(GanbenchError, match="data_batch_1: md5") as e:
        cifar10.read_split(path, cifar10.TRAIN_BATCHES, cifar10.MEMBER_MD5)
    assert str(path) in str(e.value)


class _RunsCommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_malicious_pickle_is_refused_without_running(tmp_path, cifar_excerpt):
    marker = tmp_path / "pwned"
    evil = pickle.dumps({b"data": _RunsCommand(marker), b"labels": []}, protocol=2)
    path = tmp_path / "evil.tar.gz"
    build_cifar_archive(path, cifar_excerpt, replace={"data_batch_1": evil})
    with pytest.raises(GanbenchError, match="refused to load") as e:
        cifar10.read_split(path, cifar10.TRAIN_BATCHES)
    assert "data_batch_1" in str(e.value) and str(path) in str(e.value)
    assert not marker.exists()


@pytest.mark.parametrize(
    "payload",
    [
        pickle.dumps(eval, protocol=2),  # a builtin
        b"\x80\x02cnumpy\nload\nU\x01x\x85R.",  # an allowed module but not an allowed name
        b"\x80\x02c__builtin__\nexec\nU\x0bprint('hi')\x85R.",
    ],
)
def test_restricted_unpickler_refuses_other_globals(payload):
    with pytest.raises(GanbenchError, match="refused to load"):
        cifar10.safe_loads(payload, "x")


def test_python3_pickled_batches_also_parse(tmp_path, cifar_excerpt):
    imgs = cifar_excerpt["test_images"][:7]
    data = np.ascontiguousarray(imgs.transpose(0, 3, 1, 2)).reshape(7, 3072)
    blob = pickle.dumps({b"data": data, b"labels": [1] * 7}, protocol=4)
    images, labels = cifar10.parse_batch(blob, "b")
    np.testing.assert_array_equal(images, imgs)


@pytest.mark.parametrize(
    "bad",
    [
        {b"data": np.zeros((2, 3072), np.float32).view(np.uint8)[:, :3072], b"labels": [0, 1, 2]},
        {b"labels": [0]},
        [1, 2, 3],
    ],
)
def test_not_a_batch_is_refused(bad):
    blob = pickle.dumps(bad, protocol=4)
    with pytest.raises(GanbenchError, match="not a CIFAR-10 batch"):
        cifar10.parse_batch(blob, "archive.tar.gz member data_batch_1")


def _link(name, target, kind=tarfile.SYMTYPE):
    def add(tar):
        info = tarfile.TarInfo(name)
        info.type, info.linkname = kind, target
        tar.addfile(info)

    return add


@pytest.mark.parametrize(
    "extra,what",
    [
        (lambda tar: add_member(tar, "../evil", b"x"), "../evil"),
        (lambda tar: add_member(tar, "cifar-10-batches-py/../../evil", b"x"), "../../evil"),
        (lambda tar: add_member(tar, "/etc/evil", b"x"), "/etc/evil"),
        (_link("cifar-10-batches-py/link", "/etc/passwd"), "link"),
        (_link("cifar-10-batches-py/hard", "/etc/passwd", tarfile.LNKTYPE), "hard"),
        (_link("cifar-10-batches-py/dev", "", tarfile.CHRTYPE), "dev"),
    ],
)
def test_unsafe_members_are_refused(tmp_path, cifar_excerpt, extra, what):
    path = tmp_path / "cifar-10-python.tar.gz"
    build_cifar_archive(path, cifar_excerpt, extra=extra)
    with pytest.raises(GanbenchError, match="refusing") as e:
        cifar10.read_split(path, cifar10.TEST_BATCHES)
    assert what in str(e.value) and str(path) in str(e.value)


def test_missing_member_is_reported(tmp_path):
    path = tmp_path / "other.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        add_member(tar, "something/else", b"x")
    with pytest.raises(GanbenchError, match="has no cifar-10-batches-py/test_batch") as e:
        cifar10.read_split(path, cifar10.TEST_BATCHES)
    assert str(path) in str(e.value)


@pytest.mark.parametrize("content", [b"not a tar at all", b"\x1f\x8b\x08\x00garbage"])
def test_damaged_archive_is_reported(tmp_path, content):
    path = tmp_path / "cifar-10-python.tar.gz"
    path.write_bytes(content)
    with pytest.raises(GanbenchError, match="cannot read") as e:
        cifar10.read_split(path, cifar10.TEST_BATCHES)
    assert str(path) in str(e.value)


def test_truncated_archive_is_reported(archive):
    path, _ = archive
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(GanbenchError, match="cannot read") as e:
        cifar10.read_split(path, cifar10.TRAIN_BATCHES)
    assert str(path) in str(e.value)
