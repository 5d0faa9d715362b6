/* A plain C host that dlopens libequivariant and the frei0r plugin (no Swift runtime needed)
   and runs one frame through each.  usage: dlopen_host LIBEQUIVARIANT PLUGIN MODEL */
#include <dlfcn.h>
#include <frei0r.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef const char *(*version_fn)(void);
typedef void (*info_fn)(f0r_plugin_info_t *);

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: dlopen_host LIB PLUGIN MODEL\n"); return 2; }
    void *library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!library) { fprintf(stderr, "dlopen %s: %s\n", argv[1], dlerror()); return 1; }
    version_fn version = (version_fn)(size_t)dlsym(library, "eqr_version");
    if (!version) { fprintf(stderr, "no eqr_version\n"); return 1; }
    printf("libequivariant %s\n", version());

    void *plugin = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
    if (!plugin) { fprintf(stderr, "dlopen %s: %s\n", argv[2], dlerror()); return 1; }
    const char *names[] = { "f0r_init", "f0r_deinit", "f0r_get_plugin_info", "f0r_get_param_info", "f0r_construct",
                            "f0r_destruct", "f0r_set_param_value", "f0r_get_param_value", "f0r_update" };
    void *symbols[9];
    for (int i = 0; i < 9; i++) {
        symbols[i] = dlsym(plugin, names[i]);
        if (!symbols[i]) { fprintf(stderr, "plugin lacks %s\n", names[i]); return 1; }
    }
    int (*init)(void) = (int (*)(void))(size_t)symbols[0];
    void (*deinit)(void) = (void (*)(void))(size_t)symbols[1];
    info_fn info = (info_fn)(size_t)symbols[2];
    f0r_instance_t (*construct)(unsigned, unsigned) = (f0r_instance_t (*)(unsigned, unsigned))(size_t)symbols[4];
    void (*destruct)(f0r_instance_t) = (void (*)(f0r_instance_t))(size_t)symbols[5];
    void (*set)(f0r_instance_t, f0r_param_t, int) = (void (*)(f0r_instance_t, f0r_param_t, int))(size_t)symbols[6];
    void (*get)(f0r_instance_t, f0r_param_t, int) = (void (*)(f0r_instance_t, f0r_param_t, int))(size_t)symbols[7];
    void (*update)(f0r_instance_t, double, const uint32_t *, uint32_t *) =
        (void (*)(f0r_instance_t, double, const uint32_t *, uint32_t *))(size_t)symbols[8];

    init();
    init(); /* FFmpeg calls init once per filter instance */
    f0r_plugin_info_t plugin_info;
    info(&plugin_info);
    printf("plugin %s type %d color model %d params %d\n", plugin_info.name, plugin_info.plugin_type,
           plugin_info.color_model, plugin_info.num_params);
    if (plugin_info.plugin_type != F0R_PLUGIN_TYPE_FILTER || plugin_info.color_model != F0R_COLOR_MODEL_RGBA8888) return 1;

    enum { W = 48, H = 32 };
    static uint32_t in[W * H], out[W * H];
    for (int i = 0; i < W * H; i++) in[i] = 0xff000000u | (uint32_t)(i * 2654435761u >> 8);
    f0r_instance_t instance = construct(W, H);
    char *model = argv[3], *effect = "reconstruct";
    set(instance, &model, 0);
    set(instance, &effect, 2);
    double angle = 0.75;
    set(instance, &angle, 3);
    char *stored = NULL;
    get(instance, &stored, 0);
    double angle_back = 0;
    get(instance, &angle_back, 3);
    update(instance, 0.0, in, out);
    int changed = memcmp(in, out, sizeof in) != 0;
    printf("model parameter reads back: %d, angle reads back: %d, frame rendered: %d\n",
           stored && strcmp(stored, model) == 0, angle_back == 0.75, changed);
    destruct(instance);
    deinit();
    deinit();
    dlclose(plugin);
    dlclose(library);
    return changed ? 0 : 1;
}
