"""What a run writes as it goes: metrics.jsonl (one JSON object per line: `kind` train / eval / grads /
samples / warning), the failures every GAN tutorial warns about, caught as they happen, and curves.png."""

from __future__ import annotations

import json
import math
import statistics
import sys
import warnings
from collections import deque
from pathlib import Path
from typing import Deque, Dict, List, Optional, Set

from ..cache import append_line, atomic_path
from ..errors import GanbenchError


def read_log(path):
    """(line, record) for each whole line of a metrics.jsonl; a line cut by a kill is skipped."""
    for line in Path(path).read_text().splitlines():
        try:
            yield line, json.loads(line)
        except ValueError:
            continue


def grads_record(step: int, layer_grads: dict) -> dict:
    """The `grads` line: {network: {layer: gradient norm}} of one step (loop.Trainer.layer_grads); a
    non-finite norm is written as null, as Log.write does for the top-level numbers."""
    return {
        "kind": "grads",
        "step": step,
        **{net: {k: (v if math.isfinite(v) else None) for k, v in norms.items()} for net, norms in layer_grads.items()},
    }


# the vanishing-gradients rule (docs/guides/training.md, "What the monitor reports"): over the last window, G's
# median gradient norm is below VANISH_RATIO x its median over the run's first window, while D's median
# accuracy is at least VANISH_ACC
VANISH_RATIO, VANISH_ACC = 0.1, 0.9


class Diverged(GanbenchError):
    """A loss became NaN or infinite: training stops, the last good checkpoint stays."""


class Log:
    def __init__(self, run_dir, enabled: bool = True):
        self.path = Path(run_dir) / "metrics.jsonl"
        self.enabled = enabled

    def truncate_after(self, step: int) -> None:
        """On resume: drop what was logged after the checkpoint, so the log reads as one run."""
        if not (self.enabled and self.path.is_file()):
            return
        keep = [line for line, rec in read_log(self.path) if rec.get("step", 0) <= step]
        with atomic_path(self.path) as tmp:
            tmp.write_text("".join(k + "\n" for k in keep))

    def write(self, rec: dict) -> None:
        rec = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in rec.items()}
        if self.enabled:
            append_line(self.path, json.dumps(rec, sort_keys=True))

    def warn(self, step: int, failure: str, message: str) -> None:
        self.write({"kind": "warning", "step": step, "failure": failure, "message": message})
        if self.enabled:  # through tqdm, so a progress bar on stderr does not overdraw it
            from tqdm.auto import tqdm

            tqdm.write(f"warning: step {step}: {message}", file=sys.stderr)


class FailureWatch:
    """Divergence (every step), a discriminator that wins and vanishing gradients (a window of steps),
    mode collapse (evals)."""

    def __init__(self, loss: str, log: Log, window: int = 50):
        self.loss, self.log = loss, log
        self.window = window
        self.recent: Deque[dict] = deque(maxlen=window)
        self.flagged: Set[str] = set()
        self.early_g: Optional[float] = (
            None  # G's median gradient norm over the first window: what "vanished" is measured against
        )

    def state(self) -> dict:
        """What a checkpoint keeps, so a resumed run warns exactly where an uninterrupted one would."""
        out = {"flagged": sorted(self.flagged), "recent": list(self.recent)}
        if self.early_g is not None:
            out["early_grad_norm_g"] = self.early_g
        return out

    def restore(self, state: Optional[dict]) -> None:
        if state:  # checkpoints from before this was kept: start afresh, as before
            self.flagged = set(state["flagged"])
            self.recent.extend(state["recent"])
            # kept since the vanishing rule; before, the first full window after the resume stands in for it
            self.early_g = state.get("early_grad_norm_g")

    def check_step(self, step: int, stats: dict, last_good: Optional[int], run_dir) -> None:
        bad = [k for k in ("loss_d", "loss_g") if k in stats and not math.isfinite(stats[k])]
        if bad:
            where = (
                f"the last good checkpoint is step {last_good} ({run_dir}/checkpoints)"
                if last_good is not None
                else "no checkpoint was written yet"
            )
            msg = (
                f"training diverged at step {step}: {', '.join(f'{k}={stats[k]}' for k in bad)}; stopped, {where}; "
                "lower the learning rates (--set lr_d=... --set lr_g=...) or add a penalty (--set gp=10)"
            )
            self.log.write({"kind": "warning", "step": step, "failure": "divergence", "message": msg})
            raise Diverged(msg)
        if "d_real" not in stats:  # no discriminator (srresnet): no D-wins signal
            return
        self.recent.append(stats)
        if len(self.recent) < self.window:
            return
        if self.early_g is None:
            self.early_g = statistics.median(s["grad_norm_g"] for s in self.recent)
        vanishing, wins = self._vanishing(), self._d_wins()
        self._on_onset(step, "vanishing_gradients", vanishing)
        if vanishing and wins:  # one episode, one warning: the vanishing one names D's accuracy and the fix
            self.flagged.add("discriminator_wins")
        else:
            self._on_onset(step, "discriminator_wins", wins)

    def _on_onset(self, step: int, failure: str, msg: Optional[str]) -> None:
        """Warn when a failure starts, not on every step it lasts; re-armed once it clears."""
        if msg and failure not in self.flagged:
            self.flagged.add(failure)
            self.log.warn(step, failure, msg)
        elif not msg:
            self.flagged.discard(failure)

    def _d_wins(self) -> Optional[str]:
        n = len(self.recent)
        # medians: a few steps where G fools D must not hide a D that wins all the others
        real = statistics.median(s["d_real"] for s in self.recent)
        fake = statistics.median(s["d_fake"] for s in self.recent)
        g = statistics.median(s["grad_norm_g"] for s in self.recent)
        if self.loss in ("bce", "minimax") and real > 0.99 and fake < 0.01:
            why = f"G's gradient vanishes (|grad G|={g:.2g})" if g < 1e-3 else f"|grad G|={g:.2g}"
            fix = "try --set label_smoothing=0.1 or --set instance_noise=0.1"
            if self.loss == "minimax":  # log(1 - D(G(z))) is flat where D(G(z)) ~ 0: Goodfellow et al.'s own remedy
                fix = "the saturating minimax loss gives G almost no gradient here; try --set loss=bce, or " + fix[4:]
            return f"the discriminator wins (median D(x)={real:.3f}, D(G(z))={fake:.3f} over {n} steps): {why}; {fix}"
        if self.loss == "lsgan" and real > 0.95 and fake < 0.05:
            return f"the discriminator wins (median D(x)={real:.3f}, D(G(z))={fake:.3f} over {n} steps)"
        if self.loss == "hinge" and real > 1.0 and fake < -1.0:
            return (
                f"the discriminator wins (hinge margins met: median D(x)={real:.2f}, D(G(z))={fake:.2f} over {n} steps)"
            )
        if g < 1e-6:
            return f"G's gradient vanishes (|grad G|={g:.2g} over {n} steps)"
        return None

    def _vanishing(self) -> Optional[str]:
        """G's gradient fell an order of magnitude below its early value while D tells real from fake: the
        saturation of Arjovsky & Bottou 2017 (fig. 2). Needs D's accuracy (`d_acc`, the adversarial family)."""
        if not self.early_g or any("d_acc" not in s for s in self.recent):
            return None
        n = len(self.recent)
        g = statistics.median(s["grad_norm_g"] for s in self.recent)
        acc = statistics.median(s["d_acc"] for s in self.recent)
        if g >= VANISH_RATIO * self.early_g or acc < VANISH_ACC:
            return None
        if self.loss == "minimax":
            fix = (
                "the saturating loss log(1 - D(G(z))) is flat where D rejects G's samples (Goodfellow et al. "
                "2014): --set loss=bce (the non-saturating loss), or weaken D (a lower lr_d, "
                "--set instance_noise=0.1)"
            )
        elif self.loss in ("bce", "lsgan"):
            fix = (
                "D is too strong for G: lower lr_d, or --set instance_noise=0.1 or --set label_smoothing=0.1 "
                "(Arjovsky & Bottou 2017)"
            )
        else:
            fix = (
                "lower lr_d or n_dis; a clipped critic's gradients vanish (Gulrajani et al. 2017): "
                "--set weight_clip=0 --set gp=10"
            )
        return (
            f"vanishing gradients: G's gradient norm is {g:.2g}, {g / self.early_g:.2g}x its early value "
            f"{self.early_g:.2g} (medians over {n} steps), and D scores {100 * acc:.0f}% of real and fake "
            f"samples right; {fix}"
        )

    def check_eval(self, step: int, scores: dict, warmup: int = 0) -> None:
        msg = None
        if step < warmup:  # an untrained G makes near-identical samples: that is not yet collapse
            return
        if "modes_reached" in scores and scores["modes_reached"] <= scores["modes_total"] / 2:
            msg = (
                f"mode collapse: the samples sit at {scores['modes_reached']} of {scores['modes_total']} modes "
                f"({scores['modes_covered']} covered by sharp samples)"
            )
        elif (
            "modes_covered" in scores
            and scores["modes_covered"] <= scores["modes_total"] / 2
            and scores["high_quality_fraction"] >= 0.5
        ):  # on the modes, but few of them: not just untrained
            msg = f"mode collapse: {scores['modes_covered']} of {scores['modes_total']} modes covered"
        elif "modes_hit" in scores and scores["modes_hit"] < 0.5 * scores.get("modes_expected", 0):
            msg = (
                f"mode collapse: {scores['modes_hit']} stacked-digit modes hit, {scores['modes_expected']:.0f} "
                f"expected of a full sampler at this sample size"
            )
        elif scores.get("duplicate_rate") is not None and scores["duplicate_rate"] > 0.2:
            msg = (
                f"mode collapse: {100 * scores['duplicate_rate']:.0f}% of the eval samples have a near copy "
                f"among the others ({100 * scores['duplicate_rate_real']:.0f}% of real images do)"
            )
        self._on_onset(step, "mode_collapse", msg)

    def check_spread(self, step: int, shown: Optional[dict], warmup: int = 0) -> None:
        """The sample grid's fixed batch (grid.py): needs no weights and no --eval-every."""
        from .grid import collapse_message

        if shown is None or step < warmup:
            return
        self._on_onset(step, "mode_collapse_pixels", collapse_message(shown.get("spread_ratio"), shown, shown["n"]))


def plot_curves(run_dir) -> Optional[Path]:
    """curves.png: D and G losses, the eval metric, and the gradient norms against the generator step."""
    log = Path(run_dir) / "metrics.jsonl"
    if not log.is_file():
        return None
    kinds: Dict[str, List[dict]] = {"train": [], "eval": [], "grads": []}
    for _line, rec in read_log(log):
        kinds.get(rec.get("kind"), []).append(rec)
    train, evals, grads = kinds["train"], kinds["eval"], kinds["grads"]
    if not train:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    key = next((k for k in ("fid", "reverse_kl", "kl_to_uniform") if evals and k in evals[0]), None)
    panels = 1 + bool(key) + bool(grads)
    fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 3.5), squeeze=False)
    ax = axes[0, 0]
    steps = [r["step"] for r in train]
    if "loss_d" in train[-1]:  # an objective without D (srresnet) logs G's loss alone
        ax.plot(steps, [r.get("loss_d") for r in train], label="D loss")
    ax.plot(steps, [r["loss_g"] for r in train], label="G loss")
    ax.set_xlabel("generator step")
    ax.legend()
    if key:
        ax = axes[0, 1]
        ax.plot([r["step"] for r in evals], [r[key] for r in evals], marker="o")
        ax.set_xlabel("generator step")
        ax.set_ylabel(key)
    if grads:
        _plot_grads(axes[0, -1], grads)
    fig.tight_layout()
    dest = Path(run_dir) / "curves.png"
    try:
        with atomic_path(dest) as tmp:
            fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None})
    except OSError as e:  # a picture of the log: never worth the run's own error
        warnings.warn(f"{e}", stacklevel=2)
        return None
    finally:
        plt.close(fig)
    return dest


def _plot_grads(ax, grads: list) -> None:
    """Each network's total gradient norm (the L2 norm over its layers), and its first and last layer."""
    nets = [k for k in grads[-1] if k not in ("kind", "step")]
    for i, net in enumerate(nets):
        rows = [(r["step"], r[net]) for r in grads if isinstance(r.get(net), dict) and r[net]]
        if not rows:
            continue
        layers = list(rows[-1][1])
        steps = [s for s, _ in rows]
        total = [math.sqrt(sum(v * v for v in n.values() if v is not None)) for _, n in rows]
        color = f"C{i}"
        ax.plot(steps, total, color=color, label=f"{net} total")
        for name, style in ((layers[0], "--"), (layers[-1], ":")) if len(layers) > 1 else ():
            ax.plot(
                steps,
                [math.nan if n.get(name) is None else n[name] for _, n in rows],
                color=color,
                linestyle=style,
                linewidth=0.8,
                label=f"{net} {name or '(top)'}",
            )
    ax.set_yscale("log")
    ax.set_xlabel("generator step")
    ax.set_ylabel("gradient norm")
    ax.legend(fontsize=7)
