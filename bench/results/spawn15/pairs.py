import re, sys, statistics as st
# pairs.py SUMMARY A B : per-round pairs of A and B (same round), ratios B/A
path, a, b = sys.argv[1], sys.argv[2], sys.argv[3]
rows = {}
for line in open(path):
    m = dict(re.findall(r'(\w+)=([^\s]+)', line))
    if 'resumed_ms' not in m: continue
    f = {k: float(m[k]) for k in ('synchronized_ms','spawned_ms','restored_ms','resumed_ms','freeze_ms')}
    r = dict(load=float(m['load']), ver=m['ver'], sync=f['synchronized_ms'], spawn=f['spawned_ms']-f['synchronized_ms'],
             transfer=f['restored_ms']-f['spawned_ms'], commit=f['resumed_ms']-f['restored_ms'], total=f['resumed_ms'], freeze=f['freeze_ms'])
    rows[(int(m['round']), m['label'])] = r
rounds = sorted({k[0] for k in rows if (k[0], a) in rows and (k[0], b) in rows})
keys = ['sync','spawn','transfer','commit','total','freeze']
print(f"| round | load {a} / {b} | " + " | ".join(f"{k} {a} / {b}" for k in keys) + f" | total {b}/{a} | commit {b}/{a} | transfer {b}/{a} |")
print("|---|---|" + "---|"*len(keys) + "---:|---:|---:|")
ratios = {k: [] for k in keys}
for r in rounds:
    x, y = rows[(r,a)], rows[(r,b)]
    for k in keys: ratios[k].append(y[k]/x[k])
    print(f"| {r} | {x['load']:.1f} / {y['load']:.1f} | " + " | ".join(f"{x[k]:.0f} / {y[k]:.0f}" for k in keys) + f" | {y['total']/x['total']:.2f} | {y['commit']/x['commit']:.2f} | {y['transfer']/x['transfer']:.2f} |")
print(f"| median | | " + " | ".join(f"{st.median(rows[(r,a)][k] for r in rounds):.1f} / {st.median(rows[(r,b)][k] for r in rounds):.1f}" for k in keys) + f" | {st.median(ratios['total']):.2f} | {st.median(ratios['commit']):.2f} | {st.median(ratios['transfer']):.2f} |")
print()
for k in keys:
    lower = sum(1 for v in ratios[k] if v < 1)
    print(f"- {k} {b}/{a}: " + ", ".join(f"{v:.2f}" for v in ratios[k]) + f" (median {st.median(ratios[k]):.2f}, lower in {lower} of {len(rounds)})")
print(f"- verified: " + ", ".join(f"{rows[(r,l)]['ver']}" for r in rounds for l in (a,b)))
