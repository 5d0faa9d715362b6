"""Swap the background of one image with libequivariant through ctypes.

    python3 examples/python/swap_frame.py MODEL CHARACTER_IMAGE BACKGROUND_IMAGE OUT.png [LIBRARY]

Images are read and written as raw RGB with the `ffmpeg` binary; LIBRARY defaults to the
installed libequivariant.so (found by the dynamic loader).
"""
import ctypes
import subprocess
import sys


class Image(ctypes.Structure):
    """struct eqr_image from equivariant.h."""
    _fields_ = [("pixels", ctypes.POINTER(ctypes.c_uint8)), ("width", ctypes.c_int32), ("height", ctypes.c_int32),
                ("stride", ctypes.c_int32), ("format", ctypes.c_int)]


class Error(ctypes.Structure):
    """struct eqr_error from equivariant.h."""
    _fields_ = [("status", ctypes.c_int), ("message", ctypes.c_char * 512)]


class Params(ctypes.Structure):
    """struct eqr_model_params from equivariant.h."""
    _fields_ = [("n_threads", ctypes.c_int32), ("expected_variant", ctypes.c_char_p)]


def read_rgb(path):
    size = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", path],
                          check=True, capture_output=True, text=True).stdout.split(",")
    pixels = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                            check=True, capture_output=True).stdout
    return int(size[0]), int(size[1]), bytearray(pixels)


def main(model_path, character_path, background_path, out_path, library="libequivariant.so"):
    eqr = ctypes.CDLL(library)
    eqr.eqr_version.restype = ctypes.c_char_p
    eqr.eqr_model_default_params.restype = Params
    eqr.eqr_model_load.restype = ctypes.c_void_p
    eqr.eqr_model_load.argtypes = [ctypes.c_char_p, Params, ctypes.POINTER(Error)]
    eqr.eqr_context_new.restype = ctypes.c_void_p
    eqr.eqr_context_new.argtypes = [ctypes.c_void_p]
    eqr.eqr_context_last_error.restype = ctypes.c_char_p
    eqr.eqr_context_last_error.argtypes = [ctypes.c_void_p]
    eqr.eqr_context_set_background.argtypes = [ctypes.c_void_p, ctypes.POINTER(Image)]
    eqr.eqr_swap.argtypes = [ctypes.c_void_p, ctypes.POINTER(Image), ctypes.POINTER(Image)]
    eqr.eqr_context_free.argtypes = [ctypes.c_void_p]
    eqr.eqr_model_free.argtypes = [ctypes.c_void_p]

    error = Error()
    model = eqr.eqr_model_load(model_path.encode(), eqr.eqr_model_default_params(), ctypes.byref(error))
    if not model:
        sys.exit(f"swap_frame: {error.message.decode()}")
    context = eqr.eqr_context_new(model)

    def image(width, height, pixels):
        buffer = (ctypes.c_uint8 * len(pixels)).from_buffer(pixels)
        return Image(buffer, width, height, width * 3, 1)  # 1 = EQR_PIXEL_RGB8

    width, height, character = read_rgb(character_path)
    background = image(*read_rgb(background_path))
    result = bytearray(width * height * 3)
    if eqr.eqr_context_set_background(context, ctypes.byref(background)) != 0 or \
            eqr.eqr_swap(context, ctypes.byref(image(width, height, character)), ctypes.byref(image(width, height, result))) != 0:
        sys.exit(f"swap_frame: {eqr.eqr_context_last_error(context).decode()}")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-i", "-",
                    "-frames:v", "1", out_path], input=bytes(result), check=True)
    print(f"libequivariant {eqr.eqr_version().decode()}: wrote {out_path} ({width}x{height})")
    eqr.eqr_context_free(context)
    eqr.eqr_model_free(model)


if __name__ == "__main__":
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    main(*sys.argv[1:])
