import sys,re,statistics as st
rows={}
cur={}
for line in open(sys.argv[1]):
    m=re.match(r'(\S+) SELFLOOP variant=(\S+) blocking_ns=([\d.]+) nonblocking_ns=([\d.]+)',line)
    if not m: continue
    lab,v,b,n=m.group(1),m.group(2),float(m.group(3)),float(m.group(4))
    cur.setdefault(lab,{})[v]=(b,n)
    if v=='mitten':
        d=cur[lab]; rows.setdefault(lab,[]).append((d['plain'][0],d['mitten'][0]-d['plain'][0],d['plain'][1],d['mitten'][1]-d['plain'][1]))
for lab,r in rows.items():
    print(lab,'blocking M-P:',' '.join('%+.1f'%x[1] for x in r),'median %+.1f'%st.median(x[1] for x in r),'| nonblocking M-P:',' '.join('%+.1f'%x[3] for x in r),'median %+.1f'%st.median(x[3] for x in r),'| plain b %.1f-%.1f nb %.1f-%.1f'%(min(x[0] for x in r),max(x[0] for x in r),min(x[2] for x in r),max(x[2] for x in r)))
