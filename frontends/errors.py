"""The frontends' errors: a framework file or object that cannot be read or translated."""
from ovcl.ir.errors import OVCLError


class FrontendError(OVCLError):
    """A framework file or object could not be read or translated."""


class UnsupportedOpError(FrontendError):
    """A framework op without a translation to the OpenVINO op set."""
