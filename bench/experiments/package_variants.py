"""Val F_avg of the package (stance.train) with feature parameters changed.

    python bench/experiments/package_variants.py "" "extras_weight=0.1" "extras=False"

Each argument is keyword arguments for stance.train; prints the pooled val F_avg of the
calibrated labels and of the SVM's own decisions.
"""
import json, glob, sys, numpy as np, stance
from pathlib import Path
DATA = Path(__file__).resolve().parents[3] / 'shared' / 'data' / 'tweeteval-stance'
from stance.evaluate import scores
from stance.classifier import _subset
from stance.features import to_examples
T=['abortion','atheism','climate','feminist','hillary']
L=lambda t,s:[json.loads(l) for l in open(f'{DATA}/{t}/{s}.jsonl')]
def run(name, argmax_svm=False, **params):
    gold=[];pred=[];pred2=[]
    for t in T:
        tr,va=L(t,'train'),L(t,'val')
        m=stance.train(tr, **params)
        p=m.pipeline; f=p.named_steps['features']; c=p.named_steps['classifier']
        ex=to_examples(va)
        sc=f.decision_function(ex,c.svm_.coef_,c.svm_.intercept_)
        svm_pred=[str(c.classes_[i]) for i in ((sc[:,0]>0).astype(int) if sc.shape[1]==1 else sc.argmax(1))]
        pred+=m.predict(va); pred2+=svm_pred; gold+=[r['label'] for r in va]
    for nm,pp in (('calib',pred),('svm',pred2)):
        r=scores(gold,pp,average_labels=['critical','supportive'])
        print(f"{name:30s} {nm}: F_avg {100*r['f_avg']:.2f} macro {100*r['macro_f1']:.2f}", flush=True)
for arg in sys.argv[1:]:
    kw=eval(f"dict({arg})")
    run(arg, **kw)
