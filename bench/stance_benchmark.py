"""TweetEval / SemEval-2016 stance benchmark: train -> val protocol.

For every system and seed: fit on each target's train split (or all train rows at once
for systems that handle targets themselves), predict that target's val split, pool the
predictions of the five targets and score:
  F_avg    = mean(F1(critical), F1(supportive)) over pooled predictions (official metric)
  macro-F1 = 3-class macro F1 over pooled predictions
  per-target F_avg.

Systems:
  majority    most frequent training label per target
  tfidf_svm   per target, sklearn TfidfVectorizer word 1-3 + char 2-5 (sublinear tf),
              LinearSVC; C picked by 5-fold stratified CV on that target's train
              (macro-F1) from {0.03,0.1,0.3,1,3}; class_weight=None (organisers' style)
  spacy_bow   per target, spacy.blank("en") + textcat (spacy.TextCatBOW.v3, exclusive,
              ngram_size 2), 10 epochs, batch 16, dropout 0.2, Adam defaults
  spacy_ens   same with spacy.TextCatEnsemble.v2 (Tok2Vec: MultiHashEmbed width 64 over
              NORM/PREFIX/SUFFIX/SHAPE, MaxoutWindowEncoder depth 2; no pretrained vectors)
  ours        the package with its defaults (stance.train), trained per target
  prototype   the research prototype of bench/experiments (see EXPERIMENTS.md)

Usage:
  python bench/stance_benchmark.py [--systems majority,tfidf_svm,spacy_bow,ours]
         [--seeds N] [--json out.json] [--speed]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "experiments"))

from common import TARGETS, bootstrap_favg, load, scores  # noqa: E402

C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)


# --------------------------------------------------------------------------- systems
def per_target(fit_predict_one):
    """Lift a (train_rows, test_rows, seed) -> preds function to per-target training."""
    def run(train, test, seed):
        preds = [None] * len(test)
        for t in sorted({r["target"] for r in train}):
            tr = [r for r in train if r["target"] == t]
            idx = [i for i, r in enumerate(test) if r["target"] == t]
            for i, p in zip(idx, fit_predict_one(tr, [test[i] for i in idx], seed)):
                preds[i] = p
        return preds
    return run


def _majority(train, test, seed):
    lab = Counter(r["label"] for r in train).most_common(1)[0][0]
    return [lab] * len(test)


def _tfidf_svm(train, test, seed):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.svm import LinearSVC
    feats = FeatureUnion([
        ("w", TfidfVectorizer(analyzer="word", ngram_range=(1, 3), sublinear_tf=True,
                              lowercase=True)),
        ("c", TfidfVectorizer(analyzer="char", ngram_range=(2, 5), sublinear_tf=True,
                              lowercase=True)),
    ])
    pipe = make_pipeline(feats, LinearSVC(random_state=seed, max_iter=5000))
    gs = GridSearchCV(pipe, {"linearsvc__C": list(C_GRID)}, scoring="f1_macro",
                      cv=StratifiedKFold(5, shuffle=True, random_state=seed), n_jobs=1)
    gs.fit([r["text"] for r in train], [r["label"] for r in train])
    return list(gs.predict([r["text"] for r in test]))


def _spacy_textcat(arch):
    def run(train, test, seed):
        import spacy
        from spacy.training import Example
        from spacy.util import fix_random_seed, minibatch
        fix_random_seed(seed)
        nlp = spacy.blank("en")
        if arch == "bow":
            model = {"@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": True,
                     "ngram_size": 2, "no_output_layer": False}
        else:
            model = {
                "@architectures": "spacy.TextCatEnsemble.v2",
                "tok2vec": {
                    "@architectures": "spacy.Tok2Vec.v2",
                    "embed": {"@architectures": "spacy.MultiHashEmbed.v2", "width": 64,
                              "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
                              "rows": [5000, 2500, 2500, 2500],
                              "include_static_vectors": False},
                    "encode": {"@architectures": "spacy.MaxoutWindowEncoder.v2",
                               "width": 64, "depth": 2, "window_size": 1,
                               "maxout_pieces": 3}},
                "linear_model": {"@architectures": "spacy.TextCatBOW.v3",
                                 "exclusive_classes": True, "ngram_size": 1,
                                 "no_output_layer": False}}
        tc = nlp.add_pipe("textcat", config={"model": model})
        labels = sorted({r["label"] for r in train})
        for lab in labels:
            tc.add_label(lab)
        exs = [Example.from_dict(nlp.make_doc(r["text"]),
                                 {"cats": {lab: float(lab == r["label"]) for lab in labels}})
               for r in train]
        opt = nlp.initialize(lambda: exs)
        rng = np.random.default_rng(seed)
        for _ in range(10):
            order = rng.permutation(len(exs))
            for batch in minibatch([exs[i] for i in order], size=16):
                nlp.update(batch, sgd=opt, drop=0.2)
        return [max(d.cats, key=d.cats.get) for d in nlp.pipe(r["text"] for r in test)]
    return run


# ------------------------------------------------------------------------------ ours
def ours_model(train, seed=0):
    """The package with its defaults: exactly what `stance train` does."""
    import stance
    return stance.train(train, random_state=seed)


def _ours(train, test, seed):
    return list(ours_model(train, seed).predict(test))


def _ours_experimental(train, test, seed):
    """The research prototype in bench/experiments (HashFeaturizer + FastPredictor), kept for comparison."""
    from models import PerTargetModel
    config = dict(
        kind="svm", class_weight="balanced",
        feat_kw=dict(n_bits=20, word_ngrams=2, char_ngrams=(2, 5), negation=True,
                     hashtag_seg=False, emphasis=False, lex_weight=0, fast_norm=True),
    )
    return list(PerTargetModel(seed=seed, **config).fit(train).predict(test))


SYSTEMS = {
    "majority": per_target(_majority),
    "tfidf_svm": per_target(_tfidf_svm),
    "spacy_bow": per_target(_spacy_textcat("bow")),
    "spacy_ens": per_target(_spacy_textcat("ensemble")),
    # Per target, like the official protocol: `stance train TARGET/train.jsonl`, then label val.
    "ours": per_target(_ours),
    "prototype": _ours_experimental,
}
DETERMINISTIC = {"majority"}


# ----------------------------------------------------------------------------- speed
def speed(train, reps=10):
    """rows/s of ours end to end (JSONL in -> predict -> JSONL out) vs tokenize-only."""
    import orjson
    import spacy
    rows = load("train") + load("val")
    big = [dict(r, id=f"{r['id']}-{k}") for k in range(reps) for r in rows]
    texts = [r["text"] for r in big]
    model = ours_model(train)
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "in.jsonl"), os.path.join(d, "out.jsonl")
        with open(src, "wb") as f:
            for r in big:
                f.write(orjson.dumps({"id": r["id"], "text": r["text"],
                                      "target": r["target"]}) + b"\n")
        nlp = spacy.blank("en")
        res = {"rows": len(big)}
        for trial in range(3):
            t0 = time.process_time()
            for _ in nlp.pipe(texts):
                pass
            tok = len(texts) / (time.process_time() - t0)
            t0 = time.process_time()
            with open(src, "rb") as f:
                inp = [orjson.loads(line) for line in f]
            preds = model.predict(inp)
            with open(dst, "wb") as f:
                for r, p in zip(inp, preds):
                    f.write(orjson.dumps({"id": r["id"], "label": p}) + b"\n")
            e2e = len(inp) / (time.process_time() - t0)
            res.setdefault("tokenize_rows_s", []).append(tok)
            res.setdefault("ours_e2e_rows_s", []).append(e2e)
        res["tokenize_rows_s"] = max(res["tokenize_rows_s"])
        res["ours_e2e_rows_s"] = max(res["ours_e2e_rows_s"])
        res["ratio"] = res["ours_e2e_rows_s"] / res["tokenize_rows_s"]
    return res


# ------------------------------------------------------------------------------ main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--systems", default="majority,tfidf_svm,spacy_bow,ours")
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--json", help="write results as JSON to this path")
    ap.add_argument("--speed", action="store_true", help="also measure ours throughput")
    a = ap.parse_args(argv)
    train, val = load("train"), load("val")
    results = {}
    for name in a.systems.split(","):
        fn = SYSTEMS[name]
        runs, t0 = [], time.time()
        for seed in range(1 if name in DETERMINISTIC else a.seeds):
            preds = fn(train, val, seed)
            sc = scores(val, preds)
            if seed == 0:
                sc["boot_sd"] = bootstrap_favg(val, preds)[0]
            runs.append(sc)
        fa = [r["f_avg"] for r in runs]
        mf = [r["macro_f1"] for r in runs]
        results[name] = {
            "f_avg": float(np.mean(fa)), "f_avg_sd": float(np.std(fa)),
            "macro_f1": float(np.mean(mf)), "macro_f1_sd": float(np.std(mf)),
            "boot_sd": runs[0]["boot_sd"], "seeds": len(runs),
            "per_target": {t: float(np.mean([r["per_target"][t] for r in runs]))
                           for t in TARGETS},
            "secs": time.time() - t0,
        }
        print(f"... {name} done in {results[name]['secs']:.0f}s", file=sys.stderr, flush=True)
    hdr = f"{'system':10s} {'F_avg':>13s} {'macroF1':>13s} {'boot':>5s} " + \
        " ".join(f"{t[:8]:>8s}" for t in TARGETS) + "   secs"
    print(hdr)
    for name, r in results.items():
        print(f"{name:10s} {r['f_avg']:6.2f} ±{r['f_avg_sd']:5.2f} "
              f"{r['macro_f1']:6.2f} ±{r['macro_f1_sd']:5.2f} {r['boot_sd']:5.1f} "
              + " ".join(f"{r['per_target'][t]:8.2f}" for t in TARGETS)
              + f" {r['secs']:6.0f}")
    print("(mean ± sd over seeds; boot = bootstrap sd of F_avg over val rows, seed 0)")
    if a.speed:
        s = speed(train)
        results["speed"] = s
        print(f"speed: tokenize-only {s['tokenize_rows_s']:.0f} rows/s, ours end-to-end "
              f"{s['ours_e2e_rows_s']:.0f} rows/s, ratio {s['ratio']:.2f} "
              f"({s['rows']} rows, best of 3, process CPU time)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
