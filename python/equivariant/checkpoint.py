"""Reading an eqr checkpoint without the library: its metadata, its tensors and its
architecture (the `architecture` metadata key, JSON, written by every save).

    from equivariant.checkpoint import read, architecture
    metadata, tensors = read("aligned-wide-64.safetensors")   # dict of str, dict of float32 arrays
    layers = architecture("aligned-wide-64.safetensors")       # f, h, g, coverage, warp, input

Only NumPy is needed. See `equivariant.reference` for a NumPy forward pass built from the
description, and examples/python/torch_from_checkpoint.py for the same in PyTorch.
"""

import json
import struct

import numpy as np

__all__ = ["CheckpointError", "read", "architecture"]

_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32, "U8": np.uint8}


class CheckpointError(ValueError):
    """A file that is not a readable eqr checkpoint, with the reason."""


def read(path):
    """(metadata, tensors) of a safetensors file: metadata a dict of strings, tensors a
    dict of NumPy arrays (copies, in the file's shapes)."""
    with open(path, "rb") as file:
        data = file.read()
    if len(data) < 8:
        raise CheckpointError(f"{path}: {len(data)} bytes is too short for a safetensors file")
    (length,) = struct.unpack("<Q", data[:8])
    if length > len(data) - 8:
        raise CheckpointError(f"{path}: the header length {length} runs past the end of the file")
    try:
        header = json.loads(data[8:8 + length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{path}: the header is not JSON ({error})") from None
    metadata = header.pop("__metadata__", {}) or {}
    body = memoryview(data)[8 + length:]
    tensors = {}
    for name, entry in header.items():
        dtype = _DTYPES.get(entry.get("dtype"))
        if dtype is None:
            raise CheckpointError(f"{path}: tensor {name!r} has dtype {entry.get('dtype')!r}, not one of {', '.join(_DTYPES)}")
        start, end = entry["data_offsets"]
        shape = tuple(entry["shape"])
        array = np.frombuffer(body[start:end], dtype=dtype)
        if array.size != int(np.prod(shape, dtype=np.int64)):
            raise CheckpointError(f"{path}: tensor {name!r} holds {array.size} values for shape {shape}")
        tensors[name] = array.reshape(shape).copy()
    return metadata, tensors


def architecture(path_or_metadata):
    """The architecture description of a checkpoint (a path, or metadata from `read`) as a
    dict; raises CheckpointError for files written before the key existed."""
    metadata = read(path_or_metadata)[0] if isinstance(path_or_metadata, (str, bytes)) or hasattr(path_or_metadata, "__fspath__") else path_or_metadata
    text = metadata.get("architecture")
    if text is None:
        raise CheckpointError("the checkpoint has no `architecture` metadata (written before the key existed): "
                              "re-save it with `eqr export OLD NEW`, or print it with `eqr info --architecture OLD`")
    return json.loads(text)
