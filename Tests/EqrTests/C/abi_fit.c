/* eqr_fit with its callbacks: a fit of a few steps reports progress with rising steps and its
   step count, writes a checkpoint that loads and renders; an abort callback stops a fit with
   EQR_ERROR_ABORTED and a loadable checkpoint, which resume = 1 continues to the step count;
   bad arguments get their documented statuses. Prints one line per check; "all ok" at the end.
   usage: abi_fit CLIP OUTPUT_FOLDER */
#include <equivariant.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
static void check(int ok, const char *what) {
    printf("%s: %s\n", ok ? "ok" : "FAILED", what);
    if (!ok) failures++;
}

struct progress { int calls, last_step, total, rising; double last_seconds, last_loss; };

static void on_progress(int32_t step, int32_t total, double seconds, double loss, void *user_data) {
    struct progress *p = (struct progress *)user_data;
    if (step <= p->last_step || seconds < p->last_seconds) p->rising = 0;
    p->calls++;
    p->last_step = step;
    p->total = total;
    p->last_seconds = seconds;
    p->last_loss = loss;
    printf("progress: step %d/%d, %.2f s, loss %.4f\n", step, total, seconds, loss);
}

/* Asks to stop once the fit has reported progress once. */
static int stop_after_first_report(void *user_data) { return ((struct progress *)user_data)->calls >= 1; }

/* A model that loads and swaps a frame onto a background. */
static int renders(const char *path) {
    eqr_error error;
    eqr_model *model = eqr_model_load(path, eqr_model_default_params(), &error);
    if (!model) { printf("load failed: %s\n", error.message); return 0; }
    eqr_context *ctx = eqr_context_new(model);
    enum { W = 48, H = 40 };
    uint8_t frame[W * H * 4], background[W * H * 4], out[W * H * 4];
    for (int i = 0; i < W * H * 4; i++) { frame[i] = (uint8_t)(i * 7); background[i] = (uint8_t)(255 - i); }
    eqr_image in = { frame, W, H, W * 4, EQR_PIXEL_RGBA8 }, bg = { background, W, H, W * 4, EQR_PIXEL_RGBA8 };
    eqr_image result = { out, W, H, W * 4, EQR_PIXEL_RGBA8 };
    int ok = eqr_context_set_background(ctx, &bg) == EQR_OK && eqr_swap(ctx, &in, &result) == EQR_OK;
    eqr_context_free(ctx);
    eqr_model_free(model);
    return ok;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: abi_fit CLIP OUTPUT_FOLDER\n"); return 2; }
    const char *clip = argv[1];
    char output[4096], aborted[4096];
    snprintf(output, sizeof output, "%s/fitted.safetensors", argv[2]);
    snprintf(aborted, sizeof aborted, "%s/aborted.safetensors", argv[2]);
    eqr_error error;

    /* A fit of 12 steps at 16x16: progress every 10 steps and at the last. */
    struct progress p = { 0, 0, 0, 1, 0, 0 };
    eqr_fit_params params = eqr_fit_default_params();
    check(params.seconds == 0 && params.steps == 0 && params.resolution == 64 && params.variant == NULL && params.seed == 1,
          "default params: no budget, 64x64, the default variant, seed 1");
    params.steps = 12;
    params.resolution = 16;
    params.progress_callback = on_progress;
    params.progress_user_data = &p;
    eqr_status status = eqr_fit(clip, output, &params, &error);
    printf("fit: %s (%s)\n", eqr_status_string(status), error.message);
    check(status == EQR_OK && error.status == EQR_OK && error.message[0] == '\0', "a 12-step fit succeeds");
    check(p.calls == 2 && p.last_step == 12 && p.total == 12 && p.rising, "progress at steps 10 and 12 of 12, rising");
    check(p.last_loss > 0 && p.last_loss < 10 && p.last_seconds > 0, "progress carries a loss and the elapsed seconds");
    check(renders(output), "the fitted model loads and swaps a frame");

    /* Stopped by the abort callback after its first report (step 10 of 30): the callback is
       polled after each step, so the fit ends after step 11 with that step's checkpoint. */
    struct progress q = { 0, 0, 0, 1, 0, 0 };
    params.steps = 30;
    params.progress_user_data = &q;
    params.abort_callback = stop_after_first_report;
    params.abort_user_data = &q;
    status = eqr_fit(clip, aborted, &params, &error);
    printf("aborted fit: %s (%s)\n", eqr_status_string(status), error.message);
    check(status == EQR_ERROR_ABORTED && error.status == EQR_ERROR_ABORTED && strstr(error.message, "step 11") != NULL,
          "the abort callback stops the fit with EQR_ERROR_ABORTED at the next step, 11");
    check(renders(aborted), "the aborted fit's checkpoint loads and renders");

    /* resume = 1 continues the aborted fit to its 30 steps. */
    struct progress r = { 0, 0, 0, 1, 0, 0 };
    params.progress_user_data = &r;
    params.abort_callback = NULL;
    params.resume = 1;
    status = eqr_fit(clip, aborted, &params, &error);
    check(status == EQR_OK && r.calls == 2 && r.last_step == 30, "resume = 1 continues it from step 11 to 30 (progress at 20 and 30)");
    params.resume = 0;

    /* Bad arguments. */
    eqr_fit_params none = eqr_fit_default_params();
    check(eqr_fit(clip, output, &none, &error) == EQR_ERROR_INVALID_ARGUMENT && strstr(error.message, "budget") != NULL,
          "no budget: EQR_ERROR_INVALID_ARGUMENT naming the budget");
    check(eqr_fit(NULL, output, &params, &error) == EQR_ERROR_NULL_ARGUMENT, "NULL clip: EQR_ERROR_NULL_ARGUMENT");
    check(eqr_fit(clip, NULL, &params, &error) == EQR_ERROR_NULL_ARGUMENT, "NULL output: EQR_ERROR_NULL_ARGUMENT");
    check(eqr_fit(clip, output, NULL, &error) == EQR_ERROR_NULL_ARGUMENT, "NULL params: EQR_ERROR_NULL_ARGUMENT");
    check(eqr_fit("/no/such/clip.mp4", output, &params, &error) == EQR_ERROR_FILE && strstr(error.message, "/no/such/clip.mp4") != NULL,
          "a missing clip: EQR_ERROR_FILE naming it");
    check(eqr_fit(argv[2], output, &params, &error) == EQR_ERROR_FILE, "a folder as the clip: EQR_ERROR_FILE");
    check(eqr_fit(clip, "/no/such/folder/out.safetensors", &params, &error) == EQR_ERROR_INVALID_ARGUMENT,
          "an output in a missing folder: EQR_ERROR_INVALID_ARGUMENT");
    check(eqr_fit(clip, argv[2], &params, &error) == EQR_ERROR_INVALID_ARGUMENT && strstr(error.message, "folder") != NULL,
          "a folder as the output: EQR_ERROR_INVALID_ARGUMENT");
    eqr_fit_params bad = params;
    bad.variant = "given";
    check(eqr_fit(clip, output, &bad, &error) == EQR_ERROR_INVALID_ARGUMENT && strstr(error.message, "given") != NULL,
          "the given variant (it needs known motion): EQR_ERROR_INVALID_ARGUMENT");
    bad = params;
    bad.resolution = 20;
    check(eqr_fit(clip, output, &bad, &error) == EQR_ERROR_INVALID_ARGUMENT, "resolution 20 (not a multiple of 8): EQR_ERROR_INVALID_ARGUMENT");
    bad = params;
    bad.seconds = -1;
    check(eqr_fit(clip, output, &bad, &error) == EQR_ERROR_INVALID_ARGUMENT, "a negative time budget: EQR_ERROR_INVALID_ARGUMENT");
    bad = params;
    bad.init_from = clip;
    check(eqr_fit(clip, output, &bad, &error) == EQR_ERROR_INVALID_MODEL, "init_from a video: EQR_ERROR_INVALID_MODEL");
    FILE *text = fopen(aborted, "w");
    if (text) { fputs("not a video", text); fclose(text); }
    check(eqr_fit(aborted, output, &params, &error) == EQR_ERROR_FILE, "a clip that is not a video: EQR_ERROR_FILE");
    check(strcmp(eqr_status_string(EQR_ERROR_ABORTED), "unknown status") != 0, "EQR_ERROR_ABORTED has a description");

    if (failures) { printf("%d checks failed\n", failures); return 1; }
    printf("all ok\n");
    return 0;
}
