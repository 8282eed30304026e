"""Batch labelling: stream a dump of replies through a model into a labelled file.

:func:`label_file` is what ``stance label`` runs. It reads records one chunk at a time
(:mod:`stance.read`), labels each chunk with one ``predict_proba`` call (so spaCy sees the
whole chunk through ``nlp.pipe``), and appends the rows to a partial JSONL file beside the
output. Every input record ends as exactly one output row or one error record.

Resuming
--------
Checkpoints, at most once a second, record how far the input and both partial files are
done; ``resume=True`` cuts the partial files back to the last one, seeks the input to its
offset (other formats: skips the records already done) and carries on. Only a finished
run renames the output into place (:mod:`.checkpoint`).

Parallel runs
-------------
With ``jobs > 1`` chunks go to worker processes that each hold the model (a fork shares
the loaded model; elsewhere it is pickled once per worker and its spaCy pipeline rebuilt),
through an ordered process pool (:mod:`.pool`). For JSONL and text the parent does not
parse: it cuts the input into blocks of whole raw lines (:func:`stance.read.line_blocks`)
and a worker parses a block with the same code as a one-process run, labels it and
returns serialized rows (:mod:`.chunks`), so the parent, which only reads and writes
bytes, leaves the cores to the workers. Other formats are parsed in the parent and sent as
records. Results are written in input order, and at most ``2 * jobs`` chunks are in
flight, so memory stays bounded however fast the reader is.

Modules
-------
:mod:`.label` (:func:`label_file` in named steps, :class:`Summary`), :mod:`.chunks`
(labelling one chunk), :mod:`.pool` (the ordered process pool), :mod:`.checkpoint` (partial
files, progress, resuming), :mod:`.lock` (one run per output).
"""

from __future__ import annotations

from .chunks import UNCERTAIN
from .label import Summary, label_file

__all__ = ["Summary", "UNCERTAIN", "label_file"]
