#!/usr/bin/env python3
"""Medians of the original ranks' start-up lines (MITTEN_STARTUP_REPORT=1: prejit_ms, exercise_ms,
codec_ms) per label over the job outputs in DIR (LABEL-PAIR.txt).  startup.py DIR LABEL..."""
import glob, os, re, statistics, sys
d = sys.argv[1]
for label in sys.argv[2:]:
    vals = {"prejit_ms": [], "exercise_ms": [], "codec_ms": []}
    for path in glob.glob(os.path.join(d, f"{label}-*.txt")):
        for m in re.finditer(r"mitten-startup rank=\d+ prejit_ms=([\d.]+) methods=\d+ exercise_ms=([\d.]+) exercised=\w+ codec_ms=([\d.]+)", open(path, errors="replace").read()):
            for k, v in zip(vals, m.groups()):
                vals[k].append(float(v))
    print(label, " ".join(f"{k}={statistics.median(v):.1f} (n={len(v)}, {min(v):.1f}..{max(v):.1f})" for k, v in vals.items() if v))
