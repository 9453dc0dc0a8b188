import collections,statistics,sys
d=collections.defaultdict(list); vs=[]
for l in open(sys.argv[1]):
    p=l.split(); v=p[1]
    if v not in vs: vs.append(v)
    for kv in p[2:]:
        k,x=kv.split(':'); d[(v,k)].append(float(x))
keys=sorted({k for _,k in d})
for k in keys:
    print(k.ljust(12), '  '.join(f"{v}: {statistics.median(d[(v,k)]):.3f} [{min(d[(v,k)]):.2f}-{max(d[(v,k)]):.2f}]" for v in vs if d[(v,k)]))
