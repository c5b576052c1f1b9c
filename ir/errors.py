"""The root of ovcl's exception hierarchy lives here, in the package every other one imports."""


class OVCLError(Exception):
    """Base of every error ovcl raises on purpose."""


class IRError(OVCLError):
    """Malformed graph, failed type/shape inference or a bad attribute. Messages name the node."""
