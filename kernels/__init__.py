"""OpenCL C kernel templates (``*.cl.mako``), rendered by ``ovcl.render`` with concrete shapes and types."""
