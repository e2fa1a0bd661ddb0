"""lr_schedule=step (issue 23): SRGAN's learning rate, 1e-4 for the first 10^5 updates and 1e-5 for the next
10^5 (Ledig et al. 2017, sec. 3.2), as srgan.toml now sets it."""

from __future__ import annotations

import json

import pytest

import ganbench
from ganbench.baselines import BASELINES
from ganbench.errors import GanbenchError
from ganbench.train import checkpoint, models
from ganbench.train.options import resolve

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py


def test_srgan_runs_1e4_for_its_first_half_and_1e5_after():
    cfg = resolve(BASELINES.get("srgan")["train"])
    assert (cfg["steps"], cfg["lr_schedule"], cfg["lr_decay_start"], cfg["lr_g"], cfg["lr_d"]) == (
        200000,
        "step",
        0.5,
        1e-4,
        1e-4,
    )
    lr = {s: cfg["lr_g"] * models.lr_factor(cfg, s) for s in (0, 99999, 100000, 199999)}
    assert lr == {0: 1e-4, 99999: 1e-4, 100000: pytest.approx(1e-5, rel=1e-12), 199999: pytest.approx(1e-5, rel=1e-12)}
    assert models.lr_factor(resolve({}), 150000) == 1.0  # the constant schedule, as before


def test_the_loop_steps_every_optimiser_down_and_a_resume_keeps_it(tmp_path):
    sets = {"batch_size": 16, "g_batch_size": 16, "lr_schedule": "step", "lr_decay_start": 0.5, "lr_step_factor": 0.25}
    run = tmp_path / "r"
    ganbench.train("toy-mlp", out=run, data="ring", steps=4, set=sets, progress=False)
    log = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    lr_g = resolve(BASELINES.get("toy-mlp")["train"])["lr_g"]
    assert [r["lr_g"] for r in log if r["kind"] == "train"] == [lr_g, lr_g, lr_g / 4, lr_g / 4]
    _, meta = checkpoint.load(checkpoint.path_for(run, 4))
    base = resolve(BASELINES.get("toy-mlp")["train"])
    lrs = {k: g["lr"] for k, o in meta["optimizers"].items() for g in o["param_groups"]}
    assert lrs == {"opt_g": base["lr_g"] / 4, "opt_d": base["lr_d"] / 4}
    with pytest.raises(GanbenchError, match=r"drops at 0.5 x 4 steps \(lr_schedule=step\)"):
        ganbench.train(resume=run, steps=6, progress=False)


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        ({"lr_schedule": "step"}, "lr_schedule=step drops the lr at lr_decay_start x steps"),
        ({"lr_step_factor": 0.5}, "lr_step_factor=0.5 is the factor of lr_schedule=step"),
        ({"lr_decay_start": 0.5}, "is where a linear decay starts or a step drops the lr"),
        ({"lr_schedule": "step", "lr_decay_start": 0.5, "lr_step_factor": 1.0}, "lr_step_factor"),
    ],
)
def test_bad_step_schedules_are_one_line(sets, message):
    with pytest.raises(GanbenchError, match=message):
        resolve({}, sets)
