"""Compare two snap.py outputs: train logs, every checkpoint tensor's bytes, checkpoint meta (config
without the options added since at their defaults; rng.purposes listed apart)."""

import json
import sys
from pathlib import Path

sys.path.insert(0, ".")
from ganbench.train.options import LATER, OPTIONS

a, b = (json.loads(Path(p).read_text()) for p in sys.argv[1:3])
ok = True
for k in a:
    x, y = a[k], b[k]
    for m in (x["meta"], y["meta"]):
        m["config"] = {c: v for c, v in m["config"].items() if not (c in LATER and v == OPTIONS[c].default)}
        m["purposes"] = m["rng"].pop("purposes")
    same = {f: x[f] == y[f] for f in ("log", "tensors_sha256", "tensor_keys")}
    rest = {m: x["meta"][m] == y["meta"][m] for m in x["meta"] if m != "purposes"}
    ok &= all(same.values()) and all(rest.values())
    print(
        k,
        "tensors",
        x["tensors_sha256"][:16],
        y["tensors_sha256"][:16],
        same,
        "meta:",
        all(rest.values()),
        "new purposes:",
        sorted(set(y["meta"]["purposes"]) - set(x["meta"]["purposes"])),
    )
print("IDENTICAL" if ok else "DIFFERENT")
