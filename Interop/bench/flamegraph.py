"""Flame graphs from `perf script` output, with Python's standard library only (our own code: no
third-party script is copied or downloaded).

    perf record -F 999 -g -p PID -o perf.data        # or -- command; --call-graph dwarf/fp work too
    perf script -i perf.data | python3 Interop/bench/flamegraph.py -o out.svg --top 15

Reads perf script's text (a header line per sample, then its stack, innermost frame first, one
"address symbol+offset (dso)" line a frame), folds each sample's stack root first into
"frame;frame;frame count" lines (--folded writes them) and draws a self-contained SVG: one
rectangle per frame, as wide as its share of the samples, root at the bottom, 16 px a row, with a
<title> "name (N samples, P%)" to hover over, coloured by a hash of the name in warm hues. Frames
under --min-percent (0.1%) of the samples are left out. --top N prints the N hottest functions by
self samples (the sample was in that function) and by inclusive samples (it was on the stack).

Names are cleaned: offsets (+0x1a), the "(/path/to/binary)" perf appends and C/C++ argument lists
go (Swift's argument labels, "bar(x:)", stay); Swift names are demangled by one
`swift demangle --simplified` process when swift is on PATH (raw names otherwise, or with
--no-demangle). A frame perf has no symbol for becomes "[dso]" (or "[unknown]"), and a run of
such frames one frame. --threads starts each stack with the thread's name.
"""
import argparse
import collections
import hashlib
import os
import re
import shutil
import subprocess
import sys
from xml.sax.saxutils import escape

WIDTH, ROW, PAD, TOP, BOTTOM = 1200, 16, 10, 46, 10
FONT, CHAR_W = 11, 6.7          # monospace at 11 px: about 6.6 px a character
HEADER = re.compile(r"^(?P<comm>\S.*?)\s+(?P<pid>-?\d+)(?:/-?\d+)?\s+(?:\[\d+\]\s+)?\d+\.\d+:\s*(?P<rest>.*)$")
EVENT = re.compile(r"^(?:\d+\s+)?\S+:\s*(?P<frame>.*)$")      # "[period] event: [frame without -g]"
FRAME = re.compile(r"^\s*(?P<addr>[0-9a-fA-F]+)\s+(?P<sym>.+?)(?:\s+\((?P<dso>[^()]*)\))?\s*$")
OFFSET = re.compile(r"\+0x[0-9a-fA-F]+$")
SWIFT_MANGLED = re.compile(r"^_?\$[sSe]|^_T0")
SWIFT_LABELS = re.compile(r"^\((?:[^\s(),:]*:)*\)$")          # "()", "(_:)", "(x:y:)": keep


def strip_args(name):
    """Drops a trailing C/C++ argument list ("f(int, char) const" -> "f"), not Swift's labels."""
    name = name.strip()
    if name.endswith(" const"):
        name = name[:-6]
    if not name.endswith(")"):
        return name
    depth = 0
    for i in range(len(name) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(name[i], 0)
        if depth == 0:
            if i == 0 or SWIFT_LABELS.match(name[i:]):
                return name
            return name[:i].rstrip()
    return name


def frame_name(sym, dso):
    """One perf frame's name: the symbol without its offset, or "[dso]" if perf has none."""
    sym = OFFSET.sub("", sym.strip())
    if sym in ("", "[unknown]"):
        base = os.path.basename(dso or "")
        return f"[{base.strip('[]')}]" if base and base != "[unknown]" else "[unknown]"
    return sym


def is_unknown(name):
    return name.startswith("[") and name.endswith("]")


def parse_perf_script(lines):
    """perf script text -> [(thread name, [frame name, ...] innermost first)], one per sample."""
    samples, comm, stack = [], None, None
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        m = HEADER.match(line.strip())        # "comm pid[/tid] [cpu] time: ..." (comm padded
        if m or not line[0].isspace():        # without -g); or any unindented line: a new sample
            if stack is not None:
                samples.append((comm, stack))
            comm, stack = (m.group("comm"), []) if m else (line.split()[0], [])
            e = EVENT.match(m.group("rest")) if m else None
            f = FRAME.match(e.group("frame")) if e and e.group("frame") else None
            if f:                                            # recorded without -g: one frame
                stack.append(frame_name(f.group("sym"), f.group("dso")))
            continue
        f = FRAME.match(line)
        if f and stack is not None:
            stack.append(frame_name(f.group("sym"), f.group("dso")))
    if stack is not None:
        samples.append((comm, stack))
    return samples


def swift_demangle(names):
    """{mangled: demangled} for the Swift names among names, through one `swift demangle`."""
    todo = sorted({n for n in names if SWIFT_MANGLED.match(n)})
    swift = shutil.which("swift")
    if not todo or not swift:
        return {}
    try:
        p = subprocess.run([swift, "demangle", "--simplified"], input="\n".join(todo) + "\n",
                           text=True, capture_output=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    out = p.stdout.split("\n")[:len(todo)]
    if p.returncode != 0 or len(out) != len(todo):
        return {}
    return {m: d.strip() or m for m, d in zip(todo, out)}


def fold(samples, demangle=True, threads=False):
    """Samples -> Counter {(root, ..., leaf): samples}, names cleaned and unknown runs collapsed."""
    names = swift_demangle({n for _, s in samples for n in s}) if demangle else {}
    clean, folded = {}, collections.Counter()
    for comm, stack in samples:
        out = [comm] if threads else []
        for raw in reversed(stack or ["[unknown]"]):
            if raw not in clean:
                clean[raw] = strip_args(names.get(raw, raw)).replace(";", ":") or "[unknown]"
            name = clean[raw]
            if is_unknown(name) and out and out[-1] == name:
                continue                                     # a run of unknown frames: one
            out.append(name)
        folded[tuple(out)] += 1
    return folded


def layout(folded, width=WIDTH, min_fraction=0.001):
    """[(name, depth, x, w, samples)]: "all" at depth 0, x and w in pixels, children left to
    right by name; frames under min_fraction of the samples (and all above them) are left out."""
    tree = [0, {}]
    for stack, n in folded.items():
        node = tree
        node[0] += n
        for name in stack:
            node = node[1].setdefault(name, [0, {}])
            node[0] += n
    total, scale = tree[0], (width - 2 * PAD) / max(tree[0], 1)
    out, todo = [], [("all", tree, 0, 0)]
    while todo:
        name, (n, kids), depth, start = todo.pop()
        if total == 0 or n < min_fraction * total:
            continue
        out.append((name, depth, PAD + start * scale, n * scale, n))
        for kid in sorted(kids):
            todo.append((kid, kids[kid], depth + 1, start))
            start += kids[kid][0]
    return sorted(out, key=lambda f: (f[1], f[2]))


def colour(name):
    h = hashlib.md5(name.encode()).digest()
    return f"rgb({205 + h[0] * 50 // 255},{h[1] * 230 // 255},{h[2] * 55 // 255})"


def label(name, w):
    fits = int((w - 6) // CHAR_W)
    return "" if fits < 3 else name if len(name) <= fits else name[:fits - 2] + ".."


def svg(folded, title="Flame graph", min_fraction=0.001):
    frames = layout(folded, WIDTH, min_fraction)
    total = sum(folded.values())
    rows = max((f[1] for f in frames), default=0) + 1
    height = TOP + rows * ROW + BOTTOM
    out = [f'<?xml version="1.0" encoding="UTF-8"?>',
           f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'viewBox="0 0 {WIDTH} {height}" font-family="DejaVu Sans Mono,Menlo,Consolas,monospace" '
           f'font-size="{FONT}">',
           f'<rect width="{WIDTH}" height="{height}" fill="#fbf8ef"/>',
           f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" font-size="16">{escape(title)}</text>',
           f'<text x="{WIDTH / 2}" y="36" text-anchor="middle" fill="#666">{total} samples; frames '
           f'under {min_fraction * 100:g}% left out; hover over a frame for its samples</text>']
    for name, depth, x, w, n in frames:
        y = TOP + (rows - 1 - depth) * ROW
        pct = 100 * n / max(total, 1)
        out.append(f'<g><title>{escape(name)} ({n} samples, {pct:.2f}%)</title>'
                   f'<rect x="{x:.2f}" y="{y}" width="{w:.2f}" height="{ROW - 1}" rx="2" '
                   f'fill="{colour(name)}"/>')
        text = label(name, w)
        if text:
            out.append(f'<text x="{x + 3:.2f}" y="{y + ROW - 4.5}">{escape(text)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def hottest(folded, n, threads=False):
    """([(name, self samples)], [(name, inclusive samples)]), the n largest of each (ties by name)."""
    own, incl = collections.Counter(), collections.Counter()
    for stack, count in folded.items():
        stack = stack[1:] if threads else stack
        if stack:
            own[stack[-1]] += count
            for name in set(stack):
                incl[name] += count
    top = lambda counts: sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return top(own), top(incl)


def summary(folded, n, threads=False):
    total = max(sum(folded.values()), 1)
    own, incl = hottest(folded, n, threads)
    lines = []
    for what, rows in (("self", own), ("inclusive", incl)):
        lines.append(f"top {n} functions by {what} samples (of {sum(folded.values())}):")
        lines += [f"  {100 * c / total:5.1f}% {c:8}  {name}" for name, c in rows]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", nargs="?", help="perf script output (default: standard input)")
    ap.add_argument("-o", "--output", help="SVG file to write (default: standard output)")
    ap.add_argument("--folded", metavar="OUT", help="also write the folded stacks to OUT")
    ap.add_argument("--title", default="Flame graph", help="the SVG's title")
    ap.add_argument("--top", type=int, metavar="N", help="print the N hottest functions, self and inclusive")
    ap.add_argument("--min-percent", type=float, default=0.1, help="leave out frames under this (0.1)")
    ap.add_argument("--threads", action="store_true", help="root each stack at its thread's name")
    ap.add_argument("--no-demangle", action="store_true", help="keep Swift's mangled names")
    a = ap.parse_args(argv)
    with (open(a.input, errors="replace") if a.input else sys.stdin) as f:
        folded = fold(parse_perf_script(f), demangle=not a.no_demangle, threads=a.threads)
    if not folded:
        sys.exit("flamegraph.py: no samples in the input (is it `perf script` output?)")
    if a.folded:
        with open(a.folded, "w") as f:
            f.writelines(f"{';'.join(s)} {n}\n" for s, n in sorted(folded.items()))
    image = svg(folded, a.title, a.min_percent / 100)
    if a.output:
        with open(a.output, "w") as f:
            f.write(image)
    else:
        sys.stdout.write(image)
    if a.top:
        print(summary(folded, a.top, a.threads), file=sys.stdout if a.output else sys.stderr)


if __name__ == "__main__":
    main()
