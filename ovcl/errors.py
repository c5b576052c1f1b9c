"""ovcl's exception hierarchy. Every message names the model element concerned and what would fix it."""
from ovcl.frontends.errors import FrontendError, UnsupportedOpError
from ovcl.ir.errors import IRError, OVCLError


class DeviceError(OVCLError):
    """No such device, or the device lacks a capability the model needs."""


class ConfigError(OVCLError):
    """A property key ovcl does not know, or a value the property cannot take."""


class CompileError(OVCLError):
    """The model cannot be compiled for the device (e.g. an op without an OpenCL kernel)."""


class KernelBuildError(CompileError):
    """The OpenCL compiler rejected a kernel; the message carries the build log and the node."""


class ImportModelError(OVCLError):
    """A blob that is not an exported ovcl model, or one exported for another device, driver or ovcl version."""


class InferenceError(OVCLError):
    """Wrong inputs at inference (count, names, shapes, element types) or a failure while running."""


class NotSupportedError(OVCLError):
    """An OpenVINO API ovcl does not have by design (C++ extensions, plugins, remote contexts); the message says
    why and what to do instead."""


__all__ = ["CompileError", "ConfigError", "DeviceError", "FrontendError", "IRError", "ImportModelError",
           "InferenceError", "KernelBuildError", "NotSupportedError", "OVCLError", "UnsupportedOpError"]
