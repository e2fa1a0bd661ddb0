"""Inputs: image sources (folders, .npz/.npy, arrays), checksum-pinned downloads, reference data sets.

`download` (the function) is not re-exported here, so that `ganbench.inputs.download` stays the module.
"""

from .download import verify_file
from .images import IMAGE_EXTENSIONS, ArraySource, FolderSource, ImageSource, open_source
from .references import (
    REFERENCES,
    Reference,
    fetch_archive,
    get_reference,
    import_archive,
    list_references,
    resolve_reference,
)

__all__ = [
    "IMAGE_EXTENSIONS",
    "ArraySource",
    "FolderSource",
    "ImageSource",
    "open_source",
    "verify_file",
    "REFERENCES",
    "Reference",
    "fetch_archive",
    "get_reference",
    "import_archive",
    "list_references",
    "resolve_reference",
]
