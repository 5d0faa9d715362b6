import CFrei0r
import EquivariantRenderer
import Foundation

// The nine frei0r entry points (frei0r.h). FFmpeg's frei0r filter, MLT and GStreamer's
// frei0r elements dlopen the plugin and call these.

private let pluginName = strdup("equivariant")!
private let pluginAuthor = strdup("equivariant-renderer")!
private let pluginExplanation = strdup("Re-renders the character of a video over a new background with a trained equivariant renderer")!
private let parameterNames = PluginParameter.allCases.map { strdup($0.name)! }
private let parameterExplanations = PluginParameter.allCases.map { strdup($0.explanation)! }

@c(f0r_init)
public func f0rInit() -> Int32 {
    SharedModels.retain()
    return 1
}

@c(f0r_deinit)
public func f0rDeinit() {
    SharedModels.release()
}

@c(f0r_get_plugin_info)
public func f0rGetPluginInfo(_ info: UnsafeMutablePointer<f0r_plugin_info_t>?) {
    guard let info else { return }
    info.pointee.name = UnsafePointer(pluginName)
    info.pointee.author = UnsafePointer(pluginAuthor)
    info.pointee.plugin_type = F0R_PLUGIN_TYPE_FILTER
    info.pointee.color_model = F0R_COLOR_MODEL_RGBA8888
    info.pointee.frei0r_version = FREI0R_MAJOR_VERSION
    info.pointee.major_version = 0
    info.pointee.minor_version = 6
    info.pointee.num_params = Int32(PluginParameter.allCases.count)
    info.pointee.explanation = UnsafePointer(pluginExplanation)
}

@c(f0r_get_param_info)
public func f0rGetParamInfo(_ info: UnsafeMutablePointer<f0r_param_info_t>?, _ index: Int32) {
    guard let info, let parameter = PluginParameter(rawValue: index) else { return }
    info.pointee.name = UnsafePointer(parameterNames[Int(index)])
    info.pointee.type = parameter.type
    info.pointee.explanation = UnsafePointer(parameterExplanations[Int(index)])
}

@c(f0r_construct)
public func f0rConstruct(_ width: UInt32, _ height: UInt32) -> UnsafeMutableRawPointer? {
    guard width > 0, height > 0, width <= 16384, height <= 16384 else {
        FileHandle.standardError.write(Data("equivariant (frei0r): frame size \(width)x\(height) is outside 1x1...16384x16384\n".utf8))
        return nil
    }
    return Unmanaged.passRetained(PluginInstance(width: Int(width), height: Int(height))).toOpaque()
}

@c(f0r_destruct)
public func f0rDestruct(_ instance: UnsafeMutableRawPointer?) {
    guard let instance else { return }
    Unmanaged<PluginInstance>.fromOpaque(instance).release()
}

@c(f0r_set_param_value)
public func f0rSetParamValue(_ instance: UnsafeMutableRawPointer?, _ value: UnsafeMutableRawPointer?, _ index: Int32) {
    guard let instance, let value, let parameter = PluginParameter(rawValue: index) else { return }
    let plugin = Unmanaged<PluginInstance>.fromOpaque(instance).takeUnretainedValue()
    if parameter.type == F0R_PARAM_STRING {
        // A string parameter arrives as a pointer to the host's char *, which the host frees.
        guard let text = value.assumingMemoryBound(to: UnsafeMutablePointer<CChar>?.self).pointee else { return }
        plugin.setString(parameter, String(cString: text))
    } else {
        plugin.setNumber(parameter, value.assumingMemoryBound(to: Double.self).pointee)
    }
}

@c(f0r_get_param_value)
public func f0rGetParamValue(_ instance: UnsafeMutableRawPointer?, _ value: UnsafeMutableRawPointer?, _ index: Int32) {
    guard let instance, let value, let parameter = PluginParameter(rawValue: index) else { return }
    let plugin = Unmanaged<PluginInstance>.fromOpaque(instance).takeUnretainedValue()
    if parameter.type == F0R_PARAM_STRING {
        value.assumingMemoryBound(to: UnsafeMutablePointer<CChar>?.self).pointee = plugin.stringCopy(parameter)
    } else {
        value.assumingMemoryBound(to: Double.self).pointee = plugin.number(parameter)
    }
}

@c(f0r_update)
public func f0rUpdate(_ instance: UnsafeMutableRawPointer?, _ time: Double, _ input: UnsafePointer<UInt32>?, _ output: UnsafeMutablePointer<UInt32>?) {
    guard let instance, let input, let output else { return }
    Unmanaged<PluginInstance>.fromOpaque(instance).takeUnretainedValue().update(input, output)
}
