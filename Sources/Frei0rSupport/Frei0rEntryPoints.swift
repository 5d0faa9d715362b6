import CFrei0r
import CInteropSupport
import EquivariantModel
import Foundation
import Retargeting

/// The bodies of the frei0r entry points (frei0r.h), shared by the filter and the mixer
/// plugins; each plugin's target exports thin `f0r_*` functions that call these with its kind.
/// Pointers arrive untyped and are bound here, so no C type appears in this module's API.
public enum Frei0rEntryPoints {
    private static let author = CString("equivariant-renderer")
    private static let explanation = CString("Re-renders the character of a video over a new background with a trained equivariant renderer")
    private static let names = Dictionary(uniqueKeysWithValues: PluginParameter.allCases.map { ($0, CString($0.name)) })
    private static let explanations = Dictionary(uniqueKeysWithValues: PluginParameter.allCases.map { ($0, CString($0.explanation)) })
    private static let pluginNames = [PluginKind.filter: CString("equivariant"), .mixer: CString("equivariant_mixer")]
    /// Live plugin instances: the pointers hosts hold are handles checked here.
    private static let instances = HandleRegistry<PluginInstance>()

    /// f0r_init: counts one more user of the shared models; always succeeds.
    public static func initialize() -> Int32 {
        SharedModels.retain()
        return 1
    }

    /// f0r_deinit.
    public static func deinitialize() { SharedModels.release() }

    /// f0r_get_plugin_info into a `f0r_plugin_info_t`.
    public static func pluginInfo(_ kind: PluginKind, _ pointer: UnsafeMutableRawPointer?) {
        guard let info = pointer?.assumingMemoryBound(to: f0r_plugin_info_t.self) else { return }
        info.pointee.name = pluginNames[kind]!.constant
        info.pointee.author = author.constant
        info.pointee.plugin_type = kind == .filter ? F0R_PLUGIN_TYPE_FILTER : F0R_PLUGIN_TYPE_MIXER2
        info.pointee.color_model = F0R_COLOR_MODEL_RGBA8888
        info.pointee.frei0r_version = FREI0R_MAJOR_VERSION
        info.pointee.major_version = ProductVersion.majorMinor.major
        info.pointee.minor_version = ProductVersion.majorMinor.minor
        info.pointee.num_params = Int32(kind.parameters.count)
        info.pointee.explanation = explanation.constant
    }

    /// f0r_get_param_info into a `f0r_param_info_t`.
    public static func parameterInfo(_ kind: PluginKind, _ pointer: UnsafeMutableRawPointer?, _ index: Int32) {
        guard let info = pointer?.assumingMemoryBound(to: f0r_param_info_t.self), kind.parameters.indices.contains(Int(index)) else { return }
        let parameter = kind.parameters[Int(index)]
        info.pointee.name = names[parameter]!.constant
        info.pointee.type = parameter.type
        info.pointee.explanation = explanations[parameter]!.constant
    }

    /// f0r_construct: a new instance, or nil (with a message) for an impossible size.
    public static func construct(_ kind: PluginKind, _ width: UInt32, _ height: UInt32) -> UnsafeMutableRawPointer? {
        guard FrameSizeLimit.allows(width: Int(width), height: Int(height)) else {
            FileHandle.standardError.write(Data("equivariant (frei0r): frame size \(width)x\(height) is outside 1x1...\(FrameSizeLimit.maximumSide)x\(FrameSizeLimit.maximumSide) or above \(FrameSizeLimit.maximumPixels) pixels (8192x4320)\n".utf8))
            return nil
        }
        return UnsafeMutableRawPointer(instances.register(PluginInstance(kind: kind, width: Int(width), height: Int(height))))
    }

    /// f0r_destruct.
    public static func destruct(_ instance: UnsafeMutableRawPointer?) {
        instances.remove(instance.map(OpaquePointer.init))
    }

    private static func instance(_ pointer: UnsafeMutableRawPointer?) -> PluginInstance? {
        instances.object(pointer.map(OpaquePointer.init))
    }

    /// f0r_set_param_value: a string parameter arrives as a pointer to the host's `char *`
    /// (which the host frees), a number as a pointer to a double.
    public static func setParameter(_ pointer: UnsafeMutableRawPointer?, _ value: UnsafeMutableRawPointer?, _ index: Int32) {
        guard let plugin = instance(pointer), let value, let parameter = plugin.parameter(at: index) else { return }
        if parameter.type == F0R_PARAM_STRING {
            guard let text = value.assumingMemoryBound(to: UnsafeMutablePointer<CChar>?.self).pointee else { return }
            plugin.setString(parameter, String(cString: text))
        } else {
            plugin.setNumber(parameter, value.assumingMemoryBound(to: Double.self).pointee)
        }
    }

    /// f0r_get_param_value.
    public static func getParameter(_ pointer: UnsafeMutableRawPointer?, _ value: UnsafeMutableRawPointer?, _ index: Int32) {
        guard let plugin = instance(pointer), let value, let parameter = plugin.parameter(at: index) else { return }
        if parameter.type == F0R_PARAM_STRING {
            value.assumingMemoryBound(to: UnsafeMutablePointer<CChar>?.self).pointee = plugin.stringCopy(parameter)
        } else {
            value.assumingMemoryBound(to: Double.self).pointee = plugin.number(parameter)
        }
    }

    /// f0r_update: one input frame (the filter; the mixer passes it through).
    public static func update(_ pointer: UnsafeMutableRawPointer?, _ input: UnsafePointer<UInt32>?, _ output: UnsafeMutablePointer<UInt32>?) {
        guard let plugin = instance(pointer), let input, let output else { return }
        plugin.update(input, background: nil, output)
    }

    /// f0r_update2: the character frame and the background frame (the mixer).
    public static func update2(_ pointer: UnsafeMutableRawPointer?, _ character: UnsafePointer<UInt32>?, _ background: UnsafePointer<UInt32>?,
                               _ output: UnsafeMutablePointer<UInt32>?) {
        guard let plugin = instance(pointer), let character, let output else { return }
        plugin.update(character, background: background, output)
    }
}
