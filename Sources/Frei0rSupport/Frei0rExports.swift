// The frei0r entry points both plugins export (frei0r.h): the nine every plugin has, plus
// f0r_update2 (run by mixer2 hosts; FFmpeg calls only f0r_update). The plugin kind comes
// from the plugin target that links this module (`PluginKind.current`); the work is in
// Frei0rEntryPoints.

@c(f0r_init)
public func f0rInit() -> Int32 { Frei0rEntryPoints.initialize() }

@c(f0r_deinit)
public func f0rDeinit() { Frei0rEntryPoints.deinitialize() }

@c(f0r_get_plugin_info)
public func f0rGetPluginInfo(_ info: UnsafeMutableRawPointer?) { Frei0rEntryPoints.pluginInfo(.current, info) }

@c(f0r_get_param_info)
public func f0rGetParamInfo(_ info: UnsafeMutableRawPointer?, _ index: Int32) { Frei0rEntryPoints.parameterInfo(.current, info, index) }

@c(f0r_construct)
public func f0rConstruct(_ width: UInt32, _ height: UInt32) -> UnsafeMutableRawPointer? { Frei0rEntryPoints.construct(.current, width, height) }

@c(f0r_destruct)
public func f0rDestruct(_ instance: UnsafeMutableRawPointer?) { Frei0rEntryPoints.destruct(instance) }

@c(f0r_set_param_value)
public func f0rSetParamValue(_ instance: UnsafeMutableRawPointer?, _ value: UnsafeMutableRawPointer?, _ index: Int32) {
    Frei0rEntryPoints.setParameter(instance, value, index)
}

@c(f0r_get_param_value)
public func f0rGetParamValue(_ instance: UnsafeMutableRawPointer?, _ value: UnsafeMutableRawPointer?, _ index: Int32) {
    Frei0rEntryPoints.getParameter(instance, value, index)
}

@c(f0r_update)
public func f0rUpdate(_ instance: UnsafeMutableRawPointer?, _ time: Double, _ input: UnsafePointer<UInt32>?, _ output: UnsafeMutablePointer<UInt32>?) {
    Frei0rEntryPoints.update(instance, input, output)
}

@c(f0r_update2)
public func f0rUpdate2(_ instance: UnsafeMutableRawPointer?, _ time: Double, _ character: UnsafePointer<UInt32>?, _ background: UnsafePointer<UInt32>?,
                       _ unused: UnsafePointer<UInt32>?, _ output: UnsafeMutablePointer<UInt32>?) {
    Frei0rEntryPoints.update2(instance, character, background, output)
}
