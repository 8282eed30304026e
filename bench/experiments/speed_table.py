"""Throughput of candidate configurations vs spaCy tokenize-only, same process.

Per config: per-target models (C fixed at 0.3: speed does not depend on C) trained on
train; then rows = 10 x (train+val) with their target; best of 5 interleaved trials (process CPU time, robust to other load on the machine) of
(a) `for doc in spacy.blank("en").pipe(texts)` and (b) model.predict(rows) (tokenize +
features + predict, models' word caches warm from training; no JSON I/O).
Also the sklearn TfidfVectorizer word1-3+char2-5 transform (one target's fitted vectorizer).
Usage: python speed_table.py [--json out.json]
"""
import json
import sys
import time

import spacy

from common import load
from models import PerTargetModel

BASE = dict(n_bits=20, word_ngrams=2, char_ngrams=(2, 5), negation=False,
            hashtag_seg=False, emphasis=False, lex_weight=0, fast_norm=True)
CONFIGS = {
    "w12 (fast)": dict(char_ngrams=None),
    "c25 (fast)": dict(word_weight=0),
    "w12c25 (fast)": {},
    "w12c25+neg (fast)  [chosen]": dict(negation=True),
    "w12c25+neg+seg+emph (fast)": dict(negation=True, hashtag_seg=True, emphasis=True,
                                       lex_weight=0.5),
    "w12c25+neg (sparse matrix path)": dict(negation=True, fast_norm=False),
}

train, val = load("train"), load("val")
big = (train + val) * 10
texts = [r["text"] for r in big]
nlp = spacy.blank("en")
out = {}


def tok():
    t0 = time.process_time()
    for _ in nlp.pipe(texts):
        pass
    return len(texts) / (time.process_time() - t0)


for name, over in CONFIGS.items():
    fk = dict(BASE, **over)
    m = PerTargetModel(feat_kw=fk, C=0.3).fit(train)
    best_t, best_m = 0, 0
    for _ in range(5):
        best_t = max(best_t, tok())
        t0 = time.process_time()
        m.predict(big)
        best_m = max(best_m, len(big) / (time.process_time() - t0))
    out[name] = dict(tokenize=best_t, model=best_m, ratio=best_m / best_t)
    print(f"{name:34s} tokenize {best_t:7.0f}/s  model {best_m:7.0f}/s  ratio {best_m/best_t:.2f}",
          flush=True)

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.pipeline import make_union  # noqa: E402
vec = make_union(TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True),
                 TfidfVectorizer(analyzer="char", ngram_range=(2, 5), sublinear_tf=True))
vec.fit([r["text"] for r in train])
sub = texts[:5000]
best_t, best_m = 0, 0
for _ in range(5):
    best_t = max(best_t, tok())
    t0 = time.process_time()
    vec.transform(sub)
    best_m = max(best_m, len(sub) / (time.process_time() - t0))
out["sklearn tfidf w13+c25 transform only"] = dict(tokenize=best_t, model=best_m,
                                                    ratio=best_m / best_t)
print(f"{'sklearn tfidf w13+c25 (transform only)':34s} tokenize {best_t:7.0f}/s  model "
      f"{best_m:7.0f}/s  ratio {best_m/best_t:.2f}")
if "--json" in sys.argv:
    json.dump(out, open(sys.argv[sys.argv.index("--json") + 1], "w"), indent=1)
