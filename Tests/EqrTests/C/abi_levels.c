/* A two-level model's feature buffers through the C ABI: both levels in one buffer of
   eqr_model_feature_count floats, the fine level read by eqr_render.
   usage: abi_levels MODEL EXPECTED_COUNT COARSE_COUNT */
#include <equivariant.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int checks = 0, failures = 0;
#define EXPECT(cond) do { checks++; if (!(cond)) { failures++; fprintf(stderr, "FAILED line %d: %s\n", __LINE__, #cond); } } while (0)

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: abi_levels MODEL EXPECTED_COUNT COARSE_COUNT\n"); return 2; }
    eqr_error error;
    eqr_model *model = eqr_model_load(argv[1], eqr_model_default_params(), &error);
    if (!model) { fprintf(stderr, "cannot load: %s\n", error.message); return 1; }
    int32_t count = eqr_model_feature_count(model), coarse = (int32_t)atoi(argv[3]);
    EXPECT(count == atoi(argv[2]));
    eqr_context *ctx = eqr_context_new(model);
    EXPECT(ctx != NULL);

    uint8_t pixels[24 * 20 * 4], first[24 * 20 * 4], second[24 * 20 * 4];
    for (size_t i = 0; i < sizeof pixels; i++) pixels[i] = (uint8_t)((i * 37) ^ (i >> 5));
    eqr_image in = { pixels, 24, 20, 24 * 4, EQR_PIXEL_RGBA8 };
    eqr_image a = { first, 24, 20, 24 * 4, EQR_PIXEL_RGBA8 }, b = { second, 24, 20, 24 * 4, EQR_PIXEL_RGBA8 };
    float *character = malloc(sizeof(float) * (size_t)count), *background = malloc(sizeof(float) * (size_t)count);

    /* The coarse level alone is not a whole buffer. */
    EXPECT(eqr_encode_character(ctx, &in, character, coarse) == EQR_ERROR_INVALID_ARGUMENT);
    EXPECT(strstr(eqr_context_last_error(ctx), "eqr_model_feature_count") != NULL);
    EXPECT(eqr_encode_character(ctx, &in, character, count) == EQR_OK);
    EXPECT(eqr_encode_background(ctx, &in, background, count) == EQR_OK);
    EXPECT(eqr_render(ctx, character, NULL, background, count, &a) == EQR_OK);
    EXPECT(eqr_render(ctx, character, NULL, background, count, &b) == EQR_OK);
    EXPECT(memcmp(first, second, sizeof first) == 0);                /* deterministic */

    /* The fine level (after the coarse one) reaches the frame. */
    int fine_nonzero = 0;
    for (int32_t i = coarse; i < count; i++) fine_nonzero += character[i] != 0;
    EXPECT(fine_nonzero > 0);
    for (int32_t i = coarse; i < count; i++) background[i] += (i % 2) ? 2.0f : -2.0f;
    EXPECT(eqr_render(ctx, character, NULL, background, count, &b) == EQR_OK);
    EXPECT(memcmp(first, second, sizeof first) != 0);

    free(character);
    free(background);
    eqr_context_free(ctx);
    eqr_model_free(model);
    printf("all %d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
