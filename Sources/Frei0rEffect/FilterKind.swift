import Frei0rSupport

/// This target builds the filter plugin (`equivariant.so`), which FFmpeg's frei0r filter,
/// MLT and GStreamer's frei0r elements run; the background is a path parameter.
let pluginKind = PluginKind.filter
