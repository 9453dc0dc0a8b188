# Summarizes scripts/dev/alternate-is-variants.sh output: python3 phases.py DIR KIND [LABEL_B]: per pair phases main/B, medians, ratios, the mitten-startup lines.
import re,sys,statistics as st,glob,os
d=sys.argv[1]; kind=sys.argv[2]
rows={}
for line in open(os.path.join(d,kind+'.txt')):
    m=re.match(r'(\w+) pair=(\d+) (.*)',line)
    if not m: continue
    kv=dict(re.findall(r'(\w+)=([\d.]+|yes|no)',m.group(3)))
    rows[(m.group(1),int(m.group(2)))]=kv
def f(k,kv):
    try:
        if k=='spawn': return float(kv.get('spawned_ms',kv.get('spare_taken_ms')))-float(kv['synchronized_ms'])
        if k=='restore': return float(kv['restored_ms'])-float(kv.get('spawned_ms',kv.get('spare_taken_ms')))
        if k=='total': return float(kv['resumed_ms'])
        return float(kv[k])
    except KeyError: return None
pairs=sorted({p for (_,p) in rows})
keys=['synchronized_ms','protocol_ms','spawn','restore','total','freeze_ms']
print('pair | '+' | '.join(f'{k} main/r2r' for k in keys)+' | total r2r/main | load')
ratios=[]
for p in pairs:
    a=rows.get(('main',p)); b=rows.get((sys.argv[3] if len(sys.argv)>3 else 'r2r',p))
    if not a or not b: continue
    cells=[f'{f(k,a):.0f} / {f(k,b):.0f}' for k in keys]
    r=f('total',b)/f('total',a); ratios.append(r)
    print(f'{p} | '+' | '.join(cells)+f' | {r:.2f} | {a["load"]}, {b["load"]}')
for v in ('main',sys.argv[3] if len(sys.argv)>3 else 'r2r'):
    print(v,'medians:',{k: round(st.median([f(k,rows[(v,p)]) for p in pairs if (v,p) in rows]),1) for k in keys}, 'verified:', sum(1 for p in pairs if rows.get((v,p),{}).get('verified')=='yes'))
print('total ratio r2r/main per pair', [round(x,2) for x in ratios], 'median', round(st.median(ratios),2))
# startup lines
for v in ('main',sys.argv[3] if len(sys.argv)>3 else 'r2r'):
    rep=[];pre=[];exe=[]
    for fn in sorted(glob.glob(os.path.join(d,kind,v+'-*.txt'))):
        t=open(fn,errors='replace').read()
        for m in re.finditer(r'mitten-startup replacement .*?process_ms=([\d.]+) before_init_ms=([\d.]+) mpi_init_ms=([\d.]+)',t): rep.append(tuple(map(float,m.groups())))
        pre+= [float(x) for x in re.findall(r'mitten-startup rank=\d+ prejit_ms=([\d.]+)',t)]
        exe+= [float(x) for x in re.findall(r'mitten-startup rank=\d+ .*?exercise_ms=([\d.]+)',t)]
    if rep: print(v,'replacement medians process/before_init/mpi_init:',[round(st.median(c),1) for c in zip(*rep)],'n=',len(rep))
    if pre: print(v,'rank prejit_ms median',round(st.median(pre),1),'range',min(pre),max(pre),'exercise_ms median',round(st.median(exe),1),'n=',len(pre))
