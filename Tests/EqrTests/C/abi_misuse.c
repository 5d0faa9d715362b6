/* Misuse of the C ABI: every call must return its documented error, never crash.
   usage: abi_misuse MODEL(features) MODEL(given) CORRUPT_FILE */
#include <equivariant.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "MAJOR.MINOR.PATCH" from the header's numbers. */
#define STRINGIFY(x) #x
#define VERSION_TEXT(a, b, c) STRINGIFY(a) "." STRINGIFY(b) "." STRINGIFY(c)

static int checks = 0, failures = 0;
#define EXPECT(cond) do { checks++; if (!(cond)) { failures++; fprintf(stderr, "FAILED line %d: %s\n", __LINE__, #cond); } } while (0)

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: abi_misuse FEATURES_MODEL GIVEN_MODEL CORRUPT\n"); return 2; }
    uint8_t pixels[32 * 24 * 4], out_pixels[48 * 40 * 3];
    for (size_t i = 0; i < sizeof pixels; i++) pixels[i] = (uint8_t)(i * 31);
    eqr_image in = { pixels, 32, 24, 32 * 4, EQR_PIXEL_RGBA8 };
    eqr_image out = { out_pixels, 48, 40, 48 * 3, EQR_PIXEL_RGB8 };
    float features[64 * 16 * 16], theta[6], motion[6];
    eqr_error error;

    /* Library calls. */
    EXPECT(strlen(eqr_version()) >= 5);
    EXPECT(strcmp(eqr_version(), VERSION_TEXT(EQR_VERSION_MAJOR, EQR_VERSION_MINOR, EQR_VERSION_PATCH)) == 0);
    EXPECT(strcmp(eqr_status_string(EQR_ERROR_INVALID_HANDLE), "invalid handle (freed, or of the wrong type)") == 0);
    EXPECT(strcmp(eqr_status_string((eqr_status)-99), "unknown status") == 0);
    EXPECT(eqr_motion_make(20, 1.3, 0.1, 0, NULL) == EQR_ERROR_NULL_ARGUMENT);
    EXPECT(eqr_motion_make(20, 0, 0.1, 0, motion) == EQR_ERROR_INVALID_ARGUMENT);
    EXPECT(eqr_motion_make(NAN, 1, 0, 0, motion) == EQR_ERROR_INVALID_ARGUMENT);
    EXPECT(eqr_motion_make(0, 2, 0.5, 0, motion) == EQR_OK && motion[0] == 2.0f && motion[2] == 0.5f);

    /* Loading. */
    EXPECT(eqr_model_load(NULL, eqr_model_default_params(), &error) == NULL && error.status == EQR_ERROR_NULL_ARGUMENT);
    EXPECT(eqr_model_load("/no/such/model.safetensors", eqr_model_default_params(), &error) == NULL && error.status == EQR_ERROR_FILE);
    EXPECT(strstr(error.message, "/no/such/model.safetensors") != NULL);
    EXPECT(eqr_model_load("/tmp", eqr_model_default_params(), &error) == NULL && error.status == EQR_ERROR_FILE);
    EXPECT(eqr_model_load(argv[3], eqr_model_default_params(), &error) == NULL && error.status == EQR_ERROR_INVALID_MODEL);
    EXPECT(eqr_model_load(argv[3], eqr_model_default_params(), NULL) == NULL);
    eqr_model_params params = eqr_model_default_params();
    params.expected_variant = "pixels";
    EXPECT(eqr_model_load(argv[1], params, &error) == NULL && error.status == EQR_ERROR_INVALID_MODEL);
    params.expected_variant = "sideways";
    EXPECT(eqr_model_load(argv[1], params, &error) == NULL && error.status == EQR_ERROR_INVALID_ARGUMENT);
    params.expected_variant = NULL;
    params.n_threads = -3;
    EXPECT(eqr_model_load(argv[1], params, &error) == NULL && error.status == EQR_ERROR_INVALID_ARGUMENT);

    eqr_model *model = eqr_model_load(argv[1], eqr_model_default_params(), &error);
    EXPECT(model != NULL && error.status == EQR_OK && error.message[0] == '\0');
    if (!model) { fprintf(stderr, "cannot continue: %s\n", error.message); return 1; }
    int32_t count = eqr_model_feature_count(model);
    EXPECT(count == 64 * 16 * 16);
    EXPECT(eqr_model_resolution(model) == 64 && strcmp(eqr_model_variant(model), "features") == 0);
    EXPECT(eqr_model_resolution(NULL) == EQR_ERROR_INVALID_HANDLE && eqr_model_variant(NULL) == NULL);

    /* Contexts and handle checks. */
    EXPECT(eqr_context_new(NULL) == NULL);
    eqr_context *ctx = eqr_context_new(model);
    EXPECT(ctx != NULL);
    EXPECT(eqr_context_new((eqr_model *)ctx) == NULL);                     /* a context is not a model */
    EXPECT(eqr_swap((eqr_context *)model, &in, &out) == EQR_ERROR_INVALID_HANDLE); /* a model is not a context */
    EXPECT(eqr_model_resolution((eqr_model *)ctx) == EQR_ERROR_INVALID_HANDLE);
    EXPECT(eqr_context_process(NULL, &in, &out) == EQR_ERROR_INVALID_HANDLE);
    EXPECT(strstr(eqr_context_last_error(NULL), "invalid eqr_context") != NULL);
    EXPECT(strcmp(eqr_context_last_error(ctx), "") == 0);

    /* Bad images. */
    EXPECT(eqr_context_set_background(ctx, NULL) == EQR_ERROR_NULL_ARGUMENT);
    eqr_image bad = in; bad.pixels = NULL;
    EXPECT(eqr_context_set_background(ctx, &bad) == EQR_ERROR_NULL_ARGUMENT);
    bad = in; bad.stride = 32 * 4 - 1;
    EXPECT(eqr_context_set_background(ctx, &bad) == EQR_ERROR_INVALID_ARGUMENT);
    EXPECT(strstr(eqr_context_last_error(ctx), "stride") != NULL);
    bad = in; bad.width = 0;
    EXPECT(eqr_context_set_background(ctx, &bad) == EQR_ERROR_INVALID_ARGUMENT);
    bad = in; bad.height = -5;
    EXPECT(eqr_context_set_background(ctx, &bad) == EQR_ERROR_INVALID_ARGUMENT);
    bad = in; bad.format = (eqr_pixel_format)7;
    EXPECT(eqr_context_set_background(ctx, &bad) == EQR_ERROR_INVALID_ARGUMENT);
    EXPECT(strstr(eqr_context_last_error(ctx), "format") != NULL);

    /* Not ready, bad effects, missing files. */
    EXPECT(eqr_context_process(ctx, &in, &out) == EQR_ERROR_NOT_READY);
    EXPECT(eqr_swap(ctx, &in, &out) == EQR_ERROR_NOT_READY);
    EXPECT(eqr_context_set_effect(ctx, NULL) == EQR_ERROR_NULL_ARGUMENT);
    EXPECT(eqr_context_set_effect(ctx, "sideways") == EQR_ERROR_INVALID_ARGUMENT);
    EXPECT(strstr(eqr_context_last_error(ctx), "sideways") != NULL);
    EXPECT(eqr_context_set_effect(ctx, "transform=scale=50") == EQR_ERROR_INVALID_ARGUMENT);
    EXPECT(strstr(eqr_context_last_error(ctx), "0.1...10") != NULL);
    EXPECT(eqr_context_set_effect(ctx, "transfer=template=/no/such.json") == EQR_ERROR_INVALID_ARGUMENT);
    EXPECT(eqr_context_set_background_file(ctx, NULL, 1) == EQR_ERROR_NULL_ARGUMENT);
    EXPECT(eqr_context_set_background_file(ctx, "/no/such/background.png", 1) == EQR_ERROR_FILE);
    EXPECT(eqr_context_set_background_file(ctx, argv[3], 1) == EQR_ERROR_FILE);
    EXPECT(eqr_context_set_effect(ctx, "reconstruct") == EQR_OK);
    EXPECT(eqr_context_process(ctx, &in, &out) == EQR_OK);               /* reconstruct needs no background */
    EXPECT(eqr_context_process(ctx, &in, NULL) == EQR_ERROR_NULL_ARGUMENT);
    EXPECT(eqr_context_set_background(ctx, &in) == EQR_OK);
    EXPECT(eqr_context_set_background_fit(ctx, (eqr_background_fit)7) == EQR_ERROR_INVALID_ARGUMENT);
    EXPECT(strstr(eqr_context_last_error(ctx), "EQR_FIT_COVER") != NULL);
    EXPECT(eqr_context_set_background_fit(NULL, EQR_FIT_CONTAIN) == EQR_ERROR_INVALID_HANDLE);
    EXPECT(eqr_context_set_background_fit(ctx, EQR_FIT_CONTAIN) == EQR_OK);
    EXPECT(eqr_context_process(ctx, &in, &out) == EQR_OK);
    EXPECT(eqr_context_set_background_fit(ctx, EQR_FIT_COVER) == EQR_OK);
    EXPECT(eqr_context_set_render_mode(ctx, (eqr_render_mode)5) == EQR_ERROR_INVALID_ARGUMENT);
    EXPECT(eqr_context_set_render_mode(NULL, EQR_RENDER_MODEL) == EQR_ERROR_INVALID_HANDLE);
    EXPECT(eqr_context_set_render_mode(ctx, EQR_RENDER_MODEL) == EQR_OK);
    EXPECT(eqr_context_set_render_mode(ctx, EQR_RENDER_COMPOSITE) == EQR_OK);
    EXPECT(eqr_context_reset_plate(NULL) == EQR_ERROR_INVALID_HANDLE);
    EXPECT(eqr_context_reset_plate(ctx) == EQR_OK);
    EXPECT(eqr_swap(ctx, &in, &out) == EQR_OK);
    EXPECT(eqr_context_rewind(ctx) == EQR_OK && eqr_context_rewind(NULL) == EQR_ERROR_INVALID_HANDLE);

    /* A frame of a size the scaler cannot take is a bad argument, not a file error. */
    static uint8_t line[16384 * 4];
    eqr_image thin = { line, 16384, 1, 16384 * 4, EQR_PIXEL_RGBA8 };
    int thin_status = eqr_swap(ctx, &thin, &thin);
    EXPECT(thin_status == EQR_OK || thin_status == EQR_ERROR_INVALID_ARGUMENT);
    if (thin_status != EQR_OK) EXPECT(strstr(eqr_context_last_error(ctx), "16384") != NULL);
    EXPECT(eqr_context_reset_plate(ctx) == EQR_OK);
    EXPECT(eqr_swap(ctx, &in, &out) == EQR_OK);

    /* In place (in == out) gives what a separate output gets. */
    uint8_t copy[sizeof pixels], separate[sizeof pixels];
    memcpy(copy, pixels, sizeof pixels);
    eqr_image in_place = { copy, 32, 24, 32 * 4, EQR_PIXEL_RGBA8 }, apart = { separate, 32, 24, 32 * 4, EQR_PIXEL_RGBA8 };
    EXPECT(eqr_swap(ctx, &in, &apart) == EQR_OK && eqr_swap(ctx, &in_place, &in_place) == EQR_OK);
    EXPECT(memcmp(copy, separate, sizeof copy) == 0 && memcmp(copy, pixels, sizeof copy) != 0);

    /* Building blocks: counts, NaNs, NULLs. */
    EXPECT(eqr_encode_character(ctx, &in, features, count - 1) == EQR_ERROR_INVALID_ARGUMENT);
    EXPECT(eqr_encode_character(ctx, &in, NULL, count) == EQR_ERROR_NULL_ARGUMENT);
    EXPECT(eqr_encode_character(ctx, &in, features, count) == EQR_OK);
    EXPECT(eqr_encode_background(ctx, &in, features, count) == EQR_OK);
    EXPECT(eqr_render(ctx, features, NULL, features, count, &out) == EQR_OK);
    EXPECT(eqr_render(ctx, features, NULL, NULL, count, &out) == EQR_ERROR_NULL_ARGUMENT);
    features[5] = NAN;
    EXPECT(eqr_render(ctx, features, NULL, features, count, &out) == EQR_ERROR_INVALID_ARGUMENT);
    EXPECT(strstr(eqr_context_last_error(ctx), "NaN") != NULL);
    EXPECT(eqr_estimate_transform(ctx, &in, &in, NULL) == EQR_ERROR_NULL_ARGUMENT);
    EXPECT(eqr_estimate_transform(ctx, &in, &in, theta) == EQR_OK);
    float singular[6] = { 0, 0, 0, 0, 0, 0 };
    EXPECT(eqr_transform(ctx, &in, singular, &out) == EQR_ERROR_INVALID_ARGUMENT);
    EXPECT(eqr_theta_for_motion(ctx, singular, theta) == EQR_ERROR_INVALID_ARGUMENT);
    EXPECT(eqr_transform(ctx, &in, NULL, &out) == EQR_ERROR_NULL_ARGUMENT);
    EXPECT(eqr_transform(ctx, &in, motion, &out) == EQR_OK);
    EXPECT(eqr_transfer(ctx, &in, &in, &in, &out) == EQR_OK);

    /* A `given` model cannot estimate motion. */
    eqr_model *given = eqr_model_load(argv[2], eqr_model_default_params(), &error);
    EXPECT(given != NULL);
    eqr_context *given_ctx = eqr_context_new(given);
    EXPECT(eqr_estimate_transform(given_ctx, &in, &in, theta) == EQR_ERROR_UNSUPPORTED);
    EXPECT(eqr_transfer(given_ctx, &in, &in, &in, &out) == EQR_ERROR_UNSUPPORTED);
    EXPECT(eqr_transform(given_ctx, &in, motion, &out) == EQR_OK);
    eqr_context_free(given_ctx);
    eqr_model_free(given);

    /* Freed handles. The context outlives its model's handle. */
    eqr_model_free(model);
    EXPECT(eqr_model_resolution(model) == EQR_ERROR_INVALID_HANDLE);
    EXPECT(eqr_context_new(model) == NULL);
    EXPECT(eqr_swap(ctx, &in, &out) == EQR_OK);
    eqr_model_free(model);                                               /* double free is ignored */
    eqr_context_free(ctx);
    EXPECT(eqr_swap(ctx, &in, &out) == EQR_ERROR_INVALID_HANDLE);
    {   /* A freed handle stays invalid even when a new context may reuse its memory. */
        eqr_model *again = eqr_model_load(argv[1], eqr_model_default_params(), NULL);
        eqr_context *fresh = eqr_context_new(again);
        EXPECT(fresh != NULL && fresh != ctx);
        EXPECT(eqr_context_set_effect(ctx, "swap") == EQR_ERROR_INVALID_HANDLE);
        eqr_context_free(ctx);                                           /* must not free `fresh` */
        EXPECT(eqr_context_set_effect(fresh, "swap") == EQR_OK);
        eqr_context_free(fresh);
        eqr_model_free(again);
    }
    EXPECT(eqr_context_set_effect(ctx, "swap") == EQR_ERROR_INVALID_HANDLE);
    eqr_context_free(ctx);
    eqr_context_free(NULL);
    eqr_model_free(NULL);

    if (failures) { fprintf(stderr, "%d of %d checks failed\n", failures, checks); return 1; }
    printf("all %d checks passed\n", checks);
    return 0;
}
