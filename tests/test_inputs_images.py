"""Image sources: folders, .npz/.npy and arrays all read back as RGB uint8, conversions reported."""

from __future__ import annotations

import pickle
import struct
import zipfile
import zlib

import numpy as np
import pytest
import torch
from PIL import Image, ImageFile

from ganbench.errors import GanbenchError
from ganbench.inputs.images import ArraySource, FolderSource, ImageSource, open_source, to_rgb8


@pytest.fixture(scope="module")
def imgs(cifar_excerpt):
    return cifar_excerpt["train_images"][:24]


def write_folder(root, images, names=None):
    """Save images as PNGs; `names` are relative paths (default 000.png ...)."""
    names = names or [f"{k:03d}.png" for k in range(len(images))]
    for name, im in zip(names, images):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(im).save(path, format="PNG")
    return names


# ------------------------------------------------------------------------------------------ folders


def test_folder_reads_real_images_in_sorted_relative_path_order(tmp_path, imgs):
    # Nested folders and mixed-case extensions; sorted order is by relative POSIX path.
    names = ["b/2.PNG", "a/10.png", "a/1.png", "c.Png"]
    write_folder(tmp_path, imgs[:4], names)
    src = open_source(tmp_path)
    assert isinstance(src, FolderSource) and isinstance(src, ImageSource)
    assert src.files == ["a/1.png", "a/10.png", "b/2.PNG", "c.Png"] and len(src) == 4
    order = [names.index(f) for f in src.files]
    batch = src.read(range(4))
    assert batch.dtype == np.uint8 and batch.shape == (4, 32, 32, 3)
    np.testing.assert_array_equal(batch, imgs[:4][order])
    np.testing.assert_array_equal(src.read([3, 0]), imgs[:4][[order[3], order[0]]])
    assert src.shape_hint == (32, 32)
    d = src.describe()
    assert d["kind"] == "folder" and d["count"] == 4 and d["path"] == str(tmp_path) and d["notes"] == []


def test_folder_jpeg_webp_bmp(tmp_path, imgs):
    for k, fmt in enumerate(["JPEG", "WEBP", "BMP"]):
        Image.fromarray(imgs[k]).save(tmp_path / f"{k}.{fmt.lower()}", format=fmt)
    (tmp_path / "0.jpeg").rename(tmp_path / "0.JPG")
    src = open_source(str(tmp_path))
    batch = src.read(range(len(src)))
    assert len(src) == 3 and batch.shape == (3, 32, 32, 3)
    assert src.files == ["0.JPG", "1.webp", "2.bmp"]
    np.testing.assert_array_equal(batch[2], imgs[2])  # BMP is lossless
    assert np.abs(batch[0].astype(int) - imgs[0]).mean() < 12  # JPEG is lossy


def test_mixed_sizes_give_a_list(tmp_path, imgs):
    write_folder(tmp_path, [imgs[0], np.zeros((20, 30, 3), np.uint8)], ["a.png", "b.png"])
    src = open_source(tmp_path)
    out = src.read([0, 1])
    assert isinstance(out, list) and [o.shape for o in out] == [(32, 32, 3), (20, 30, 3)]
    assert src.shape_hint is None
    assert isinstance(src.read([1]), np.ndarray)  # one size within the batch: stacked


def test_conversions_are_noted(tmp_path, imgs):
    rgb = imgs[0]
    grey = rgb[..., 0]
    Image.fromarray(rgb).save(tmp_path / "0_rgb.png")
    Image.fromarray(grey).save(tmp_path / "1_grey.png")
    Image.fromarray(grey).save(tmp_path / "2_grey.png")
    Image.fromarray(np.dstack([rgb, np.full((32, 32), 7, np.uint8)])).save(tmp_path / "3_rgba.png")
    Image.fromarray(rgb).convert("P").save(tmp_path / "4_palette.png")
    Image.fromarray(grey).convert("LA").save(tmp_path / "5_la.png")
    Image.fromarray(rgb).convert("CMYK").save(tmp_path / "6_cmyk.jpg")
    src = open_source(tmp_path)
    # nothing read yet: conversion notes grow as images are decoded (the scan notes the lossy JPEG)
    assert [n for n in src.notes if "JPEG" not in n] == []
    batch = src.read(range(len(src)))
    src.read([1, 2])  # reading again does not count twice
    np.testing.assert_array_equal(batch[1], np.dstack([grey] * 3))
    np.testing.assert_array_equal(batch[3], rgb)  # alpha dropped, colour untouched
    np.testing.assert_array_equal(batch[5], np.dstack([grey] * 3))
    notes = " | ".join(src.notes)
    assert "2 greyscale image(s) converted to RGB" in notes
    assert "1 RGBA image(s): alpha channel dropped" in notes
    assert "1 palette image(s)" in notes and "1 greyscale+alpha" in notes and "1 CMYK" in notes
    assert src.describe()["notes"] == src.notes


def test_16bit_greyscale_is_rounded_not_clipped(tmp_path):
    values = np.array([[0, 128, 129, 257, 385, 386, 65535, 32896]], np.uint16)
    Image.fromarray(values).save(tmp_path / "g16.png")
    src = open_source(tmp_path)
    out = src.read([0])[0]
    # round(v * 255 / 65535): 128 -> 0 (0.498), 129 -> 1 (0.502), 385 -> 1 (1.498), 386 -> 2, 32896 -> 128
    np.testing.assert_array_equal(out[..., 0], [[0, 0, 1, 1, 1, 2, 255, 128]])
    assert (out[..., 0] == out[..., 2]).all()
    assert any("16-bit greyscale" in n for n in src.notes)


def _png16_rgb(values: np.ndarray) -> bytes:
    """A 16-bit-per-channel RGB PNG (Pillow cannot write one)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    h, w, _ = values.shape
    raw = b"".join(b"\x00" + values[r].astype(">u2").tobytes() for r in range(h))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_16bit_colour_and_animated_images_are_noted(tmp_path, imgs):
    values = np.array([[[0, 256, 65535], [511, 1000, 40000]]], np.uint16)
    (tmp_path / "a16.png").write_bytes(_png16_rgb(values))
    frames = [Image.fromarray(imgs[0]), Image.fromarray(imgs[1])]
    frames[0].save(tmp_path / "b_anim.png", save_all=True, append_images=frames[1:])
    src = open_source(tmp_path)
    out = src.read([0, 1])
    np.testing.assert_array_equal(out[0][0], values[0] >> 8)  # Pillow keeps the high byte
    np.testing.assert_array_equal(out[1], imgs[0])  # first frame
    assert "1 16-bit colour image(s) reduced to 8 bits (Pillow keeps the high byte)" in src.notes
    assert "1 animated image(s): only the first frame used" in src.notes


def test_pil_modes_directly():
    arr, kinds = to_rgb8(Image.fromarray(np.array([[0, 65535]], np.int32), mode="I"), "x.png")
    assert arr[0, :, 0].tolist() == [0, 255] and kinds == ("16bit",)
    with pytest.raises(GanbenchError, match="x.png: 32-bit"):
        to_rgb8(Image.fromarray(np.array([[70000]], np.int32), mode="I"), "x.png")
    with pytest.raises(GanbenchError, match="x.png: floating-point"):
        to_rgb8(Image.new("F", (2, 2)), "x.png")
    arr, kinds = to_rgb8(Image.new("1", (2, 2), 1), "x.png")
    assert arr.shape == (2, 2, 3) and (arr == 255).all() and kinds == ("bilevel",)
    arr, kinds = to_rgb8(Image.new("YCbCr", (2, 2)), "x.png")
    assert arr.shape == (2, 2, 3) and kinds == ("mode:YCbCr",)


def test_truncated_image_names_the_file(tmp_path, imgs):
    folder = tmp_path / "samples"
    write_folder(folder, imgs[:2], ["a.png", "x.png"])
    data = (folder / "x.png").read_bytes()
    (folder / "x.png").write_bytes(data[: len(data) // 2])
    src = open_source(str(folder))
    src.read([0])
    with pytest.raises(GanbenchError, match=r"cannot read image .*samples/x.png: .*re-export or delete it"):
        src.read([0, 1])
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_garbage_file_names_the_file(tmp_path):
    (tmp_path / "bad.jpg").write_bytes(b"this is not a jpeg")
    with pytest.raises(GanbenchError, match=r"cannot read image .*bad.jpg: not a recognised image"):
        open_source(tmp_path).read([0])


def test_hidden_and_other_files_are_skipped_with_notes(tmp_path, imgs):
    write_folder(tmp_path, imgs[:3], ["a.png", ".ipynb_checkpoints/a.png", "._a.png"])
    (tmp_path / "labels.txt").write_text("x")
    src = open_source(tmp_path)
    assert src.files == ["a.png"]
    assert any("skipped 2 hidden" in n for n in src.notes)
    assert any("ignored 1 non-image file(s): 1 .txt" in n for n in src.notes)


def test_folder_content_hash(tmp_path, imgs):
    write_folder(tmp_path, imgs[:3])
    h = open_source(tmp_path).content_hash()
    assert len(h) == 64 and h == open_source(tmp_path).content_hash()
    (tmp_path / "002.png").rename(tmp_path / "009.png")
    assert open_source(tmp_path).content_hash() != h  # names are part of the identity
    (tmp_path / "009.png").rename(tmp_path / "002.png")
    write_folder(tmp_path, [imgs[5]], ["002.png"])
    assert open_source(tmp_path).content_hash() != h


def test_folder_pickles_and_decodes_in_workers(tmp_path, imgs):
    write_folder(tmp_path, [imgs[0], imgs[1][..., 0]], ["a.png", "b.png"])
    src = open_source(tmp_path)
    worker_copy = pickle.loads(pickle.dumps(src))
    img, kinds = worker_copy.decode(1)  # in a worker: pure, no notes recorded there
    assert kinds == ("grey",) and worker_copy.notes == []
    src.record(1, kinds)  # back in the parent
    assert src.notes == ["1 greyscale image(s) converted to RGB"]
    np.testing.assert_array_equal(img, np.dstack([imgs[1][..., 0]] * 3))


@pytest.mark.parametrize(
    "setup,message",
    [
        (lambda p: None, "no such file or folder: {p}/missing"),
        (lambda p: (p / "missing").mkdir(), r"no images found in {p}/missing \(looked for .png, .jpg"),
        (lambda p: (p / "missing").write_text("x"), "unsupported input {p}/missing"),
    ],
)
def test_bad_paths(tmp_path, setup, message):
    setup(tmp_path)
    with pytest.raises(GanbenchError, match=message.format(p=tmp_path)):
        open_source(tmp_path / "missing")


def test_single_image_file_is_refused(tmp_path, imgs):
    write_folder(tmp_path, imgs[:1], ["one.png"])
    with pytest.raises(GanbenchError, match=f"{tmp_path}/one.png is a single image: .*pass the folder"):
        open_source(tmp_path / "one.png")


def test_folder_of_non_images(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(GanbenchError, match=f"no images found in {tmp_path}"):
        open_source(tmp_path)


# ------------------------------------------------------------------------------------------- arrays


def test_npz_arr_0_is_memory_mapped(tmp_path, imgs):
    path = tmp_path / "samples.npz"
    np.savez(path, imgs, np.arange(len(imgs)))  # arr_0 = images, arr_1 = labels, as papers publish
    src = open_source(path)
    assert src.kind == "npz" and len(src) == 24 and src.shape_hint == (32, 32)
    assert isinstance(src._array, np.memmap)
    np.testing.assert_array_equal(src.read([5, 2]), imgs[[5, 2]])
    assert src.describe()["key"] == "arr_0" and src.describe()["path"] == str(path)
    clone = pickle.loads(pickle.dumps(src))
    assert len(pickle.dumps(src)) < 5000  # travels as its path, not its pixels
    np.testing.assert_array_equal(clone.read([5]), imgs[[5]])


def test_npz_only_key_and_compressed(tmp_path, imgs):
    path = tmp_path / "s.npz"
    np.savez_compressed(path, images=imgs)
    src = open_source(path)
    np.testing.assert_array_equal(src.read(range(24)), imgs)
    assert src.describe()["key"] == "images"


def test_npz_with_several_keys_lists_them(tmp_path, imgs):
    path = tmp_path / "s.npz"
    np.savez(path, images=imgs, labels=np.arange(24))
    with pytest.raises(GanbenchError, match=f"{path} holds arrays images, labels and none is named arr_0"):
        open_source(path)
    np.testing.assert_array_equal(open_source(path, key="images").read([0]), imgs[:1])
    with pytest.raises(GanbenchError, match="has no array 'nope': it holds images, labels"):
        open_source(path, key="nope")


def test_npy_is_memory_mapped_and_hash_matches_other_forms(tmp_path, imgs):
    path = tmp_path / "s.npy"
    np.save(path, imgs)
    src = open_source(path)
    assert src.kind == "npy" and isinstance(src._array, np.memmap)
    np.testing.assert_array_equal(src.read(range(24)), imgs)
    h = src.content_hash()
    np.savez(tmp_path / "s.npz", imgs)
    assert open_source(imgs).content_hash() == h == open_source(tmp_path / "s.npz").content_hash()
    # the hash is of the RGB content, so a channels-first copy of the same images agrees
    assert open_source(imgs.transpose(0, 3, 1, 2).copy()).content_hash() == h
    changed = imgs.copy()
    changed[3, 4, 5, 1] ^= 1
    assert open_source(changed).content_hash() != h
    assert open_source(imgs[:23]).content_hash() != h


def test_nchw_greyscale_and_alpha_arrays(imgs):
    src = open_source(imgs.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(src.read([0, 1]), imgs[:2])
    assert any("channels-first" in n for n in src.notes)
    grey = imgs[..., 0]
    src = open_source(grey)
    np.testing.assert_array_equal(src.read([2]), np.repeat(grey[2:3, ..., None], 3, -1))
    assert src.notes == ["24 greyscale image(s) replicated to RGB"]
    src = open_source(grey[:, None])  # N×1×H×W
    assert src.read([0]).shape == (1, 32, 32, 3)
    src = open_source(np.concatenate([imgs, imgs[..., :1]], axis=-1))
    np.testing.assert_array_equal(src.read([0]), imgs[:1])
    assert any("alpha" in n for n in src.notes)


def test_torch_tensor(imgs):
    t = torch.from_numpy(imgs).permute(0, 3, 1, 2)
    src = open_source(t)
    np.testing.assert_array_equal(src.read(range(3)), imgs[:3])
    with pytest.raises(GanbenchError, match="the tensor holds float32 values, not uint8"):
        open_source(t.float() / 255)


def test_float_npy_is_refused_naming_the_file(tmp_path, imgs):
    path = tmp_path / "samples.npy"
    np.save(path, imgs.astype(np.float32) / 255)
    with pytest.raises(GanbenchError, match=f"{path} holds float32 values, not uint8: convert"):
        open_source(path)


@pytest.mark.parametrize(
    "array,message",
    [
        (np.zeros((0, 32, 32, 3), np.uint8), "contains no images"),
        (np.zeros((32, 32, 3), np.uint8), "looks like one H×W×C image"),
        (np.zeros((5, 32, 32, 2), np.uint8), r"has shape \(5, 32, 32, 2\): expected N×H×W×3"),
        (np.zeros((5, 3072), np.uint8), "expected N×H×W×3"),
        (np.zeros((5, 0, 32, 3), np.uint8), "empty images"),
        (np.zeros((5, 32, 32, 3), bool), "holds bool values"),
    ],
)
def test_bad_arrays(tmp_path, array, message):
    with pytest.raises(GanbenchError, match=message):
        open_source(array)
    path = tmp_path / "bad.npy"
    np.save(path, array)
    with pytest.raises(GanbenchError, match=f"{path}.*{message}|{message}.*{path}|{path} {message}"):
        open_source(path)


def test_object_npy_and_damaged_files(tmp_path):
    path = tmp_path / "obj.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(GanbenchError, match=f"{path} holds Python objects"):
        open_source(path)
    path = tmp_path / "junk.npy"
    path.write_bytes(b"junk data")
    with pytest.raises(GanbenchError, match=f"{path} is not a NumPy file"):
        open_source(path)
    path = tmp_path / "cut.npy"
    np.save(path, np.zeros((10, 8, 8, 3), np.uint8))
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(GanbenchError, match=f"cannot read {path}"):
        open_source(path)
    path = tmp_path / "cut.npz"
    np.savez(path, np.zeros((10, 8, 8, 3), np.uint8))
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(GanbenchError, match=f"cannot read {path}"):
        open_source(path)


def test_npz_saved_under_npy_name(tmp_path, imgs):
    path = tmp_path / "samples.npy"
    with open(path, "wb") as f:
        np.savez(f, imgs)
    np.testing.assert_array_equal(open_source(path).read([1]), imgs[1:2])


def test_other_python_objects_are_refused():
    with pytest.raises(GanbenchError, match="cannot read images from a list"):
        open_source([1, 2, 3])


def test_array_source_is_returned_as_is(imgs):
    src = ArraySource(imgs)
    assert open_source(src) is src
    assert src.describe() == {"kind": "array", "path": None, "count": 24, "shape": (32, 32), "notes": []}
    assert [b.shape[0] for b in src.batches(10)] == [10, 10, 4]
    with pytest.raises(IndexError):
        src.read([24])


def test_npz_zip_layout_is_what_we_map(tmp_path, imgs):
    # np.savez stores members uncompressed; guard the assumption the memory-mapping relies on.
    path = tmp_path / "s.npz"
    np.savez(path, imgs)
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("arr_0.npy").compress_type == zipfile.ZIP_STORED


def test_sources_read_in_a_spawned_worker_process(tmp_path, imgs):
    import multiprocessing

    write_folder(tmp_path / "f", [imgs[0], imgs[1][..., 0]], ["a.png", "b.png"])
    np.save(tmp_path / "s.npy", imgs)
    folder, mapped = open_source(tmp_path / "f"), open_source(tmp_path / "s.npy")
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        decoded = pool.map(folder.decode, [0, 1])
        batch = pool.apply(mapped.read, ([4, 7],))
    for i, (_img, kinds) in enumerate(decoded):
        folder.record(i, kinds)
    np.testing.assert_array_equal(decoded[0][0], imgs[0])
    np.testing.assert_array_equal(batch, imgs[[4, 7]])
    assert folder.notes == ["1 greyscale image(s) converted to RGB"]
