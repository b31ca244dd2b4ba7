#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py OUTDIR: turns OUTDIR/bench.json (written by fanbench in the VM)
into report.json, report.md (printed) and bench.png, and checks the targets.

Ratios are computed per round (each round runs every configuration once,
interleaved) and summarised as median [min, max] over the rounds."""

import argparse
import datetime
import json
import os
import statistics

# File depths of the per-event cost runs (fanbench.c's depths[]).
DEPTHS = (1, 2, 4, 8, 16, 32)

NAMES = {
    "a": "no fanotify",
    "b": "fanotify, filter in user space",
    "c": "fanotify + Rust subtree filter",
    "d": "fanotify + C subtree_c filter",
    "e": "inotify on the subtree",
    "f": "fanotify + BPF bpf_subtree filter",
}


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def fmt(s, spec=".3f"):
    return f"{s['median']:{spec}} [{s['min']:{spec}}, {s['max']:{spec}}]"


def analyse(raw):
    # fanbench -g: the many-groups runs only.
    if "configs" not in raw:
        res = {"targets": {}}
        analyse_groups_targets(raw, res)
        return res
    rounds = raw["rounds"]
    cfg = raw["configs"]
    a_work = cfg["a"]["workload"]["runs"]
    res = {"configs": {}, "micro": {}, "targets": {}}
    for key, name in NAMES.items():
        if key not in cfg:
            continue  # (f) needs a kernel with BPF filters
        c = cfg[key]
        # Throughput ratio to (a) in the same round; (e) also counting the
        # time to set the watches up.
        ratio = [a_work[r] / c["workload"]["runs"][r] for r in range(rounds)]
        ratio_setup = [a_work[r] / (c["workload"]["runs"][r] + c["setup"]["runs"][r])
                       for r in range(rounds)]
        res["configs"][key] = {
            "name": name,
            "workload_s": summary(c["workload"]["runs"]),
            "throughput_vs_a": summary(ratio),
            "throughput_vs_a_with_setup": summary(ratio_setup),
            "setup_s": summary(c["setup"]["runs"]),
            "delivered": summary(c["delivered"]["runs"]),
            "dropped_in_user_space": summary(c["outside"]["runs"]),
            "lost_in_subtree": max(c["missing"]["runs"]),
            "overflow": max(c["overflow"]["runs"]),
            "listener_cpu_s": summary(c["cpu"]["runs"]),
        }
    c_vs_d = [cfg["d"]["workload"]["runs"][r] / cfg["c"]["workload"]["runs"][r]
              for r in range(rounds)]
    res["c_throughput_vs_d"] = summary(c_vs_d)

    micro = raw["micro"]
    none = micro["none"]["runs"]

    def cost(key):
        return [micro[key]["runs"][r] - none[r] for r in range(rounds)]

    for key in micro:
        if key != "none":
            res["micro"][key] = summary(cost(key))
    res["micro"]["none_ns_per_op"] = summary(none)
    depth = raw["micro_depth"]
    cd = [micro[f"c_depth_{depth}"]["runs"][r] - none[r] for r in range(rounds)]
    dd = [micro[f"d_depth_{depth}"]["runs"][r] - none[r] for r in range(rounds)]
    res["micro"]["c_over_d_cost"] = summary([cd[r] / dd[r] for r in range(rounds)])
    res["micro"]["c_minus_d_cost"] = {
        str(d): res["micro"][f"c_depth_{d}"]["median"] - res["micro"][f"d_depth_{d}"]["median"]
        for d in DEPTHS}
    bpf = f"f_depth_{depth}" in micro
    if bpf:
        fd = [micro[f"f_depth_{depth}"]["runs"][r] - none[r] for r in range(rounds)]
        res["micro"]["f_over_d_cost"] = summary([fd[r] / dd[r] for r in range(rounds)])
    roots = [res["micro"][f"c_roots_{n}"]["median"] for n in (1, 10, 100, 1000)]
    flat = max(roots) / min(roots) - 1

    conf = res["configs"]
    res["targets"] = {
        "c_throughput_at_least_0.97_of_a": conf["c"]["throughput_vs_a"]["median"] >= 0.97,
        "c_within_5pct_of_d": abs(res["c_throughput_vs_d"]["median"] - 1) <= 0.05,
        "c_cost_flat_10pct_1_to_1000_roots": flat <= 0.10,
        # Issue 9: Rust costs no more than the C reference per skipped
        # event. Under icount 1 ns is one instruction; interrupts move a
        # median by a few hundredths, one more instruction moves it by 1.
        "c_cost_at_most_d_at_every_depth": all(
            res["micro"]["c_minus_d_cost"][str(d)] <= 0.5 for d in DEPTHS),
        **({"f_cost_within_10pct_of_d_at_every_depth": all(
            res["micro"][f"f_depth_{d}"]["median"] <= 1.10 * res["micro"][f"d_depth_{d}"]["median"]
            for d in DEPTHS)} if bpf else {}),
        "no_lost_in_subtree_c_d": conf["c"]["lost_in_subtree"] == 0
        and conf["d"]["lost_in_subtree"] == 0
        and not conf["c"]["overflow"] and not conf["d"]["overflow"],
    }
    res["roots_cost_spread"] = flat
    analyse_groups_targets(raw, res)
    return res


def analyse_groups_targets(raw, res):
    """The many-groups analysis and targets, into res."""
    if "groups" in raw:
        res["groups"] = analyse_groups(raw)
        g = res["groups"]
        res["targets"].update({
            "extra filtering group at most 100 instructions per skipped event":
            all(g["per_extra_group"][k]["median"] <= 100 for k in GROUP_FILTERS
                if k in g["per_extra_group"]),
            f"{g['counts'][-1]} filtering groups at least 0.5 of unwatched":
            all(g["throughput"][f"{k}_{g['counts'][-1]}"]["median"] >= 0.5
                for k in GROUP_FILTERS if f"{k}_{g['counts'][-1]}" in g["throughput"]),
            "no event lost or leaked with many groups":
            all(w["missing"] == 0 and w["outside"] == 0 for w in g["workload"].values()),
        })
        # The prototype of patches/prototype/, where the kernel has it.
        if "fanout" in g["per_extra_group"]:
            res["targets"].update({
                "prototype (fanout): extra member group at most 100 instructions "
                "per skipped event": g["per_extra_group"]["fanout"]["median"] <= 100,
                **({"prototype (fanout): extra member group at most 100 instructions "
                    "per event another member gets":
                    g["hit_per_extra_group"]["fanout"]["median"] <= 100}
                   if "fanout" in g["hit_per_extra_group"] else {}),
                f"prototype (fanout): {g['counts'][-1]} member groups at least 0.5 "
                "of unwatched": g["throughput"][f"fanout_{g['counts'][-1]}"]["median"] >= 0.5,
            })


# Kinds of the many-groups runs (fanbench.c's group_kinds[]) and names.
GROUP_KINDS = {
    "subtree": "Rust subtree",
    "subtree_c": "C subtree_c",
    "bpf_subtree": "BPF bpf_subtree",
    "inotify": "inotify, recursive",
    "fanout": "prototype: 1 dispatcher, N members (fanout)",
    "kind": "mark + hook, no walk (kind)",
    "ignored": "mark alone (ignore mask)",
}
GROUP_FILTERS = ("subtree", "subtree_c", "bpf_subtree")


def analyse_groups(raw):
    """Per-event cost by number of groups (instructions under icount), the
    cost of the second group and of each group beyond 10 (the slope from
    10 to the most groups), walks and shared placements per event, and
    the workload's throughput with that many groups, per round."""
    rounds = raw["rounds"]
    g = raw["groups"]
    counts = g["counts"]
    micro, work = g["micro"], g["workload"]
    none = micro["none"]["runs"]
    wnone = work["none"]["runs"]
    out = {"counts": counts, "cost": {}, "second_group": {}, "per_extra_group": {},
           "walks_per_event": {}, "shared_per_event": {}, "throughput": {},
           "workload": {}, "hit_cost": {}, "hit_per_extra_group": {}}
    lo, hi = counts[-2], counts[-1]

    def cost(key):
        """The series @key over no fanotify, per round."""
        return summary([micro[key]["runs"][r] - none[r] for r in range(rounds)])

    def slope(prefix):
        """Each group's cost beyond lo: the series @prefix<n>, lo to hi."""
        return summary([(micro[f"{prefix}{hi}"]["runs"][r] - micro[f"{prefix}{lo}"]["runs"][r])
                        / (hi - lo) for r in range(rounds)])

    for kind in GROUP_KINDS:
        if f"{kind}_{counts[0]}" not in micro:
            continue
        for n in counts:
            out["cost"][f"{kind}_{n}"] = cost(f"{kind}_{n}")
            if f"walks_{kind}_{n}" in micro:
                out["walks_per_event"][f"{kind}_{n}"] = micro[f"walks_{kind}_{n}"]["median"]
                out["shared_per_event"][f"{kind}_{n}"] = micro[f"shared_{kind}_{n}"]["median"]
        out["second_group"][kind] = summary(
            [micro[f"{kind}_2"]["runs"][r] - micro[f"{kind}_1"]["runs"][r]
             for r in range(rounds)])
        out["per_extra_group"][kind] = slope(f"{kind}_")
        # The event inside the first group's directory (fanbench "hit").
        if f"hit_{kind}_{counts[0]}" in micro:
            for n in counts:
                out["hit_cost"][f"{kind}_{n}"] = cost(f"hit_{kind}_{n}")
            out["hit_per_extra_group"][kind] = slope(f"hit_{kind}_")
        for n in counts:
            key = f"{kind}_{n}"
            if key not in work:
                continue
            out["throughput"][key] = summary(
                [wnone[r] / work[key]["workload"]["runs"][r] for r in range(rounds)])
            out["workload"][key] = {
                "missing": max(work[key]["missing"]["runs"]),
                "outside": max(work[key]["outside"]["runs"]),
            }
    return out


def groups_table_head(counts, extra=()):
    """A many-groups table's head: a column per count, then @extra."""
    return ["| | " + " | ".join([f"{n} groups" for n in counts] + list(extra)) + " |",
            "|---|" + "---|" * (len(counts) + len(extra))]


def markdown_groups(raw, res):
    g = res["groups"]
    counts = g["counts"]
    lo, hi = counts[-2], counts[-1]
    lines = [
        "",
        f"Many groups, each with its own filesystem mark and filter (the "
        f"prototype: members of one dispatcher that has the mark): ns per "
        f"skipped event over no fanotify (a pwrite at depth {raw['micro_depth']}, "
        f"outside every group's directory; each group's filter has one root of "
        f"its own), the second group's cost, each group's beyond {lo} "
        f"(the slope from {lo} to {hi}), and walks / shared placements per event:",
        "",
        *groups_table_head(counts, ("2nd group", f"per group, {lo} to {hi}",
                                    f"walks / shared per event, {hi} groups")),
    ]
    for kind, name in GROUP_KINDS.items():
        if kind not in g["per_extra_group"]:
            continue
        cells = [fmt(g["cost"][f"{kind}_{n}"], ".0f") for n in counts]
        ws = "-"
        if f"{kind}_{hi}" in g["walks_per_event"] and (
                g["walks_per_event"][f"{kind}_{hi}"] or g["shared_per_event"][f"{kind}_{hi}"]):
            ws = (f"{g['walks_per_event'][f'{kind}_{hi}']:.2f} / "
                  f"{g['shared_per_event'][f'{kind}_{hi}']:.2f}")
        lines.append(f"| {name} | " + " | ".join(cells)
                     + f" | {fmt(g['second_group'][kind], '.0f')}"
                     + f" | {fmt(g['per_extra_group'][kind], '.0f')} | {ws} |")
    if g.get("hit_per_extra_group"):
        lines += [
            "",
            "The same pwrite inside the first group's directory (it gets the "
            "event, every other group skips it):",
            "",
            *groups_table_head(counts, (f"per group, {lo} to {hi}",)),
        ]
        for kind, name in GROUP_KINDS.items():
            if kind not in g["hit_per_extra_group"]:
                continue
            lines.append(f"| {name} | " + " | ".join(
                fmt(g["hit_cost"][f"{kind}_{n}"], ".0f") for n in counts)
                + f" | {fmt(g['hit_per_extra_group'][kind], '.0f')} |")
    wkinds = [k for k in GROUP_KINDS if f"{k}_{counts[0]}" in g["throughput"]]
    lines += [
        "",
        "The workload with every group on the subtree (inotify: as many "
        "recursive watchers), throughput vs no fanotify; kernel side only: "
        "nobody reads the queues during the run, they are read and checked "
        "after it:",
        "",
        *groups_table_head(counts),
    ]
    for kind in wkinds:
        lines.append(f"| {GROUP_KINDS[kind]} | " + " | ".join(
            fmt(g["throughput"][f"{kind}_{n}"]) for n in counts) + " |")
    lost = sum(w["missing"] for w in g["workload"].values())
    leaked = sum(w["outside"] for w in g["workload"].values())
    lines += ["", f"Many groups: in-subtree files missing an event in some group: {lost}; "
              f"events from outside the subtree in some filtering group: {leaked}."]
    return lines


def markdown_groups_only(raw, res, meta):
    lines = [
        f"fanotify filter benchmark, many groups only (fanbench -g), {meta['date']}, "
        f"{meta['machine']}, VM under {meta['accel']}, kernel {meta['kernel']}",
        f"{raw['rounds']} rounds; median [min, max] over rounds.",
    ]
    lines += markdown_groups(raw, res) + markdown_targets(res)
    return "\n".join(lines) + "\n"


def markdown_targets(res):
    return ["", "Targets:"] + [f"- {target.replace('_', ' ')}: {'met' if ok else 'MISSED'}"
                               for target, ok in res["targets"].items()]


def markdown(raw, res, meta):
    if "configs" not in raw:
        return markdown_groups_only(raw, res, meta)
    lines = [
        f"fanotify filter benchmark, {meta['date']}, {meta['machine']}, "
        f"VM under {meta['accel']}, kernel {meta['kernel']}",
        f"{raw['iterations']} iterations (create, write, close, read, rename, "
        f"unlink), 1 in {raw['inside_every']} inside the subtree; "
        f"{raw['rounds']} rounds, interleaved; median [min, max] over rounds.",
        "",
        "| config | workload s | throughput vs (a) | events to user space "
        "| dropped in user space | lost in subtree | listener CPU s |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, c in res["configs"].items():
        thr = fmt(c["throughput_vs_a"])
        if key == "e":
            thr += f"; with setup {c['throughput_vs_a_with_setup']['median']:.3f}"
        delivered = "-" if key == "a" else f"{c['delivered']['median']:.0f}"
        dropped = "-" if key == "a" else f"{c['dropped_in_user_space']['median']:.0f}"
        lost = "-" if key == "a" else f"{c['lost_in_subtree']}" + (
            " (overflow)" if c["overflow"] else "")
        cpu = "-" if key == "a" else fmt(c["listener_cpu_s"])
        lines.append(f"| ({key}) {c['name']} | {fmt(c['workload_s'])} | {thr} "
                     f"| {delivered} | {dropped} | {lost} | {cpu} |")
    m = res["micro"]
    depth = raw["micro_depth"]
    lines += [
        "",
        f"Cost per event that the filter skips (pwrite of 1 byte, ns over "
        f"{m['none_ns_per_op']['median']:.0f} ns without fanotify; file at "
        f"depth {depth}, 1 root unless stated):",
        "",
        "| | Rust (c) | C (d) | BPF (f) |",
        "|---|---|---|---|",
    ]

    def cell(key):
        return fmt(m[key], '.0f') if key in m else "-"

    for d in DEPTHS:
        lines.append(f"| depth {d} | {cell(f'c_depth_{d}')} | {cell(f'd_depth_{d}')} "
                     f"| {cell(f'f_depth_{d}')} |")
    for n in (1, 10, 100, 1000):
        lines.append(f"| {n} roots | {cell(f'c_roots_{n}')} | {cell(f'd_roots_{n}')} "
                     f"| {cell(f'f_roots_{n}')} |")
    lines.append(f"| mark + hook, no walk (kind filter) | {fmt(m['kind_skip'], '.0f')} | | |")
    if "ignored" in m:
        lines.append(f"| mark alone, dropped by its ignore mask | {fmt(m['ignored'], '.0f')} | | |")
    lines += [
        "",
        f"(c)/(d) cost per event at depth {depth}: {fmt(m['c_over_d_cost'])}; "
        + (f"(f)/(d): {fmt(m['f_over_d_cost'])}; " if "f_over_d_cost" in m else "") +
        f"(c) workload throughput / (d): {fmt(res['c_throughput_vs_d'])}; "
        f"(c) cost spread from 1 to 1000 roots: {res['roots_cost_spread'] * 100:.1f} %. "
        "(c) - (d) per skipped event, by depth (instructions under icount): "
        + ", ".join(f"{d}: {m['c_minus_d_cost'][str(d)]:+.2f}" for d in DEPTHS) + ".",
    ]
    if "groups" in res:
        lines += markdown_groups(raw, res)
    lines += markdown_targets(res)
    return "\n".join(lines) + "\n"


def chart(raw, res, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    keys = [k for k in NAMES if k in res["configs"]]
    med = [res["configs"][k]["throughput_vs_a"]["median"] for k in keys]
    lo = [med[i] - res["configs"][k]["throughput_vs_a"]["min"] for i, k in enumerate(keys)]
    hi = [res["configs"][k]["throughput_vs_a"]["max"] - med[i] for i, k in enumerate(keys)]
    ax1.bar([f"({k})" for k in keys], med, yerr=[lo, hi], capsize=4,
            color=["grey", "tab:red", "tab:orange", "tab:blue", "tab:green", "tab:purple"][:len(keys)])
    ax1.axhline(0.97, color="black", linestyle=":", linewidth=1)
    ax1.set_ylabel("workload throughput / (a)")
    ax1.set_title("Workload, 1 % of operations in the subtree")
    m = res["micro"]
    depths = [1, 2, 4, 8, 16, 32]
    # Same colours as the bars: (c) orange, (d) blue.
    ax2.plot(depths, [m[f"c_depth_{d}"]["median"] for d in depths], "o-",
             color="tab:orange", label="Rust subtree (c), by depth")
    ax2.plot(depths, [m[f"d_depth_{d}"]["median"] for d in depths], "s-",
             color="tab:blue", label="C subtree_c (d), by depth")
    if "f_depth_1" in m:
        ax2.plot(depths, [m[f"f_depth_{d}"]["median"] for d in depths], "d-",
                 color="tab:purple", label="BPF bpf_subtree (f), by depth")
    ax2.plot([1, 10, 100, 1000], [m[f"c_roots_{n}"]["median"] for n in (1, 10, 100, 1000)],
             "^--", color="tab:orange",
             label=f"Rust (c), by number of roots (depth {raw['micro_depth']})")
    ax2.axhline(m["ignored"]["median"], color="grey", linestyle=":", linewidth=1,
                label="fsnotify alone (mark, ignore mask)")
    ax2.set_xscale("log", base=2)
    ax2.set_xlabel("path depth / number of roots")
    ax2.set_ylabel("ns per skipped event, over no fanotify")
    ax2.set_title("Cost of a filter that skips the event")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--accel", default="unknown")
    ap.add_argument("--machine", default="unknown")
    ap.add_argument("--kernel", default="unknown")
    args = ap.parse_args()
    with open(os.path.join(args.outdir, "bench.json")) as f:
        raw = json.load(f)
    # When the benchmark ran, not when this report was made.
    ran = os.path.getmtime(os.path.join(args.outdir, "bench.json"))
    meta = {
        "date": datetime.datetime.fromtimestamp(ran, datetime.timezone.utc)
        .strftime("%Y-%m-%d %H:%M UTC"),
        "machine": args.machine,
        "accel": args.accel,
        "kernel": args.kernel,
    }
    res = analyse(raw)
    res["meta"] = meta
    with open(os.path.join(args.outdir, "report.json"), "w") as f:
        json.dump(res, f, indent=1)
    md = markdown(raw, res, meta)
    with open(os.path.join(args.outdir, "report.md"), "w") as f:
        f.write(md)
    if "configs" in raw:
        chart(raw, res, os.path.join(args.outdir, "bench.png"))
    print(md, end="")


if __name__ == "__main__":
    main()
