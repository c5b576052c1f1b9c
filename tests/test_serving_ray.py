"""An ovcl model as a Ray Serve deployment (``ovcl.serving.ray_serve``) on a single-node Ray instance the test
starts: two replicas, each holding one unit of a custom device resource, answering through a handle and
through Ray's HTTP proxy (the protocol's REST request), equal to direct inference. Needs ``ray[serve]``, whose
pins clash with the test extras' (protobuf): CI runs this module in a venv of its own (.ci/run)."""
from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import ovcl
from helpers import free_port

ray = pytest.importorskip("ray", reason="needs ray[serve] (a venv of its own in CI)")
serve = pytest.importorskip("ray.serve")

DIGITS = Path(ovcl.__file__).parent / "models" / "digits.onnx"


def test_ray_serve_deployment(tmp_path):
    from ovcl.serving.ray_serve import deployment
    port = free_port()
    ray.init(num_cpus=4, resources={"opencl_device": 2}, include_dashboard=False, log_to_driver=False)
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        app = deployment(str(DIGITS), name="digits", device="CPU", num_replicas=2, resource="opencl_device",
                         devices_per_node=1)
        handle = serve.run(app, name="digits", route_prefix="/digits")
        x = np.random.default_rng(0).standard_normal((3, 1, 8, 8)).astype(np.float32)
        want = ovcl.compile_model(ovcl.read_model(str(DIGITS)), "CPU", {"PERFORMANCE_HINT": "THROUGHPUT"})(x)[0]
        got = handle.infer.remote({"image": x}).result(timeout_s=120)
        np.testing.assert_array_equal(got["prob"], want)
        assert handle.device_name.remote().result() == "CPU.0"         # rank 0 or 1, modulo one device
        # both replicas hold their unit of the device resource
        assert ray.available_resources().get("opencl_device", 0) == 0
        body = json.dumps({"inputs": [{"name": "image", "datatype": "FP32", "shape": list(x.shape),
                                       "data": x.reshape(-1).tolist()}]}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/digits/v2/models/digits/infer", data=body,
                                     method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            answer = json.loads(r.read())
        out = answer["outputs"][0]
        assert out["name"] == "prob" and out["shape"] == [3, 10]
        np.testing.assert_allclose(np.array(out["data"], np.float32).reshape(3, 10), want, rtol=1e-6)
        bad = urllib.request.Request(f"http://127.0.0.1:{port}/digits/v2/models/digits/infer", data=b"{",
                                     method="POST")
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(bad, timeout=60)
        assert e.value.code == 400
        # an autoscaling config is Ray's own: it is passed through
        auto = deployment(str(DIGITS), name="digits_auto", device="CPU",
                          autoscaling_config={"min_replicas": 1, "max_replicas": 2, "target_ongoing_requests": 2})
        h2 = serve.run(auto, name="digits_auto", route_prefix="/digits_auto")
        np.testing.assert_array_equal(h2.infer.remote({"image": x}).result(timeout_s=120)["prob"], want)
    finally:
        serve.shutdown()
        ray.shutdown()
