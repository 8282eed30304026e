"""Matrix-free predictor for a HashLinear model whose featurizer uses fast_norm=True.

With fast_norm every block's feature vector is  x = w * sum_occ idf(f) e_f / sqrt(sum_occ idf(f)^2)
(sum over feature occurrences in the doc), so the class scores are

    score_b(doc) = w * sum_occ idf(f) W_t[f] / sqrt(sum_occ idf(f)^2)

For the char and lexical blocks, the occurrences are the n-grams of the doc's tokens, so
sum_occ is a sum over tokens of a per-word vector that is cached per (word form, target):
the per-doc work is a gather + np.bincount per class.  Word n-grams are looked up in a
compact weight table.  No sparse matrix is built at prediction time.
Exactly equal (up to float32 rounding) to HashLinear.predict on the same model.
"""
from __future__ import annotations

import numpy as np


class FastPredictor:
    def __init__(self, model):
        feat = model.feat
        assert feat.fast_norm, "FastPredictor needs fast_norm=True"
        self.m, self.feat = model, feat
        coef = np.atleast_2d(model.clf.coef_).astype(np.float64)
        self.k = coef.shape[0]
        self.b = np.asarray(model.clf.intercept_, dtype=np.float64)
        self.classes = model.clf.classes_
        D = 1 << feat.n_bits
        ws = feat._weights()
        self.blocks = [i for i, w in enumerate(ws) if w != 0 and
                       (i != 1 or feat.char_ngrams)]
        self.w = {i: ws[i] for i in self.blocks}
        d = D * len(self.blocks)
        self.conj = bool(feat.target_conj and feat.targets_)
        K = len(feat.targets_) if self.conj else 0
        self.K = K
        # per block: compact column map + weight table (K+1, n_used, k); slot K = unknown
        self.cmap, self.table, self.idf = {}, {}, {}
        for j, bi in enumerate(self.blocks):
            Ws = [coef[:, j * D:(j + 1) * D]]
            if self.conj:
                Ws = [coef[:, (1 + t) * d + j * D:(1 + t) * d + (j + 1) * D] for t in range(K)] \
                    + [Ws[0]]
                shared = coef[:, j * D:(j + 1) * D] * feat.conj_shared
                Ws = [shared + W for W in Ws[:K]] + [shared]
            used = np.flatnonzero(np.any([np.any(W != 0, axis=0) for W in Ws], axis=0))
            cmap = np.full(D, len(used), dtype=np.int32)   # unused -> zero row
            cmap[used] = np.arange(len(used), dtype=np.int32)
            tab = np.zeros((len(Ws), len(used) + 1, self.k), dtype=np.float32)
            for t, W in enumerate(Ws):
                tab[t, :len(used)] = W[:, used].T
            self.cmap[bi], self.table[bi] = cmap, tab
            idf = feat.idf_[bi]
            self.idf[bi] = (np.ones(D) if idf is None else idf).astype(np.float32)
        # per-word caches for char/lex blocks: P[bi] (T, n_cached, k), S[bi] (n_cached,)
        self.P, self.S = {}, {}
        self.n_cached = 0

    def _extend_cache(self):
        n_now = len(self.feat._wid)
        if n_now == self.n_cached:
            return
        new = np.arange(self.n_cached, n_now)
        for bi in self.blocks:
            if bi == 0:
                continue
            store = self.feat._char if bi == 1 else self.feat._lex
            parts = [store[i] for i in new]
            lens = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
            cols = np.concatenate(parts) if parts else np.zeros(0, np.int64)
            owner = np.repeat(np.arange(len(new)), lens)
            idf = self.idf[bi][cols]
            S = np.bincount(owner, weights=idf.astype(np.float64) ** 2, minlength=len(new))
            tab = self.table[bi]
            c = self.cmap[bi][cols]
            P = np.zeros((tab.shape[0], len(new), self.k), dtype=np.float32)
            for t in range(tab.shape[0]):
                contrib = tab[t, c] * idf[:, None]
                for j in range(self.k):
                    P[t, :, j] = np.bincount(owner, weights=contrib[:, j], minlength=len(new))
            if bi in self.P:
                self.P[bi] = np.concatenate([self.P[bi], P], axis=1)
                self.S[bi] = np.concatenate([self.S[bi], S])
            else:
                self.P[bi], self.S[bi] = P, S
        self.n_cached = n_now

    def decision(self, rows):
        feat = self.feat
        texts, targets = feat._texts(rows)
        n, doc, tok_rows, _, _, starts = feat._stream(feat._tokenize(texts))
        self._extend_cache()
        if self.conj:
            tid = feat.target_ids(targets)
            tid[tid < 0] = self.K
        else:
            tid = np.zeros(n, dtype=np.int64)
        S = np.zeros((n, self.k))
        for bi in self.blocks:
            if bi == 0:
                r, c = feat._word_entries(doc, tok_rows, starts)
                idf = self.idf[0][c]
                contrib = self.table[0][tid[r], self.cmap[0][c]] * idf[:, None]
                norm2 = np.bincount(r, weights=idf.astype(np.float64) ** 2, minlength=n)
            else:
                r = doc
                contrib = self.P[bi][tid[r], tok_rows]
                norm2 = np.bincount(r, weights=self.S[bi][tok_rows], minlength=n)
            norm = np.sqrt(norm2)
            norm[norm == 0] = 1.0
            scale = self.w[bi] / norm
            for j in range(self.k):
                S[:, j] += np.bincount(r, weights=contrib[:, j], minlength=n) * scale
        return S + self.b

    def predict(self, rows):
        S = self.decision(rows)
        if S.shape[1] == 1:
            return self.classes[(S[:, 0] > 0).astype(int)]
        return self.classes[S.argmax(axis=1)]
