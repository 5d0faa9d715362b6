/* libFuzzer target for the C ABI of libequivariant: the fuzzer's bytes are a program of calls
   (contexts made, freed and used again; images of any size, stride and format; effect strings;
   feature buffers of any count; motions with NaN and infinity; handles that are freed, of the
   wrong type or not handles at all) run against one model loaded once.
   Built and run by `Tests/Fuzz/run.sh [SECONDS|--runs N] abi`; the model comes from EQR_FUZZ_MODEL.

   Every buffer handed to the library is allocated at exactly the size its description
   claims, so a read or write past what the caller promised is an AddressSanitizer report,
   and a description the header calls invalid gets a buffer only as large as its valid part:
   the library must refuse it before touching pixels. A call that crashes, returns a status the
   header does not list, or returns EQR_ERROR_INTERNAL (a bug by the header's own words)
   ends the run. */
#include <equivariant.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static eqr_model *model;
static int32_t feature_count;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    const char *path = getenv("EQR_FUZZ_MODEL");
    eqr_error error;
    model = path ? eqr_model_load(path, eqr_model_default_params(), &error) : NULL;
    if (!model) { fprintf(stderr, "abi_fuzz: set EQR_FUZZ_MODEL to a checkpoint (%s)\n", path ? error.message : "unset"); abort(); }
    feature_count = eqr_model_feature_count(model);
    return 0;
}

/* The fuzzer's bytes, read one value at a time (zeros once they run out). */
typedef struct { const uint8_t *data; size_t size, at; } reader;
static uint8_t byte(reader *r) { return r->at < r->size ? r->data[r->at++] : 0; }
static int32_t pick(reader *r, const int32_t *values, int count) { return values[byte(r) % count]; }
static float number(reader *r) {
    static const float special[] = { 0, 1, -1, 0.5f, 2, 1e-30f, 1e30f, NAN, INFINITY, -INFINITY };
    uint8_t b = byte(r);
    if (b < 160) return special[b % 10];
    uint32_t bits = (uint32_t)byte(r) | (uint32_t)byte(r) << 8 | (uint32_t)byte(r) << 16 | (uint32_t)byte(r) << 24;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* The statuses the header lists. */
static void check(eqr_status status, const char *call) {
    if (status == EQR_ERROR_INTERNAL) { fprintf(stderr, "abi_fuzz: %s returned EQR_ERROR_INTERNAL\n", call); abort(); }
    if (status > EQR_OK || status < EQR_ERROR_ABORTED) { fprintf(stderr, "abi_fuzz: %s returned %d, not a documented status\n", call, status); abort(); }
}

/* An image description from the bytes, with a buffer of exactly the size it claims when the
   header calls it valid (NULL, and no buffer, when that would pass 256 KiB: the extreme sides,
   16384×1 among them, still come with pixels, while frames of a million pixels, which only make
   the same code run longer, do not; with them a program took up to seconds). */
typedef struct { eqr_image image; uint8_t *buffer; } fuzz_image;
static fuzz_image make_image(reader *r) {
    static const int32_t sides[] = { 1, 2, 3, 7, 8, 16, 31, 48, 64, 65, 97, 0, -1, 16384, 16385, INT32_MAX };
    static const int32_t slack[] = { 0, 0, 0, 1, 3, 64, -1, -4 };
    fuzz_image f = { { NULL, pick(r, sides, 16), pick(r, sides, 16), 0, (eqr_pixel_format)(byte(r) % 3) }, NULL };
    int32_t bytes_per_pixel = f.image.format == EQR_PIXEL_RGB8 ? 3 : 4;
    int64_t row = (int64_t)f.image.width * bytes_per_pixel;
    f.image.stride = (int32_t)(row + pick(r, slack, 8));
    if (row + 64 > INT32_MAX) f.image.stride = INT32_MAX;
    int valid = f.image.width >= 1 && f.image.height >= 1 && f.image.width <= 16384 && f.image.height <= 16384
        && f.image.format <= EQR_PIXEL_RGB8 && (int64_t)f.image.stride >= row;
    int64_t size = valid ? (int64_t)f.image.stride * (f.image.height - 1) + row : 0;
    if (size > (256 << 10)) return f;  /* valid but too large to hand over: pixels stay NULL */
    f.buffer = malloc(size > 0 ? (size_t)size : 1);
    for (int64_t i = 0; i < size; i++) f.buffer[i] = (uint8_t)(i * 131 + byte(r));
    f.image.pixels = f.buffer;
    return f;
}

/* A NUL-terminated string of up to 63 bytes from the input (effect strings and paths). */
static void text(reader *r, char *out) {
    static const char *known[] = { "swap", "transform=angle=20+scale=1.3", "transform=angle=20:scale=1.3", "matte", "cutout",
                                   "reconstruct", "transfer=template=/no/such.json", "transform=scale=1e40", "" };
    uint8_t b = byte(r);
    if (b < 128) { strcpy(out, known[b % 9]); return; }
    size_t n = byte(r) % 64;
    for (size_t i = 0; i < n; i++) out[i] = (char)byte(r);
    out[n] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    reader r = { data, size, 0 };
    enum { SLOTS = 3 };
    eqr_context *contexts[SLOTS] = { NULL, NULL, NULL };
    eqr_context *freed = NULL;  /* a handle freed in this run: must stay invalid */
    for (int step = 0; step < 24 && r.at < r.size; step++) {
        uint8_t op = byte(&r), slot = byte(&r) % SLOTS;
        /* The handle a call uses: a live context, a freed one, the model (wrong type), or a
           pointer that was never a handle. */
        eqr_context *ctx = contexts[slot];
        switch (byte(&r) % 16) {
        case 13: ctx = freed; break;
        case 14: ctx = (eqr_context *)model; break;
        case 15: ctx = (eqr_context *)(uintptr_t)0x10000; break;
        }
        fuzz_image a = { { 0 }, NULL }, b = { { 0 }, NULL };
        char string[64];
        float motion[6], theta[6];
        switch (op % 14) {
        case 0:
            if (!contexts[slot]) contexts[slot] = eqr_context_new(model);
            break;
        case 1:
            if (contexts[slot]) { eqr_context_free(contexts[slot]); freed = contexts[slot]; contexts[slot] = NULL; }
            else eqr_context_free(ctx);  /* freeing a freed or foreign handle is ignored */
            break;
        case 2: text(&r, string); check(eqr_context_set_effect(ctx, string), "eqr_context_set_effect"); break;
        case 3: a = make_image(&r); check(eqr_context_set_background(ctx, &a.image), "eqr_context_set_background"); break;
        case 4:
            a = make_image(&r); b = make_image(&r);
            check(eqr_context_process(ctx, &a.image, &b.image), "eqr_context_process");
            break;
        case 5: a = make_image(&r); check(eqr_swap(ctx, &a.image, &a.image), "eqr_swap (in place)"); break;
        case 6:
            for (int i = 0; i < 6; i++) motion[i] = number(&r);
            a = make_image(&r); b = make_image(&r);
            check(eqr_transform(ctx, &a.image, motion, &b.image), "eqr_transform");
            check(eqr_theta_for_motion(ctx, motion, theta), "eqr_theta_for_motion");
            break;
        case 7: {
            int32_t counts[] = { feature_count, feature_count, feature_count - 1, 0, -1, feature_count + 1 };
            int32_t count = pick(&r, counts, 6);
            float *features = malloc(sizeof(float) * (size_t)(count > 0 ? count : 1));
            a = make_image(&r);
            eqr_status status = byte(&r) % 2 ? eqr_encode_character(ctx, &a.image, features, count)
                                             : eqr_encode_background(ctx, &a.image, features, count);
            check(status, "eqr_encode_*");
            if (status == EQR_OK) {
                features[byte(&r) % count] = number(&r);
                for (int i = 0; i < 6; i++) theta[i] = number(&r);
                b = make_image(&r);
                check(eqr_render(ctx, features, byte(&r) % 2 ? theta : NULL, features, count, &b.image), "eqr_render");
            }
            free(features);
            break;
        }
        case 8:
            a = make_image(&r); b = make_image(&r);
            check(eqr_estimate_transform(ctx, &a.image, &b.image, theta), "eqr_estimate_transform");
            check(eqr_transfer(ctx, &a.image, &b.image, &a.image, &b.image), "eqr_transfer");
            break;
        case 9: check(eqr_context_set_render_mode(ctx, (eqr_render_mode)(byte(&r) % 4)), "eqr_context_set_render_mode"); break;
        case 10: check(eqr_context_set_background_fit(ctx, (eqr_background_fit)(byte(&r) % 5)), "eqr_context_set_background_fit"); break;
        case 11: check(eqr_context_reset_plate(ctx), "eqr_context_reset_plate"); check(eqr_context_rewind(ctx), "eqr_context_rewind"); break;
        case 12: (void)eqr_context_last_error(ctx); break;
        case 13:  /* a missing file, a folder, or a file that is not an image */
            check(eqr_context_set_background_file(ctx, byte(&r) % 2 ? "/no/such/background.png" : "/tmp", 1), "eqr_context_set_background_file");
            break;
        }
        free(a.buffer);
        free(b.buffer);
    }
    for (int i = 0; i < SLOTS; i++) eqr_context_free(contexts[i]);
    return 0;
}
