"""Run named experiment configurations through the train->val protocol.

Usage: python run_grid.py NAME [NAME ...] [--seeds 3]
Prints pooled val F_avg (mean +- sd over seeds), macro-F1, bootstrap sd, chosen C.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

sys.path.insert(0, __import__("os").path.dirname(__file__))
from common import bootstrap_favg, load, scores  # noqa: E402
from models import fit_predict  # noqa: E402

BASE = dict(n_bits=20, word_ngrams=2, char_ngrams=(2, 5), negation=False,
            hashtag_seg=False, emphasis=False)


def cfg(feat=None, **kw):
    f = dict(BASE)
    f.update(feat or {})
    return dict(feat_kw=f, **kw)


CONFIGS = {
    "w12": cfg({"char_ngrams": None, "lex_weight": 0}),
    "w123": cfg({"char_ngrams": None, "lex_weight": 0, "word_ngrams": 3}),
    "c25": cfg({"word_weight": 0, "lex_weight": 0}),
    "w12c25": cfg({"lex_weight": 0}),
    "w123c25": cfg({"lex_weight": 0, "word_ngrams": 3}),
    "w12c25_C1": cfg({"lex_weight": 0}, C=1.0),
    "w12c25_nobal": cfg({"lex_weight": 0}, class_weight=None),
    "w12c25_neg": cfg({"lex_weight": 0, "negation": True}),
    "w12c25_seg": cfg({"hashtag_seg": True}),
    "w12c25_emph": cfg({"emphasis": True}),
    "w12c25_all": cfg({"negation": True, "hashtag_seg": True, "emphasis": True}),
    "w12c25_lr": cfg({"lex_weight": 0}, kind="lr"),
    "w12c25_sgd": cfg({"lex_weight": 0}, kind="sgd"),
    "pool_w12c25": cfg({"lex_weight": 0}, pooled=True),
    "pool_conj_w12c25": cfg({"lex_weight": 0, "target_conj": True}, pooled=True),
    "pool_conj_all": cfg({"negation": True, "hashtag_seg": True, "emphasis": True,
                          "target_conj": True}, pooled=True),
    "w12c25_fast": cfg({"lex_weight": 0, "fast_norm": True}),
    "pool_conj_fast": cfg({"negation": True, "hashtag_seg": True, "emphasis": True,
                           "target_conj": True, "fast_norm": True}, pooled=True),
    "fast_nbsvm": cfg({"lex_weight": 0, "fast_norm": True}, kind="nbsvm"),
    "fast_nblr": cfg({"lex_weight": 0, "fast_norm": True}, kind="nblr"),
    "pool_conj_fast_nbsvm": cfg({"negation": True, "hashtag_seg": True, "emphasis": True,
                                 "target_conj": True, "fast_norm": True}, pooled=True,
                                kind="nbsvm"),
    "sharedC_fast": cfg({"lex_weight": 0, "fast_norm": True}, sharedC=True),
    "sharedC_fast_all": cfg({"negation": True, "hashtag_seg": True, "emphasis": True,
                             "fast_norm": True}, sharedC=True),
    "fast_neg": cfg({"lex_weight": 0, "fast_norm": True, "negation": True}),
    "sharedC_fast_neg": cfg({"lex_weight": 0, "fast_norm": True, "negation": True},
                            sharedC=True),
    "fast_neg_sgd": cfg({"lex_weight": 0, "fast_norm": True, "negation": True},
                        kind="sgd"),
    "fast_neg_lr": cfg({"lex_weight": 0, "fast_norm": True, "negation": True}, kind="lr"),
    "fast_neg_b18": cfg({"lex_weight": 0, "fast_norm": True, "negation": True,
                         "n_bits": 18}),
    "fast_neg_c36": cfg({"lex_weight": 0, "fast_norm": True, "negation": True,
                         "char_ngrams": (3, 6)}),
    "fast_neg_c14": cfg({"lex_weight": 0, "fast_norm": True, "negation": True,
                         "char_ngrams": (1, 4)}),
}


def run(name, seeds, train, val):
    kw = dict(CONFIGS[name])
    res, C = [], None
    t0 = time.time()
    for s in range(seeds):
        preds, info = fit_predict(train, val, seed=s, **kw)
        sc = scores(val, preds)
        res.append(sc)
        if s == 0:
            bsd = bootstrap_favg(val, preds)
            C = info["C"]
    fa = [r["f_avg"] for r in res]
    mf = [r["macro_f1"] for r in res]
    pt = {t: float(np.mean([r["per_target"][t] for r in res])) for t in res[0]["per_target"]}
    out = dict(name=name, f_avg=float(np.mean(fa)), f_avg_sd=float(np.std(fa)),
               macro_f1=float(np.mean(mf)), boot_sd=bsd[0], boot_ci=bsd[1:], C=C,
               per_target=pt, secs=time.time() - t0)
    print(f"{name:22s} F_avg {out['f_avg']:.2f} ±{out['f_avg_sd']:.2f} (boot sd {bsd[0]:.1f})"
          f"  macroF1 {out['macro_f1']:.2f}  "
          + " ".join(f"{t[:4]}={v:.1f}" for t, v in pt.items())
          + f"  C={C}  {out['secs']:.0f}s", flush=True)
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="+")
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--json")
    a = ap.parse_args()
    train, val = load("train"), load("val")
    names = list(CONFIGS) if a.names == ["all"] else a.names
    outs = [run(n, a.seeds, train, val) for n in names]
    if a.json:
        with open(a.json, "w") as f:
            json.dump(outs, f, indent=1)
