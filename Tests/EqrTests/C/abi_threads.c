/* Several threads, each with its own context on one shared model, must produce exactly the
   frames a single thread produces.  usage: abi_threads MODEL THREADS */
#include <equivariant.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { WIDTH = 80, HEIGHT = 60, FRAMES = 6 };
static eqr_model *model;
static uint8_t inputs[FRAMES][WIDTH * HEIGHT * 4], background[WIDTH * HEIGHT * 4];

typedef struct job { uint8_t outputs[FRAMES][WIDTH * HEIGHT * 3]; int status; } job;

static void *render(void *argument) {
    job *work = argument;
    eqr_context *ctx = eqr_context_new(model);
    eqr_image bg = { background, WIDTH, HEIGHT, WIDTH * 4, EQR_PIXEL_RGBA8 };
    work->status = ctx ? EQR_OK : EQR_ERROR_INVALID_HANDLE;
    if (work->status == EQR_OK) work->status = eqr_context_set_background(ctx, &bg);
    if (work->status == EQR_OK) work->status = eqr_context_set_effect(ctx, "transform=angle=15:scale=1.2");
    for (int f = 0; f < FRAMES && work->status == EQR_OK; f++) {
        eqr_image in = { inputs[f], WIDTH, HEIGHT, WIDTH * 4, EQR_PIXEL_RGBA8 };
        eqr_image out = { work->outputs[f], WIDTH, HEIGHT, WIDTH * 3, EQR_PIXEL_RGB8 };
        work->status = eqr_context_process(ctx, &in, &out);
    }
    if (work->status != EQR_OK) fprintf(stderr, "thread: %s\n", eqr_context_last_error(ctx));
    eqr_context_free(ctx);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: abi_threads MODEL THREADS\n"); return 2; }
    int threads = atoi(argv[2]);
    if (threads < 1 || threads > 16) return 2;
    eqr_error error;
    model = eqr_model_load(argv[1], eqr_model_default_params(), &error);
    if (!model) { fprintf(stderr, "%s\n", error.message); return 1; }
    for (int f = 0; f < FRAMES; f++)
        for (int i = 0; i < WIDTH * HEIGHT * 4; i++) inputs[f][i] = (uint8_t)((i * 7 + f * 13) ^ (i >> 5));
    for (int i = 0; i < WIDTH * HEIGHT * 4; i++) background[i] = (uint8_t)(i / 40);

    job *reference = calloc(1, sizeof(job)), *jobs = calloc((size_t)threads, sizeof(job));
    pthread_t *ids = calloc((size_t)threads, sizeof(pthread_t));
    render(reference);
    for (int t = 0; t < threads; t++) pthread_create(&ids[t], NULL, render, &jobs[t]);
    for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
    int mismatches = 0;
    for (int t = 0; t < threads; t++) {
        if (jobs[t].status != EQR_OK || memcmp(jobs[t].outputs, reference->outputs, sizeof reference->outputs) != 0) {
            fprintf(stderr, "thread %d differs from the single-threaded run (status %d)\n", t, jobs[t].status);
            mismatches++;
        }
    }
    int changed = memcmp(reference->outputs[0], reference->outputs[1], sizeof reference->outputs[0]) != 0;
    printf("%d threads, %d frames each: %d mismatches, reference status %d, frames differ: %d\n",
           threads, FRAMES, mismatches, reference->status, changed);
    int ok = mismatches == 0 && reference->status == EQR_OK && changed;
    free(reference); free(jobs); free(ids);
    eqr_model_free(model);
    return ok ? 0 : 1;
}
