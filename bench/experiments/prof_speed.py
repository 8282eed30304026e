"""Profile featurizer stages on 10x (train+val) rows. Usage: python prof_speed.py"""
import sys, time
import numpy as np
from common import load
from fastfeat import HashFeaturizer
import spacy
from spacy.attrs import ORTH

rows = load("train") + load("val")
big = rows * 10
texts = [r["text"] for r in big]
kw = dict(n_bits=20, word_ngrams=2, char_ngrams=(2, 5), negation=True, hashtag_seg=True,
          emphasis=True, target_conj=True)
for a, v in (x.split("=") for x in sys.argv[1:]):
    kw[a] = eval(v)
f = HashFeaturizer(**kw).fit(load("train"))
nlp = spacy.blank("en")
def T(label, fn):
    t0 = time.perf_counter(); out = fn(); dt = time.perf_counter() - t0
    print(f"{label:28s} {dt*1000:8.1f} ms  {len(texts)/dt:9.0f} rows/s"); return out
T("pipe only", lambda: [None for _ in nlp.pipe(texts)])
docs = T("pipe+list", lambda: list(f.nlp.pipe(texts)))
arrs = T("to_array", lambda: [d.to_array(ORTH) for d in docs])
raw = T("_raw", lambda: f._raw(arrs))
T("transform_tokens", lambda: f.transform_tokens(arrs, [r["target"] for r in big]))
T("transform (all)", lambda: f.transform(big))
import cProfile, pstats
cProfile.run("f._raw(arrs)", "/tmp/prof.out")
pstats.Stats("/tmp/prof.out").sort_stats("cumtime").print_stats(15)
