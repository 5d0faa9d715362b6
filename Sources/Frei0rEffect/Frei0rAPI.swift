import Frei0rSupport

// The nine frei0r entry points every frei0r plugin exports, for the plugin kind its target
// declares (`pluginKind`). This file is compiled into both plugins (Sources/Frei0rMixer holds
// a link to it); the work is in Frei0rSupport.

@c(f0r_init)
public func f0rInit() -> Int32 { Frei0rEntryPoints.initialize() }

@c(f0r_deinit)
public func f0rDeinit() { Frei0rEntryPoints.deinitialize() }

@c(f0r_get_plugin_info)
public func f0rGetPluginInfo(_ info: UnsafeMutableRawPointer?) { Frei0rEntryPoints.pluginInfo(pluginKind, info) }

@c(f0r_get_param_info)
public func f0rGetParamInfo(_ info: UnsafeMutableRawPointer?, _ index: Int32) { Frei0rEntryPoints.parameterInfo(pluginKind, info, index) }

@c(f0r_construct)
public func f0rConstruct(_ width: UInt32, _ height: UInt32) -> UnsafeMutableRawPointer? { Frei0rEntryPoints.construct(pluginKind, width, height) }

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
