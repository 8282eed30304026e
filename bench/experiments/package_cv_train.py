"""5-fold CV on the TweetEval train split (per target, C fixed at 0.3, fold seeds 0 and 1).

    python bench/experiments/package_cv_train.py "extras=False" "extras_weight=0.2"

Each argument is keyword arguments for stance's default pipeline; prints pooled
out-of-fold F_avg. Lower noise than the 294-row val split; val is never touched.
"""
import json, sys, numpy as np, stance
from pathlib import Path
DATA = Path(__file__).resolve().parents[3] / 'shared' / 'data' / 'tweeteval-stance'
from sklearn.model_selection import StratifiedKFold
from stance.evaluate import scores
from stance.classifier import make_pipeline
T=['abortion','atheism','climate','feminist','hillary']
L=lambda t,s:[json.loads(l) for l in open(f'{DATA}/{t}/{s}.jsonl')]
for arg in sys.argv[1:]:
    kw=eval(f"dict({arg})"); res=[]
    for seed in (0,1):
        gold=[];pred=[]
        for t in T:
            rows=L(t,'train'); y=np.array([r['label'] for r in rows])
            for tr,te in StratifiedKFold(5,shuffle=True,random_state=seed).split(y,y):
                p=make_pipeline(**kw); p.set_params(classifier__C=0.3)
                p.fit([rows[i] for i in tr], y[tr]); pred+=list(p.predict([rows[i] for i in te])); gold+=list(y[te])
        res.append(scores(gold,pred,average_labels=['critical','supportive'])['f_avg'])
    print(f"{arg:25s} train-CV F_avg {100*np.mean(res):.2f} (seeds {[round(100*x,2) for x in res]})", flush=True)
