"""The protocol over HTTP/REST (an ASGI app on Starlette): health, metadata, inference with JSON or the binary
tensor extension, and Prometheus metrics at ``/metrics``.

Binary tensor extension: a request body is a JSON header of ``Inference-Header-Content-Length`` bytes followed by
the binary data of the inputs whose ``parameters.binary_data_size`` says so, in order; outputs asked for as
binary (``parameters.binary_data`` per output, or ``binary_data_output`` for all) follow the answer's JSON the
same way."""
from __future__ import annotations

import asyncio
import json
import logging

from .protocol import (EXTENSIONS, InferInput, InferOutputRequest, InferRequest, RequestError, encode_binary,
                       json_data, outcome)
from .repository import Repository

log = logging.getLogger("ovcl.serve")
HEADER_LENGTH = "Inference-Header-Content-Length"


def _error(e: RequestError):
    from starlette.responses import JSONResponse
    return JSONResponse({"error": str(e)}, status_code=e.status)


def parse_request(body: bytes, header_length: str | None, limit: int) -> InferRequest:
    """An InferRequest from a REST body, refusing what does not parse or adds up."""
    if len(body) > limit:
        raise RequestError(f"the request is {len(body):,} bytes, over the server's limit of {limit:,} "
                           f"(--max-request-mb)", 413)
    if header_length is not None:
        try:
            n = int(header_length)
        except ValueError:
            raise RequestError(f"{HEADER_LENGTH} is not an integer: {header_length!r}") from None
        if not 0 <= n <= len(body):
            raise RequestError(f"{HEADER_LENGTH} {n} is outside the body's {len(body)} bytes")
        head, binary = body[:n], memoryview(body)[n:]
    else:
        head, binary = body, memoryview(b"")
    try:
        doc = json.loads(head)
    except (ValueError, UnicodeDecodeError) as e:
        raise RequestError(f"the request is not valid JSON: {e}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("inputs"), list):
        raise RequestError("the request must be a JSON object with an 'inputs' list")
    inputs, at = [], 0
    for t in doc["inputs"]:
        if not isinstance(t, dict) or not isinstance(t.get("name"), str) or not isinstance(t.get("datatype"), str) \
                or not isinstance(t.get("shape"), list):
            raise RequestError("each input needs 'name', 'datatype' and 'shape'")
        params = t.get("parameters") or {}
        size = params.get("binary_data_size") if isinstance(params, dict) else None
        if size is not None:
            if not isinstance(size, int) or size < 0 or at + size > len(binary):
                raise RequestError(f"input '{t['name']}': binary_data_size {size!r} does not fit the "
                                   f"{len(binary) - at} bytes of binary data left")
            inputs.append(InferInput(t["name"], t["datatype"], t["shape"], bytes(binary[at:at + size]), True))
            at += size
        else:
            if "data" not in t:
                raise RequestError(f"input '{t['name']}' has neither 'data' nor binary_data_size")
            inputs.append(InferInput(t["name"], t["datatype"], t["shape"], t["data"]))
    if at != len(binary):
        raise RequestError(f"{len(binary) - at} bytes of binary data are left over after the inputs")
    outputs = []
    for o in doc.get("outputs") or []:
        if not isinstance(o, dict) or not isinstance(o.get("name"), str):
            raise RequestError("each requested output needs a 'name'")
        binary_flag = (o.get("parameters") or {}).get("binary_data")
        outputs.append(InferOutputRequest(o["name"], None if binary_flag is None else bool(binary_flag)))
    params = doc.get("parameters") or {}
    return InferRequest(inputs, outputs, str(doc.get("id", "")),
                        bool(params.get("binary_data_output", False)) if isinstance(params, dict) else False)


def render_answer(model, answer) -> tuple[bytes, dict]:
    """The answer's body and headers: JSON, then the binary outputs."""
    outputs, blobs = [], []
    for name, datatype, array, binary in answer.outputs:
        entry = {"name": name, "datatype": datatype, "shape": list(array.shape)}
        if binary:
            blob = encode_binary(array)
            entry["parameters"] = {"binary_data_size": len(blob)}
            blobs.append(blob)
        else:
            entry["data"] = json_data(array, datatype)
        outputs.append(entry)
    doc = {"model_name": model.name, "model_version": str(model.version), "outputs": outputs}
    if answer.id:
        doc["id"] = answer.id
    head = json.dumps(doc).encode()
    if not blobs:
        return head, {"content-type": "application/json"}
    return head + b"".join(blobs), {"content-type": "application/octet-stream", HEADER_LENGTH: str(len(head))}


def create_app(repo: Repository, max_request_bytes: int = 64 << 20):
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route

    def ready_status(ok: bool):
        return Response(status_code=200 if ok else 503)

    async def live(request):
        return Response(status_code=200)

    async def ready(request):
        return ready_status(repo.ready)

    async def server_metadata(request):
        import ovcl
        return JSONResponse({"name": "ovcl", "version": ovcl.__version__, "extensions": EXTENSIONS})

    async def model_ready(request):
        try:
            repo.get(request.path_params["name"], request.path_params.get("version"))
        except RequestError as e:
            return _error(e)
        return ready_status(repo.ready)

    async def model_metadata(request):
        try:
            model = repo.get(request.path_params["name"], request.path_params.get("version"))
        except RequestError as e:
            return _error(e)
        return JSONResponse(model.metadata())

    async def infer(request):
        name = request.path_params["name"]
        try:
            model = repo.get(name, request.path_params.get("version"))
            declared = request.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > max_request_bytes:
                raise RequestError(f"the request is {int(declared):,} bytes, over the server's limit of "
                                   f"{max_request_bytes:,} (--max-request-mb)", 413)
            body = await _read_limited(request, max_request_bytes)
            parsed = parse_request(body, request.headers.get(HEADER_LENGTH), max_request_bytes)
            answer = await asyncio.wrap_future(model.submit(parsed, "rest"))
            body, headers = render_answer(model, answer)
        except RequestError as e:
            repo.metrics.count(name, "rest", outcome(e.status))
            log.debug("rest infer %s: %d %s", name, e.status, e)
            return _error(e)
        except Exception as e:  # noqa: BLE001 - the server answers 500 and keeps serving
            repo.metrics.count(name, "rest", "error")
            log.exception("rest infer %s failed", name)
            return JSONResponse({"error": f"internal error: {type(e).__name__}: {e}"}, status_code=500)
        repo.metrics.count(name, "rest", "ok")
        log.debug("rest infer %s id=%s: 200", name, parsed.id)
        return Response(body, headers=headers)

    async def metrics(request):
        return PlainTextResponse(repo.metrics.render(), media_type="text/plain; version=0.0.4")

    routes = [Route("/v2/health/live", live), Route("/v2/health/ready", ready), Route("/v2", server_metadata),
              Route("/metrics", metrics)]
    for prefix in ("/v2/models/{name}", "/v2/models/{name}/versions/{version}"):
        routes += [Route(prefix, model_metadata), Route(prefix + "/ready", model_ready),
                   Route(prefix + "/infer", infer, methods=["POST"])]
    return Starlette(routes=routes)


async def _read_limited(request, limit: int) -> bytes:
    """The body, refused (413) as soon as it grows past ``limit`` (a chunked body declares no length)."""
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise RequestError(f"the request is over the server's limit of {limit:,} bytes (--max-request-mb)", 413)
        chunks.append(chunk)
    return b"".join(chunks)
