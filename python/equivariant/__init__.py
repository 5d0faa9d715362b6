"""Python bindings for libequivariant (ctypes over the C ABI; no compiler, no build step).

    import numpy as np, equivariant
    with equivariant.Model("features-64.safetensors") as model, model.context() as ctx:
        ctx.set_background(beach)              # H x W x 3 (or 4) uint8 array, or a file path
        ctx.set_effect("swap")                 # any `eqr -effect` string: matte, cutout, transform=angle=20+scale=1.3, ...
        for frame in frames:                   # H x W x 3 uint8 arrays of one shot
            out = ctx.process(frame)           # a new H x W x 3 array (x 4 for cutout)

The library is found through EQR_LIBRARY (a path), else the linker's search path
(`libequivariant.so`, installed by CInterop/install.sh). Every failure raises
EquivariantError with the library's status and message. Images are uint8 arrays of shape
(H, W, 3) or (H, W, 4), RGB(A), any strides; they are copied to a contiguous buffer when
needed.
"""

import ctypes
import ctypes.util
import os

import numpy as np

__all__ = ["EquivariantError", "Model", "Context", "version", "load_library", "set_log", "fit"]  # and the modules checkpoint, reference

_STATUS = {
    0: "ok", -1: "null argument", -2: "invalid handle", -3: "invalid argument", -4: "file error",
    -5: "invalid model", -6: "unsupported", -7: "not ready", -8: "internal error", -9: "busy", -10: "aborted",
}
_LOG_LEVELS = {0: "error", 1: "warning", 2: "info"}
_LogCallback = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
_RGBA8, _RGB8 = 0, 1
_FITS = {"cover": 0, "contain": 1, "stretch": 2}
_RENDER = {"composite": 0, "model": 1}
_FLOATS = ctypes.POINTER(ctypes.c_float)


class EquivariantError(RuntimeError):
    """A failed library call: `status` is the eqr_status code, `message` the library's text."""

    def __init__(self, status, message):
        self.status = status
        self.message = message
        super().__init__(f"{message} ({_STATUS.get(status, status)})")


class _Image(ctypes.Structure):
    _fields_ = [("pixels", ctypes.POINTER(ctypes.c_uint8)), ("width", ctypes.c_int32), ("height", ctypes.c_int32),
                ("stride", ctypes.c_int32), ("format", ctypes.c_int32)]


class _Params(ctypes.Structure):
    _fields_ = [("n_threads", ctypes.c_int32), ("expected_variant", ctypes.c_char_p)]


_ProgressCallback = ctypes.CFUNCTYPE(None, ctypes.c_int32, ctypes.c_int32, ctypes.c_double, ctypes.c_double, ctypes.c_void_p)
_AbortCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)


class _FitParams(ctypes.Structure):
    _fields_ = [("seconds", ctypes.c_double), ("steps", ctypes.c_int32), ("resolution", ctypes.c_int32),
                ("variant", ctypes.c_char_p), ("init_from", ctypes.c_char_p), ("resume", ctypes.c_int32),
                ("seed", ctypes.c_uint64), ("progress_callback", _ProgressCallback), ("progress_user_data", ctypes.c_void_p),
                ("abort_callback", _AbortCallback), ("abort_user_data", ctypes.c_void_p)]


class _Error(ctypes.Structure):
    _fields_ = [("status", ctypes.c_int32), ("message", ctypes.c_char * 512)]


_library = None


def load_library(path=None):
    """Loads libequivariant once (from `path`, EQR_LIBRARY, or the linker's search path)."""
    global _library
    if _library is not None and path is None:
        return _library
    name = path or os.environ.get("EQR_LIBRARY") or ctypes.util.find_library("equivariant") or "libequivariant.so"
    try:
        lib = ctypes.CDLL(name)
    except OSError as error:
        raise EquivariantError(-4, f"cannot load {name}: {error}; install it with CInterop/install.sh "
                                   "(then ldconfig) or set EQR_LIBRARY to the .so's path") from None
    lib.eqr_version.restype = ctypes.c_char_p
    lib.eqr_log_set.argtypes = [_LogCallback, ctypes.c_void_p]
    lib.eqr_log_set.restype = None
    lib.eqr_model_default_params.restype = _Params
    lib.eqr_model_load.restype = ctypes.c_void_p
    lib.eqr_model_load.argtypes = [ctypes.c_char_p, _Params, ctypes.POINTER(_Error)]
    lib.eqr_model_free.argtypes = [ctypes.c_void_p]
    lib.eqr_model_resolution.argtypes = [ctypes.c_void_p]
    lib.eqr_model_resolution.restype = ctypes.c_int32
    lib.eqr_model_feature_count.argtypes = [ctypes.c_void_p]
    lib.eqr_model_feature_count.restype = ctypes.c_int32
    lib.eqr_model_variant.argtypes = [ctypes.c_void_p]
    lib.eqr_model_variant.restype = ctypes.c_char_p
    lib.eqr_context_new.argtypes = [ctypes.c_void_p]
    lib.eqr_context_new.restype = ctypes.c_void_p
    lib.eqr_context_free.argtypes = [ctypes.c_void_p]
    lib.eqr_context_last_error.argtypes = [ctypes.c_void_p]
    lib.eqr_context_last_error.restype = ctypes.c_char_p
    for name_, args in [("eqr_context_set_background", [ctypes.c_void_p, ctypes.POINTER(_Image)]),
                        ("eqr_context_set_background_file", [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32]),
                        ("eqr_context_set_background_fit", [ctypes.c_void_p, ctypes.c_int32]),
                        ("eqr_context_set_render_mode", [ctypes.c_void_p, ctypes.c_int32]),
                        ("eqr_context_reset_plate", [ctypes.c_void_p]),
                        ("eqr_context_set_effect", [ctypes.c_void_p, ctypes.c_char_p]),
                        ("eqr_context_process", [ctypes.c_void_p, ctypes.POINTER(_Image), ctypes.POINTER(_Image)]),
                        ("eqr_context_rewind", [ctypes.c_void_p]),
                        ("eqr_encode_character", [ctypes.c_void_p, ctypes.POINTER(_Image), _FLOATS, ctypes.c_int32]),
                        ("eqr_encode_background", [ctypes.c_void_p, ctypes.POINTER(_Image), _FLOATS, ctypes.c_int32]),
                        ("eqr_render", [ctypes.c_void_p, _FLOATS, _FLOATS, _FLOATS, ctypes.c_int32, ctypes.POINTER(_Image)])]:
        function = getattr(lib, name_)
        function.argtypes = args
        function.restype = ctypes.c_int32
    lib.eqr_fit_default_params.restype = _FitParams
    lib.eqr_fit.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(_FitParams), ctypes.POINTER(_Error)]
    lib.eqr_fit.restype = ctypes.c_int32
    if path is None:
        _library = lib
    return lib


_log_callback = None  # the installed C callback, kept alive while the library may call it


def set_log(handler):
    """Sends the library's messages to handler(level, message), level being "error" (each
    failed call's message, also raised as EquivariantError), "warning" or "info" (a model
    loaded, a background file set). None restores the library's default: warnings on stderr.
    The handler runs on the thread that called into the library; its exceptions are dropped
    (they cannot cross into C)."""
    global _log_callback
    lib = load_library()
    if handler is None:
        lib.eqr_log_set(ctypes.cast(None, _LogCallback), None)
        _log_callback = None
        return

    def forward(level, message, _user_data):
        try:
            handler(_LOG_LEVELS.get(level, str(level)), message.decode("utf-8", "replace"))
        except Exception:  # noqa: BLE001 - nothing may propagate into the C caller
            pass

    callback = _LogCallback(forward)
    lib.eqr_log_set(callback, None)
    _log_callback = callback


def fit(clip, output, seconds=None, steps=None, resolution=64, variant=None, init_from=None, resume=False, seed=1,
        progress=None, should_abort=None):
    """Fits a model to one clip, label-free, as `eqr fit` does, and writes it to `output`
    (a checkpoint every 100 steps and at the end; load it with Model). Give `seconds`, `steps`
    or both. `progress(step, total_steps, elapsed_seconds, loss)` runs after every logged step
    (total_steps is -1 under a time budget alone); `should_abort()` runs after every step, and
    a true result ends the fit there with EquivariantError (status "aborted") and a checkpoint
    that `resume=True` continues. Exceptions inside either callable are dropped (they cannot
    cross into C); make should_abort return True to stop instead."""
    lib = load_library()
    params = lib.eqr_fit_default_params()
    params.seconds = float(seconds or 0)
    params.steps = int(steps or 0)
    params.resolution = int(resolution)
    params.variant = variant.encode() if variant else None
    params.init_from = os.fsencode(init_from) if init_from else None
    params.resume = 1 if resume else 0
    params.seed = int(seed)

    def report(step, total, elapsed, loss, _user_data):
        try:
            progress(step, total, elapsed, loss)
        except Exception:  # noqa: BLE001 - nothing may propagate into the C caller
            pass

    def asked(_user_data):
        try:
            return 1 if should_abort() else 0
        except Exception:  # noqa: BLE001
            return 0

    # Kept in locals for the length of the call: the library calls them until eqr_fit returns.
    progress_callback = _ProgressCallback(report) if progress else _ProgressCallback()
    abort_callback = _AbortCallback(asked) if should_abort else _AbortCallback()
    params.progress_callback = progress_callback
    params.abort_callback = abort_callback
    error = _Error()
    status = lib.eqr_fit(os.fsencode(clip), os.fsencode(output), ctypes.byref(params), ctypes.byref(error))
    if status != 0:
        raise EquivariantError(status, error.message.decode("utf-8", "replace"))


def version():
    """The library's version string (the same as `eqr --version`'s first line)."""
    return load_library().eqr_version().decode()


def _image(array, name):
    """An eqr_image over a uint8 (H, W, 3|4) array (made contiguous when it is not); the
    array is returned too, so the caller keeps it alive during the call."""
    array = np.asarray(array)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] not in (3, 4):
        raise EquivariantError(-3, f"{name} must be a uint8 array of shape (H, W, 3) or (H, W, 4), "
                                   f"got {array.dtype} {array.shape}")
    array = np.ascontiguousarray(array)
    height, width, channels = array.shape
    image = _Image(array.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)), width, height, width * channels,
                   _RGBA8 if channels == 4 else _RGB8)
    return image, array


class _Closing:
    """`with` support and freeing at garbage collection, for classes with `close()`."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()


class Model(_Closing):
    """A loaded checkpoint (read-only; one model can serve several contexts and threads).

    `path` is a .safetensors file; `threads` sets the library's worker count (0 keeps one
    per core); `expected_variant` ("given", "pixels", "features") refuses other variants."""

    def __init__(self, path, threads=0, expected_variant=None, library=None):
        self._lib = load_library(library)
        params = self._lib.eqr_model_default_params()
        params.n_threads = int(threads)
        params.expected_variant = expected_variant.encode() if expected_variant else None
        error = _Error()
        handle = self._lib.eqr_model_load(os.fsencode(path), params, ctypes.byref(error))
        if not handle:
            raise EquivariantError(error.status, error.message.decode(errors="replace"))
        self._handle = handle

    @property
    def resolution(self):
        """The model's side length in pixels (64, 128, ...)."""
        return self._lib.eqr_model_resolution(self._live())

    @property
    def variant(self):
        """The model's T^z variant: "given", "pixels" or "features"."""
        return self._lib.eqr_model_variant(self._live()).decode()

    @property
    def feature_count(self):
        """Floats in one frame's feature maps, all levels (coarse first, then a two-level
        model's fine level), as encode_character returns them."""
        return self._lib.eqr_model_feature_count(self._live())

    def context(self):
        """A new stream of frames (effect, background, plate, frame count) over this model."""
        return Context(self)

    def close(self):
        """Frees the model (contexts made from it must be closed first); idempotent."""
        if getattr(self, "_handle", None):
            self._lib.eqr_model_free(self._handle)
            self._handle = None

    def _live(self):
        if not self._handle:
            raise EquivariantError(-2, "the model is closed")
        return self._handle


class Context(_Closing):
    """One stream of frames: its effect, background, learned plate and frame count. Not for
    use from two threads at once (make one context per thread)."""

    def __init__(self, model):
        self._lib = model._lib
        self._model = model  # keeps the model alive while the context lives
        handle = self._lib.eqr_context_new(model._live())
        if not handle:
            raise EquivariantError(-8, "eqr_context_new failed")
        self._handle = handle

    def _check(self, status):
        if status != 0:
            raise EquivariantError(status, self._lib.eqr_context_last_error(self._handle).decode(errors="replace"))

    def _live(self):
        if not self._handle:
            raise EquivariantError(-2, "the context is closed")
        return self._handle

    def set_effect(self, effect):
        """Any `eqr -effect` string: "swap", "matte", "cutout", "reconstruct",
        "transform=angle=20+scale=1.3", "transfer=template=FILE", ..."""
        self._check(self._lib.eqr_context_set_effect(self._live(), effect.encode()))
        self._effect_has_alpha = effect.split("=", 1)[0] == "cutout"

    def set_background(self, background, loop=True):
        """A still background (uint8 array) or an image or video file path (a video gives
        one frame per processed frame, looping when `loop`)."""
        if isinstance(background, (str, bytes, os.PathLike)):
            self._check(self._lib.eqr_context_set_background_file(self._live(), os.fsencode(background), 1 if loop else 0))
        else:
            image, keep = _image(background, "background")
            self._check(self._lib.eqr_context_set_background(self._live(), ctypes.byref(image)))

    def set_background_fit(self, fit):
        """How a background of another aspect fills the frame: "cover", "contain" or "stretch"."""
        if fit not in _FITS:
            raise EquivariantError(-3, f"fit must be one of {', '.join(_FITS)}, got {fit!r}")
        self._check(self._lib.eqr_context_set_background_fit(self._live(), _FITS[fit]))

    def set_render_mode(self, mode):
        """"composite" (the default: the frame's own pixels cut out by a matte) or "model"."""
        if mode not in _RENDER:
            raise EquivariantError(-3, f"render mode must be one of {', '.join(_RENDER)}, got {mode!r}")
        self._check(self._lib.eqr_context_set_render_mode(self._live(), _RENDER[mode]))

    def reset_plate(self):
        """Forgets the background plate learned so far (at a cut the context does not see)."""
        self._check(self._lib.eqr_context_reset_plate(self._live()))

    def rewind(self):
        """Restarts the frame count (keyframes and motion templates start again)."""
        self._check(self._lib.eqr_context_rewind(self._live()))

    def process(self, frame, out=None):
        """Renders the next frame of the stream and returns it: a new array of the frame's
        size (4 channels for the cutout effect, else 3), or `out` filled in place."""
        source, keep = _image(frame, "frame")
        if out is None:
            channels = 4 if getattr(self, "_effect_has_alpha", False) else 3
            out = np.empty((source.height, source.width, channels), np.uint8)
        target, written = _image(out, "out")
        if written is not out and not np.shares_memory(written, out):
            raise EquivariantError(-3, "out must be a C-contiguous uint8 array")
        self._check(self._lib.eqr_context_process(self._live(), ctypes.byref(source), ctypes.byref(target)))
        return out

    # Building blocks: f, h, T^z and g at the model's resolution.

    def _encode(self, function, frame):
        source, keep = _image(frame, "frame")
        features = np.empty(self._model.feature_count, np.float32)
        self._check(function(self._live(), ctypes.byref(source), features.ctypes.data_as(_FLOATS), features.size))
        return features

    def encode_character(self, frame):
        """f(x): the character features of a uint8 frame (scaled to the model's resolution
        first), a flat float32 array of Model.feature_count values, coarse level first."""
        return self._encode(self._lib.eqr_encode_character, frame)

    def encode_background(self, frame):
        """h(x): the background features of a uint8 frame, as encode_character."""
        return self._encode(self._lib.eqr_encode_background, frame)

    def render(self, character, background, theta=None, size=None):
        """g's frame from character features moved by θ (six floats; None: identity) and
        background features: a new uint8 (size, size, 3) array (default: the model's side)."""
        count = self._model.feature_count
        buffers = [np.ascontiguousarray(a, np.float32).ravel() for a in (character, background)]
        if any(b.size != count for b in buffers):
            raise EquivariantError(-3, f"feature arrays must hold {count} floats, got {buffers[0].size} and {buffers[1].size}")
        theta_buffer = None if theta is None else np.ascontiguousarray(theta, np.float32).ravel()
        if theta_buffer is not None and theta_buffer.size != 6:
            raise EquivariantError(-3, f"theta must hold 6 floats, got {theta_buffer.size}")
        side = size or self._model.resolution
        out = np.empty((side, side, 3), np.uint8)
        target, written = _image(out, "out")
        self._check(self._lib.eqr_render(self._live(), buffers[0].ctypes.data_as(_FLOATS),
                                         None if theta_buffer is None else theta_buffer.ctypes.data_as(_FLOATS),
                                         buffers[1].ctypes.data_as(_FLOATS), count, ctypes.byref(target)))
        return out

    def close(self):
        """Frees the context; idempotent."""
        if getattr(self, "_handle", None):
            self._lib.eqr_context_free(self._handle)
            self._handle = None
