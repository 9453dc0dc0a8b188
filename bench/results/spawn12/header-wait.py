#!/usr/bin/env python3
"""From job outputs with MITTEN_TRACE=1 (DIR/*.txt): per job, the moving rank's time from the spawn's
return to "header sent", then to the replacement's "header received", "state written" and "state restored"
(ms; the spawn's return placed with the MIGRATION line's spawned_ms, its origin with restored_ms).
Usage: header-wait.py DIR"""
import sys,re,glob
def ts(l):
    m=re.search(r'\[mitten (\d+):(\d+):([\d.]+)',l); return (int(m[1])*3600+int(m[2])*60+float(m[3]))*1000
for f in sorted(glob.glob(sys.argv[1]+'/*.txt')):
    L=open(f,errors='replace').read().splitlines()
    mig=[l for l in L if l.startswith('MIGRATION rank=')]
    if not mig: continue
    kv=dict(x.split('=',1) for x in mig[0].split() if '=' in x)
    g=lambda p:[ts(l) for l in L if p in l and l.startswith('[mitten')]
    hs=g('header sent'); sw=g('state written'); hr=g('header received'); sr=g('state restored'); jn=g('joined the new group')
    if not (hs and sr): continue
    # T0 from the replacement's joined line is unreliable; use state restored ~ restored
    T0=sr[0]-float(kv['restored_ms'])
    sp=float(kv['spawned_ms'])
    print(f.split('/')[-1], "spawned->header_sent %.0f  ->hdr_recv %.0f  ->state_written %.0f  ->state_restored %.0f  (restored-spawned %.0f)"%(hs[0]-T0-sp, hr[0]-hs[0], sw[0]-hs[0], sr[0]-hs[0], float(kv['restored_ms'])-sp))
