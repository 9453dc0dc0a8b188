import collections,math,statistics as st,sys
runs=collections.defaultdict(list)
for line in open(sys.argv[1]):
    p=line.split()
    if len(p)<3 or not p[2].startswith('ratio'): continue
    lab=p[0]; f=p[2].split(','); pat=f[1]; size=int(f[4]); r=float(f[5])
    runs[(lab,pat)].append((size,r))
for pat in ['bcast','reduce','pingpong','nonblocking']:
    for lab in ['main','branch']:
        l=runs[(lab,pat)]; gms=[]; z=[]
        for i in range(0,len(l),3):
            g=l[i:i+3]; gms.append(math.exp(sum(math.log(r) for _,r in g)/len(g))); z.append(g[0][1])
        print(f"| {pat} | {lab} | {' '.join('%.3f'%x for x in gms)} (median {st.median(gms):.3f}) | {' '.join('%.3f'%x for x in z)} (median {st.median(z):.3f}) |")
