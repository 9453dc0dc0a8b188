import sys,re,statistics as st,collections
d=collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(sys.argv[1]):
    w=line.split(); label=w[0]
    keys=collections.defaultdict(list)
    for t in w[2:]:
        k,v=t.split('='); keys[k].append(float(v))
    for k,vs in keys.items():
        d[label][k]+=vs[1:]   # runs 2..
for label,ks in d.items():
    print(label, ' '.join(f"{k}={st.median(v):.4f}(n={len(v)})" for k,v in sorted(ks.items())))
