/*
 * retarget: re-render the character of a video over a new background with libequivariant.
 *
 *   cc -std=c99 -Wall -Wextra -o retarget retarget.c $(pkg-config --cflags --libs equivariant)
 *   ./retarget MODEL BACKGROUND EFFECT INPUT OUTPUT [ffmpeg output options...]
 *   ./retarget model.safetensors beach.jpg "transform=angle=20:scale=1.3" walk.mp4 out.mp4 -c:v libx264 -crf 20
 *
 * Frames travel as raw RGBA through two `ffmpeg` pipes (decode, encode); the library resizes
 * them to the model and back. The effect string is the one `eqr -effect` takes, so the
 * output matches `eqr -i INPUT -i BACKGROUND -m MODEL -effect EFFECT OUTPUT`.
 */
#define _POSIX_C_SOURCE 200809L
#include <equivariant.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends `text` to `command` in single quotes, so the shell passes it through unchanged. */
static int append_quoted(char *command, size_t size, const char *text) {
    size_t used = strlen(command);
    if (used + 3 >= size) return -1;
    command[used++] = ' ';
    command[used++] = '\'';
    for (const char *c = text; *c; c++) {
        const char *piece = (*c == '\'') ? "'\\''" : NULL;
        size_t length = piece ? strlen(piece) : 1;
        if (used + length + 2 >= size) return -1;
        if (piece) { memcpy(command + used, piece, length); } else { command[used] = *c; }
        used += length;
    }
    command[used++] = '\'';
    command[used] = '\0';
    return 0;
}

/* Reads the width, height and frame rate of the first video stream with ffprobe. */
static int probe(const char *path, int *width, int *height, char *rate, size_t rate_size) {
    char command[4096] = "ffprobe -v error -select_streams v:0 -show_entries stream=width,height,r_frame_rate -of csv=p=0";
    if (append_quoted(command, sizeof command, path) != 0) return -1;
    FILE *pipe = popen(command, "r");
    if (!pipe) return -1;
    char line[256] = "";
    int ok = fgets(line, sizeof line, pipe) != NULL;
    int status = pclose(pipe);
    char rate_text[64] = "";
    if (!ok || status != 0 || sscanf(line, "%d,%d,%63[0-9/]", width, height, rate_text) != 3) return -1;
    snprintf(rate, rate_size, "%s", rate_text);
    return (*width > 0 && *height > 0) ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s MODEL BACKGROUND EFFECT INPUT OUTPUT [ffmpeg output options...]\n", argv[0]);
        return 2;
    }
    const char *model_path = argv[1], *background = argv[2], *effect = argv[3], *input = argv[4], *output = argv[5];
    int width = 0, height = 0, exit_code = 1;
    char rate[64];
    if (probe(input, &width, &height, rate, sizeof rate) != 0) {
        fprintf(stderr, "retarget: cannot read the video size of %s\n", input);
        return 1;
    }

    eqr_error error;
    eqr_model *model = eqr_model_load(model_path, eqr_model_default_params(), &error);
    if (!model) {
        fprintf(stderr, "retarget: %s (%s)\n", error.message, eqr_status_string(error.status));
        return 1;
    }
    eqr_context *ctx = eqr_context_new(model);
    FILE *decoder = NULL, *encoder = NULL;
    uint8_t *in_pixels = NULL, *out_pixels = NULL;
    if (!ctx) { fprintf(stderr, "retarget: cannot create a context\n"); goto done; }
    if (eqr_context_set_effect(ctx, effect) != EQR_OK ||
        (strcmp(effect, "reconstruct") != 0 && eqr_context_set_background_file(ctx, background, 1) != EQR_OK)) {
        fprintf(stderr, "retarget: %s\n", eqr_context_last_error(ctx));
        goto done;
    }

    char command[8192] = "ffmpeg -v error -nostdin -i";
    if (append_quoted(command, sizeof command, input) != 0) goto done;
    strcat(command, " -f rawvideo -pix_fmt rgba -");
    decoder = popen(command, "r");
    snprintf(command, sizeof command, "ffmpeg -v error -nostdin -y -f rawvideo -pix_fmt rgba -s %dx%d -r %s -i -", width, height, rate);
    for (int i = 6; i < argc; i++) {
        if (append_quoted(command, sizeof command, argv[i]) != 0) goto done;
    }
    if (append_quoted(command, sizeof command, output) != 0) goto done;
    encoder = popen(command, "w");
    if (!decoder || !encoder) { fprintf(stderr, "retarget: cannot start ffmpeg\n"); goto done; }

    size_t frame_bytes = (size_t)width * (size_t)height * 4;
    in_pixels = malloc(frame_bytes);
    out_pixels = malloc(frame_bytes);
    if (!in_pixels || !out_pixels) { fprintf(stderr, "retarget: out of memory\n"); goto done; }
    eqr_image in = { in_pixels, width, height, width * 4, EQR_PIXEL_RGBA8 };
    eqr_image out = { out_pixels, width, height, width * 4, EQR_PIXEL_RGBA8 };
    long frames = 0;
    while (fread(in_pixels, 1, frame_bytes, decoder) == frame_bytes) {
        if (eqr_context_process(ctx, &in, &out) != EQR_OK) {
            fprintf(stderr, "retarget: frame %ld: %s\n", frames, eqr_context_last_error(ctx));
            goto done;
        }
        if (fwrite(out_pixels, 1, frame_bytes, encoder) != frame_bytes) {
            fprintf(stderr, "retarget: the encoder stopped accepting frames\n");
            goto done;
        }
        frames++;
    }
    fprintf(stderr, "retarget: %ld frames -> %s\n", frames, output);
    exit_code = frames > 0 ? 0 : 1;

done:
    if (decoder && pclose(decoder) != 0 && exit_code == 0) exit_code = 1;
    if (encoder && pclose(encoder) != 0) exit_code = 1;
    free(in_pixels);
    free(out_pixels);
    eqr_context_free(ctx);
    eqr_model_free(model);
    return exit_code;
}
