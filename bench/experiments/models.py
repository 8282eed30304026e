"""Classifiers on top of HashFeaturizer, with C tuned by internal CV on training data."""
from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from fastfeat import HashFeaturizer

warnings.filterwarnings("ignore", category=ConvergenceWarning)

C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)


class NBLinear:
    """NB-SVM style one-vs-rest: per class c, features scaled by the log-count ratio
    r_c = log(p_c/|p_c|_1) - log(q_c/|q_c|_1) (p = sum of |x| over rows of class c, q over
    the rest, + alpha smoothing), then a binary linear model per class.  The scaling is
    folded into coef_ (coef_c = r_c * w_c), so it predicts like any linear model."""

    def __init__(self, base="svm", C=1.0, class_weight=None, seed=0, alpha=1.0):
        self.base, self.C, self.class_weight, self.seed, self.alpha = \
            base, C, class_weight, seed, alpha

    def fit(self, X, y):
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        X = sp.csr_matrix(X)
        A = abs(X)
        coefs, inter = [], []
        for c in self.classes_:
            pos = y == c
            p = np.asarray(A[pos].sum(axis=0)).ravel() + self.alpha
            q = np.asarray(A[~pos].sum(axis=0)).ravel() + self.alpha
            r = np.log(p / p.sum()) - np.log(q / q.sum())
            clf = make_clf(self.base, self.C, self.class_weight, self.seed)
            clf.fit(X @ sp.diags(r), pos.astype(int))
            coefs.append(clf.coef_.ravel() * r)
            inter.append(clf.intercept_[0])
        self.coef_ = np.vstack(coefs)
        self.intercept_ = np.asarray(inter)
        return self

    def decision_function(self, X):
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def predict(self, X):
        return self.classes_[self.decision_function(X).argmax(axis=1)]


def make_clf(kind: str, C: float, class_weight, seed: int):
    if kind.startswith("nb"):
        return NBLinear(kind[2:] or "svm", C, class_weight, seed)
    if kind == "svm":
        return LinearSVC(C=C, class_weight=class_weight, random_state=seed, max_iter=5000)
    if kind == "lr":
        from sklearn.multiclass import OneVsRestClassifier
        return OneVsRestClassifier(LogisticRegression(
            C=C * 10, class_weight=class_weight, max_iter=200, solver="liblinear",
            random_state=seed))
    if kind == "sgd":
        return SGDClassifier(loss="modified_huber", alpha=1e-4 / C,
                             class_weight=class_weight, random_state=seed, max_iter=50,
                             tol=None)
    raise ValueError(kind)


def cv_select_C(X, y, kind, class_weight, seed, grid=C_GRID, folds=5, groups=None):
    """Pick C maximising macro-F1 (all classes, label-agnostic) in stratified k-fold CV.

    Stratification is on label (x group, if groups given, e.g. target)."""
    y = np.asarray(y)
    strat = y if groups is None else np.char.add(np.asarray(groups, dtype=str), y)
    _, cnt = np.unique(strat, return_counts=True)
    k = max(2, min(folds, cnt.min()))
    skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    splits = list(skf.split(np.zeros(len(y)), strat))
    best, bestC = -1.0, grid[0]
    res = {}
    for C in grid:
        pred = np.empty(len(y), dtype=object)
        for tr, te in splits:
            clf = make_clf(kind, C, class_weight, seed).fit(X[tr], y[tr])
            pred[te] = clf.predict(X[te])
        s = f1_score(y, pred.astype(str), average="macro")
        res[C] = s
        if s > best + 1e-9:
            best, bestC = s, C
    return bestC, res


class HashLinear:
    """Featurizer + linear classifier; C from internal CV unless fixed."""

    def __init__(self, feat_kw=None, kind="svm", C=None, class_weight="balanced", seed=0,
                 grid=C_GRID):
        self.feat_kw = feat_kw or {}
        self.kind, self.C, self.class_weight, self.seed, self.grid = \
            kind, C, class_weight, seed, grid

    def fit(self, rows, y, groups=None):
        self.feat = HashFeaturizer(**self.feat_kw).fit(rows)
        X = self.feat.transform(rows)
        C = self.C
        if C is None:
            C, self.cv_ = cv_select_C(X, y, self.kind, self.class_weight, self.seed,
                                      self.grid, groups=groups)
        self.C_ = C
        self.clf = make_clf(self.kind, C, self.class_weight, self.seed).fit(X, np.asarray(y))
        return self

    def _compile(self):
        """Fold the (shared + target-specific) weights into one sparse weight matrix per
        (target, block): W (D_b x n_scores). Unknown targets use shared weights only."""
        coef = np.atleast_2d(self.clf.coef_)
        dims = self.feat.block_dims()
        d = sum(dims)
        conj = self.feat.target_conj and self.feat.targets_
        K = len(self.feat.targets_) if conj else 0
        offs = np.concatenate([[0], np.cumsum(dims)])
        self._W = {}
        for t in range(-1, K):
            base = coef[:, :d] * (self.feat.conj_shared if conj else 1.0)
            if t >= 0:
                base = base + coef[:, (1 + t) * d:(2 + t) * d]
            self._W[t] = [sp.csr_matrix(base[:, offs[b]:offs[b + 1]].T.astype(np.float32))
                          for b in range(len(dims))]
        self._b = np.asarray(self.clf.intercept_, dtype=np.float32)

    def decision(self, rows):
        texts, targets = self.feat._texts(rows)
        blocks = self.feat.transform_blocks(self.feat._tokenize(texts))
        tids = self.feat.target_ids(targets) if self.feat.target_conj else \
            np.full(len(texts), -1)
        S = np.zeros((len(texts), len(self._b)), dtype=np.float32)
        for t in np.unique(tids):
            Wt = self._W[t if t in self._W else -1]
            idx = np.flatnonzero(tids == t)
            sel = None if len(idx) == len(tids) else idx
            acc = 0
            for X, W in zip(blocks, Wt):
                acc = acc + (X if sel is None else X[sel]) @ W
            S[idx] = np.asarray(acc.todense() if sp.issparse(acc) else acc)
        return S + self._b

    def predict(self, rows):
        if not hasattr(self.clf, "coef_"):
            return self.predict_slow(rows)
        if not hasattr(self, "_W"):
            self._compile()
        S = self.decision(rows)
        cls = self.clf.classes_
        if S.shape[1] == 1:
            return cls[(S[:, 0] > 0).astype(int)]
        return cls[S.argmax(axis=1)]

    def predict_slow(self, rows):
        return self.clf.predict(self.feat.transform(rows))


def fit_predict_sharedC(train, test, seed=0, kind="svm", class_weight="balanced",
                        feat_kw=None, grid=C_GRID, folds=5):
    """Per-target models, but one C for all, chosen by macro-F1 of the pooled
    out-of-fold predictions of all targets (more data per decision -> stabler C)."""
    tgts = sorted({r["target"] for r in train})
    data = {}
    for t in tgts:
        tr = [r for r in train if r["target"] == t]
        f = HashFeaturizer(**(feat_kw or {})).fit(tr)
        data[t] = (f, f.transform(tr), np.array([r["label"] for r in tr]))
    best, bestC = -1, grid[0]
    for C in grid:
        ys, ps = [], []
        for t in tgts:
            _, X, y = data[t]
            skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
            for tr_i, te_i in skf.split(np.zeros(len(y)), y):
                clf = make_clf(kind, C, class_weight, seed).fit(X[tr_i], y[tr_i])
                ys.extend(y[te_i]); ps.extend(clf.predict(X[te_i]))
        s = f1_score(ys, ps, average="macro")
        if s > best + 1e-9:
            best, bestC = s, C
    preds = [None] * len(test)
    for t in tgts:
        f, X, y = data[t]
        clf = make_clf(kind, bestC, class_weight, seed).fit(X, y)
        idx = [i for i, r in enumerate(test) if r["target"] == t]
        for i, p in zip(idx, clf.predict(f.transform([test[i] for i in idx]))):
            preds[i] = p
    return preds, {"C": bestC}


def fit_predict(train, test, seed=0, pooled=False, sharedC=False, **kw):
    if sharedC:
        return fit_predict_sharedC(train, test, seed=seed, **kw)
    """Protocol helper: per-target models (default) or one pooled model over all targets."""
    if pooled:
        m = HashLinear(seed=seed, **kw).fit(train, [r["label"] for r in train],
                                            groups=[r["target"] for r in train])
        return list(m.predict(test)), {"C": m.C_}
    preds = [None] * len(test)
    info = {}
    for t in sorted({r["target"] for r in train}):
        tr = [r for r in train if r["target"] == t]
        idx = [i for i, r in enumerate(test) if r["target"] == t]
        m = HashLinear(seed=seed, **kw).fit(tr, [r["label"] for r in tr])
        for i, p in zip(idx, m.predict([test[i] for i in idx])):
            preds[i] = p
        info[t] = m.C_
    return preds, {"C": info}


class PerTargetModel:
    """One HashLinear per target (rows without a known target go to the shared-free
    fallback: the model of the most frequent target).  predict() uses FastPredictor when
    the featurizer has fast_norm=True."""

    def __init__(self, seed=0, **kw):
        self.seed, self.kw = seed, kw

    def fit(self, rows, y=None):
        from fastpredict import FastPredictor
        self.models = {}
        tg = [r.get("target") for r in rows]
        for t in sorted(set(tg), key=str):
            tr = [r for r, x in zip(rows, tg) if x == t]
            m = HashLinear(seed=self.seed, **self.kw).fit(tr, [r["label"] for r in tr])
            self.models[t] = FastPredictor(m) if m.feat.fast_norm else m
        self.fallback = max(set(tg), key=tg.count)
        return self

    def predict(self, rows):
        out = np.empty(len(rows), dtype=object)
        tg = np.array([r.get("target") if r.get("target") in self.models else self.fallback
                       for r in rows], dtype=object)
        for t, m in self.models.items():
            idx = np.flatnonzero(tg == t)
            if len(idx):
                out[idx] = m.predict([rows[i] for i in idx])
        return out
