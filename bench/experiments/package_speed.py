"""In-process CPU time of the package's batch labelling against tokenize-only.

    python bench/throughput.py --workdir /tmp/stance-bench     # makes the dumps once
    python bench/experiments/package_speed.py /tmp/stance-bench/replies-200000.jsonl

Unlike bench/throughput.py this leaves out process start-up (imports, model loading) and
uses CPU time rather than wall-clock time, to see the cost of featurizing and predicting.
"""
import sys
import time

import orjson
import spacy

from stance.batch import label_file
from stance.classifier import default_model

dump = sys.argv[1]
model = default_model()
label_file(dump, "/tmp/stance-speed-warmup.jsonl", model=model, force=True)  # warm per-word caches
start = time.process_time()
label_file(dump, "/tmp/stance-speed.jsonl", model=model, force=True)
ours = time.process_time() - start
nlp = spacy.blank("en")
start = time.process_time()
with open(dump, "rb") as handle:
    for _ in nlp.pipe((orjson.loads(line)["text"] for line in handle), batch_size=1000):
        pass
tokenize = time.process_time() - start
print(f"stance label (in process) {ours:.1f} s CPU, tokenize-only {tokenize:.1f} s CPU, ratio {tokenize / ours:.2f}")
