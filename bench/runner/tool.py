#!/usr/bin/env python3
"""Python half of bench/run.sh: counter sampling, result collection, RESULTS.md table, plot.

Subcommands:
  rate --dpdk SOCK --port N | --fwdctl BIN --sock SOCK --port N  [--warmup S] [--window S]
      Sample the sink port's tx counter (DPDK telemetry `/ethdev/stats,N` opackets for testpmd and
      l3fwd; `fwdctl --json show interface` device opackets for ferrosai-fwd) once per second over
      a fixed window after a warm-up; print JSON {mpps, samples[]}.
  add --db FILE KEY=VALUE...     append one JSON record to the results file
  report --db FILE --results RESULTS.md --plot PNG --cmd CMD
      Rewrite the top of RESULTS.md (everything before the first '## ' heading that is not ours
      is replaced; other engineers' '## ' sections are kept verbatim) and draw the plot.
  latency --tx IF --rx IF --pcap F [--duration S]
      Per-packet latency through a forwarder between two veths (run inside the namespace that
      holds IF): frames from the pcap with a send timestamp (CLOCK_REALTIME ns) in the UDP
      payload, sent on --tx through an AF_PACKET socket, received on --rx with the kernel's
      receive timestamp (SO_TIMESTAMPNS, same clock). First an unpaced phase measures the
      maximum delivered rate of this path, then paced phases at 10/50/90 % of it; prints JSON.
Only the standard library is needed, plus matplotlib for the plot (skipped with a note if absent).
"""
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time


def dpdk_opackets(sock, port):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sock)
    s.recv(4096)
    s.send(b"/ethdev/stats,%d" % port)
    d = json.loads(s.recv(1 << 16))
    s.close()
    return d["/ethdev/stats"]["opackets"]


def fwdctl_opackets(fwdctl, sock, port):
    out = subprocess.run([fwdctl, "-s", sock, "--json", "show", "interface"],
                         capture_output=True, text=True, timeout=10, check=True).stdout
    for i in json.loads(out)["interfaces"]:
        if i["index"] == port:
            return i["device"]["opackets"]
    raise SystemExit("fwdctl: no port %d" % port)


def arg(args, name, default=None):
    if name in args:
        return args[args.index(name) + 1]
    if default is None:
        raise SystemExit("missing " + name)
    return default


def cmd_rate(args):
    port = int(arg(args, "--port"))
    warm = float(arg(args, "--warmup", "2"))
    window = float(arg(args, "--window", "5"))
    if "--dpdk" in args:
        sock = arg(args, "--dpdk")
        read = lambda: dpdk_opackets(sock, port)  # noqa: E731
    else:
        fb, sock = arg(args, "--fwdctl"), arg(args, "--sock")
        read = lambda: fwdctl_opackets(fb, sock, port)  # noqa: E731
    time.sleep(warm)

    def sample():
        t0 = time.monotonic()
        v = read()
        t1 = time.monotonic()
        return (t0 + t1) / 2, v

    first = last = sample()
    per_s = []
    while last[0] - first[0] < window:
        time.sleep(1.0)
        cur = sample()
        per_s.append((cur[1] - last[1]) / (cur[0] - last[0]) / 1e6)
        last = cur
    mpps = (last[1] - first[1]) / (last[0] - first[0]) / 1e6
    print(json.dumps({"mpps": round(mpps, 3), "samples": [round(x, 3) for x in per_s],
                      "window_s": round(last[0] - first[0], 2), "packets": last[1] - first[1]}))


def cmd_add(args):
    db = arg(args, "--db")
    rec = {}
    for kv in args[args.index("--db") + 2:]:
        k, _, v = kv.partition("=")
        try:
            rec[k] = json.loads(v)
        except ValueError:
            rec[k] = v
    with open(db, "a") as f:
        f.write(json.dumps(rec) + "\n")


def load(db):
    recs = []
    if os.path.exists(db):
        with open(db) as f:
            for line in f:
                line = line.strip()
                if line:
                    recs.append(json.loads(line))
    return recs


def fmt(x, nd=2):
    if x is None:
        return "-"
    if isinstance(x, float):
        return ("{:.%df}" % nd).format(x)
    return str(x)


def cmd_report(args):
    recs = load(arg(args, "--db"))
    results = arg(args, "--results")
    plot = arg(args, "--plot")
    cmd = arg(args, "--cmd")
    meta = next((r for r in recs if r.get("kind") == "meta"), {})
    fwd = [r for r in recs if r.get("kind") == "fwd"]

    def rv(r):
        # A run's figure: the median of its 1-s samples (robust to a stalled second on a shared
        # machine); the whole-window mean is in the details.
        return statistics.median(r["samples"]) if r.get("samples") else r.get("mpps")

    def med(name):
        xs = [rv(r) for r in fwd if r["name"] == name and rv(r) is not None]
        return statistics.median(xs) if xs else None

    def spread(name):
        xs = [s for r in fwd if r["name"] == name for s in r.get("samples", [])]
        return (min(xs), max(xs)) if xs else None

    refs, last_tp = {}, None
    for r in fwd:
        if r["name"] == "testpmd-io":
            last_tp = rv(r)
        elif r.get("ref") is not None:
            refs[id(r)] = last_tp
    names = []
    for r in fwd:
        # The multi-core runs have rows of their own.
        if r["name"] not in names and not re.search(r"-(scale|2w|2c)$", r["name"]):
            names.append(r["name"])
    ceiling = med("testpmd-io")
    rows = []  # figure, value, baseline, ratio

    def row(fig, val, base, ratio, note=""):
        rows.append((fig, val, base, ratio, note))

    def paired(name):
        # Ratio to the testpmd io run made just before this one (same load conditions, as
        # near as a shared machine allows); median over the runs.
        xs = [rv(r) / refs[id(r)] for r in fwd
              if r["name"] == name and rv(r) and refs.get(id(r))]
        return statistics.median(xs) if xs else None

    def best(name):
        sp = spread(name)
        return sp[1] if sp else None

    for n in names:
        v = med(n)
        if n == "testpmd-io":
            row("forwarding %s (1 core), Mpps" % n, fmt(v), "-", "1.00",
                "the ceiling: I/O only; goal for ferrosai-1M: ratio >= 0.8")
            continue
        base = ceiling
        pr = paired(n)
        row("forwarding %s (1 core), Mpps" % n, fmt(v), "testpmd io %s" % fmt(base),
            fmt(pr if pr is not None else (v / base if v and base else None)),
            "ratio: median over runs of (Mpps / the testpmd io run just before); median/median"
            " %s%s" % (fmt(v / base if v and base else None),
                       "; goal >= 0.8" if n == "ferrosai-1M" else ""))
        for rn in ("1k", "100k", "1M"):
            if n != "ferrosai-" + rn:
                continue
            for lk in ("lpm", "fib"):
                b = med("l3fwd-%s-%s" % (lk, rn))
                pa, pb = paired(n), paired("l3fwd-%s-%s" % (lk, rn))
                if b:
                    row("forwarding ferrosai-%s vs l3fwd %s with the same routes, Mpps"
                        % (rn, lk.upper()), fmt(v), "l3fwd-%s-%s %s" % (lk, rn, fmt(b)),
                        fmt(pa / pb if pa and pb else (v / b if v else None)),
                        "quotient of the two ratios to testpmd io; direct Mpps ratio %s%s"
                        % (fmt(v / b if v else None),
                           "; goal >= 1.5 vs LPM" if lk == "lpm" else ""))
    for r in recs:
        if r.get("kind") == "scale":  # whole-window means of the two runs
            row("multi-core %s: 2 forwarding cores vs 1, Mpps" % r["name"], fmt(r.get("mpps2")),
                "1 core %s" % fmt(r.get("mpps1")),
                fmt(r["mpps2"] / r["mpps1"] if r.get("mpps1") and r.get("mpps2") else None),
                "scaling efficiency %s" % fmt(r["mpps2"] / (2 * r["mpps1"])
                                              if r.get("mpps1") and r.get("mpps2") else None))
    for r in recs:
        if r.get("kind") == "graph":
            row("graph alone %s, ns/pkt (median)" % r["name"], fmt(r.get("ns")), "-", "-",
                "%s cycles/pkt at %s GHz" % (fmt(r.get("cycles"), 0), r.get("ghz")))
        if r.get("kind") == "instr":
            row("graph alone %s, instructions/pkt (callgrind)" % r["name"], fmt(r.get("ipp"), 1),
                "-", "-", "Worker::process only, %s packets" % fmt(r.get("packets")))
    for r in recs:
        if r.get("kind") == "prog":
            row("ring programming %s routes: add, routes/s" % fmt(r["routes"]),
                fmt(r.get("add_rate"), 0), "-", "-",
                "%s s on a fresh forwarder (again after a flush: %s routes/s)%s"
                % (fmt(r.get("add_s"), 3), fmt(r.get("add2_rate"), 0),
                   "; goal 1M in < 1 s" if r["routes"] == 1000000 else ""))
            if r.get("del_rate"):
                row("ring programming %s routes: withdraw, routes/s" % fmt(r["routes"]),
                    fmt(r.get("del_rate"), 0), "-", "-", "%s s" % fmt(r.get("del_s"), 3))
        if r.get("kind") == "sai-prog":
            row(r["name"], fmt(r.get("value"), 0), "-", "-", r.get("note", ""))
    for r in recs:
        if r.get("kind") != "latency":
            continue
        d = r["data"]
        for ph in d.get("phases", []):
            row("latency ferrosai-fwd 1k routes at %d%% of max (%s pps): p50 / p99 / p99.9, us"
                % (round(ph["load"] * 100), fmt(ph.get("pps"))),
                "%s / %s / %s" % (fmt(ph.get("p50_us"), 1), fmt(ph.get("p99_us"), 1),
                                  fmt(ph.get("p999_us"), 1)), "-", "-",
                "af_packet veths, Python sender; path max %s pps; %s of %s received%s"
                % (fmt(d.get("max_pps")), fmt(ph.get("received")), fmt(ph.get("sent")),
                   "; goal p99.9 < 20 us" if ph["load"] == 0.5 else ""))
    mem = {r["routes"]: r for r in recs if r.get("kind") == "mem"}
    if mem:
        base = mem.get(0, {}).get("rss_kb")
        for n in sorted(mem):
            rss = mem[n]["rss_kb"]
            bpr = ((rss - base) * 1024 / n) if (n and base is not None) else None
            row("ferrosai-fwd RSS at %s routes, MB" % fmt(n), fmt(rss / 1024, 1),
                "0 routes %s" % fmt(base / 1024 if base else None, 1), "-",
                ("%s bytes/route" % fmt(bpr, 0)) if bpr is not None else "EAL + mbuf pool")
    for r in recs:
        if r.get("kind") == "missing":
            row(r["name"], "not measured", "-", "-", r["why"])

    date = meta.get("date", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    cpu = meta.get("cpu", "?")
    top = ["# Results", "",
           "Generated by `%s` on %s; CPU: %s (%s cores), load average at start %s. "
           "Ratios are against baselines run in the same invocation on the same machine; the machine"
           " is shared, so read ratios, not absolute values. Details: \"Side-by-side runner\" below."
           % (cmd, date, cpu, meta.get("cores", "?"), meta.get("load", "?")), "",
           "| figure | value | baseline | ratio | note | command | date | CPU |",
           "|---|---|---|---|---|---|---|---|"]
    for fig, val, base, ratio, note in rows:
        top.append("| %s | %s | %s | %s | %s | `%s` | %s | %s |" % (fig, val, base, ratio, note,
                                                                   cmd, date.split(" ")[0], cpu))
    top.append("")
    detail = ["## Side-by-side runner", ""]
    detail += open(arg(args, "--detail")).read().rstrip().split("\n") if "--detail" in args else []
    # Where the forwarding core's time goes: total ns/packet (1 / Mpps) against the graph alone.
    g = {r["name"].split(" ")[0]: r["ns"] for r in recs if r.get("kind") == "graph"}
    tp = med("testpmd-io")
    obs = []
    for rn in ("1k", "1M"):
        v = med("ferrosai-" + rn)
        if v and rn in g:
            tot = 1000.0 / v
            obs.append("ferrosai-%s: %.0f ns/packet of wall-clock time (1 / %.2f Mpps, includes any preemption of the worker);"
                       " the graph alone needs %.1f ns/packet (criterion median), so about %.0f"
                       " ns/packet go to I/O and the worker loop%s." % (
                           rn, tot, v, g[rn], tot - g[rn],
                           " (testpmd io: %.0f ns/packet for rx + tx of the same vdevs)"
                           % (1000.0 / tp) if tp else ""))
    if obs:
        detail.append("")
        detail.append("Observations from this run (computed):")
        detail.append("")
        for o in obs:
            detail.append("- " + o)
    detail.append("")
    detail.append("Forwarding runs (per-second samples of the sink's tx counter, Mpps):")
    detail.append("")
    detail.append("| contestant | Mpps (median of 1-s samples) | whole-window mean | 1-s samples"
                  " min-max | window s | testpmd io just before | ratio |")
    detail.append("|---|---|---|---|---|---|---|")
    for r in fwd:
        sp = r.get("samples") or []
        ref = refs.get(id(r))
        detail.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            r["name"], fmt(rv(r)), fmt(r.get("mpps")),
            ("%s-%s" % (fmt(min(sp)), fmt(max(sp)))) if sp else "-", fmt(r.get("window_s")),
            fmt(ref), fmt(rv(r) / ref if ref and rv(r) else None)))
    detail.append("")

    # Keep the other engineers' sections verbatim.
    kept = []
    if os.path.exists(results):
        text = open(results).read()
        parts = re.split(r"(?m)^(?=## )", text)
        for p in parts[1:]:
            if not p.startswith("## Side-by-side runner"):
                kept.append(p.rstrip() + "\n")
    out = "\n".join(top) + "\n" + "\n".join(detail) + "\n" + "\n".join(kept)
    with open(results + ".tmp", "w") as f:
        f.write(out)
    os.replace(results + ".tmp", results)
    draw(recs, names, med, plot)


def draw(recs, names, med, plot):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed (Debian: python3-matplotlib): no plot", file=sys.stderr)
        return
    progs = [r for r in recs if r.get("kind") == "prog"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), dpi=80)
    ax = axes[0]
    vals = [med(n) or 0 for n in names]
    colors = ["#888888" if n.startswith("testpmd") else "#d08020" if n.startswith("l3fwd")
              else "#2060c0" for n in names]
    ax.barh(range(len(names)), vals, color=colors)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("Mpps, 64-byte IPv4/UDP (pcap infinite_rx -> null)")
    ax.set_title("Forwarding (median of runs)", fontsize=10)
    for i, v in enumerate(vals):
        ax.text(v, i, " %.1f" % v, va="center", fontsize=7)
    ax = axes[1]
    if progs:
        xs = sorted({r["routes"] for r in progs})
        for key, lab in (("add_rate", "add"), ("del_rate", "withdraw")):
            pts = [(r["routes"], r[key]) for r in progs if r.get(key)]
            pts.sort()
            if pts:
                ax.plot([p[0] for p in pts], [p[1] / 1e6 for p in pts], "o-", label=lab)
        ax.set_xscale("log")
        ax.set_xticks(xs)
        ax.set_xticklabels([("%dk" % (x // 1000)) if x < 10**6 else "%dM" % (x // 10**6)
                            for x in xs])
        ax.legend(fontsize=8)
    ax.set_xlabel("routes programmed (ring -> forwarder FIB)")
    ax.set_ylabel("M routes/s")
    ax.set_title("Route programming through the ring", fontsize=10)
    fig.tight_layout()
    fig.savefig(plot)


MAGIC = b"FSBL"


def read_pcap(path):
    import struct
    d = open(path, "rb").read()
    # Either byte order (pcap-file writes big-endian by default).
    end = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    off, out = 24, []
    while off + 16 <= len(d):
        incl = struct.unpack_from(end + "I", d, off + 8)[0]
        out.append(bytearray(d[off + 16:off + 16 + incl]))
        off += 16 + incl
    return out


def lat_receiver(rx_if, seconds, conn):
    import struct
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
    s.setsockopt(socket.SOL_SOCKET, 35, 1)  # SO_TIMESTAMPNS
    s.bind((rx_if, 0))
    s.settimeout(0.2)
    conn.send("ready")
    lats, n = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            data, anc, _, _ = s.recvmsg(128, 64)
        except socket.timeout:
            continue
        if len(data) < 58 or data[42:46] != MAGIC:
            continue
        n += 1
        for lvl, typ, val in anc:
            if lvl == socket.SOL_SOCKET and typ == 35 and len(val) >= 16:
                sec, nsec = struct.unpack("qq", val[:16])
                lats.append(sec * 1_000_000_000 + nsec - struct.unpack_from("<q", data, 50)[0])
    conn.send((n, lats))


def lat_phase(tx, rx_if, frames, rate, seconds):
    import multiprocessing as mp
    import struct
    a, b = mp.Pipe()
    p = mp.Process(target=lat_receiver, args=(rx_if, seconds + 1.5, b))
    p.start()
    a.recv()
    nf = len(frames)
    sent = 0
    t0 = time.perf_counter()
    end = t0 + seconds
    gap = 1.0 / rate if rate else 0.0
    nxt = t0
    while True:
        now = time.perf_counter()
        if now >= end:
            break
        if gap:
            if now < nxt:
                continue
            nxt += gap
        f = frames[sent % nf]
        struct.pack_into("<I", f, 46, sent & 0xffffffff)
        struct.pack_into("<q", f, 50, time.time_ns())
        tx.send(f)
        sent += 1
    elapsed = time.perf_counter() - t0
    n, lats = a.recv()
    p.join()
    return sent, n, elapsed, lats


def pct(xs, q):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def cmd_latency(args):
    tx_if, rx_if = arg(args, "--tx"), arg(args, "--rx")
    dur = float(arg(args, "--duration", "3"))
    frames = read_pcap(arg(args, "--pcap"))[:4096]
    for f in frames:
        f[42:46] = MAGIC
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    tx.bind((tx_if, 0))
    sent, n, el, _ = lat_phase(tx, rx_if, frames, 0, 2.0)
    maxr = n / el
    out = {"max_pps": round(maxr), "max_sent_pps": round(sent / el), "phases": []}
    for frac in (0.1, 0.5, 0.9):
        sent, n, el, lats = lat_phase(tx, rx_if, frames, frac * maxr, dur)
        us = [x / 1000.0 for x in lats]
        out["phases"].append({"load": frac, "pps": round(sent / el), "sent": sent, "received": n,
                              "p50_us": pct(us, 0.5), "p99_us": pct(us, 0.99),
                              "p999_us": pct(us, 0.999), "max_us": max(us) if us else None})
    print(json.dumps(out))


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    c, a = sys.argv[1], sys.argv[2:]
    {"rate": cmd_rate, "add": cmd_add, "report": cmd_report, "latency": cmd_latency}.get(
        c, lambda _: (_ for _ in ()).throw(SystemExit(__doc__)))(a)


if __name__ == "__main__":
    main()
