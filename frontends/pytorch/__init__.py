"""The PyTorch frontend: ``torch.export`` graphs translated op by op (see issue on the PyTorch frontend)."""


def convert(obj, **kwargs):
    from ovcl.errors import FrontendError
    raise FrontendError("the PyTorch frontend is not available yet")
