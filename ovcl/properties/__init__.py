"""Property keys and enums under OpenVINO's names (``openvino.properties`` and its ``hint``, ``device`` and
``streams`` submodules): ``compile_model(model, "GPU", {hints.performance_mode: hints.PerformanceMode.THROUGHPUT})``
and ``compiled.get_property(props.optimal_number_of_infer_requests)`` port unchanged. Which keys a device or a
compiled model takes, and what they do in ovcl, is ``ovcl.config``."""
from ovcl.properties.key import Property

available_devices = Property("AVAILABLE_DEVICES")
cache_dir = Property("CACHE_DIR")
compilation_num_threads = Property("COMPILATION_NUM_THREADS")
enable_profiling = Property("PERF_COUNT")
execution_devices = Property("EXECUTION_DEVICES")
inference_num_threads = Property("INFERENCE_NUM_THREADS")
loaded_from_cache = Property("LOADED_FROM_CACHE")
model_name = Property("NETWORK_NAME")
num_streams = Property("NUM_STREAMS")
optimal_number_of_infer_requests = Property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")
range_for_async_infer_requests = Property("RANGE_FOR_ASYNC_INFER_REQUESTS")
range_for_streams = Property("RANGE_FOR_STREAMS")
supported_properties = Property("SUPPORTED_PROPERTIES")

from ovcl.properties import device, hint, streams  # noqa: E402 - the submodules, as openvino.properties has them

__all__ = ["Property", "device", "hint", "streams"]
