"""The root of ovcl's exception hierarchy lives here, in the package every other one imports."""


class OVCLError(RuntimeError):
    """Base of every error ovcl raises on purpose. A RuntimeError, as OpenVINO's errors are, so that a ported
    ``except RuntimeError:`` still catches it."""


class IRError(OVCLError):
    """Malformed graph, failed type/shape inference or a bad attribute. Messages name the node."""
