/* Two threads calling into ONE context at once (which the header forbids): the library
   must refuse the overlapping calls with EQR_ERROR_BUSY instead of corrupting the context
   or crashing the host. Prints "processed P refused R" and exits 0 when every call
   returned EQR_OK or EQR_ERROR_BUSY. usage: abi_shared_context MODEL */
#define _POSIX_C_SOURCE 200112L /* pthread_barrier_t under -std=c99 */
#include <equivariant.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum { W = 96, H = 72, CALLS = 150 };
static eqr_context *shared;
static pthread_barrier_t start;

typedef struct { int processed, refused, other; } tally;

static void *run(void *argument) {
    tally *t = argument;
    unsigned char *in = malloc(W * H * 4), *out = malloc(W * H * 4);
    for (int i = 0; i < W * H * 4; i++) in[i] = (unsigned char)(i * 7);
    eqr_image a = { in, W, H, W * 4, EQR_PIXEL_RGBA8 }, b = { out, W, H, W * 4, EQR_PIXEL_RGBA8 };
    pthread_barrier_wait(&start);
    for (int i = 0; i < CALLS; i++) {
        eqr_status s = eqr_context_process(shared, &a, &b);
        if (s == EQR_OK) t->processed++;
        else if (s == EQR_ERROR_BUSY) t->refused++;
        else t->other++;
    }
    free(in);
    free(out);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    eqr_error error;
    eqr_model *model = eqr_model_load(argv[1], eqr_model_default_params(), &error);
    if (!model) { fprintf(stderr, "load: %s\n", error.message); return 1; }
    shared = eqr_context_new(model);
    if (eqr_context_set_effect(shared, "reconstruct") != EQR_OK) return 1;
    pthread_barrier_init(&start, NULL, 2);
    pthread_t threads[2];
    tally tallies[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
    for (int i = 0; i < 2; i++) pthread_create(&threads[i], NULL, run, &tallies[i]);
    for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
    int processed = tallies[0].processed + tallies[1].processed, refused = tallies[0].refused + tallies[1].refused;
    int other = tallies[0].other + tallies[1].other;
    printf("processed %d refused %d other %d\n", processed, refused, other);
    if (eqr_status_string(EQR_ERROR_BUSY)[0] == 'u') return 1;  /* "unknown status" */
    eqr_context_free(shared);
    eqr_model_free(model);
    return other == 0 ? 0 : 1;
}
