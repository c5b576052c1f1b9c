"""Throughput of AsyncInferQueue with 1 and with 2 requests on one model, in alternating rounds (this machine's
speed drifts), after checking that overlapping inferences give the serial results bit for bit.

    python scripts/request_overlap.py MODEL.onnx --shape 1,3,224,224 [--seconds 3] [--rounds 3] [-d CPU]
    python scripts/request_overlap.py --softmax 400000     # a one-work-item softmax: kernels that leave cores idle

What 2 requests gain depends on the driver running two command queues at once (each request has its own) and
on the host work (inputs in, results out) overlapping the other request's kernels.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def softmax_model(n: int) -> str:
    import onnx
    from onnx import TensorProto, helper
    graph = helper.make_graph([helper.make_node("Softmax", ["x"], ["y"], axis=-1)], "softmax",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, n])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, n])])
    path = Path(tempfile.mkdtemp()) / "softmax.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return str(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?")
    ap.add_argument("--shape", default=None, help="input shape, e.g. 1,3,224,224")
    ap.add_argument("--softmax", type=int, default=0, help="use a [1, N] softmax model instead")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("-d", "--device", default="CPU")
    args = ap.parse_args()
    import ovcl
    path = softmax_model(args.softmax) if args.softmax else args.model
    shape = [1, args.softmax] if args.softmax else [int(v) for v in args.shape.split(",")]
    core = ovcl.Core()
    model = core.read_model(path)
    model.reshape(shape)
    # THROUGHPUT: two streams, so that two requests' inferences may run at once (LATENCY runs one at a time)
    compiled = core.compile_model(model, args.device, {"PERFORMANCE_HINT": "THROUGHPUT"})
    print(f"NUM_STREAMS {compiled.get_property('NUM_STREAMS')}")
    xs = [np.random.default_rng(k).standard_normal(shape).astype(np.float32) for k in range(8)]
    serial = [compiled(x)[0] for x in xs]

    def rate(jobs: int) -> float:
        queue = ovcl.AsyncInferQueue(compiled, jobs)
        got: dict = {}
        queue.set_callback(lambda request, k: got.__setitem__(k, request.get_output_tensor(0).data.copy()))
        for k, x in enumerate(xs):
            queue.start_async({0: x}, k)
        queue.wait_all()
        assert all(np.array_equal(got[k], serial[k]) for k in range(len(xs))), "results differ from serial"
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < args.seconds:
            queue.start_async({0: xs[n % len(xs)]}, n % len(xs))
            n += 1
        queue.wait_all()
        return n / (time.perf_counter() - start)

    for r in range(args.rounds):
        one, two = rate(1), rate(2)
        print(f"round {r}: 1 request {one:.0f}/s, 2 requests {two:.0f}/s, ratio {two / one:.2f}")


if __name__ == "__main__":
    main()
