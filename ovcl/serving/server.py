"""``ovcl serve``: a model repository served over REST (uvicorn) and gRPC (grpcio) until SIGINT/SIGTERM, which
stop taking requests, finish those in flight and queued, and exit."""
from __future__ import annotations

import argparse
import logging
import sys

from .repository import Repository, RepositoryError

DESCRIPTION = """Serve every model of a model repository over the Open Inference Protocol (KServe v2): REST with the
binary tensor extension, and gRPC (inference.GRPCInferenceService). Any OIP client talks to it: Triton's
tritonclient, KServe, load tools.

Repository layout (OpenVINO Model Server's): DIR/<name>/<version>/model.xml (or one .onnx, .tflite, .pb,
.pdmodel, .json file, or a SavedModel folder), the highest version served; or DIR/config.json naming models:
{"model_config_list": [{"config": {"name": "resnet", "base_path": "resnet"}}]}.

Endpoints: /v2/health/live, /v2/health/ready, /v2, /v2/models/<name>[/versions/<v>][/ready|/infer], /metrics
(Prometheus)."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ovcl serve", description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model-repository", required=True, metavar="DIR", help="the models to serve (layout above)")
    p.add_argument("--rest-port", type=int, default=8000, help="REST port (default 8000; 0: no REST)")
    p.add_argument("--grpc-port", type=int, default=8001, help="gRPC port (default 8001; 0: no gRPC)")
    p.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0; 127.0.0.1: this "
                                                     "machine only)")
    p.add_argument("-d", "--device", default="AUTO", help="GPU, GPU.N, CPU or AUTO (default)")
    p.add_argument("--workers", type=int, default=2,
                   help="inferences of one model run at once (default 2: the THROUGHPUT hint's streams)")
    p.add_argument("--max-queue", type=int, default=64,
                   help="requests of one model waiting beyond those running; more are refused as busy (503 / "
                        "UNAVAILABLE) (default 64)")
    p.add_argument("--max-batch", type=int, default=1,
                   help="dynamic batching: gather requests of a model with a dynamic batch dimension into "
                        "inferences of up to this many rows (default 1: off)")
    p.add_argument("--batch-wait-ms", type=float, default=2.0,
                   help="longest a request waits for others to batch with (default 2 ms)")
    p.add_argument("--max-request-mb", type=float, default=64.0,
                   help="largest request body or gRPC message, in MB (default 64; larger: 413)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"],
                   help="debug logs a line per request (default info)")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.rest_port == 0 and args.grpc_port == 0:
        print("ovcl serve: nothing to listen on (--rest-port 0 and --grpc-port 0)", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    limit = int(args.max_request_mb * (1 << 20))
    try:
        repo = Repository(args.model_repository, args.device, workers=max(1, args.workers),
                          max_queue=max(0, args.max_queue),
                          config={"PERFORMANCE_HINT": "THROUGHPUT", "NUM_STREAMS": max(1, args.workers)},
                          max_batch=max(1, args.max_batch), batch_wait=max(0.0, args.batch_wait_ms) / 1000,
                          log=lambda msg: print(msg, flush=True))
    except RepositoryError as e:
        print(f"ovcl serve: {e}", file=sys.stderr)
        return 1
    # SIGINT/SIGTERM stop the server: uvicorn handles them while it runs and raises them again when done, so
    # the handlers beneath it only mark the stop (the default ones would end the process before gRPC and the
    # models are shut down)
    import signal
    import threading
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    grpc_server = None
    if args.grpc_port:
        from .grpc_api import create_server
        grpc_server = create_server(repo, args.grpc_port, max_message_bytes=limit, host=args.host)
        grpc_server.start()
        print(f"ovcl serve: gRPC on {args.host}:{args.grpc_port}", flush=True)
    try:
        if args.rest_port:
            import uvicorn
            from .rest import create_app
            print(f"ovcl serve: REST on {args.host}:{args.rest_port}", flush=True)
            # uvicorn handles SIGINT/SIGTERM: it stops accepting, lets requests in flight finish, returns
            uvicorn.run(create_app(repo, limit), host=args.host, port=args.rest_port,
                        log_level=args.log_level, timeout_graceful_shutdown=30)
        else:
            stop.wait()
    finally:
        if grpc_server is not None:
            grpc_server.stop(grace=30).wait()
        repo.close()
        print("ovcl serve: stopped", flush=True)
    return 0
