import Frei0rSupport

/// This target builds the mixer2 plugin (`equivariant_mixer.so`), which MLT (melt, Kdenlive,
/// Shotcut) runs as a transition: input 1 is the character, input 2 the background.
let pluginKind = PluginKind.mixer

@c(f0r_update2)
public func f0rUpdate2(_ instance: UnsafeMutableRawPointer?, _ time: Double, _ character: UnsafePointer<UInt32>?, _ background: UnsafePointer<UInt32>?,
                       _ unused: UnsafePointer<UInt32>?, _ output: UnsafeMutablePointer<UInt32>?) {
    Frei0rEntryPoints.update2(instance, character, background, output)
}
