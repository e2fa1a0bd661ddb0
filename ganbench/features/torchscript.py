"""The tensors of a TorchScript archive, read without running anything from it.

A TorchScript file (`torch.jit.save`) is a zip: `<top>/data.pkl` pickles the module tree, whose
tensors point (pickle persistent ids) at raw storages in `<top>/data/<key>`; `<top>/code/` holds
the TorchScript source, which `torch.jit.load` would compile and run. Here only `data.pkl` is read,
by an unpickler that knows six kinds of global: the `__torch__.*` module classes (built as an inert
attribute holder), tensor rebuilding, storage types, TorchScript's typed lists, OrderedDict, and nothing
else; any other global is refused before it is looked up, so no code from the file is ever imported or called.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from collections import OrderedDict
from typing import Dict

import torch

from ..errors import GanbenchError

_STORAGE_DTYPES = {
    "FloatStorage": torch.float32,
    "DoubleStorage": torch.float64,
    "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16,
    "LongStorage": torch.int64,
    "IntStorage": torch.int32,
    "ShortStorage": torch.int16,
    "CharStorage": torch.int8,
    "ByteStorage": torch.uint8,
    "BoolStorage": torch.bool,
}


_JIT_LISTS = (
    "build_intlist",
    "build_doublelist",
    "build_boollist",
    "build_tensorlist",
    "build_genericlist",
    "restore_type_tag",
)


def _identity(value, *_ignored):
    return value


class _Module:
    """Stands in for every `__torch__.*` class: holds the attributes pickle gives it, runs nothing."""

    def __setstate__(self, state):
        self.__dict__.update(state if isinstance(state, dict) else {"_state": state})


class _StorageType:
    def __init__(self, dtype: torch.dtype):
        self.dtype = dtype


def _rebuild_tensor(storage, offset, size, stride, *_ignored):
    return storage.as_strided(tuple(size), tuple(stride), offset) if storage.numel() else storage.new_empty(tuple(size))


def _rebuild_parameter(data, *_ignored):
    return data


class _Unpickler(pickle.Unpickler):
    def __init__(self, fileobj, archive: zipfile.ZipFile, top: str, label: str):
        super().__init__(fileobj)
        self.archive, self.top, self.label = archive, top, label
        self.storages: Dict[str, torch.Tensor] = {}

    def find_class(self, module: str, name: str):
        if module.startswith("__torch__"):
            return _Module
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch._utils" and name == "_rebuild_parameter":
            return _rebuild_parameter
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        if module == "torch.jit._pickle" and name in _JIT_LISTS:  # typed lists of plain values: identity
            return _identity
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        raise GanbenchError(
            f"{self.label} asks for the Python global {module}.{name}, which a weights file never "
            f"needs: refused without running it; pass the published file"
        )

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 3 and pid[0] == "storage" and isinstance(pid[1], _StorageType)):
            raise GanbenchError(f"{self.label} holds an unknown kind of stored object; pass the published file")
        dtype, key = pid[1].dtype, str(pid[2])
        if key not in self.storages:
            try:
                raw = bytearray(self.archive.read(f"{self.top}/data/{key}"))
            except KeyError:
                raise GanbenchError(
                    f"{self.label} lacks the tensor data {key}: the file is damaged; download it again"
                ) from None
            self.storages[key] = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        return self.storages[key]


def _collect(obj, prefix: str, out: Dict[str, torch.Tensor], seen: set) -> None:
    if isinstance(obj, torch.Tensor):
        out[prefix] = obj
    elif isinstance(obj, _Module) and id(obj) not in seen:
        seen.add(id(obj))
        for k, v in obj.__dict__.items():
            _collect(v, f"{prefix}.{k}" if prefix else k, out, seen)


def read_tensors(source, label: str) -> Dict[str, torch.Tensor]:
    """{dotted attribute path: tensor} of a TorchScript archive (a path or a binary file object);
    `label` names the file in errors."""
    try:
        with zipfile.ZipFile(source) as zf:
            tops = sorted({n.split("/")[0] for n in zf.namelist() if n.count("/") == 1 and n.endswith("/data.pkl")})
            if len(tops) != 1:
                raise GanbenchError(
                    f"{label} is not a TorchScript archive (no single data.pkl); pass the published file"
                )
            with zf.open(f"{tops[0]}/data.pkl") as f:
                root = _Unpickler(io.BytesIO(f.read()), zf, tops[0], label).load()
    except (zipfile.BadZipFile, EOFError, pickle.UnpicklingError, ValueError, RuntimeError) as e:
        raise GanbenchError(
            f"{label} is a damaged TorchScript archive ({type(e).__name__}); download it again"
        ) from None
    out: Dict[str, torch.Tensor] = {}
    _collect(root, "", out, set())
    return out
