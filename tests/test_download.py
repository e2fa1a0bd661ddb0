"""download(): streaming into the cache against a loopback HTTP server this test starts itself."""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading

import pytest

from ganbench.errors import ChecksumError, GanbenchError
from ganbench.inputs.download import copy_verified, download, is_verified, verify_file


class LoopbackServer:
    """Serves `files` (path -> bytes) on 127.0.0.1; counts requests.  Use as a context manager."""

    def __init__(self, files=None, *, lie_about_length=False):
        self.files = dict(files or {})
        self.requests = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                length = len(body) * 2 if lie_about_length else len(body)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep test output clean
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


BODY = b"ganbench test payload\n" * 5000
MD5 = hashlib.md5(BODY).hexdigest()
SHA256 = hashlib.sha256(BODY).hexdigest()


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_good_download_verifies_every_checksum_kind(tmp_path):
    with LoopbackServer({"/f.bin": BODY}) as srv:
        dest = tmp_path / "cache" / "f.bin"
        assert download(srv.url + "/f.bin", dest, md5=MD5, sha256=SHA256, sha256_prefix=SHA256[:8]) == dest
    assert dest.read_bytes() == BODY
    assert leftovers(dest.parent) == ["f.bin"]


def test_checksum_mismatch_leaves_nothing(tmp_path):
    with LoopbackServer({"/f.bin": BODY}) as srv:
        dest = tmp_path / "cache" / "f.bin"
        with pytest.raises(ChecksumError) as e:
            download(srv.url + "/f.bin", dest, md5="0" * 32)
    msg = str(e.value)
    assert "f.bin" in msg and srv.url in msg and "0" * 32 in msg and MD5 in msg
    assert leftovers(dest.parent) == []  # no file and no .part file


def test_sha256_prefix_mismatch(tmp_path):
    with LoopbackServer({"/w.pth": BODY}) as srv:
        with pytest.raises(ChecksumError, match="sha256 starting with deadbeef"):
            download(srv.url + "/w.pth", tmp_path / "w.pth", sha256_prefix="deadbeef")
    assert leftovers(tmp_path) == []


def test_404_is_a_clean_error_with_the_import_hint(tmp_path):
    with LoopbackServer({}) as srv:
        with pytest.raises(GanbenchError) as e:
            download(
                srv.url + "/missing.tar.gz",
                tmp_path / "x.tar.gz",
                md5=MD5,
                offline_hint="import it with `ganbench fetch x --from PATH`",
            )
    msg = str(e.value)
    assert "404" in msg and "/missing.tar.gz" in msg and "--from PATH" in msg
    assert leftovers(tmp_path) == []


def test_unreachable_server_says_offline(tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(GanbenchError, match="may be offline") as e:
        download(f"http://127.0.0.1:{port}/f.bin", tmp_path / "f.bin", md5=MD5)
    assert "place it at" in str(e.value) and "f.bin" in str(e.value)
    assert leftovers(tmp_path) == []


def test_short_body_is_refused(tmp_path):
    with LoopbackServer({"/f.bin": BODY}, lie_about_length=True) as srv:
        with pytest.raises(GanbenchError, match="f.bin"):
            download(srv.url + "/f.bin", tmp_path / "f.bin", md5=MD5)
    assert leftovers(tmp_path) == []


def test_existing_verified_file_is_reused_without_contacting_the_server(tmp_path):
    dest = tmp_path / "f.bin"
    dest.write_bytes(BODY)
    with LoopbackServer({"/f.bin": b"other"}) as srv:
        assert download(srv.url + "/f.bin", dest, md5=MD5) == dest
        assert srv.requests == []
    assert dest.read_bytes() == BODY


def test_existing_damaged_file_is_replaced(tmp_path):
    dest = tmp_path / "f.bin"
    dest.write_bytes(b"damaged")
    with LoopbackServer({"/f.bin": BODY}) as srv:
        download(srv.url + "/f.bin", dest, md5=MD5)
        assert srv.requests == ["/f.bin"]
    assert dest.read_bytes() == BODY


def test_non_http_url_is_refused(tmp_path):
    with pytest.raises(GanbenchError, match="only http"):
        download("file:///etc/passwd", tmp_path / "x", md5=MD5)


def test_a_checksum_is_required(tmp_path):
    with pytest.raises(ValueError):
        download("http://127.0.0.1:1/x", tmp_path / "x")


def test_verify_file(tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(BODY)
    assert verify_file(f, md5=MD5.upper(), sha256=SHA256) == f
    assert is_verified(f, sha256_prefix=SHA256[:8])
    assert not is_verified(tmp_path / "absent", md5=MD5)
    with pytest.raises(ChecksumError) as e:
        verify_file(f, sha256=SHA256[::-1])
    assert str(f) in str(e.value) and SHA256 in str(e.value)
    with pytest.raises(GanbenchError, match="absent"):
        verify_file(tmp_path / "absent", md5=MD5)


def test_copy_verified(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(BODY)
    dest = tmp_path / "cache" / "dest.bin"
    assert copy_verified(src, dest, md5=MD5) == dest and dest.read_bytes() == BODY
    other = tmp_path / "cache2" / "dest.bin"
    with pytest.raises(ChecksumError, match="src.bin"):
        copy_verified(src, other, md5="1" * 32)
    assert leftovers(other.parent) == []
