/// This target builds the mixer2 plugin (`equivariant_mixer.so`), which MLT (melt, Kdenlive,
/// Shotcut) runs as a transition: input 1 is the character, input 2 the background. The
/// frei0r entry points live in Frei0rSupport; this tells them which plugin they are.
@c(eqr_frei0r_plugin_kind)
public func frei0rPluginKind() -> Int32 { 1 }
