/* The log callback: eqr_log_set routes errors, warnings and information to the host's
   callback with its user data, and NULL restores the default (nothing but warnings, on
   stderr). Prints one line per check; "all ok" at the end.
   usage: abi_log MODEL */
#include <equivariant.h>
#include <stdio.h>
#include <string.h>

struct record {
    int errors, warnings, infos;
    char last[1024];
};

static void collect(eqr_log_level level, const char *message, void *user_data) {
    struct record *r = (struct record *)user_data;
    if (level == EQR_LOG_ERROR) r->errors++;
    else if (level == EQR_LOG_WARNING) r->warnings++;
    else if (level == EQR_LOG_INFO) r->infos++;
    snprintf(r->last, sizeof r->last, "%s", message);
    printf("log %d: %s\n", (int)level, message);
}

static int failures = 0;
static void check(int ok, const char *what) {
    printf("%s: %s\n", ok ? "ok" : "FAILED", what);
    if (!ok) failures++;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: abi_log MODEL\n"); return 2; }
    struct record r;
    memset(&r, 0, sizeof r);
    eqr_log_set(collect, &r);

    eqr_error error;
    eqr_model *missing = eqr_model_load("/no/such/model.safetensors", eqr_model_default_params(), &error);
    check(missing == NULL && r.errors == 1, "a failed load logs one error");
    check(strstr(r.last, "/no/such/model.safetensors") != NULL && strstr(r.last, error.message) != NULL,
          "the logged error names the file and carries the returned message");

    eqr_model *model = eqr_model_load(argv[1], eqr_model_default_params(), &error);
    check(model != NULL && r.infos == 1 && strstr(r.last, argv[1]) != NULL && strstr(r.last, "parameters") != NULL,
          "a load logs what it loaded");

    eqr_context *ctx = eqr_context_new(model);
    int before = r.errors;
    eqr_image in = {0};
    eqr_status status = eqr_context_process(ctx, &in, &in);
    check(status != EQR_OK && r.errors == before + 1 && strcmp(r.last, eqr_context_last_error(ctx)) == 0,
          "a failed context call logs its last error");

    eqr_log_set(NULL, NULL);
    before = r.errors;
    status = eqr_context_process(ctx, &in, &in);
    check(status != EQR_OK && r.errors == before, "after eqr_log_set(NULL, NULL) the callback is not called");

    eqr_context_free(ctx);
    eqr_model_free(model);
    printf("warnings seen: %d\n", r.warnings);
    if (failures == 0) printf("all ok\n");
    return failures == 0 ? 0 : 1;
}
