"""Serving models over the Open Inference Protocol (KServe v2): ``ovcl serve`` (``server``), its REST
(``rest``) and gRPC (``grpc_api``) faces over one request path (``protocol``, ``repository``), and metrics.
Needs the ``serve`` extra (starlette, uvicorn, grpcio)."""
