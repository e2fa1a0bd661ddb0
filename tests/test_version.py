"""The version is written in one place, ganbench/version.py: `ganbench --version`, the installed
distribution's metadata (pyproject.toml reads version.py) and every record agree with it."""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from click.testing import CliRunner

import ganbench
from ganbench.cli import cli
from ganbench.version import __version__

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_cli_version_is_version_py():
    out = CliRunner().invoke(cli, ["--version"], prog_name="ganbench")  # as main() calls it
    assert out.exit_code == 0, out.output
    assert out.output.strip() == f"ganbench, version {__version__}"
    assert ganbench.__version__ == __version__


def test_installed_metadata_agrees():
    # the metadata is written when ganbench is installed (editable or from the wheel, .ci/wheel), from version.py
    assert metadata.version("ganbench") == __version__


def test_pyproject_reads_version_py_and_writes_no_version_of_its_own():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "ganbench.version.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?(\.dev\d+)?", __version__)


def test_records_name_the_version():
    from ganbench.records import environment

    assert environment("cpu")["ganbench"] == __version__


def test_baselines_dir_finds_the_checkouts_folder_else_the_wheels_copy(tmp_path, monkeypatch):
    from ganbench.baselines import configs

    monkeypatch.delenv("GANBENCH_BASELINES", raising=False)
    site = tmp_path / "site-packages" / "ganbench" / "baselines"
    (site / "configs").mkdir(parents=True)
    monkeypatch.setattr(configs, "__file__", str(site / "configs.py"))
    assert configs.baselines_dir() == site / "configs"  # an installed wheel: no checkout around it
    (tmp_path / "site-packages" / "baselines").mkdir()
    assert configs.baselines_dir() == tmp_path / "site-packages" / "baselines"  # a checkout's own folder first
    monkeypatch.setenv("GANBENCH_BASELINES", str(tmp_path))
    assert configs.baselines_dir() == tmp_path
