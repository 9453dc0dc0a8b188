#!/usr/bin/env python3
"""Per job of an alternate-env.sh directory: freeze, doorbell, the spare's ring reads and reader CPU, the
writer's room waits, keep-warm rounds, and how late the staying ranks saw DECISION (last 'DECISION received'
minus 'DECISION(commit) sent', ms), with medians per label.   steps17.py DIR LABEL_A LABEL_B"""
import glob, os, re, statistics, sys
d, labels = sys.argv[1], sys.argv[2:]
def ms(stamp):
    h, m, s = stamp.split(':'); return (int(h) * 3600 + int(m) * 60 + float(s)) * 1000
rows = {l: [] for l in labels}
for path in sorted(glob.glob(os.path.join(d, '*-*.txt'))):
    label = re.match(r'(.+)-\d+\.txt$', os.path.basename(path)).group(1)
    if label not in rows: continue
    text = open(path, errors='replace').read()
    g = lambda pat: (lambda m: float(m.group(1)) if m else float('nan'))(re.search(pat, text))
    sent = re.search(r'\[mitten (\S+) r\d+ pid\d+\] DECISION\(commit\) sent', text)
    got = [ms(t) for t in re.findall(r'\[mitten (\S+) r\d+ pid\d+\] DECISION received', text)]
    late = max(got) - ms(sent.group(1)) if sent and got else float('nan')
    r = dict(freeze=g(r'freeze_ms=([0-9.]+)'), total=g(r'resumed_ms=([0-9.]+)'), doorbell=g(r'doorbell ([0-9.]+) ms'),
             reads=g(r'ring reads in ([0-9.]+) ms'), reader_cpu=g(r'reader thread from the first read: wall [0-9.]+ ms, cpu ([0-9.]+)'),
             room=g(r'room waits \d+, ([0-9.]+) ms'), codec=g(r'application codec ([0-9.]+) ms'),
             warm=g(r'kept warm: [0-9]+ rounds, [0-9]+ pages, ([0-9.]+) ms'), decision_late=late)
    rows[label].append(r)
    print(os.path.basename(path), ' '.join(f'{k}={v:.1f}' for k, v in r.items()))
for l in labels:
    if rows[l]:
        print(f'{l} medians:', ' '.join(f'{k}={statistics.median([r[k] for r in rows[l]]):.1f}' for k in rows[l][0]))
