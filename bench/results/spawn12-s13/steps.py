#!/usr/bin/env python3
"""steps.py DIR...: medians (min-max) of the traced steps of alt-env.sh's jobs, per commit path.
Spawn: Pj's MPI_Comm_spawn call, the machine's idle share during it, Pj's processor time in it; the
replacement's process age at MittenSession.Start, work before MPI_Init, MPI_Init. Transfer: Pj's
spawn return -> header sent, header sent -> Pn's header received, received -> state restored, and
Pn's codec. Commit: restored -> DECISION sent (Pj), the staying ranks' (rank 0's) steps, Pn's steps,
DECISION -> Pn joined (control channel and window made), Pn joined -> resumed."""
import re, sys, glob, statistics
from datetime import datetime
def ts(line):
    m = re.search(r"\[mitten (\d\d:\d\d:\d\d\.\d+) ", line); return datetime.strptime(m.group(1), "%H:%M:%S.%f").timestamp() * 1000 if m else None
data = {}
for d in sys.argv[1:]:
    for f in sorted(glob.glob(d + "/*.txt")):
        path = f.split("/")[-1].split("-")[0]
        t = open(f, errors="replace").read()
        if "verified=yes" not in t: continue
        L = t.splitlines(); v = data.setdefault(path, {})
        add = lambda k, x: v.setdefault(k, []).append(x)
        pj = re.search(r"r(\d+) pid(\d+)\] spawn: MPI_Comm_spawn ([\d.]+) ms, machine idle (\d+) %.*processor time (\d+) ms", t)
        if pj:
            add("spawn call", float(pj.group(3))); add("machine idle % in spawn", float(pj.group(4))); add("Pj cpu in spawn", float(pj.group(5)))
        s = re.search(r"process_ms=(\d+) before_init_ms=([\d.]+) mpi_init_ms=([\d.]+)", t)
        if s:
            add("Pn process age at Start", float(s.group(1))); add("Pn before MPI_Init", float(s.group(2))); add("Pn MPI_Init", float(s.group(3)))
        def first(pat):
            for l in L:
                if re.search(pat, l): return ts(l)
        a, b, c, e, dec = first(r"\] spawn: MPI_Comm_spawn"), first(r"\] header sent"), first(r"replacement: header received"), first(r"replacement: state restored"), first(r"DECISION\(commit\) sent")
        j = first(r"replacement: joined the new group")
        if a and b: add("spawn return -> header sent", b - a)
        if b and c: add("header sent -> received", c - b)
        if c and e: add("header received -> restored", e - c)
        if e and dec: add("restored -> DECISION sent", dec - e)
        if dec and j: add("DECISION -> Pn joined+window", j - dec)
        m = re.search(r"application codec ([\d.]+) ms", t)
        if m: add("Pn codec", float(m.group(1)))
        for l in L:
            if " r0 pid" in l and ("] connect:" in l or "] bridge:" in l) and "replacement" not in l:
                for name, ms in re.findall(r"([A-Za-z_ ]+?) ([\d.]+) ms", l.split("] ", 1)[1]):
                    add("r0 " + name.strip(), float(ms))
            if " r0 pid" in l and "new group installed" in l:
                for name, ms in re.findall(r"(\(MPI_\w+\)|derived communicators) ([\d.]+) ms", l):
                    add("r0 " + name, float(ms))
            if "replacement: bridge:" in l or "replacement: accepted after" in l or "replacement: MPI_Comm_dup" in l:
                for name, ms in re.findall(r"([A-Za-z_ ]+?) ([\d.]+) ms", l.split("replacement: ", 1)[1].replace("bridge: ", "")):
                    add("Pn " + name.strip(), float(ms))
            if "replacement: resume: protocol object" in l:
                for name, ms in re.findall(r"(protocol object|derived communicators) ([\d.]+) ms", l): add("Pn resume " + name, float(ms))
        r = re.search(r"^MIGRATION rank=.*", t, re.M)
        if r:
            q = dict(re.findall(r"(\w+)_ms=([\d.]+)", r.group(0)))
            add("commit+resume (resumed-restored)", float(q["resumed"]) - float(q["restored"]))
fmt = lambda x: f"{statistics.median(x):.1f} ({min(x):.0f}-{max(x):.0f}, n={len(x)})" if x else "-"
keys = []
for p in data.values():
    for k in p:
        if k not in keys: keys.append(k)
print("| step | " + " | ".join(data) + " |"); print("|---|" + "---:|" * len(data))
for k in keys: print(f"| {k} | " + " | ".join(fmt(data[p].get(k, [])) for p in data) + " |")
