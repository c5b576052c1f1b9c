"""The protocol over gRPC: the service ``inference.GRPCInferenceService`` of KServe's ``grpc_predict_v2.proto``
(Triton's clients speak it). The messages are built from their field numbers at import
(``frontends.proto_schema``: no generated code carried); map fields are their wire form, repeated key/value
entries. Tensors travel as ``raw_input_contents`` / ``raw_output_contents`` or typed ``contents``."""
from __future__ import annotations

import logging

from ovcl.frontends.proto_schema import build_messages

from .protocol import EXTENSIONS, InferInput, InferOutputRequest, InferRequest, RequestError, encode_binary, outcome
from .repository import Repository

log = logging.getLogger("ovcl.serve")
SERVICE = "inference.GRPCInferenceService"

_CONTENTS = [("bool_contents", 1, "*bool"), ("int_contents", 2, "*int32"), ("int64_contents", 3, "*int64"),
             ("uint_contents", 4, "*uint32"), ("uint64_contents", 5, "*uint64"), ("fp32_contents", 6, "*float"),
             ("fp64_contents", 7, "*double"), ("bytes_contents", 8, "*bytes")]
M = build_messages("ovcl_kserve_v2", {
    "ServerLiveRequest": [], "ServerLiveResponse": [("live", 1, "bool")],
    "ServerReadyRequest": [], "ServerReadyResponse": [("ready", 1, "bool")],
    "ModelReadyRequest": [("name", 1, "string"), ("version", 2, "string")],
    "ModelReadyResponse": [("ready", 1, "bool")],
    "ServerMetadataRequest": [],
    "ServerMetadataResponse": [("name", 1, "string"), ("version", 2, "string"), ("extensions", 3, "*string")],
    "ModelMetadataRequest": [("name", 1, "string"), ("version", 2, "string")],
    "TensorMetadata": [("name", 1, "string"), ("datatype", 2, "string"), ("shape", 3, "*int64")],
    "ModelMetadataResponse": [("name", 1, "string"), ("versions", 2, "*string"), ("platform", 3, "string"),
                              ("inputs", 4, "*TensorMetadata"), ("outputs", 5, "*TensorMetadata")],
    "InferParameter": [("bool_param", 1, "bool"), ("int64_param", 2, "int64"), ("string_param", 3, "string"),
                       ("double_param", 4, "double"), ("uint64_param", 5, "uint64")],
    "ParameterEntry": [("key", 1, "string"), ("value", 2, "InferParameter")],
    "InferTensorContents": _CONTENTS,
    "InferInputTensor": [("name", 1, "string"), ("datatype", 2, "string"), ("shape", 3, "*int64"),
                         ("parameters", 4, "*ParameterEntry"), ("contents", 5, "InferTensorContents")],
    "InferRequestedOutputTensor": [("name", 1, "string"), ("parameters", 2, "*ParameterEntry")],
    "ModelInferRequest": [("model_name", 1, "string"), ("model_version", 2, "string"), ("id", 3, "string"),
                          ("parameters", 4, "*ParameterEntry"), ("inputs", 5, "*InferInputTensor"),
                          ("outputs", 6, "*InferRequestedOutputTensor"), ("raw_input_contents", 7, "*bytes")],
    "InferOutputTensor": [("name", 1, "string"), ("datatype", 2, "string"), ("shape", 3, "*int64"),
                          ("parameters", 4, "*ParameterEntry"), ("contents", 5, "InferTensorContents")],
    "ModelInferResponse": [("model_name", 1, "string"), ("model_version", 2, "string"), ("id", 3, "string"),
                           ("parameters", 4, "*ParameterEntry"), ("outputs", 5, "*InferOutputTensor"),
                           ("raw_output_contents", 6, "*bytes")],
}, oneofs={"InferParameter": "parameter_choice"})

# the typed contents field of each datatype
_FIELD = {"BOOL": "bool_contents", "UINT8": "uint_contents", "UINT16": "uint_contents", "UINT32": "uint_contents",
          "UINT64": "uint64_contents", "INT8": "int_contents", "INT16": "int_contents", "INT32": "int_contents",
          "INT64": "int64_contents", "FP32": "fp32_contents", "FP64": "fp64_contents", "BYTES": "bytes_contents"}


def to_request(msg) -> InferRequest:
    raw = list(msg.raw_input_contents)
    if raw and len(raw) != len(msg.inputs):
        raise RequestError(f"{len(raw)} raw_input_contents for {len(msg.inputs)} inputs: give all inputs raw or "
                           f"none")
    inputs = []
    for k, t in enumerate(msg.inputs):
        shape = [int(d) for d in t.shape]
        if raw:
            inputs.append(InferInput(t.name, t.datatype, shape, raw[k], True))
            continue
        field = _FIELD.get(t.datatype)
        if field is None:
            raise RequestError(f"input '{t.name}': {t.datatype} data travels in raw_input_contents only")
        values = list(getattr(t.contents, field))
        inputs.append(InferInput(t.name, t.datatype, shape, values if t.datatype != "BYTES" else
                                 [bytes(v) for v in values]))
    outputs = [InferOutputRequest(o.name) for o in msg.outputs]
    return InferRequest(inputs, outputs, msg.id)


def from_answer(model, answer):
    resp = M["ModelInferResponse"](model_name=model.name, model_version=str(model.version), id=answer.id)
    for name, datatype, array, _ in answer.outputs:
        resp.outputs.add(name=name, datatype=datatype, shape=list(array.shape))
        resp.raw_output_contents.append(encode_binary(array))
    return resp


def create_server(repo: Repository, port: int, threads: int = 16, max_message_bytes: int = 64 << 20,
                  host: str = "0.0.0.0"):
    """A grpc.Server serving the protocol on ``port`` (not started)."""
    import grpc
    from concurrent.futures import ThreadPoolExecutor

    def status_of(e: RequestError):
        return {404: grpc.StatusCode.NOT_FOUND, 413: grpc.StatusCode.RESOURCE_EXHAUSTED,
                503: grpc.StatusCode.UNAVAILABLE}.get(e.status, grpc.StatusCode.INVALID_ARGUMENT)

    def server_live(req, ctx):
        return M["ServerLiveResponse"](live=True)

    def server_ready(req, ctx):
        return M["ServerReadyResponse"](ready=repo.ready)

    def server_metadata(req, ctx):
        import ovcl
        return M["ServerMetadataResponse"](name="ovcl", version=ovcl.__version__, extensions=EXTENSIONS)

    def model_ready(req, ctx):
        try:
            repo.get(req.name, req.version)
        except RequestError as e:
            ctx.abort(status_of(e), str(e))
        return M["ModelReadyResponse"](ready=repo.ready)

    def model_metadata(req, ctx):
        try:
            meta = repo.get(req.name, req.version).metadata()
        except RequestError as e:
            ctx.abort(status_of(e), str(e))
        tensors = lambda ts: [M["TensorMetadata"](**t) for t in ts]  # noqa: E731
        return M["ModelMetadataResponse"](name=meta["name"], versions=meta["versions"], platform=meta["platform"],
                                          inputs=tensors(meta["inputs"]), outputs=tensors(meta["outputs"]))

    def model_infer(req, ctx):
        name = req.model_name
        try:
            model = repo.get(name, req.model_version)
            answer = model.submit(to_request(req), "grpc").result()
            resp = from_answer(model, answer)
        except RequestError as e:
            repo.metrics.count(name, "grpc", outcome(e.status))
            log.debug("grpc infer %s: %s", name, e)
            ctx.abort(status_of(e), str(e))
        except Exception as e:  # noqa: BLE001 - the server answers INTERNAL and keeps serving
            repo.metrics.count(name, "grpc", "error")
            log.exception("grpc infer %s failed", name)
            ctx.abort(grpc.StatusCode.INTERNAL, f"internal error: {type(e).__name__}: {e}")
        repo.metrics.count(name, "grpc", "ok")
        return resp

    def unary(fn, request):
        return grpc.unary_unary_rpc_method_handler(fn, request_deserializer=M[request].FromString,
                                                   response_serializer=lambda m: m.SerializeToString())

    handler = grpc.method_handlers_generic_handler(SERVICE, {
        "ServerLive": unary(server_live, "ServerLiveRequest"),
        "ServerReady": unary(server_ready, "ServerReadyRequest"),
        "ServerMetadata": unary(server_metadata, "ServerMetadataRequest"),
        "ModelReady": unary(model_ready, "ModelReadyRequest"),
        "ModelMetadata": unary(model_metadata, "ModelMetadataRequest"),
        "ModelInfer": unary(model_infer, "ModelInferRequest"),
    })
    options = [("grpc.max_receive_message_length", max_message_bytes),
               ("grpc.max_send_message_length", max_message_bytes)]
    server = grpc.server(ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ovcl-grpc"), options=options)
    server.add_generic_rpc_handlers((handler,))
    if server.add_insecure_port(f"{host}:{port}") == 0:
        raise OSError(f"cannot listen for gRPC on {host}:{port}")
    return server

