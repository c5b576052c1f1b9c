"""An ovcl model under KServe's Python model server (``kserve.ModelServer``): a ``kserve.Model`` whose v2
(Open Inference Protocol) requests are checked and run as ``ovcl serve`` runs them.

    import kserve
    from ovcl.serving.kserve_model import kserve_model
    kserve.ModelServer(http_port=8080, grpc_port=8081).start([kserve_model("resnet", "model.xml", "GPU")])

Or as a KServe InferenceService's custom predictor: ``python -m ovcl.serving.kserve_model --model_name resnet
--model_path /mnt/models/model.xml`` (with KServe's own server flags)."""
from __future__ import annotations

import asyncio
from pathlib import Path


def kserve_model(name: str, model_path: str, device: str = "AUTO", config: dict | None = None,
                 max_batch: int = 1, batch_wait: float = 0.002):
    """A loaded ``kserve.Model`` named ``name`` serving ``model_path`` on ``device``."""
    import kserve
    from kserve.errors import InvalidInput
    from kserve.protocol.infer_type import InferOutput, InferResponse

    from .metrics import Metrics
    from .protocol import InferInput, InferOutputRequest, InferRequest, RequestError, encode_binary
    from .repository import ServedModel

    class OvclKServeModel(kserve.Model):
        def __init__(self):
            super().__init__(name)
            self.served = None
            self.load()

        def load(self) -> bool:
            import ovcl
            compiled = ovcl.compile_model(ovcl.read_model(str(model_path)), device,
                                          dict(config or {"PERFORMANCE_HINT": "THROUGHPUT"}))
            self.served = ServedModel(name, 1, Path(model_path), compiled,
                                      workers=compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"),
                                      max_queue=1 << 30, metrics=Metrics(), max_batch=max_batch,
                                      batch_wait=batch_wait)
            self.ready = True
            return self.ready

        async def predict(self, payload, headers=None, response_headers=None):
            if isinstance(payload, dict):
                raise InvalidInput("ovcl models speak the v2 protocol: POST /v2/models/<name>/infer")
            inputs = [InferInput(t.name, t.datatype, [int(d) for d in t.shape], encode_binary(t.as_numpy()), True)
                      for t in payload.inputs]
            wanted = [InferOutputRequest(o.name) for o in (payload.request_outputs or [])]
            try:
                answer = await asyncio.wrap_future(self.served.submit(InferRequest(inputs, wanted), "kserve"))
            except RequestError as e:
                raise InvalidInput(str(e)) from None
            outputs = []
            for out_name, datatype, array, _ in answer.outputs:
                out = InferOutput(name=out_name, shape=list(array.shape), datatype=datatype)
                out.set_data_from_numpy(array, binary_data=False)
                outputs.append(out)
            return InferResponse(response_id=payload.id or "", model_name=name, infer_outputs=outputs)

    return OvclKServeModel()


def main() -> None:
    import argparse

    import kserve
    parser = argparse.ArgumentParser(parents=[kserve.model_server.parser])
    parser.add_argument("--model_path", required=True, help="the model file (any format read_model reads)")
    parser.add_argument("--device", default="AUTO")
    args, _ = parser.parse_known_args()
    kserve.ModelServer().start([kserve_model(args.model_name, args.model_path, args.device)])


if __name__ == "__main__":
    main()
