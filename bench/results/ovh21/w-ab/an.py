import re,sys,glob,statistics as st,math,csv,os
sys.path.insert(0,'/tmp')
def rows_of(f):
    R=[]
    for line in open(f):
        if not line.startswith('COMPARE_ITER') or ' rep=0 ' in line: continue
        kv=dict(x.split('=',1) for x in line.split()[1:])
        other=[k for k in kv if k.endswith('_s') and k!='plain_s'][0]
        R.append({'class':'W','first':kv['first'],'layout':kv['layout'],'plain_s':kv['plain_s'],'other_s':kv[other],'ratio':float(kv[other])/float(kv['plain_s'])})
    return R
def ests(R):
    firsts=sorted(set(r['first'] for r in R))
    cells=[[r for r in R if r['first']==f and r['layout']==l] for f in firsts for l in '01']
    lg=lambda v: (math.exp(sum(map(math.log,v))/len(v))-1)*100
    lay=[st.median([r['ratio'] for r in R if r['layout']==l]) for l in '01']
    def q(v,p): v=sorted(v); return v[int(p*(len(v)-1))]
    def tmean(v,t=.25):
        v=sorted(v); k=int(len(v)*t); v=v[k:len(v)-k]; return sum(v)/len(v)
    e={'old':lg(lay),
       'cellmed':lg([st.median([r['ratio'] for r in x]) for x in cells]),
       'celltime':lg([st.median([float(r['other_s']) for r in x])/st.median([float(r['plain_s']) for r in x]) for x in cells]),
       'cellq10':lg([q([float(r['other_s']) for r in x],.1)/q([float(r['plain_s']) for r in x],.1) for x in cells]),
       'celltrim':(math.exp(sum(tmean([math.log(r['ratio']) for r in x]) for x in cells)/len(cells))-1)*100,
       'plain_ms':st.median([float(r['plain_s']) for r in R])*1e3}
    return e
d=sys.argv[1]
for v in ('mitten','plain'):
    print(v)
    allE=[]
    for f in sorted(glob.glob(f'{d}/{v}-*.out'), key=lambda s:int(re.findall(r'-(\d+)\.out',s)[0])):
        R=rows_of(f)
        if len(R)<100: continue
        e=ests(R); allE.append(e)
        print('  %-12s'%os.path.basename(f)+' '.join('%s=%+.2f'%(k,x) for k,x in e.items()))
    if allE:
        print('  median     '+' '.join('%s=%+.2f'%(k,st.median([e[k] for e in allE])) for k in allE[0]))
