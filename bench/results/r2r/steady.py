# Summarizes steady-state runs (RESULT lines, Mop/s per in-job repetition): python3 steady.py DIR [LABEL_B] [SUBDIR].
import re,glob,os,statistics as st,sys
d=sys.argv[1]
res={}
for fn in glob.glob(os.path.join(d,sys.argv[3] if len(sys.argv)>3 else 'steady','*.txt')):
    v,p=re.match(r'(\w+)-(\d+)\.txt',os.path.basename(fn)).groups()
    m=[float(x) for x in re.findall(r'RESULT impl=csharp rep=\d+ .*? mops=([\d.]+)',open(fn,errors='replace').read())]
    res[(v,int(p))]=m
pairs=sorted({p for _,p in res})
rat=[]
for p in pairs:
    a=res.get(('main',p));b=res.get((sys.argv[2] if len(sys.argv)>2 else 'r2r',p))
    if not a or not b: continue
    r=st.median(b)/st.median(a); rat.append(r)
    print(p,'main',a,'r2r',b,'ratio r2r/main of medians %.3f'%r, 'rep1 ratio %.3f'%(b[0]/a[0]))
print('median ratio',round(st.median(rat),3),[round(x,3) for x in rat])
for v in ('main',sys.argv[2] if len(sys.argv)>2 else 'r2r'):
    print(v,'median of job medians',round(st.median([st.median(res[(v,p)]) for p in pairs if res.get((v,p))]),1),'rep1 median',round(st.median([res[(v,p)][0] for p in pairs if res.get((v,p))]),1))
