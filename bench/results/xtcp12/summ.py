import sys,re,statistics as st
# summ.py FILE: per pair A/B ratios for transfer (restored-spare_taken), total (resumed_ms), freeze
rows={}
for line in open(sys.argv[1]):
    if not line.startswith('pair='): continue
    f=dict(kv.split('=',1) for kv in line.split() if '=' in kv and not kv.startswith('env'))
    p=int(f['pair']); v=f['variant']
    if 'restored_ms' not in f: print('no migration',line.strip()); continue
    y=float(f.get('spare_taken_ms',f.get('spawned_ms','nan'))); r=float(f['restored_ms']); s=float(f['synchronized_ms'])
    rows.setdefault(p,{})[v]=dict(transfer=r-y,total=float(f['resumed_ms']),freeze=float(f['freeze_ms']),sync=s,commit=float(f['resumed_ms'])-r,protocol=float(f['protocol_ms']),load=float(f['load']))
for k in ['transfer','total','freeze','sync','commit','protocol']:
    a=[rows[p]['A'][k] for p in sorted(rows) if 'A' in rows[p] and 'B' in rows[p]]
    b=[rows[p]['B'][k] for p in sorted(rows) if 'A' in rows[p] and 'B' in rows[p]]
    r=[y/x if x else float('nan') for x,y in zip(a,b)]
    print(f"{k:9s} A median {st.median(a):7.1f}  B median {st.median(b):7.1f}  B/A per pair {' '.join(f'{x:.2f}' for x in r)}  median {st.median(r):.2f}  lower in B: {sum(x<1 for x in r)}/{len(r)}")
    print(f"{'':9s} A {' '.join(f'{x:.0f}' for x in a)} | B {' '.join(f'{x:.0f}' for x in b)}")
loads=[rows[p][v]['load'] for p in rows for v in rows[p]]
print('load1 median %.1f (%.1f..%.1f)'%(st.median(loads),min(loads),max(loads)))
