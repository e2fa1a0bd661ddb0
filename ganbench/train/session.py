"""`train()`: a baseline's config -> a run folder, resumable after a kill at any moment.

The loop calls the metrics through one public function (`ganbench.engine.evaluate`, in
evaluation.py); rank 0 alone writes checkpoints and logs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

from .. import distributed
from ..baselines import ARCHITECTURES, baseline_config
from ..device import pick_device
from ..errors import GanbenchError
from ..progress import bar
from ..records import environment
from . import checkpoint, monitor, options, realflip, runs, signals, streams
from . import resume as resumed
from .data import open_data
from .grid import Grid
from .harness import augmentation, determinism, eval_generator, guarded, init_distributed
from .loop import Trainer
from .saver import Saver


def resolve_config(baseline, overrides: Optional[dict] = None) -> tuple:
    base = baseline_config(baseline)
    cfg = options.resolve(base["train"], overrides, where=base["file"])
    ARCHITECTURES.get(cfg["arch"])  # unknown architectures fail here, listing the known ones
    return base, cfg


@guarded
def train(
    baseline=None,
    *,
    out=None,
    resume=None,
    data=None,
    steps=None,
    seed: int = 0,
    set=None,
    checkpoint_every: Optional[int] = None,
    checkpoint_minutes: Optional[float] = None,
    eval_every: Optional[int] = None,
    eval_n: Optional[int] = None,
    weights=None,
    device=None,
    amp: Optional[str] = None,
    compile: Optional[bool] = None,
    resize: Optional[bool] = None,
    labels=None,
    key: Optional[str] = None,
    grad_every: Optional[int] = None,
    log_every: int = 0,
    progress: bool = True,
) -> dict:
    """Train `baseline` (a name or .toml) into `out`, or continue the run folder `resume`.

    Options left None take their defaults (`resume.DEFAULTS`) on a new run and the run's own on
    `resume`; `steps` on resume extends a run whose schedule does not depend on its end. `grad_every`:
    log G's and D's per-layer gradient norms every this many steps (0: off), a monitor that changes no
    trained number and not the config hash."""
    overrides = dict(set or {})
    if data is not None:
        overrides["data"] = str(data)
    if steps is not None:
        overrides["steps"] = steps
    given = dict(
        checkpoint_every=checkpoint_every,
        checkpoint_minutes=checkpoint_minutes,
        eval_every=eval_every,
        eval_n=eval_n,
        weights=weights,
        device=device,
        amp=amp,
        compile=compile,
        resize=resize,
        labels=labels,
        key=key,
        grad_every=grad_every,
    )
    if amp not in (None, "bf16"):
        raise GanbenchError(f"--amp {amp}: the one mixed precision supported is bf16")
    if checkpoint_every is not None and checkpoint_every < 1:
        raise GanbenchError(f"--checkpoint-every {checkpoint_every}: pass a number of steps >= 1")
    if grad_every is not None and grad_every < 0:
        raise GanbenchError(f"--grad-every {grad_every}: pass a number of steps >= 1, or 0 for off")
    if resume is not None:
        run = runs.read(resume)
        out, seed, cfg = Path(resume), run["seed"], run["config"]
        opts = resumed.restore(run, given, resume)
        done = checkpoint.list_steps(out)
        if "steps" in overrides and baseline is None:
            cfg = resumed.extend(
                resume, cfg, int(options.resolve({}, {"steps": overrides["steps"]})["steps"]), done[-1] if done else 0
            )
        if baseline is not None or overrides:
            _b, asked = resolve_config(baseline or run["baseline_file"], overrides)
            runs.check_same_config(
                resume, cfg, {**cfg, **{k: asked[k] for k in overrides}} if baseline is None else asked
            )
        if cfg is not run["config"]:
            runs.check_writable(out)
            run = {
                **run,
                "config": cfg,
                "config_hash": options.config_hash(cfg),
                "extended": run.get("extended", []) + [{"steps": cfg["steps"], "at_step": done[-1] if done else 0}],
            }
            runs.write(out, run)
        base = {"name": run["baseline"], "file": run["baseline_file"], "source": run.get("source", {})}
    else:
        if baseline is None or out is None:
            raise GanbenchError("pass a baseline and --out DIR (or --resume DIR)")
        base, cfg = resolve_config(baseline, overrides)
        opts = resumed.start(given)
        run = None
    dev = pick_device(opts["device"])
    watch_state = None  # the failure monitor's state, restored with a checkpoint
    arch = ARCHITECTURES.get(cfg["arch"])
    paired = getattr(arch, "paired", False)  # image-to-image (pix2pix): trained on (input, target) pairs
    world, rank = init_distributed(dev)
    main = rank == 0  # --out was checked new and writable before the lock (guarded)
    tdata = open_data(
        cfg["data"],
        arch.shape,
        resize=opts["resize"],
        labels=opts["labels"],
        key=opts["key"],
        want_labels=cfg["conditional"],
        paired=paired,
        scale=getattr(arch, "extra", {}).get("scale", 1),
        unpaired=bool(getattr(arch, "extra", {}).get("unpaired")),
    )
    tdata.hflip = realflip.check(cfg, tdata)
    for text in tdata.meta.get("notes") or ():
        resumed.note(f"data {cfg['data']}: {text}", enabled=main)
    eval_every, eval_n, weights, amp = opts["eval_every"], opts["eval_n"], opts["weights"], opts["amp"]
    if eval_every and paired:
        raise GanbenchError(
            "--eval-every scores samples from noise; an image-to-image run is scored on its outputs "
            "(`ganbench sample RUN --input ...`): pass --eval-every 0"
        )
    if eval_every and tdata.kind == "images" and tdata.name != "stacked-digits" and not weights:
        raise GanbenchError("eval-every on image data runs Inception: pass --weights FILE, or --eval-every 0")
    trainer = Trainer(
        cfg,
        tdata,
        seed,
        device=str(dev),
        world=world,
        rank=rank,
        amp=amp,
        compile=opts["compile"],
        channels_last=True,  # NHWC: oneDNN and cuDNN convs run faster on it
        augment=augmentation(cfg, seed),
    )
    trainer.grad_every = opts["grad_every"] if main else 0  # the gradients are the same on every rank
    log = monitor.Log(out, enabled=main)
    if run is None:
        run = {
            "baseline": base["name"],
            "baseline_file": base["file"],
            "source": base.get("source", {}),
            "config": cfg,
            "config_hash": options.config_hash(cfg),
            "seed": int(seed),
            "data": {**tdata.meta, "num_classes": tdata.num_classes},
            "world_size": world,
            "device": environment(dev),
            "amp": amp,
            "compile": bool(opts["compile"]),
            "options": opts,
            "determinism": determinism(dev),
            **({"objective": trainer.objective.describe()} if trainer.objective.describe() else {}),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        if main:
            Path(out).mkdir(parents=True, exist_ok=True)
            runs.write(out, run)
    else:
        if opts != run.get("options") and main:
            runs.write(out, {**run, "options": opts})
        if done:
            tensors, meta = checkpoint.load(checkpoint.path_for(out, done[-1]))
            checkpoint.restore(tensors, meta, trainer.nets.modules(), trainer.nets.optimizers())
            trainer.restore(meta)
            watch_state = meta.get("monitor")
            trainer.step = meta["step"]
            log.truncate_after(trainer.step)
        elif main:
            kept = resumed.keep_history(out)
            resumed.note(
                f"{out} has no checkpoint yet (it stopped before its first): training it from step 0"
                + (f"; its earlier log is kept as {kept}" if kept else "")
            )
        if trainer.step >= cfg["steps"]:
            resumed.note(
                f"{out} is complete ({trainer.step} of {cfg['steps']} steps): nothing to train; pass "
                f"--steps N (more than {cfg['steps']}) to train it further",
                enabled=main,
            )
    evaluator = None
    if eval_every:
        from .evaluation import Evaluator

        evaluator = Evaluator(tdata, eval_n, weights=weights, device=str(dev))
    watch = monitor.FailureWatch(cfg["loss"], log)
    watch.restore(watch_state)
    saver = Saver(out, opts["checkpoint_every"], opts["checkpoint_minutes"], world=world)
    grid = Grid(tdata, out, enabled=main)
    log_every = log_every or max(1, cfg["steps"] // 500)
    saved = checkpoint.list_steps(out) if main else []
    last_good = saved[-1] if saved else None
    t0, s0, last, seen = time.perf_counter(), trainer.step, {}, 0
    pbar = bar(total=cfg["steps"], desc=f"train {base['name']}", unit="step", enabled=progress and main)
    pbar.update(trainer.step)
    meta = {"config": cfg, "config_hash": run["config_hash"], "baseline": run["baseline"], "seed": int(seed)}
    try:
        while trainer.step < cfg["steps"]:
            seen += trainer.objective.real_images(trainer.step)  # wgan's schedule: 100 critic batches at some steps
            stats = trainer.train_step()
            step = trainer.step
            if trainer.layer_grads is not None:  # before the divergence check: a blow-up's gradients are kept
                log.write(monitor.grads_record(step, trainer.layer_grads))
            watch.check_step(step, stats, last_good, out)
            pbar.set_postfix(
                **({"loss_d": f"{stats['loss_d']:.3f}"} if "loss_d" in stats else {}),  # srresnet: no D
                loss_g=f"{stats['loss_g']:.3f}",
                refresh=False,
            )
            pbar.update(1)  # draws this step's losses
            if step % log_every == 0 or step == cfg["steps"]:
                dt = max(time.perf_counter() - t0, 1e-9)
                rate = (step - s0) / dt
                last = {
                    "kind": "train",
                    "step": step,
                    **{k: round(v, 6) for k, v in stats.items()},
                    "step_per_s": round(rate, 3),
                    "images_per_s": round(seen / dt, 1),
                }
                log.write(last)
            if evaluator is not None and (step % eval_every == 0 or step == cfg["steps"]):
                G, info = eval_generator(trainer, cfg, tdata)
                scores = evaluator(G, info)
                scores = distributed.broadcast_object(scores) if world > 1 else scores
                log.write({"kind": "eval", "step": step, **scores})
                watch.check_eval(step, scores, warmup=cfg["steps"] // 10)
            stop = signals.requested(world)
            if saver.due(step, cfg["steps"]) or stop:
                # the grid and its collapse signal at the scheduled checkpoints only, so that a clock's or a
                # signal's extra checkpoint changes no line of the log; written before the checkpoint, so
                # what a resume starts from has them
                if main and saver.scheduled(step, cfg["steps"]):
                    shown = grid(*eval_generator(trainer, cfg, tdata), step)
                    assert shown is not None  # the grid is enabled on the main process
                    log.write({"kind": "samples", "step": step, **shown})
                    if not paired:  # outputs follow their inputs, not latents: no collapse signal
                        watch.check_spread(step, shown, warmup=cfg["steps"] // 10)
                if main:
                    checkpoint.save(
                        out,
                        step,
                        trainer.nets.modules(),
                        trainer.nets.optimizers(),
                        {**meta, "rng": streams.describe(seed, step), "monitor": watch.state(), **trainer.state()},
                    )
                    saver.saved(step, cfg["steps"])
                    last_good = step
                if world > 1:
                    distributed.barrier()
            if stop and step < cfg["steps"]:
                raise signals.stopped(stop, step, checkpoint.path_for(out, step), out)
    finally:
        pbar.close()
        if main:
            monitor.plot_curves(out)
    return {"run_dir": str(out), "step": trainer.step, "last": last, "world_size": world}
