/*
 * equivariant.h: the C interface of libequivariant, the equivariant renderer.
 *
 * A trained model separates a moving character from its static background and re-renders
 * the character over a new background, under an affine transform, or moving the way
 * another clip moves. Models are the safetensors checkpoints written by `eqr train`.
 *
 * Basic usage (error handling shortened):
 *
 *     eqr_error error;
 *     eqr_model *model = eqr_model_load("model.safetensors", eqr_model_default_params(), &error);
 *     if (model == NULL) { fprintf(stderr, "%s\n", error.message); return 1; }
 *     eqr_context *ctx = eqr_context_new(model);
 *     eqr_context_set_background_file(ctx, "beach.jpg", 1);
 *     eqr_context_set_effect(ctx, "transform=angle=20:scale=1.3");
 *     eqr_image in  = { in_pixels,  width, height, width * 4, EQR_PIXEL_RGBA8 };
 *     eqr_image out = { out_pixels, width, height, width * 4, EQR_PIXEL_RGBA8 };
 *     for (each frame) {
 *         if (eqr_context_process(ctx, &in, &out) != EQR_OK)
 *             fprintf(stderr, "%s\n", eqr_context_last_error(ctx));
 *     }
 *     eqr_context_free(ctx);
 *     eqr_model_free(model);
 *
 * Images are packed 8-bit RGBA or RGB of any row stride, up to 16384 pixels a side and
 * 8192 x 4320 = 35389440 pixels in all (larger frames return EQR_ERROR_INVALID_ARGUMENT before
 * any full-size buffer is made: the composite needs about 200 bytes per pixel); the library
 * resizes them to the model's square resolution and back with libswscale (bicubic). Outputs
 * written as RGBA get an opaque alpha channel.
 *
 * Affine numbers: six floats, row-major [a, b, tx, c, d, ty], on normalised image
 * coordinates ([-1, 1] on both axes, x to the right, y down). A "motion" moves image
 * content (a point p ends up at A·p + t); a "theta" is the feature-space sampling matrix
 * θ_z that the spatial transformer applies (each output location reads the input at
 * θ·p). To move content by a motion M, sample with θ = M⁻¹ (eqr_theta_for_motion).
 *
 * Thread safety: an eqr_model is read-only after loading and may be shared by any number
 * of threads. An eqr_context holds per-stream state (background, effect, frame count,
 * scratch buffers, last error) and must be used by one thread at a time; give each thread
 * its own. Handles are checked on every call: NULL, freed handles and a model passed as a
 * context (or the reverse) return EQR_ERROR_INVALID_HANDLE instead of crashing.
 */
#ifndef EQUIVARIANT_H
#define EQUIVARIANT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EQR_VERSION_MAJOR 0
#define EQR_VERSION_MINOR 7
#define EQR_VERSION_PATCH 0

/* Status codes: 0 is success, every error is negative. */
typedef enum eqr_status {
    EQR_OK = 0,
    EQR_ERROR_NULL_ARGUMENT = -1,    /* a required pointer was NULL */
    EQR_ERROR_INVALID_HANDLE = -2,   /* freed handle, or a handle of the wrong type */
    EQR_ERROR_INVALID_ARGUMENT = -3, /* bad size, stride, pixel format, option or number */
    EQR_ERROR_FILE = -4,             /* a file is missing, unreadable or not decodable */
    EQR_ERROR_INVALID_MODEL = -5,    /* the file is not a valid checkpoint */
    EQR_ERROR_UNSUPPORTED = -6,      /* the model's T^z variant cannot do this */
    EQR_ERROR_NOT_READY = -7,        /* the call needs a background and none is set */
    EQR_ERROR_INTERNAL = -8,         /* a bug: please report it with the message */
    EQR_ERROR_BUSY = -9,             /* another thread is inside the same context (use one
                                        context per thread); nothing was done */
    EQR_ERROR_ABORTED = -10          /* the host's abort callback stopped a long call (eqr_fit) */
} eqr_status;

/* Pixel layouts of eqr_image. */
typedef enum eqr_pixel_format {
    EQR_PIXEL_RGBA8 = 0, /* 4 bytes per pixel: R, G, B, A */
    EQR_PIXEL_RGB8 = 1   /* 3 bytes per pixel: R, G, B */
} eqr_pixel_format;

/* A caller-owned image. Inputs are only read; outputs are written in place. */
typedef struct eqr_image {
    uint8_t *pixels;         /* first byte of the top row */
    int32_t width;           /* 1 ... 16384, width * height <= 35389440 for a processed frame */
    int32_t height;          /* 1 ... 16384 */
    int32_t stride;          /* bytes from one row to the next, >= width * bytes per pixel */
    eqr_pixel_format format; /* EQR_PIXEL_RGBA8 or EQR_PIXEL_RGB8 */
} eqr_image;

/* Options for eqr_model_load; start from eqr_model_default_params(). */
typedef struct eqr_model_params {
    /* Worker threads for the library's loops, process-wide (the last load sets it);
       0 keeps the current setting (one per core). */
    int32_t n_threads;
    /* Refuse checkpoints of another T^z variant: "given", "pixels", "features", or NULL
       for any. */
    const char *expected_variant;
} eqr_model_params;

/* Where eqr_model_load reports failure. */
typedef struct eqr_error {
    eqr_status status;  /* EQR_OK after a successful load */
    char message[512];  /* NUL-terminated; empty after a successful load */
} eqr_error;

/* A loaded model (opaque, read-only, shareable across threads). */
typedef struct eqr_model eqr_model;
/* Per-thread state for one stream of frames (opaque). */
typedef struct eqr_context eqr_context;

/* ---- Library ---------------------------------------------------------------------- */

/* The library version as "MAJOR.MINOR.PATCH"; never NULL. */
const char *eqr_version(void);

/* A static description of a status code; "unknown status" for values not listed above. */
const char *eqr_status_string(eqr_status status);

/* ---- Log ---------------------------------------------------------------------------- */

/* How much a logged message matters. */
typedef enum eqr_log_level {
    EQR_LOG_ERROR = 0,    /* a call failed; the message is also its eqr_error / last error */
    EQR_LOG_WARNING = 1,  /* the library works, but worse than it could (e.g. a slow BLAS kernel) */
    EQR_LOG_INFO = 2      /* what a call did (a model loaded, a background set from a file) */
} eqr_log_level;

/* Receives one message: NUL-terminated, without a trailing newline, valid only during the
   call. It runs on the thread that made the library call, so it may be called from several
   threads at once; it must not call back into the library. */
typedef void (*eqr_log_callback)(eqr_log_level level, const char *message, void *user_data);

/* Sends every message the library logs to callback, with user_data, for the whole process
   (like whisper.cpp's whisper_log_set). NULL restores the default: warnings go to stderr as
   "equivariant: warning: ...", errors and information are not printed (errors are still
   returned by each call). Safe to call from any thread; a call in progress on another
   thread may still reach the previous callback.

       static void to_my_log(eqr_log_level level, const char *message, void *user) {
           my_log((struct my_app *)user, level == EQR_LOG_ERROR ? "E" : "I", message);
       }
       eqr_log_set(to_my_log, app);   ...   eqr_log_set(NULL, NULL);  */
void eqr_log_set(eqr_log_callback callback, void *user_data);

/* Builds a motion (six floats into motion_out) from a rotation in degrees
   (counter-clockwise on screen), a uniform scale and a shift in normalised units,
   about the image centre. Returns EQR_ERROR_NULL_ARGUMENT if motion_out is NULL,
   EQR_ERROR_INVALID_ARGUMENT for non-finite numbers or a scale <= 0. */
eqr_status eqr_motion_make(double angle_degrees, double scale, double tx, double ty, float *motion_out);

/* ---- Models ----------------------------------------------------------------------- */

/* Default load options. */
eqr_model_params eqr_model_default_params(void);

/* Loads a checkpoint. Returns NULL on failure and, if error is not NULL, fills it with
   EQR_ERROR_NULL_ARGUMENT, EQR_ERROR_FILE, EQR_ERROR_INVALID_MODEL or
   EQR_ERROR_INVALID_ARGUMENT and a message naming the problem. */
eqr_model *eqr_model_load(const char *path, eqr_model_params params, eqr_error *error);

/* Releases a model. NULL and already-freed handles are ignored. Contexts made from the
   model keep working; its memory goes with the last of them. */
void eqr_model_free(eqr_model *model);

/* The model's square resolution R in pixels; EQR_ERROR_INVALID_HANDLE for a bad handle. */
int32_t eqr_model_resolution(const eqr_model *model);

/* The T^z variant, "given", "pixels" or "features"; NULL for a bad handle. */
const char *eqr_model_variant(const eqr_model *model);

/* The number of floats in one frame's feature maps, the size of the buffers of
   eqr_encode_character, eqr_encode_background and eqr_render: C' × R/s × R/s (s the
   feature stride, 4 or 2), followed for a two-level model (`eqr train --fine-level`) by
   its fine level, B × R × R. Both levels are row-major [channel][row][column].
   EQR_ERROR_INVALID_HANDLE for a bad handle. */
int32_t eqr_model_feature_count(const eqr_model *model);

/* ---- Contexts --------------------------------------------------------------------- */

/* A new context on a model (swap effect, no background). NULL for a bad model handle. */
eqr_context *eqr_context_new(const eqr_model *model);

/* Releases a context. NULL and already-freed handles are ignored. */
void eqr_context_free(eqr_context *ctx);

/* The message of the context's last failed call ("" if none), valid until the next call
   on the context; a static message for a bad handle. Never NULL. */
const char *eqr_context_last_error(const eqr_context *ctx);

/* Uses an in-memory still image as the background for every frame (encoded once).
   Returns EQR_OK, EQR_ERROR_NULL_ARGUMENT, EQR_ERROR_INVALID_HANDLE or
   EQR_ERROR_INVALID_ARGUMENT (bad image). */
eqr_status eqr_context_set_background(eqr_context *ctx, const eqr_image *background);

/* Uses an image or video file (decoded with FFmpeg) as the background. A video supplies
   one frame per processed frame; when it is shorter than the input it starts again if
   loop is non-zero, else holds its last frame. Returns EQR_OK, EQR_ERROR_NULL_ARGUMENT,
   EQR_ERROR_INVALID_HANDLE or EQR_ERROR_FILE. */
eqr_status eqr_context_set_background_file(eqr_context *ctx, const char *path, int32_t loop);

/* How a background whose aspect ratio differs from the frames' fills them (the same
   choice as `eqr -bg-fit`). The default is EQR_FIT_COVER. */
typedef enum eqr_background_fit {
    EQR_FIT_COVER = 0,   /* scale to cover the frame, centre-crop the overflow */
    EQR_FIT_CONTAIN = 1, /* scale to fit inside the frame, pad with black */
    EQR_FIT_STRETCH = 2  /* scale each axis to the frame (distorts) */
} eqr_background_fit;

/* Sets how the background is fitted to the frames; kept when the background or the effect
   changes. Returns EQR_OK, EQR_ERROR_INVALID_HANDLE or EQR_ERROR_INVALID_ARGUMENT (a value
   not listed above). */
eqr_status eqr_context_set_background_fit(eqr_context *ctx, eqr_background_fit fit);

/* What swap, transform and transfer output (the same choice as `eqr -render`). */
typedef enum eqr_render_mode {
    /* The default: the character's own pixels, cut out by a matte against a background
       plate the context learns from the frames it processes, laid over the background at
       the frames' own resolution. The context starts a new plate at each cut it detects;
       eqr_context_reset_plate forces one. */
    EQR_RENDER_COMPOSITE = 0,
    /* The model's rendering g(T^z(f(x)) + h(b)) at its resolution, scaled to the frame. */
    EQR_RENDER_MODEL = 1
} eqr_render_mode;

/* Sets the render mode; kept when the background or the effect changes. Returns EQR_OK,
   EQR_ERROR_INVALID_HANDLE or EQR_ERROR_INVALID_ARGUMENT (a value not listed above). */
eqr_status eqr_context_set_render_mode(eqr_context *ctx, eqr_render_mode mode);

/* Forgets the background plate learned from the frames so far (the context also does
   this by itself at the cuts it detects; call it where you know a shot starts). Returns
   EQR_OK or EQR_ERROR_INVALID_HANDLE. */
eqr_status eqr_context_reset_plate(eqr_context *ctx);

/* Chooses the effect of eqr_context_process, in the syntax of `eqr -effect`: "swap",
   "reconstruct", "matte" (the character's matte as grey; needs no background), "cutout"
   (the frame with the matte as alpha in an EQR_PIXEL_RGBA8 output; x·α in an RGB one),
   "transform=angle=20:scale=1.3:tx=0.1:ty=0" ('+' may replace ':'), "transform=keyframes=FILE"
   or "transfer=template=FILE" (see `eqr -h effects` for every option and its range).
   The background and the frame count are kept. Returns EQR_OK, EQR_ERROR_NULL_ARGUMENT,
   EQR_ERROR_INVALID_HANDLE or EQR_ERROR_INVALID_ARGUMENT (the message names the bad option
   and its range, or the keyframe or template file that cannot be read). */
eqr_status eqr_context_set_effect(eqr_context *ctx, const char *effect);

/* Renders the next frame of a stream with the context's effect, exactly as the `eqr` host
   does with `-plate running` (a stream cannot look ahead: in the default composite mode the
   background plate is learned from the frames processed so far), and advances the frame
   count. in and out may differ in size and format, or be the same buffer. Returns EQR_OK, EQR_ERROR_NULL_ARGUMENT, EQR_ERROR_INVALID_HANDLE,
   EQR_ERROR_INVALID_ARGUMENT (bad image) or EQR_ERROR_NOT_READY (no background). */
eqr_status eqr_context_process(eqr_context *ctx, const eqr_image *in, eqr_image *out);

/* Restarts the frame count at zero (keyframes and motion templates start again).
   Returns EQR_OK or EQR_ERROR_INVALID_HANDLE. */
eqr_status eqr_context_rewind(eqr_context *ctx);

/* ---- One-frame conveniences (no frame count, no effect) --------------------------- */

/* The character of `character` over the context's background. Returns EQR_OK,
   EQR_ERROR_NULL_ARGUMENT, EQR_ERROR_INVALID_HANDLE, EQR_ERROR_INVALID_ARGUMENT or
   EQR_ERROR_NOT_READY (no background set). */
eqr_status eqr_swap(eqr_context *ctx, const eqr_image *character, eqr_image *out);

/* The character of `frame` moved by `motion` (six floats), over the context's background
   when one is set, else over the frame's own background. Returns EQR_OK,
   EQR_ERROR_NULL_ARGUMENT, EQR_ERROR_INVALID_HANDLE or EQR_ERROR_INVALID_ARGUMENT
   (bad image, non-invertible or non-finite motion). */
eqr_status eqr_transform(eqr_context *ctx, const eqr_image *frame, const float *motion, eqr_image *out);

/* The character of `frame` moved the way the character of `driver` moved to
   `driver_next`, over the context's background when one is set, else the frame's own.
   Returns EQR_OK, EQR_ERROR_NULL_ARGUMENT, EQR_ERROR_INVALID_HANDLE,
   EQR_ERROR_INVALID_ARGUMENT or EQR_ERROR_UNSUPPORTED (a `given` model cannot estimate
   motion). */
eqr_status eqr_transfer(eqr_context *ctx, const eqr_image *driver, const eqr_image *driver_next,
                        const eqr_image *frame, eqr_image *out);

/* ---- Building blocks: f, h, T^z and g --------------------------------------------- */

/* f(x): writes the character features of `frame` (count = eqr_model_feature_count floats).
   Returns EQR_OK, EQR_ERROR_NULL_ARGUMENT, EQR_ERROR_INVALID_HANDLE or
   EQR_ERROR_INVALID_ARGUMENT (bad image, or count differs from the model's). */
eqr_status eqr_encode_character(eqr_context *ctx, const eqr_image *frame, float *features, int32_t count);

/* h(x): writes the background features of `frame`; failures as eqr_encode_character. */
eqr_status eqr_encode_background(eqr_context *ctx, const eqr_image *frame, float *features, int32_t count);

/* Estimates θ_z (six floats into theta_out) that moves the character of `from` to where
   it is in `to`. Returns EQR_OK, EQR_ERROR_NULL_ARGUMENT, EQR_ERROR_INVALID_HANDLE,
   EQR_ERROR_INVALID_ARGUMENT or EQR_ERROR_UNSUPPORTED (a `given` model). */
eqr_status eqr_estimate_transform(eqr_context *ctx, const eqr_image *from, const eqr_image *to, float *theta_out);

/* θ_z for a content motion: the model's learned map for `given`, M⁻¹ otherwise.
   Returns EQR_OK, EQR_ERROR_NULL_ARGUMENT, EQR_ERROR_INVALID_HANDLE or
   EQR_ERROR_INVALID_ARGUMENT (non-invertible or non-finite motion). */
eqr_status eqr_theta_for_motion(eqr_context *ctx, const float *motion, float *theta_out);

/* g(T^z(character) + background): renders features into `out` (for a model trained with
   the layered renderer, α·g(T^z(character) + background) + (1 − α)·g(background), α drawn
   from the moved character features). theta may be NULL for the identity; count is the
   length of both feature buffers. Returns EQR_OK,
   EQR_ERROR_NULL_ARGUMENT, EQR_ERROR_INVALID_HANDLE or EQR_ERROR_INVALID_ARGUMENT
   (wrong count, non-finite numbers, bad image). */
eqr_status eqr_render(eqr_context *ctx, const float *character, const float *theta, const float *background,
                      int32_t count, eqr_image *out);

/* ---- Fitting a model to a clip ----------------------------------------------------- */

/* Called by eqr_fit after every logged step (every 10 steps, and the last): the step
   reached, the step count (-1 when only a time budget ends the fit), the seconds since the
   fit started and the step's total loss. Runs on the thread that called eqr_fit; it must not
   call back into the library. */
typedef void (*eqr_progress_callback)(int32_t step, int32_t total_steps, double elapsed_seconds, double loss, void *user_data);

/* Polled by eqr_fit after every training step (a step takes tens of milliseconds at 64x64);
   a non-zero return ends the fit there, with that step's checkpoint written. */
typedef int (*eqr_abort_callback)(void *user_data);

/* Options for eqr_fit; start from eqr_fit_default_params(). */
typedef struct eqr_fit_params {
    double seconds;           /* time budget in seconds (0: none) */
    int32_t steps;            /* step count (0: none); at least one of the two must be set,
                                 and with both the fit ends at whichever comes first */
    int32_t resolution;       /* the model's side in pixels, a multiple of 8 (default 64) */
    const char *variant;      /* where T^z comes from: "features" (default) or "pixels" */
    const char *init_from;    /* NULL, or a layered checkpoint whose f, h and g the fit starts from */
    int32_t resume;           /* non-zero: continue output_path's own checkpoint (same options) */
    uint64_t seed;            /* weights and batch order (default 1) */
    eqr_progress_callback progress_callback;  /* NULL: no progress reports */
    void *progress_user_data;
    eqr_abort_callback abort_callback;        /* NULL: the fit runs to its budget */
    void *abort_user_data;
} eqr_fit_params;

/* Default fit options: no budget (set seconds or steps), 64x64, "features", seed 1. */
eqr_fit_params eqr_fit_default_params(void);

/* Fits a layered model to one clip, label-free, as `eqr fit CLIP -o OUTPUT` does: frame pairs
   of the clip (decoded with FFmpeg) train f, h, g, the coverage head and T^z. The checkpoint is
   written to output_path atomically every 100 steps and at the end; load it with
   eqr_model_load. Blocks the calling thread for the budget and uses the library's worker
   threads (eqr_model_params.n_threads). Returns EQR_OK; EQR_ERROR_ABORTED when the abort
   callback stopped it (output_path then holds the last step, and resume = 1 continues it);
   EQR_ERROR_NULL_ARGUMENT; EQR_ERROR_INVALID_ARGUMENT (no budget, a bad variant, resolution
   or seed, an unwritable output folder); EQR_ERROR_FILE (the clip is missing or not a video
   FFmpeg decodes); EQR_ERROR_INVALID_MODEL (init_from, or output_path when resuming, is not a
   checkpoint this fit can start from). error, when not NULL, gets the status and a message.

       static void report(int32_t step, int32_t total, double seconds, double loss, void *user) {
           printf("step %d/%d  %.1f s  loss %.4f\n", step, total, seconds, loss);
       }
       static int cancelled(void *user) { return atomic_load((atomic_int *)user); }
       ...
       eqr_fit_params params = eqr_fit_default_params();
       params.seconds = 300;
       params.progress_callback = report;
       params.abort_callback = cancelled;
       params.abort_user_data = &cancel_flag;   // set from the host's Cancel button
       eqr_status status = eqr_fit("walk.mp4", "walk.safetensors", &params, &error);  */
eqr_status eqr_fit(const char *clip_path, const char *output_path, const eqr_fit_params *params, eqr_error *error);

#ifdef __cplusplus
}
#endif

#endif /* EQUIVARIANT_H */
