import sys,glob,math,statistics as st,csv,re
def rows_w21(f):
    R=[]
    for line in open(f):
        if not line.startswith('COMPARE_ITER') or ' rep=0 ' in line: continue
        kv=dict(x.split('=',1) for x in line.split()[1:])
        other=[k for k in kv if k.endswith('_s') and k!='plain_s'][0]
        R.append(dict(rep=int(kv['rep']),it=int(kv['iteration']),first=kv['first'],layout=kv['layout'],p=float(kv['plain_s']),o=float(kv[other])))
    return R
sets=[]
for f in glob.glob('/work/tmp/w21/*.out'):
    R=rows_w21(f)
    if len(R)>100: sets.append(('W',f,R))
for f in glob.glob('bench/results/**/overhead-is-ratios.csv',recursive=True):
    rows=list(csv.DictReader(open(f)))
    if not rows or 'first' not in rows[0]: continue
    for c in 'AW':
        R=[dict(rep=int(r['rep']),it=int(r['iteration']),first=r['first'],layout=r['layout'],p=float(r['plain_s']),o=float(r['mitten_s'])) for r in rows if r['class']==c]
        if R: sets.append((c,f,R))
lg=lambda v:(math.exp(sum(map(math.log,v))/len(v))-1)*100
def est(R):
    e={}
    lay=[st.median([r['o']/r['p'] for r in R if r['layout']==l]) for l in '01']
    e['old']=lg(lay)
    cells=[st.median([r['o']/r['p'] for r in R if r['first']==f and r['layout']==l]) for f in sorted(set(r['first'] for r in R)) for l in '01']
    e['cellmed']=lg(cells)
    by={}
    for r in R: by[(r['rep'],(r['it']-1)//2)]=by.get((r['rep'],(r['it']-1)//2),[])+[r]
    q={'0':[],'1':[]}
    for k,v in by.items():
        if len(v)==2: q[v[0]['layout']].append(sum(x['o'] for x in v)/sum(x['p'] for x in v))
    e['quad']=lg([st.median(q['0']),st.median(q['1'])])
    # per-rep total ratio
    rr={'0':[],'1':[]}
    reps={}
    for r in R: reps.setdefault(r['rep'],[]).append(r)
    for k,v in reps.items(): rr[v[0]['layout']].append(sum(x['o'] for x in v)/sum(x['p'] for x in v))
    e['rep']=lg([st.median(rr['0']),st.median(rr['1'])])
    return e
res={}
for c,f,R in sets:
    e=est(R)
    for k,v in e.items(): res.setdefault((c,k),[]).append(v)
    if c=='W': print(f[-45:], ' '.join('%s=%+.2f'%kv for kv in e.items()))
for (c,k),v in sorted(res.items()):
    print(c,'%-8s n=%2d rms=%.2f maxabs=%.2f median=%+.2f'%(k,len(v),math.sqrt(sum(x*x for x in v)/len(v)),max(map(abs,v)),st.median(v)))
