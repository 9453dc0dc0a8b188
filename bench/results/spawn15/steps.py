import re, sys, statistics as st
def t(line):
    m = re.match(r'\[mitten \d\d:(\d\d):(\d\d\.\d+) r(-?\d+) pid\d+\] (.*)', line)
    return (int(m.group(1))*60+float(m.group(2)))*1000, int(m.group(3)), m.group(4)
def first(ev, pat, ranks=None):
    xs=[x for x in ev if re.search(pat, x[2]) and (ranks is None or x[1] in ranks)]
    return min(x[0] for x in xs) if xs else None
def last(ev, pat):
    xs=[x for x in ev if re.search(pat, x[2])]
    return max(x[0] for x in xs) if xs else None
steps = {}
for f in sys.argv[1:]:
    ev=[t(l) for l in open(f) if l.startswith('[mitten ')]
    pj = [x for x in ev if 'spawn step: MPI_Comm_spawn called' in x[2] or 'DECISION(commit) sent' in x[2]]
    d = {}
    sr = first(ev, r'(MPI_Comm_spawn returned|T spawn returned)'); hs = first(ev, r'^header sent'); hr = first(ev, r'replacement: header received')
    rs = first(ev, r'replacement: state restored'); ds = first(ev, r'DECISION\(commit\) sent'); dl = last(ev, r'DECISION received')
    wf = last(ev, r'(commit step:|T) old window freed'); sp = last(ev, r'(commit step:|T) split without')
    acc = first(ev, r'(replacement:|T) accepted'); mg = first(ev, r'(replacement:|T) merged'); sl = first(ev, r'(replacement: new group in order|T split$)')
    du = first(ev, r'(replacement:|T) (dup|control channel)'); jn = first(ev, r'replacement: joined the new group'); dc = first(ev, r'(replacement:|T) disconnected')
    res = first(ev, r'replacement: resume: protocol object')
    po = re.search(r'protocol object ([\d.]+) ms', [x[2] for x in ev if 'resume: protocol object' in x[2]][0]).group(1)
    def add(k, a, b):
        if a is not None and b is not None: steps.setdefault(k, []).append(b-a)
    add('spawn returned -> header sent (Pj)', sr, hs); add('header sent -> received (Pn)', hs, hr); add('header received -> restored', hr, rs)
    add('restored -> DECISION sent', rs, ds); add('DECISION sent -> last rank received', ds, dl); add('-> old window freed (last)', dl, wf)
    add('-> split without Pj (last)', wf, sp); add('-> Pn accepted (connect)', sp, acc); add('-> merged', acc, mg); add('-> new group in order (split/create)', mg, sl)
    add('-> MPI_Comm_dup', sl, du); add('-> MPI_Win_create (joined)', du, jn); add('joined -> disconnected', jn, dc)
    add('DECISION sent -> Pn joined', ds, jn)
    steps.setdefault('Pn protocol object (ms, from its line)', []).append(float(po))
for k, v in steps.items():
    print(f"| {k} | {st.median(v):.1f} ({min(v):.0f}-{max(v):.0f}, n={len(v)}) |")
