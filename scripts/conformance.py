#!/usr/bin/env python
"""ONNX backend node-test conformance runner for ovcl: runs the cases (``tests/conformance_runner.py`` holds the
machinery the tests share: collecting, running in workers, comparing), writes the tables and, on request, the
docs and the xfail list.

Outputs (in ``--out``): ``conformance.json`` (every case: name, op, core, status, message, seconds) and
``conformance.md`` (a table per op). ``--doc`` also writes the table to ``docs/conformance.md``;
``--update-xfail`` rewrites ``tests/onnx_backend_xfail.txt`` for the cases that were run.

    python scripts/conformance.py                       # everything
    python scripts/conformance.py --filter 'test_(add|relu)' --jobs 2
    python scripts/conformance.py --core-only --doc --update-xfail
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conformance_runner import (DEFAULT_TIMEOUT, DOC_FILE, ROOT, STATUSES, XFAIL_FILE, Result,  # noqa: E402
                                collect, git_rev, markdown, run_cases, summarize, write_xfail)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--filter", help="regular expression searched in case names")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--out", default=str(ROOT / "build" / "conformance"), help="folder for the JSON and table")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per case (default 60)")
    ap.add_argument("--device", default="CPU")
    ap.add_argument("--core-only", action="store_true", help="run the core subset only")
    ap.add_argument("--update-xfail", action="store_true", help=f"rewrite {XFAIL_FILE.relative_to(ROOT)}")
    ap.add_argument("--doc", action="store_true", help=f"also write the table to {DOC_FILE.relative_to(ROOT)}")
    ap.add_argument("--list", action="store_true", help="list the selected cases and exit")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every case as it finishes")
    args = ap.parse_args(argv)

    import onnx
    t0 = time.monotonic()
    cases = collect(args.filter, args.core_only)
    if args.list:
        for c in cases:
            print(f"{c.name}\t{c.op}\t{'core' if c.core else 'non-core: ' + c.not_core}")
        return 0
    print(f"{len(cases)} cases ({sum(c.core for c in cases)} core), {args.jobs} workers", flush=True)

    def progress(r: Result, done: int, total: int) -> None:
        if args.verbose or r.status not in ("pass", "unsupported"):
            if args.verbose or r.core:
                msg = re.sub(r"\s+", " ", r.message)[:200]
                print(f"[{done}/{total}] {r.status:11s} {r.name}: {msg}", flush=True)
        elif done % 100 == 0:
            print(f"[{done}/{total}] ...", flush=True)

    results = run_cases(cases, jobs=args.jobs, timeout=args.timeout, device=args.device, progress=progress)
    elapsed = time.monotonic() - t0
    meta = {"onnx": onnx.__version__, "device": args.device, "filter": args.filter or "",
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "git": git_rev(),
            "seconds": round(elapsed, 1), "jobs": args.jobs}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    summary = summarize(results)
    (out / "conformance.json").write_text(json.dumps(
        {"meta": meta, "summary": {k: v for k, v in summary.items() if k != "per_op"},
         "cases": [{"name": r.name, "op": r.op, "core": r.core, "status": r.status, "message": r.message,
                    "seconds": r.seconds, **({"not_core": r.not_core} if r.not_core else {})} for r in results],
         "per_op": summary["per_op"]}, indent=1))
    md = markdown(results, meta)
    (out / "conformance.md").write_text(md)
    if args.doc:
        DOC_FILE.write_text(md)

    print("\nper op (core passed/total; failures by status):")
    for op, c in summary["per_op"].items():
        ct = c.get("core_total", 0)
        if not ct:
            continue
        fails = ", ".join(f"{st} {c['core_' + st]}" for st in STATUSES[1:] if c.get("core_" + st))
        print(f"  {op:32s} {c.get('core_pass', 0):4d} / {ct:<4d} {fails}")
    rate = 100.0 * summary["core_passed"] / max(1, summary["core_cases"])
    print(f"\ncore: {summary['core_passed']} / {summary['core_cases']} passed ({rate:.1f} %); "
          f"by status {summary['core_status']}")
    print(f"all:  {summary['all_passed']} / {summary['cases']} passed; {elapsed:.0f} s; results in {out}")
    if args.update_xfail:
        added, removed = write_xfail(results)
        print(f"{XFAIL_FILE.relative_to(ROOT)}: {added} added, {removed} removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
