"""Each process's migration window in a MITTEN_TRACE=1 job output (shared by jit-window.py and
perf-window.py).

A trace line is "[mitten HH:MM:SS.fff rR pidP] text". For every process the window runs from its
first line matching START to its first line matching END after it; trace times have millisecond
resolution, so the window is widened by 1 ms each side.
"""
import re

DEFAULT_START = r"taken at superstep|\) led by|spare: TAKE answered"
DEFAULT_END = r"protocol step 'drain'|replacement: resuming"

LINE_RE = re.compile(r"\[mitten (\d\d:\d\d:\d\d\.\d+) r(-?\d+) pid(\d+)\] (.*)")


def ms(stamp):
    """Milliseconds since midnight of an HH:MM:SS.fff stamp."""
    h, m, s = stamp.lstrip("\ufeff").split(":")
    return (int(h) * 3600 + int(m) * 60 + float(s)) * 1000


def read_windows(out, start_re, end_re):
    """(windows, ranks): pid -> [begin_ms, end_ms or None, the starting line's text], pid -> rank."""
    windows, ranks = {}, {}
    for raw in out.read_text(errors="replace").splitlines():
        m = LINE_RE.search(raw)
        if not m:
            continue
        t, rank, pid, text = ms(m.group(1)), m.group(2), m.group(3), m.group(4)
        ranks.setdefault(pid, rank)
        if pid not in windows and start_re.search(text):
            windows[pid] = [t - 1, None, text]
        elif pid in windows and windows[pid][1] is None and end_re.search(text):
            windows[pid][1] = t + 1
    return windows, ranks
