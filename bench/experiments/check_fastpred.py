"""Check FastPredictor == sklearn predict on the stacked matrix, and time both against
tokenize-only.  Usage: python check_fastpred.py [feat_kw=value ...]"""
import sys
import time

import numpy as np
import spacy

from common import load
from fastpredict import FastPredictor
from models import HashLinear

train, val = load("train"), load("val")
fk = dict(n_bits=20, word_ngrams=2, char_ngrams=(2, 5), negation=True, hashtag_seg=True,
          emphasis=True, target_conj=True, fast_norm=True)
for a, v in (x.split("=") for x in sys.argv[1:]):
    fk[a] = eval(v)
m = HashLinear(feat_kw=fk, C=0.3).fit(train, [r["label"] for r in train])
fp = FastPredictor(m)
big = (train + val) * 10
texts = [r["text"] for r in big]
nlp = spacy.blank("en")
for trial in range(2):
    t0 = time.perf_counter(); [None for _ in nlp.pipe(texts)]; t1 = time.perf_counter()
    a = fp.predict(big); t2 = time.perf_counter()
    print(f"tokenize {len(big)/(t1-t0):.0f} rows/s  fast {len(big)/(t2-t1):.0f} rows/s "
          f"ratio {(t1-t0)/(t2-t1):.2f}")
b = m.clf.predict(m.feat.transform(big))
print("agree with sklearn", np.mean(a == b))
if "--prof" in sys.argv:
    import cProfile, pstats
    cProfile.run("fp.predict(big)", "/tmp/prof3.out")
    pstats.Stats("/tmp/prof3.out").sort_stats("tottime").print_stats(15)
