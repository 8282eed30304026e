"""Lower-noise comparison: 5-fold CV on the TRAIN split (2,620 rows), per target, pooled
out-of-fold F_avg, fixed C (no val involved).  Featurizer fitted inside each fold.
Usage: python cv_train.py NAME [NAME ...] [--C 0.3]   (NAMEs from run_grid.CONFIGS)"""
import sys

import numpy as np
from sklearn.model_selection import StratifiedKFold

from common import TARGETS, f_avg, load, macro_f1
from models import HashLinear
from run_grid import CONFIGS

C = float(sys.argv[sys.argv.index("--C") + 1]) if "--C" in sys.argv else 0.3
names = [a for a in sys.argv[1:] if a in CONFIGS]
train = load("train")
for name in names:
    kw = dict(CONFIGS[name])
    kw.pop("pooled", None)
    kw.pop("sharedC", None)
    kw["C"] = C
    ys, ps, per = [], [], []
    for t in TARGETS:
        rows = [r for r in train if r["target"] == t]
        y = np.array([r["label"] for r in rows])
        skf = StratifiedKFold(5, shuffle=True, random_state=0)
        for tr, te in skf.split(np.zeros(len(y)), y):
            m = HashLinear(**kw).fit([rows[i] for i in tr], y[tr])
            ys.extend(y[te]); ps.extend(m.predict([rows[i] for i in te]))
    ys, ps = np.array(ys), np.array(ps)
    rng = np.random.default_rng(0)
    boot = [f_avg(ys[i], ps[i]) for i in (rng.integers(0, len(ys), len(ys)) for _ in range(300))]
    print(f"{name:22s} CV-train F_avg {f_avg(ys, ps):.2f} (boot sd {np.std(boot):.1f})  "
          f"macroF1 {macro_f1(ys, ps):.2f}  C={C}", flush=True)
