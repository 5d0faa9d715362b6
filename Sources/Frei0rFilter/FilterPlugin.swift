/// This target builds the filter plugin (`equivariant.so`), which FFmpeg's frei0r filter,
/// MLT and GStreamer's frei0r elements run; the background is a path parameter. The frei0r
/// entry points live in Frei0rSupport; this tells them which plugin they are.
@c(eqr_frei0r_plugin_kind)
public func frei0rPluginKind() -> Int32 { 0 }
