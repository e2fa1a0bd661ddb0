"""Inception weights: resolution order, checksum-verified download into the cache, safe loading."""

from __future__ import annotations

import hashlib

import pytest
import torch
from test_download import LoopbackServer, leftovers

from ganbench import cache
from ganbench.errors import ChecksumError, GanbenchError
from ganbench.features import weights as W


@pytest.fixture
def served(inception_weights, monkeypatch):
    """Pretend the random weights are the official file, served from two loopback URLs."""
    body = inception_weights.read_bytes()
    monkeypatch.setattr(W, "OFFICIAL_SHA256", hashlib.sha256(body).hexdigest())
    monkeypatch.delenv(W.ENV, raising=False)
    return body


def test_download_verifies_caches_and_reuses(served, monkeypatch):
    with LoopbackServer({"/w.pth": served}) as srv:
        monkeypatch.setattr(W, "OFFICIAL_URLS", (srv.url + "/missing.pth", srv.url + "/w.pth"))
        w = W.resolve_weights()
        assert w.official and w.path == W.cached_weights_path().resolve()
        assert srv.requests == ["/missing.pth", "/w.pth"]  # the mirror is tried after a 404
        assert W.resolve_weights().sha256 == w.sha256
        assert len(srv.requests) == 2  # the cached, verified file is reused
    assert leftovers(W.cached_weights_path().parent) == [W.FILENAME]


def test_download_with_wrong_checksum_leaves_nothing(served, monkeypatch):
    with LoopbackServer({"/w.pth": served[:-10] + b"x" * 10}) as srv:
        monkeypatch.setattr(W, "OFFICIAL_URLS", (srv.url + "/w.pth",))
        with pytest.raises(ChecksumError):
            W.resolve_weights()
    assert leftovers(W.cached_weights_path().parent) == []


def test_offline_without_weights_says_how_to_fix(monkeypatch):
    monkeypatch.delenv(W.ENV, raising=False)
    monkeypatch.setattr(W, "OFFICIAL_URLS", ("http://127.0.0.1:9/none.pth",))
    with pytest.raises(GanbenchError, match="--weights"):
        W.resolve_weights()


def test_resolution_order(inception_weights, tmp_path, monkeypatch):
    other = tmp_path / "other.pth"
    other.write_bytes(inception_weights.read_bytes())
    monkeypatch.setenv(W.ENV, str(other))
    assert W.resolve_weights().path == other.resolve()  # the environment beats the cache
    assert W.resolve_weights(inception_weights).path == inception_weights.resolve()  # --weights beats both
    monkeypatch.setenv(W.ENV, str(tmp_path / "nope.pth"))
    with pytest.raises(GanbenchError, match="nope.pth"):
        W.resolve_weights()


def test_random_weights_are_not_official(inception_weights):
    assert not W.resolve_weights(inception_weights).official


def test_corrupted_official_file_is_refused(tmp_path):
    bad = tmp_path / W.FILENAME
    bad.write_bytes(b"not the weights")
    with pytest.raises(ChecksumError, match="corrupted"):
        W.resolve_weights(bad)


class _Evil:
    def __reduce__(self):
        import os

        return (os.system, ("touch " + str(cache.home() / "pwned"),))


def test_loading_never_executes_pickled_code(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"x": _Evil()}, path)
    with pytest.raises(GanbenchError, match="cannot load Inception weights"):
        W.load_state_dict(W.resolve_weights(path))
    assert not (cache.home() / "pwned").exists()


def test_wrong_state_dict_is_refused(tmp_path):
    path = tmp_path / "small.pth"
    torch.save({"conv.weight": torch.zeros(3)}, path)
    with pytest.raises(GanbenchError, match="not an FID Inception-v3 weights file"):
        W.load_state_dict(W.resolve_weights(path))
