"""Perceptual path length of a generator (the metric's definition and reference: metrics/ppl.py).

    result = ganbench.ppl(G, n=50000, space="w", sampling="end")   # a Result, as ganbench.evaluate returns
    result["ppl"], result.metrics["ppl"].ci

G: a torch.nn.Module or callable from latents (N, z_dim) (and int64 labels (N,) with num_classes) to NCHW
images, float in [-1, 1] (uint8 is read as 0..255, which quantises away most of a 1e-4 step: give floats).
In w space G needs `mapping(z, c)` and `synthesis(ws)` (ganbench's StyleGAN2 has them). A StyleGAN2 G
(synthesis.noise_generator) draws its noise per pair, the same for both images of the pair. Every draw
comes from ganbench's counter-based streams keyed by (seed, pair), so a seed fixes the number whatever
the batch size. Nothing here imports training: a run folder's G comes from `ganbench.train.evaluate_run`.
"""

from __future__ import annotations

import time
import warnings
import zlib
from typing import Callable

import numpy as np
import torch

from . import streams
from .defaults import DEFAULTS
from .errors import GanbenchError
from .inputs.generator import BLOCK, callable_name, state_sha256
from .metrics.base import with_defaults
from .metrics.ppl import EPSILON, OPTIONS, slerp, summarise, validate
from .progress import bar
from .records import Result, environment

NOT_OFFICIAL_PPL = (
    "NOT the official LPIPS vgg weights (backbone sha256 {sha}...): the ppl numbers are not comparable with "
    "published results"
)


def draws(seed: int, lo: int, hi: int, z_dim: int, num_classes: int = 0):
    """(z0, z1, t, labels or None) of pairs lo..hi-1: float32 CPU tensors (int64 labels), from blocks of BLOCK
    pairs per (seed, purpose, block), so pair i's draws do not depend on how the pairs are batched."""
    parts: dict[str, list[torch.Tensor]] = {"z0": [], "z1": [], "t": [], "y": []}
    for b in range(lo // BLOCK, (hi - 1) // BLOCK + 1):
        s = slice(max(lo, b * BLOCK) - b * BLOCK, min(hi, (b + 1) * BLOCK) - b * BLOCK)
        parts["z0"].append(torch.randn(BLOCK, z_dim, generator=streams.generator(seed, "ppl_z0", b))[s])
        parts["z1"].append(torch.randn(BLOCK, z_dim, generator=streams.generator(seed, "ppl_z1", b))[s])
        parts["t"].append(torch.rand(BLOCK, generator=streams.generator(seed, "ppl_t", b))[s])
        if num_classes:
            parts["y"].append(torch.randint(num_classes, (BLOCK,), generator=streams.generator(seed, "ppl_y", b))[s])
    y = torch.cat(parts["y"]) if num_classes else None
    return torch.cat(parts["z0"]), torch.cat(parts["z1"]), torch.cat(parts["t"]), y


def _dtype(G) -> torch.dtype:
    t = next(iter(G.parameters()), None) if isinstance(G, torch.nn.Module) else None
    return t.dtype if t is not None and t.is_floating_point() else torch.float32


def _styled(G) -> bool:
    """ganbench's StyleGAN2 (and anything shaped like it): noise inputs drawn from a generator list."""
    return hasattr(G, "mapping") and hasattr(getattr(G, "synthesis", None), "noise_generator")


@torch.no_grad()
def pair_images(G, z0, z1, t, y, opts: dict, dtype=torch.float32, gens=None):
    """(images at t, images at t + epsilon), each (N, C, H, W) as G gives them; see metrics/ppl.py. gens: 2N
    noise generators (a StyleGAN2 G), passed as `generator=` to G or its synthesis network."""
    o = with_defaults(opts)
    eps = float(o["ppl_epsilon"])
    t = t.double() * (1.0 if o["ppl_sampling"] == "full" else 0.0)
    yy = None if y is None else torch.cat([y, y])
    kw = {"generator": gens} if gens is not None else {}
    if o["ppl_space"] == "w":
        w0, w1 = G.mapping(torch.cat([z0, z1]).to(dtype), yy).chunk(2)
        tt = t.view(-1, *[1] * (w0.ndim - 1)).to(w0.device)
        ws = torch.cat([w0.double().lerp(w1.double(), tt), w0.double().lerp(w1.double(), tt + eps)])
        x = G.synthesis(ws.to(w0.dtype), **kw)
    else:
        z0, z1, tt = z0.double(), z1.double(), t[:, None].to(z0.device)
        z = torch.cat([slerp(z0, z1, tt), slerp(z0, z1, tt + eps)]).to(dtype)
        x = G(z, yy, **kw) if (yy is not None or kw) else G(z)
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor) or x.ndim != 4 or x.shape[1] not in (1, 3) or len(x) != 2 * len(z0):
        shape = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
        raise GanbenchError(f"the generator gave {shape} for {2 * len(z0)} latents: give NCHW images (N, 3, H, W)")
    return x.chunk(2)


def prepare(x: torch.Tensor, crop: bool) -> torch.Tensor:
    """G's images -> float RGB in [-1, 1] (float64 kept) for the distance: the reference's crop, and a box
    downsample to 256 px when larger."""
    if x.dtype == torch.uint8:
        warnings.warn(
            "the generator gave uint8 images: rounding to 0..255 swamps a 1e-4 step; give float images", stacklevel=2
        )
        x = x.float() / 127.5 - 1.0
    elif x.dtype != torch.float64:
        x = x.float()
    if crop:
        if x.shape[2] != x.shape[3]:
            raise GanbenchError(f"-O ppl_crop=true crops square images; the generator gave {tuple(x.shape[2:])}")
        c = x.shape[2] // 8
        x = x[:, :, c * 3 : c * 7, c * 2 : c * 6]
    factor = x.shape[2] // 256
    if factor > 1:
        h, w = x.shape[2] // factor, x.shape[3] // factor
        x = x[:, :, : h * factor, : w * factor].reshape(len(x), x.shape[1], h, factor, w, factor).mean((3, 5))
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x


def _check_space(G, o: dict) -> None:
    if o["ppl_space"] == "w" and not (hasattr(G, "mapping") and hasattr(G, "synthesis")):
        raise GanbenchError(
            f"-O ppl_space=w: {callable_name(G)} has no mapping network (G.mapping, G.synthesis): use ppl_space=z"
        )


def distances(
    G,
    n: int,
    z_dim: int,
    distance: Callable,
    opts: dict,
    *,
    seed: int = 0,
    num_classes: int = 0,
    batch_size: int = 64,
    device=None,
    progress: bool = True,
) -> np.ndarray:
    """The n per-pair distances / epsilon^2 (float64): `distance(a, b)` of float images in [-1, 1] -> (N,)."""
    o = with_defaults(opts)
    eps = float(o["ppl_epsilon"])
    _check_space(G, o)
    styled, dtype, out = _styled(G), _dtype(G), []
    if getattr(G, "training", False):
        warnings.warn(
            f"{callable_name(G)} is in training mode (batch norm, dropout): call G.eval() before ppl", stacklevel=2
        )
    with bar(total=n, desc="ppl", unit="pair", enabled=progress) as pbar:
        for lo in range(0, n, batch_size):
            hi = min(n, lo + batch_size)
            z0, z1, t, y = (None if v is None else v.to(device) for v in draws(seed, lo, hi, z_dim, num_classes))
            gens = None
            if styled:  # the same noise for both images of a pair: two generators on each pair's seed
                gens = [streams.generator(seed, "ppl_noise", i % (hi - lo) + lo) for i in range(2 * (hi - lo))]
            a, b = pair_images(G, z0, z1, t, y, o, dtype, gens)
            d = distance(prepare(a, o["ppl_crop"]), prepare(b, o["ppl_crop"]))
            out.append(torch.as_tensor(d).detach().double().cpu().reshape(-1) / eps**2)
            pbar.update(hi - lo)
    return torch.cat(out).numpy()


def ppl(
    G,
    n: int = 50000,
    *,
    z_dim: int | None = None,
    seed: int = 0,
    space: str = str(OPTIONS["ppl_space"]),
    sampling: str = str(OPTIONS["ppl_sampling"]),
    epsilon: float = EPSILON,
    crop: bool = bool(OPTIONS["ppl_crop"]),
    num_classes: int | None = None,
    lpips_weights=None,
    distance: Callable | None = None,
    batch_size: int = 64,
    device=None,
    bootstrap: int = DEFAULTS["bootstrap"],
    bootstrap_seed: int = DEFAULTS["bootstrap_seed"],
    confidence: float = DEFAULTS["confidence"],
    progress: bool = True,
    **options,
) -> Result:
    """PPL of G over n pairs, as a Result with its record (see the module docstring and metrics/ppl.py).

    lpips_weights: the LPIPS-VGG backbone's file, or "random" (NOT official). distance: instead of LPIPS,
    any `distance(a, b)` of float image batches in [-1, 1] -> (N,) (the record names it, not official).
    num_classes: draw a uniform label per pair (G(z, y)); default G.num_classes, 0 for none. Other options:
    ppl_lower, ppl_upper, ppl_quantiles (metrics/ppl.py)."""

    t0 = time.perf_counter()
    opts = {
        "ppl_space": space,
        "ppl_sampling": sampling,
        "ppl_epsilon": float(epsilon),
        "ppl_crop": bool(crop),
        **{k: options.pop(k) for k in list(options) if k in OPTIONS},
        "bootstrap": int(bootstrap),
        "bootstrap_seed": int(bootstrap_seed),
        "confidence": float(confidence),
    }
    if options:
        raise GanbenchError(f"ppl: unknown option {min(options)}: known are {', '.join(OPTIONS)}")
    validate(opts)
    if not callable(G):
        raise GanbenchError(f"the generator is a {type(G).__name__}: pass G itself, a function from latents to images")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise GanbenchError(f"n={n!r}: ppl needs at least 2 pairs (the reference uses 50,000)")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise GanbenchError(f"batch_size={batch_size!r}: pass a positive number of pairs per call of G")
    z_dim = getattr(G, "z_dim", None) if z_dim is None else z_dim
    if isinstance(z_dim, bool) or not isinstance(z_dim, (int, np.integer)) or z_dim < 1:
        raise GanbenchError(f"z_dim={z_dim!r}: pass z_dim=, the length of G's latent vectors")
    k = int(num_classes if num_classes is not None else getattr(G, "num_classes", 0) or getattr(G, "c_dim", 0) or 0)
    _check_space(G, with_defaults(opts))  # before any weights are looked for
    dev = _device(G, device)
    net = None
    if distance is None:
        from .features.lpips_net import LPIPS

        net = LPIPS("vgg", weights=lpips_weights, device=dev)

        def distance(a, b):  # LPIPS runs in float32, as the reference's
            return net.distance(a.float(), b.float())

    t1 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        d = distances(
            G,
            int(n),
            int(z_dim),
            distance,
            opts,
            seed=seed,
            num_classes=k,
            batch_size=batch_size,
            device=dev,
            progress=progress,
        )
        rng = np.random.default_rng([opts["bootstrap_seed"], zlib.crc32(b"ppl")])
        value = summarise(d, opts, rng)
    notes = list(dict.fromkeys(str(w.message) for w in caught))
    if net is not None and not net.official:
        notes.insert(0, NOT_OFFICIAL_PPL.format(sha=net.weights.sha256[:16]))
    if net is None:
        notes.insert(0, f"ppl with a custom distance ({callable_name(distance)}), not LPIPS: not comparable")
    weights = net.weights.describe() if net is not None else {"path": None, "sha256": None, "official": False}
    if net is not None:
        weights["official"] = net.official  # backbone and linear layers both
    generator = {
        "source": callable_name(G),
        "type": "torch.nn.Module" if isinstance(G, torch.nn.Module) else "callable",
        "n": int(n),
        "seed": int(seed),
        "z_dim": int(z_dim),
        "num_classes": k,
        "latents": f"standard normal z0, z1, uniform t, per pair from counter-based streams (seed, 'ppl_*', block of "
        f"{BLOCK})",
        **({"state_sha256": state_sha256(G)} if isinstance(G, torch.nn.Module) else {}),
    }
    provenance = {
        **environment(dev),
        "weights": weights,
        "extractor": "lpips-vgg" if net is not None else f"distance {callable_name(distance)}",
        "resize": "none",
        "dtype": "float32",
        "batch_size": int(batch_size),
        "options": opts,
        "seeds": {"ppl": int(seed), "bootstrap": opts["bootstrap_seed"]},
        "samples": {"kind": "generator", "count": int(n), "generator": generator},
        "reference": {"name": "none (ppl reads no reference)", "count": 0},
        "metrics": ["ppl"],
        "seconds": {"setup": round(t1 - t0, 3), "ppl": round(time.perf_counter() - t1, 3)},
    }
    if net is not None:
        provenance["lpips"] = net.describe()
    return Result({"ppl": value}, provenance, notes)


def _device(G, device) -> torch.device:
    from .inputs.generator import _device_of

    return _device_of(G, device)


def asks_ppl(metrics) -> bool:
    """Whether `metrics` asks for ppl, which then must be asked alone (it reads the generator, not images)."""
    if metrics is None:
        return False
    names = [m.strip().lower() for m in (metrics.split(",") if isinstance(metrics, str) else metrics)]
    names = [m for m in names if m]
    if "ppl" not in names:
        return False
    if len(set(names)) > 1:
        others = ",".join(dict.fromkeys(m for m in names if m != "ppl"))
        raise GanbenchError(
            f"ppl walks the generator's latents and the other metrics score its samples: ask for ppl alone "
            f"(--metrics ppl), and for {others} in a second evaluation"
        )
    return True


_PPL_KEYS = ("lpips_weights", "bootstrap", "bootstrap_seed", "confidence", "progress", *OPTIONS)


def ppl_of(G, ref, *, n, z_dim, seed, num_classes, batch_size, device, engine_kwargs: dict, classes=None) -> Result:
    """`ppl` reached through `ganbench.evaluate` (a generator, a run folder): the evaluation's keywords
    sorted into ppl's; those that choose features or a reference must be at their defaults (None)."""
    if ref is not None:
        raise GanbenchError("ppl reads no reference: leave --ref (ref=) out")
    if classes is not None:
        raise GanbenchError("ppl draws a uniform class per pair of a conditional G: leave --classes (classes=) out")
    kw = {k: engine_kwargs.pop(k) for k in list(engine_kwargs) if k in _PPL_KEYS}
    unset = [k for k, v in engine_kwargs.items() if v is None or v in ({}, [], ()) or v == DEFAULTS.get(k, v is None)]
    unused = [k for k in engine_kwargs if k not in unset]
    unused = [k for k in unused if k not in ("use_cache", "num_workers")]  # the CLI always passes these
    if unused:
        raise GanbenchError(f"{unused[0]}= does not apply to ppl (it runs LPIPS-VGG on G's images): leave it out")
    for key in ("ppl_space", "ppl_sampling", "ppl_epsilon", "ppl_crop"):
        if key in kw:
            kw[key[4:]] = kw.pop(key)
    return ppl(G, n, z_dim=z_dim, seed=seed, num_classes=num_classes, batch_size=batch_size or 64, device=device, **kw)
