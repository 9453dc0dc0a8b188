import collections,statistics,sys
rows=[l.split() for l in open(sys.argv[1]) if 'CSV' in l]
meas=collections.defaultdict(dict); ratio=collections.defaultdict(list)
for r in rows:
    v,pair=r[0],r[1]; f=r[4].split(',')
    if f[0]=='measure': meas[(v,pair,f[1],f[4])][f[2]]=float(f[7])*1000
    if f[0]=='ratio': ratio[(v,f[1],f[4])].append(float(f[5]))
    if f[0]=='geomean': ratio[(v,f[1],'geo')].append(float(f[4]))
diff=collections.defaultdict(list)
for (v,pair,pat,size),d in sorted(meas.items()):
    if 'plain' in d and 'mitten' in d: diff[(v,pat,size)].append(d['mitten']-d['plain'])
for pat in sys.argv[2].split(','):
    for size in ['0','8','64','geo']:
        line=f"{pat:11s} {size:3s}"
        for v in ['base','branch']:
            rs=ratio.get((v,pat,size),[]); ds=diff.get((v,pat,size),[])
            line+=f" | {v}: {' '.join('%.3f'%x for x in rs)} (med {statistics.median(rs) if rs else 0:.3f})"
            if ds: line+=f" ns {' '.join('%+.1f'%x for x in ds)} (med {statistics.median(ds):+.1f})"
        print(line)
