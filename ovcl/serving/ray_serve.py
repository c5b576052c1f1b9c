"""An ovcl model as a Ray Serve deployment: scale-out on an existing engine (replicas on any node of a Ray
cluster, Ray's autoscaling), each replica a compiled model answering the Open Inference Protocol's REST
requests (JSON and binary data, as ``ovcl serve`` does) at its route, and Python calls through a handle.

    from ray import serve
    from ovcl.serving.ray_serve import deployment
    serve.run(deployment("model.xml", device="GPU", num_replicas=2), name="resnet", route_prefix="/resnet")
    # POST /resnet/v2/models/resnet/infer, or: serve.get_app_handle("resnet").infer.remote({"x": array})

OpenCL GPUs are no resource Ray knows: start each node with a custom resource counting its devices
(``ray start --resources '{"opencl_gpu": 2}'``) and pass ``resource="opencl_gpu"``: each replica then holds one
unit, and takes device ``<device>.<k>`` for its rank k among the replicas (modulo ``devices_per_node``), so that
replicas on one node use different devices."""
from __future__ import annotations

import asyncio
import logging

log = logging.getLogger("ovcl.serve")


class OvclReplica:
    """One replica: the model compiled on its device, behind the protocol."""

    def __init__(self, model_path: str, name: str, device: str, config: dict, devices_per_node: int,
                 max_batch: int, batch_wait: float):
        from pathlib import Path

        import ovcl
        from ray import serve
        from .metrics import Metrics
        from .repository import ServedModel
        if devices_per_node > 0:
            rank = serve.get_replica_context().rank
            rank = getattr(rank, "rank", rank)          # (an object with .rank in recent Ray)
            device = f"{device}.{int(rank) % devices_per_node}"
        self.device = device
        compiled = ovcl.compile_model(ovcl.read_model(model_path), device, config)
        # Ray bounds what reaches a replica (max_ongoing_requests): the replica's queue need not
        self.model = ServedModel(name, 1, Path(model_path), compiled,
                                 workers=compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"),
                                 max_queue=1 << 30, metrics=Metrics(), max_batch=max_batch, batch_wait=batch_wait)
        log.info("ovcl replica of '%s' on %s", name, device)

    async def __call__(self, request):
        """A REST request of the protocol: metadata (GET) or inference (POST .../infer)."""
        from starlette.responses import JSONResponse, Response
        from .protocol import RequestError
        from .rest import HEADER_LENGTH, parse_request, render_answer
        try:
            if request.method == "GET":
                return JSONResponse(self.model.metadata())
            body = await request.body()
            parsed = parse_request(body, request.headers.get(HEADER_LENGTH), 1 << 31)
            answer = await asyncio.wrap_future(self.model.submit(parsed, "ray"))
        except RequestError as e:
            return JSONResponse({"error": str(e)}, status_code=e.status)
        body, headers = render_answer(self.model, answer)
        return Response(body, headers=headers)

    async def infer(self, inputs: dict) -> dict:
        """Python callers (a DeploymentHandle): arrays by input name in, arrays by output name out."""
        import numpy as np
        feeds = {k: np.asarray(v) for k, v in inputs.items()}
        return await asyncio.to_thread(self.model.infer, feeds)

    def device_name(self) -> str:
        return self.device


def deployment(model_path: str, name: str | None = None, device: str = "AUTO", config: dict | None = None,
               num_replicas: int | str = 1, autoscaling_config: dict | None = None, resource: str | None = None,
               devices_per_node: int = 0, max_ongoing_requests: int = 16, max_batch: int = 1,
               batch_wait: float = 0.002):
    """A bound Ray Serve application serving ``model_path``: ``serve.run(deployment(...))``.

    ``num_replicas`` or ``autoscaling_config`` (Ray's: ``{"min_replicas": 1, "max_replicas": 4,
    "target_ongoing_requests": 2}``) size it; ``resource``: a custom resource of which each replica holds one
    (an OpenCL device); ``devices_per_node`` > 0 picks ``<device>.<rank % devices_per_node>`` per replica."""
    from pathlib import Path

    from ray import serve
    name = name or Path(model_path).stem
    options = {"max_ongoing_requests": max_ongoing_requests, "name": name}
    if autoscaling_config is not None:
        options["autoscaling_config"] = autoscaling_config
    else:
        options["num_replicas"] = num_replicas
    if resource:
        options["ray_actor_options"] = {"resources": {resource: 1}}
    cls = serve.deployment(OvclReplica).options(**options)
    return cls.bind(str(model_path), name, device, dict(config or {"PERFORMANCE_HINT": "THROUGHPUT"}),
                    devices_per_node, max_batch, batch_wait)
