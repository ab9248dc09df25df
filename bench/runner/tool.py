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


def fib_load_rates(recs):
    """l3fwd --lookup=fib route loading rate per route count (>= 100k): (N - 1k) routes over
    (load seconds at N - load seconds at 1k), the 1k run standing for the fixed start-up cost.
    {N: (routes/s, seconds at N, seconds at 1k)}."""
    loads = {r["routes"]: r["seconds"] for r in recs if r.get("kind") == "load"
             and r["name"].startswith("l3fwd-fib-") and r.get("seconds") is not None}
    t1k = loads.get(1000)
    out = {}
    for n, t in loads.items():
        if n >= 100000 and t1k is not None and t > t1k:
            out[n] = ((n - 1000) / (t - t1k), t, t1k)
    return out


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
            row("forwarding %s (1 core), Mpps" % n, fmt(v), "itself: the ceiling", "1.00",
                "I/O only (rx + tx of the same vdevs, no lookup); goal for ferrosai-1M: ratio >= 0.8")
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
                "scaling efficiency %s (2 workers on a 2-vCPU machine also share it with the"
                " control thread, the sampler and everything else)"
                % fmt(r["mpps2"] / (2 * r["mpps1"]) if r.get("mpps1") and r.get("mpps2") else None))
    graph = {r["name"]: r for r in recs if r.get("kind") == "graph"}
    g1k = graph.get("1k routes, frame 256")
    for r in graph.values():
        cyc = r.get("cycles")
        rel = ""
        if g1k and r is not g1k and g1k.get("ns"):
            rel = "; %s x the 1k-route figure" % fmt(r["ns"] / g1k["ns"])
        row("graph alone %s, cycles/pkt (median of %s runs)" % (r["name"], r.get("runs", 1)),
            fmt(cyc, 0), "goal 50 cycles", fmt(cyc / 50.0 if cyc else None),
            "%s ns/pkt at %s GHz (ns x the clock in /proc/cpuinfo); runs %s-%s cycles (each run:"
            " the median of its frames; the first run is criterion's)%s" % (
                fmt(r.get("ns"), 1), r.get("ghz"), fmt(r.get("min_cycles"), 0),
                fmt(r.get("max_cycles"), 0), rel))
    for r in recs:
        if r.get("kind") != "graphnodes":
            continue
        nodes = r.get("nodes", [])
        row("graph alone %s per node (show runtime), ns/pkt" % r["name"],
            ", ".join("%s %s" % (nd, fmt(ns, 1)) for nd, ns in nodes),
            "whole frame %s ns/pkt" % fmt(r.get("frame_ns"), 1),
            fmt(r["in_nodes_ns"] / r["frame_ns"] if r.get("frame_ns") else None),
            "ratio: time inside nodes / frame time (the rest: dispatch, frame setup); best of 16"
            " rounds of 128 frames with a clock read around each node; a node at 0 had its work"
            " done inside another node's timed span (fused fast path)")
    for r in recs:
        if r.get("kind") == "instr":
            key = r["name"].replace(" routes", "") + " routes, frame 256"
            g = graph.get(key)
            cyc = g.get("cycles") if g else None
            row("graph alone %s, instructions/pkt (callgrind)" % r["name"], fmt(r.get("ipp"), 1),
                ("%s cycles/pkt (median of runs, this invocation)" % fmt(cyc, 0)) if cyc else "-",
                fmt(r["ipp"] / cyc if cyc else None),
                "ratio = instructions per cycle (the cycles are ns x the /proc/cpuinfo clock: a"
                " core boosting above it makes this ratio too high); Worker::process only, %s"
                " packets" % fmt(r.get("packets")))
        if r.get("kind") == "perf":
            row("graph alone %s, cycles/pkt (perf stat)" % r["name"], fmt(r.get("cpp"), 1),
                "goal 50 cycles", fmt(r["cpp"] / 50.0 if r.get("cpp") else None),
                "%s instructions/pkt; (1024 - 256 frames) difference, setup cancelled"
                % fmt(r.get("ipp"), 1))
    # Route programming. Baseline: DPDK's own FIB (rte_fib, l3fwd --lookup=fib) loading the
    # same routes in the same run, where the set is large enough to time (>= 100k).
    lrates = fib_load_rates(recs)
    prog = {r["routes"]: r for r in recs if r.get("kind") == "prog"}
    for n in sorted(prog):
        r = prog[n]
        ld = lrates.get(n)
        lrate = ld[0] if ld else None
        goal = "; goal 1M in < 1 s (%s of it)" % fmt(r.get("add_rate", 0) / 1e6) if n == 1000000 else ""
        if lrate:
            base, ratio = "l3fwd FIB loads them at %s routes/s" % fmt(lrate, 0), \
                fmt(r["add_rate"] / lrate if r.get("add_rate") else None)
            note = ("%s s on a fresh forwarder (again after a flush: %s routes/s); baseline: l3fwd"
                    " --lookup=fib from EAL up to forwarding, %s s, minus the same for 1k routes"
                    " (%s s): rule file parsing + rte_fib adds%s"
                    % (fmt(r.get("add_s"), 3), fmt(r.get("add2_rate"), 0), fmt(ld[1], 2),
                       fmt(ld[2], 2), goal))
        else:
            base, ratio = "goal 1000000 routes/s", fmt(r["add_rate"] / 1e6 if r.get("add_rate") else None)
            why = ("too few routes to time l3fwd's load" if n < 100000 else
                   "l3fwd's start-up with these routes took no longer than with 1k in this run"
                   " (start-up noise), so no rte_fib rate")
            note = ("%s s on a fresh forwarder (again after a flush: %s routes/s); %s"
                    % (fmt(r.get("add_s"), 3), fmt(r.get("add2_rate"), 0), why))
        note += ("; measured while the worker forwards the pcap traffic at full speed (it starts"
                 " with the ports), so the control thread and this client share 2 vCPUs with a"
                 " busy worker; the SAI rows' forwarder has idle ports")
        row("ring programming %s routes: add, routes/s" % fmt(n), fmt(r.get("add_rate"), 0),
            base, ratio, note)
        if r.get("del_rate"):
            row("ring programming %s routes: withdraw, routes/s" % fmt(n),
                fmt(r.get("del_rate"), 0), "add %s routes/s" % fmt(r.get("add_rate"), 0),
                fmt(r["del_rate"] / r["add_rate"] if r.get("add_rate") else None),
                "%s s" % fmt(r.get("del_s"), 3))
    sai = [r for r in recs if r.get("kind") == "sai-prog"]
    p1m = prog.get(1000000, {})
    sai_by = {(r.get("family"), r.get("op")): r for r in sai}
    for r in sai:
        fam, op = r.get("family"), r.get("op")
        if fam == "IPv4" and op == "bulk create":
            b, bl = p1m.get("add_rate"), "ring add 1M (forwarder side alone, busy worker) %s routes/s"
        elif fam == "IPv4" and op == "bulk remove":
            b, bl = p1m.get("del_rate"), "ring withdraw 1M (forwarder side alone, busy worker) %s routes/s"
        elif fam == "IPv4" and op == "single":
            b, bl = sai_by.get(("IPv4", "bulk create"), {}).get("value"), "IPv4 bulk create %s routes/s"
        elif op == "bulk create":
            b, bl = sai_by.get(("IPv4", "bulk create"), {}).get("value"), "IPv4 bulk create %s routes/s"
        else:
            b, bl = sai_by.get((fam, "bulk create"), {}).get("value"), fam + " bulk create %s routes/s"
        row(r["name"], fmt(r.get("value"), 0), (bl % fmt(b, 0)) if b else "-",
            fmt(r["value"] / b if b and r.get("value") else None), r.get("note", ""))
    lat = [r["data"] for r in recs if r.get("kind") == "latency" and isinstance(r.get("data"), dict)]
    for d in lat:
        f, b = d.get("fwd", {}), d.get("base", {})
        sb = f.get("bound") == "sender"
        row("latency path max rate (< %s%% loss), ferrosai-fwd %s routes on af_packet veths, pps"
            % (fmt(d.get("loss_limit", 0.001) * 100, 1), fmt(d.get("routes"))),
            fmt(f.get("max_pps")), "direct veth pair %s" % fmt(b.get("max_pps")),
            fmt(f["max_pps"] / b["max_pps"] if f.get("max_pps") and b.get("max_pps") else None),
            ("sender-bound: the forwarder lost < %s%% at the tool's own ceiling (one thread,"
             " one send and one receive system call per frame), so its own maximum on this"
             " path is higher" % fmt(d.get("loss_limit", 0.001) * 100, 1)) if sb else
            "loss-bound: bisection over %s paced trials of %s s" % (
                len(f.get("search", [])) - 1, fmt(d.get("trial_s"))))
        for ph in d.get("phases", []):
            pf, pb = ph.get("fwd", {}), ph.get("base", {})

            def trip(p):
                return "%s / %s / %s" % (fmt(p.get("p50_us"), 1), fmt(p.get("p99_us"), 1),
                                         fmt(p.get("p999_us"), 1))

            def q(k):
                return fmt(pf[k] / pb[k] if pf.get(k) and pb.get(k) else None)

            def dlt(k):
                return fmt(pf[k] - pb[k] if pf.get(k) is not None and pb.get(k) is not None
                           else None, 1)
            row("latency ferrosai-fwd %s routes at %d%% of max (%s pps): p50 / p99 / p99.9, us"
                % (fmt(d.get("routes")), round(ph["load"] * 100), fmt(ph.get("pps"))),
                trip(pf), ("direct veth %s" % trip(pb)) if pb else "-",
                "%s / %s / %s" % (q("p50_us"), q("p99_us"), q("p999_us")) if pb else "-",
                "forwarder adds %s / %s / %s us; max %s us (direct %s); sent %s pps; lost %s of %s"
                " (direct: %s of %s); VM steal time during the phase %s ms (direct %s ms)%s" % (
                    dlt("p50_us"), dlt("p99_us"), dlt("p999_us"), fmt(pf.get("max_us"), 0),
                    fmt(pb.get("max_us"), 0), fmt(pf.get("pps")), fmt(pf.get("lost")),
                    fmt(pf.get("sent")), fmt(pb.get("lost")), fmt(pb.get("sent")),
                    fmt(pf.get("steal_ms")), fmt(pb.get("steal_ms")),
                    "; goal p99.9 < 20 us" if ph["load"] == 0.5 else ""))
    mem = {r["routes"]: r for r in recs if r.get("kind") == "mem"}
    rss = {r["name"]: r for r in recs if r.get("kind") == "rss"}
    if mem:
        base = mem.get(0, {}).get("rss_kb")
        for n in sorted(mem):
            v = mem[n]["rss_kb"]
            bpr = ((v - base) * 1024 / n) if (n and base is not None) else None
            if n == 0:
                tp = rss.get("testpmd-io", {}).get("rss_kb")
                row("ferrosai-fwd RSS at 0 routes, MB", fmt(v / 1024, 1),
                    "testpmd io %s" % fmt(tp / 1024 if tp else None, 1),
                    fmt(v / tp if tp else None),
                    "EAL memory in use + 131071-mbuf pool; testpmd io: same EAL options"
                    " (--no-huge -m %s) and pool size, resident after start" % meta.get("mem_mb", "?"))
                continue
            row("ferrosai-fwd RSS at %s routes, MB" % fmt(n), fmt(v / 1024, 1),
                "0 routes %s" % fmt(base / 1024 if base else None, 1),
                fmt(v / base if base else None),
                "%s bytes/route over 0 routes (FIB, prefix store, route map)" % fmt(bpr, 0))
    for r in recs:
        if r.get("kind") == "saimem":
            fw = mem.get(1000000, {}).get("rss_kb")
            fbpr = (fw - mem[0]["rss_kb"]) * 1024 / 1e6 if fw and mem.get(0) else None
            row("libsai store memory per stored route (%s IPv4 routes, bulk create), bytes"
                % fmt(r.get("routes")), fmt(r.get("bytes_per_route"), 0),
                "ferrosai-fwd %s bytes/route" % fmt(fbpr, 0) if fbpr else "-",
                fmt(r["bytes_per_route"] / fbpr if fbpr else None),
                "RSS growth of a process holding a sai-store with the routes (%s MB); this is"
                " all of libsai's per-route memory (sai-dataplane keeps no copy of routes)" % fmt(
                    r.get("delta_kb", 0) / 1024, 1))
    for r in recs:
        if r.get("kind") == "missing":
            why = r["why"]
            pts = r.get("lpm_load")
            if pts and len(pts) >= 2:
                (t0, c0), (t1, c1) = pts[-2], pts[-1]
                why += ("; measured: %s routes loaded %s s after EAL init, %s routes/s over the"
                        " last %s s (%s) - 1M would take %s" % (
                            fmt(c1), fmt(t1, 0), fmt((c1 - c0) / (t1 - t0) if t1 > t0 else None, 0),
                            fmt(t1 - t0, 0),
                            "from %s routes/s over the first %s s" % (
                                fmt(pts[1][1] / pts[1][0] if pts[1][0] else None, 0),
                                fmt(pts[1][0], 0)),
                            "more than %s s at that rate" % fmt(
                                t1 + (1e6 - c1) / ((c1 - c0) / (t1 - t0)), 0)
                            if c1 > c0 and t1 > t0 else "unbounded"))
            row(r["name"], "not measured", "-", "-", why)

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
                       " the graph alone needs %.1f ns/packet (median of runs), so about %.0f"
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
    for lr in (r for r in recs if r.get("kind") == "latency" and isinstance(r.get("data"), dict)):
        d = lr["data"]
        detail.append("Latency trials (`bench-runner latency`; us; \"lag\": the sender's largest"
                      " delay behind its schedule, \"skipped\": schedule slots dropped after a lag"
                      " > 50 us, \"preempted\": involuntary context switches of the tool's thread,"
                      " \"steal\": ms the hypervisor took from the VM's CPUs during the trial;"
                      " search = the max-rate trials, %s s each):" % fmt(d.get("trial_s")))
        detail.append("")
        fp = lr.get("fwd_preempted")
        if isinstance(fp, dict) and fp:
            detail.append("Involuntary context switches of the forwarder's threads over the whole"
                          " latency run: " + ", ".join("%s %d" % (k, v) for k, v in sorted(fp.items())
                                                       if v) + ".")
            detail.append("")
        detail.append("| path | trial | target pps | sent pps | sent | lost | min | p50 | p90 | p99"
                      " | p99.9 | max | lag | skipped | preempted | steal |")
        detail.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")

        def tr(path, what, t):
            detail.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |"
                          % (path, what, fmt(t.get("target_pps"), 0) if t.get("target_pps") else
                             "unpaced", fmt(t.get("pps"), 0), fmt(t.get("sent")),
                             fmt(t.get("lost")), fmt(t.get("min_us"), 1), fmt(t.get("p50_us"), 1),
                             fmt(t.get("p90_us"), 1), fmt(t.get("p99_us"), 1),
                             fmt(t.get("p999_us"), 1), fmt(t.get("max_us"), 0),
                             fmt(t.get("max_lag_us"), 0), fmt(t.get("skipped")),
                             fmt(t.get("preempted")), fmt(t.get("steal_ms"))))
        for key, path in (("fwd", "forwarder"), ("base", "direct veth")):
            for t in d.get(key, {}).get("search", []):
                tr(path, "search", t)
        for ph in d.get("phases", []):
            for key, path in (("fwd", "forwarder"), ("base", "direct veth")):
                if key in ph:
                    tr(path, "%d%% of max" % round(ph["load"] * 100), ph[key])
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
    sizes = {"1k": 1000, "100k": 100000, "1M": 1000000}
    lat = [r["data"] for r in recs if r.get("kind") == "latency" and isinstance(r.get("data"), dict)]
    fig, axes = plt.subplots(1, 3 if lat else 2, figsize=(15 if lat else 10, 5.4), dpi=80)
    # Forwarding curves: Mpps against the number of routes, one line per contestant.
    ax = axes[0]
    for prefix, lab, col in (("ferrosai-", "ferrosai-fwd", "#2060c0"),
                             ("l3fwd-lpm-", "l3fwd LPM", "#d08020"),
                             ("l3fwd-fib-", "l3fwd FIB", "#20a040")):
        pts = [(sizes[n[len(prefix):]], med(n)) for n in names
               if n.startswith(prefix) and n[len(prefix):] in sizes and med(n)]
        pts.sort()
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color=col, label=lab)
            for x, y in pts:
                ax.annotate("%.1f" % y, (x, y), textcoords="offset points", xytext=(0, 5),
                            fontsize=7, ha="center", color=col)
    tp = med("testpmd-io")
    if tp:
        ax.axhline(tp, color="#888888", linestyle="--", label="testpmd io (ceiling) %.1f" % tp)
    ax.set_xscale("log")
    ax.set_xticks(list(sizes.values()))
    ax.set_xticklabels(list(sizes.keys()))
    ax.set_ylim(bottom=0)
    ax.set_xlabel("routes (BGP-like mix)")
    ax.set_ylabel("Mpps, 64-byte IPv4/UDP, 1 core")
    ax.set_title("Forwarding: pcap infinite_rx -> null, median of runs", fontsize=10)
    ax.legend(fontsize=7, loc="lower left")
    # Route programming: routes/s against the number of routes.
    ax = axes[1]
    progs = sorted((r for r in recs if r.get("kind") == "prog"), key=lambda r: r["routes"])
    for key, lab, st in (("add_rate", "ring add (forwarder side)", "o-"),
                         ("del_rate", "ring withdraw", "s-")):
        pts = [(r["routes"], r[key]) for r in progs if r.get(key)]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] / 1e6 for p in pts], st, label=lab)
    fl = sorted((n, v[0]) for n, v in fib_load_rates(recs).items())
    if fl:
        ax.plot([p[0] for p in fl], [p[1] / 1e6 for p in fl], "^--", color="#20a040",
                label="l3fwd FIB load (rte_fib)")
    for r in recs:
        if r.get("kind") == "missing" and r.get("lpm_load") and len(r["lpm_load"]) >= 2:
            (t0, c0), (t1, c1) = r["lpm_load"][-2], r["lpm_load"][-1]
            if t1 > t0 and c1 > 0:
                ax.plot([c1], [(c1 - c0) / (t1 - t0) / 1e6], "v", color="#d08020",
                        label="l3fwd LPM load, rate at %dk loaded" % (c1 // 1000))
    marks = {"bulk create": "D", "bulk remove": "x", "single": "+"}
    for r in recs:
        if r.get("kind") == "sai-prog" and r.get("value"):
            m = re.search(r", (\d+) IPv", r["name"])
            if m:
                ax.plot([int(m.group(1))], [r["value"] / 1e6], marks.get(r.get("op"), "*"),
                        color="#a02060" if r.get("family") == "IPv4" else "#6020a0",
                        label="SAI %s %s" % (r.get("family", ""), r.get("op", "")))
    ax.set_xscale("log")
    ax.set_xticks(list(sizes.values()))
    ax.set_xticklabels(list(sizes.keys()))
    ax.set_ylim(bottom=0)
    ax.set_xlabel("routes programmed")
    ax.set_ylabel("M routes/s (until in the FIB)")
    ax.set_title("Route programming", fontsize=10)
    ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)
    if lat:
        ax = axes[2]
        d = lat[0]
        phs = d.get("phases", [])
        xs = range(len(phs))
        for key, lab, col in (("fwd", "forwarder", "#2060c0"), ("base", "direct veth", "#888888")):
            for q, st in (("p50_us", "o-"), ("p99_us", "s--"), ("p999_us", "^:")):
                ys = [ph.get(key, {}).get(q) for ph in phs]
                if any(y for y in ys):
                    ax.plot(list(xs), [y or float("nan") for y in ys], st, color=col,
                            label="%s %s" % (lab, q.replace("_us", "").replace("p999", "p99.9")))
        ax.set_yscale("log")
        ax.set_xticks(list(xs))
        ax.set_xticklabels(["%d%%\n%s pps" % (round(ph["load"] * 100), fmt(ph.get("pps")))
                            for ph in phs], fontsize=8)
        ax.axhline(20, color="#c02020", linewidth=0.8, linestyle="-.", label="goal p99.9 at 50%: 20 us")
        ax.set_ylabel("latency, us (log)")
        ax.set_xlabel("load (of the forwarder path's max, %s pps)" % fmt(d.get("fwd", {}).get("max_pps")),
                      fontsize=8)
        ax.set_title("Latency: af_packet veths, %s routes" % fmt(d.get("routes")), fontsize=10)
        ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3)
    fig.tight_layout()
    fig.savefig(plot)


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    c, a = sys.argv[1], sys.argv[2:]
    {"rate": cmd_rate, "add": cmd_add, "report": cmd_report}.get(
        c, lambda _: (_ for _ in ()).throw(SystemExit(__doc__)))(a)


if __name__ == "__main__":
    main()
