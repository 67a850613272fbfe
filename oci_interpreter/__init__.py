"""oci: a local code interpreter on quantized GGUF models (OpenCodeInterpreter-style)."""

__version__ = "0.1.0"
